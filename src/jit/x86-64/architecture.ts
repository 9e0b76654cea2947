/**
 * x86-64 as the core sees it (target.ts's Architecture): its levels (scalar code, SSE2, AVX2), one target
 * per level with the same page layout (apply at ADDER_ENTRY, applyAll at BATCH_ADDER_ENTRY) and that
 * level's batch kernel, the call gates, int3 as the trap between and after code, and the CPU probe that
 * finds which levels the host runs. The scalar target's page is the x86-64 baseline's as it was before the
 * vector kernels, byte for byte; SSE2 is in every x86-64 CPU; AVX2 needs the CPU and the OS.
 */
import { levelTargets, templatedTarget } from '../page-template.js';
import type { AdderPageTarget, Architecture } from '../target.js';
import {
  ADDER_ENTRY,
  ADDER_PAGE_ENTRIES,
  BATCH_ADDER_ENTRY,
  batchKernel,
  composePage,
  MAIN_LOOP_OFFSET,
  type UnrollFactor,
  type X86Level,
} from './adder-page.js';
import { X86_64_CALL_GATES } from './call-gates.js';
import { detectX86Capabilities } from './cpu-probe.js';
import { INT3 } from './instructions.js';

export const X86_64_LEVELS = ['scalar', 'sse2', 'avx2'] as const;

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
  const compose = (term: number, key?: number) => composePage(kernel, term, key);
  return templatedTarget(
    {
      name: `x86-64-${level}${variant}`,
      architecture: X86_64,
      level,
      lanes: LANES[level],
      unroll,
      applyEntry: ADDER_ENTRY,
      applyAllEntry: BATCH_ADDER_ENTRY,
      entries: ADDER_PAGE_ENTRIES,
    },
    compose,
  );
}

export const X86_64: Architecture = {
  name: 'x86-64',
  nodeArch: 'x64',
  levels: X86_64_LEVELS,
  target: levelTargets(X86_64_LEVELS, (level) => createX86_64Target(level)),
  callGates: X86_64_CALL_GATES,
  trapFill: INT3,
  // x86 keeps its instruction cache coherent with data writes in hardware.
  flushesInstructionCache: false,
  detect: detectX86Capabilities,
};
