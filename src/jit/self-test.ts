/**
 * The start-up self-test: compile a probe adder for the target in use, seed and blinded, run both entries
 * of each on inputs whose sums wrap around, release it. It proves on this host, before any request
 * arrives, that pages can be mapped, sealed executable and called, that the CPU runs the level's
 * instructions and that the results are right; it throws the JIT's typed error if any step fails.
 */

import { encodeBlindedAdderPage } from './blinding.js';
import { JitError } from './errors.js';
import { wrappingAdd } from './int32.js';
import { ExecutablePage } from './page.js';
import type { AdderPageTarget } from './target.js';

const PROBE_TERM = 2147483647;
const PROBE_INPUTS = [-2147483648, -1, 0, 1];
/** Written around the batch, which must leave it alone. */
const GUARD = 0x5a5a5a5a;

/** Runs the self-test on `target`, the one the service resolved for this host (host.ts). */
export function runJitSelfTest(target: AdderPageTarget): void {
  for (const code of [target.encodePage(PROBE_TERM), encodeBlindedAdderPage(PROBE_TERM, target)]) {
    probe(target, code);
  }
}

function probe(target: AdderPageTarget, code: Uint8Array): void {
  // Enough values for two turns of the kernel's main loop, one register on its own and a scalar tail.
  const { lanes, unroll } = target;
  const length = Math.max(PROBE_INPUTS.length, 2 * lanes * unroll + lanes + lanes - 1);
  const inputs = Array.from({ length }, (_, index) => PROBE_INPUTS[index % PROBE_INPUTS.length] as number);
  const page = ExecutablePage.seal(code, target.architecture);
  try {
    const guarded = new Int32Array(length + 2).fill(GUARD);
    const batch = guarded.subarray(1, length + 1);
    batch.set(inputs);
    page.callWithInt32Array(target.applyAllEntry, batch);
    if (guarded[0] !== GUARD || guarded[length + 1] !== GUARD) {
      throw new JitError(
        'JIT_SELF_TEST_FAILED',
        `JIT self-test failed: ${target.name}'s batch entry wrote outside its array`,
      );
    }
    for (const [index, x] of inputs.entries()) {
      const expected = wrappingAdd(PROBE_TERM, x);
      for (const result of [page.callInt32(target.applyEntry, x), batch[index]]) {
        if (result === expected) continue;
        throw new JitError(
          'JIT_SELF_TEST_FAILED',
          `JIT self-test failed on ${target.name}: ${PROBE_TERM} + ${x} gave ${result}, expected ${expected}`,
        );
      }
    }
  } finally {
    page.release();
  }
}
