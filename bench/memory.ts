/**
 * `npm run bench:memory`: does memory stay bounded under churn? The production server (capacity 4096)
 * serves a warm-up pass over 100,000 distinct terms, then 1,000,000 applies spread at random over the
 * same terms (so about 96% of them compile, and evict), every answer checked against `(n + x) | 0`.
 * Sampled from outside the process the whole time, every 250 ms: resident memory (VmRSS in
 * /proc/<pid>/status) and the JIT's pages (classified from /proc/<pid>/maps by harness/jit-pages.ts,
 * beyond those mapped before the first request: the call gate's page).
 *
 * Goals from issue 5: resident memory at the end within 10% of where it was after warm-up, and never more
 * JIT pages than the capacity. Exits 1 if either is missed or any answer is wrong. Resident memory is
 * compared at the floors of V8's GC sawtooth (the lowest sample in the measured run's first and last
 * thirds, residentFloors in harness/process-sampler.ts), as the soak compares it; the single readings
 * are printed beside them.
 *
 * Environment: BENCH_REQUESTS (1,000,000), BENCH_TERMS (100,000), BENCH_CAPACITY (4096), BENCH_WRITE=0 to
 * leave docs/benchmarks.md alone.
 */
import { applyRequest, scramble } from '../harness/adder-requests.js';
import { driveChecked } from '../harness/checked-load.js';
import { ProcessSampler, residentBytes, residentFloors } from '../harness/process-sampler.js';
import { freePort, startServerProcess } from '../harness/server-process.js';
import { describeMachine } from './machine.js';
import { writeReportSection } from './report.js';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 1_000_000);
const TERMS = Number(process.env.BENCH_TERMS ?? 100_000);
const CAPACITY = Number(process.env.BENCH_CAPACITY ?? 4096);
const CONNECTIONS = 50;
const PAGE_SIZE = 4096;

/** Drives `amount` applies; every answer is parsed and checked against the term and x that were sent. */
function drive(url: string, amount: number, pickTerm: (i: number) => number) {
  return driveChecked(url, {
    amount,
    connections: CONNECTIONS,
    plan: (i) => applyRequest(pickTerm(i), (i * 2_654_435_761) | 0),
  });
}

async function main(): Promise<void> {
  const port = await freePort();
  const server = startServerProcess({
    env: { LOG_LEVEL: 'info', METRICS: 'on', JIT_MAX_ADDERS: String(CAPACITY) },
    keepOutput: false,
    port,
  });
  const url = await server.listening;
  const pid = server.child.pid as number;
  const lines: string[] = [];
  const say = (line = '') => {
    console.log(line);
    lines.push(line);
  };
  let failed = false;
  try {
    const sampler = new ProcessSampler(pid, { pageSize: PAGE_SIZE, intervalMs: 250 });
    const startRss = residentBytes(pid);

    // Warm-up: every term once, in order.
    const warmup = await drive(url, TERMS, (i) => i % TERMS);
    const warmRss = residentBytes(pid);
    process.stderr.write(`warm-up done: ${Math.round(warmup.requestsPerSecond)} req/s\n`);

    // The measured run: terms at random (the same sequence every run, so runs are comparable).
    const run = await drive(url, REQUESTS, (i) => scramble(i, 1) % TERMS);
    const endRss = residentBytes(pid);
    const sampled = sampler.stop();
    const stats = (await (await fetch(`${url}/adders`)).json()) as {
      stats: { live: number; compiles: number; hits: number; evictions: number };
    };

    const errors = warmup.errors + run.errors + warmup.unexpected + run.unexpected;
    const wrong = warmup.wrong + run.wrong;
    // Compared at the floors of V8's GC sawtooth, as the soak does: two single readings swing by 15–20%
    // with a flat live heap, depending on where in a GC cycle each falls.
    const floors = residentFloors(sampled.rss, run);
    const growth = floors.growth;
    const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
    failed = wrong > 0 || errors > 0 || Math.abs(growth) > 0.1 || sampled.peakJitPages > CAPACITY;

    say('## Memory under churn (`npm run bench:memory`)');
    say();
    say(`Machine: ${describeMachine()}.`);
    say(
      `The production server at capacity ${CAPACITY.toLocaleString('en')}: a warm-up pass over ` +
        `${TERMS.toLocaleString('en')} distinct terms, then ${REQUESTS.toLocaleString('en')} applies with ` +
        `terms drawn at random from them, ${CONNECTIONS} connections, every answer checked. Sampled every ` +
        `250 ms from /proc/<pid>/status and /proc/<pid>/maps (${sampled.samples} samples).`,
    );
    say();
    say('| measure | value |');
    say('| --- | ---: |');
    say(`| resident memory at start | ${mib(startRss)} |`);
    say(
      `| resident memory right after warm-up, at the end (single readings) | ${mib(warmRss)}, ${mib(endRss)} |`,
    );
    say(
      `| resident memory floors: lowest in the run's first and last ${(floors.windowMs / 1000).toFixed(1)} s | ${mib(floors.first)}, ${mib(floors.last)} |`,
    );
    say(`| change between the floors (goal: within ±10%) | ${(growth * 100).toFixed(1)}% |`);
    say(`| most JIT pages mapped at once (goal: ≤ ${CAPACITY}) | ${sampled.peakJitPages} |`);
    say(
      `| measured run | ${run.seconds.toFixed(1)} s, ${Math.round(run.requestsPerSecond).toLocaleString('en')} req/s |`,
    );
    say(
      `| compiles, cache hits, evictions (whole run) | ${stats.stats.compiles.toLocaleString('en')}, ${stats.stats.hits.toLocaleString('en')}, ${stats.stats.evictions.toLocaleString('en')} |`,
    );
    say(`| wrong answers, errors or non-2xx | ${wrong}, ${errors} |`);
    say();
    say(failed ? '**Goal missed.**' : 'Both goals met.');
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
  }
  if (process.env.BENCH_WRITE !== '0') writeReportSection('bench:memory', lines.join('\n'));
  if (failed) process.exitCode = 1;
}

await main();
