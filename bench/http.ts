/**
 * `npm run bench`: the service under HTTP load, side by side with a bare Fastify baseline, in one run.
 *
 * Starts babyjit as in production (dist/src/server.js, LOG_LEVEL=info, metrics on) and the baseline
 * (bench/baseline-server.ts: the same routes and schemas, `(n + x) | 0` in JavaScript), each in its own
 * process on loopback, and drives them with autocannon (50 connections), alternating A/B within every
 * round so that the machine's noise falls on both. Prints req/s, p50/p99 latency, the server's CPU time
 * per request and the ratios per round, and the medians; writes them to docs/benchmarks.md.
 *
 * Scenarios: warm apply on one term; warm apply round-robin over 1,000 terms; cold apply, a new term
 * every request at capacity 64 (so each request compiles and evicts); POST /adders with distinct terms;
 * batch apply of 10,000 values. Then the cost of observability: warm apply with metrics and logging as in
 * production, with both off, with each alone, and with a log line per request (LOG_LEVEL=debug).
 *
 * With two CPUs or more, the servers run on CPU 0 and autocannon on CPU 1 (BENCH_PIN=0: no pinning).
 *
 * Environment: BENCH_ROUNDS (7), BENCH_SECONDS per measurement (4), BENCH_WRITE=0 to leave docs alone,
 * BENCH_ONLY=text to run only the sections whose title contains it (for example `warm` or `metrics`); a
 * partial run never writes docs/benchmarks.md, which holds whole runs only.
 */

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { freePort, type ServerProcess, startServerProcess } from '../test/support/server-process.js';
import { describeMachine, packageVersion } from './machine.js';
import { writeReportSection } from './report.js';
import { median } from './stats.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const ONLY = process.env.BENCH_ONLY;
const selected = (title: string) => ONLY === undefined || title.includes(ONLY);
const OBSERVABILITY_TITLE = 'The cost of metrics and logging (warm apply, one term)';
const CONNECTIONS = 50;
const BATCH = 10_000;
const baselineScript = fileURLToPath(new URL('./baseline-server.js', import.meta.url));

interface Target {
  name: string;
  process: ServerProcess;
  url: string;
}

interface Measurement {
  rps: number;
  p50: number;
  p99: number;
  /** The server process's CPU time (user + system) per request, in microseconds. */
  cpuUs: number;
}

/** Clock ticks per second, the unit of utime and stime in /proc/<pid>/stat. */
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** CPU seconds a process has used so far (user + system), from /proc/<pid>/stat. */
function cpuSeconds(pid: number): number {
  // The command name, in parentheses, may contain spaces: split after its closing parenthesis. utime and
  // stime are then the 12th and 13th fields (the 14th and 15th of the whole line).
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

type RequestSpec = autocannon.Request;

interface Scenario {
  name: string;
  /** Which babyjit process serves it. */
  babyjit: string;
  requests: () => RequestSpec[];
  /** Values evaluated per request, for the batch scenario's values/s. */
  valuesPerRequest?: number;
  /** Run once against each target before measuring (compiles the warm terms). */
  prepare?: (url: string) => Promise<void>;
}

/**
 * With two or more CPUs, every server runs on CPU 0 and the load generator (this process) on CPU 1, all
 * their threads included: otherwise the scheduler moves both around the two cores, and which of them
 * shares a core with the other's busy moments changes from one measurement to the next.
 */
const PIN = availableParallelism() >= 2 && process.env.BENCH_PIN !== '0';

function pin(pid: number, cpu: number): void {
  execFileSync('taskset', ['--all-tasks', '--cpu-list', '--pid', String(cpu), String(pid)], {
    stdio: 'ignore',
  });
}

async function start(name: string, env: Record<string, string>, script?: string): Promise<Target> {
  const server = startServerProcess({
    env,
    keepOutput: false,
    port: await freePort(),
    ...(script ? { script } : {}),
  });
  const url = await server.listening;
  if (PIN) pin(server.child.pid as number, 0);
  return { name, process: server, url };
}

async function stop(target: Target): Promise<void> {
  target.process.child.kill('SIGTERM');
  await target.process.exited;
}

async function load(target: Target, requests: RequestSpec[]): Promise<Measurement> {
  const { url } = target;
  const pid = target.process.child.pid as number;
  const cpuBefore = cpuSeconds(pid);
  const result = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS, requests });
  const cpu = cpuSeconds(pid) - cpuBefore;
  if (result.errors > 0 || result.non2xx > 0 || result.timeouts > 0) {
    throw new Error(
      `${url}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx answers`,
    );
  }
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    cpuUs: (cpu * 1e6) / result.requests.total,
  };
}

/** One unmeasured second of the scenario's load, so that V8 has optimised the hot paths of both servers. */
async function warmUp(url: string, requests: RequestSpec[]): Promise<void> {
  await autocannon({ url, connections: CONNECTIONS, duration: 1, requests });
}

let nextColdTerm = 100_000_000;
let nextPostTerm = -100_000_000;
const json = { 'content-type': 'application/json' };
const batchBody = JSON.stringify({
  xs: Array.from({ length: BATCH }, (_, i) => i * 214_747 - 1_073_741_824),
});

const scenarios: Scenario[] = [
  {
    name: 'warm apply, one term',
    babyjit: 'production',
    requests: () => [{ method: 'GET', path: '/adders/7/apply?x=35' }],
    prepare: async (url) => void (await fetch(`${url}/adders/7/apply?x=35`)),
  },
  {
    name: 'warm apply, 1,000 terms round-robin',
    babyjit: 'production',
    requests: () => {
      let i = 0;
      return [
        { method: 'GET', setupRequest: (req) => ({ ...req, path: `/adders/${i++ % 1000}/apply?x=${i}` }) },
      ];
    },
    prepare: async (url) => {
      for (let term = 0; term < 1000; term += 1) await fetch(`${url}/adders/${term}/apply?x=1`);
    },
  },
  {
    name: 'cold apply, new term each request (capacity 64)',
    babyjit: 'small',
    requests: () => [
      { method: 'GET', setupRequest: (req) => ({ ...req, path: `/adders/${nextColdTerm++}/apply?x=1` }) },
    ],
  },
  {
    name: 'POST /adders, distinct terms',
    babyjit: 'production',
    requests: () => [
      {
        method: 'POST',
        path: '/adders',
        headers: json,
        setupRequest: (req) => ({ ...req, body: `{"term":${nextPostTerm++}}` }),
      },
    ],
  },
  {
    name: `batch apply, ${BATCH.toLocaleString('en')} values`,
    babyjit: 'production',
    valuesPerRequest: BATCH,
    requests: () => [{ method: 'POST', path: '/adders/5/apply', headers: json, body: batchBody }],
  },
];

const observability: Array<{ name: string; babyjit: string }> = [
  { name: 'metrics on, LOG_LEVEL=info (production)', babyjit: 'observed' },
  { name: 'metrics off, LOG_LEVEL=silent', babyjit: 'quiet' },
  { name: 'metrics on, LOG_LEVEL=silent', babyjit: 'metricsOnly' },
  { name: 'metrics off, LOG_LEVEL=info', babyjit: 'loggingOnly' },
  { name: 'metrics on, LOG_LEVEL=debug (a line per request)', babyjit: 'verbose' },
];

function fmt(value: number, digits = 0): string {
  return value.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

async function main(): Promise<void> {
  if (PIN) pin(process.pid, 1);
  const targets = new Map<string, Target>();
  const lines: string[] = [];
  const say = (line = '') => {
    console.log(line);
    lines.push(line);
  };
  // Each process is started when a section first needs it and stopped when no later section does: an idle
  // babyjit still wakes up for its event-loop-delay sampling (load shedding, default metrics), and on
  // CPU 0 those wake-ups would land in the measured servers' time.
  type Configuration = { env: Record<string, string>; script?: string };
  const configurations: Record<string, Configuration> = {
    baseline: { env: {}, script: baselineScript },
    production: { env: { LOG_LEVEL: 'info', METRICS: 'on' } },
    small: { env: { LOG_LEVEL: 'info', METRICS: 'on', JIT_MAX_ADDERS: '64' } },
    // A fresh production-configured process for the observability comparison: 'production' has by then
    // served every other scenario, and its fuller heap would be measured against fresh processes.
    observed: { env: { LOG_LEVEL: 'info', METRICS: 'on' } },
    quiet: { env: { LOG_LEVEL: 'silent', METRICS: 'off' } },
    metricsOnly: { env: { LOG_LEVEL: 'silent', METRICS: 'on' } },
    loggingOnly: { env: { LOG_LEVEL: 'info', METRICS: 'off' } },
    verbose: { env: { LOG_LEVEL: 'debug', METRICS: 'on' } },
  };
  const target = async (key: string): Promise<Target> => {
    const running = targets.get(key);
    if (running) return running;
    const { env, script } = configurations[key] as Configuration;
    const started = await start(key === 'baseline' ? 'baseline' : 'babyjit', env, script);
    targets.set(key, started);
    return started;
  };
  const stopAllBut = async (needed: Set<string>) => {
    for (const [key, running] of targets) {
      if (needed.has(key)) continue;
      targets.delete(key);
      await stop(running);
    }
  };
  try {
    say('## HTTP service (`npm run bench`)');
    say();
    say(
      `Machine: ${describeMachine()}; fastify ${packageVersion('fastify')}, koffi ${packageVersion('koffi')}, ` +
        `autocannon ${packageVersion('autocannon')}.`,
    );
    say(
      `autocannon, ${CONNECTIONS} connections, ${SECONDS} s per measurement, ${ROUNDS} rounds alternating ` +
        'babyjit and the baseline; ' +
        (PIN
          ? 'every server on CPU 0 and the load generator on CPU 1 (taskset, all threads). '
          : 'servers and load generator share the same cores. ') +
        'Latencies in ms. ' +
        "CPU µs/req is the server process's CPU time (user + system, /proc/<pid>/stat) over the " +
        'measurement divided by its requests: steadier than req/s on a shared machine. "ratio" compares ' +
        'req/s, "CPU ratio" is the baseline\'s CPU per request over babyjit\'s (above 1: babyjit is cheaper); ' +
        "the median row's ratios are the medians of the rounds' ratios.",
    );

    const chosen = scenarios.filter(({ name }) => selected(name));
    for (const [index, scenario] of chosen.entries()) {
      await stopAllBut(new Set(['baseline', ...chosen.slice(index).map(({ babyjit }) => babyjit)]));
      for (const key of [scenario.babyjit, 'baseline']) {
        const { url } = await target(key);
        await scenario.prepare?.(url);
        await warmUp(url, scenario.requests());
      }
      const rows: Array<{ ours: Measurement; base: Measurement }> = [];
      for (let round = 0; round < ROUNDS; round += 1) {
        // Alternate which goes first, so neither always runs on a machine warmed (or tired) by the other.
        const order = round % 2 === 0 ? [scenario.babyjit, 'baseline'] : ['baseline', scenario.babyjit];
        const measured = new Map<string, Measurement>();
        for (const key of order) measured.set(key, await load(await target(key), scenario.requests()));
        rows.push({
          ours: measured.get(scenario.babyjit) as Measurement,
          base: measured.get('baseline') as Measurement,
        });
        process.stderr.write(`${scenario.name}: round ${round + 1}/${ROUNDS}\n`);
      }
      say();
      say(`### ${scenario.name}`);
      say();
      const values = scenario.valuesPerRequest;
      say(
        '| round | babyjit req/s | p50 | p99 | CPU µs/req | baseline req/s | p50 | p99 | CPU µs/req | ratio | CPU ratio |' +
          (values ? ' babyjit values/s |' : ''),
      );
      say(
        `| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |${values ? ' ---: |' : ''}`,
      );
      const ratios = rows.map(({ ours, base }) => ({
        rps: ours.rps / base.rps,
        cpu: base.cpuUs / ours.cpuUs,
      }));
      const row = (
        label: string,
        ours: Measurement,
        base: Measurement,
        ratio: { rps: number; cpu: number },
      ) =>
        say(
          `| ${label} | ${fmt(ours.rps)} | ${ours.p50} | ${ours.p99} | ${fmt(ours.cpuUs, 1)} | ${fmt(base.rps)} | ` +
            `${base.p50} | ${base.p99} | ${fmt(base.cpuUs, 1)} | ${fmt(ratio.rps, 2)}× | ` +
            `${fmt(ratio.cpu, 2)}× |${values ? ` ${fmt(ours.rps * values)} |` : ''}`,
        );
      for (const [index, { ours, base }] of rows.entries()) {
        row(String(index + 1), ours, base, ratios[index] as { rps: number; cpu: number });
      }
      const med = (pick: (m: Measurement) => number, side: 'ours' | 'base') =>
        median(rows.map((r) => pick(r[side])));
      const medianOf = (side: 'ours' | 'base'): Measurement => ({
        rps: med((m) => m.rps, side),
        p50: med((m) => m.p50, side),
        p99: med((m) => m.p99, side),
        cpuUs: med((m) => m.cpuUs, side),
      });
      // The ratios of the median row are the medians of the rounds' ratios: a round measures both servers
      // back to back, seconds apart, so its ratio cancels the machine's slower drift, which the ratio of two
      // medians taken from different rounds would not.
      row('**median**', medianOf('ours'), medianOf('base'), {
        rps: median(ratios.map((r) => r.rps)),
        cpu: median(ratios.map((r) => r.cpu)),
      });
    }

    if (!selected(OBSERVABILITY_TITLE)) return; // a partial run: nothing is written
    await stopAllBut(new Set());
    // Every measurement here gets a process of its own, started for it and stopped after it. Two processes
    // running the same code can differ by several per cent for as long as they live (how V8 happened to
    // optimise and lay out their heaps), which is the size of the effect measured here; with one process
    // per configuration for the whole section, that difference would be read as the configuration's cost.
    // Fresh processes turn it into noise that the median over rounds absorbs, and leave no idle process
    // waking up on CPU 0 while another is measured.
    const warmApply: RequestSpec[] = [{ method: 'GET', path: '/adders/7/apply?x=35' }];
    const observed = new Map<string, Measurement[]>();
    for (let round = 0; round < ROUNDS; round += 1) {
      const order = round % 2 === 0 ? observability : [...observability].reverse();
      for (const entry of order) {
        const fresh = await target(entry.babyjit);
        await warmUp(fresh.url, warmApply);
        const result = await load(fresh, warmApply);
        await stopAllBut(new Set());
        observed.set(entry.name, [...(observed.get(entry.name) ?? []), result]);
      }
      process.stderr.write(`observability: round ${round + 1}/${ROUNDS}\n`);
    }
    say();
    say(`### ${OBSERVABILITY_TITLE}`);
    say();
    say(
      '| configuration | req/s per round | median | ÷ both off, median of rounds | CPU µs/req per round | median | both off ÷ this, median of rounds |',
    );
    say('| --- | --- | ---: | ---: | --- | ---: | ---: |');
    const offRuns = observed.get('metrics off, LOG_LEVEL=silent') ?? [];
    for (const [name, runs] of observed) {
      const rps = runs.map((m) => m.rps);
      const cpu = runs.map((m) => m.cpuUs);
      // Paired by round, as in the scenarios: each round measures every configuration within a minute.
      const rpsRatio = median(runs.map((m, round) => m.rps / (offRuns[round] as Measurement).rps));
      const cpuRatio = median(runs.map((m, round) => (offRuns[round] as Measurement).cpuUs / m.cpuUs));
      say(
        `| ${name} | ${rps.map((v) => fmt(v)).join(', ')} | ${fmt(median(rps))} | ${fmt(rpsRatio, 3)}× | ` +
          `${cpu.map((v) => fmt(v, 1)).join(', ')} | ${fmt(median(cpu), 1)} | ${fmt(cpuRatio, 3)}× |`,
      );
    }
  } finally {
    await Promise.all([...targets.values()].map(stop));
  }
  if (ONLY === undefined && process.env.BENCH_WRITE !== '0')
    writeReportSection('bench:http', lines.join('\n'));
}

await main();
