/**
 * A64 machine code explained word by word: each 32-bit instruction word split into the bit fields of its
 * form (forms.ts), with names, values and plain-language meanings, its text and what it does. Pure and
 * self-contained: it decodes only the forms babyjit's arm64 pages are made of, and says so plainly of any
 * other word instead of guessing. Its text is held to capstone's decoding in the tests.
 */
import { type FieldValues, FORMS, type Form } from './forms.js';

export interface ExplainedField {
  /** As the Arm ARM names it ('sf', 'hw', 'imm16', 'Rd'), or 'fixed' for literal bits it does not name. */
  name: string;
  /** The field's bits in the word: from bit `high` down to bit `low`. */
  high: number;
  low: number;
  /** The bits as written, most significant first. */
  bits: string;
  value: number;
  /** Whether the form fixes these bits (they say which instruction this is) or they hold an operand. */
  fixed: boolean;
  meaning: string;
}

export interface ExplainedWord {
  /** Offset of the word from the start of the code. */
  offset: number;
  /** The word in hexadecimal, most significant digit first: `d65f03c0`. */
  word: string;
  /** The word's bytes as they lie in memory, little-endian: `c0 03 5f d6`. */
  bytes: string;
  /** The Arm ARM heading of its encoding ('MOVZ (32-bit)'), or undefined for a word this file does not know. */
  heading: string | undefined;
  /** e.g. `mov w9, #0xa675`; `.inst 0x12345678` for an unknown word, as assemblers write raw words. */
  text: string;
  operation: string;
  /** From bit 31 down to bit 0, tiling the word. */
  fields: ExplainedField[];
}

const fieldValue = (word: number, high: number, low: number) =>
  Number((BigInt(word) >> BigInt(low)) & ((1n << BigInt(high - low + 1)) - 1n));

/** A form's mask and match, from the bits its fields fix. */
function recogniser(form: Form): { mask: number; match: number } {
  let mask = 0;
  let match = 0;
  for (const { high, low, fixed } of form.fields) {
    if (fixed === undefined) continue;
    const width = high - low + 1;
    const fieldMask = width === 32 ? 0xffffffff : (2 ** width - 1) * 2 ** low;
    mask = (mask | fieldMask) >>> 0;
    match = (match | (Number.parseInt(fixed, 2) * 2 ** low)) >>> 0;
  }
  return { mask, match };
}

const RECOGNISED = FORMS.map((form) => ({ form, ...recogniser(form) }));

const hex8 = (word: number) => word.toString(16).padStart(8, '0');

/** The form of `word`, with its field values, or undefined if it is none of FORMS. */
export function formOf(word: number): { form: Form; values: FieldValues } | undefined {
  for (const { form, mask, match } of RECOGNISED) {
    if ((word & mask) >>> 0 !== match) continue;
    const values: Record<string, number> = {};
    for (const { name, high, low, fixed } of form.fields)
      if (fixed === undefined) values[name] = fieldValue(word, high, low);
    if (form.accepts === undefined || form.accepts(values)) return { form, values };
  }
  return undefined;
}

/** Explains the word `word` found at `offset` (branch targets are given as offsets in the same code). */
export function explainWord(word: number, offset: number): ExplainedWord {
  const bytes = [0, 8, 16, 24].map((shift) => hex8(word >>> shift).slice(6)).join(' ');
  const known = formOf(word);
  if (known === undefined) {
    return {
      offset,
      word: hex8(word),
      bytes,
      heading: undefined,
      text: `.inst 0x${hex8(word)}`,
      operation: 'not one of the instructions babyjit emits: left undescribed rather than guessed',
      fields: [
        {
          name: 'word',
          high: 31,
          low: 0,
          bits: word.toString(2).padStart(32, '0'),
          value: word,
          fixed: false,
          meaning: 'unknown',
        },
      ],
    };
  }
  const { form, values } = known;
  return {
    offset,
    word: hex8(word),
    bytes,
    heading: form.heading,
    text: form.text(values, offset),
    operation: form.operation(values, offset),
    fields: form.fields.map(({ name, high, low, fixed, meaning }) => {
      const value = fieldValue(word, high, low); // by position: several fields may be named 'fixed'
      return {
        name,
        high,
        low,
        bits: value.toString(2).padStart(high - low + 1, '0'),
        value,
        fixed: fixed !== undefined,
        meaning: meaning(value, values),
      };
    }),
  };
}

/** Explains every word of `code` (its length a multiple of 4, each word little-endian). */
export function explainCode(code: Uint8Array): ExplainedWord[] {
  if (code.length % 4 !== 0) throw new RangeError(`A64 code is whole 4-byte words, got ${code.length} bytes`);
  const view = new DataView(code.buffer, code.byteOffset, code.byteLength);
  return Array.from({ length: code.length / 4 }, (_, index) =>
    explainWord(view.getUint32(4 * index, true), 4 * index),
  );
}
