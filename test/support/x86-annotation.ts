/**
 * What the x86-64 explainer's field tests share (test/explain/x86-64/): an instruction's fields as the
 * explorer lists them, to compare with fields worked out by hand, and a decoder made to tell lies, to show
 * that every check holding a field to the decoder refuses rather than describe what it cannot vouch for.
 * Each function registers one test per row of its table.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { it } from 'node:test';
import type { AnnotationError } from '../../src/explain/annotation.js';
import { annotate } from '../../src/explain/x86-64/annotate.js';
import { fromHex, refusal } from './hex-code.js';

type Iced = typeof import('iced-x86');
export const iced = createRequire(import.meta.url)('iced-x86') as Iced;

/** An instruction's fields as the explorer lists them: `kind bytes: description`, then `name=value (meaning)`. */
function fieldLines(hex: string): { text: string; lines: string[] } {
  const [instruction, ...rest] = annotate(fromHex(hex));
  assert.equal(rest.length, 0, `${hex} is one instruction`);
  assert.ok(instruction);
  return {
    text: instruction.text,
    lines: instruction.fields.flatMap((field) => [
      `${field.kind} ${field.bytes}: ${field.description}`,
      ...(field.bits ?? []).map((bits) => `  ${bits.name}=${bits.value} (${bits.meaning})`),
    ]),
  };
}

/**
 * [bytes, the decoder's text, the fields]. The comments in each table say how the bytes encode the
 * instruction; the fields' words follow from that and from the annotator's notation (annotate.test.ts
 * checks the notation on the JIT's own instructions).
 */
export type Described = [string, string, string[]];

export function describesFieldByField(rows: readonly Described[]): void {
  for (const [hex, text, lines] of rows) {
    it(`describes ${hex} (${text}) field by field`, () => {
      const described = fieldLines(hex);
      assert.equal(described.text, text, 'the decoder reads the bytes as intended');
      assert.deepEqual(described.lines, lines);
    });
  }
}

/**
 * A lie for the decoder to tell: `replace` is given what iced would have said (and a method's arguments)
 * and returns what it says instead.
 */
export interface Lie {
  on: object;
  property: string;
  replace: (truth: () => unknown, ...args: unknown[]) => unknown;
}

/** Annotates `hex` while iced's objects tell `lies`, and returns the refusal; the truth is restored after. */
function refusalWhileDecoderSays(hex: string, lies: Lie[]): AnnotationError {
  const saved = lies.map(({ on, property }) => {
    const descriptor = Object.getOwnPropertyDescriptor(on, property);
    assert.ok(descriptor, `iced has ${property}`);
    return { on, property, descriptor };
  });
  lies.forEach(({ on, property, replace }, index) => {
    const { descriptor } = saved[index] as (typeof saved)[number];
    const { get, value } = descriptor;
    Object.defineProperty(
      on,
      property,
      get
        ? {
            ...descriptor,
            get(this: unknown) {
              return replace(() => get.call(this));
            },
          }
        : {
            ...descriptor,
            value(this: unknown, ...args: unknown[]) {
              return replace(() => (value as (...args: unknown[]) => unknown).apply(this, args), ...args);
            },
          },
    );
  });
  try {
    return refusal(hex);
  } finally {
    for (const { on, property, descriptor } of saved) Object.defineProperty(on, property, descriptor);
  }
}

export const says = (on: object, property: string, value: unknown): Lie => ({
  on,
  property,
  replace: () => value,
});
/** A method's answer changed for one argument only. */
export const saysFor = (on: object, property: string, argument: number, value: unknown): Lie => ({
  on,
  property,
  replace: (truth, ...args) => (args[0] === argument ? value : truth()),
});

/**
 * [what the decoder gets wrong, the bytes, its lies, the reason, the detail of the refusal's message, and
 * when the bytes are refused for another reason even as the decoder reads them, that refusal's detail].
 */
export type Contradiction = [string, string, Lie[], string, string, string?];

export function refusesWhatTheDecoderContradicts(rows: readonly Contradiction[]): void {
  for (const [what, hex, lies, reason, detail, truth] of rows) {
    it(`${hex}, with the decoder reporting ${what}: ${reason}, ${detail}`, () => {
      const asItIs = () =>
        truth === undefined
          ? assert.doesNotThrow(() => annotate(fromHex(hex)), 'the truth is annotated')
          : assert.equal(
              refusal(hex).message.endsWith(`: ${truth}`),
              true,
              'the truth is refused for another reason',
            );
      asItIs();
      const error = refusalWhileDecoderSays(hex, lies);
      assert.equal(error.reason, reason);
      assert.equal(error.code, 'JIT_ANNOTATION_REFUSED');
      assert.equal(error.offset, 0);
      assert.ok(hex.startsWith(error.bytes), `the refused bytes ${error.bytes} are the instruction's`);
      assert.equal(error.message, `cannot annotate the instruction at offset 0 (${error.bytes}): ${detail}`);
      asItIs();
    });
  }
}

/** [bytes annotate refuses as they are, as unsupported, the detail of its refusal's message]. */
export function refusesWhatIsNotDescribed(rows: ReadonlyArray<[string, string]>): void {
  for (const [hex, detail] of rows) {
    it(`${hex}: ${detail}`, () => {
      const error = refusal(hex);
      assert.equal(error.reason, 'unsupported');
      assert.equal(error.message, `cannot annotate the instruction at offset 0 (${hex}): ${detail}`);
    });
  }
}
