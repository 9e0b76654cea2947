/**
 * Machine code being put together from the encoders' bytes: labels that short branches jump to, resolved
 * once the code is complete, and a record of where each term-dependent immediate sits, so that the page
 * template can be patched and the blinding check can find them without offsets counted by hand.
 */

import type { ComposedPage, ImmediateKind, ImmediateSlice } from '../target.js';

/** A place in the code, bound once; branches may refer to it before it is bound. */
export interface Label {
  offset: number | undefined;
}

interface Branch {
  /** Offset of the branch instruction's first byte. */
  at: number;
  length: number;
  encode: (rel: number) => number[];
  target: Label;
}

export class CodeBuffer {
  readonly #bytes: number[] = [];
  readonly #slices: ImmediateSlice[] = [];
  readonly #branches: Branch[] = [];

  get length(): number {
    return this.#bytes.length;
  }

  emit(...instructions: number[][]): this {
    for (const instruction of instructions) this.#bytes.push(...instruction);
    return this;
  }

  /** Emits an instruction that ends in a 4-byte immediate holding `kind` (true of every x86 `op r, imm32`). */
  emitWithImmediate(instruction: number[], kind: ImmediateKind): this {
    this.emit(instruction);
    this.#slices.push({ offset: this.#bytes.length - 4, kind, valueShift: 0, fieldShift: 0, width: 32 });
    return this;
  }

  label(): Label {
    return { offset: undefined };
  }

  /** Binds `label` to the current end of the code. */
  bind(label: Label): this {
    if (label.offset !== undefined) throw new Error('label bound twice');
    label.offset = this.#bytes.length;
    return this;
  }

  /**
   * Emits a branch to `target`, encoded by `encode(rel)` (e.g. jnzRel8), rel counting from the end of the
   * branch as the CPU does. The displacement is written when the code is finished; its encoder then
   * refuses one out of range.
   */
  branch(encode: (rel: number) => number[], target: Label): this {
    const placeholder = encode(0);
    this.#branches.push({ at: this.#bytes.length, length: placeholder.length, encode, target });
    return this.emit(placeholder);
  }

  /** The finished code and its immediates' slices. Every label a branch refers to must be bound. */
  finish(): ComposedPage {
    const bytes = this.#bytes.slice();
    for (const { at, length, encode, target } of this.#branches) {
      if (target.offset === undefined) throw new Error(`the branch at offset ${at} has an unbound label`);
      const encoded = encode(target.offset - (at + length));
      if (encoded.length !== length) throw new Error(`the branch at offset ${at} changed length`);
      bytes.splice(at, length, ...encoded);
    }
    return { code: Uint8Array.from(bytes), slices: this.#slices.map((slice) => ({ ...slice })) };
  }
}
