#!/usr/bin/env node
/**
 * The `babyjit` command: the seed program, "Baby's First JIT", on the project's JIT core.
 *
 *   babyjit 1        → 2 3 4      (the adder for term 1 applied to 1, 2 and 3)
 *   babyjit -4 10 20 → 6 16
 *
 * Exit statuses follow <sysexits.h>, like the seed: 64 (EX_USAGE) for a missing or malformed argument,
 * 71 (EX_OSERR) when mmap/mprotect fail, and 69 (EX_UNAVAILABLE) on a platform that cannot run x86-64 code.
 */
import { parseDecimalInt32 } from './int32.js';
import { SyscallError, UnsupportedPlatformError } from './jit/errors.js';
import { JitRegistry } from './jit/registry.js';
import { isMainModule } from './main-module.js';

export const EX_OK = 0;
export const EX_USAGE = 64;
export const EX_UNAVAILABLE = 69;
export const EX_OSERR = 71;

const SEED_INPUTS = [1, 2, 3];

export const USAGE = `usage: babyjit <term> [x ...]

Compiles an x86-64 adder for <term> into an executable page and prints the adder
applied to each x (to 1 2 3 when none are given), on one line.

  <term>, x   decimal 32-bit integers, -2147483648 to 2147483647; sums wrap
              around like the machine's 32-bit arithmetic
  -h, --help  show this help

Exit status: 0 success, 64 bad usage, 69 unsupported platform, 71 mmap/mprotect failed.`;

export interface CliIo {
  stdout: (line: string) => void;
  stderr: (line: string) => void;
}

const processIo: CliIo = {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
};

/** Runs the command for `args` (without node and the script) and returns the exit status. */
export function runCli(args: readonly string[], io: CliIo = processIo): number {
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout(USAGE);
    return EX_OK;
  }
  const operands = args[0] === '--' ? args.slice(1) : args;
  // Negative numbers look like options, so only what is not a number can be an (unknown) option.
  const unknownOption = operands.find((arg) => arg.startsWith('-') && !/^-[0-9]/.test(arg));
  if (unknownOption !== undefined && args[0] !== '--') {
    io.stderr(`babyjit: unknown option ${unknownOption}`);
    io.stderr("Try 'babyjit --help'.");
    return EX_USAGE;
  }
  const [termText, ...inputTexts] = operands;
  if (termText === undefined) {
    io.stderr(USAGE);
    return EX_USAGE;
  }
  let term: number;
  let inputs: number[];
  try {
    term = parseDecimalInt32(termText, 'term');
    inputs = inputTexts.length > 0 ? inputTexts.map((text) => parseDecimalInt32(text, 'x')) : SEED_INPUTS;
  } catch (error) {
    io.stderr(`babyjit: ${(error as Error).message}`);
    io.stderr("Try 'babyjit --help'.");
    return EX_USAGE;
  }

  let registry: JitRegistry | undefined;
  try {
    registry = new JitRegistry({ capacity: 1 });
    const { results } = registry.applyAll(term, inputs);
    io.stdout(results.join(' '));
    return EX_OK;
  } catch (error) {
    if (error instanceof SyscallError) {
      io.stderr(`babyjit: ${error.message}`);
      return EX_OSERR;
    }
    if (error instanceof UnsupportedPlatformError) {
      io.stderr(`babyjit: ${error.message}`);
      return EX_UNAVAILABLE;
    }
    throw error;
  } finally {
    registry?.dispose();
  }
}

if (isMainModule(import.meta.url)) {
  process.exitCode = runCli(process.argv.slice(2));
}
