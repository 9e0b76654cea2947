/**
 * Encoders of the SSE2 and AVX2 instructions the batch kernels use, one per instruction, as in
 * instructions.ts. Vector registers are numbers 0-15 (xmm0-xmm15, ymm0-ymm15); memory is always
 * `[rdi + disp8]` (modrmAtRdi); general-purpose sources are the eight 32-bit registers of R32.
 *
 * SSE2 instructions are legacy-encoded: a mandatory prefix (66 or F3) that selects the instruction, a REX
 * prefix only for registers 8-15, then the 0F opcode map. AVX2 instructions are VEX-encoded (vex below):
 * the prefix, the opcode map, REX's register extensions, a third operand and the vector length all sit in
 * the two- or three-byte VEX prefix.
 */
import { assertInRange, modrmAtRdi, type R32 } from './instructions.js';

/** The SIMD prefix an instruction needs, as VEX's pp field encodes it (the legacy byte in brackets). */
const PP = { none: 0b00, x66: 0b01, xF3: 0b10, xF2: 0b11 } as const;
/** Opcode maps, as VEX's m-mmmm field encodes them: 0F, 0F 38 and 0F 3A. */
const MAP = { x0F: 0b00001, x0F38: 0b00010, x0F3A: 0b00011 } as const;

function assertVectorRegister(register: number, field: string): void {
  assertInRange(register, 0, 15, field);
}

/** ModRM with mod=11: both operands are registers; the low three bits of each (bit 3 goes in REX or VEX). */
function modrmRegisters(reg: number, rm: number): number {
  return (0b11 << 6) | ((reg & 7) << 3) | (rm & 7);
}

interface VexFields {
  /** Register in ModRM.reg (0-15): its bit 3 becomes R̄. */
  reg: number;
  /** Register in ModRM.rm when mod=11 (0-15): its bit 3 becomes B̄. 0 for a memory operand based on rdi. */
  rm: number;
  /** The extra source register (0-15), or undefined for none (vvvv = 1111). */
  vvvv?: number;
  /** Vector length: 0 for 128 bits (xmm), 1 for 256 bits (ymm). */
  l: 0 | 1;
  pp: number;
  map: number;
  /** REX.W's place in VEX; 0 for every instruction here (W0 or WIG). */
  w?: 0 | 1;
}

/**
 * The VEX prefix. Register extension bits and vvvv are stored inverted (1 = register 0-7, vvvv = 1111 for
 * no register), so that the prefix's first bytes could never be read as a valid 32-bit-mode instruction.
 *
 *   2-byte form: C5 [R̄ v̄v̄v̄v̄ L pp]                    when B̄ = X̄ = 1, W = 0 and the map is 0F
 *   3-byte form: C4 [R̄ X̄ B̄ m-mmmm] [W v̄v̄v̄v̄ L pp]     otherwise
 *
 * X̄ (an index register's bit 3) is always 1: no operand here has an index register.
 */
function vex({ reg, rm, vvvv, l, pp, map, w = 0 }: VexFields): number[] {
  const rBar = (~reg >> 3) & 1;
  const xBar = 1;
  const bBar = (~rm >> 3) & 1;
  const vBar = vvvv === undefined ? 0b1111 : ~vvvv & 0b1111;
  const tail = (vBar << 3) | (l << 2) | pp;
  if (bBar === 1 && w === 0 && map === MAP.x0F) return [0xc5, (rBar << 7) | tail];
  return [0xc4, (rBar << 7) | (xBar << 6) | (bBar << 5) | map, (w << 7) | tail];
}

/**
 * REX for a legacy SSE instruction, or nothing: 0100 W R X B with R = bit 3 of ModRM.reg's register and
 * B = bit 3 of ModRM.rm's. Only needed, and only emitted, for registers 8-15.
 */
function rexFor(reg: number, rm: number): number[] {
  const r = (reg >> 3) & 1;
  const b = (rm >> 3) & 1;
  return r === 0 && b === 0 ? [] : [0x40 | (r << 2) | b];
}

// SSE2: four int32 lanes in an xmm register.

/** `movd xmm, r32` = 66 [REX] 0F 6E /r (MOVD xmm, r/m32): the mandatory 66 selects the xmm form over MMX's;
 * ModRM mod=11, reg = the xmm register, rm = the general-purpose one. Zeroes the xmm's lanes 1-3. */
export function movdXmmR32(xmm: number, r32: R32): number[] {
  assertVectorRegister(xmm, 'xmm');
  assertInRange(r32, 0, 7, 'r32');
  return [0x66, ...rexFor(xmm, r32), 0x0f, 0x6e, modrmRegisters(xmm, r32)];
}

/** `pshufd xmm, xmm, imm8` = 66 [REX] 0F 70 /r ib: each 2-bit field of imm8, lowest first, picks the source
 * lane for one destination lane; order 0 copies lane 0 to all four, a broadcast. */
export function pshufdXmmXmmImm8(destination: number, source: number, order: number): number[] {
  assertVectorRegister(destination, 'destination xmm');
  assertVectorRegister(source, 'source xmm');
  assertInRange(order, 0, 255, 'imm8');
  return [0x66, ...rexFor(destination, source), 0x0f, 0x70, modrmRegisters(destination, source), order];
}

/** `movdqu xmm, [rdi + disp8]` = F3 [REX] 0F 6F /r: F3 selects the unaligned load (66 would be movdqa,
 * which faults on an address that is not a multiple of 16; the caller's array need not be). */
export function movdquXmmAtRdi(xmm: number, disp: number): number[] {
  assertVectorRegister(xmm, 'xmm');
  return [0xf3, ...rexFor(xmm, 0), 0x0f, 0x6f, ...modrmAtRdi(xmm & 7, disp)];
}

/** `movdqu [rdi + disp8], xmm` = F3 [REX] 0F 7F /r: the unaligned store, 7F being 6F's reverse direction. */
export function movdquAtRdiXmm(disp: number, xmm: number): number[] {
  assertVectorRegister(xmm, 'xmm');
  return [0xf3, ...rexFor(xmm, 0), 0x0f, 0x7f, ...modrmAtRdi(xmm & 7, disp)];
}

/** `paddd xmm, xmm` = 66 [REX] 0F FE /r: adds four int32 lanes, each wrapping around at 32 bits like `add
 * eax, edi`. Register to register only: paddd's memory form requires 16-byte alignment. */
export function padddXmmXmm(destination: number, source: number): number[] {
  assertVectorRegister(destination, 'destination xmm');
  assertVectorRegister(source, 'source xmm');
  return [0x66, ...rexFor(destination, source), 0x0f, 0xfe, modrmRegisters(destination, source)];
}

// AVX2: eight int32 lanes in a ymm register.

/** `vmovd xmm, r32` = VEX.128.66.0F.W0 6E /r: movd's VEX form, which also zeroes bits 128-255 of the ymm.
 * VEX: L=0, pp=01 (66), map 0F, no vvvv; ModRM mod=11, reg = the xmm register, rm = the general one. */
export function vmovdXmmR32(xmm: number, r32: R32): number[] {
  assertVectorRegister(xmm, 'xmm');
  assertInRange(r32, 0, 7, 'r32');
  return [...vex({ reg: xmm, rm: r32, l: 0, pp: PP.x66, map: MAP.x0F }), 0x6e, modrmRegisters(xmm, r32)];
}

/** `vpbroadcastd ymm, xmm` = VEX.256.66.0F38.W0 58 /r: copies the source's lane 0 to all eight lanes. Map
 * 0F38 needs the three-byte VEX form: C4, [R̄ X̄ B̄ 00010], [W=0 1111 L=1 01]. */
export function vpbroadcastdYmmXmm(ymm: number, xmm: number): number[] {
  assertVectorRegister(ymm, 'ymm');
  assertVectorRegister(xmm, 'xmm');
  return [...vex({ reg: ymm, rm: xmm, l: 1, pp: PP.x66, map: MAP.x0F38 }), 0x58, modrmRegisters(ymm, xmm)];
}

/** `vpaddd ymm, ymm, [rdi + disp8]` = VEX.256.66.0F.WIG FE /r with a memory operand: adds eight int32s
 * loaded from memory to the first source. Under VEX the memory operand may be unaligned, so this one
 * instruction does the work of a vmovdqu load and a vpaddd. VEX: L=1, pp=01 (66), vvvv = the first
 * source; ModRM reg = the destination, mod and rm = [rdi + disp] (modrmAtRdi). */
export function vpadddYmmYmmAtRdi(destination: number, first: number, disp: number): number[] {
  assertVectorRegister(destination, 'destination ymm');
  assertVectorRegister(first, 'first source ymm');
  return [
    ...vex({ reg: destination, rm: 0, vvvv: first, l: 1, pp: PP.x66, map: MAP.x0F }),
    0xfe,
    ...modrmAtRdi(destination & 7, disp),
  ];
}

/** `vmovdqu [rdi + disp8], ymm` = VEX.256.F3.0F.WIG 7F /r: the unaligned 32-byte store. VEX: L=1, pp=10
 * (F3), map 0F, no vvvv, so the two-byte form C5 [R̄ 1111 1 10]; then ModRM and disp8 as modrmAtRdi. */
export function vmovdquAtRdiYmm(disp: number, ymm: number): number[] {
  assertVectorRegister(ymm, 'ymm');
  return [...vex({ reg: ymm, rm: 0, l: 1, pp: PP.xF3, map: MAP.x0F }), 0x7f, ...modrmAtRdi(ymm & 7, disp)];
}

/** `vzeroupper` = VEX.128.0F.WIG 77 = C5 F8 77: zeroes bits 128-255 of every ymm register. Code that used
 * them runs it before returning, so that the caller's legacy SSE code pays no state-transition penalty. */
export function vzeroupper(): number[] {
  return [...vex({ reg: 0, rm: 0, l: 0, pp: PP.none, map: MAP.x0F }), 0x77];
}
