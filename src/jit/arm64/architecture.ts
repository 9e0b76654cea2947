/**
 * arm64 (AArch64) as the core sees it (target.ts's Architecture): its levels (scalar code, and Advanced
 * SIMD, which every AArch64 CPU has), one target per level with the same page layout (apply at
 * ADDER_ENTRY, applyAll at BATCH_ADDER_ENTRY), the call gates, `udf #0` (the all-zero word) as the trap,
 * and the instruction-cache flush that code written through the data side needs before it runs.
 *
 * No level needs a feature a CPU may lack, so detection runs no probe: both levels run on every host. (A
 * level that needed one, SVE say, would read getauxval(AT_HWCAP) here; none ships without a test that
 * runs it.)
 */
import { levelTargets, templatedTarget } from '../page-template.js';
import type { AdderPageTarget, Architecture } from '../target.js';
import {
  ADDER_ENTRY,
  ADDER_PAGE_ENTRIES,
  ARM64_LEVELS,
  type Arm64Level,
  BATCH_ADDER_ENTRY,
  batchKernel,
  composePage,
  type UnrollFactor,
} from './adder-page.js';
import { ARM64_CALL_GATES } from './call-gates.js';

const LANES: Record<Arm64Level, number> = { scalar: 1, neon: 4 };

/**
 * The unroll factor each level's target uses: ×4, as on x86-64. Emulation says nothing about speed, so
 * this is not measured on arm64 hardware yet (docs/benchmarks.md says so); ×1 and ×2 are built and tested.
 */
export const CHOSEN_UNROLL: Record<Arm64Level, UnrollFactor> = { scalar: 1, neon: 4 };

/** The arm64 target for `level`; another unroll factor gives a variant named with it ('arm64-neon-x2'). */
export function createArm64Target(
  level: Arm64Level,
  unroll: UnrollFactor = CHOSEN_UNROLL[level],
): AdderPageTarget {
  const kernel = batchKernel(level, unroll);
  const compose = (term: number, key?: number) => composePage(kernel, term, key);
  return templatedTarget(
    {
      name: `arm64-${level}${unroll === CHOSEN_UNROLL[level] ? '' : `-x${unroll}`}`,
      architecture: ARM64,
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

export const ARM64: Architecture = {
  name: 'arm64',
  nodeArch: 'arm64',
  levels: ARM64_LEVELS,
  target: levelTargets(ARM64_LEVELS, (level) => createArm64Target(level)),
  callGates: ARM64_CALL_GATES,
  // udf #0, the all-zero word: a permanently undefined instruction.
  trapFill: 0x00,
  flushesInstructionCache: true,
  detect: () => ({ best: 'neon', missingFor: () => [] }),
};
