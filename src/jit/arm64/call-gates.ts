/**
 * The call gates' page for A64. `int32_t gate(int32_t x, uintptr_t target)` at offset 0 is `br x1`: it
 * jumps to target with x still in w0 and the caller's return address still in x30, so the adder's `ret`
 * returns straight to the caller. `void batch_gate(int32_t *xs, size_t n, uintptr_t target)` at offset 4
 * is `br x2`, with xs and n still in x0 and x1. Every A64 instruction is one aligned word, so the two
 * one-instruction gates sit side by side. (src/jit/page.ts says why calls go through gates: koffi then
 * decodes one function per signature, not one per adder.)
 */
import type { CallGateCode } from '../target.js';
import { br, wordBytes, x } from './instructions.js';

export const ARM64_CALL_GATES: CallGateCode = {
  int32Entry: 0,
  batchEntry: 4,
  encode: () => Uint8Array.from([...wordBytes(br(x(1))), ...wordBytes(br(x(2)))]),
};
