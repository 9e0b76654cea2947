import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { encodeBlindedAdderPage, exposesTerm } from '../../src/jit/blinding.js';
import { wrappingAdd } from '../../src/jit/int32.js';
import { ExecutablePage } from '../../src/jit/page.js';
import { JitRegistry } from '../../src/jit/registry.js';
import type { AdderPageTarget } from '../../src/jit/target.js';
import { ADDER_ENTRY, BATCH_ADDER_ENTRY } from '../../src/jit/x86-64/adder-page.js';
import { X86_64 } from '../../src/jit/x86-64/architecture.js';
import { encodeAdderPage, X86_64_TARGETS } from '../support/x86-pages.js';

const scalar = X86_64.target('scalar');
const int32 = fc.integer({ min: -2147483648, max: 2147483647 });

function littleEndian(term: number): number[] {
  return [term & 0xff, (term >>> 8) & 0xff, (term >>> 16) & 0xff, (term >>> 24) & 0xff];
}

/** Every offset at which `term`'s four bytes occur in `code`. */
function occurrences(code: Uint8Array, term: number): number[] {
  const bytes = littleEndian(term);
  const found: number[] = [];
  for (let start = 0; start + 4 <= code.length; start += 1) {
    if (bytes.every((byte, index) => code[start + index] === byte)) found.push(start);
  }
  return found;
}

/**
 * The bytes of `target`'s blinded page that no term or key can change: where pages made with all-zero
 * and all-one immediates agree. Worked out from two pages rather than from the encoder's field offsets,
 * so that a field the encoder forgot to count would show up here. And the terms an attacker would try:
 * the page's own fixed byte runs, with any one byte of them replaced.
 */
function pageShape(target: AdderPageTarget) {
  const allZero = target.composePage(0, 0); // term ^ key = 0, key = 0
  const allOne = target.composePage(0, -1); // term ^ key = -1, key = -1
  const fixedByte = Array.from(allZero, (byte, index) => byte === allOne[index]);
  const adversarialTerm = fc
    .tuple(
      fc.integer({ min: 0, max: allZero.length - 4 }),
      fc.integer({ min: 0, max: 3 }),
      fc.integer({ min: 0, max: 255 }),
    )
    .map(([start, replaced, byte]) => {
      const bytes = [...allZero.subarray(start, start + 4)];
      bytes[replaced] = byte;
      return new DataView(Uint8Array.from(bytes).buffer).getInt32(0, true);
    });
  return { fixedByte, adversarialTerm };
}

describe('constant blinding', () => {
  for (const target of X86_64_TARGETS) {
    it(`never lets the term’s bytes into a ${target.name} page, except as runs of fixed opcode and padding bytes`, () => {
      const { fixedByte, adversarialTerm } = pageShape(target);
      fc.assert(
        fc.property(fc.oneof(int32, adversarialTerm), (term) => {
          const code = encodeBlindedAdderPage(term, target);
          for (const start of occurrences(code, term)) {
            const window = fixedByte.slice(start, start + 4);
            assert.ok(
              window.every(Boolean),
              `term ${term}'s bytes at offset ${start} of ${Array.from(code, (b) => b.toString(16)).join(' ')}`,
            );
          }
        }),
        { numRuns: 5000, examples: [[5], [0], [-1], [-858993460 /* cc cc cc cc: the int3 padding */]] },
      );
    });
  }

  it('hides a term that is not made of the page’s fixed bytes completely', () => {
    for (const term of [5, 42, -4, 0x12345678, 2147483647, -2147483648]) {
      assert.deepEqual(occurrences(encodeBlindedAdderPage(term, scalar), term), [], `term ${term}`);
      assert.notDeepEqual(
        occurrences(encodeAdderPage(term), term),
        [],
        `the seed page holds ${term} verbatim`,
      );
    }
  });

  it('draws another key when a key is zero or would complete the term next to the opcodes', () => {
    // Term 42 01 f8 c3 (little-endian) matches the blinded adder's last byte of key and its `add eax, edi;
    // ret`: with a key whose top byte is 0x42 the page would hold the term at offset 9.
    const term = new DataView(Uint8Array.from([0x42, 0x01, 0xf8, 0xc3]).buffer).getInt32(0, true);
    const exposingKey = 0x42000000;
    assert.equal(exposesTerm(encodeAdderPage(term, exposingKey), term, scalar), true);
    assert.deepEqual(occurrences(encodeAdderPage(term, exposingKey), term), [9]);

    const keys = [0, exposingKey, 0x0badf00d];
    const code = encodeBlindedAdderPage(term, scalar, () => keys.shift() as number);
    assert.deepEqual(keys, [], 'three keys drawn');
    assert.deepEqual(code, encodeAdderPage(term, 0x0badf00d));
    assert.deepEqual(occurrences(code, term), []);
  });

  for (const target of X86_64_TARGETS) {
    it(`finds the term completed by a key next to ${target.name}'s batch entry opcodes`, () => {
      // The batch entry's key ends at offset 25 and `test rsi, rsi` (48 85 f6) follows at every level.
      const term = new DataView(Uint8Array.from([0x42, 0x48, 0x85, 0xf6]).buffer).getInt32(0, true);
      const code = target.encodePage(term, 0x42000000);
      assert.deepEqual(occurrences(code, term), [25]);
      assert.equal(exposesTerm(code, term, target), true);
      assert.equal(exposesTerm(target.encodePage(term, 0x43000000), term, target), false);
      assert.deepEqual(occurrences(encodeBlindedAdderPage(term, target), term), []);
    });
  }

  it('finds the term completed by a key right after the xor opcode, before the key’s own field', () => {
    // Both entries load the term as `b8 <term ^ key> 35 <key>`: with key bytes 11 22 33 44, the term
    // 35 11 22 33 (little-endian) sits at the xor's opcode, offset 5 (apply) and 21 (batch), a window that
    // starts before the key's field at 6 (and 22) and shares three of its bytes.
    const term = new DataView(Uint8Array.from([0x35, 0x11, 0x22, 0x33]).buffer).getInt32(0, true);
    const key = 0x44332211;
    const code = encodeAdderPage(term, key);
    assert.deepEqual(occurrences(code, term), [5, 21]);
    assert.equal(exposesTerm(code, term, scalar), true);
    // So does the code cut right after the first such window: a window ending at the code's last byte counts.
    assert.equal(exposesTerm(code.subarray(0, 9), term, scalar), true);
    assert.equal(exposesTerm(code.subarray(0, 8), term, scalar), false);
    const keys = [key, 0x0badf00d];
    assert.deepEqual(
      encodeBlindedAdderPage(term, scalar, () => keys.shift() as number),
      encodeAdderPage(term, 0x0badf00d),
    );
  });

  it('takes a window for the term only when all four of its bytes match', () => {
    // As above, the term 35 11 22 33 sits at offset 5 of the page with key bytes 11 22 33 44. Terms that
    // differ from it in any one byte are not there, nor anywhere else in their pages.
    const key = 0x44332211;
    const bytes = [0x35, 0x11, 0x22, 0x33];
    for (let differing = 0; differing < 4; differing += 1) {
      const other = bytes.map((byte, index) => (index === differing ? byte ^ 0xff : byte));
      const term = new DataView(Uint8Array.from(other).buffer).getInt32(0, true);
      const code = encodeAdderPage(term, key);
      assert.deepEqual(occurrences(code, term), [], `byte ${differing} differs`);
      assert.equal(exposesTerm(code, term, scalar), false, `byte ${differing} differs`);
    }
  });

  it('refuses to emit an unblinded page when the random source gives nothing but zero', () => {
    assert.throws(() => encodeBlindedAdderPage(5, scalar, () => 0), {
      name: 'Error',
      message: 'no blinding key hid term 5 in 64 attempts: is the random source broken?',
    });
    let draws = 0;
    assert.throws(() =>
      encodeBlindedAdderPage(5, scalar, () => {
        draws += 1;
        return 0;
      }),
    );
    assert.equal(draws, 64, 'as many keys drawn as attempts');
  });

  it('draws a different key for every page', () => {
    const codes = new Set(Array.from({ length: 1000 }, () => encodeBlindedAdderPage(7, scalar).join(',')));
    assert.equal(codes.size, 1000);
  });

  it('leaves the results unchanged: both entries of a blinded page compute (term + x) | 0', () => {
    fc.assert(
      fc.property(int32, fc.array(int32, { minLength: 1, maxLength: 50 }), (term, xs) => {
        const page = ExecutablePage.seal(encodeBlindedAdderPage(term, scalar));
        try {
          for (const x of xs) assert.equal(page.callInt32(ADDER_ENTRY, x), wrappingAdd(term, x));
          const batch = Int32Array.from(xs);
          page.callWithInt32Array(BATCH_ADDER_ENTRY, batch);
          assert.deepEqual(
            [...batch],
            xs.map((x) => wrappingAdd(term, x)),
          );
        } finally {
          page.release();
        }
      }),
      { numRuns: 300, examples: [[2147483647, [1, -1, -2147483648]]] },
    );
  });

  it('is the registry’s default, and a registry without it keeps the seed’s exact bytes', () => {
    const blinded = new JitRegistry({ capacity: 4 });
    const seed = new JitRegistry({ capacity: 4, blinding: false });
    try {
      for (const term of [5, -4, 123456789]) {
        assert.equal(blinded.apply(term, 37).result, wrappingAdd(term, 37));
        assert.deepEqual(occurrences(blinded.describe(term)?.code ?? new Uint8Array(), term), []);
        assert.equal(seed.apply(term, 37).result, wrappingAdd(term, 37));
        assert.deepEqual(seed.describe(term)?.code, encodeAdderPage(term));
      }
      // A term compiled again, once evicted or released, gets a new key.
      const first = blinded.describe(5)?.code;
      blinded.release(5);
      blinded.compile(5);
      assert.notDeepEqual(blinded.describe(5)?.code, first);
    } finally {
      blinded.dispose();
      seed.dispose();
    }
  });
});
