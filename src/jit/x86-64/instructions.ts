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
export function littleEndian32(value: number): number[] {
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

/** `mov eax, imm32` = B8 id: opcode B8+rd with rd=000 (eax). Writing eax also zeroes rax's upper half. */
export function movEaxImm32(imm: number): number[] {
  assertInt32(imm, 'imm32');
  return [0xb8, ...littleEndian32(imm)];
}

/** `test rsi, rsi` = 48 85 F6: opcode 85 /r (TEST r/m64, r64), ModRM F6 (mod=11, reg=110 rsi, rm=110 rsi). */
export function testRsiRsi(): number[] {
  return [REX_W, 0x85, 0xf6];
}

/** `add dword [rdi], eax` = 01 07: opcode 01 /r with ModRM 07 (mod=00 memory, reg=000 eax, rm=111 [rdi]).
 * A 32-bit add to memory: it wraps around exactly like the adder's eax. */
export function addDwordAtRdiEax(): number[] {
  return [0x01, 0x07];
}

/** `add rdi, imm8` = 48 83 C7 ib: opcode 83 /0 ib with ModRM C7 (mod=11, /0, rm=111 rdi). */
export function addRdiImm8(imm: number): number[] {
  if (!Number.isInteger(imm) || imm < -128 || imm > 127)
    throw new RangeError(`imm8 must be -128..127, got ${imm}`);
  return [REX_W, 0x83, 0xc7, imm & 0xff];
}

/** `dec rsi` = 48 FF CE: opcode FF /1 with ModRM CE (mod=11, /1, rm=110 rsi). Sets ZF when rsi reaches 0. */
export function decRsi(): number[] {
  return [REX_W, 0xff, 0xce];
}

/** A short conditional jump: `jz rel8` = 74 cb, `jnz rel8` = 75 cb; rel8 counts from the next instruction. */
function jccRel8(opcode: number, rel: number): number[] {
  if (!Number.isInteger(rel) || rel < -128 || rel > 127)
    throw new RangeError(`rel8 must be -128..127, got ${rel}`);
  return [opcode, rel & 0xff];
}
export const jzRel8 = (rel: number) => jccRel8(0x74, rel);
export const jnzRel8 = (rel: number) => jccRel8(0x75, rel);

/** `xor eax, imm32` = 35 id: the short form for eax (XOR EAX, imm32). Like every 32-bit operation it zeroes
 * rax's upper half. */
export function xorEaxImm32(imm: number): number[] {
  assertInt32(imm, 'imm32');
  return [0x35, ...littleEndian32(imm)];
}

/** `add eax, edi` = 01 F8: opcode 01 /r without REX.W, ModRM F8 (mod=11, reg=111 edi, rm=000 eax). A 32-bit
 * add: it wraps around at int32 by itself. */
export function addEaxEdi(): number[] {
  return [0x01, 0xf8];
}

/** `jmp rdx` = FF E2: opcode FF /4 with ModRM E2 (mod=11, /4, rm=010 rdx), rdx being the third argument. */
export function jmpRdx(): number[] {
  return [0xff, 0xe2];
}

/** `int3` = CC: traps. Fills the gaps between entry points, so that a jump into a gap stops at once. */
export const INT3 = 0xcc;
