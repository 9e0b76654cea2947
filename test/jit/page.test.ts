import assert from 'node:assert/strict';
import { closeSync, openSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import koffi from 'koffi';
import { isWritableAndExecutable, mappingAt, readMaps } from '../../harness/maps.js';
import { ReleasedError, SyscallError } from '../../src/jit/errors.js';
import { wrappingAdd } from '../../src/jit/int32.js';
import { copyFromAddress, pageSize } from '../../src/jit/libc.js';
import { ExecutablePage, lastSealTimings, throwAfterCleanup } from '../../src/jit/page.js';
import { ADDER_ENTRY, BATCH_ADDER_ENTRY, encodeAdder } from '../../src/jit/x86-64/adder-page.js';
import { memoryCallsOf } from '../support/memory-calls.js';
import { encodeAdderPage } from '../support/x86-pages.js';

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
        const refusal = {
          name: 'RangeError',
          message: `entry must be an offset inside the page's 11 bytes of code, got ${entry}`,
        };
        assert.throws(() => page.callInt32(entry, 1), refusal);
        assert.throws(() => page.callWithInt32Array(entry, new Int32Array(1)), refusal);
        assert.throws(() => page.callWithInt32Bytes(entry, new Uint8Array(4)), refusal);
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

  it('is gone from /proc/self/maps once released, and refuses to be called, read or resealed', () => {
    const page = ExecutablePage.seal(encodeAdder(7));
    const address = page.address;
    page.release();
    assert.equal(page.released, true);
    assert.equal(mappingAt(address), undefined);
    const refusal = (error: unknown) =>
      error instanceof ReleasedError &&
      error.code === 'JIT_RELEASED' &&
      error.message === 'this executable page has been released; its page is no longer mapped';
    assert.throws(() => page.callInt32(ADDER_ENTRY, 1), refusal);
    assert.throws(() => page.callWithInt32Array(ADDER_ENTRY, new Int32Array(1)), refusal);
    assert.throws(() => page.callWithInt32Bytes(ADDER_ENTRY, new Uint8Array(4)), refusal);
    assert.throws(() => page.readCode(), refusal);
    assert.throws(() => ExecutablePage.reseal(page, encodeAdder(1)), refusal);
    assert.doesNotThrow(() => page.release(), 'releasing twice is harmless');
  });

  it('refuses x outside int32 before calling', () => {
    const page = ExecutablePage.seal(encodeAdder(1));
    try {
      for (const x of [2 ** 31, 0.5]) {
        assert.throws(() => page.callInt32(ADDER_ENTRY, x), {
          name: 'RangeError',
          message: `x must be an integer from -2147483648 to 2147483647, got ${x}`,
        });
      }
    } finally {
      page.release();
    }
  });

  it('refuses empty code and code larger than one page, naming the sizes', () => {
    const size = pageSize();
    for (const length of [0, size + 1]) {
      assert.throws(() => ExecutablePage.seal(new Uint8Array(length)), {
        name: 'RangeError',
        message: `code must be 1 to ${size} bytes (one page), got ${length}`,
      });
    }
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

  it('maps an inaccessible guard page right after its page, and unmaps both with one munmap on release', () => {
    const size = pageSize();
    const page = ExecutablePage.seal(encodeAdder(5));
    const { address } = page;
    const guard = mappingAt(address + size);
    assert.equal(guard?.perms, '---p');
    assert.equal(guard?.path, '', 'anonymous memory');
    assert.equal(mappingAt(address)?.end, address + size, 'the page and its guard are separate mappings');
    assert.deepEqual(
      memoryCallsOf(() => page.release()),
      [{ call: 'munmap', address, length: 2 * size, ok: true }],
    );
    assert.equal(mappingAt(address + size), undefined);
  });

  it('makes no memory call on a second release, and leaves a page mapped since then alone', () => {
    const first = ExecutablePage.seal(encodeAdder(1));
    first.release();
    // mmap usually hands the address just freed to the next mapping: a second munmap of `first`'s range
    // would then unmap `second` (and munmap of a range that is no longer mapped would not fail either).
    const second = ExecutablePage.seal(encodeAdder(2));
    try {
      assert.deepEqual(
        memoryCallsOf(() => first.release()),
        [],
      );
      assert.equal(mappingAt(second.address)?.perms, 'r-xp');
      assert.equal(second.callInt32(ADDER_ENTRY, 40), 42);
    } finally {
      second.release();
    }
  });

  it('reseals with code longer than the page held: all of it is written, and both entries run', () => {
    const previous = ExecutablePage.seal(encodeAdder(-4));
    const code = encodeAdderPage(7);
    assert.ok(code.length > previous.codeLength, 'the new code is the longer');
    const page = ExecutablePage.reseal(previous, code);
    try {
      assert.equal(page.codeLength, code.length);
      assert.deepEqual(page.readCode(), code);
      assert.equal(page.callInt32(ADDER_ENTRY, 1), 8);
      const values = Int32Array.of(1, -8);
      page.callWithInt32Array(BATCH_ADDER_ENTRY, values);
      assert.deepEqual([...values], [8, -1]);
      assert.equal(mappingAt(page.address + pageSize())?.perms, '---p', 'the guard page stays');
    } finally {
      page.release();
    }
  });

  it('seals and reseals code of exactly one page', () => {
    const size = pageSize();
    // The adder for 3 at the start, the rest of the page int3.
    const code = new Uint8Array(size).fill(0xcc);
    code.set(encodeAdder(3));
    const page = ExecutablePage.reseal(ExecutablePage.seal(code), code);
    try {
      assert.equal(page.codeLength, size);
      assert.deepEqual(page.readCode(), code);
      assert.equal(page.callInt32(ADDER_ENTRY, 4), 7);
    } finally {
      page.release();
    }
  });

  it('refuses to reseal empty code or code larger than one page, and the page stays as it was', () => {
    const size = pageSize();
    const page = ExecutablePage.seal(encodeAdder(3));
    try {
      for (const length of [0, size + 1]) {
        assert.throws(() => ExecutablePage.reseal(page, new Uint8Array(length)), {
          name: 'RangeError',
          message: `code must be 1 to ${size} bytes (one page), got ${length}`,
        });
        assert.equal(page.released, false);
        assert.equal(page.callInt32(ADDER_ENTRY, 4), 7);
      }
    } finally {
      page.release();
    }
  });

  it('times the steps of a seal and of a reseal in microseconds: each at least 0, together within the whole', () => {
    // Against the whole call, timed here in microseconds: the steps never add up to more. Nor is any step
    // under 10 ns in all of ten rounds: each is a system call or a call through koffi, which take longer
    // (this clock reads to about 30 ns). Milliseconds or nanoseconds would be a thousand times off.
    const longest = { seal: [0, 0, 0], reseal: [0, 0, 0] };
    const timed = (kind: keyof typeof longest, seal: () => ExecutablePage): ExecutablePage => {
      const started = performance.now();
      const page = seal();
      const elapsedUs = (performance.now() - started) * 1000;
      const steps = [...lastSealTimings];
      assert.ok(
        steps.every((us) => us >= 0),
        `steps ${steps}`,
      );
      const sum = steps.reduce((total, us) => total + us, 0);
      assert.ok(sum <= elapsedUs, `steps ${steps} within ${elapsedUs} µs`);
      longest[kind] = longest[kind].map((us, step) => Math.max(us, steps[step] ?? 0));
      return page;
    };
    for (let round = 0; round < 10; round += 1) {
      const page = timed('seal', () => ExecutablePage.seal(encodeAdder(1)));
      timed('reseal', () => ExecutablePage.reseal(page, encodeAdder(2))).release();
    }
    for (const steps of Object.values(longest)) {
      assert.ok(
        steps.every((us) => us >= 0.01),
        JSON.stringify(longest),
      );
    }
  });

  it('unmaps the page and its guard, and throws the failure, when an mprotect of a reseal fails', () => {
    const size = pageSize();
    const previous = ExecutablePage.seal(encodeAdder(1));
    const { address } = previous;
    // Put a read-only shared mapping of a file in the page's place (MAP_FIXED replaces it, so the address
    // is never free for another mapping): the kernel refuses to make that writable (EACCES), as it would
    // refuse a page when memory runs out.
    const mmap = koffi
      .load('libc.so.6')
      .func('intptr_t mmap(uintptr_t addr, size_t length, int prot, int flags, int fd, int64_t offset)') as (
      ...args: number[]
    ) => number;
    const fd = openSync(process.execPath, 'r');
    try {
      const PROT_READ = 0x1;
      const MAP_SHARED = 0x1;
      const MAP_FIXED = 0x10;
      assert.equal(mmap(address, size, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0), address);
    } finally {
      closeSync(fd);
    }
    let thrown: unknown;
    const calls = memoryCallsOf(() => {
      try {
        ExecutablePage.reseal(previous, encodeAdder(2));
      } catch (error) {
        thrown = error;
      }
    });
    assert.ok(thrown instanceof SyscallError, `a SyscallError, not ${thrown}`);
    assert.equal(thrown.errnoName, 'EACCES');
    assert.match(thrown.message, /^mprotect\(PROT_READ\|PROT_WRITE\) failed with EACCES \(errno 13\): /);
    assert.equal('cleanupError' in thrown, false, 'the cleanup succeeded');
    assert.deepEqual(calls, [
      { call: 'mprotect', address, length: size, prot: 0x3, ok: false },
      { call: 'munmap', address, length: 2 * size, ok: true },
    ]);
    assert.equal(previous.released, true);
    assert.equal(mappingAt(address), undefined);
    assert.equal(mappingAt(address + size), undefined);
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

  it('throws a failure that is not an Error as it is, whatever the cleanup does', () => {
    for (const cleanup of [
      () => {},
      () => {
        throw new Error('munmap failed');
      },
    ]) {
      assert.throws(
        () => throwAfterCleanup('a plain string', cleanup),
        (error) => error === 'a plain string',
      );
    }
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
