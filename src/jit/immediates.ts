/**
 * Reading and writing a page's term-dependent immediates through their slices (target.ts describes the
 * shape: bits of a value held in a field of a 32-bit word), for every architecture: the page template
 * writes a term into a copy of its code this way, and the registry reads a blinded page's key back.
 */
import { readUint32LE, writeUint32LE } from './int32.js';
import type { ImmediateKind, ImmediateSlice } from './target.js';

const mask = (width: number) => (width === 32 ? 0xffffffff : (1 << width) - 1);

/** Writes `value`'s bits for `slice` into `code`, leaving the word's other bits as they are. */
export function writeSlice(code: Uint8Array, slice: ImmediateSlice, value: number): void {
  // A whole word (x86's imm32) needs no read: every compile writes some.
  if (slice.width === 32) {
    writeUint32LE(code, slice.offset, value);
    return;
  }
  const fieldMask = mask(slice.width);
  const bits = (value >>> slice.valueShift) & fieldMask;
  const cleared = readUint32LE(code, slice.offset) & ~(fieldMask << slice.fieldShift);
  writeUint32LE(code, slice.offset, cleared | (bits << slice.fieldShift));
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
      ((readUint32LE(code, slice.offset) >>> slice.fieldShift) & mask(slice.width)) << slice.valueShift;
    const bitsMask = (mask(slice.width) << slice.valueShift) >>> 0;
    if (((value ^ bits) & held & bitsMask) !== 0)
      throw new Error(`the ${kind} immediates of this code disagree (at offset ${slice.offset})`);
    value = (value | bits) >>> 0;
    held = (held | bitsMask) >>> 0;
  }
  if (!found) return undefined;
  if (held !== 0xffffffff) throw new Error(`the ${kind} immediates of this code hold only some of its bits`);
  return value | 0;
}

/** The value a slice of `kind` holds in a page for `term` (and `key`, blinded). */
export function immediateValue(kind: ImmediateKind, term: number, key: number | undefined): number {
  if (kind === 'term') return term;
  if (key === undefined) throw new Error(`a ${kind} immediate in a page without a key`);
  return kind === 'key' ? key : term ^ key;
}
