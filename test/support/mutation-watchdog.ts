/**
 * Preloaded into every test process StrykerJS starts (stryker.config.mjs), never into ordinary test runs.
 *
 * A mutant can make the JIT emit a loop that never ends, or make the code jump somewhere that spins: the
 * test process is then stuck inside machine code, where no JavaScript timer runs. StrykerJS counts that as
 * a timeout and replaces its worker, but the stuck test process is the worker's child and outlives it,
 * taking a core for good. So a thread of its own watches: once this process has lost its parent (it was
 * re-parented), or has run for longer than any test file could, it kills the process.
 */
import { Worker } from 'node:worker_threads';

/** Far longer than the slowest test file takes on a busy machine, and than StrykerJS's own timeouts. */
const LIMIT_MS = 180_000;

new Worker(
  `
  const { workerData } = require('node:worker_threads');
  const started = Date.now();
  setInterval(() => {
    if (process.ppid !== workerData.parent || Date.now() - started > workerData.limitMs) {
      process.kill(process.pid, 'SIGKILL');
    }
  }, 500);
  `,
  { eval: true, workerData: { parent: process.ppid, limitMs: LIMIT_MS } },
).unref();
