/**
 * The start-up self-test: compile a probe adder, seed and blinded, run both entries of each on inputs
 * whose sums wrap around, release it. It proves on this host, before any request arrives, that pages can be mapped, sealed executable and called
 * and that the results are right; it throws the JIT's typed error if any step fails.
 */

import { encodeBlindedAdderPage } from './blinding.js';
import { JitError } from './errors.js';
import { wrappingAdd } from './int32.js';
import { ExecutablePage } from './page.js';
import { ADDER_ENTRY, BATCH_ADDER_ENTRY, encodeAdderPage } from './x86-64/adder-page.js';

const PROBE_TERM = 2147483647;
const PROBE_INPUTS = [-2147483648, -1, 0, 1];

export function runJitSelfTest(): void {
  for (const code of [encodeAdderPage(PROBE_TERM), encodeBlindedAdderPage(PROBE_TERM)]) probe(code);
}

function probe(code: Uint8Array): void {
  const page = ExecutablePage.seal(code);
  try {
    const batch = Int32Array.from(PROBE_INPUTS);
    page.callWithInt32Array(BATCH_ADDER_ENTRY, batch);
    for (const [index, x] of PROBE_INPUTS.entries()) {
      const expected = wrappingAdd(PROBE_TERM, x);
      for (const result of [page.callInt32(ADDER_ENTRY, x), batch[index]]) {
        if (result === expected) continue;
        throw new JitError(
          'JIT_SELF_TEST_FAILED',
          `JIT self-test failed: ${PROBE_TERM} + ${x} gave ${result}, expected ${expected}`,
        );
      }
    }
  } finally {
    page.release();
  }
}
