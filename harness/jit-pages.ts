/**
 * Tells the JIT's pages apart from everything else in /proc/<pid>/maps, so that a process can be checked
 * from outside: how many JIT pages it has, and whether any of them is writable and executable at once.
 *
 * Why "anonymous and writable+executable" is not enough: V8's own code is writable and executable too.
 * What the executable mappings of the server look like (read off the running server on Linux x86-64 with
 * 4 KiB pages, Node 20.20 and Node 24.21):
 *
 *   - An adder page (src/jit/page.ts) is one private anonymous page, `r-xp` once sealed and `rw-p` for the
 *     moment a recycled page is rewritten, immediately followed by its guard: one private anonymous `---p`
 *     page. The guard separates it from the next adder page, and the kernel never merges mappings with
 *     different protections, so a sealed page keeps a line of its own (a read+write one may not: below). The call gates' page is made the same way,
 *     so it looks like an adder page (one per process, mapped before the first request).
 *   - Node 20 commits V8's code space in 256 KiB chunks inside a code range reserved at start-up: a `---p`
 *     guard page, 60 pages `rwxp`, another `---p` guard page. So "followed by a one-page guard" alone would
 *     take V8's chunks for ours; their size tells them apart.
 *   - Node 24 maps its whole code range `rwxp` at once (about 500 MiB here), with the embedded builtins
 *     remapped `r-xp` from the node binary in the middle of it: huge, and the builtins have a path.
 *   - Everything else that is executable is file-backed (node, libc, koffi.node: a path) or named ([vdso]).
 *
 * So a line is taken for a JIT page when it is a private anonymous mapping of exactly one page, not `---p`,
 * and one of these holds:
 *
 *   - it is executable and immediately followed by its guard (a one-page private anonymous `---p`
 *     mapping): a sealed page, or a page that broke W^X (`rwxp`). Neither V8 (never one page) nor a
 *     library (never anonymous) makes such a line;
 *   - it is executable at an address that an earlier reading already took for a JIT page, whatever now
 *     follows it: the page is still ours even if its guard no longer shows as a line of its own;
 *   - it is read+write, followed by its guard, at an address already taken for a JIT page: a recycled page
 *     caught between the mprotect that makes it writable and the one that seals it. (A fresh page before its
 *     first seal has never been seen executable and is not counted: nothing can run it yet.)
 *
 * A recycled page made read+write can also lose its line: the kernel merges it into a private anonymous
 * `rw-p` mapping that ends where it starts (a heap page V8 or malloc mapped just below it). So a longer
 * `rw-p` line whose last page starts at an address taken for a JIT page, followed by that page's guard,
 * counts as that one page (reported as the page alone), until the seal splits it off again. This has
 * happened: the test that follows a real page through its reseal (jit-pages.test.ts) failed on it once.
 *
 * Remembering addresses is why this is a class: one classifier follows one process across its readings.
 * A JIT page that is writable and executable is a W^X violation; any other writable+executable line is
 * reported as foreign (V8's), not as ours.
 *
 * What a reading cannot promise: the kernel writes /proc/<pid>/maps about a page of text per read() and
 * lets the process run between reads, so a reading of a busy process is not one instant, and a state that
 * lasts less than the time between two readings may never be seen. The classifier judges each line as the
 * kernel printed it; a writable+executable line was really there.
 */
import type { Mapping } from './maps.js';

export interface JitPagesReading {
  /** The JIT's pages: adder pages and the call gates' page. */
  pages: Mapping[];
  /** JIT pages that were writable and executable at once. */
  violations: Mapping[];
  /** Writable+executable mappings that are not JIT pages: V8's code space. */
  foreignWritableExecutable: Mapping[];
}

const isExecutable = (mapping: Mapping) => mapping.perms[2] === 'x';
const isWritable = (mapping: Mapping) => mapping.perms[1] === 'w';
const isPrivateAnonymous = (mapping: Mapping) => mapping.path === '' && mapping.perms[3] === 'p';

export class JitPageClassifier {
  readonly #pageSize: number;
  /** Start addresses that some reading took for a JIT page. */
  readonly #seen = new Set<number>();

  constructor(pageSize: number) {
    this.#pageSize = pageSize;
  }

  /** Classifies one reading of a maps file, in address order as the kernel prints it. */
  classify(maps: readonly Mapping[]): JitPagesReading {
    const reading: JitPagesReading = { pages: [], violations: [], foreignWritableExecutable: [] };
    maps.forEach((mapping, index) => {
      const next = maps[index + 1];
      const mergedPage = this.#recycledPageMergedBelow(mapping, next);
      if (mergedPage !== undefined) {
        reading.pages.push(mergedPage);
      } else if (this.#isJitPage(mapping, next) && !this.#inWebAssemblyCodeSpace(maps, index)) {
        this.#seen.add(mapping.start);
        reading.pages.push(mapping);
        if (isWritable(mapping) && isExecutable(mapping)) reading.violations.push(mapping);
      } else if (isWritable(mapping) && isExecutable(mapping)) {
        reading.foreignWritableExecutable.push(mapping);
      }
    });
    return reading;
  }

  /** The JIT page at the end of a longer `rw-p` line it was merged into while recycled (see above), if any. */
  #recycledPageMergedBelow(mapping: Mapping, next: Mapping | undefined): Mapping | undefined {
    const lastPage = mapping.end - this.#pageSize;
    if (
      mapping.perms !== 'rw-p' ||
      !isPrivateAnonymous(mapping) ||
      lastPage <= mapping.start ||
      !this.#seen.has(lastPage) ||
      !this.#isGuard(mapping, next)
    ) {
      return undefined;
    }
    return { ...mapping, start: lastPage };
  }

  /**
   * Whether a page never seen as the JIT's lies in V8's WebAssembly code space: a run of adjacent private
   * anonymous mappings, each rwx or `---p`, as V8 commits its code in a reservation. Such a run can hold a
   * one-page rwx mapping followed by a one-page `---p` one, the shape of a JIT page that broke W^X; but the
   * JIT's pages are sealed `r-xp` and come one page and one guard at a time, while V8's run also holds
   * mappings of other sizes (harness/writable-executable.ts names the rest of it). A page of ours that
   * broke W^X the first time it was seen, placed by the kernel right against reserved memory of another
   * size, would go unreported here; the memory ledger (harness/memory-ledger.ts) still sees its mprotect.
   */
  #inWebAssemblyCodeSpace(maps: readonly Mapping[], index: number): boolean {
    const mapping = maps[index] as Mapping;
    if (this.#seen.has(mapping.start) || mapping.perms !== 'rwxp') return false;
    const inRun = (candidate: Mapping | undefined) =>
      candidate !== undefined &&
      isPrivateAnonymous(candidate) &&
      (candidate.perms === 'rwxp' || candidate.perms === '---p');
    let first = index;
    while (inRun(maps[first - 1]) && maps[first - 1]?.end === maps[first]?.start) first -= 1;
    let last = index;
    while (inRun(maps[last + 1]) && maps[last]?.end === maps[last + 1]?.start) last += 1;
    return maps.slice(first, last + 1).some(({ start, end }) => end - start !== this.#pageSize);
  }

  #isGuard(mapping: Mapping, next: Mapping | undefined): boolean {
    return (
      next !== undefined &&
      next.start === mapping.end &&
      next.perms === '---p' &&
      this.#isOnePrivateAnonymousPage(next)
    );
  }

  #isJitPage(mapping: Mapping, next: Mapping | undefined): boolean {
    if (!this.#isOnePrivateAnonymousPage(mapping) || mapping.perms === '---p') return false;
    const guarded = this.#isGuard(mapping, next);
    const seen = this.#seen.has(mapping.start);
    if (isExecutable(mapping)) return guarded || seen;
    return guarded && seen && isWritable(mapping);
  }

  #isOnePrivateAnonymousPage(mapping: Mapping): boolean {
    return isPrivateAnonymous(mapping) && mapping.end - mapping.start === this.#pageSize;
  }
}
