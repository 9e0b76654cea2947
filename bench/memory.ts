/**
 * `npm run bench:memory`: does memory stay bounded under churn? The production server (capacity 4096)
 * serves a warm-up pass over 100,000 distinct terms, then 1,000,000 applies spread at random over the
 * same terms (so about 96% of them compile, and evict), every answer checked against `(n + x) | 0`.
 * Sampled from outside the process the whole time, every 250 ms: resident memory (VmRSS in
 * /proc/<pid>/status) and the JIT's pages (anonymous read+execute pages in /proc/<pid>/maps, beyond those
 * mapped before the first request: the call gate's page).
 *
 * Goals from issue 5: resident memory at the end within 10% of where it was after warm-up, and never more
 * JIT pages than the capacity. Exits 1 if either is missed or any answer is wrong.
 *
 * Environment: BENCH_REQUESTS (1,000,000), BENCH_TERMS (100,000), BENCH_CAPACITY (4096), BENCH_WRITE=0 to
 * leave docs/benchmarks.md alone.
 */
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { wrappingAdd } from '../src/int32.js';
import { anonymousReadExecutePages, readMaps } from '../test/support/maps.js';
import { freePort, startServerProcess } from '../test/support/server-process.js';
import { describeMachine } from './machine.js';
import { writeReportSection } from './report.js';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 1_000_000);
const TERMS = Number(process.env.BENCH_TERMS ?? 100_000);
const CAPACITY = Number(process.env.BENCH_CAPACITY ?? 4096);
const CONNECTIONS = 50;
const PAGE_SIZE = 4096;

function residentBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match?.[1]) throw new Error(`no VmRSS for process ${pid}`);
  return Number(match[1]) * 1024;
}

interface Sampler {
  peakJitPages: number;
  samples: number;
  stop: () => void;
}

function sample(pid: number, pagesBefore: number): Sampler {
  const sampler: Sampler = { peakJitPages: 0, samples: 0, stop: () => {} };
  const take = () => {
    const jitPages = anonymousReadExecutePages(PAGE_SIZE, readMaps(pid)) - pagesBefore;
    sampler.peakJitPages = Math.max(sampler.peakJitPages, jitPages);
    sampler.samples += 1;
  };
  const timer = setInterval(take, 250);
  sampler.stop = () => {
    clearInterval(timer);
    take();
  };
  return sampler;
}

/** Drives `amount` applies; every answer is parsed and checked against the term and x that were sent. */
async function drive(url: string, amount: number, pickTerm: (i: number) => number) {
  let sent = 0;
  let wrong = 0;
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    amount,
    requests: [
      {
        method: 'GET',
        setupRequest: (request, context) => {
          const i = sent++;
          const term = pickTerm(i);
          const x = (i * 2_654_435_761) | 0;
          Object.assign(context, { term, x });
          return { ...request, path: `/adders/${term}/apply?x=${x}` };
        },
        onResponse: (status, body, context) => {
          const { term, x } = context as { term: number; x: number };
          const answer =
            status === 200 ? (JSON.parse(body) as { term: number; x: number; result: number }) : undefined;
          if (!answer || answer.term !== term || answer.x !== x || answer.result !== wrappingAdd(term, x)) {
            wrong += 1;
          }
        },
      },
    ],
  });
  return { result, wrong };
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
    const pagesBefore = anonymousReadExecutePages(PAGE_SIZE, readMaps(pid));
    const sampler = sample(pid, pagesBefore);
    const startRss = residentBytes(pid);

    // Warm-up: every term once, in order.
    const warmup = await drive(url, TERMS, (i) => i % TERMS);
    const warmRss = residentBytes(pid);
    process.stderr.write(`warm-up done: ${warmup.result.requests.average} req/s\n`);

    // The measured run: terms at random (a fixed-seed generator, so runs are comparable).
    let seed = 0x9e3779b9;
    const random = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
    };
    const started = performance.now();
    const run = await drive(url, REQUESTS, () => Math.floor(random() * TERMS));
    const seconds = (performance.now() - started) / 1000;
    const endRss = residentBytes(pid);
    sampler.stop();
    const stats = (await (await fetch(`${url}/adders`)).json()) as {
      stats: { live: number; compiles: number; hits: number; evictions: number };
    };

    const errors = warmup.result.errors + run.result.errors + warmup.result.non2xx + run.result.non2xx;
    const wrong = warmup.wrong + run.wrong;
    const growth = endRss / warmRss - 1;
    const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
    failed = wrong > 0 || errors > 0 || Math.abs(growth) > 0.1 || sampler.peakJitPages > CAPACITY;

    say('## Memory under churn (`npm run bench:memory`)');
    say();
    say(`Machine: ${describeMachine()}.`);
    say(
      `The production server at capacity ${CAPACITY.toLocaleString('en')}: a warm-up pass over ` +
        `${TERMS.toLocaleString('en')} distinct terms, then ${REQUESTS.toLocaleString('en')} applies with ` +
        `terms drawn at random from them, ${CONNECTIONS} connections, every answer checked. Sampled every ` +
        `250 ms from /proc/<pid>/status and /proc/<pid>/maps (${sampler.samples} samples).`,
    );
    say();
    say('| measure | value |');
    say('| --- | ---: |');
    say(`| resident memory at start | ${mib(startRss)} |`);
    say(`| resident memory after warm-up | ${mib(warmRss)} |`);
    say(`| resident memory at the end | ${mib(endRss)} |`);
    say(`| change after warm-up (goal: within ±10%) | ${(growth * 100).toFixed(1)}% |`);
    say(`| most JIT pages mapped at once (goal: ≤ ${CAPACITY}) | ${sampler.peakJitPages} |`);
    say(
      `| measured run | ${seconds.toFixed(1)} s, ${Math.round(run.result.requests.average).toLocaleString('en')} req/s |`,
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
