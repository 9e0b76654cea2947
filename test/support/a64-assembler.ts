/**
 * GNU as for AArch64 (Debian's binutils-aarch64-linux-gnu, which .ci/run installs): assembles a listing
 * and returns its instruction words, so that the tests hold the encoders to the assembler's own encoding.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inCI } from './ci.js';

const AS = 'aarch64-linux-gnu-as';
const OBJCOPY = 'aarch64-linux-gnu-objcopy';

const available = spawnSync(AS, ['--version']).status === 0 && spawnSync(OBJCOPY, ['--version']).status === 0;

/**
 * node:test's `skip` for a test that needs GNU as: the reason outside CI when it is missing, false when it
 * is there. Under CI it is never skipped, so a missing assembler fails the test instead.
 */
export const skipWithoutGnuAs: string | false =
  available || inCI ? false : `SKIPPED: ${AS} is not installed (apt-get install binutils-aarch64-linux-gnu)`;

/** The words GNU as makes of `lines`, one instruction a line, in order. */
export function assembleA64(lines: readonly string[]): number[] {
  const directory = mkdtempSync(path.join(os.tmpdir(), 'babyjit-a64-'));
  try {
    const source = path.join(directory, 'listing.s');
    const object = path.join(directory, 'listing.o');
    const binary = path.join(directory, 'listing.bin');
    writeFileSync(source, `${lines.join('\n')}\n`);
    execFileSync(AS, ['-o', object, source], { stdio: ['ignore', 'ignore', 'pipe'] });
    execFileSync(OBJCOPY, ['-O', 'binary', '-j', '.text', object, binary]);
    const bytes = readFileSync(binary);
    return Array.from({ length: bytes.length / 4 }, (_, index) => bytes.readUInt32LE(4 * index));
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}
