#!/usr/bin/env node
import { SyscallError, UnsupportedPlatformError } from './jit/errors.js';
import { toHex } from './jit/hex.js';
/**
 * The `babyjit` command: the seed program, "Baby's First JIT", on the project's JIT core.
 *
 *   babyjit 1        → 2 3 4      (the adder for term 1 applied to 1, 2 and 3)
 *   babyjit -4 10 20 → 6 16
 *   babyjit --blind 1 → 2 3 4    (the term blinded with a random key in the page, as the service does)
 *   babyjit --code 1  → 2 3 4, then the page's machine code in hex on a second line
 *
 * Exit statuses follow <sysexits.h>, like the seed: 64 (EX_USAGE) for a missing or malformed argument,
 * 71 (EX_OSERR) when mmap/mprotect fail, and 69 (EX_UNAVAILABLE) on a platform that cannot run x86-64 code.
 */
import { parseDecimalInt32 } from './jit/int32.js';
import { JitRegistry } from './jit/registry.js';
import { isMainModule } from './main-module.js';

const EX_OK = 0;
const EX_USAGE = 64;
export const EX_UNAVAILABLE = 69;
export const EX_OSERR = 71;

const SEED_INPUTS = [1, 2, 3];

const USAGE = `usage: babyjit [--blind] [--code] <term> [x ...]

Compiles an x86-64 adder for <term> into an executable page and prints the adder
applied to each x (to 1 2 3 when none are given), on one line.

  <term>, x   decimal 32-bit integers, -2147483648 to 2147483647; sums wrap
              around like the machine's 32-bit arithmetic
  --blind     blind the term: the page holds term ^ key and a random key, never
              the term itself (the service does this by default; without it
              the page holds the seed program's exact bytes)
  --code      also print the page's machine code, read back from the executable
              page, as hex on a second line
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
function runCli(args: readonly string[], io: CliIo = processIo): number {
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout(USAGE);
    return EX_OK;
  }
  // `--` ends the options: what follows is read as operands only.
  const separator = args.indexOf('--');
  const options = separator === -1 ? args : args.slice(0, separator);
  const blind = options.includes('--blind');
  const showCode = options.includes('--code');
  const isFlag = (arg: string) => arg === '--blind' || arg === '--code';
  const operands = [
    ...options.filter((arg) => !isFlag(arg)),
    ...(separator === -1 ? [] : args.slice(separator + 1)),
  ];
  // Negative numbers look like options, so only what is not a number can be an (unknown) option.
  const unknownOption = options.find((arg) => arg.startsWith('-') && !isFlag(arg) && !/^-[0-9]/.test(arg));
  if (unknownOption !== undefined) {
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
    registry = new JitRegistry({ capacity: 1, blinding: blind });
    const { results } = registry.applyAll(term, inputs);
    io.stdout(results.join(' '));
    if (showCode) io.stdout(toHex(registry.codeOf(term) ?? new Uint8Array()));
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
