/**
 * A64 pages run on arm64 through the generic core (page.ts, the registry, the self-test), as on x86-64:
 * natively on an arm64 host, on this project's x86-64 machines under qemu-user (`npm run test:arm64`,
 * harness/arm64/). Skipped on any other architecture.
 *
 * Emulation models no caches: a missing instruction-cache flush would pass every call here. So the memory
 * calls are held to the order an arm64 CPU needs, from the core's own record of them (the ledger with
 * requireFlush): every write of code flushed over exactly its range before the page is sealed.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { MemoryLedger } from '../../../harness/memory-ledger.js';
import { ADDER_ENTRY, UNROLL_FACTORS } from '../../../src/jit/arm64/adder-page.js';
import { ARM64, createArm64Target } from '../../../src/jit/arm64/architecture.js';
import { encodeBlindedAdderPage } from '../../../src/jit/blinding.js';
import { detectHost, hostTarget } from '../../../src/jit/host.js';
import { pageSize } from '../../../src/jit/libc.js';
import { ExecutablePage } from '../../../src/jit/page.js';
import { JitRegistry } from '../../../src/jit/registry.js';
import { runJitSelfTest } from '../../../src/jit/self-test.js';
import type { AdderPageTarget } from '../../../src/jit/target.js';
import { hostArchitecture } from '../../../src/jit/targets.js';
import { memoryCallsOf } from '../../support/memory-calls.js';

const skip =
  process.arch === 'arm64'
    ? false
    : `SKIPPED: A64 code runs on arm64 (npm run test:arm64 runs it under qemu-user)`;

/** Every level and unroll factor the A64 code generator makes. */
const TARGETS: AdderPageTarget[] = [
  createArm64Target('scalar'),
  ...UNROLL_FACTORS.map((unroll) => createArm64Target('neon', unroll)),
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
function checkApplyAll(
  page: ExecutablePage,
  target: AdderPageTarget,
  term: number,
  n: number,
  offset: number,
) {
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
  page.callWithInt32Bytes(target.applyAllEntry, buffer.subarray(offset, offset + 4 * n));
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

describe('A64 adder pages on arm64, through the generic core', { skip }, () => {
  it('is the host’s architecture, whose best level is neon, and the self-test passes at each level', () => {
    assert.equal(hostArchitecture(), ARM64);
    assert.equal(detectHost().best, 'neon');
    assert.equal(hostTarget('auto'), ARM64.target('neon'));
    for (const level of ARM64.levels) runJitSelfTest(ARM64.target(level));
  });

  for (const target of TARGETS) {
    const valuesPerPass = target.lanes * target.unroll;
    it(`${target.name}: apply and applyAll compute (x + term) | 0, every tail length, at every alignment, seed and blinded`, () => {
      for (const [term, key] of TERMS) {
        const page = ExecutablePage.seal(target.encodePage(term, key), ARM64);
        try {
          for (const x of [...EXTREMES, 37, -4])
            assert.equal(page.callInt32(target.applyEntry, x), (x + term) | 0);
          // Two passes of the main loop, then every length of the tails after them.
          for (let n = 0; n <= 2 * valuesPerPass + 7; n += 1) {
            for (const offset of [0, 1, 2, 3, 4, 8, 13]) checkApplyAll(page, target, term, n, offset);
          }
        } finally {
          page.release();
        }
      }
    });
  }

  it('arm64-neon: apply agrees with (x + term) | 0 for random terms and inputs, blinded as the registry blinds', () => {
    const target = ARM64.target('neon');
    fc.assert(
      fc.property(int32, fc.array(int32, { minLength: 1, maxLength: 8 }), (term, xs) => {
        const page = ExecutablePage.seal(encodeBlindedAdderPage(term, target), ARM64);
        try {
          for (const x of xs) assert.equal(page.callInt32(ADDER_ENTRY, x), (x + term) | 0);
        } finally {
          page.release();
        }
      }),
      { numRuns: 40 },
    );
  });

  it('a registry at capacity 2 compiles, recycles evicted pages into new code, releases, and streams', () => {
    const registry = new JitRegistry({ capacity: 2, target: ARM64.target('neon') });
    try {
      for (const term of [5, -1000, 2147483647, 5])
        assert.equal(registry.apply(term, 37).result, (term + 37) | 0);
      assert.equal(registry.stats().evictions, 2, 'pages recycled for new code');
      const { results } = registry.applyAll(
        -7,
        Array.from({ length: 37 }, (_, index) => index * 1_000_003),
      );
      assert.deepEqual(
        [...results],
        Array.from({ length: 37 }, (_, index) => (index * 1_000_003 - 7) | 0),
      );
      const { lease } = registry.lease(11);
      const bytes = new Uint8Array(new Int32Array([1, 2, 3]).buffer);
      lease.applyInPlace(bytes);
      lease.end();
      assert.deepEqual([...new Int32Array(bytes.buffer)], [12, 13, 14]);
      assert.equal(registry.stats().target, 'arm64-neon');
      assert.ok(registry.release(11));
    } finally {
      registry.dispose();
    }
  });

  it('flushes every write of code over exactly its range, then seals it; never writable and executable', () => {
    const ledger = new MemoryLedger({ pageSize: pageSize(), requireFlush: true }).start();
    let calls: ReturnType<typeof memoryCallsOf> = [];
    try {
      calls = memoryCallsOf(() => {
        const target = ARM64.target('neon');
        const page = ExecutablePage.seal(target.encodePage(3, 4), ARM64);
        assert.equal(page.callInt32(ADDER_ENTRY, 1), 4);
        const recycled = ExecutablePage.reseal(page, createArm64Target('scalar').encodePage(6));
        assert.equal(recycled.callInt32(ADDER_ENTRY, 1), 7, 'the new code runs, not the old');
        recycled.release();
      });
    } finally {
      ledger.stop();
    }
    assert.deepEqual(ledger.report().violations, []);
    const writes = calls.filter(({ call }) => call === 'write');
    const flushes = calls.filter(({ call }) => call === 'flush');
    assert.equal(writes.length, 2);
    assert.deepEqual(
      flushes.map(({ address, length }) => [address, length]),
      writes.map(({ address, length }) => [address, length]),
      'each write flushed over its own range',
    );
    for (const write of writes) {
      const at = calls.indexOf(write);
      assert.equal(calls[at + 1]?.call, 'flush', 'the flush comes right after the write');
      assert.equal(calls[at + 2]?.call, 'mprotect', 'and the seal right after the flush');
    }
  });
});
