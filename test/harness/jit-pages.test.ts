import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import koffi from 'koffi';
import { JitPageClassifier } from '../../harness/jit-pages.js';
import { parseMaps, readMaps } from '../../harness/maps.js';
import {
  makeReadWrite,
  PROT_EXEC,
  PROT_READ,
  PROT_WRITE,
  pageSize,
  sealReadExecute,
} from '../../src/jit/libc.js';
import { ExecutablePage } from '../../src/jit/page.js';
import { encodeAdder } from '../../src/jit/x86-64/adder-page.js';

const PAGE = 4096;

/** Lines as the kernel prints them, laid out with the addresses given. */
function maps(...lines: string[]) {
  return parseMaps(lines.join('\n'));
}

function starts(mappings: { start: number }[]): string[] {
  return mappings.map((mapping) => mapping.start.toString(16));
}

describe('JitPageClassifier on synthetic maps lines', () => {
  it('takes a sealed one-page anonymous mapping followed by its one-page guard for a JIT page', () => {
    const reading = new JitPageClassifier(PAGE).classify(
      maps(
        '7f4e4b823000-7f4e4b824000 r-xp 00000000 00:00 0',
        '7f4e4b824000-7f4e4b825000 ---p 00000000 00:00 0',
        '7f4e4b825000-7f4e4b826000 r-xp 00000000 00:00 0',
        '7f4e4b826000-7f4e4b827000 ---p 00000000 00:00 0',
      ),
    );
    assert.deepEqual(starts(reading.pages), ['7f4e4b823000', '7f4e4b825000']);
    assert.deepEqual(reading.violations, []);
    assert.deepEqual(reading.foreignWritableExecutable, []);
  });

  it('reports a writable+executable one-page mapping followed by a guard as a W^X violation', () => {
    const reading = new JitPageClassifier(PAGE).classify(
      maps(
        '7f4e4b823000-7f4e4b824000 rwxp 00000000 00:00 0',
        '7f4e4b824000-7f4e4b825000 ---p 00000000 00:00 0',
      ),
    );
    assert.deepEqual(starts(reading.pages), ['7f4e4b823000']);
    assert.deepEqual(starts(reading.violations), ['7f4e4b823000']);
  });

  it("does not take Node 20's V8 code chunks (guard, 60 pages rwx, guard) for ours", () => {
    const reading = new JitPageClassifier(PAGE).classify(
      maps(
        '7f4e24002000-7f4e24003000 ---p 00000000 00:00 0',
        '7f4e24003000-7f4e2403f000 rwxp 00000000 00:00 0',
        '7f4e2403f000-7f4e24040000 ---p 00000000 00:00 0',
        '7f4e24040000-7f4e24042000 rw-p 00000000 00:00 0',
        '7f4e24042000-7f4e24043000 ---p 00000000 00:00 0',
        '7f4e24043000-7f4e2407f000 rwxp 00000000 00:00 0',
        '7f4e2407f000-7f4e43e40000 ---p 00000000 00:00 0',
      ),
    );
    assert.deepEqual(reading.pages, []);
    assert.deepEqual(reading.violations, []);
    assert.deepEqual(starts(reading.foreignWritableExecutable), ['7f4e24003000', '7f4e24043000']);
  });

  it("does not take Node 24's code range (one huge rwx region around the remapped builtins) for ours", () => {
    const reading = new JitPageClassifier(PAGE).classify(
      maps(
        '7f6844000000-7f6863dc0000 rwxp 00000000 00:00 0',
        '7f6863dc0000-7f6863fc5000 r-xp 01627000 fe:00 2269913                    /usr/bin/node',
        '7f6863fc5000-7f6864000000 rwxp 00000000 00:00 0',
        '7f6864000000-7f686c000000 ---p 00000000 00:00 0',
      ),
    );
    assert.deepEqual(reading.pages, []);
    assert.deepEqual(reading.violations, []);
    assert.equal(reading.foreignWritableExecutable.length, 2);
  });

  it("does not take a page of Node 26's WebAssembly code space (rwx pieces in a reservation) for ours, unless seen before", () => {
    // Read off the server after its first GET /adders/:n: iced-x86's module, committed as it compiles.
    const codeSpace = maps(
      '335ef0e3a000-335ef0e48000 rwxp 00000000 00:00 0',
      '335ef0e48000-335ef0e4e000 ---p 00000000 00:00 0',
      '335ef0e4e000-335ef0e4f000 rwxp 00000000 00:00 0',
      '335ef0e4f000-335ef0e50000 ---p 00000000 00:00 0',
      '335ef0e50000-335ef0f4b000 rwxp 00000000 00:00 0',
    );
    const classifier = new JitPageClassifier(PAGE);
    const reading = classifier.classify(codeSpace);
    assert.deepEqual(reading.pages, []);
    assert.deepEqual(reading.violations, []);
    assert.deepEqual(starts(reading.foreignWritableExecutable), [
      '335ef0e3a000',
      '335ef0e4e000',
      '335ef0e50000',
    ]);
    // A page the JIT had sealed there before is still ours, and broken, whatever surrounds it now.
    classifier.classify(
      maps(
        '335ef0e4e000-335ef0e4f000 r-xp 00000000 00:00 0',
        '335ef0e4f000-335ef0e50000 ---p 00000000 00:00 0',
      ),
    );
    assert.deepEqual(starts(classifier.classify(codeSpace).violations), ['335ef0e4e000']);
  });

  it('does not take file-backed, named, shared, unguarded or larger executable mappings for ours', () => {
    const reading = new JitPageClassifier(PAGE).classify(
      maps(
        '02600000-02601000 r-xp 02200000 fe:00 260689                             /usr/bin/node',
        '02601000-02602000 ---p 00000000 00:00 0',
        '7f0000000000-7f0000001000 r-xs 00000000 00:01 42',
        '7f0000001000-7f0000002000 ---p 00000000 00:00 0',
        '7f0000010000-7f0000011000 r-xp 00000000 00:00 0',
        '7f0000011000-7f0000012000 rw-p 00000000 00:00 0',
        '7f0000020000-7f0000021000 rwxp 00000000 00:00 0',
        '7f0000022000-7f0000023000 ---p 00000000 00:00 0',
        '7f0000030000-7f0000032000 r-xp 00000000 00:00 0',
        '7f0000032000-7f0000033000 ---p 00000000 00:00 0',
        '7f0000040000-7f0000041000 rwxp 00000000 00:00 0',
        '7f0000041000-7f0000100000 ---p 00000000 00:00 0',
        '7f4e4b9ea000-7f4e4b9ec000 r-xp 00000000 00:00 0                          [vdso]',
      ),
    );
    assert.deepEqual(
      reading.pages,
      [],
      'not ours: with a path, shared, no guard, a gap, two pages, big guard',
    );
    assert.deepEqual(reading.violations, []);
    assert.deepEqual(starts(reading.foreignWritableExecutable), ['7f0000020000', '7f0000040000']);
  });

  it('remembers addresses: a page caught read+write while recycled, or without its guard line, is still ours', () => {
    const classifier = new JitPageClassifier(PAGE);
    const page = '7f4e4b823000-7f4e4b824000';
    const guard = '7f4e4b824000-7f4e4b825000 ---p 00000000 00:00 0';
    const stranger = '7f4e4b900000-7f4e4b901000 rw-p 00000000 00:00 0';
    const strangerGuard = '7f4e4b901000-7f4e4b902000 ---p 00000000 00:00 0';

    // Before any executable sighting, a read+write page with a guard is nobody's JIT page yet.
    assert.deepEqual(classifier.classify(maps(`${page} rw-p 00000000 00:00 0`, guard)).pages, []);
    assert.equal(classifier.classify(maps(`${page} r-xp 00000000 00:00 0`, guard)).pages.length, 1);

    const rewriting = classifier.classify(
      maps(`${page} rw-p 00000000 00:00 0`, guard, stranger, strangerGuard),
    );
    assert.deepEqual(starts(rewriting.pages), ['7f4e4b823000'], 'ours mid-reseal; the stranger never was');
    assert.deepEqual(rewriting.violations, []);

    // Read+write again, merged into a read+write neighbour just below: still this one page, and only it.
    const mergedBelow = classifier.classify(maps(`7f4e4b800000-7f4e4b824000 rw-p 00000000 00:00 0`, guard));
    assert.deepEqual(
      mergedBelow.pages.map((mapping) => [mapping.start.toString(16), mapping.end.toString(16)]),
      [['7f4e4b823000', '7f4e4b824000']],
    );
    assert.deepEqual(mergedBelow.violations, []);
    // A read+write line ending at an address never taken for a JIT page is nobody's, guard or not.
    assert.deepEqual(
      classifier.classify(maps(`7f4e4b8f0000-7f4e4b901000 rw-p 00000000 00:00 0`, strangerGuard)).pages,
      [],
    );

    // The guard merged into a bigger ---p neighbour: the page is still recognised, and still checked.
    const merged = '7f4e4b824000-7f4e4b830000 ---p 00000000 00:00 0';
    assert.equal(classifier.classify(maps(`${page} r-xp 00000000 00:00 0`, merged)).pages.length, 1);
    const broken = classifier.classify(maps(`${page} rwxp 00000000 00:00 0`, merged));
    assert.deepEqual(starts(broken.violations), ['7f4e4b823000']);
  });
});

describe('JitPageClassifier on this process', () => {
  const size = pageSize();
  const mprotect = koffi.load('libc.so.6').func('int mprotect(uintptr_t addr, size_t length, int prot)') as (
    address: number,
    length: number,
    prot: number,
  ) => number;

  it('recognises real ExecutablePages in /proc/self/maps, and nothing of V8', (t) => {
    const classifier = new JitPageClassifier(size);
    const before = classifier.classify(readMaps()).pages.length;
    const pages = [1, 2, 3].map((term) => ExecutablePage.seal(encodeAdder(term)));
    try {
      const reading = classifier.classify(readMaps());
      assert.equal(reading.pages.length, before + 3);
      for (const page of pages) {
        const found = reading.pages.find((mapping) => mapping.start === page.address);
        assert.equal(found?.perms, 'r-xp');
      }
      assert.deepEqual(reading.violations, []);
      // V8's code space is writable and executable on Node 20 and 24 (unless run --jitless); never one page.
      t.diagnostic(`V8's writable+executable mappings: ${reading.foreignWritableExecutable.length}`);
      for (const mapping of reading.foreignWritableExecutable) assert.ok(mapping.end - mapping.start > size);
    } finally {
      for (const page of pages) page.release();
    }
    assert.equal(classifier.classify(readMaps()).pages.length, before, 'released pages are gone');
  });

  it('follows a page made read+write for rewriting, and flags it once writable and executable', () => {
    const classifier = new JitPageClassifier(size);
    const page = ExecutablePage.seal(encodeAdder(7));
    const ours = (reading: { pages: { start: number }[] }) =>
      reading.pages.some((mapping) => mapping.start === page.address);
    try {
      assert.ok(ours(classifier.classify(readMaps())));
      makeReadWrite(page.address, size);
      const rewriting = classifier.classify(readMaps());
      assert.ok(ours(rewriting), 'still a JIT page while read+write');
      assert.deepEqual(rewriting.violations, []);

      assert.equal(mprotect(page.address, size, PROT_READ | PROT_WRITE | PROT_EXEC), 0);
      const broken = classifier.classify(readMaps());
      assert.deepEqual(
        broken.violations.map((mapping) => [mapping.start, mapping.perms]),
        [[page.address, 'rwxp']],
      );
    } finally {
      sealReadExecute(page.address, size);
      page.release();
    }
  });
});
