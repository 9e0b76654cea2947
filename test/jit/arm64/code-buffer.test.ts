import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CodeBuffer } from '../../../src/jit/arm64/code-buffer.js';
import { bCond, Condition, movk, movz, ret, w } from '../../../src/jit/arm64/instructions.js';
import { readImmediate, writeSlice } from '../../../src/jit/immediates.js';
import type { ImmediateSlice } from '../../../src/jit/target.js';

const int32 = fc.integer({ min: -2147483648, max: 2147483647 });
const words = (code: Uint8Array) =>
  Array.from({ length: code.length / 4 }, (_, i) => new DataView(code.buffer).getUint32(4 * i, true));

describe('A64 code buffer', () => {
  it('resolves branches forward and backward, counting from the branch itself', () => {
    const code = new CodeBuffer();
    const back = code.label();
    const ahead = code.label();
    code.bind(back).emit(ret());
    code.branch((offset) => bCond(Condition.ne, offset), ahead);
    code.branch((offset) => bCond(Condition.eq, offset), back);
    code.bind(ahead).emit(ret());
    assert.deepEqual(words(code.finish().code), [
      ret(),
      bCond(Condition.ne, 8),
      bCond(Condition.eq, -8),
      ret(),
    ]);
  });

  it('records where each imm16 half sits and what it holds', () => {
    const code = new CodeBuffer().emit(ret());
    code.emitImmediateHalf(movz(w(9), 0, 0), 'key', 0).emitImmediateHalf(movk(w(9), 0, 1), 'key', 1);
    assert.deepEqual(code.finish().slices, [
      { offset: 4, kind: 'key', valueShift: 0, fieldShift: 5, width: 16 },
      { offset: 8, kind: 'key', valueShift: 16, fieldShift: 5, width: 16 },
    ]);
  });

  it('refuses a branch to a label never bound, and a label bound twice', () => {
    const code = new CodeBuffer().emit(ret());
    code.branch((offset) => bCond(Condition.ne, offset), code.label());
    assert.throws(() => code.finish(), /the branch at offset 4 has an unbound label/);
    const twice = new CodeBuffer();
    const label = twice.label();
    twice.bind(label);
    assert.throws(() => twice.bind(label), /label bound twice/);
  });
});

describe('immediate slices', () => {
  const halves = (kind: 'term' | 'key', low: number, high: number): ImmediateSlice[] => [
    { offset: low, kind, valueShift: 0, fieldShift: 5, width: 16 },
    { offset: high, kind, valueShift: 16, fieldShift: 5, width: 16 },
  ];

  it('write a value into imm16 halves and read it back, leaving every other bit of the words alone', () => {
    fc.assert(
      fc.property(int32, (value) => {
        const code = Uint8Array.from([...new Uint8Array(4).fill(0xff), ...new Uint8Array(4)]);
        const slices = halves('term', 0, 4);
        for (const slice of slices) writeSlice(code, slice, value);
        assert.equal(readImmediate(code, slices, 'term'), value);
        const [first, second] = words(code);
        assert.equal((first as number) & ~(0xffff << 5), 0xffffffff & ~(0xffff << 5));
        assert.equal((second as number) & ~(0xffff << 5), 0);
      }),
    );
  });

  it("describe x86-64's four contiguous immediate bytes as well: one slice of 32 bits", () => {
    fc.assert(
      fc.property(int32, (value) => {
        const code = new Uint8Array(7);
        const slice: ImmediateSlice = { offset: 3, kind: 'key', valueShift: 0, fieldShift: 0, width: 32 };
        writeSlice(code, slice, value);
        assert.deepEqual(
          [...code.subarray(3)],
          [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, value >>> 24],
        );
        assert.equal(readImmediate(code, [slice], 'key'), value);
      }),
    );
  });

  it('refuse code whose slices of one kind disagree, or hold only some of its bits', () => {
    const code = new Uint8Array(16);
    const slices = [...halves('term', 0, 4), ...halves('term', 8, 12)];
    for (const slice of slices) writeSlice(code, slice, 5);
    assert.equal(readImmediate(code, slices, 'term'), 5);
    writeSlice(code, slices[2] as ImmediateSlice, 6);
    assert.throws(
      () => readImmediate(code, slices, 'term'),
      /the term immediates of this code disagree \(at offset 8\)/,
    );
    assert.throws(() => readImmediate(code, slices.slice(0, 1), 'term'), /hold only some of its bits/);
    assert.equal(readImmediate(code, slices, 'key'), undefined);
  });
});
