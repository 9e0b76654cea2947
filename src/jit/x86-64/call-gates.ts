/**
 * The call gates' page. `int32_t gate(int32_t x, uintptr_t target)` at offset 0 jumps to target with x in
 * rdi; `void batch_gate(int32_t *xs, size_t n, uintptr_t target)` at offset 16 jumps to target with xs and
 * n in rdi and rsi. See page.ts for why calls go through gates.
 */
import type { CallGateCode } from '../target.js';
import { layout } from './adder-page.js';
import { jmpRdx, jmpRsi } from './instructions.js';

export const X86_64_CALL_GATES: CallGateCode = {
  int32Entry: 0,
  batchEntry: 16,
  encode: () =>
    layout([
      [0, Uint8Array.from(jmpRsi())],
      [16, Uint8Array.from(jmpRdx())],
    ]),
};
