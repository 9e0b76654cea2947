/**
 * Names the writable+executable mappings of a server process that are not the JIT's pages (those are
 * harness/jit-pages.ts's business, and never writable and executable): SECURITY.md says which kinds there
 * are, and test/system/writable-executable.test.ts holds the process to it. Read off the running server on
 * Linux x86-64 (the maps of Node.js 20, 22, 24 and 26 are in SECURITY.md and docs/decisions.md):
 *
 * - **V8's code range**, where V8 puts the machine code it compiles from JavaScript: a reservation of
 *   512 MiB that also holds V8's embedded builtins, remapped read+execute from the node executable itself.
 *   Node.js 24 and 26 map the whole range read+write+execute at start, in the two mappings on either side
 *   of the builtins; Node.js 20 and 22 commit it in 256 KiB chunks as they fill (each 240 KiB rwx between
 *   guard pages). So a writable+executable mapping within CODE_RANGE_BYTES of the builtins' remapping is
 *   taken for the code range.
 * - **V8's WebAssembly code space**, where V8 compiles a WebAssembly module (iced-x86, which describes an
 *   adder; on Node.js 22, also one that Node.js compiles itself at start): a reservation elsewhere, shown
 *   as a run of adjacent anonymous mappings that are each rwx (committed code) or `---p` (reserved: not
 *   yet committed, or code freed and decommitted). A run with reserved memory in it is taken for one. A
 *   fresh code space can be committed whole, one rwx mapping alone until V8 frees some of it (seen on
 *   Node.js 24 just after the first description), and then its shape does not tell: V8's own account
 *   does. Run with `--perf-basic-prof`, V8 writes the address of each function it compiles to
 *   /tmp/perf-<pid>.map, WebAssembly functions as `wasm-function[<index>]`; a run that holds one of them
 *   is taken for a code space too. (Node.js 22's own module at start is compiled lazily: its code space
 *   holds only a jump table, which V8 does not report, beside its reservation.)
 *
 * Anything else writable and executable is unexplained: a file mapped so, an anonymous mapping alone (or
 * in a run of rwx mappings only) in which V8 reports no WebAssembly code.
 */
import { readFileSync } from 'node:fs';
import type { Mapping } from './maps.js';

/** The size of V8's code range on x86-64 in the Node.js versions the project runs (measured: SECURITY.md). */
export const CODE_RANGE_BYTES = 512 * 1024 * 1024;

export interface WritableExecutableReading {
  /** The embedded builtins' read+execute mapping of the node executable, outside its own image. */
  builtins: Mapping | undefined;
  codeRange: Mapping[];
  webAssembly: Mapping[];
  unexplained: Mapping[];
}

const isWritableExecutable = (mapping: Mapping) => mapping.perms[1] === 'w' && mapping.perms[2] === 'x';
const isAnonymous = (mapping: Mapping) => mapping.path === '' && mapping.perms[3] === 'p';
const isCodeSpacePart = (mapping: Mapping) =>
  isAnonymous(mapping) && (mapping.perms === 'rwxp' || mapping.perms === '---p');

/** The total size of `mappings`, in bytes. */
export function bytesOf(mappings: readonly Mapping[]): number {
  return mappings.reduce((total, { start, end }) => total + (end - start), 0);
}

/** Where V8 says it logs the code it compiles when run with `--perf-basic-prof`. */
export const perfMapPath = (pid: number) => `/tmp/perf-${pid}.map`;

/**
 * The addresses of the WebAssembly functions V8 has compiled, from the text of its perf map: one
 * `<address> <size> <name>` line per function, in hexadecimal, a WebAssembly function named
 * `wasm-function[<index>]…` (after a prefix such as `JS:`).
 */
export function webAssemblyCodeIn(perfMap: string): number[] {
  const addresses: number[] = [];
  for (const line of perfMap.split('\n')) {
    const match = /^([0-9a-f]+) [0-9a-f]+ (?:[A-Za-z]+:)?wasm-function\[[0-9]+\]/.exec(line);
    if (match?.[1]) addresses.push(Number.parseInt(match[1], 16));
  }
  return addresses;
}

/** webAssemblyCodeIn the perf map of process `pid`; none if V8 has written none. */
export function readWebAssemblyCode(pid: number): number[] {
  try {
    return webAssemblyCodeIn(readFileSync(perfMapPath(pid), 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

export interface ClassifyOptions {
  /** The JIT's own pages, which harness/jit-pages.ts judges. */
  jitPages?: readonly Mapping[];
  /** Addresses of WebAssembly code V8 reports (readWebAssemblyCode). */
  webAssemblyCode?: readonly number[];
}

/**
 * Classifies every writable+executable mapping of `maps` (one reading, in address order) but the JIT's
 * pages. `executable` is the path of the process's node executable (/proc/<pid>/exe).
 */
export function classifyWritableExecutable(
  maps: readonly Mapping[],
  executable: string,
  { jitPages = [], webAssemblyCode = [] }: ClassifyOptions = {},
): WritableExecutableReading {
  // The executable's own image is a run of its mappings from its ELF header on; the builtins' remapping is
  // the one read+execute mapping of it that follows something else.
  const remappings = maps.filter(
    (mapping, index) =>
      mapping.path === executable && mapping.perms === 'r-xp' && maps[index - 1]?.path !== executable,
  );
  if (remappings.length > 1) throw new Error(`${remappings.length} remappings of ${executable}`);
  const builtins = remappings[0];
  const nearBuiltins = (mapping: Mapping) =>
    builtins !== undefined &&
    mapping.end > builtins.start - CODE_RANGE_BYTES &&
    mapping.start < builtins.end + CODE_RANGE_BYTES;
  const isCodeSpace = (run: readonly Mapping[]) => {
    const start = run[0]?.start ?? 0;
    const end = run.at(-1)?.end ?? 0;
    return (
      run.some(({ perms }) => perms === '---p') ||
      webAssemblyCode.some((address) => start <= address && address < end)
    );
  };

  const reading: WritableExecutableReading = { builtins, codeRange: [], webAssembly: [], unexplained: [] };
  const ours = new Set(jitPages.map(({ start }) => start));
  maps.forEach((mapping, index) => {
    if (!isWritableExecutable(mapping) || ours.has(mapping.start)) return;
    if (!isAnonymous(mapping)) reading.unexplained.push(mapping);
    else if (nearBuiltins(mapping)) reading.codeRange.push(mapping);
    else if (isCodeSpace(codeSpaceRun(maps, index))) reading.webAssembly.push(mapping);
    else reading.unexplained.push(mapping);
  });
  return reading;
}

/** The run of adjacent rwx and reserved anonymous mappings around the one at `index`. */
function codeSpaceRun(maps: readonly Mapping[], index: number): readonly Mapping[] {
  let first = index;
  while (first > 0 && adjacent(maps[first - 1], maps[first]) && isCodeSpacePart(maps[first - 1] as Mapping))
    first -= 1;
  let last = index;
  while (
    last < maps.length - 1 &&
    adjacent(maps[last], maps[last + 1]) &&
    isCodeSpacePart(maps[last + 1] as Mapping)
  )
    last += 1;
  return maps.slice(first, last + 1);
}

function adjacent(before: Mapping | undefined, after: Mapping | undefined): boolean {
  return before !== undefined && after !== undefined && before.end === after.start;
}
