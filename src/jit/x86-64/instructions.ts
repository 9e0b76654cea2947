/**
 * x86-64 instruction encoders: pure functions from operands to bytes (plain arrays, cheap to build and
 * join; only the finished code becomes a Uint8Array). Each is named after the one
 * instruction it emits, and its comment explains every byte, so that the adder's eleven bytes can be checked
 * by eye against the Intel SDM (Vol. 2) without running anything.
 */
import { assertInt32, littleEndian32 } from '../int32.js';

/** REX prefix with W=1: the instruction operates on 64-bit registers (rax, rdi) instead of 32-bit ones. */
const REX_W = 0x48;

/** `mov rax, imm32` = 48 C7 C0 id. Opcode C7 /0 with ModRM C0 (mod=11, reg=/0, rm=000 rax); the
 * immediate is 4 bytes little-endian and the CPU sign-extends it to 64 bits, so negative terms are exact. */
export function movRaxImm32(imm: number): number[] {
  assertInt32(imm, 'imm32');
  return [REX_W, 0xc7, 0xc0, ...littleEndian32(imm)];
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

/**
 * 32-bit general-purpose registers by their 3-bit number in ModRM and opcode+rd fields. Only the eight that
 * need no REX prefix: the kernels and the CPU probe use nothing else.
 */
export const R32 = { eax: 0, ecx: 1, edx: 2, ebx: 3, esp: 4, ebp: 5, esi: 6, edi: 7 } as const;
export type R32 = (typeof R32)[keyof typeof R32];

/** Throws unless `value` is an integer from `min` to `max`; `field` names it in the message. */
export function assertInRange(value: number, min: number, max: number, field: string): void {
  if (!Number.isInteger(value) || value < min || value > max)
    throw new RangeError(`${field} must be an integer from ${min} to ${max}, got ${value}`);
}

/** rdi's number in a ModRM rm field (111): the kernels address memory only through xs, in rdi. */
const RM_RDI = 0b111;

/**
 * The ModRM byte and displacement of a memory operand `[rdi + disp]`, with `reg` (0-7) in ModRM.reg, the
 * tail every load and store in this file and vector-instructions.ts shares. mod=00 when disp is 0 (no
 * displacement byte), else mod=01 and one signed displacement byte. rm=111 (rdi) needs no SIB byte: only
 * rm=100 does, and mod=00 with rm=101 would mean rip-relative instead.
 */
export function modrmAtRdi(reg: number, disp: number): number[] {
  assertInRange(reg, 0, 7, 'ModRM.reg');
  assertInRange(disp, -128, 127, 'disp8');
  if (disp === 0) return [(0b00 << 6) | (reg << 3) | RM_RDI];
  return [(0b01 << 6) | (reg << 3) | RM_RDI, disp & 0xff];
}

/** `mov r32, dword [rdi + disp8]` = 8B /r: opcode 8B (MOV r32, r/m32), ModRM with the register in reg and
 * [rdi + disp] in mod and rm (see modrmAtRdi). A 32-bit load; it zeroes the register's upper half. */
export function movR32DwordAtRdi(reg: R32, disp: number): number[] {
  return [0x8b, ...modrmAtRdi(reg, disp)];
}

/** `mov dword [rdi + disp8], r32` = 89 /r: opcode 89 (MOV r/m32, r32), ModRM as in movR32DwordAtRdi. */
export function movDwordAtRdiR32(disp: number, reg: R32): number[] {
  return [0x89, ...modrmAtRdi(reg, disp)];
}

/** `push rbx` = 53: opcode 50+rd with rd=011 (rbx). 64-bit without REX: push has no 32-bit form here. */
export function pushRbx(): number[] {
  return [0x53];
}

/** `pop rbx` = 5B: opcode 58+rd with rd=011 (rbx). */
export function popRbx(): number[] {
  return [0x5b];
}

/** `cpuid` = 0F A2: reads leaf eax (and subleaf ecx) into eax, ebx, ecx and edx. It writes rbx, which the
 * System V ABI makes callee-saved, so code that runs it must save and restore rbx. */
export function cpuid(): number[] {
  return [0x0f, 0xa2];
}

/** `xgetbv` = 0F 01 D0: reads extended control register ecx into edx:eax; XCR0 (ecx=0) says which register
 * state the OS saves on a context switch. It faults (#UD) unless the OS set CR4.OSXSAVE, which CPUID.1:ECX
 * bit 27 reports, so that bit must be checked first. */
export function xgetbv(): number[] {
  return [0x0f, 0x01, 0xd0];
}

/** `mov rcx, rsi` = 48 89 F1: opcode 89 /r (MOV r/m64, r64), ModRM F1 (mod=11, reg=110 rsi, rm=001 rcx). */
export function movRcxRsi(): number[] {
  return [REX_W, 0x89, 0xf1];
}

/** `shr rcx, imm8` = 48 C1 E9 ib: opcode C1 /5 ib (SHR r/m64, imm8), ModRM E9 (mod=11, /5, rm=001 rcx).
 * With a count other than 0 it sets ZF when the result is 0, so a `jz` can follow directly. */
export function shrRcxImm8(count: number): number[] {
  assertInRange(count, 1, 63, 'shift count');
  return [REX_W, 0xc1, 0xe9, count];
}

/** `and esi, imm8` = 83 E6 ib: opcode 83 /4 ib (AND r/m32, imm8 sign-extended), ModRM E6 (mod=11, /4,
 * rm=110 esi). A 32-bit operation zeroes rsi's upper half, which for a mask of 0 to 127 is what a 64-bit
 * `and` would leave there anyway. */
export function andEsiImm8(mask: number): number[] {
  assertInRange(mask, 0, 127, 'mask');
  return [0x83, 0xe6, mask];
}

/** `dec rcx` = 48 FF C9: opcode FF /1 with ModRM C9 (mod=11, /1, rm=001 rcx). Sets ZF when rcx reaches 0. */
export function decRcx(): number[] {
  return [REX_W, 0xff, 0xc9];
}

/** `add rdi, imm32` = 48 81 C7 id: opcode 81 /0 id with ModRM C7 (mod=11, /0, rm=111 rdi), for the
 * strides addRdiImm8's signed byte cannot hold (128 and up). The CPU sign-extends the immediate. */
export function addRdiImm32(imm: number): number[] {
  assertInt32(imm, 'imm32');
  return [REX_W, 0x81, 0xc7, ...littleEndian32(imm)];
}

/** `test dil, imm8` = 40 F6 C7 ib: opcode F6 /0 ib (TEST r/m8, imm8), ModRM C7 (mod=11, /0, rm=111). The
 * empty REX prefix 40 makes rm=111 mean dil, rdi's low byte; without it the same ModRM would mean bh.
 * With a mask of 2^k - 1 it sets ZF when rdi is a multiple of 2^k. */
export function testDilImm8(mask: number): number[] {
  assertInRange(mask, 0, 255, 'imm8');
  return [0x40, 0xf6, 0xc7, mask];
}
