import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { denyExecMemoryNodeOptions, MDWE_UNAVAILABLE } from './support/exec-memory-denial.js';

const cli = fileURLToPath(new URL('../src/cli.js', import.meta.url));

function babyjit(args: string[], nodeOptions: string[] = []) {
  const child = spawnSync(process.execPath, [...nodeOptions, cli, ...args], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: child.status, stdout: child.stdout, stderr: child.stderr };
}

describe('babyjit CLI', () => {
  for (const [term, line] of [
    ['1', '2 3 4'],
    ['2', '3 4 5'],
    ['-4', '-3 -2 -1'],
    ['0', '1 2 3'],
    ['2147483647', '-2147483648 -2147483647 -2147483646'],
  ]) {
    it(`prints "${line}" for ${term}, like the seed program`, () => {
      const result = babyjit([term as string]);
      assert.equal(result.stdout, `${line}\n`);
      assert.equal(result.stderr, '');
      assert.equal(result.status, 0);
    });
  }

  it('applies the adder to the values given after the term', () => {
    const result = babyjit(['-4', '10', '-2147483648', '4']);
    assert.equal(result.stdout, '6 2147483644 0\n');
    assert.equal(result.status, 0);
  });

  it('accepts -- before a negative term', () => {
    assert.equal(babyjit(['--', '-4']).stdout, '-3 -2 -1\n');
  });

  it('keeps the seed program’s exact bytes by default, and blinds the term with --blind', () => {
    const seed = babyjit(['--code', '5']);
    assert.equal(seed.status, 0);
    const [results, code] = seed.stdout.trimEnd().split('\n');
    assert.equal(results, '6 7 8');
    assert.ok(code?.startsWith('48 c7 c0 05 00 00 00 48 01 f8 c3 cc'), code);

    for (const args of [
      ['--blind', '--code', '5'],
      ['5', '--code', '--blind'],
    ]) {
      const blinded = babyjit(args);
      assert.equal(blinded.status, 0, blinded.stderr);
      const [blindedResults, blindedCode = ''] = blinded.stdout.trimEnd().split('\n');
      assert.equal(blindedResults, '6 7 8', 'the same results');
      assert.match(blindedCode, /^b8( [0-9a-f]{2}){4} 35( [0-9a-f]{2}){4} 01 f8 c3 cc/, 'mov eax / xor eax');
      assert.doesNotMatch(blindedCode, /05 00 00 00/, 'the term’s bytes are not in the page');
    }
    assert.equal(babyjit(['--blind', '-4', '10', '-2147483648']).stdout, '6 2147483644\n');
  });

  it('prints usage on stderr and exits 64 without an argument', () => {
    const result = babyjit([]);
    assert.equal(result.status, 64);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /^usage: babyjit \[--blind\] \[--code\] <term> \[x \.\.\.\]/);
  });

  it('prints help on stdout and exits 0 for --help', () => {
    const result = babyjit(['--help']);
    assert.equal(result.status, 0);
    assert.match(result.stdout, /^usage: babyjit/);
    assert.match(result.stdout, /Exit status: 0 success, 64 bad usage/);
  });

  for (const [args, message] of [
    [['1e3'], /term must be a decimal integer/],
    [['0x10'], /term must be a decimal integer/],
    [['5.0'], /term must be a decimal integer/],
    [[' 5'], /term must be a decimal integer/],
    [[''], /term must be a decimal integer/],
    [['2147483648'], /term must be from -2147483648 to 2147483647, got 2147483648/],
    [['-2147483649'], /term must be from -2147483648 to 2147483647/],
    [['1', 'two'], /x must be a decimal integer .*got "two"/],
    [['1', '4294967296'], /x must be from/],
    [['--blink'], /unknown option --blink/],
  ] as const) {
    it(`exits 64 with a clear message for ${JSON.stringify(args)}`, () => {
      const result = babyjit([...args]);
      assert.equal(result.status, 64);
      assert.equal(result.stdout, '');
      assert.match(result.stderr, message);
    });
  }

  it('exits 71 naming mprotect and EACCES where the host forbids executable memory', (t) => {
    const result = babyjit(['1'], denyExecMemoryNodeOptions);
    if (result.stderr.includes(MDWE_UNAVAILABLE)) {
      t.skip(`this kernel offers no PR_SET_MDWE: ${result.stderr.trim()}`);
      return;
    }
    assert.equal(result.status, 71);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /mprotect\(PROT_READ\|PROT_EXEC\) failed with EACCES \(errno 13\)/);
    assert.match(result.stderr, /executable memory is not permitted/);
  });
});
