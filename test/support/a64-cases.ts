/**
 * Random operands for each A64 encoder, with the same instruction written in GNU as syntax: the cases
 * the encoder tests hold to GNU as and capstone, and the explainer tests hold to capstone.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  addImmediate,
  addRegister,
  bCond,
  br,
  Condition,
  cbz,
  eorRegister,
  ldrImmediate,
  movk,
  movz,
  ret,
  strPostIndex,
  subsImmediate,
  udf,
  w,
  x,
} from '../../src/jit/arm64/instructions.js';
import { addVector, dupGeneral, ld1, st1PostIndex } from '../../src/jit/arm64/vector-instructions.js';

/** One encoding to check: the encoder's word and the same instruction in GNU as syntax. */
export interface Case {
  word: number;
  asm: string;
  /** How a disassembler writes it at address 0, where that differs from `asm` (branch targets). */
  decoded?: string;
}

const register = fc.integer({ min: 0, max: 30 });
const vector = fc.integer({ min: 0, max: 31 });
const width = fc.constantFrom(w, x);
const CONDITION_NAMES = Object.keys(Condition) as Array<keyof typeof Condition>;
const branchOffset = fc.integer({ min: -(2 ** 18), max: 2 ** 18 - 1 }).map((words) => 4 * words);
const relative = (offset: number) => (offset >= 0 ? `.+${offset}` : `.-${-offset}`);
const list = (first: number, count: number) =>
  `{${Array.from({ length: count }, (_, index) => `v${first + index}.4s`).join(', ')}}`;
const listArbitrary = fc
  .integer({ min: 1, max: 4 })
  .chain((count) => fc.tuple(fc.integer({ min: 0, max: 32 - count }), fc.constant(count)));
const name = (r: { number: number; width: 32 | 64 }) => `${r.width === 32 ? 'w' : 'x'}${r.number}`;

/** Random operands for each encoder, with the GNU as line each should equal. */
export const GENERATORS: Record<string, fc.Arbitrary<Case>> = {
  movz: fc
    .tuple(register, fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 1 }))
    .map(([rd, imm, hw]) => ({ word: movz(w(rd), imm, hw), asm: `movz w${rd}, #${imm}, lsl #${16 * hw}` })),
  movk: fc
    .tuple(register, fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 1 }))
    .map(([rd, imm, hw]) => ({ word: movk(w(rd), imm, hw), asm: `movk w${rd}, #${imm}, lsl #${16 * hw}` })),
  addRegister: fc.tuple(width, register, register, register).map(([r, d, n, m]) => ({
    word: addRegister(r(d), r(n), r(m)),
    asm: `add ${name(r(d))}, ${name(r(n))}, ${name(r(m))}`,
  })),
  eorRegister: fc.tuple(width, register, register, register).map(([r, d, n, m]) => ({
    word: eorRegister(r(d), r(n), r(m)),
    asm: `eor ${name(r(d))}, ${name(r(n))}, ${name(r(m))}`,
  })),
  addImmediate: fc
    .tuple(width, register, register, fc.integer({ min: 0, max: 0xfff }))
    .map(([r, d, n, imm]) => ({
      word: addImmediate(r(d), r(n), imm),
      asm: `add ${name(r(d))}, ${name(r(n))}, #${imm}`,
    })),
  subsImmediate: fc
    .tuple(width, register, register, fc.integer({ min: 0, max: 0xfff }))
    .map(([r, d, n, imm]) => ({
      word: subsImmediate(r(d), r(n), imm),
      asm: `subs ${name(r(d))}, ${name(r(n))}, #${imm}`,
    })),
  br: register.map((n) => ({ word: br(x(n)), asm: `br x${n}` })),
  ret: fc.constant({ word: ret(), asm: 'ret' }),
  udf: fc.integer({ min: 0, max: 0xffff }).map((imm) => ({ word: udf(imm), asm: `udf #${imm}` })),
  bCond: fc.tuple(fc.constantFrom(...CONDITION_NAMES), branchOffset).map(([cond, offset]) => ({
    word: bCond(Condition[cond], offset),
    asm: `b.${cond} ${relative(offset)}`,
    decoded: `b.${cond} #${offset}`,
  })),
  cbz: fc.tuple(width, register, branchOffset).map(([r, t, offset]) => ({
    word: cbz(r(t), offset),
    asm: `cbz ${name(r(t))}, ${relative(offset)}`,
    decoded: `cbz ${name(r(t))}, #${offset}`,
  })),
  ldrImmediate: fc.tuple(register, register, fc.integer({ min: 0, max: 0xfff })).map(([t, n, scaled]) => ({
    word: ldrImmediate(w(t), x(n), 4 * scaled),
    asm: scaled === 0 ? `ldr w${t}, [x${n}]` : `ldr w${t}, [x${n}, #${4 * scaled}]`,
  })),
  strPostIndex: fc.tuple(register, register, fc.integer({ min: -256, max: 255 })).map(([t, n, imm]) => ({
    word: strPostIndex(w(t), x(n), imm),
    asm: `str w${t}, [x${n}], #${imm}`,
  })),
  dupGeneral: fc
    .tuple(vector, register)
    .map(([d, n]) => ({ word: dupGeneral(d, w(n)), asm: `dup v${d}.4s, w${n}` })),
  addVector: fc.tuple(vector, vector, vector).map(([d, n, m]) => ({
    word: addVector(d, n, m),
    asm: `add v${d}.4s, v${n}.4s, v${m}.4s`,
  })),
  ld1: fc.tuple(listArbitrary, register).map(([[first, count], n]) => ({
    word: ld1(first, count, x(n)),
    asm: `ld1 ${list(first, count)}, [x${n}]`,
  })),
  st1PostIndex: fc.tuple(listArbitrary, register).map(([[first, count], n]) => ({
    word: st1PostIndex(first, count, x(n)),
    asm: `st1 ${list(first, count)}, [x${n}], #${16 * count}`,
  })),
};

/** `count` random cases of `encoder`. */
export function cases(encoder: string, count: number): Case[] {
  const generator = GENERATORS[encoder];
  assert.ok(generator);
  return fc.sample(generator, count);
}
