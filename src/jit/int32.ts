/**
 * The adder's arithmetic domain. The machine code works on 32-bit two's-complement integers, so every
 * term and input is checked against this range before it can reach a page; nothing is silently truncated.
 */
import { InputError } from './errors.js';

export const INT32_MIN = -2_147_483_648;
export const INT32_MAX = 2_147_483_647;

/**
 * The canonical decimal form that the CLI and the HTTP routes accept: digits without a leading zero, and a
 * minus before a negative number only, so that every int32 has exactly one spelling (`007`, `-0`, `+5` are
 * refused).
 */
export const DECIMAL_INTEGER_PATTERN = '^(0|-?[1-9][0-9]*)$';
/** How the canonical form is put to a client who wrote something else. */
export const DECIMAL_INTEGER_RULE = 'digits without a leading zero, with a minus for a negative number';
const decimalInteger = new RegExp(DECIMAL_INTEGER_PATTERN);

export function isInt32(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX;
}

/** Throws a RangeError naming `field` unless `value` is an integer within int32. */
export function assertInt32(value: unknown, field: string): asserts value is number {
  if (!isInt32(value)) {
    throw new RangeError(
      `${field} must be an integer from ${INT32_MIN} to ${INT32_MAX}, got ${String(value)}`,
    );
  }
}

/** Client text quoted in an error message is cut to this many characters, so an answer never echoes much. */
export const QUOTED_INPUT_LENGTH = 24;

/** `text` for an error message: cut short with an ellipsis if it is longer than `length`. */
export function excerpt(text: string, length = QUOTED_INPUT_LENGTH): string {
  if (text.length <= length) return text;
  // Never half a character: a cut after the first half of a surrogate pair leaves both out.
  const last = text.charCodeAt(length - 1);
  return `${text.slice(0, last >= 0xd800 && last <= 0xdbff ? length - 1 : length)}…`;
}

/**
 * Parses canonical decimal text ("-4", "2147483647") into an int32. Rejects what Number() would let
 * through ("1e3", "0x10", "5.0", " 5", "", "007", "-0") and anything outside int32, with an InputError
 * naming `field`.
 */
export function parseDecimalInt32(text: string, field: string): number {
  if (!decimalInteger.test(text)) {
    throw new InputError(
      field,
      `${field} must be a decimal integer (${DECIMAL_INTEGER_RULE}), got ${JSON.stringify(excerpt(text))}`,
    );
  }
  const value = Number(text);
  if (!isInt32(value)) {
    throw new InputError(field, `${field} must be from ${INT32_MIN} to ${INT32_MAX}, got ${excerpt(text)}`);
  }
  return value;
}

/** What the generated code computes for term + x: the low 32 bits, read as a signed integer. */
export function wrappingAdd(term: number, x: number): number {
  return (term + x) | 0;
}

/**
 * The four bytes of `value` (an int32, or a uint32 such as an instruction word) in the order memory holds
 * them on both architectures the JIT generates for: little-endian.
 */
export function littleEndian32(value: number): number[] {
  return [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff];
}

/** The little-endian 32-bit word at `offset` of `bytes`, unsigned. */
export function readUint32LE(bytes: Uint8Array, offset: number): number {
  return (
    ((bytes[offset] as number) |
      ((bytes[offset + 1] as number) << 8) |
      ((bytes[offset + 2] as number) << 16) |
      ((bytes[offset + 3] as number) << 24)) >>>
    0
  );
}

/** Writes `value`'s low 32 bits at `offset` of `bytes`, little-endian. */
export function writeUint32LE(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value & 0xff;
  bytes[offset + 1] = (value >>> 8) & 0xff;
  bytes[offset + 2] = (value >>> 16) & 0xff;
  bytes[offset + 3] = (value >>> 24) & 0xff;
}
