/**
 * The recording layer (src/jit/libc.ts's diagnostics channel) against the kernel's own account: the
 * `babyjit` command runs under strace with the ledger preloaded, and every mmap, mprotect and munmap that
 * strace saw the process make on the JIT's pages is one the ledger recorded, in the same order, with the
 * same protection, none of them writable and executable. V8 asks for writable and executable memory of its
 * own on some versions (its code space on Node.js 20); those calls touch no JIT page and are left out.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { LedgerReport, MemoryCall } from '../../harness/memory-ledger.js';
import { pageSize } from '../../src/jit/libc.js';
import { hostArchitecture } from '../../src/jit/targets.js';
import { inCI } from '../support/ci.js';

const cli = fileURLToPath(new URL('../../src/cli.js', import.meta.url));
const preload = fileURLToPath(new URL('../../harness/memory-ledger-preload.js', import.meta.url));
const PROT_NAMES: Record<string, number> = { PROT_NONE: 0, PROT_READ: 1, PROT_WRITE: 2, PROT_EXEC: 4 };

interface KernelCall {
  call: 'mmap' | 'mprotect' | 'munmap';
  address: number;
  length: number;
  prot: number | undefined;
}

/**
 * The successful mmap, mprotect and munmap calls in strace's output, in the order they returned. With -f,
 * strace splits a call that another thread's call interrupts into `<unfinished ...>` and `<... resumed>`
 * lines: those are joined, by thread, where the call returned.
 */
function straceCalls(text: string): KernelCall[] {
  const calls: KernelCall[] = [];
  const unfinished = new Map<string, string>();
  for (const printed of text.split('\n')) {
    let line = printed;
    const start = /^(\d+) +(.*) <unfinished \.\.\.>$/.exec(line);
    if (start) {
      unfinished.set(start[1] as string, start[2] as string);
      continue;
    }
    const end = /^(\d+) +<\.\.\. \w+ resumed>(.*)$/.exec(line);
    if (end) {
      const begun = unfinished.get(end[1] as string);
      unfinished.delete(end[1] as string);
      if (begun === undefined) throw new Error(`strace resumed a call it never started: ${line}`);
      line = `${end[1]} ${begun}${end[2]}`;
    }
    const match = /^(?:\d+ +)?(mmap|mprotect|munmap)\((.*)\) += (\S+)/.exec(line);
    if (!match) continue;
    const [, call, argumentText, result] = match as unknown as [string, KernelCall['call'], string, string];
    const args = argumentText.split(', ');
    const prot = (flags: string | undefined) =>
      flags === undefined
        ? undefined
        : flags.split('|').reduce((bits, name) => bits | (PROT_NAMES[name] ?? 0), 0);
    if (call === 'mmap') {
      if (!result.startsWith('0x')) continue;
      calls.push({ call, address: Number(result), length: Number(args[1]), prot: prot(args[2]) });
    } else if (result === '0') {
      calls.push({ call, address: Number(args[0]), length: Number(args[1]), prot: prot(args[2]) });
    }
  }
  return calls;
}

describe('the JIT memory calls the kernel saw', () => {
  it('are exactly those the recording layer reported, in order, none writable and executable', (t) => {
    if (spawnSync('strace', ['-V']).status !== 0) {
      assert.ok(!inCI, 'strace is missing in CI (.ci/run installs it)');
      t.skip('strace is not installed: apt-get install strace');
      return;
    }
    const directory = mkdtempSync(path.join(tmpdir(), 'babyjit-strace-'));
    try {
      const files = {
        trace: path.join(directory, 'strace.txt'),
        report: path.join(directory, 'report.json'),
        calls: path.join(directory, 'calls.json'),
      };
      const output = execFileSync(
        'strace',
        [
          '-f',
          '-qq',
          '-e',
          'trace=mmap,mprotect,munmap',
          '-o',
          files.trace,
          process.execPath,
          '--import',
          preload,
          cli,
          '--blind',
          '5',
          '1',
          '2',
          '3',
        ],
        {
          env: { ...process.env, BABYJIT_MEMORY_LEDGER: files.report, BABYJIT_MEMORY_CALLS: files.calls },
          encoding: 'utf8',
        },
      );
      assert.equal(output, '6 7 8\n');
      const report = JSON.parse(readFileSync(files.report, 'utf8')) as LedgerReport;
      const recorded = (JSON.parse(readFileSync(files.calls, 'utf8')) as MemoryCall[]).filter(
        // Writes and instruction-cache flushes are no system calls: the kernel's account has only the rest.
        (call) => call.call !== 'write' && call.call !== 'flush' && call.ok,
      );
      assert.equal(report.violationCount, 0, report.violations.join('\n'));
      // The command's adder and the call gates' page, each mapped with its guard page; the adder unmapped.
      // This host's instruction cache follows data writes: nothing is flushed.
      const flushes = hostArchitecture().flushesInstructionCache ? 2 : 0;
      assert.deepEqual(report.calls, { mmap: 2, mprotect: 4, munmap: 1, write: 2, flush: flushes });

      // Walk the kernel's account in order: a call that touches a JIT page must be the next one recorded.
      const jitPages = new Set<number>();
      const touchesJit = (call: KernelCall) => {
        for (let page = call.address; page < call.address + call.length; page += pageSize())
          if (jitPages.has(page)) return true;
        return false;
      };
      let next = 0;
      for (const call of straceCalls(readFileSync(files.trace, 'utf8'))) {
        const expected = recorded[next];
        const isNextRecorded =
          expected !== undefined &&
          expected.call === call.call &&
          expected.address === call.address &&
          expected.length === call.length &&
          (expected.prot ?? undefined) === call.prot;
        if (!isNextRecorded) {
          assert.ok(!touchesJit(call), `the kernel saw an unrecorded ${call.call} of a JIT page`);
          continue;
        }
        next += 1;
        assert.ok(((call.prot ?? 0) & 6) !== 6, `${call.call} asked for write and execute on a JIT page`);
        for (let page = call.address; page < call.address + call.length; page += pageSize()) {
          if (call.call === 'mmap') jitPages.add(page);
          if (call.call === 'munmap') jitPages.delete(page);
        }
      }
      assert.equal(next, recorded.length, `strace saw ${next} of the ${recorded.length} recorded calls`);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
