/**
 * How much CPU one babyjit process uses at a given request rate, for sizing: the Kubernetes CPU request
 * and the autoscaler's target are derived from it (docs/operations.md, "CPU and autoscaling").
 *
 * Starts the server as in production (dist/src/server.js with the service's flags, LOG_LEVEL=info, metrics
 * on, default capacity), compiles 1,000 terms, and measures its CPU time (/proc/<pid>/stat) while idle,
 * then under a mix of requests at fixed rates (autocannon's overallRate), then as fast as autocannon's
 * connections can drive it. The mix, per 100 requests: 88 applies of one of the 1,000 terms, 5 JSON
 * batches of 100 inputs, 3 descriptions (the disassembly: iced-x86), 2 compiles of new terms (at capacity,
 * each evicts one), 1 page of the list and 1 life. Prints a Markdown table: the rate asked and reached,
 * the CPU used in millicores, the CPU per request beyond idle, and p50/p99 latency.
 *
 * With two CPUs or more the server runs on CPU 0 and autocannon on CPU 1 (harness/process-cpu.ts).
 *
 * Environment: BENCH_RATES (comma-separated requests/s, "250,500,1000,2000"), BENCH_SECONDS per level (20),
 * BENCH_WARMUP seconds at full speed before the first level (10).
 */
import autocannon from 'autocannon';
import { cpuSeconds, PIN, pin } from '../harness/process-cpu.js';
import { freePort, startServerProcess } from '../harness/server-process.js';
import { describeMachine } from './machine.js';

const RATES = (process.env.BENCH_RATES ?? '250,500,1000,2000').split(',').map(Number);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const WARM_UP_SECONDS = Number(process.env.BENCH_WARMUP ?? 10);
const CONNECTIONS = 20;
const HOT_TERMS = 1000;

const json = { 'content-type': 'application/json' };
const batch = JSON.stringify({ xs: Array.from({ length: 100 }, (_, i) => i * 7 - 350) });
let nextNewTerm = 500_000_000;
const hotTerm = () => Math.floor(Math.random() * HOT_TERMS);

/** One request of each kind, with how many of every 100 it makes. */
const MIX: Array<[number, autocannon.Request]> = [
  [88, { method: 'GET', setupRequest: (req) => ({ ...req, path: `/adders/${hotTerm()}/apply?x=35` }) }],
  [
    5,
    {
      method: 'POST',
      headers: json,
      body: batch,
      setupRequest: (req) => ({ ...req, path: `/adders/${hotTerm()}/apply` }),
    },
  ],
  [3, { method: 'GET', setupRequest: (req) => ({ ...req, path: `/adders/${hotTerm()}` }) }],
  [
    2,
    {
      method: 'POST',
      path: '/adders',
      headers: json,
      setupRequest: (req) => ({ ...req, body: JSON.stringify({ term: nextNewTerm++ }) }),
    },
  ],
  [1, { method: 'GET', path: '/adders?limit=100' }],
  [1, { method: 'GET', setupRequest: (req) => ({ ...req, path: `/adders/${hotTerm()}/life` }) }],
];

/** The mix as one sequence of 100 requests, its kinds spread evenly (every connection cycles through it). */
function mixedRequests(): autocannon.Request[] {
  const slots: Array<[number, autocannon.Request]> = [];
  for (const [count, request] of MIX) {
    for (let i = 0; i < count; i += 1) slots.push([(i + 0.5) / count, request]);
  }
  return slots.sort((a, b) => a[0] - b[0]).map(([, request]) => request);
}

interface Level {
  asked: string;
  rps: number;
  millicores: number;
  p50: number;
  p99: number;
}

async function main(): Promise<void> {
  const server = startServerProcess({ port: await freePort(), keepOutput: false });
  const url = await server.listening;
  const pid = server.child.pid as number;
  if (PIN) {
    pin(pid, 0);
    pin(process.pid, 1);
  }
  try {
    for (let term = 0; term < HOT_TERMS; term += 1) await fetch(`${url}/adders/${term}/apply?x=1`);
    await autocannon({ url, connections: CONNECTIONS, duration: WARM_UP_SECONDS, requests: mixedRequests() });

    const idleFrom = cpuSeconds(pid);
    const idleStart = performance.now();
    await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
    const idleMillicores = ((cpuSeconds(pid) - idleFrom) * 1e6) / (performance.now() - idleStart);

    const levels: Level[] = [];
    for (const rate of [...RATES, undefined]) {
      const from = cpuSeconds(pid);
      const result = await autocannon({
        url,
        connections: CONNECTIONS,
        duration: SECONDS,
        requests: mixedRequests(),
        ...(rate === undefined ? {} : { overallRate: rate }),
      });
      const cpu = cpuSeconds(pid) - from;
      if (result.errors > 0 || result.timeouts > 0 || result.non2xx > 0)
        throw new Error(
          `${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx answers`,
        );
      levels.push({
        asked: rate === undefined ? 'as fast as it goes' : String(rate),
        rps: result.requests.total / result.duration,
        millicores: (cpu * 1000) / result.duration,
        p50: result.latency.p50,
        p99: result.latency.p99,
      });
      process.stderr.write(`cpu-use: ${levels.at(-1)?.asked} done\n`);
    }

    const out = (line: string) => process.stdout.write(`${line}\n`);
    out(describeMachine());
    out('');
    out(`Idle: ${idleMillicores.toFixed(1)} millicores (${SECONDS} s).`);
    out('');
    out(
      '| rate asked (req/s) | reached (req/s) | CPU (millicores) | CPU per request beyond idle (µs) | p50 / p99 (ms) |',
    );
    out('| --- | ---: | ---: | ---: | --- |');
    for (const level of levels) {
      const perRequest = ((level.millicores - idleMillicores) * 1000) / level.rps;
      out(
        `| ${level.asked} | ${level.rps.toFixed(0)} | ${level.millicores.toFixed(0)} | ${perRequest.toFixed(0)} | ` +
          `${level.p50} / ${level.p99} |`,
      );
    }
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
  }
}

await main();
