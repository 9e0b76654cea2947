/**
 * Preloaded into a process (`node --import …/memory-ledger-preload.js …`) to check every call the JIT makes
 * about its own memory while the process runs (harness/memory-ledger.ts). When the process exits it writes:
 *
 * - BABYJIT_MEMORY_LEDGER (a file name): the ledger's report, as JSON;
 * - BABYJIT_MEMORY_CALLS (a file name, optional): every call, in order, as a JSON array, for a test that
 *   compares them with what strace saw the process ask of the kernel. Addresses stay in the test's file.
 */
import { subscribe } from 'node:diagnostics_channel';
import { writeFileSync } from 'node:fs';
import { pageSize } from '../src/jit/libc.js';
import { hostArchitecture } from '../src/jit/targets.js';
import { MEMORY_CHANNEL, type MemoryCall, MemoryLedger } from './memory-ledger.js';

const reportFile = process.env.BABYJIT_MEMORY_LEDGER;
const callsFile = process.env.BABYJIT_MEMORY_CALLS;
if (reportFile === undefined) throw new Error('memory-ledger-preload needs BABYJIT_MEMORY_LEDGER');

const ledger = new MemoryLedger({
  pageSize: pageSize(),
  requireFlush: hostArchitecture().flushesInstructionCache,
}).start();
const calls: MemoryCall[] = [];
if (callsFile !== undefined) subscribe(MEMORY_CHANNEL, (message) => calls.push(message as MemoryCall));

process.on('exit', () => {
  writeFileSync(reportFile, JSON.stringify(ledger.report()));
  if (callsFile !== undefined) writeFileSync(callsFile, JSON.stringify(calls));
});
