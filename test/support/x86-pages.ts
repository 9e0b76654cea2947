/** x86-64 pages for tests that need a concrete architecture's code: the scalar (baseline) target's. */

import { detectHost } from '../../src/jit/host.js';
import type { AdderPageTarget } from '../../src/jit/target.js';
import { X86_64, X86_64_LEVELS } from '../../src/jit/x86-64/architecture.js';
import type { X86Capabilities, X86Features } from '../../src/jit/x86-64/cpu-probe.js';

/** The x86-64 target at every level, slowest first. */
export const X86_64_TARGETS: readonly AdderPageTarget[] = X86_64_LEVELS.map((level) => X86_64.target(level));

/** The baseline page by the template: what a registry compiles without blinding at the scalar level. */
export function encodeAdderPage(term: number, key?: number): Uint8Array {
  return X86_64.target('scalar').encodePage(term, key);
}

/** The same page composed from the encoders: the definition encodeAdderPage must match. */
export function composeAdderPage(term: number, key?: number): Uint8Array {
  return X86_64.target('scalar').composePage(term, key);
}

/** This host's x86 features, as its CPU probe read them. */
export function hostX86Features(): X86Features {
  return (detectHost(X86_64) as X86Capabilities).features;
}
