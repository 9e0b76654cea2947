/**
 * A64 code being put together from the encoders' words: labels that branches jump to, resolved once the
 * code is complete, and a record of where each term-dependent imm16 sits (a slice, target.ts), so that
 * the page template can be patched and the blinding read back without offsets counted by hand.
 */
import type { ImmediateKind, ImmediateSlice } from '../target.js';
import { wordBytes } from './instructions.js';

/** A place in the code, bound once; branches may refer to it before it is bound. */
export interface Label {
  offset: number | undefined;
}

interface Branch {
  /** Index of the branch's word. */
  index: number;
  encode: (offset: number) => number;
  target: Label;
}

/** Where an A64 move-wide instruction keeps its 16-bit immediate: bits 5 to 20 of the word. */
const IMM16_SHIFT = 5;

export class CodeBuffer {
  readonly #words: number[] = [];
  readonly #slices: ImmediateSlice[] = [];
  readonly #branches: Branch[] = [];

  /** Bytes emitted so far. */
  get length(): number {
    return this.#words.length * 4;
  }

  emit(...instructions: number[]): this {
    this.#words.push(...instructions);
    return this;
  }

  /**
   * Emits a `movz` or `movk` whose imm16 holds bits 16 × `half` to 16 × `half` + 15 of `kind`'s value
   * (half 0 with hw = 0, half 1 with hw = 1: the instruction's own shift and the slice agree).
   */
  emitImmediateHalf(instruction: number, kind: ImmediateKind, half: 0 | 1): this {
    this.#slices.push({
      offset: this.length,
      kind,
      valueShift: 16 * half,
      fieldShift: IMM16_SHIFT,
      width: 16,
    });
    return this.emit(instruction);
  }

  label(): Label {
    return { offset: undefined };
  }

  /** Binds `label` to the current end of the code. */
  bind(label: Label): this {
    if (label.offset !== undefined) throw new Error('label bound twice');
    label.offset = this.length;
    return this;
  }

  /**
   * Emits a branch to `target`, encoded by `encode(offset)` (e.g. `(offset) => bCond(Condition.ne,
   * offset)`), the offset counting in bytes from the branch itself as A64 does. Encoded when the code is
   * finished; the encoder then refuses an offset out of its range.
   */
  branch(encode: (offset: number) => number, target: Label): this {
    this.#branches.push({ index: this.#words.length, encode, target });
    return this.emit(encode(0));
  }

  /** The finished code (each word little-endian) and its immediate slices. Every branch's label must be bound. */
  finish(): { code: Uint8Array; slices: ImmediateSlice[] } {
    const words = this.#words.slice();
    for (const { index, encode, target } of this.#branches) {
      if (target.offset === undefined)
        throw new Error(`the branch at offset ${index * 4} has an unbound label`);
      words[index] = encode(target.offset - index * 4);
    }
    return {
      code: Uint8Array.from(words.flatMap(wordBytes)),
      slices: this.#slices.map((slice) => ({ ...slice })),
    };
  }
}
