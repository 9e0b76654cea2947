/**
 * Preloaded into every test process StrykerJS starts (stryker.config.mjs), never into ordinary test runs.
 *
 * A mutant can make the JIT emit a loop that never ends, or make the code jump somewhere that spins: the
 * test process is then stuck inside machine code, where no JavaScript timer runs. StrykerJS counts that as
 * a timeout and replaces its worker, but the stuck test process is the worker's child and outlives it,
 * taking a core for good. Other mutants make a test allocate without end (gigabytes within seconds, on a
 * machine shared with other work). So a thread of its own watches: once this process has lost its parent
 * (it was re-parented), has run for longer than any test file could, or holds more memory than any test
 * file needs, it kills the process.
 */
import { Worker } from 'node:worker_threads';

/** Far longer than the slowest test file takes on a busy machine, and than StrykerJS's own timeouts. */
const LIMIT_MS = 180_000;
/** Several times the resident memory of the hungriest test file (a few hundred MiB). */
const LIMIT_RSS_BYTES = 2 * 2 ** 30;

new Worker(
  `
  const { workerData } = require('node:worker_threads');
  const started = Date.now();
  setInterval(() => {
    if (
      process.ppid !== workerData.parent ||
      Date.now() - started > workerData.limitMs ||
      process.memoryUsage.rss() > workerData.limitRssBytes
    ) {
      process.kill(process.pid, 'SIGKILL');
    }
  }, 500);
  `,
  { eval: true, workerData: { parent: process.ppid, limitMs: LIMIT_MS, limitRssBytes: LIMIT_RSS_BYTES } },
).unref();
