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
 *     page. Every page keeps a line of its own: the guard separates it from the next adder page, and the
 *     kernel never merges mappings with different protections. The call gates' page is made the same way,
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
      if (this.#isJitPage(mapping, maps[index + 1])) {
        this.#seen.add(mapping.start);
        reading.pages.push(mapping);
        if (isWritable(mapping) && isExecutable(mapping)) reading.violations.push(mapping);
      } else if (isWritable(mapping) && isExecutable(mapping)) {
        reading.foreignWritableExecutable.push(mapping);
      }
    });
    return reading;
  }

  #isJitPage(mapping: Mapping, next: Mapping | undefined): boolean {
    if (!this.#isOnePrivateAnonymousPage(mapping) || mapping.perms === '---p') return false;
    const guarded =
      next !== undefined &&
      next.start === mapping.end &&
      next.perms === '---p' &&
      this.#isOnePrivateAnonymousPage(next);
    const seen = this.#seen.has(mapping.start);
    if (isExecutable(mapping)) return guarded || seen;
    return guarded && seen && isWritable(mapping);
  }

  #isOnePrivateAnonymousPage(mapping: Mapping): boolean {
    return isPrivateAnonymous(mapping) && mapping.end - mapping.start === this.#pageSize;
  }
}
