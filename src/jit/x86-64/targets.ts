/**
 * The x86-64 targets, one per level: the same page layout (apply at ADDER_ENTRY, applyAll at
 * BATCH_ADDER_ENTRY) with the batch kernel of that level. The scalar target is the x86-64 baseline's
 * page as it was before the vector kernels, byte for byte; SSE2 is in every x86-64 CPU; AVX2 needs the CPU
 * and the OS to support it (host.ts checks).
 */
import type { AdderPageTarget } from '../target.js';
import {
  ADDER_ENTRY,
  ADDER_PAGE_ENTRIES,
  BATCH_ADDER_ENTRY,
  batchKernel,
  composePage,
  MAIN_LOOP_OFFSET,
  PageTemplate,
  type UnrollFactor,
  type X86Level,
} from './adder-page.js';

const LANES: Record<X86Level, number> = { scalar: 1, sse2: 4, avx2: 8 };

/**
 * The unroll factor each level's target uses: ×4, as fast as ×2 and well ahead of ×1 in `npm run
 * bench:jit`, and ahead of ×2 where the FFI call does not hide it (docs/decisions.md, "Batch kernels").
 * The scalar loop is not unrolled.
 */
export const CHOSEN_UNROLL: Record<X86Level, UnrollFactor> = { scalar: 1, sse2: 4, avx2: 4 };

/**
 * The x86-64 target for `level`. Another unroll factor or main-loop placement than the chosen ones gives
 * a variant named with them (e.g. 'x86-64-avx2-x2', 'x86-64-avx2-loop0'), for the benchmark that compares
 * them and the tests that hold them correct.
 */
export function createX86_64Target(
  level: X86Level,
  unroll: UnrollFactor = CHOSEN_UNROLL[level],
  loopOffset: number = MAIN_LOOP_OFFSET,
): AdderPageTarget {
  if (level === 'scalar' && unroll !== 1) throw new RangeError('the scalar kernel is not unrolled');
  const kernel = batchKernel(level, unroll, loopOffset);
  const variant =
    (unroll === CHOSEN_UNROLL[level] ? '' : `-x${unroll}`) +
    (loopOffset === MAIN_LOOP_OFFSET || level === 'scalar' ? '' : `-loop${loopOffset}`);
  let template: PageTemplate | undefined;
  const pageTemplate = () => {
    template ??= new PageTemplate(kernel);
    return template;
  };
  return {
    name: `x86-64-${level}${variant}`,
    architecture: 'x86-64',
    level,
    lanes: LANES[level],
    unroll,
    applyEntry: ADDER_ENTRY,
    applyAllEntry: BATCH_ADDER_ENTRY,
    entries: ADDER_PAGE_ENTRIES,
    get blindedImmediateOffsets() {
      return pageTemplate().blindedImmediateOffsets;
    },
    immediateFields: (blinded) => pageTemplate().immediateFields(blinded),
    encodePage: (term, key) => pageTemplate().encode(term, key),
    composePage: (term, key) => composePage(kernel, term, key).code,
  };
}

export const X86_64_TARGETS: readonly AdderPageTarget[] = (['scalar', 'sse2', 'avx2'] as const).map((level) =>
  createX86_64Target(level),
);
