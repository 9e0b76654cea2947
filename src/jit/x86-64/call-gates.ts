/**
 * The call gates' page. `int32_t gate(int32_t x, uintptr_t target)` at CALL_GATE_ENTRY jumps to target
 * with x in rdi; `void batch_gate(int32_t *xs, size_t n, uintptr_t target)` at BATCH_CALL_GATE_ENTRY
 * jumps to target with xs and n in rdi and rsi. See page.ts for why calls go through gates.
 */
import { layout } from './adder-page.js';
import { jmpRdx, jmpRsi } from './instructions.js';

export const CALL_GATE_ENTRY = 0;
export const BATCH_CALL_GATE_ENTRY = 16;

export function encodeCallGates(): Uint8Array {
  return layout([
    [CALL_GATE_ENTRY, Uint8Array.from(jmpRsi())],
    [BATCH_CALL_GATE_ENTRY, Uint8Array.from(jmpRdx())],
  ]);
}
