import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { anonymousReadExecutePages, mappingAt, readMaps } from '../../harness/maps.js';
import { AdderLeasedError, AllAddersLeasedError, ReleasedError, SyscallError } from '../../src/jit/errors.js';
import { hostTarget } from '../../src/jit/host.js';
import { wrappingAdd } from '../../src/jit/int32.js';
import { pageSize } from '../../src/jit/libc.js';
import { ExecutablePage, lastSealTimings } from '../../src/jit/page.js';
import { JitRegistry } from '../../src/jit/registry.js';
import { X86_64, X86_64_LEVELS } from '../../src/jit/x86-64/architecture.js';
import { missingFor } from '../../src/jit/x86-64/cpu-probe.js';
import { encodeAdderPage, hostX86Features } from '../support/x86-pages.js';

/** A registry whose pages the test can see, so it can check them against /proc/self/maps. */
function observedRegistry(capacity: number) {
  const pages = new Map<number, ExecutablePage[]>();
  const registry = new JitRegistry({
    capacity,
    compile: (term) => {
      const page = ExecutablePage.seal(encodeAdderPage(term));
      pages.set(term, [...(pages.get(term) ?? []), page]);
      return page;
    },
  });
  return { registry, pages, livePages: () => [...pages.values()].flat().filter((page) => !page.released) };
}

describe('JitRegistry', () => {
  it('compiles on the first request and returns the same adder after', () => {
    const { registry, pages } = observedRegistry(8);
    try {
      const first = registry.compile(5);
      // Let the clock move on, so that a second compile would show in compiledAt.
      const firstMs = Date.now();
      while (Date.now() === firstMs) {}
      const second = registry.compile(5);
      assert.equal(first.lookup, 'compile');
      assert.equal(second.lookup, 'hit');
      assert.equal(second.adder.compiledAt.getTime(), first.adder.compiledAt.getTime());
      assert.equal(pages.get(5)?.length, 1, 'one page for the term');
      assert.deepEqual(registry.apply(5, 1), { result: 6, lookup: 'hit' });
      assert.deepEqual(registry.apply(6, 1), { result: 7, lookup: 'compile' });
      const stats = registry.stats();
      assert.equal(stats.compiles, 2);
      assert.equal(stats.hits, 2);
      assert.equal(stats.misses, 2);
      assert.equal(stats.live, 2);
      assert.equal(stats.mappedBytes, 2 * pageSize());
    } finally {
      registry.dispose();
    }
  });

  it('evicts the least recently used adder and unmaps its page', () => {
    const { registry, pages, livePages } = observedRegistry(3);
    try {
      registry.compile(1);
      registry.compile(2);
      registry.compile(3);
      registry.apply(1, 0); // 1 is now the most recently used; 2 the least
      registry.compile(4);
      assert.deepEqual(
        registry.list().map((adder) => adder.term),
        [3, 1, 4],
      );
      assert.equal(registry.has(2), false);
      const evicted = pages.get(2)?.[0];
      assert.ok(evicted?.released);
      // mmap may hand the freed address straight to the next adder's page; otherwise it must be unmapped.
      const reused = livePages().some((page) => page.address === evicted.address);
      assert.ok(reused || mappingAt(evicted.address) === undefined, 'the evicted page is unmapped');
      assert.equal(registry.stats().evictions, 1);
      // An evicted term compiles again on its next use, on a new page.
      assert.deepEqual(registry.apply(2, 40), { result: 42, lookup: 'compile' });
      assert.equal(pages.get(2)?.length, 2);
      assert.equal(registry.has(3), false, '3 was then the least recently used');
    } finally {
      registry.dispose();
    }
  });

  it("recycles the evicted adder's page for the new term: same mapping, new code, read+execute", () => {
    const registry = new JitRegistry({ capacity: 2, blinding: false }); // the seed's bytes, to compare
    const size = pageSize();
    try {
      registry.apply(0, 0); // the call gate's page exists before the count is taken
      registry.apply(1, 0);
      // The anonymous read+execute mappings, exactly: recycling must not move, add or remove any. (A fresh
      // page would be mapped while the evicted one is still mapped, so at another address.)
      const executableRanges = () =>
        readMaps()
          .filter((mapping) => mapping.perms === 'r-xp' && mapping.path === '')
          .map((mapping) => `${mapping.start.toString(16)}-${mapping.end.toString(16)}`)
          .join(' ');
      const before = executableRanges();
      const pagesBefore = anonymousReadExecutePages(size);
      for (let term = 2; term < 200; term += 1) {
        assert.equal(registry.apply(term, 40).result, term + 40);
        assert.deepEqual(registry.describe(term)?.code, encodeAdderPage(term));
        assert.equal(executableRanges(), before, `after compiling ${term}`);
      }
      assert.equal(anonymousReadExecutePages(size), pagesBefore);
      assert.equal(registry.stats().evictions, 198);
      // The evicted terms are gone and compile again, correctly, on their next use.
      assert.deepEqual(registry.apply(0, 2), { result: 2, lookup: 'compile' });
      assert.deepEqual(registry.apply(5, -7), { result: -2, lookup: 'compile' });
    } finally {
      registry.dispose();
    }
  });

  it('releases an evicted page that the compile did not recycle, or failed on', () => {
    let mode: 'fresh' | 'fail' = 'fresh';
    const handed: ExecutablePage[] = [];
    const registry = new JitRegistry({
      capacity: 1,
      compile: (term, recycled) => {
        if (recycled) handed.push(recycled);
        if (mode === 'fail') throw new SyscallError('mprotect', 12, 'ENOMEM', 'Cannot allocate memory');
        return ExecutablePage.seal(encodeAdderPage(term));
      },
    });
    try {
      registry.compile(1);
      registry.compile(2); // evicts 1; the compile maps a fresh page and leaves 1's unused
      assert.equal(handed.length, 1);
      assert.ok(handed[0]?.released);
      assert.equal(mappingAt(handed[0]?.address ?? 0)?.perms, undefined, "1's page is unmapped");
      mode = 'fail';
      assert.throws(() => registry.compile(3), SyscallError);
      assert.equal(handed.length, 2);
      assert.ok(handed[1]?.released, "2's page is released although the compile failed");
      assert.equal(registry.stats().live, 0);
      assert.equal(registry.has(2), false);
    } finally {
      registry.dispose();
    }
  });

  it('counts calls and keeps compile times per adder', () => {
    const registry = new JitRegistry({ capacity: 4 });
    try {
      const before = Date.now();
      registry.apply(9, 1);
      registry.applyAll(9, [1, 2, 3]);
      const [adder] = registry.list();
      assert.equal(adder?.term, 9);
      assert.equal(adder?.calls, 4);
      assert.ok(adder && adder.compiledAt.getTime() >= before && adder.compiledAt.getTime() <= Date.now());
    } finally {
      registry.dispose();
    }
  });

  it('applies many inputs and wraps around', () => {
    const registry = new JitRegistry({ capacity: 4 });
    try {
      const xs = [-2147483648, -1, 0, 1, 2147483647];
      assert.deepEqual(
        [...registry.applyAll(2147483647, xs).results],
        xs.map((x) => wrappingAdd(2147483647, x)),
      );
      assert.equal(registry.apply(2147483647, 1).result, -2147483648);
      assert.equal(registry.apply(-2147483648, -1).result, 2147483647);
    } finally {
      registry.dispose();
    }
  });

  it('checks every input before compiling or calling anything', () => {
    const registry = new JitRegistry({ capacity: 4 });
    try {
      assert.throws(() => registry.applyAll(5, [1, 2 ** 31]), { name: 'RangeError', message: /xs\[1\]/ });
      assert.throws(() => registry.apply(5, 1.5), { name: 'RangeError', message: /^x / });
      assert.throws(() => registry.apply(2 ** 31, 1), { name: 'RangeError', message: /^term / });
      assert.equal(registry.has(5), false);
      assert.equal(registry.stats().compiles, 0);
      assert.equal(registry.stats().misses, 0);
    } finally {
      registry.dispose();
    }
  });

  it('describes an adder: the code read back from its page and its architecture, without counting a use', () => {
    const registry = new JitRegistry({ capacity: 4, blinding: false }); // the seed's bytes, to compare
    try {
      assert.equal(registry.describe(-4), undefined);
      registry.compile(-4);
      const details = registry.describe(-4);
      assert.deepEqual(details?.code, encodeAdderPage(-4));
      assert.equal(details?.architecture, 'x86-64');
      assert.equal(registry.stats().hits, 0);
    } finally {
      registry.dispose();
    }
  });

  it('releases one adder on request, and a later use compiles it again', () => {
    const { registry, pages } = observedRegistry(4);
    try {
      registry.compile(3);
      assert.equal(registry.release(3), true);
      assert.equal(registry.release(3), false);
      assert.equal(mappingAt(pages.get(3)?.[0]?.address ?? 0), undefined);
      assert.equal(registry.apply(3, 3).lookup, 'compile');
      assert.equal(registry.stats().releases, 1);
    } finally {
      registry.dispose();
    }
  });

  it('keeps no entry when a compile fails, and goes on serving', () => {
    let failNext = true;
    const registry = new JitRegistry({
      capacity: 2,
      compile: (term) => {
        if (failNext) {
          failNext = false;
          throw new SyscallError('mmap', 12, 'ENOMEM', 'Cannot allocate memory');
        }
        return ExecutablePage.seal(encodeAdderPage(term));
      },
    });
    try {
      assert.throws(() => registry.apply(1, 1), SyscallError);
      assert.equal(registry.has(1), false);
      assert.equal(registry.stats().live, 0);
      assert.equal(registry.stats().compiles, 0);
      assert.deepEqual(registry.apply(1, 1), { result: 2, lookup: 'compile' });
    } finally {
      registry.dispose();
    }
  });

  /** A registry whose fresh pages the kernel refuses (ENOMEM) once `refuseFresh` is set; recycling works. */
  function registryUnderMemoryPressure(capacity: number) {
    const state = { refuseFresh: false, freshRefused: 0 };
    const registry = new JitRegistry({
      capacity,
      compile: (term, recycled) => {
        const code = encodeAdderPage(term);
        if (recycled) return ExecutablePage.reseal(recycled, code);
        if (state.refuseFresh) {
          state.freshRefused += 1;
          throw new SyscallError('mprotect(PROT_NONE)', 12, 'ENOMEM', 'Cannot allocate memory');
        }
        return ExecutablePage.seal(code);
      },
    });
    return { registry, state };
  }

  it("recycles the least recently used adder's page when the kernel refuses a new one below capacity", () => {
    const { registry, state } = registryUnderMemoryPressure(100);
    try {
      for (const term of [1, 2, 3]) registry.compile(term);
      registry.apply(1, 0); // 2 is now the least recently used
      state.refuseFresh = true;
      assert.deepEqual(registry.apply(40, 2), { result: 42, lookup: 'compile' });
      assert.equal(state.freshRefused, 1);
      assert.equal(registry.has(2), false, 'the least recently used adder made room');
      assert.deepEqual(
        registry.list().map((adder) => adder.term),
        [3, 1, 40],
      );
      const stats = registry.stats();
      assert.equal(stats.live, 3);
      assert.equal(stats.evictions, 1);
      assert.equal(stats.pressureEvictions, 1);
      // Every later new term is served the same way, never refused while a page can be recycled.
      for (let term = 1000; term < 1100; term += 1) assert.equal(registry.apply(term, 1).result, term + 1);
      assert.equal(registry.stats().live, 3);
      assert.equal(registry.stats().pressureEvictions, 101);
    } finally {
      registry.dispose();
    }
  });

  it('lets the refusal stand when there is no page to recycle, and keeps no entry for it', () => {
    const { registry, state } = registryUnderMemoryPressure(100);
    try {
      state.refuseFresh = true;
      assert.throws(
        () => registry.apply(7, 1),
        (error) => error instanceof SyscallError && error.errnoName === 'ENOMEM',
      );
      assert.equal(registry.stats().live, 0);
      assert.equal(registry.stats().pressureEvictions, 0);
      state.refuseFresh = false;
      assert.deepEqual(registry.apply(7, 1), { result: 8, lookup: 'compile' });
    } finally {
      registry.dispose();
    }
  });

  it('does not recycle for a refusal other than ENOMEM', () => {
    let calls = 0;
    const registry = new JitRegistry({
      capacity: 100,
      compile: (term, recycled) => {
        calls += 1;
        if (calls > 1)
          throw new SyscallError('mprotect(PROT_READ|PROT_EXEC)', 13, 'EACCES', 'Permission denied');
        return recycled
          ? ExecutablePage.reseal(recycled, encodeAdderPage(term))
          : ExecutablePage.seal(encodeAdderPage(term));
      },
    });
    try {
      registry.compile(1);
      assert.throws(() => registry.compile(2), SyscallError);
      assert.equal(calls, 2, 'no second attempt on a recycled page');
      assert.equal(registry.has(1), true, 'the adder that was there stays');
    } finally {
      registry.dispose();
    }
  });

  it('evicts, lists and hits in exactly least-recently-used order, against a model, whatever the operations', () => {
    // The model: an array of terms, least recently used first. Few distinct terms and a small capacity, so
    // that hits, evictions, releases and recompiles all happen in most runs.
    const term = fc.integer({ min: -3, max: 5 });
    const operation = fc.oneof(
      fc.record({ kind: fc.constant('apply' as const), term }),
      fc.record({ kind: fc.constant('compile' as const), term }),
      fc.record({ kind: fc.constant('release' as const), term }),
      fc.record({ kind: fc.constant('describe' as const), term }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.array(operation, { maxLength: 60 }), (capacity, ops) => {
        const registry = new JitRegistry({ capacity, blinding: false });
        const model: number[] = [];
        try {
          for (const op of ops) {
            const at = model.indexOf(op.term);
            if (op.kind === 'release') {
              assert.equal(registry.release(op.term), at >= 0);
              if (at >= 0) model.splice(at, 1);
            } else if (op.kind === 'describe') {
              assert.equal(registry.describe(op.term)?.term, at >= 0 ? op.term : undefined);
            } else {
              const expected = at >= 0 ? 'hit' : 'compile';
              const { lookup } = op.kind === 'apply' ? registry.apply(op.term, 1) : registry.compile(op.term);
              assert.equal(lookup, expected);
              if (at >= 0) model.splice(at, 1);
              else if (model.length === capacity) model.shift();
              model.push(op.term);
            }
            assert.deepEqual(
              registry.list().map((adder) => adder.term),
              model,
            );
          }
          assert.equal(registry.dispose(), model.length);
        } finally {
          registry.dispose();
        }
      }),
    );
  });

  it('rejects a capacity that is not a positive integer', () => {
    for (const capacity of [0, -1, 1.5, Number.NaN]) {
      assert.throws(() => new JitRegistry({ capacity }), {
        name: 'RangeError',
        message: `capacity must be a positive integer, got ${capacity}`,
      });
    }
  });

  it('keeps at most `capacity` pages mapped over 100,000 compiles, and none after dispose', () => {
    const size = pageSize();
    const warmup = new JitRegistry({ capacity: 1 });
    warmup.apply(0, 0); // makes the call gate's page before the baseline is taken
    warmup.dispose();
    const baseline = anonymousReadExecutePages(size);

    const capacity = 64;
    const registry = new JitRegistry({ capacity });
    let peak = 0;
    for (let term = 0; term < 100_000; term += 1) {
      assert.equal(registry.apply(term, 1).result, term + 1);
      if (term % 5_000 === 0) peak = Math.max(peak, anonymousReadExecutePages(size) - baseline);
    }
    const maps = readMaps();
    const mapped = anonymousReadExecutePages(size, maps) - baseline;
    assert.ok(mapped <= capacity, `${mapped} JIT pages mapped at capacity ${capacity}`);
    assert.ok(peak <= capacity, `peak ${peak}`);
    assert.equal(registry.stats().live, capacity);
    assert.equal(registry.stats().evictions, 100_000 - capacity);

    assert.equal(registry.disposed, false);
    registry.dispose();
    assert.equal(registry.disposed, true);
    assert.equal(anonymousReadExecutePages(size) - baseline, 0, 'no JIT page left after dispose');
    for (const use of [
      () => registry.apply(1, 1),
      () => registry.compile(1),
      () => registry.codeOf(1),
      () => registry.release(1),
    ]) {
      assert.throws(use, {
        name: 'ReleasedError',
        code: 'JIT_RELEASED',
        message: 'this JIT registry has been released; its page is no longer mapped',
      });
    }
    assert.equal(registry.dispose(), 0, 'disposing twice is harmless');
  });

  it('unmaps every page on dispose, and none of them was ever writable and executable', () => {
    const { registry, livePages } = observedRegistry(16);
    for (let term = 0; term < 40; term += 1) registry.compile(term);
    const live = livePages();
    assert.equal(live.length, 16);
    const maps = readMaps();
    for (const page of live) assert.equal(mappingAt(page.address, maps)?.perms, 'r-xp');
    assert.equal(registry.dispose(), 16);
    const after = readMaps();
    for (const page of live) assert.equal(mappingAt(page.address, after), undefined);
  });

  it('compiles for the target it is given, the host architecture’s baseline unless told, and says which', () => {
    const host = hostX86Features();
    const baseline = new JitRegistry({ capacity: 1 });
    assert.equal(baseline.level, 'scalar');
    assert.equal(baseline.stats().target, 'x86-64-scalar');
    baseline.dispose();
    for (const level of X86_64_LEVELS) {
      if (missingFor(level, host).length > 0) continue;
      const registry = new JitRegistry({ capacity: 4, target: hostTarget(level), blinding: false });
      try {
        assert.equal(registry.level, level);
        const xs = Array.from({ length: 1_001 }, (_, index) => Math.imul(index, 0x9e3779b1));
        const { results } = registry.applyAll(-7, xs);
        assert.deepEqual(
          [...results],
          xs.map((x) => wrappingAdd(-7, x)),
        );
        assert.deepEqual(registry.describe(-7)?.code, X86_64.target(level).encodePage(-7));
        assert.equal(registry.apply(-7, 7).result, 0);
      } finally {
        registry.dispose();
      }
    }
  });

  it('leases an adder for a stream of chunks: one lookup, every value a call, and its end a use', () => {
    const registry = new JitRegistry({ capacity: 2, blinding: false });
    const chunk = (...values: number[]) => new Uint8Array(Int32Array.from(values).buffer);
    const values = (bytes: Uint8Array) => [...new Int32Array(bytes.buffer)];
    const order = () => registry.list().map((adder) => adder.term);
    try {
      registry.compile(1);
      registry.compile(2);
      const { lease, lookup } = registry.lease(1);
      assert.equal(lookup, 'hit');
      assert.deepEqual(order(), [2, 1], 'the lease is a lookup: 1 is now the most recently used');
      registry.apply(2, 0);
      const first = chunk(10, 20);
      lease.applyInPlace(first);
      lease.applyInPlace(chunk(5));
      assert.deepEqual(values(first), [11, 21]);
      assert.equal(registry.stats().hits, 2, 'the lease and the apply; the chunks are no lookups');
      assert.deepEqual(order(), [1, 2], 'nor uses that change the order');
      assert.deepEqual(registry.list().find((adder) => adder.term === 1)?.calls, 3, 'every value a call');
      lease.end();
      assert.deepEqual(order(), [2, 1], 'its end is a use');
      lease.end();
      assert.deepEqual(order(), [2, 1], 'and only the first end');
      assert.throws(() => lease.applyInPlace(chunk(1)), ReleasedError, 'an ended lease adds nothing');
      const compiled = registry.lease(3);
      assert.equal(compiled.lookup, 'compile', 'a lease compiles a term not compiled');
      compiled.lease.end();
    } finally {
      registry.dispose();
    }
  });

  it('never evicts or releases a leased adder, and refuses a compile when every adder is leased', () => {
    const registry = new JitRegistry({ capacity: 2, blinding: false });
    try {
      const { lease: one } = registry.lease(1);
      registry.compile(2);
      registry.compile(3); // 1 is the least recently used, but leased: 2 goes
      assert.deepEqual(
        registry
          .list()
          .map((adder) => adder.term)
          .sort(),
        [1, 3],
      );
      assert.throws(() => registry.release(1), { name: AdderLeasedError.name, code: 'JIT_ADDER_LEASED' });
      assert.equal(registry.has(1), true);
      const { lease: three } = registry.lease(3);
      const before = registry.stats();
      assert.throws(() => registry.compile(4), {
        name: AllAddersLeasedError.name,
        code: 'JIT_ALL_ADDERS_LEASED',
      });
      assert.equal(registry.has(4), false);
      assert.equal(registry.stats().compiles, before.compiles, 'nothing compiled');
      assert.equal(registry.stats().live, 2, 'and nothing evicted');
      const bytes = new Uint8Array(Int32Array.from([7]).buffer);
      one.applyInPlace(bytes);
      assert.deepEqual([...new Int32Array(bytes.buffer)], [8], 'the leased adder still adds its own term');
      one.end();
      registry.compile(4); // 1's lease has ended: it may go now
      assert.equal(registry.has(1), false);
      three.end();
      assert.equal(registry.release(3), true, 'released once its lease ended');
    } finally {
      registry.dispose();
    }
  });

  it('ends every lease with the registry: a leased page is unmapped, and its stream refused', () => {
    const registry = new JitRegistry({ capacity: 1 });
    const { lease } = registry.lease(1);
    registry.dispose();
    assert.throws(() => lease.applyInPlace(new Uint8Array(4)), ReleasedError);
    assert.doesNotThrow(() => lease.end());
  });

  it('maps each adder in pages of the size it is given, guard page and all, when the kernel’s are larger', () => {
    // As an arm64 kernel built for 16 KiB pages would have them: four of this machine's pages.
    const pageBytes = 4 * pageSize();
    const compiled: ExecutablePage[] = [];
    const registry = new JitRegistry({ capacity: 2, pageBytes });
    try {
      assert.equal(registry.pageBytes, pageBytes);
      for (const term of [1, 2, 3]) {
        assert.equal(registry.apply(term, 10).result, term + 10);
        assert.deepEqual([...registry.applyAll(term, [1, -1]).results], [term + 1, term - 1]);
      }
      assert.equal(registry.stats().mappedBytes, 2 * pageBytes);
      assert.equal(registry.stats().evictions, 1, 'a page of the larger size recycled');
      // The page and its guard, each pageBytes, as the kernel sees them.
      const probe = ExecutablePage.seal(encodeAdderPage(7), undefined, pageBytes);
      compiled.push(probe);
      const maps = readMaps();
      const code = mappingAt(probe.address, maps);
      const guard = mappingAt(probe.address + pageBytes, maps);
      assert.equal(code?.perms, 'r-xp');
      assert.equal(code?.end, probe.address + pageBytes);
      assert.equal(guard?.perms, '---p');
      assert.equal(guard?.end, probe.address + 2 * pageBytes);
      assert.throws(() => ExecutablePage.seal(encodeAdderPage(7), undefined, pageSize() + 8), {
        name: 'RangeError',
        message: `a page must be a positive multiple of ${pageSize()} bytes, got ${pageSize() + 8}`,
      });
    } finally {
      for (const page of compiled) page.release();
      registry.dispose();
    }
  });

  it('lists from an offset and up to a limit, and nothing past its last adder', () => {
    const registry = new JitRegistry({ capacity: 4, blinding: false });
    try {
      for (const term of [1, 2, 3]) registry.compile(term);
      const terms = (offset?: number, limit?: number) =>
        registry.list(offset, limit).map((adder) => adder.term);
      assert.deepEqual(terms(), [1, 2, 3]);
      assert.deepEqual(terms(1), [2, 3]);
      assert.deepEqual(terms(1, 1), [2]);
      assert.deepEqual(terms(0, 0), []);
      assert.deepEqual(terms(3), []);
      assert.deepEqual(terms(5), []);
    } finally {
      registry.dispose();
    }
  });

  it('lets ENOMEM stand at capacity, where it came from recycling a page: no second adder is evicted for it', () => {
    const registry = new JitRegistry({
      capacity: 2,
      compile: (term, recycled) => {
        if (recycled)
          throw new SyscallError('mprotect(PROT_READ|PROT_WRITE)', 12, 'ENOMEM', 'Cannot allocate memory');
        return ExecutablePage.seal(encodeAdderPage(term));
      },
    });
    try {
      registry.compile(1);
      registry.compile(2);
      assert.throws(() => registry.compile(3), { name: 'SyscallError', errnoName: 'ENOMEM' });
      const stats = registry.stats();
      assert.deepEqual([stats.live, stats.evictions, stats.pressureEvictions], [1, 1, 0]);
      assert.deepEqual(
        registry.list().map((adder) => adder.term),
        [2],
        'only the least recently used adder went',
      );
    } finally {
      registry.dispose();
    }
  });

  it('tells onCompile how long each compile took, in seconds, and nothing for a hit', () => {
    const told: number[] = [];
    const registry = new JitRegistry({ capacity: 4, onCompile: (seconds) => told.push(seconds) });
    try {
      for (let term = 0; term < 10; term += 1) {
        const started = performance.now();
        registry.compile(term);
        const elapsedSeconds = (performance.now() - started) / 1000;
        const seconds = told.at(-1) ?? -1;
        assert.ok(
          seconds > 0 && seconds <= elapsedSeconds,
          `${seconds} s of a compile that took ${elapsedSeconds} s`,
        );
      }
      registry.compile(9);
      assert.equal(told.length, 10);
    } finally {
      registry.dispose();
    }
  });
});

describe('JitRegistry page lives', () => {
  it('records how each page got its code, how often it was called, and how it ended', () => {
    const registry = new JitRegistry({ capacity: 2 });
    try {
      registry.apply(1, 1);
      registry.applyAll(1, [1, 2, 3]);
      const first = registry.life(1);
      assert.deepEqual(
        first?.steps.map(({ step, protection, count, term }) => ({ step, protection, count, term })),
        [
          { step: 'mapped', protection: 'rw-', count: undefined, term: undefined },
          { step: 'written', protection: 'rw-', count: registry.codeOf(1)?.length, term: undefined },
          { step: 'sealed', protection: 'r-x', count: undefined, term: undefined },
          { step: 'called', protection: 'r-x', count: 4, term: undefined },
        ],
      );
      assert.equal(first?.live, true);
      for (const step of first?.steps.slice(0, 3) ?? []) assert.ok((step.durationUs ?? -1) >= 0);

      // At capacity, 1 (the least recently used) is evicted and its page recycled for 3.
      registry.apply(2, 0);
      registry.apply(3, 0);
      const evicted = registry.life(1);
      assert.equal(evicted?.live, false);
      assert.deepEqual(evicted?.steps.at(-1), {
        step: 'evicted',
        protection: 'rw-',
        durationUs: null,
        term: 3,
      });
      assert.deepEqual(
        registry.life(3)?.steps.map(({ step, term }) => [step, term]),
        [
          ['recycled', 1],
          ['written', undefined],
          ['sealed', undefined],
          ['called', undefined],
        ],
      );

      registry.release(3);
      const released = registry.life(3);
      assert.equal(released?.live, false);
      assert.equal(released?.steps.at(-1)?.step, 'unmapped');
      assert.equal(released?.steps.at(-1)?.protection, 'none');
      assert.equal(registry.life(999), undefined);
    } finally {
      registry.dispose();
    }
  });

  it('keeps the last 64 ended lives, most recent first for a term seen twice', () => {
    const registry = new JitRegistry({ capacity: 1 });
    try {
      for (let term = 0; term < 100; term += 1) registry.apply(term, 0);
      // 99 lives ended (terms 0 to 98); the last 64 are 35 to 98.
      assert.equal(registry.life(34), undefined, 'the 65th ended life back is forgotten');
      assert.equal(registry.life(35)?.live, false);
      registry.apply(36, 0);
      registry.apply(37, 0);
      assert.deepEqual(registry.life(36)?.steps[0], {
        step: 'recycled',
        protection: 'rw-',
        durationUs: registry.life(36)?.steps[0]?.durationUs,
        term: 99,
      });
    } finally {
      registry.dispose();
    }
  });

  it('shows the blinding key and blinded term read from the page, and the term’s bytes nowhere in it', () => {
    const blinded = new JitRegistry({ capacity: 4 });
    const seed = new JitRegistry({ capacity: 4, blinding: false });
    try {
      blinded.apply(-4, 1);
      seed.apply(-4, 1);
      const details = blinded.describe(-4);
      assert.ok(details?.blinding);
      assert.equal(details.blinding.key ^ details.blinding.blindedTerm, -4);
      assert.deepEqual(details.termBytesAt, []);
      assert.equal(details.pageBytes, pageSize());
      assert.equal(details.codeBytes, details.code.length);
      const plain = seed.describe(-4);
      assert.equal(plain?.blinding, undefined);
      // The seed page holds the term twice: in mov rax, imm32 and in the batch entry's mov eax, imm32.
      assert.deepEqual(plain?.termBytesAt, [3, 17]);
    } finally {
      blinded.dispose();
      seed.dispose();
    }
  });

  it('shows the seal’s own timings, to a tenth of a microsecond, for a fresh page and a recycled one', () => {
    const registry = new JitRegistry({ capacity: 1 });
    try {
      for (const term of [1, 2]) {
        registry.compile(term);
        const measured = [...lastSealTimings].map((us) => Math.round(us * 10) / 10);
        assert.deepEqual(
          registry
            .life(term)
            ?.steps.slice(0, 3)
            .map(({ step, durationUs }) => [step, durationUs]),
          [
            [term === 1 ? 'mapped' : 'recycled', measured[0]],
            ['written', measured[1]],
            ['sealed', measured[2]],
          ],
        );
      }
    } finally {
      registry.dispose();
    }
  });

  it('times the munmap of a released page in microseconds: within the release, and not zero', () => {
    const registry = new JitRegistry({ capacity: 10 });
    try {
      let longest = 0;
      for (let term = 0; term < 10; term += 1) {
        registry.compile(term);
        const started = performance.now();
        registry.release(term);
        const elapsedUs = (performance.now() - started) * 1000;
        const unmapped = registry.life(term)?.steps.at(-1);
        assert.equal(unmapped?.step, 'unmapped');
        const us = unmapped?.durationUs ?? -1;
        // Shown to a tenth: it may round up by 0.05 µs.
        assert.ok(us >= 0 && us <= elapsedUs + 0.05, `${us} µs of a release that took ${elapsedUs} µs`);
        longest = Math.max(longest, us);
      }
      assert.ok(longest >= 0.1, `a munmap takes longer than 0.05 µs: ${longest}`);
    } finally {
      registry.dispose();
    }
  });

  it('reads the key and the blinded term each from its own field of the page', () => {
    const key = 0x5a5a5a5a;
    const registry = new JitRegistry({
      capacity: 2,
      compile: (term) => ExecutablePage.seal(encodeAdderPage(term, key)),
    });
    try {
      registry.compile(-4);
      assert.deepEqual(registry.describe(-4)?.blinding, { key, blindedTerm: -4 ^ key });
    } finally {
      registry.dispose();
    }
  });

  it('finds the term’s bytes anywhere in the code, up to its last four bytes', () => {
    // The scalar page ends in fixed bytes (dec rsi's ModRM, jnz rel8, ret): a term made of those four
    // bytes lies at the end of its own page as well as in its two immediates (offsets 3 and 17).
    const code = encodeAdderPage(0);
    const end = code.length - 4;
    const term = new DataView(code.buffer, code.byteOffset).getInt32(end, true);
    assert.deepEqual(
      encodeAdderPage(term).subarray(end),
      code.subarray(end),
      'the last four bytes are fixed',
    );
    const registry = new JitRegistry({ capacity: 1, blinding: false });
    try {
      registry.compile(term);
      assert.deepEqual(registry.describe(term)?.termBytesAt, [3, 17, end]);
    } finally {
      registry.dispose();
    }
  });
});
