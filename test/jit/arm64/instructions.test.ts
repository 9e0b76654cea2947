import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  addImmediate,
  addRegister,
  bCond,
  br,
  Condition,
  cbz,
  ldrImmediate,
  movk,
  movz,
  ret,
  strPostIndex,
  subsImmediate,
  udf,
  w,
  wordBytes,
  x,
} from '../../../src/jit/arm64/instructions.js';
import { addVector, dupGeneral, ld1, st1PostIndex } from '../../../src/jit/arm64/vector-instructions.js';
import { assembleA64, skipWithoutGnuAs } from '../../support/a64-assembler.js';
import { cases, GENERATORS } from '../../support/a64-cases.js';
import { capstoneText, normalizeA64 } from '../../support/a64-decoding.js';

const hex = (word: number) => word.toString(16).padStart(8, '0');

describe('A64 encoders', () => {
  it('encode the words verified by hand with GNU as', () => {
    assert.equal(hex(addRegister(w(0), w(0), w(9))), '0b090000');
    assert.equal(hex(ret()), 'd65f03c0');
    assert.equal(hex(br(x(1))), 'd61f0020');
    assert.equal(hex(br(x(2))), 'd61f0040');
    assert.equal(hex(udf(0)), '00000000');
  });

  it('lay a word out in memory least significant byte first', () => {
    assert.deepEqual(wordBytes(ret()), [0xc0, 0x03, 0x5f, 0xd6]);
  });

  for (const encoder of Object.keys(GENERATORS)) {
    it(`${encoder}: equals GNU as's word for random operands`, { skip: skipWithoutGnuAs }, () => {
      const sample = cases(encoder, 60);
      const assembled = assembleA64(sample.map(({ asm }) => asm));
      assert.deepEqual(
        sample.map(({ word, asm }) => `${asm}: ${hex(word)}`),
        assembled.map((word, index) => `${sample[index]?.asm}: ${hex(word)}`),
      );
    });

    it(`${encoder}: decodes with capstone to the same instruction`, () => {
      for (const { word, asm, decoded } of cases(encoder, 200)) {
        const text = capstoneText(word);
        assert.ok(text !== undefined, `capstone decodes ${hex(word)} (${asm}) to nothing`);
        assert.equal(normalizeA64(text), normalizeA64(decoded ?? asm), `${hex(word)}`);
      }
    });
  }

  it('refuse register 31, which means sp or the zero register depending on the field', () => {
    assert.throws(() => w(31), /register number must be an integer from 0 to 30, got 31/);
    assert.throws(() => x(-1), /register number/);
  });

  it('refuse registers of mixed widths in one instruction', () => {
    assert.throws(() => addRegister(w(0), w(0), x(9)), /must all be W registers or all X registers/);
    assert.throws(() => subsImmediate(x(1), w(1), 1), /must all be W registers or all X registers/);
  });

  it('refuse operands out of their fields', () => {
    assert.throws(() => movz(w(9), 0x10000, 0), /imm16 must be an integer from 0 to 65535/);
    assert.throws(() => movk(w(9), 1, 2), /hw must be an integer from 0 to 1/);
    assert.throws(() => movz(x(9), 1, 0), /move-wide destination must be a W register/);
    assert.throws(() => addImmediate(x(1), x(1), 4096), /imm12 must be an integer from 0 to 4095/);
    assert.throws(() => strPostIndex(w(1), x(0), 256), /imm9 must be an integer from -256 to 255/);
    assert.throws(() => ldrImmediate(w(1), x(0), 2), /multiple of 4/);
    assert.throws(() => ldrImmediate(w(1), x(0), 4 * 4096), /offset \/ 4 must be an integer from 0 to 4095/);
    assert.throws(() => udf(-1), /imm16/);
    assert.throws(() => bCond(15 as Condition, 4), /cond must be an integer from 0 to 14, got 15/);
  });

  it('refuse branch offsets that are not whole words or beyond ±1 MiB', () => {
    assert.throws(() => bCond(Condition.ne, 2), /multiple of 4 bytes/);
    assert.throws(
      () => bCond(Condition.ne, 2 ** 20),
      /branch offset in words must be an integer from -262144 to 262143/,
    );
    assert.throws(() => cbz(x(1), -(2 ** 20) - 4), /branch offset in words/);
    assert.equal(hex(bCond(Condition.ne, -(2 ** 20))), hex(0x54800001));
  });

  it('refuse operands of the wrong kind: a W base address, an X loaded into 32-bit lanes', () => {
    assert.throws(() => br(w(1)), /the branch target must be an X register/);
    assert.throws(() => ldrImmediate(x(1), x(0), 0), /the loaded register must be a W register/);
    assert.throws(() => ldrImmediate(w(1), w(0), 0), /the base register must be an X register/);
    assert.throws(() => strPostIndex(x(1), x(0), 4), /the stored register must be a W register/);
    assert.throws(() => strPostIndex(w(1), w(0), 4), /the base register must be an X register/);
    assert.throws(() => dupGeneral(0, x(9)), /the broadcast register must be a W register/);
    assert.throws(() => ld1(0, 1, w(0)), /the base register must be an X register/);
    assert.throws(() => st1PostIndex(0, 1, w(0)), /the base register must be an X register/);
  });

  it('refuse register lists that are empty, longer than four or wrap past v31', () => {
    assert.throws(() => ld1(0, 0, x(0)), /registers in the list must be an integer from 1 to 4/);
    assert.throws(() => st1PostIndex(0, 5, x(0)), /registers in the list/);
    assert.throws(
      () => ld1(30, 3, x(0)),
      /last register of the list must be an integer from 0 to 31, got 32/,
    );
    assert.throws(
      () => ld1(32, 1, x(0)),
      /first register of the list must be an integer from 0 to 31, got 32/,
    );
    assert.throws(() => addVector(32, 0, 0), /Vd must be an integer from 0 to 31, got 32/);
    assert.throws(() => addVector(0, 32, 0), /Vn must be/);
    assert.throws(() => addVector(0, 0, 32), /Vm must be/);
    assert.throws(() => dupGeneral(-1, w(9)), /Vd must be/);
  });
});
