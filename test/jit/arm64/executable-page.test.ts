/**
 * A64 pages run on arm64: natively on an arm64 host, on this project's x86-64 machines under qemu-user
 * (`npm run test:arm64`, harness/arm64/). Skipped on any other architecture.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  ADDER_ENTRY,
  BATCH_ADDER_ENTRY,
  batchKernel,
  PageTemplate,
  UNROLL_FACTORS,
} from '../../../src/jit/arm64/adder-page.js';
import { A64Page, READ_EXECUTE, READ_WRITE, steps } from '../../support/a64-executable-page.js';

const skip =
  process.arch === 'arm64'
    ? false
    : `SKIPPED: A64 code runs on arm64 (npm run test:arm64 runs it under qemu-user)`;

const KERNELS = [
  { name: 'scalar', template: new PageTemplate(batchKernel('scalar', 1)), valuesPerPass: 1 },
  ...UNROLL_FACTORS.map((unroll) => ({
    name: `neon ×${unroll}`,
    template: new PageTemplate(batchKernel('neon', unroll)),
    valuesPerPass: 4 * unroll,
  })),
];

/** Terms at the edges of int32 and where their 16-bit halves change, each seed and blinded. */
const TERMS: Array<[term: number, key: number | undefined]> = [
  [0, undefined],
  [1, undefined],
  [-1, undefined],
  [2147483647, undefined],
  [-2147483648, undefined],
  [0x0000ffff, 0x7fff0000],
  [0x00010000, -0x5a5a5a5b],
  [-123456789, 0x13579bdf],
];

const int32 = fc.integer({ min: -2147483648, max: 2147483647 });
const EXTREMES = [0, 1, -1, 2147483647, -2147483648];
/** Bytes after the values, which the kernel must leave alone (as it must the bytes before them). */
const GUARD = 8;

/**
 * Runs applyAll on `n` int32s placed `offset` bytes into a buffer (offsets 0-15 cover every address modulo
 * 4, and modulo 16 in a buffer malloc aligned), every third one an extreme and the rest random, then checks
 * each is `(x + term) | 0` and that not one byte around them changed.
 */
function checkApplyAll(page: A64Page, term: number, n: number, offset: number): void {
  const buffer = new Uint8Array(new ArrayBuffer(offset + 4 * n + GUARD));
  crypto.getRandomValues(buffer);
  const view = new DataView(buffer.buffer);
  const inputs = Array.from({ length: n }, (_, index) =>
    index % 3 === 0
      ? (EXTREMES[(index / 3) % EXTREMES.length] as number)
      : view.getInt32(offset + 4 * index, true),
  );
  inputs.forEach((value, index) => {
    view.setInt32(offset + 4 * index, value, true);
  });
  const before = buffer.slice();
  page.callWithInt32Bytes(BATCH_ADDER_ENTRY, buffer.subarray(offset), n);
  const results = inputs.map((_, index) => view.getInt32(offset + 4 * index, true));
  assert.deepEqual(
    results,
    inputs.map((x) => (x + term) | 0),
    `n = ${n}, offset ${offset}`,
  );
  assert.deepEqual(buffer.subarray(0, offset), before.subarray(0, offset), 'bytes before xs untouched');
  assert.deepEqual(
    buffer.subarray(offset + 4 * n),
    before.subarray(offset + 4 * n),
    'bytes after xs untouched',
  );
}

describe('A64 adder pages on arm64', { skip }, () => {
  for (const { name, template, valuesPerPass } of KERNELS) {
    it(`${name}: apply and applyAll compute (x + term) | 0, every tail length, at every alignment, seed and blinded`, () => {
      for (const [term, key] of TERMS) {
        const page = A64Page.seal(template.encode(term, key));
        try {
          for (const x of [...EXTREMES, 37, -4]) assert.equal(page.callInt32(ADDER_ENTRY, x), (x + term) | 0);
          // Two passes of the main loop, then every length of the tails after them.
          for (let n = 0; n <= 2 * valuesPerPass + 7; n += 1) {
            for (const offset of [0, 1, 2, 3, 4, 8, 13]) checkApplyAll(page, term, n, offset);
          }
        } finally {
          page.release();
        }
      }
    });
  }

  it('neon ×4: apply agrees with (x + term) | 0 for random terms, keys and inputs', () => {
    const { template } = KERNELS.at(-1) as (typeof KERNELS)[number];
    fc.assert(
      fc.property(int32, int32, fc.array(int32, { minLength: 1, maxLength: 8 }), (term, key, xs) => {
        const page = A64Page.seal(template.encode(term, key));
        try {
          for (const x of xs) assert.equal(page.callInt32(ADDER_ENTRY, x), (x + term) | 0);
        } finally {
          page.release();
        }
      }),
      { numRuns: 40 },
    );
  });

  it('runs the new code of a page written again, the instruction cache cleared over the new code', () => {
    const { template } = KERNELS.at(-1) as (typeof KERNELS)[number];
    const page = A64Page.seal(template.encode(5, 77));
    try {
      assert.equal(page.callInt32(ADDER_ENTRY, 37), 42);
      page.reseal(template.encode(-1000, 12345));
      assert.equal(page.callInt32(ADDER_ENTRY, 37), -963);
      checkApplyAll(page, -1000, 21, 1);
    } finally {
      page.release();
    }
  });

  it('flushes exactly the written range after every write and before the seal; never writable and executable', () => {
    const recorded = steps.length;
    const { template } = KERNELS.at(-1) as (typeof KERNELS)[number];
    const code = template.encode(3, 4);
    const page = A64Page.seal(code);
    page.reseal(template.encode(6, 7));
    page.release();
    const ours = steps.slice(recorded);
    const { address, length } = page;
    assert.deepEqual(ours, [
      { call: 'mmap', address, length, prot: READ_WRITE },
      { call: 'write', address, length: code.length },
      { call: 'flush', address, length: code.length },
      { call: 'mprotect', address, length, prot: READ_EXECUTE },
      { call: 'mprotect', address, length, prot: READ_WRITE },
      { call: 'write', address, length: code.length },
      { call: 'flush', address, length: code.length },
      { call: 'mprotect', address, length, prot: READ_EXECUTE },
      { call: 'munmap', address, length },
    ]);
    for (const step of steps)
      assert.notEqual(step.prot, READ_WRITE | READ_EXECUTE, 'write and execute together');
  });
});
