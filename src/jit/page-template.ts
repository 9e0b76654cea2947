/**
 * Makes adder pages by copying a page composed once for term 0 (and key 0) and writing the term's
 * immediates into the copy: a compile happens on every cold request, and composing the page from the
 * encoders each time would cost more than the copy and the writes. The same for every architecture: a
 * target hands its composer, and tests hold every target's template equal to its composer. An
 * architecture builds its targets on a template with templatedTarget, and keeps one per level with
 * levelTargets.
 */
import { immediateValue, writeSlice } from './immediates.js';
import { assertInt32 } from './int32.js';
import type { AdderPageTarget, ComposedPage, ImmediateSlice } from './target.js';

export class PageTemplate {
  readonly #seed: ComposedPage;
  readonly #blinded: ComposedPage;

  /**
   * Offsets of the 32-bit words that hold any part of a blinded page's `term ^ key` or key. Read-only by
   * type, not frozen: blinding.ts walks it on every compile, and V8 walks a frozen array through the
   * iterator protocol, an iterator result per offset (docs/decisions.md, "The warm and cold paths,
   * against c576b46").
   */
  readonly blindedImmediateOffsets: readonly number[];

  constructor(compose: (term: number, key?: number) => ComposedPage) {
    this.#seed = compose(0);
    this.#blinded = compose(0, 0);
    this.blindedImmediateOffsets = [...new Set(this.#blinded.slices.map((slice) => slice.offset))];
  }

  /** Where each term-dependent immediate sits in a seed page, or a blinded one, and what it holds. */
  immediateSlices(blinded: boolean): readonly ImmediateSlice[] {
    return (blinded ? this.#blinded : this.#seed).slices;
  }

  encode(term: number, key?: number): Uint8Array {
    assertInt32(term, 'term');
    if (key !== undefined) assertInt32(key, 'key');
    const { code: template, slices } = key === undefined ? this.#seed : this.#blinded;
    // A view into Node's shared buffer pool: V8 gives a typed array of more than 64 bytes (a vector
    // kernel's page) memory of its own, allocated and later freed per array, which cost more than the rest
    // of a compile. A plain Uint8Array, not the pool's Buffer, as every encoder returns.
    const pooled = Buffer.allocUnsafe(template.length);
    const code = new Uint8Array(pooled.buffer, pooled.byteOffset, template.length);
    code.set(template);
    for (const slice of slices) writeSlice(code, slice, immediateValue(slice.kind, term, key));
    return code;
  }
}

/** What an architecture says of one of its targets; templatedTarget adds what the template answers. */
export type TargetDescription = Omit<
  AdderPageTarget,
  'blindedImmediateOffsets' | 'immediateSlices' | 'encodePage' | 'composePage'
>;

/**
 * A target whose pages come from a template of `compose`'s page, made on first use: a process composes
 * only the pages of the targets it runs.
 */
export function templatedTarget(
  description: TargetDescription,
  compose: (term: number, key?: number) => ComposedPage,
): AdderPageTarget {
  let template: PageTemplate | undefined;
  const pageTemplate = () => {
    template ??= new PageTemplate(compose);
    return template;
  };
  return {
    ...description,
    get blindedImmediateOffsets() {
      return pageTemplate().blindedImmediateOffsets;
    },
    immediateSlices: (blinded) => pageTemplate().immediateSlices(blinded),
    encodePage: (term, key) => pageTemplate().encode(term, key),
    composePage: (term, key) => compose(term, key).code,
  };
}

/**
 * An architecture's `target(level)`: each of `levels` made by `create` on first use and kept, so that
 * every caller shares one target (and one template) a level; any other level is a RangeError.
 */
export function levelTargets<Level extends string>(
  levels: readonly Level[],
  create: (level: Level) => AdderPageTarget,
): (level: string) => AdderPageTarget {
  const made = new Map<Level, AdderPageTarget>();
  const isLevel = (level: string): level is Level => (levels as readonly string[]).includes(level);
  return (level) => {
    if (!isLevel(level))
      throw new RangeError(`level must be one of ${levels.join(', ')}, got ${String(level)}`);
    let target = made.get(level);
    if (target === undefined) {
      target = create(level);
      made.set(level, target);
    }
    return target;
  };
}
