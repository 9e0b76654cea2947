/**
 * x86-64 instruction encoders: pure functions from operands to bytes (plain arrays, cheap to build and
 * join; only the finished code becomes a Uint8Array). Each is named after the one
 * instruction it emits, and its comment explains every byte, so that the adder's eleven bytes can be checked
 * by eye against the Intel SDM (Vol. 2) without running anything.
 */
import { assertInt32 } from '../int32.js';

/** REX prefix with W=1: the instruction operates on 64-bit registers (rax, rdi) instead of 32-bit ones. */
const REX_W = 0x48;

/** `mov rax, imm32` = 48 C7 C0 id. Opcode C7 /0 with ModRM C0 (mod=11, reg=/0, rm=000 rax); the
 * immediate is 4 bytes little-endian and the CPU sign-extends it to 64 bits, so negative terms are exact. */
export function movRaxImm32(imm: number): number[] {
  assertInt32(imm, 'imm32');
  return [REX_W, 0xc7, 0xc0, ...littleEndian32(imm)];
}

/** The four bytes of a 32-bit value, least significant first (x86 is little-endian). */
function littleEndian32(value: number): number[] {
  return [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff];
}

/** `add rax, rdi` = 48 01 F8. Opcode 01 /r (ADD r/m64, r64) with ModRM F8 (mod=11, reg=111 rdi, rm=000
 * rax). The System V AMD64 ABI passes the first integer argument in rdi, so this adds the caller's x. */
export function addRaxRdi(): number[] {
  return [REX_W, 0x01, 0xf8];
}

/** `ret` = C3: near return. The ABI returns integers in rax; an int32_t result is its low half, eax. */
export function ret(): number[] {
  return [0xc3];
}

/** `jmp rsi` = FF E6. Opcode FF /4 (JMP r/m64) with ModRM E6 (mod=11, reg=/4, rm=110 rsi). rsi holds the
 * second integer argument, so a function `f(x, target)` made of this one instruction tail-jumps to
 * `target` with x still in rdi and the caller's return address still on the stack. */
export function jmpRsi(): number[] {
  return [0xff, 0xe6];
}

/**
 * The seed program's adder, `int32_t adder(int32_t x) { return term + x; }`:
 *
 *     48 c7 c0 <term>   mov rax, term
 *     48 01 f8          add rax, rdi
 *     c3                ret
 *
 * The arithmetic is 64-bit, but the caller reads back eax only: the low 32 bits of a sum depend only on the
 * low 32 bits of its operands, so the result is (term + x) wrapped to int32 whatever the ABI leaves in the
 * upper half of rdi (it leaves it unspecified for an int32_t argument).
 */
export function encodeAdder(term: number): Uint8Array {
  assertInt32(term, 'term');
  return Uint8Array.from([...movRaxImm32(term), ...addRaxRdi(), ...ret()]);
}

/** The call gate: `int32_t gate(int32_t x, uintptr_t adder)` that jumps to the adder. See page.ts. */
export function encodeCallGate(): Uint8Array {
  return Uint8Array.from(jmpRsi());
}
