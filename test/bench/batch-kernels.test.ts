/**
 * The C program behind `npm run bench:jit`'s batch kernels (bench/batch-kernels.c): the C references, and
 * the JIT's pages run in the references' own loop. A figure means something only if the kernel it times
 * added the term: the program checks every value after timing and exits 1 if one is wrong.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { buildC } from '../../harness/c-build.js';
import { encodeBlindedAdderPage } from '../../src/jit/blinding.js';
import { createX86_64Target, X86_64_LEVELS } from '../../src/jit/x86-64/architecture.js';
import { missingFor } from '../../src/jit/x86-64/cpu-probe.js';
import { hostX86Features } from '../support/x86-pages.js';

const program = buildC('batch-kernels', ['-O2', '-fno-tree-vectorize']);
const skip = typeof program === 'string' ? program : false;
after(() => {
  if (typeof program !== 'string') program.cleanup();
});

const host = hostX86Features();
const levels = X86_64_LEVELS.filter((level) => missingFor(level, host).length === 0);

/** Runs the program; its exit status and what it printed. */
function run(args: string[], input?: string): { status: number | null; rate: number } {
  if (typeof program === 'string') throw new Error(program);
  const result = spawnSync(program.binary, args, { encoding: 'utf8', input });
  return { status: result.status, rate: Number(result.stdout) };
}

/** A page's code as the program reads it: hex on standard input. */
const pageHex = (term: number, level: (typeof X86_64_LEVELS)[number]) =>
  Buffer.from(encodeBlindedAdderPage(term, createX86_64Target(level))).toString('hex');

describe('the batch kernels’ C program', { skip }, () => {
  for (const level of levels) {
    it(`runs the ${level} C kernel, checks its sums and prints a rate`, () => {
      // 1,003 values: every kernel's tail runs too.
      const { status, rate } = run([level, '1003', '20']);
      assert.equal(status, 0);
      assert.ok(rate > 0, `rate ${rate}`);
    });

    it(`runs the JIT's ${level} page in the same loop, and exits 1 if its term is not the C kernels' 7`, () => {
      const entry = String(createX86_64Target(level).applyAllEntry);
      const right = run(['page', entry, '1003', '20'], pageHex(7, level));
      assert.equal(right.status, 0);
      assert.ok(right.rate > 0, `rate ${right.rate}`);
      assert.equal(run(['page', entry, '1003', '20'], pageHex(8, level)).status, 1);
    });
  }

  it('refuses a page it cannot read or an entry past its code (4), and bad arguments (2)', () => {
    assert.equal(run(['page', '16', '10', '1'], 'not hex').status, 4);
    assert.equal(run(['page', '4096', '10', '1'], pageHex(7, 'scalar')).status, 4);
    assert.equal(run(['page', '16', '10'], pageHex(7, 'scalar')).status, 2);
    assert.equal(run(['vector', '10', '1']).status, 2);
  });
});
