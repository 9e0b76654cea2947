/**
 * A64 instruction encoders: pure functions from operands to one 32-bit instruction word. Every A64
 * instruction is exactly one word, stored little-endian and 4-byte aligned, so an encoder returns a number
 * (0 to 2^32 - 1) and code-buffer.ts lays the words out as bytes. Each encoder is named after the one
 * instruction it emits, and its comment draws the word's fields from bit 31 down to bit 0, as the Arm
 * Architecture Reference Manual (Arm ARM, DDI 0487, section C6 for the general-purpose instructions) draws
 * them, so that a word can be checked by eye without running anything.
 *
 * Field names as the Arm ARM writes them: sf (size flag: 0 = 32-bit W registers, 1 = 64-bit X registers),
 * op/S/opc (which operation of a class, and whether it sets the condition flags NZCV), hw (which 16-bit
 * half a move writes), imm<n> (an immediate of n bits), Rd/Rn/Rm/Rt (destination, first and second source,
 * transferred register: 5 bits each, register 0 to 31).
 */

/**
 * A general-purpose register as an operand: its number (0-30) and the width the instruction works at. A64
 * has one set of 31 registers; `w9` is the low 32 bits of `x9`, and writing a W register zeroes the upper
 * 32 bits of the X register. Number 31 means the stack pointer in some fields and the zero register in
 * others; no code here needs either, so the encoders refuse it rather than let a field mean the wrong one.
 */
export interface GeneralRegister {
  readonly number: number;
  readonly width: 32 | 64;
}

/** Throws unless `value` is an integer from `min` to `max`; `field` names it in the message. */
export function assertInRange(value: number, min: number, max: number, field: string): void {
  if (!Number.isInteger(value) || value < min || value > max)
    throw new RangeError(`${field} must be an integer from ${min} to ${max}, got ${value}`);
}

function register(number: number, width: 32 | 64): GeneralRegister {
  assertInRange(number, 0, 30, 'register number');
  return Object.freeze({ number, width });
}

/** `w<number>`: the register's low 32 bits. */
export const w = (number: number): GeneralRegister => register(number, 32);
/** `x<number>`: the whole 64-bit register. */
export const x = (number: number): GeneralRegister => register(number, 64);

/** The sf bit of an instruction whose registers all have the same width: 0 for W, 1 for X. */
function sizeFlag(first: GeneralRegister, ...others: GeneralRegister[]): number {
  if (others.some((operand) => operand.width !== first.width))
    throw new RangeError('the registers of one instruction must all be W registers or all X registers');
  return first.width === 64 ? 1 : 0;
}

/** Throws unless `register` is an X register: an address or a count of elements is 64 bits. */
function assertX(register: GeneralRegister, field: string): void {
  if (register.width !== 64) throw new RangeError(`${field} must be an X register`);
}

/** A number as the unsigned 32-bit word it encodes (JS bitwise operators yield signed int32s). */
const word = (bits: number): number => bits >>> 0;

/**
 * Move wide, 32-bit: `movz`/`movk Wd, #imm16, lsl #(16 × hw)`. C6.2 "MOVZ", "MOVK":
 *
 *   31   | 30-29 | 28-23  | 22-21 | 20-5  | 4-0
 *   sf=0 |  opc  | 100101 |  hw   | imm16 | Rd
 *
 * sf = 0: a W register. opc = 10 for MOVZ (the other bits of Rd become zero), 11 for MOVK (they are kept).
 * hw picks the 16-bit half: 0 for bits 0-15, 1 for bits 16-31 (2 and 3, the upper halves of an X register,
 * are not allowed with sf = 0). Two words, a movz of the low half and a movk of the high half, put any
 * 32-bit constant in a W register; the pages load nothing wider, so X registers are refused.
 */
function moveWide(opc: number, rd: GeneralRegister, imm16: number, hw: number): number {
  if (rd.width !== 32) throw new RangeError('a move-wide destination must be a W register');
  assertInRange(imm16, 0, 0xffff, 'imm16');
  assertInRange(hw, 0, 1, 'hw');
  return word((opc << 29) | (0b100101 << 23) | (hw << 21) | (imm16 << 5) | rd.number);
}

/** `movz Rd, #imm16, lsl #(16 × hw)`: Rd = imm16 << 16·hw, every other bit zero (see moveWide). */
export const movz = (rd: GeneralRegister, imm16: number, hw: number): number => moveWide(0b10, rd, imm16, hw);

/** `movk Rd, #imm16, lsl #(16 × hw)`: replaces one 16-bit half of Rd, keeping the rest (see moveWide). */
export const movk = (rd: GeneralRegister, imm16: number, hw: number): number => moveWide(0b11, rd, imm16, hw);

/**
 * Arithmetic and logic on registers (C6.2 "ADD (shifted register)", "EOR (shifted register)"):
 * Rd = Rn op (Rm shifted by imm6). The shift is always LSL #0 here, so Rm is used as it is.
 *
 *         31 | 30 | 29 | 28-24 | 23-22 | 21 | 20-16 | 15-10 | 9-5 | 4-0
 *   ADD:  sf | op | S  | 01011 | shift | 0  |  Rm   | imm6  | Rn  | Rd      op = 0 (add), S = 0 (no flags)
 *   EOR:  sf |  opc=10 | 01010 | shift | N  |  Rm   | imm6  | Rn  | Rd      opc = 10 (exclusive or)
 *
 * `opcodeBits` holds bits 30-24. shift = 00 (LSL) and imm6 = 0 (by nothing); EOR's N = 0 uses Rm itself
 * (1 would use its complement: EON).
 */
function registerForm(
  opcodeBits: number,
  rd: GeneralRegister,
  rn: GeneralRegister,
  rm: GeneralRegister,
): number {
  const shift = 0b00;
  const imm6 = 0;
  return word(
    (sizeFlag(rd, rn, rm) << 31) |
      opcodeBits |
      (shift << 22) |
      (rm.number << 16) |
      (imm6 << 10) |
      (rn.number << 5) |
      rd.number,
  );
}

/** `add Rd, Rn, Rm`: bits 30-24 = 0 0 01011 (op = 0 add, S = 0 flags untouched). A 32-bit add wraps around at
 * 32 bits by itself, like x86's `add eax, edi`. `add w0, w0, w9` = 0x0b090000. */
export const addRegister = (rd: GeneralRegister, rn: GeneralRegister, rm: GeneralRegister): number =>
  registerForm(0b0001011 << 24, rd, rn, rm);

/** `eor Rd, Rn, Rm`: bits 30-24 = 10 01010 (opc = 10, exclusive or), bit 21 N = 0. */
export const eorRegister = (rd: GeneralRegister, rn: GeneralRegister, rm: GeneralRegister): number =>
  registerForm(0b1001010 << 24, rd, rn, rm);

/**
 * Add and subtract with an immediate (C6.2 "ADD (immediate)", "SUBS (immediate)"): Rd = Rn ± imm12.
 *
 *   31 | 30 | 29 | 28-23  | 22 | 21-10 | 9-5 | 4-0
 *   sf | op | S  | 100010 | sh | imm12 | Rn  | Rd
 *
 * op = 0 adds, 1 subtracts; S = 1 sets the flags NZCV from the result; sh = 1 would shift imm12 left by 12
 * (always 0 here: the strides and counts are small).
 */
function addSubtractImmediate(
  op: number,
  s: number,
  rd: GeneralRegister,
  rn: GeneralRegister,
  imm12: number,
): number {
  assertInRange(imm12, 0, 0xfff, 'imm12');
  const sh = 0;
  return word(
    (sizeFlag(rd, rn) << 31) |
      (op << 30) |
      (s << 29) |
      (0b100010 << 23) |
      (sh << 22) |
      (imm12 << 10) |
      (rn.number << 5) |
      rd.number,
  );
}

/** `add Rd, Rn, #imm12` (op = 0, S = 0): the flags are left as they were. */
export const addImmediate = (rd: GeneralRegister, rn: GeneralRegister, imm12: number): number =>
  addSubtractImmediate(0, 0, rd, rn, imm12);

/** `subs Rd, Rn, #imm12` (op = 1, S = 1): also sets the flags, so that a `b.cond` can follow. For an
 * unsigned count, C = 1 ("hs") after it means no borrow, Rn ≥ imm12; C = 0 ("lo") means Rn < imm12. */
export const subsImmediate = (rd: GeneralRegister, rn: GeneralRegister, imm12: number): number =>
  addSubtractImmediate(1, 1, rd, rn, imm12);

/**
 * Branches to a register (C6.2 "BR", "RET"): unconditional, to the address in Rn.
 *
 *   31-25   | 24-21 | 20-16 | 15-10  | 9-5 | 4-0
 *   1101011 |  opc  | 11111 | 000000 | Rn  | 00000
 *
 * opc = 0000 BR (a plain jump), 0010 RET (the same jump, hinting to the CPU's return-address predictor
 * that this returns from a call). Neither writes x30, the link register.
 */
function branchToRegister(opc: number, rn: GeneralRegister): number {
  assertX(rn, 'the branch target');
  return word((0b1101011 << 25) | (opc << 21) | (0b11111 << 16) | (rn.number << 5));
}

/** `br Rn`: jumps to Rn, x30 untouched. `br x1` = 0xd61f0020, `br x2` = 0xd61f0040. */
export const br = (rn: GeneralRegister): number => branchToRegister(0b0000, rn);

/** `ret`: returns to the address in x30, which the caller's `bl`/`blr` set. `ret` = 0xd65f03c0. */
export const ret = (): number => branchToRegister(0b0010, x(30));

/**
 * `udf #imm16` (C6.2 "UDF"): permanently undefined, bits 31-16 all zero and imm16 ignored by the CPU.
 * Executing it raises an Undefined Instruction exception, which Linux delivers as SIGILL: padding between
 * entry points that stops any jump into it. `udf #0` is the all-zero word, so memory fresh from mmap
 * (zeros) traps the same way.
 */
export function udf(imm16: number): number {
  assertInRange(imm16, 0, 0xffff, 'imm16');
  return imm16;
}

/** The four bytes of an instruction word as it lies in memory, least significant first. */
export function wordBytes(instruction: number): number[] {
  return [instruction & 0xff, (instruction >>> 8) & 0xff, (instruction >>> 16) & 0xff, instruction >>> 24];
}

/**
 * Condition codes (Arm ARM C1.2.4), the 4-bit cond of `b.cond`: each tests the flags NZCV. Unsigned
 * comparisons of counts use hs (C = 1, "higher or same") and lo (C = 0, "lower").
 */
export const Condition = {
  eq: 0b0000,
  ne: 0b0001,
  hs: 0b0010,
  lo: 0b0011,
  mi: 0b0100,
  pl: 0b0101,
  vs: 0b0110,
  vc: 0b0111,
  hi: 0b1000,
  ls: 0b1001,
  ge: 0b1010,
  lt: 0b1011,
  gt: 0b1100,
  le: 0b1101,
  al: 0b1110,
} as const;
export type Condition = (typeof Condition)[keyof typeof Condition];

/**
 * The 19-bit word offset of a branch, from a byte offset: counted from the branch itself (not from the
 * next instruction, as on x86), a multiple of 4, so that ±1 MiB fits in 19 signed bits of words.
 */
function imm19(offset: number): number {
  if (!Number.isInteger(offset) || offset % 4 !== 0)
    throw new RangeError(`a branch offset must be a multiple of 4 bytes, got ${offset}`);
  assertInRange(offset / 4, -(2 ** 18), 2 ** 18 - 1, 'branch offset in words');
  return (offset / 4) & 0x7ffff;
}

/**
 * `b.cond offset` (C6.2 "B.cond"): branches `offset` bytes from itself if cond holds.
 *
 *   31-25   | 24 | 23-5  | 4 | 3-0
 *   0101010 | o1=0 | imm19 | o0=0 | cond
 */
export function bCond(cond: Condition, offset: number): number {
  assertInRange(cond, 0, 0b1110, 'cond');
  return word((0b0101010 << 25) | (imm19(offset) << 5) | cond);
}

/**
 * `cbz Rt, offset` (C6.2 "CBZ"): branches `offset` bytes from itself if Rt is zero, flags untouched.
 *
 *   31 | 30-25  | 24    | 23-5  | 4-0
 *   sf | 011010 | op=0  | imm19 | Rt
 *
 * op = 1 would be CBNZ (branch if not zero).
 */
export function cbz(rt: GeneralRegister, offset: number): number {
  return word((sizeFlag(rt) << 31) | (0b011010 << 25) | (imm19(offset) << 5) | rt.number);
}

/**
 * `ldr Wt, [Xn, #offset]` (C6.2 "LDR (immediate)", unsigned offset): loads 32 bits from Xn + offset.
 *
 *   31-30   | 29-27 | 26 | 25-24 | 23-22  | 21-10 | 9-5 | 4-0
 *   size=10 |  111  | V=0 |  01   | opc=01 | imm12 | Rn  | Rt
 *
 * size = 10: 4 bytes; V = 0: a general-purpose register (1 would be a SIMD&FP one); bits 25-24 = 01:
 * unsigned offset form; opc = 01: load. imm12 counts in units of the size, so the offset is 4 × imm12.
 */
export function ldrImmediate(rt: GeneralRegister, rn: GeneralRegister, offset: number): number {
  if (rt.width !== 32) throw new RangeError('the loaded register must be a W register');
  assertX(rn, 'the base register');
  if (offset % 4 !== 0) throw new RangeError(`offset must be a multiple of 4, got ${offset}`);
  assertInRange(offset / 4, 0, 0xfff, 'offset / 4');
  return word(
    (0b10 << 30) |
      (0b111 << 27) |
      (0b01 << 24) |
      (0b01 << 22) |
      ((offset / 4) << 10) |
      (rn.number << 5) |
      rt.number,
  );
}

/**
 * `str Wt, [Xn], #imm9` (C6.2 "STR (immediate)", post-index): stores 32 bits at Xn, then Xn += imm9.
 *
 *   31-30   | 29-27 | 26  | 25-24 | 23-22  | 21 | 20-12 | 11-10 | 9-5 | 4-0
 *   size=10 |  111  | V=0 |  00   | opc=00 | 0  | imm9  |  01   | Rn  | Rt
 *
 * opc = 00: store; bits 11-10 = 01: post-index (11 would be pre-index); imm9 is a signed byte count,
 * -256 to 255, applied to Xn after the store.
 */
export function strPostIndex(rt: GeneralRegister, rn: GeneralRegister, imm9: number): number {
  if (rt.width !== 32) throw new RangeError('the stored register must be a W register');
  assertX(rn, 'the base register');
  assertInRange(imm9, -256, 255, 'imm9');
  return word(
    (0b10 << 30) | (0b111 << 27) | ((imm9 & 0x1ff) << 12) | (0b01 << 10) | (rn.number << 5) | rt.number,
  );
}
