/**
 * Runs every batch kernel this host can execute (every level it supports, each unroll factor) against
 * (x + term) | 0: random terms, keys and lengths, every tail length, arrays at every alignment an
 * Int32Array can have, wrap-around, and memory around the array left untouched.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { encodeBlindedAdderPage } from '../../src/jit/blinding.js';
import { INT32_MAX, INT32_MIN, wrappingAdd } from '../../src/jit/int32.js';
import { ExecutablePage } from '../../src/jit/page.js';
import type { AdderPageTarget } from '../../src/jit/target.js';
import { createX86_64Target } from '../../src/jit/x86-64/architecture.js';
import { missingFor } from '../../src/jit/x86-64/cpu-probe.js';
import { hostX86Features } from '../support/x86-pages.js';

const int32 = fc.integer({ min: INT32_MIN, max: INT32_MAX });
const host = hostX86Features();
const runnable = (['scalar', 'sse2', 'avx2'] as const).filter(
  (level) => missingFor(level, host).length === 0,
);
/** Each level's target, its other unroll factors, and its main loop at a 64-byte boundary (as bench:jit runs them). */
const TARGETS_HERE: AdderPageTarget[] = runnable.flatMap((level) =>
  level === 'scalar'
    ? [createX86_64Target(level)]
    : [
        ...([1, 2, 4] as const).map((unroll) => createX86_64Target(level, unroll)),
        createX86_64Target(level, 4, 0),
      ],
);
/** A value no kernel writes: what the memory around the array holds before and must hold after. */
const GUARD = 0x5a5a5a5a;

/** Seals `target`'s page for term (blinded with `key` when given), hands it to `use`, releases it. */
function withPage<T>(
  target: AdderPageTarget,
  term: number,
  key: number | undefined,
  use: (page: ExecutablePage) => T,
): T {
  const page = ExecutablePage.seal(target.encodePage(term, key));
  try {
    return use(page);
  } finally {
    page.release();
  }
}

/**
 * Runs the batch entry on `xs` laid out `byteOffset` bytes into a buffer with 16 guard values on each
 * side, and returns what the view holds after, having checked that every guard is intact.
 */
function applyAllInBuffer(
  page: ExecutablePage,
  target: AdderPageTarget,
  xs: readonly number[],
  byteOffset: number,
): Int32Array {
  const guardBytes = 64;
  const buffer = new ArrayBuffer(byteOffset + guardBytes + xs.length * 4 + guardBytes);
  const whole = new Int32Array(buffer).fill(GUARD);
  const view = new Int32Array(buffer, byteOffset + guardBytes, xs.length);
  view.set(xs);
  page.callWithInt32Array(target.applyAllEntry, view);
  const first = (byteOffset + guardBytes) / 4;
  whole.forEach((value, index) => {
    if (index >= first && index < first + xs.length) return;
    assert.equal(value, GUARD, `the value at ${index - first} relative to xs was overwritten`);
  });
  return view;
}

const expected = (term: number, xs: readonly number[]) => xs.map((x) => wrappingAdd(term, x));

describe('batch kernels on this host', () => {
  it(`runs the levels this CPU supports: ${runnable.join(', ')}`, () => {
    assert.ok(runnable.includes('scalar'));
    assert.equal(runnable.at(-1), host.level);
  });

  for (const target of TARGETS_HERE) {
    describe(target.name, () => {
      it('computes (x + term) | 0 for random terms, keys and lengths 0 to 300, seed and blinded', () => {
        fc.assert(
          fc.property(
            int32,
            fc.option(int32, { nil: undefined }),
            fc.array(int32, { maxLength: 300, size: 'max' }),
            (term, key, xs) => {
              withPage(target, term, key, (page) => {
                assert.deepEqual([...applyAllInBuffer(page, target, xs, 0)], expected(term, xs));
                assert.equal(page.callInt32(target.applyEntry, xs[0] ?? 1), wrappingAdd(term, xs[0] ?? 1));
              });
            },
          ),
          { numRuns: 150 },
        );
      });

      it('handles every length from 0 to three main-loop iterations and a register past them: every tail', () => {
        const block = target.lanes * target.unroll;
        fc.assert(
          fc.property(int32, int32, (term, key) => {
            withPage(target, term, key, (page) => {
              for (let length = 0; length <= 3 * block + target.lanes; length += 1) {
                const xs = Array.from({ length }, (_, index) => (index * 0x9e3779b1) | 0);
                assert.deepEqual(
                  [...applyAllInBuffer(page, target, xs, 0)],
                  expected(term, xs),
                  `length ${length}`,
                );
              }
            });
          }),
          { numRuns: 5 },
        );
      });

      it('works at every 4-byte offset within 64 bytes, on offset views, and writes nothing outside xs', () => {
        // Whatever the buffer's own alignment, offsets 0, 4, ..., 60 give the array every address modulo
        // 64 that an Int32Array can have; koffi must pass each view's own address, not its buffer's.
        fc.assert(
          fc.property(int32, int32, fc.integer({ min: 0, max: 3 * 8 * 4 + 7 }), (term, key, length) => {
            const xs = Array.from({ length }, (_, index) => (index * 0x01000193) | 0);
            withPage(target, term, key, (page) => {
              for (let byteOffset = 0; byteOffset < 64; byteOffset += 4) {
                assert.deepEqual([...applyAllInBuffer(page, target, xs, byteOffset)], expected(term, xs));
              }
            });
          }),
          {
            numRuns: 40,
            examples: [
              [1, 2, 0],
              [1, 2, 1],
              [-1, 5, 103],
            ],
          },
        );
      });

      it('works on values at any byte offset, as a request body arrives, and writes nothing outside them', () => {
        // A binary batch is added to where its bytes arrived (page.callWithInt32Bytes): 1, 2 or 3 bytes
        // past a multiple of 4, no peel can align it and the kernel goes straight to its unaligned vectors.
        fc.assert(
          fc.property(int32, int32, fc.integer({ min: 0, max: 3 * 8 * 4 + 7 }), (term, key, length) => {
            const xs = Array.from({ length }, (_, index) => (index * 0x01000193 - 7) | 0);
            withPage(target, term, key, (page) => {
              for (let byteOffset = 0; byteOffset < 36; byteOffset += 1) {
                const memory = Buffer.alloc(byteOffset + length * 4 + 8, 0x5a);
                const values = memory.subarray(byteOffset, byteOffset + length * 4);
                for (const [index, x] of xs.entries()) values.writeInt32LE(x, index * 4);
                page.callWithInt32Bytes(target.applyAllEntry, values);
                const results = Array.from({ length }, (_, index) => values.readInt32LE(index * 4));
                assert.deepEqual(results, expected(term, xs), `at byte offset ${byteOffset}`);
                assert.ok(
                  memory.subarray(0, byteOffset).every((byte) => byte === 0x5a),
                  'before the values',
                );
                assert.ok(
                  memory.subarray(byteOffset + length * 4).every((byte) => byte === 0x5a),
                  'after them',
                );
              }
            });
          }),
          {
            numRuns: 20,
            examples: [
              [1, 2, 0],
              [-1, 5, 103],
            ],
          },
        );
      });

      it('adds to 100,000 and 1,000,003 values, wrapping around at both ends of int32', () => {
        withPage(target, INT32_MAX, 0x0badf00d, (page) => {
          const xs = Int32Array.from({ length: 100_000 }, (_, index) => (index % 3 === 0 ? 1 : index * 7919));
          const want = Array.from(xs, (x) => wrappingAdd(INT32_MAX, x));
          page.callWithInt32Array(target.applyAllEntry, xs);
          assert.deepEqual([...xs], want);
          assert.equal(xs[0], INT32_MIN, 'INT32_MAX + 1 wraps to INT32_MIN');
        });
        withPage(target, -1, undefined, (page) => {
          const xs = new Int32Array(1_000_003).fill(INT32_MIN);
          page.callWithInt32Array(target.applyAllEntry, xs);
          assert.ok(
            xs.every((x) => x === INT32_MAX),
            'INT32_MIN - 1 wraps to INT32_MAX everywhere',
          );
        });
      });
    });
  }

  it('gives byte for byte the same results at every level, through blinded pages as the registry makes them', () => {
    fc.assert(
      fc.property(
        int32,
        fc.array(int32, { maxLength: 200, size: 'max' }),
        fc.integer({ min: 0, max: 15 }),
        (term, xs, slot) => {
          const results = TARGETS_HERE.map((target) => {
            const page = ExecutablePage.seal(encodeBlindedAdderPage(term, target));
            try {
              return new Uint8Array(applyAllInBuffer(page, target, xs, slot * 4).slice().buffer);
            } finally {
              page.release();
            }
          });
          for (const [index, result] of results.entries()) {
            assert.deepEqual(
              result,
              results[0],
              `${TARGETS_HERE[index]?.name} against ${TARGETS_HERE[0]?.name}`,
            );
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});
