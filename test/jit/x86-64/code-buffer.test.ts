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

  it('records where each immediate field starts: the last four bytes of its instruction', () => {
    const code = new CodeBuffer();
    code.emit(decRsi()).emitWithImmediate(movEaxImm32(0x11223344), 'blindedTerm');
    code.emitWithImmediate(xorEaxImm32(-1), 'key');
    const { code: bytes, fields } = code.finish();
    assert.deepEqual(fields, [
      { offset: 4, kind: 'blindedTerm' },
      { offset: 9, kind: 'key' },
    ]);
    assert.deepEqual([...bytes.subarray(4, 8)], [0x44, 0x33, 0x22, 0x11]);
    assert.deepEqual([...bytes.subarray(9, 13)], [0xff, 0xff, 0xff, 0xff]);
  });

  it('refuses a branch to a label never bound, a label bound twice and a branch out of rel8’s reach', () => {
    const unbound = new CodeBuffer();
    unbound.branch(jzRel8, unbound.label());
    assert.throws(() => unbound.finish(), /unbound label/);

    const twice = new CodeBuffer();
    const label = twice.label();
    twice.bind(label);
    assert.throws(() => twice.bind(label), /bound twice/);

    const far = new CodeBuffer();
    const end = far.label();
    far.branch(jzRel8, end).emit(new Array(128).fill(0x90)).bind(end);
    assert.throws(() => far.finish(), RangeError);
    const near = new CodeBuffer();
    const justInReach = near.label();
    near.branch(jzRel8, justInReach).emit(new Array(127).fill(0x90)).bind(justInReach);
    assert.equal(near.finish().code[1], 127);
  });
});
