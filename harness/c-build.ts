/**
 * Builds the benchmarks' C programs (bench/*.c) with the machine's C compiler, in a temporary directory:
 * for the benchmarks, and for the tests that check those programs.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface CProgram {
  binary: string;
  compiler: string;
  cleanup: () => void;
}

/**
 * Compiles bench/`name`.c with `flags` into a temporary binary. Returns a sentence saying why not when
 * the machine has no C compiler (cc, gcc or clang), for the report to print instead of the figures.
 */
export function buildC(name: string, flags: string[]): CProgram | string {
  const source = fileURLToPath(new URL(`../../bench/${name}.c`, import.meta.url));
  const compiler = ['cc', 'gcc', 'clang'].find(
    (candidate) => spawnSync(candidate, ['--version']).status === 0,
  );
  if (compiler === undefined) return 'no C compiler (cc, gcc or clang) on this machine: C reference skipped';
  const directory = mkdtempSync(path.join(os.tmpdir(), 'babyjit-bench-'));
  const binary = path.join(directory, name);
  execFileSync(compiler, [...flags, '-o', binary, source]);
  return { binary, compiler, cleanup: () => rmSync(directory, { recursive: true, force: true }) };
}
