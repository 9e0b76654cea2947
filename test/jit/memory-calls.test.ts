/**
 * W^X proven call by call: every mmap and mprotect the JIT makes of its own pages, and every write into
 * them, as src/jit/libc.ts publishes them and harness/memory-ledger.ts checks them, for fresh, recycled and
 * released pages, the call gates, pages recycled under memory pressure, and the start-up self-test. The
 * ledger itself is tested first, on calls that break each rule.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryLedger } from '../../harness/memory-ledger.js';
import { SyscallError } from '../../src/jit/errors.js';
import { hostTarget } from '../../src/jit/host.js';
import { pageSize } from '../../src/jit/libc.js';
import { ExecutablePage } from '../../src/jit/page.js';
import { JitRegistry } from '../../src/jit/registry.js';
import { runJitSelfTest } from '../../src/jit/self-test.js';
import type { Architecture } from '../../src/jit/target.js';
import { X86_64 } from '../../src/jit/x86-64/architecture.js';
import { encodeAdderPage } from '../support/x86-pages.js';

const RW = 0x3;
const RX = 0x5;
const RWX = 0x7;
const PAGE = 4096;

describe('MemoryLedger', () => {
  it('flags write+execute asked of the kernel, writes outside read+write pages, and pages the JIT never mapped', () => {
    const ledger = new MemoryLedger(PAGE);
    ledger.record({ call: 'mmap', address: 0x10000, length: 2 * PAGE, prot: RW, ok: true });
    ledger.record({ call: 'write', address: 0x10000, length: 43, ok: true });
    ledger.record({ call: 'mprotect', address: 0x10000, length: PAGE, prot: RX, ok: true });
    assert.equal(ledger.report().violationCount, 0);
    ledger.record({ call: 'write', address: 0x10000, length: 43, ok: true });
    ledger.record({ call: 'mprotect', address: 0x10000, length: PAGE, prot: RWX, ok: false });
    ledger.record({ call: 'mmap', address: -1, length: PAGE, prot: RWX | 0x8, ok: false });
    ledger.record({ call: 'write', address: 0x90000, length: 4, ok: true });
    ledger.record({ call: 'mprotect', address: 0x90000, length: PAGE, prot: RX, ok: true });
    ledger.record({ call: 'munmap', address: 0x90000, length: PAGE, ok: true });
    const report = ledger.report();
    assert.deepEqual(report.violations, [
      'write(43 bytes) writes into a page that is r-x',
      'mprotect(4096 bytes rwx) asks for write and execute together',
      'mmap(4096 bytes rwx) asks for write and execute together',
      'write(4 bytes) writes into a page that is not mapped by the JIT',
      'mprotect(4096 bytes r-x) changes a page the JIT never mapped',
      'munmap(4096 bytes) unmaps a page the JIT never mapped',
    ]);
    assert.equal(report.mappedPages, 2);
  });

  it('with requireFlush, flags a seal of code not flushed over exactly its range, and a flush of nothing written', () => {
    const ledger = new MemoryLedger({ pageSize: PAGE, requireFlush: true });
    const page = 0x20000;
    ledger.record({ call: 'mmap', address: page, length: 2 * PAGE, prot: RW, ok: true });
    ledger.record({ call: 'write', address: page, length: 64, ok: true });
    ledger.record({ call: 'flush', address: page, length: 64, ok: true });
    ledger.record({ call: 'mprotect', address: page, length: PAGE, prot: RX, ok: true });
    assert.equal(ledger.report().violationCount, 0, 'written, flushed, sealed');
    ledger.record({ call: 'mprotect', address: page, length: PAGE, prot: RW, ok: true });
    ledger.record({ call: 'write', address: page, length: 64, ok: true });
    ledger.record({ call: 'flush', address: page, length: 32, ok: true });
    ledger.record({ call: 'mprotect', address: page, length: PAGE, prot: RX, ok: true });
    ledger.record({ call: 'flush', address: page + 64, length: 8, ok: true });
    assert.deepEqual(ledger.report().violations, [
      'flush(32 bytes) flushes a range no write left unflushed',
      'mprotect(4096 bytes r-x) seals code written and not flushed to the instruction cache',
      'flush(8 bytes) flushes a range no write left unflushed',
    ]);
    assert.equal(ledger.report().calls.flush, 3);
  });
});

describe('every memory call the JIT makes', () => {
  it('flushes every write of code over exactly its range before the seal, on an architecture that needs it', () => {
    // x86-64's code, as if its instruction cache did not follow data writes: __clear_cache runs and does
    // nothing here, and the ledger holds the core to the order an arm64 host needs.
    const flushing: Architecture = { ...X86_64, flushesInstructionCache: true };
    const ledger = new MemoryLedger({ pageSize: pageSize(), requireFlush: true }).start();
    try {
      const first = ExecutablePage.seal(encodeAdderPage(1, 0x5a5a5a5a), flushing);
      assert.equal(first.callInt32(0, 1), 2);
      const recycled = ExecutablePage.reseal(first, encodeAdderPage(2));
      assert.equal(recycled.callInt32(0, 1), 3);
      recycled.release();
    } finally {
      ledger.stop();
    }
    const report = ledger.report();
    assert.deepEqual(report.violations, []);
    assert.equal(report.calls.write, 3, 'the gates’ page, the page, the recycled page');
    assert.equal(report.calls.flush, 3);
  });

  it('never asks for write and execute together, and writes only into read+write pages', () => {
    const ledger = new MemoryLedger().start();
    try {
      runJitSelfTest(hostTarget('scalar'));
      // Fresh pages, the call gates' page (made by the first call), a reseal, a release.
      const first = ExecutablePage.seal(encodeAdderPage(1, 0x5a5a5a5a));
      assert.equal(first.callInt32(0, 1), 2);
      const recycled = ExecutablePage.reseal(first, encodeAdderPage(2));
      assert.equal(recycled.callInt32(0, 1), 3);
      recycled.release();
      // A registry at capacity recycles evicted pages; then its pages run out of memory and it recycles.
      let refuseFresh = false;
      const registry = new JitRegistry({
        capacity: 4,
        compile: (term, previous) => {
          if (previous) return ExecutablePage.reseal(previous, encodeAdderPage(term, term ^ 0x1234));
          if (refuseFresh) throw new SyscallError('mmap', 12, 'ENOMEM', 'Cannot allocate memory');
          return ExecutablePage.seal(encodeAdderPage(term));
        },
      });
      for (let term = 0; term < 20; term += 1) assert.equal(registry.apply(term, 1).result, term + 1);
      registry.release(19);
      refuseFresh = true;
      for (let term = 100; term < 110; term += 1) assert.equal(registry.apply(term, 1).result, term + 1);
      assert.ok(registry.stats().pressureEvictions > 0);
      registry.dispose();

      const report = ledger.report();
      assert.deepEqual(report.violations, []);
      assert.equal(report.violationCount, 0);
      assert.deepEqual(Object.keys(report.protections).sort(), ['---', 'r-x', 'rw-']);
      assert.ok(
        report.calls.mmap >= 8 && report.calls.mprotect >= 30 && report.calls.write >= 20,
        JSON.stringify(report.calls),
      );
      assert.ok(report.calls.munmap >= 5, JSON.stringify(report.calls));
      // What stays mapped is the call gates' page and its guard, for the life of the process.
      assert.equal(report.mappedPages, 2);
    } finally {
      ledger.stop();
    }
  });
});
