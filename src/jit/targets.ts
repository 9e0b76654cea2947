/**
 * The one place that knows which architectures the JIT can generate code for, and picks the host's. The
 * core asks here for the host's architecture and works on it through target.ts's interfaces; adding an
 * architecture is a folder beside x86-64/ and a line in ARCHITECTURES.
 */

import { ARM64 } from './arm64/architecture.js';
import { UnsupportedPlatformError } from './errors.js';
import type { Architecture } from './target.js';
import { X86_64 } from './x86-64/architecture.js';

export const ARCHITECTURES: readonly Architecture[] = [X86_64, ARM64];

/** Every level any architecture has, by name, each architecture's slowest first: what JIT_ISA may name. */
export const KERNEL_LEVELS: readonly string[] = [
  ...new Set(ARCHITECTURES.flatMap((architecture) => architecture.levels)),
];

/** The architecture a Node.js reporting `nodeArch` runs on, if the JIT has one for it. */
export function architectureFor(nodeArch: string): Architecture | undefined {
  return ARCHITECTURES.find((architecture) => architecture.nodeArch === nodeArch);
}

/** Throws UnsupportedPlatformError unless this is Linux on an architecture the JIT generates code for. */
export function assertSupportedPlatform(
  platform: string = process.platform,
  arch: string = process.arch,
): void {
  if (platform !== 'linux' || architectureFor(arch) === undefined) {
    throw new UnsupportedPlatformError(
      platform,
      arch,
      ARCHITECTURES.map((architecture) => architecture.name),
    );
  }
}

/** This process's architecture: the one its code runs on. */
export function hostArchitecture(): Architecture {
  assertSupportedPlatform();
  return architectureFor(process.arch) as Architecture;
}

/** The architecture that has `level`, or undefined. */
export function architectureWithLevel(level: string): Architecture | undefined {
  return ARCHITECTURES.find((architecture) => architecture.levels.includes(level));
}
