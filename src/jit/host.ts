/**
 * What this host's CPU and OS let the JIT use, found once per process by its architecture (target.ts's
 * `detect`), which may run probe code of its own through pages mapped here; and the one resolution of a
 * requested level (JIT_ISA) into the target the service runs: `auto` is the best the host supports, a level
 * it lacks or of another architecture is refused with UnsupportedKernelLevelError, which says why.
 */
import { UnsupportedKernelLevelError, UnsupportedPlatformError } from './errors.js';
import { ExecutablePage } from './page.js';
import type { AdderPageTarget, Architecture, HostCapabilities, HostProbe } from './target.js';
import { architectureWithLevel, hostArchitecture } from './targets.js';

/**
 * Runs `code` on a page of `architecture` for as long as `use` needs it: only on a host of that
 * architecture (UnsupportedPlatformError otherwise), whose CPU is the one asked.
 */
export function probeOn(architecture: Architecture): HostProbe {
  return (code, use) => {
    if (process.platform !== 'linux' || process.arch !== architecture.nodeArch)
      throw new UnsupportedPlatformError(process.platform, process.arch, [architecture.name]);
    const page = ExecutablePage.seal(code, architecture);
    try {
      return use((entry, io) => page.callWithInt32Array(entry, io));
    } finally {
      page.release();
    }
  };
}

const detected = new WeakMap<Architecture, HostCapabilities>();

/** What the host runs of `architecture`'s levels: found on the first call; the CPU does not change. */
export function detectHost(architecture: Architecture = hostArchitecture()): HostCapabilities {
  let capabilities = detected.get(architecture);
  if (capabilities === undefined) {
    capabilities = architecture.detect(probeOn(architecture));
    detected.set(architecture, capabilities);
  }
  return capabilities;
}

/**
 * The level to run for `requested` (`auto` or a level's name) on `architecture`, checked against what the
 * host has (`capabilities`, detected unless given; the baseline level needs no detection, and none runs
 * for it). Throws UnsupportedKernelLevelError for a level the host lacks or one of another architecture,
 * and RangeError for a name no architecture has.
 */
export function resolveLevel(
  requested: string,
  architecture: Architecture = hostArchitecture(),
  given?: HostCapabilities,
): string {
  if (requested === architecture.levels[0]) return requested;
  const capabilities = given ?? detectHost(architecture);
  if (requested === 'auto') return capabilities.best;
  if (!architecture.levels.includes(requested)) {
    const owner = architectureWithLevel(requested);
    if (owner === undefined) throw new RangeError(`no architecture has a level named ${requested}`);
    throw new UnsupportedKernelLevelError(
      requested,
      [],
      capabilities.best,
      `${requested} is a level of ${owner.name}, and this host is ${architecture.name} ` +
        `(its levels: ${architecture.levels.join(', ')})`,
    );
  }
  const missing = capabilities.missingFor(requested);
  if (missing.length > 0) throw new UnsupportedKernelLevelError(requested, missing, capabilities.best);
  return requested;
}

/** The target for `requested` on this host (or the given architecture and capabilities), resolved as above. */
export function hostTarget(
  requested = 'auto',
  architecture: Architecture = hostArchitecture(),
  capabilities?: HostCapabilities,
): AdderPageTarget {
  return architecture.target(resolveLevel(requested, architecture, capabilities));
}
