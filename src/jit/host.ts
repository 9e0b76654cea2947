/**
 * What this host's CPU and OS let the JIT use, found once per process by running a probe page the JIT
 * writes itself (x86-64/cpu-probe.ts), and the checked way to pick a target for a kernel level.
 *
 * The service resolves its configuration with these: `bestLevel()` for "auto", `hostTarget(level)` for a
 * level asked for by name, which throws UnsupportedKernelLevelError naming what the CPU lacks.
 */
import { UnsupportedKernelLevelError } from './errors.js';
import { assertSupportedPlatform } from './libc.js';
import { ExecutablePage } from './page.js';
import { type AdderPageTarget, type KernelLevel, targetForLevel } from './target.js';
import {
  CPUID_ENTRY,
  type CpuidLeaf,
  type CpuidReport,
  encodeCpuProbePage,
  missingFor,
  parseCpuidReport,
  type X86Features,
  XGETBV_ENTRY,
} from './x86-64/cpu-probe.js';

export type HostFeatures = X86Features;

/**
 * Runs the probe page: CPUID leaves 0, 1 and (when the CPU has it) 7, and XCR0 when the OS allows
 * xgetbv. Maps, calls and releases one page each time; detectHostFeatures keeps the answer.
 */
export function readCpuid(): CpuidReport {
  assertSupportedPlatform();
  const page = ExecutablePage.seal(encodeCpuProbePage());
  try {
    const leaf = (eax: number, ecx: number): CpuidLeaf => {
      const io = Int32Array.of(eax, ecx, 0, 0);
      page.callWithInt32Array(CPUID_ENTRY, io);
      return { eax: io[0] as number, ebx: io[1] as number, ecx: io[2] as number, edx: io[3] as number };
    };
    const leaf0 = leaf(0, 0);
    const leaf1 = leaf(1, 0);
    const report: CpuidReport = { leaf0, leaf1 };
    if (leaf0.eax >>> 0 >= 7) report.leaf7 = leaf(7, 0);
    if (((leaf1.ecx >>> 27) & 1) === 1) {
      const io = Int32Array.of(0, 0);
      page.callWithInt32Array(XGETBV_ENTRY, io);
      report.xcr0 = io[0] as number;
    }
    return report;
  } finally {
    page.release();
  }
}

let hostFeatures: HostFeatures | undefined;

/** The host's features, probed on the first call; the CPU does not change while the process runs. */
export function detectHostFeatures(): HostFeatures {
  hostFeatures ??= Object.freeze(parseCpuidReport(readCpuid()));
  return hostFeatures;
}

/** The best kernel level this host (or the given features) supports. */
export function bestLevel(features: HostFeatures = detectHostFeatures()): KernelLevel {
  return features.level;
}

/** Throws UnsupportedKernelLevelError, naming what is missing, unless the host can run `level`'s code. */
export function assertHostSupports(level: KernelLevel, features?: HostFeatures): void {
  // Scalar code is the architecture's baseline: nothing to check, and no probe page to run for it.
  if (level === 'scalar') return;
  const host = features ?? detectHostFeatures();
  const missing = missingFor(level, host);
  if (missing.length > 0) throw new UnsupportedKernelLevelError(level, missing, host.level);
}

/** The target for `level`, after checking that this host (or the given features) can run it. */
export function hostTarget(level: KernelLevel, features?: HostFeatures): AdderPageTarget {
  const target = targetForLevel(level);
  assertHostSupports(level, features);
  return target;
}

/**
 * The level to run for a setting such as `auto`, `avx2`, `sse2` or `scalar`: `auto` is the best this host
 * (or the given features) supports; a named level is checked against it (UnsupportedKernelLevelError if
 * it lacks it).
 */
export function resolveKernelLevel(requested: KernelLevel | 'auto', features?: HostFeatures): KernelLevel {
  if (requested === 'auto') return bestLevel(features);
  assertHostSupports(requested, features);
  return requested;
}
