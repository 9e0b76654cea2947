/**
 * `npm run bench`: the service under HTTP load, side by side with a bare Fastify baseline, in one run.
 *
 * Starts babyjit as in production (dist/src/server.js, LOG_LEVEL=info, metrics on) and the baseline
 * (bench/baseline-server.ts: the same routes and schemas, `(n + x) | 0` in JavaScript), each in its own
 * process on loopback, and drives them with autocannon (50 connections), in halves ordered A B B A within
 * every round (B A A B in the next) so that the machine's drift falls on both. Prints req/s, p50/p99 latency, the server's CPU time
 * per request and the ratios per round, and the medians; writes them to docs/benchmarks.md.
 *
 * Scenarios: warm apply on one term; warm apply round-robin over 1,000 terms; cold apply, a new term
 * every request at capacity 64 (so each request compiles and evicts); POST /adders with distinct terms;
 * a JSON batch of 10,000 values; binary batches (application/octet-stream) of 10,000 and 1,048,576 values,
 * measured against bench/echo-server.ts, a plain Node.js server that streams the bytes it receives back
 * unchanged: the bound for that path. Then the cost of observability: warm apply with metrics and logging
 * as in production, with each alone, and with a log line per request (LOG_LEVEL=debug), each measured the
 * same way against a process with both off.
 *
 * BENCH_AGAINST=<another checkout's dist/src/server.js> measures this checkout's babyjit against that one
 * instead of the baselines, in the same pairs and with the same configuration on both sides: how the
 * decisions in docs/decisions.md were measured. Such a run writes nothing. BENCH_AGAINST_FLAGS
 * (space-separated) replaces the service's V8 flags for that server: pointed at a copy of this checkout's
 * dist with BENCH_AGAINST_FLAGS= (empty), a run measures what the flags cost.
 *
 * With two CPUs or more, the servers run on CPU 0 and autocannon on CPU 1 (BENCH_PIN=0: no pinning).
 *
 * Environment: BENCH_ROUNDS (7), BENCH_SECONDS per measurement (4), BENCH_WARMUP seconds of load before a
 * server is measured (6), BENCH_WRITE=0 to leave docs alone, BENCH_ONLY=text to run only the sections whose
 * title contains it, or one of several separated by `|` (titles hold commas), for example `warm` or
 * `cold|binary`; a partial run never writes docs/benchmarks.md, which holds whole runs only.
 */

import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { cpuSeconds, PIN, pin } from '../harness/process-cpu.js';
import {
  freePort,
  SERVICE_NODE_FLAGS,
  type ServerProcess,
  startServerProcess,
} from '../harness/server-process.js';
import { describeMachine, packageVersion } from './machine.js';
import { writeReportSection } from './report.js';
import { median } from './stats.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const WARM_UP_SECONDS = Number(process.env.BENCH_WARMUP ?? 6);
const ONLY = process.env.BENCH_ONLY;
const selected = (title: string) =>
  ONLY === undefined || ONLY.split('|').some((part) => title.includes(part.trim()));
const OBSERVABILITY_TITLE = 'The cost of metrics and logging (warm apply, one term)';
const CONNECTIONS = 50;
const BATCH = 10_000;
const LARGE_BATCH = 1_048_576;
const baselineScript = fileURLToPath(new URL('./baseline-server.js', import.meta.url));
const echoScript = fileURLToPath(new URL('./echo-server.js', import.meta.url));
const AGAINST = process.env.BENCH_AGAINST;
/** The V8 flags of the BENCH_AGAINST server: the service's own unless BENCH_AGAINST_FLAGS says (space-separated). */
const AGAINST_FLAGS =
  process.env.BENCH_AGAINST_FLAGS === undefined
    ? [...SERVICE_NODE_FLAGS]
    : process.env.BENCH_AGAINST_FLAGS.split(' ').filter((flag) => flag !== '');

interface Target {
  name: string;
  process: ServerProcess;
  url: string;
  /** The first few lines the server logged at error or above (pino's level 50, 60), for a failed slice. */
  errors: string[];
}

interface Measurement {
  rps: number;
  p50: number;
  p99: number;
  /** The server process's CPU time (user + system) per request, in microseconds. */
  cpuUs: number;
}

type RequestSpec = autocannon.Request;

interface Scenario {
  name: string;
  /** Which babyjit process serves it. */
  babyjit: string;
  /** What it is measured against: the Fastify baseline unless said otherwise. */
  against?: 'baseline' | 'echo';
  /** Connections autocannon keeps open (CONNECTIONS unless said otherwise). */
  connections?: number;
  requests: () => RequestSpec[];
  /** Values evaluated per request, for the batch scenario's values/s. */
  valuesPerRequest?: number;
  /** Run once against each target before measuring (compiles the warm terms). */
  prepare?: (url: string) => Promise<void>;
}

async function start(name: string, env: Record<string, string>, script?: string): Promise<Target> {
  const server = startServerProcess({
    env,
    keepOutput: false,
    port: await freePort(),
    ...(script ? { script } : {}),
    // The other checkout's server runs with the flags this one's does (startServerProcess gives them to
    // this checkout's server only), so a pair differs in code alone; or with BENCH_AGAINST_FLAGS.
    ...(script !== undefined && script === AGAINST ? { nodeOptions: AGAINST_FLAGS } : {}),
  });
  const url = await server.listening;
  if (PIN) pin(server.child.pid as number, 0);
  const errors: string[] = [];
  server.child.stdout?.on('data', (chunk: Buffer) => {
    if (errors.length >= 3) return;
    for (const line of chunk.toString().split('\n')) {
      if (/"level":[56]0/.test(line) && errors.length < 3) errors.push(line.slice(0, 4000));
    }
  });
  return { name, process: server, url, errors };
}

async function stop(target: Target): Promise<void> {
  target.process.child.kill('SIGTERM');
  await target.process.exited;
}

/** One stretch of load on one target: its requests, its duration and the server's CPU time over it. */
interface Slice {
  requests: number;
  seconds: number;
  cpuSeconds: number;
  p50: number;
  p99: number;
}

async function loadSlice(
  target: Target,
  requests: RequestSpec[],
  seconds: number,
  connections: number,
): Promise<Slice> {
  const { url } = target;
  const pid = target.process.child.pid as number;
  const cpuBefore = cpuSeconds(pid);
  const result = await autocannon({ url, connections, duration: seconds, requests });
  const cpu = cpuSeconds(pid) - cpuBefore;
  if (result.errors > 0 || result.non2xx > 0 || result.timeouts > 0) {
    // Which statuses: a 503 is load shedding on a busy machine, anything else a fault to look into.
    const statuses = Object.entries(result.statusCodeStats ?? {})
      .map(([status, { count }]) => `${count} × ${status}`)
      .join(', ');
    throw new Error(
      `${target.name} at ${url}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx answers (${statuses})` +
        (target.errors.length > 0 ? `; the server logged:\n${target.errors.join('\n')}` : ''),
    );
  }
  return {
    requests: result.requests.total,
    seconds: result.duration,
    cpuSeconds: cpu,
    p50: result.latency.p50,
    p99: result.latency.p99,
  };
}

/**
 * Measures two servers side by side: SECONDS of load each, in two halves ordered A B B A (B A A B when
 * `firstGoesFirst` is false). This machine's speed drifts over seconds (one process measured in
 * consecutive 2 s slices read from 18.8 to 31.5 µs of CPU per request); the mirrored order puts both
 * servers' halves at the same mean time, so a drift that is steady over the round falls on both alike.
 * req/s and CPU per request come from both halves together; p50 and p99 are the higher of the two halves.
 */
async function measurePair(
  first: Target,
  second: Target,
  requests: () => RequestSpec[],
  firstGoesFirst: boolean,
  connections = CONNECTIONS,
): Promise<[Measurement, Measurement]> {
  const half = SECONDS / 2;
  const [a, b] = firstGoesFirst ? [first, second] : [second, first];
  const slices = new Map<Target, Slice[]>([
    [first, []],
    [second, []],
  ]);
  for (const target of [a, b, b, a]) {
    slices.get(target)?.push(await loadSlice(target, requests(), half, connections));
  }
  const combine = (parts: Slice[]): Measurement => {
    const total = (pick: (slice: Slice) => number) => parts.reduce((sum, slice) => sum + pick(slice), 0);
    return {
      rps: total((slice) => slice.requests) / total((slice) => slice.seconds),
      p50: Math.max(...parts.map((slice) => slice.p50)),
      p99: Math.max(...parts.map((slice) => slice.p99)),
      cpuUs: (total((slice) => slice.cpuSeconds) * 1e6) / total((slice) => slice.requests),
    };
  };
  return [combine(slices.get(first) ?? []), combine(slices.get(second) ?? [])];
}

/**
 * Unmeasured load before a server is measured (BENCH_WARMUP seconds, 6 unless set). One second was not
 * enough for a steady state. In an ad-hoc test, fresh processes were each measured A B B A against one
 * process that kept serving throughout (metrics off and LOG_LEVEL=silent on both sides): warmed for 1 s,
 * they cost 5% more CPU per warm apply than it (median of 12); warmed for 6 s, 2% less (median of 10).
 */
async function warmUp(url: string, requests: RequestSpec[], connections = CONNECTIONS): Promise<void> {
  await autocannon({ url, connections, duration: WARM_UP_SECONDS, requests });
}

let nextColdTerm = 100_000_000;
let nextPostTerm = -100_000_000;
const json = { 'content-type': 'application/json' };
const batchValues = (count: number) => Array.from({ length: count }, (_, i) => i * 214_747 - 1_073_741_824);
const batchBody = JSON.stringify({ xs: batchValues(BATCH) });
const binary = { 'content-type': 'application/octet-stream' };
/** The same values as little-endian int32s, as a binary batch carries them. */
const binaryBody = (count: number) => Buffer.from(Int32Array.from(batchValues(count)).buffer);

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
  ...[BATCH, LARGE_BATCH].map(
    (count): Scenario => ({
      name: `binary batch, ${count.toLocaleString('en')} values`,
      babyjit: 'production',
      against: 'echo',
      // Each request carries 4 bytes a value both ways: fewer connections for the large one keep what is in
      // flight (and the load generator's own memory) in bounds.
      connections: count === BATCH ? CONNECTIONS : 8,
      valuesPerRequest: count,
      requests: () => [{ method: 'POST', path: '/adders/5/apply', headers: binary, body: binaryBody(count) }],
    }),
  ),
];

/** Each configuration is measured against metrics and logging both off, in pairs (see main()). */
const BOTH_OFF = 'quiet';
const observability: Array<{ name: string; babyjit: string }> = [
  { name: 'metrics on, LOG_LEVEL=info (production)', babyjit: 'observed' },
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
    echo: { env: {}, script: echoScript },
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
    // `against:production` and the like: the other checkout's babyjit, configured as `production` is.
    const [configuration, other] = key.startsWith('against:') ? [key.slice(8), true] : [key, false];
    const { env, script } = configurations[configuration] as Configuration;
    const name = other ? 'candidate' : script === undefined ? 'babyjit' : configuration;
    const started = await start(name, env, other ? AGAINST : script);
    targets.set(key, started);
    return started;
  };
  /** What a scenario's babyjit is measured against: a baseline, or the other checkout (BENCH_AGAINST). */
  const comparison = (scenario: Scenario) =>
    AGAINST === undefined ? (scenario.against ?? 'baseline') : `against:${scenario.babyjit}`;
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
      `autocannon, ${CONNECTIONS} connections, ${SECONDS} s per server per round in two halves, ${ROUNDS} rounds ` +
        'ordered babyjit, baseline, baseline, babyjit and the reverse in turn; ' +
        (PIN
          ? 'every server on CPU 0 and the load generator on CPU 1 (taskset, all threads). '
          : 'servers and load generator share the same cores. ') +
        `Each server gets ${WARM_UP_SECONDS} s of unmeasured load first. Latencies in ms, the higher of the two halves. ` +
        "CPU µs/req is the server process's CPU time (user + system, /proc/<pid>/stat) over the " +
        'measurement divided by its requests: steadier than req/s on a shared machine. "ratio" compares ' +
        'req/s, "CPU ratio" is the baseline\'s CPU per request over babyjit\'s (above 1: babyjit is cheaper); ' +
        "the median row's ratios are the medians of the rounds' ratios.",
    );

    const chosen = scenarios.filter(({ name }) => selected(name));
    for (const [index, scenario] of chosen.entries()) {
      const later = chosen.slice(index);
      await stopAllBut(new Set(later.flatMap((next) => [next.babyjit, comparison(next)])));
      const connections = scenario.connections ?? CONNECTIONS;
      for (const key of [scenario.babyjit, comparison(scenario)]) {
        const { url } = await target(key);
        await scenario.prepare?.(url);
        await warmUp(url, scenario.requests(), connections);
      }
      const rows: Array<{ ours: Measurement; base: Measurement }> = [];
      for (let round = 0; round < ROUNDS; round += 1) {
        // Alternate which goes first, so neither always runs on a machine warmed (or tired) by the other.
        const [ours, base] = await measurePair(
          await target(scenario.babyjit),
          await target(comparison(scenario)),
          scenario.requests,
          round % 2 === 0,
          connections,
        );
        rows.push({ ours, base });
        process.stderr.write(`${scenario.name}: round ${round + 1}/${ROUNDS}\n`);
      }
      const other = (await target(comparison(scenario))).name;
      say();
      say(`### ${scenario.name}${other === 'baseline' ? '' : ` (against ${other})`}`);
      say();
      const values = scenario.valuesPerRequest;
      say(
        `| round | babyjit req/s | p50 | p99 | CPU µs/req | ${other} req/s | p50 | p99 | CPU µs/req | ratio | CPU ratio |` +
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

    // A partial run, or one against another checkout: nothing more is measured, and nothing is written.
    if (!selected(OBSERVABILITY_TITLE) || AGAINST !== undefined) return;
    await stopAllBut(new Set());
    // Every pair here gets two processes of its own, started for it and stopped after it. Two processes
    // running the same code can differ by several per cent for as long as they live (how V8 happened to
    // optimise and lay out their heaps), which is the size of the effect measured here; with one process
    // per configuration for the whole section, that difference would be read as the configuration's cost.
    //
    // And each configuration is measured side by side with a fresh process that has both off, as the
    // scenarios above measure babyjit and the baseline (measurePair), the order alternating: the pair's
    // ratio is the configuration's cost. Configurations compared with one both-off measurement per round,
    // up to half a minute away, as this section once did, read 0.93× in one run and 1.02× in another
    // for the same code.
    const warmApply = (): RequestSpec[] => [{ method: 'GET', path: '/adders/7/apply?x=35' }];
    const pairs = new Map<string, Array<{ on: Measurement; off: Measurement }>>();
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const [index, entry] of observability.entries()) {
        const off = await target(BOTH_OFF);
        const on = await target(entry.babyjit);
        for (const fresh of [off, on]) await warmUp(fresh.url, warmApply());
        const [offResult, onResult] = await measurePair(off, on, warmApply, (round + index) % 2 === 0);
        await stopAllBut(new Set());
        pairs.set(entry.name, [...(pairs.get(entry.name) ?? []), { on: onResult, off: offResult }]);
      }
      process.stderr.write(`observability: round ${round + 1}/${ROUNDS}\n`);
    }
    say();
    say(`### ${OBSERVABILITY_TITLE}`);
    say();
    say(
      `Each configuration against a process with metrics off and \`LOG_LEVEL=silent\` ("both off"), in ${ROUNDS} ` +
        'pairs measured like the scenarios above, with two fresh processes for every pair. The ratios are the ' +
        "medians of the pairs' ratios.",
    );
    say();
    say(
      '| configuration | req/s per pair | both off, req/s per pair | ÷ both off, median | CPU µs/req per pair | both off, CPU µs/req per pair | both off ÷ this (CPU), median |',
    );
    say('| --- | --- | --- | ---: | --- | --- | ---: |');
    for (const [name, runs] of pairs) {
      const list = (pick: (m: Measurement) => number, side: 'on' | 'off', digits: number) =>
        runs.map((pair) => fmt(pick(pair[side]), digits)).join(', ');
      const rpsRatio = median(runs.map(({ on, off }) => on.rps / off.rps));
      const cpuRatio = median(runs.map(({ on, off }) => off.cpuUs / on.cpuUs));
      say(
        `| ${name} | ${list((m) => m.rps, 'on', 0)} | ${list((m) => m.rps, 'off', 0)} | ${fmt(rpsRatio, 3)}× | ` +
          `${list((m) => m.cpuUs, 'on', 1)} | ${list((m) => m.cpuUs, 'off', 1)} | ${fmt(cpuRatio, 3)}× |`,
      );
    }
  } finally {
    await Promise.all([...targets.values()].map(stop));
  }
  if (ONLY === undefined && AGAINST === undefined && process.env.BENCH_WRITE !== '0')
    writeReportSection('bench:http', lines.join('\n'));
}

await main();
