import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isWritableAndExecutable, mappingAt, readMaps } from '../../harness/maps.js';
import { ReleasedError, SyscallError } from '../../src/jit/errors.js';
import { wrappingAdd } from '../../src/jit/int32.js';
import { copyFromAddress, pageSize } from '../../src/jit/libc.js';
import { ExecutablePage, throwAfterCleanup } from '../../src/jit/page.js';
import {
  ADDER_ENTRY,
  BATCH_ADDER_ENTRY,
  encodeAdder,
  encodeAdderPage,
} from '../../src/jit/x86-64/adder-page.js';

const int32 = fc.integer({ min: -2147483648, max: 2147483647 });

describe('ExecutablePage', () => {
  it('is read+execute, never writable, at its own address once sealed', () => {
    const page = ExecutablePage.seal(encodeAdder(5));
    try {
      const mapping = mappingAt(page.address);
      assert.ok(mapping, 'the page is mapped');
      assert.equal(mapping.perms, 'r-xp');
      assert.equal(mapping.path, '', 'anonymous memory');
      assert.equal(page.address % pageSize(), 0);
      assert.equal(page.mappedBytes, pageSize());
    } finally {
      page.release();
    }
  });

  it('runs the seed: the adder for 1 gives 2 3 4, for -4 gives -3 -2 -1', () => {
    for (const [term, expected] of [
      [1, [2, 3, 4]],
      [2, [3, 4, 5]],
      [-4, [-3, -2, -1]],
    ] as const) {
      const page = ExecutablePage.seal(encodeAdder(term));
      try {
        assert.deepEqual(
          [1, 2, 3].map((x) => page.callInt32(ADDER_ENTRY, x)),
          expected,
        );
      } finally {
        page.release();
      }
    }
  });

  it('computes (term + x) | 0 for random int32 pairs, wrap-around included', () => {
    fc.assert(
      fc.property(int32, fc.array(int32, { minLength: 1, maxLength: 20 }), (term, xs) => {
        const page = ExecutablePage.seal(encodeAdder(term));
        try {
          for (const x of xs) assert.equal(page.callInt32(ADDER_ENTRY, x), wrappingAdd(term, x));
        } finally {
          page.release();
        }
      }),
      { numRuns: 300 },
    );
  });

  it('wraps around at the edges of int32', () => {
    const edges = [-2147483648, -2147483647, -1, 0, 1, 2147483646, 2147483647];
    for (const term of edges) {
      const page = ExecutablePage.seal(encodeAdder(term));
      try {
        for (const x of edges)
          assert.equal(page.callInt32(ADDER_ENTRY, x), wrappingAdd(term, x), `${term} + ${x}`);
      } finally {
        page.release();
      }
    }
    const max = ExecutablePage.seal(encodeAdder(2147483647));
    assert.equal(max.callInt32(ADDER_ENTRY, 1), -2147483648);
    max.release();
  });

  it('adds the term to a whole int32 array in place through the batch entry, wrap-around included', () => {
    fc.assert(
      fc.property(int32, fc.array(int32, { maxLength: 300 }), (term, xs) => {
        const page = ExecutablePage.seal(encodeAdderPage(term));
        try {
          const values = Int32Array.from(xs);
          page.callWithInt32Array(BATCH_ADDER_ENTRY, values);
          assert.deepEqual(
            [...values],
            xs.map((x) => wrappingAdd(term, x)),
          );
          assert.equal(page.callInt32(ADDER_ENTRY, 1), wrappingAdd(term, 1), 'the single entry still works');
        } finally {
          page.release();
        }
      }),
      { numRuns: 200 },
    );
  });

  it('refuses an entry point outside its code', () => {
    const page = ExecutablePage.seal(encodeAdder(1));
    try {
      for (const entry of [-1, 11, 4096, 0.5]) {
        assert.throws(() => page.callInt32(entry, 1), RangeError);
        assert.throws(() => page.callWithInt32Array(entry, new Int32Array(1)), RangeError);
      }
    } finally {
      page.release();
    }
  });

  it('reads back from the executable page exactly the bytes it was given', () => {
    const code = encodeAdder(-2147483648);
    const page = ExecutablePage.seal(code);
    try {
      assert.deepEqual(page.readCode(), code);
    } finally {
      page.release();
    }
  });

  it('is gone from /proc/self/maps once released, and refuses to be called or read', () => {
    const page = ExecutablePage.seal(encodeAdder(7));
    const address = page.address;
    page.release();
    assert.equal(page.released, true);
    assert.equal(mappingAt(address), undefined);
    assert.throws(() => page.callInt32(ADDER_ENTRY, 1), ReleasedError);
    assert.throws(() => page.callWithInt32Array(BATCH_ADDER_ENTRY, new Int32Array(1)), ReleasedError);
    assert.throws(() => page.readCode(), ReleasedError);
    assert.doesNotThrow(() => page.release(), 'releasing twice is harmless');
  });

  it('refuses x outside int32 before calling', () => {
    const page = ExecutablePage.seal(encodeAdder(1));
    try {
      assert.throws(() => page.callInt32(ADDER_ENTRY, 2 ** 31), RangeError);
      assert.throws(() => page.callInt32(ADDER_ENTRY, 0.5), RangeError);
    } finally {
      page.release();
    }
  });

  it('refuses empty code and code larger than one page', () => {
    assert.throws(() => ExecutablePage.seal(new Uint8Array(0)), RangeError);
    assert.throws(() => ExecutablePage.seal(new Uint8Array(pageSize() + 1)), RangeError);
  });

  it('never leaves one of its pages writable and executable at once', () => {
    const pages = Array.from({ length: 50 }, (_, term) => ExecutablePage.seal(encodeAdder(term)));
    try {
      const maps = readMaps();
      for (const page of pages) {
        const mapping = mappingAt(page.address, maps);
        assert.ok(mapping && !isWritableAndExecutable(mapping), `page at mapping ${mapping?.perms}`);
        assert.equal(mapping?.perms, 'r-xp');
      }
    } finally {
      for (const page of pages) page.release();
    }
  });
  it("reseals a live page's mapping with new code: the old page is released, the mapping stays r-xp", () => {
    const previous = ExecutablePage.seal(encodeAdderPage(7));
    const address = previous.address;
    const page = ExecutablePage.reseal(previous, encodeAdder(-4));
    try {
      assert.equal(previous.released, true);
      assert.throws(() => previous.callInt32(ADDER_ENTRY, 1), ReleasedError);
      assert.throws(() => ExecutablePage.reseal(previous, encodeAdder(1)), ReleasedError);
      assert.equal(page.address, address, 'the same mapping, not a new one');
      assert.equal(mappingAt(address)?.perms, 'r-xp');
      assert.deepEqual(
        [1, 2, 3].map((x) => page.callInt32(ADDER_ENTRY, x)),
        [-3, -2, -1],
      );
      assert.deepEqual(page.readCode(), encodeAdder(-4));
      // The previous occupant's longer code is overwritten with int3 beyond the new code, not left behind.
      const previousLength = encodeAdderPage(7).length;
      const leftover = copyFromAddress(address, previousLength).subarray(encodeAdder(-4).length);
      assert.equal(leftover.length, previousLength - 11);
      assert.ok(leftover.every((byte) => byte === 0xcc));
    } finally {
      page.release();
    }
    assert.equal(mappingAt(address), undefined);
  });
});

describe('throwAfterCleanup', () => {
  it('throws the original failure after a cleanup that succeeds', () => {
    const failure = new SyscallError('mprotect(PROT_READ|PROT_EXEC)', 12, 'ENOMEM', 'Cannot allocate memory');
    let cleaned = false;
    assert.throws(
      () =>
        throwAfterCleanup(failure, () => {
          cleaned = true;
        }),
      (error) => error === failure && !('cleanupError' in failure),
    );
    assert.ok(cleaned);
  });

  it('keeps the original failure, with the cleanup error attached and named, when the cleanup fails too', () => {
    const failure = new SyscallError('mprotect(PROT_READ|PROT_EXEC)', 12, 'ENOMEM', 'Cannot allocate memory');
    const unmapFailure = new SyscallError('munmap', 22, 'EINVAL', 'Invalid argument');
    assert.throws(
      () =>
        throwAfterCleanup(failure, () => {
          throw unmapFailure;
        }),
      (error) =>
        error === failure &&
        (error as { cleanupError?: unknown }).cleanupError === unmapFailure &&
        /^mprotect\(PROT_READ\|PROT_EXEC\) failed with ENOMEM .*; cleaning up afterwards failed too: munmap failed with EINVAL/.test(
          failure.message,
        ),
    );
  });
});
