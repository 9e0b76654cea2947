/**
 * Encoders of the Advanced SIMD (NEON) instructions the batch kernel uses, one per instruction, as in
 * instructions.ts. Advanced SIMD is part of every AArch64 CPU that runs Linux (the kernel's ABI requires
 * it), so no level needs a probe for it. Vector registers are numbers 0-31 (v0-v31, 128 bits each), and
 * every instruction here works on the arrangement 4S: four 32-bit lanes, which the encodings select with
 * Q = 1 (all 128 bits, not the low 64) and size = 10 (32-bit elements).
 */
import { assertInRange, type GeneralRegister } from './instructions.js';

/** Q = 1: the instruction works on all 128 bits of each vector register (0 would be the low 64, "2S"). */
const Q = 1;
/** size = 10: elements of 32 bits, the kernels' int32 lanes. */
const SIZE_32 = 0b10;

function assertVectorRegister(number: number, field: string): void {
  assertInRange(number, 0, 31, field);
}

/**
 * `dup Vd.4S, Wn` (C7.2 "DUP (general)"): copies a general-purpose register into every lane, a broadcast.
 *
 *   31 | 30 | 29   | 28-21    | 20-16 | 15 | 14-11      | 10 | 9-5 | 4-0
 *   0  | Q  | op=0 | 01110000 | imm5  | 0  | imm4=0001  | 1  | Rn  | Rd
 *
 * imm5's lowest set bit gives the element size: xxxx1 bytes, xxx10 halfwords, xx100 words (here: 00100),
 * x1000 doublewords. imm4 = 0001 selects DUP (general) among the copy instructions.
 */
export function dupGeneral(vd: number, rn: GeneralRegister): number {
  assertVectorRegister(vd, 'Vd');
  if (rn.width !== 32) throw new RangeError('the broadcast register must be a W register for 32-bit lanes');
  const imm5 = 0b00100;
  return (
    ((Q << 30) | (0b01110000 << 21) | (imm5 << 16) | (0b0001 << 11) | (1 << 10) | (rn.number << 5) | vd) >>> 0
  );
}

/**
 * `add Vd.4S, Vn.4S, Vm.4S` (C7.2 "ADD (vector)"): adds lane by lane, each wrapping around at 32 bits like
 * the scalar `add w0, w0, w9`.
 *
 *   31 | 30 | 29  | 28-24 | 23-22 | 21 | 20-16 | 15-11        | 10 | 9-5 | 4-0
 *   0  | Q  | U=0 | 01110 | size  | 1  | Rm    | opcode=10000 | 1  | Rn  | Rd
 *
 * U = 0 with opcode 10000 is ADD (U = 1 would be SUB).
 */
export function addVector(vd: number, vn: number, vm: number): number {
  assertVectorRegister(vd, 'Vd');
  assertVectorRegister(vn, 'Vn');
  assertVectorRegister(vm, 'Vm');
  return (
    ((Q << 30) |
      (0b01110 << 24) |
      (SIZE_32 << 22) |
      (1 << 21) |
      (vm << 16) |
      (0b10000 << 11) |
      (1 << 10) |
      (vn << 5) |
      vd) >>>
    0
  );
}

/**
 * The opcode field of LD1/ST1 (multiple structures) by the number of consecutive registers the list
 * holds: each register is loaded from (or stored to) the next 16 bytes, in order.
 */
const REGISTER_LIST_OPCODE: Record<number, number> = { 1: 0b0111, 2: 0b1010, 3: 0b0110, 4: 0b0010 };

/** The opcode for a list of `count` registers from `first` on; the list may not wrap past v31. */
function registerList(first: number, count: number): number {
  assertVectorRegister(first, 'first register of the list');
  assertInRange(count, 1, 4, 'registers in the list');
  assertInRange(first + count - 1, 0, 31, 'last register of the list');
  return REGISTER_LIST_OPCODE[count] as number;
}

function assertBase(rn: GeneralRegister): void {
  if (rn.width !== 64) throw new RangeError('the base register must be an X register');
}

/**
 * `ld1 {Vt.4S, ...}, [Xn]` (C7.2 "LD1 (multiple structures)", no offset): loads `count` registers, 16
 * bytes each, from consecutive memory at Xn. Xn need not be aligned: Linux runs user code with alignment
 * checking off, so only the element size's alignment could matter, and it does not for plain loads.
 *
 *   31 | 30 | 29-23   | 22  | 21-16  | 15-12  | 11-10 | 9-5 | 4-0
 *   0  | Q  | 0011000 | L=1 | 000000 | opcode | size  | Rn  | Rt
 *
 * L = 1 loads (0 stores); opcode = the register count (REGISTER_LIST_OPCODE); Rt = the list's first
 * register.
 */
export function ld1(first: number, count: number, rn: GeneralRegister): number {
  const opcode = registerList(first, count);
  assertBase(rn);
  return (
    ((Q << 30) |
      (0b0011000 << 23) |
      (1 << 22) |
      (opcode << 12) |
      (SIZE_32 << 10) |
      (rn.number << 5) |
      first) >>>
    0
  );
}

/**
 * `st1 {Vt.4S, ...}, [Xn], #(16 × count)` (C7.2 "ST1 (multiple structures)", post-index immediate): stores
 * `count` registers to consecutive memory at Xn, then advances Xn past them.
 *
 *   31 | 30 | 29-23   | 22  | 21 | 20-16    | 15-12  | 11-10 | 9-5 | 4-0
 *   0  | Q  | 0011001 | L=0 | 0  | Rm=11111 | opcode | size  | Rn  | Rt
 *
 * Bit 23 = 1: post-index. Rm = 11111 selects the immediate form, whose amount is not encoded: it is the
 * number of bytes transferred (16 per register); another Rm would add that register instead.
 */
export function st1PostIndex(first: number, count: number, rn: GeneralRegister): number {
  const opcode = registerList(first, count);
  assertBase(rn);
  return (
    ((Q << 30) |
      (0b0011001 << 23) |
      (0b11111 << 16) |
      (opcode << 12) |
      (SIZE_32 << 10) |
      (rn.number << 5) |
      first) >>>
    0
  );
}
