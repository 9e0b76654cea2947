/**
 * Where a page's term-dependent immediates sit, in a shape that fits both architectures. On x86-64 the
 * term's immediate is four contiguous bytes; on A64 a 32-bit constant cannot be one field of a 32-bit
 * instruction, so it is split into two 16-bit halves, each the imm16 field (bits 5-20) of a `movz` or
 * `movk` word. Both are described by one slice: `width` bits of the value, from bit `valueShift` on, held
 * in bits `fieldShift` to `fieldShift + width - 1` of the little-endian 32-bit word at byte `offset`.
 *
 *   x86-64 `mov eax, imm32`: { offset: at the imm32, valueShift: 0,  fieldShift: 0, width: 32 }
 *   A64 `movz w9, #lo`:      { offset: the word,     valueShift: 0,  fieldShift: 5, width: 16 }
 *   A64 `movk w9, #hi, lsl #16`: { offset: the word, valueShift: 16, fieldShift: 5, width: 16 }
 *
 * The functions here write a value into its slices and read it back out of code; they know no
 * instruction set, so the generic core could use them for every target.
 */
import type { ImmediateKind } from '../target.js';

export type { ImmediateKind };

export interface ImmediateSlice {
  /** Byte offset, from the start of the code, of the little-endian 32-bit word that holds the slice. */
  readonly offset: number;
  readonly kind: ImmediateKind;
  /** The value's lowest bit that this slice holds: 0 for the low half, 16 for the high half. */
  readonly valueShift: number;
  /** Where those bits start in the word: 5 for an A64 imm16. */
  readonly fieldShift: number;
  /** How many bits: 16 for an A64 imm16, 32 for an x86 imm32. */
  readonly width: number;
}

const mask = (width: number) => (width === 32 ? 0xffffffff : (1 << width) - 1);

function readWord(code: Uint8Array, offset: number): number {
  return (
    ((code[offset] as number) |
      ((code[offset + 1] as number) << 8) |
      ((code[offset + 2] as number) << 16) |
      ((code[offset + 3] as number) << 24)) >>>
    0
  );
}

function writeWord(code: Uint8Array, offset: number, value: number): void {
  code[offset] = value & 0xff;
  code[offset + 1] = (value >>> 8) & 0xff;
  code[offset + 2] = (value >>> 16) & 0xff;
  code[offset + 3] = value >>> 24;
}

/** Writes `value`'s bits for `slice` into `code`, leaving the word's other bits as they are. */
export function writeSlice(code: Uint8Array, slice: ImmediateSlice, value: number): void {
  const fieldMask = mask(slice.width);
  const bits = (value >>> slice.valueShift) & fieldMask;
  const cleared = readWord(code, slice.offset) & ~(fieldMask << slice.fieldShift);
  writeWord(code, slice.offset, (cleared | (bits << slice.fieldShift)) >>> 0);
}

/**
 * The int32 that `code` holds as `kind`, assembled from every slice of that kind; undefined if the code
 * has none. Throws if two slices of the kind give the same bits of the value different contents (two
 * entry points that load the term differently), or if the slices leave some of its 32 bits unheld.
 */
export function readImmediate(
  code: Uint8Array,
  slices: readonly ImmediateSlice[],
  kind: ImmediateKind,
): number | undefined {
  let value = 0;
  let held = 0;
  let found = false;
  for (const slice of slices) {
    if (slice.kind !== kind) continue;
    found = true;
    const bits =
      ((readWord(code, slice.offset) >>> slice.fieldShift) & mask(slice.width)) << slice.valueShift;
    const bitsMask = (mask(slice.width) << slice.valueShift) >>> 0;
    if (((value ^ bits) & held & bitsMask) !== 0)
      throw new Error(`the ${kind} immediates of this code disagree (at offset ${slice.offset})`);
    value |= bits;
    held = (held | bitsMask) >>> 0;
  }
  if (!found) return undefined;
  if (held !== 0xffffffff) throw new Error(`the ${kind} immediates of this code hold only some of its bits`);
  return value | 0;
}
