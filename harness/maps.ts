/**
 * Reads /proc/<pid>/maps, the kernel's own account of a process's mappings and their protections: the
 * independent witness against which the JIT's claims about its pages are checked.
 */
import { readFileSync } from 'node:fs';

export interface Mapping {
  start: number;
  end: number;
  /** e.g. "r-xp": read, write, execute, private/shared. */
  perms: string;
  /** The file or pseudo-name ("[heap]"), empty for anonymous memory. */
  path: string;
}

export function readMaps(pid: number | 'self' = 'self'): Mapping[] {
  return parseMaps(readFileSync(`/proc/${pid}/maps`, 'utf8'));
}

/** Parses the text of a maps file, one mapping per line (also used on synthetic lines in tests). */
export function parseMaps(text: string): Mapping[] {
  return text
    .split('\n')
    .filter((line) => line.trim().length > 0)
    .map((line) => {
      const [range = '', perms = '', , , , ...rest] = line.trim().split(/\s+/);
      const [start = '0', end = '0'] = range.split('-');
      return {
        start: Number.parseInt(start, 16),
        end: Number.parseInt(end, 16),
        perms,
        path: rest.join(' '),
      };
    });
}

/** The mapping that contains `address`, if any. */
export function mappingAt(address: number, maps: Mapping[] = readMaps()): Mapping | undefined {
  return maps.find((mapping) => mapping.start <= address && address < mapping.end);
}

export function isWritableAndExecutable(mapping: Mapping): boolean {
  return mapping.perms.includes('w') && mapping.perms.includes('x');
}

/**
 * Pages of anonymous read+execute memory. Adjacent pages with the same protections show up as one line,
 * so this counts pages rather than lines. V8's own code space is read+write+execute in Node 20 and 24, so
 * it does not count here; the JIT's pages (and the call gate's) do.
 */
export function anonymousReadExecutePages(pageSize: number, maps: Mapping[] = readMaps()): number {
  return maps
    .filter((mapping) => mapping.perms === 'r-xp' && mapping.path === '')
    .reduce((pages, mapping) => pages + (mapping.end - mapping.start) / pageSize, 0);
}
