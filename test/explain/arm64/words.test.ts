import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FORMS } from '../../../src/explain/arm64/forms.js';
import { explainCode, explainWord, formOf } from '../../../src/explain/arm64/words.js';
import { batchKernel, composePage, UNROLL_FACTORS } from '../../../src/jit/arm64/adder-page.js';
import { ARM64_CALL_GATES } from '../../../src/jit/arm64/call-gates.js';
import { movz, w } from '../../../src/jit/arm64/instructions.js';
import { cases, GENERATORS } from '../../support/a64-cases.js';
import { capstoneText, normalizeA64 } from '../../support/a64-decoding.js';

/** Where the words are explained and decoded: far enough from 0 that every branch target is positive. */
const ADDRESS = 0x200000;

const hex = (word: number) => word.toString(16).padStart(8, '0');

/** Asserts that the explainer's text for `word` is capstone's, up to how operands are written. */
function assertAgreesWithCapstone(word: number, address: number, context: string): void {
  const explained = explainWord(word, address);
  const decoded = capstoneText(word, address);
  assert.ok(decoded !== undefined, `capstone decodes ${hex(word)} (${context}) to nothing`);
  assert.equal(normalizeA64(explained.text), normalizeA64(decoded), `${hex(word)} (${context})`);
}

const PAGES = [
  { name: 'scalar', code: (key?: number) => composePage(batchKernel('scalar', 1), -123456789, key).code },
  ...UNROLL_FACTORS.map((unroll) => ({
    name: `neon ×${unroll}`,
    code: (key?: number) => composePage(batchKernel('neon', unroll), -123456789, key).code,
  })),
];

describe('A64 words explained', () => {
  for (const encoder of Object.keys(GENERATORS)) {
    it(`${encoder}: every word the encoder makes is explained, with capstone's text`, () => {
      for (const { word, asm } of cases(encoder, 150)) {
        assert.ok(formOf(word) !== undefined, `${hex(word)} (${asm}) has a form`);
        assertAgreesWithCapstone(word, ADDRESS, asm);
      }
    });

    it(`${encoder}: a word one bit away is either not claimed or explained as capstone decodes it`, () => {
      for (const { word, asm } of cases(encoder, 8)) {
        for (let bit = 0; bit < 32; bit += 1) {
          const flipped = (word ^ (1 << bit)) >>> 0;
          if (formOf(flipped) !== undefined)
            assertAgreesWithCapstone(flipped, ADDRESS, `${asm}, bit ${bit} flipped`);
        }
      }
    });
  }

  it('tiles each form with fields from bit 31 down to bit 0, no gap and no overlap', () => {
    for (const form of FORMS) {
      let next = 31;
      for (const { name, high, low, fixed } of form.fields) {
        assert.equal(high, next, `${form.heading}: ${name} starts at bit ${next}`);
        assert.ok(low <= high, `${form.heading}: ${name}`);
        if (fixed !== undefined)
          assert.equal(fixed.length, high - low + 1, `${form.heading}: ${name}'s bits`);
        next = low - 1;
      }
      assert.equal(next, -1, `${form.heading} ends at bit 0`);
    }
  });

  it("gives each field of a page's words its bits, whose concatenation is the word", () => {
    for (const { name, code } of PAGES) {
      for (const explained of explainCode(code(0x5a5a5a5a))) {
        const concatenated = explained.fields.map((field) => field.bits).join('');
        assert.equal(concatenated, Number.parseInt(explained.word, 16).toString(2).padStart(32, '0'), name);
        for (const field of explained.fields) {
          assert.equal(field.bits.length, field.high - field.low + 1);
          assert.equal(Number.parseInt(field.bits, 2), field.value);
        }
      }
    }
  });

  it('knows every word of every page, seed and blinded, and of the call gates, with capstone agreeing', () => {
    const codes = [...PAGES.flatMap(({ code }) => [code(), code(0x13579bdf)]), ARM64_CALL_GATES.encode()];
    for (const code of codes) {
      for (const explained of explainCode(code)) {
        assert.ok(explained.heading !== undefined, `${explained.word} at ${explained.offset} is known`);
        assertAgreesWithCapstone(Number.parseInt(explained.word, 16), explained.offset, explained.text);
      }
    }
  });

  it('explains the blinded neon page word by word: its text, its fields and what it does', () => {
    const explained = explainCode(composePage(batchKernel('neon', 4), 5, 0x11223344).code);
    const first = explained[0];
    assert.deepEqual(
      { word: first?.word, bytes: first?.bytes, heading: first?.heading, text: first?.text },
      { word: '52866829', bytes: '29 68 86 52', heading: 'MOVZ (32-bit)', text: 'mov w9, #0x3341' },
    );
    assert.equal(first?.operation, 'w9 = 0x3341');
    assert.deepEqual(
      first?.fields.map(
        ({ name, high, low, bits, fixed }) => `${name} ${high}-${low} ${bits}${fixed ? ' fixed' : ''}`,
      ),
      [
        'sf 31-31 0 fixed',
        'opc 30-29 10 fixed',
        'fixed 28-23 100101 fixed',
        'hw 22-21 00',
        'imm16 20-5 0011001101000001',
        'Rd 4-0 01001',
      ],
    );
    assert.equal(first?.fields[3]?.meaning, '0: imm16 goes to bits 0-15 (shifted left by 0)');
    assert.equal(first?.fields[5]?.meaning, 'w9: the register written');
    assert.deepEqual(
      explained.slice(4, 8).map(({ offset, text, operation }) => `${offset}: ${text} | ${operation}`),
      [
        '16: eor w9, w9, w10 | w9 = w9 ^ w10',
        '20: add w0, w0, w9 | w0 = w0 + w9, wrapping around',
        '24: ret | return to the address in x30',
        '28: udf #0 | trap: an Undefined Instruction exception, SIGILL (padding that stops any jump into it)',
      ],
    );
    const branch = explained.find(({ text }) => text.startsWith('b.hs'));
    assert.equal(branch?.operation, 'if unsigned higher or same (C = 1), go to 0x40');
    assert.equal(
      branch?.fields.find(({ name }) => name === 'imm19')?.meaning,
      '-7 words (-28 bytes) from this instruction, signed',
    );
    assert.equal(
      explained.find(({ text }) => text.startsWith('st1'))?.operation,
      'store v1-v4 at x0, then x0 += 64',
    );
  });

  it('leaves a word of no known form undescribed, as one field, instead of guessing', () => {
    const explained = explainWord(0xffffffff, 8);
    assert.equal(explained.heading, undefined);
    assert.equal(explained.text, '.inst 0xffffffff');
    assert.deepEqual(
      explained.fields.map(({ name, high, low }) => [name, high, low]),
      [['word', 31, 0]],
    );
  });

  it('does not claim a word whose register field holds 31, the stack pointer or zero register', () => {
    const movzW31 = (movz(w(9), 1, 0) | 31) >>> 0; // Rd = 31: the zero register
    assert.equal(formOf(movzW31), undefined);
  });

  it('refuses code that is not whole words', () => {
    assert.throws(() => explainCode(new Uint8Array(6)), /whole 4-byte words, got 6 bytes/);
  });
});
