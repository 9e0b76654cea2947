import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CodeBuffer } from '../../../src/jit/x86-64/code-buffer.js';
import {
  decRsi,
  jnzRel8,
  jzRel8,
  movEaxImm32,
  ret,
  xorEaxImm32,
} from '../../../src/jit/x86-64/instructions.js';
import { decodeOperands } from '../../support/x86-decoding.js';

describe('CodeBuffer', () => {
  it('resolves branches to labels bound before and after them, counting from the branch’s end', () => {
    const code = new CodeBuffer();
    const top = code.label();
    const end = code.label();
    code.bind(top).emit(decRsi()).branch(jzRel8, end).branch(jnzRel8, top).bind(end).emit(ret());
    const decoded = decodeOperands(code.finish().code);
    assert.deepEqual(
      decoded.map(({ offset, mnemonic, branchTarget }) => [offset, mnemonic, branchTarget]),
      [
        [0, 'Dec', undefined],
        [3, 'Je', 7],
        [5, 'Jne', 0],
        [7, 'Ret', undefined],
      ],
    );
  });

  it('records where each immediate starts, the last four bytes of its instruction, as a whole-word slice', () => {
    const code = new CodeBuffer();
    code.emit(decRsi()).emitWithImmediate(movEaxImm32(0x11223344), 'blindedTerm');
    code.emitWithImmediate(xorEaxImm32(-1), 'key');
    const { code: bytes, slices } = code.finish();
    assert.deepEqual(slices, [
      { offset: 4, kind: 'blindedTerm', valueShift: 0, fieldShift: 0, width: 32 },
      { offset: 9, kind: 'key', valueShift: 0, fieldShift: 0, width: 32 },
    ]);
    assert.deepEqual([...bytes.subarray(4, 8)], [0x44, 0x33, 0x22, 0x11]);
    assert.deepEqual([...bytes.subarray(9, 13)], [0xff, 0xff, 0xff, 0xff]);
  });

  it('refuses a branch to a label never bound, a label bound twice and a branch out of rel8’s reach', () => {
    const unbound = new CodeBuffer();
    unbound.emit(ret()).branch(jzRel8, unbound.label());
    assert.throws(() => unbound.finish(), { message: 'the branch at offset 1 has an unbound label' });

    const twice = new CodeBuffer();
    const label = twice.label();
    twice.bind(label);
    assert.throws(() => twice.bind(label), { message: 'label bound twice' });

    const far = new CodeBuffer();
    const end = far.label();
    far.branch(jzRel8, end).emit(new Array(128).fill(0x90)).bind(end);
    assert.throws(() => far.finish(), RangeError);
    const near = new CodeBuffer();
    const justInReach = near.label();
    near.branch(jzRel8, justInReach).emit(new Array(127).fill(0x90)).bind(justInReach);
    assert.equal(near.finish().code[1], 127);
  });

  it('refuses a branch whose encoding changes length with its displacement', () => {
    // Short (74 rel8) while the displacement is 0, as when it is emitted; near (0F 84 rel32) otherwise.
    const shortOrNear = (rel: number) => (rel === 0 ? [0x74, 0] : [0x0f, 0x84, rel & 0xff, 0, 0, 0]);
    const code = new CodeBuffer();
    const end = code.label();
    code.emit(ret(), ret()).branch(shortOrNear, end).emit(ret()).bind(end);
    assert.throws(() => code.finish(), { message: 'the branch at offset 2 changed length' });
    const same = new CodeBuffer();
    const next = same.label();
    same.branch(shortOrNear, next).bind(next);
    assert.deepEqual([...same.finish().code], [0x74, 0], 'a displacement of 0 keeps the short form');
  });
});
