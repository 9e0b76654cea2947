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
 *   as a run of adjacent anonymous mappings that are each rwx (committed code) or `---p` (reserved, or a
 *   guard). So a writable+executable mapping in such a run, away from the code range, is taken for it.
 *
 * Anything else writable and executable is unexplained: a file mapped so, an anonymous mapping on its own,
 * a run with anything but rwx and reserved memory in it.
 */
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

/**
 * Classifies every writable+executable mapping of `maps` (one reading, in address order) but those listed
 * in `jitPages`. `executable` is the path of the process's node executable (/proc/<pid>/exe).
 */
export function classifyWritableExecutable(
  maps: readonly Mapping[],
  executable: string,
  jitPages: readonly Mapping[] = [],
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

  const reading: WritableExecutableReading = { builtins, codeRange: [], webAssembly: [], unexplained: [] };
  const ours = new Set(jitPages.map(({ start }) => start));
  maps.forEach((mapping, index) => {
    if (!isWritableExecutable(mapping) || ours.has(mapping.start)) return;
    if (!isAnonymous(mapping)) reading.unexplained.push(mapping);
    else if (nearBuiltins(mapping)) reading.codeRange.push(mapping);
    else if (inReservedRun(maps, index)) reading.webAssembly.push(mapping);
    else reading.unexplained.push(mapping);
  });
  return reading;
}

/** Whether the mapping at `index` is in a run of adjacent rwx and reserved anonymous mappings, with some reserved. */
function inReservedRun(maps: readonly Mapping[], index: number): boolean {
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
  return maps.slice(first, last + 1).some(({ perms }) => perms === '---p');
}

function adjacent(before: Mapping | undefined, after: Mapping | undefined): boolean {
  return before !== undefined && after !== undefined && before.end === after.start;
}
