/**
 * A64 code in the explainer's one shape: the pages of src/jit/arm64/adder-page.ts annotated as GET
 * /adders/:n annotates x86-64's, each word an instruction of 4 bytes with one field, the word, whose bit
 * groups tile its 32 bits. The words' bits are read here from the code itself, and their text is
 * capstone's; code the explainer cannot vouch for is refused, as x86-64's is.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { AnnotationError } from '../../../src/explain/annotation.js';
import { annotate } from '../../../src/explain/arm64/annotate.js';
import {
  batchKernel,
  composePage,
  UNROLL_FACTORS,
  type UnrollFactor,
} from '../../../src/jit/arm64/adder-page.js';
import { createArm64Target } from '../../../src/jit/arm64/architecture.js';
import { toHex } from '../../../src/jit/hex.js';
import { capstoneText, normalizeA64 } from '../../support/a64-decoding.js';

const int32 = fc.integer({ min: -2147483648, max: 2147483647 });

const KERNELS: Array<{ name: string; level: 'scalar' | 'neon'; unroll: UnrollFactor }> = [
  { name: 'scalar', level: 'scalar', unroll: 1 },
  ...UNROLL_FACTORS.map((unroll) => ({ name: `neon ×${unroll}`, level: 'neon' as const, unroll })),
];

/** The refusal annotate throws for `code`: it must throw one. */
function refusal(code: Uint8Array): AnnotationError {
  try {
    annotate(code);
  } catch (error) {
    assert.ok(error instanceof AnnotationError, `an AnnotationError, not ${error}`);
    return error;
  }
  assert.fail('annotated instead of refused');
}

/**
 * Checked apart from the explainer: the instructions are the code's words in order, each 4 bytes with one
 * field of kind `word` over all of them; the field's bit groups run from bit 31 down to bit 0 without gap
 * or overlap, hold the word's bits as read little-endian from the code, and the encoding diagram
 * (opCodeString) has one token per group: its bits where the form fixes them, else its name.
 */
function assertWordsTile(code: Uint8Array): void {
  const annotated = annotate(code);
  assert.equal(annotated.length, code.length / 4);
  const view = new DataView(code.buffer, code.byteOffset, code.byteLength);
  annotated.forEach((instruction, index) => {
    const offset = 4 * index;
    const bits = view.getUint32(offset, true).toString(2).padStart(32, '0');
    assert.equal(instruction.offset, offset);
    assert.equal(instruction.length, 4);
    assert.equal(instruction.bytes, toHex(code.subarray(offset, offset + 4)));
    assert.equal(instruction.reference, null);
    assert.ok(instruction.instructionString.startsWith(instruction.mnemonic), instruction.instructionString);
    const [field, ...more] = instruction.fields;
    assert.equal(more.length, 0, `${instruction.text} has one field`);
    assert.deepEqual(
      { kind: field?.kind, offset: field?.offset, length: field?.length, bytes: field?.bytes },
      { kind: 'word', offset: 0, length: 4, bytes: instruction.bytes },
    );
    let next = 31;
    for (const group of field?.bits ?? []) {
      assert.equal(
        group.high,
        next,
        `${instruction.text}: ${group.name} starts where the previous group ended`,
      );
      assert.equal(group.value.length, (group.high ?? 0) - (group.low ?? 0) + 1, `${group.name}'s width`);
      assert.equal(group.value, bits.slice(31 - (group.high ?? 0), 32 - (group.low ?? 0)), group.name);
      next = (group.low ?? 0) - 1;
    }
    assert.equal(next, -1, `${instruction.text}: the groups end at bit 0`);
    const tokens = instruction.opCodeString.split(' ');
    assert.equal(tokens.length, field?.bits?.length, instruction.opCodeString);
    tokens.forEach((token, i) => {
      const group = field?.bits?.[i];
      assert.ok(token === group?.value || token === group?.name, `${token} is ${group?.name} or its bits`);
    });
    const decoded = capstoneText(view.getUint32(offset, true), offset);
    assert.ok(decoded !== undefined, `capstone decodes ${instruction.bytes}`);
    assert.equal(normalizeA64(instruction.text), normalizeA64(decoded), instruction.bytes);
  });
}

describe('A64 code annotated in the explainer’s shape', () => {
  for (const { name, level, unroll } of KERNELS) {
    it(`${name} pages, seed and blinded, composed and from the template: one word field per 4 bytes, tiling its bits`, () => {
      const target = createArm64Target(level, unroll);
      fc.assert(
        fc.property(int32, fc.option(int32, { nil: undefined }), (term, key) => {
          assertWordsTile(target.composePage(term, key));
          assertWordsTile(target.encodePage(term, key));
        }),
        {
          numRuns: 20,
          examples: [
            [-4, undefined],
            [5, 0x11223344],
          ],
        },
      );
    });
  }

  it('names the seed adder’s words as the Arm ARM draws them', () => {
    const [movz, movk, add, ret] = annotate(composePage(batchKernel('scalar', 1), -4).code);
    assert.deepEqual(
      [movz, movk, add, ret].map((instruction) => [
        instruction?.text,
        instruction?.mnemonic,
        instruction?.instructionString,
        instruction?.opCodeString,
      ]),
      [
        ['mov w9, #0xfffc', 'MOVZ', 'MOVZ (32-bit)', '0 10 100101 hw imm16 Rd'],
        ['movk w9, #0xffff, lsl #16', 'MOVK', 'MOVK (32-bit)', '0 11 100101 hw imm16 Rd'],
        ['add w0, w0, w9', 'ADD', 'ADD (shifted register)', 'sf 0 0 01011 00 0 Rm 000000 Rn Rd'],
        ['ret', 'RET', 'RET', '1101011 0010 11111 000000 Rn 00000'],
      ],
    );
    assert.deepEqual(
      movz?.fields[0]?.bits?.map(({ name, value, high, low }) => `${name} ${high}-${low}: ${value}`),
      [
        'sf 31-31: 0',
        'opc 30-29: 10',
        'fixed 28-23: 100101',
        'hw 22-21: 00',
        'imm16 20-5: 1111111111111100',
        'Rd 4-0: 01001',
      ],
    );
    assert.equal(movz?.fields[0]?.description, 'A64 word 0x529fff89, stored little-endian: MOVZ (32-bit)');
  });

  it('refuses code that ends inside a word, after the words before it', () => {
    const error = refusal(Uint8Array.of(0xc0, 0x03, 0x5f, 0xd6, 0x00, 0x00));
    assert.equal(error.reason, 'truncated');
    assert.equal(error.offset, 4);
    assert.equal(error.bytes, '00 00');
    assert.equal(
      error.message,
      'cannot annotate the instruction at offset 4 (00 00): A64 instructions are 4-byte words: the code ends 2 bytes into one',
    );
  });

  it('refuses a word that is none of the forms described, at its offset, before a cut word after it', () => {
    const error = refusal(Uint8Array.of(0xc0, 0x03, 0x5f, 0xd6, 0xff, 0xff, 0xff, 0xff, 0x00));
    assert.equal(error.reason, 'unsupported');
    assert.equal(error.offset, 4);
    assert.equal(error.bytes, 'ff ff ff ff');
    assert.match(error.message, /the word ffffffff is none of the A64 forms the explainer describes$/);
  });
});
