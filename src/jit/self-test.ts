/**
 * The start-up self-test: compile a probe adder, run it on inputs whose sums wrap around, release it. It
 * proves on this host, before any request arrives, that pages can be mapped, sealed executable and called
 * and that the results are right; it throws the JIT's typed error if any step fails.
 */
import { wrappingAdd } from '../int32.js';
import { JitError } from './errors.js';
import { ExecutablePage } from './page.js';
import { encodeAdder } from './x86-64.js';

const PROBE_TERM = 2147483647;
const PROBE_INPUTS = [-2147483648, -1, 0, 1];

export function runJitSelfTest(): void {
  const page = ExecutablePage.seal(encodeAdder(PROBE_TERM));
  try {
    for (const x of PROBE_INPUTS) {
      const result = page.callInt32(x);
      const expected = wrappingAdd(PROBE_TERM, x);
      if (result !== expected) {
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
