/**
 * `npm run soak`: the production server (dist/src/server.js, LOG_LEVEL=info, metrics on, capacity 4096)
 * under a long mixed load on loopback, watched from outside. A warm-up pass visits the terms in order,
 * then the run sends 1,000,000 requests with terms drawn from 100,000: mostly single applies
 * (GET /adders/:n/apply), batch applies of 300 values (POST /adders/:n/apply) and DELETE /adders/:n of
 * the term a request sent a moment before used, so deletes race applies of the same term on other
 * connections. Every answer is checked against `(n + x) | 0`; a DELETE may get 204 or, for a term that is
 * not compiled (evicted, or deleted already), 404, and nothing else.
 *
 * Every 100 ms the sampler (test/support/process-sampler.ts) reads /proc/<pid>/maps and /proc/<pid>/status:
 * JIT pages, told apart from V8's writable+executable code by test/support/jit-pages.ts, and resident
 * memory.
 *
 * Goals: every answer right; no 5xx or other unexpected status, no connection error, no timeout, every
 * request answered; never more JIT pages than the capacity; no JIT page ever writable and executable;
 * resident memory at the end within 10% of where it was after warm-up; done before the timeout; the
 * server still up at the end and exiting 0 on SIGTERM. Prints a summary and exits 1 if any goal is missed.
 *
 * Environment (defaults in brackets): SOAK_REQUESTS (1000000), SOAK_TERMS (100000), SOAK_CAPACITY (4096),
 * SOAK_CONNECTIONS (50), SOAK_BATCH_SHARE (0.02) and SOAK_DELETE_SHARE (0.05) of the requests,
 * SOAK_BATCH_SIZE (300) values per batch, SOAK_SAMPLE_MS (100), SOAK_TIMEOUT_SECONDS (900).
 */
import { INT32_MAX, INT32_MIN } from '../src/int32.js';
import { applyRequest, batchRequest, deleteRequest, scramble } from '../test/support/adder-requests.js';
import { type CheckedRequest, driveChecked, type LoadTally } from '../test/support/checked-load.js';
import { ProcessSampler, residentBytes } from '../test/support/process-sampler.js';
import { freePort, startServerProcess } from '../test/support/server-process.js';

const PAGE_SIZE = 4096;
const RSS_TOLERANCE = 0.1;
/** How long the server gets to exit after SIGTERM before it is killed (it promises 8 s). */
const EXIT_GRACE_MS = 10_000;

interface SoakConfig {
  requests: number;
  terms: number;
  capacity: number;
  connections: number;
  batchShare: number;
  deleteShare: number;
  batchSize: number;
  sampleMs: number;
  timeoutSeconds: number;
}

function readConfig(env: NodeJS.ProcessEnv): SoakConfig {
  const integer = (name: string, fallback: number, min: number, max: number) => {
    const text = env[name] ?? String(fallback);
    const value = /^[0-9]+$/.test(text) ? Number(text) : Number.NaN;
    if (!(value >= min && value <= max))
      throw new Error(`${name}=${text}: expected an integer ${min}–${max}`);
    return value;
  };
  const share = (name: string, fallback: number) => {
    const text = env[name] ?? String(fallback);
    const value = /^(0|1|0?\.[0-9]+)$/.test(text) ? Number(text) : Number.NaN;
    if (!(value >= 0 && value <= 1)) throw new Error(`${name}=${text}: expected a fraction from 0 to 1`);
    return value;
  };
  const config = {
    requests: integer('SOAK_REQUESTS', 1_000_000, 1, 100_000_000),
    terms: integer('SOAK_TERMS', 100_000, 1, 2 ** 32),
    capacity: integer('SOAK_CAPACITY', 4096, 1, 1_048_576),
    connections: integer('SOAK_CONNECTIONS', 50, 1, 1000),
    batchShare: share('SOAK_BATCH_SHARE', 0.02),
    deleteShare: share('SOAK_DELETE_SHARE', 0.05),
    batchSize: integer('SOAK_BATCH_SIZE', 300, 1, 10_000),
    sampleMs: integer('SOAK_SAMPLE_MS', 100, 10, 60_000),
    timeoutSeconds: integer('SOAK_TIMEOUT_SECONDS', 900, 1, 86_400),
  };
  if (config.batchShare + config.deleteShare > 1) throw new Error('SOAK_BATCH_SHARE + SOAK_DELETE_SHARE > 1');
  return config;
}

/** Term number `index`: an odd multiplier is a bijection on 32 bits, so the terms are distinct and spread
 * over the whole int32 range, negative ones and wrap-around included. */
function termAt(index: number): number {
  return Math.imul(index, 0x9e3779b1);
}

/** Values for batch `i`: the int32 extremes, where sums wrap, then scrambled ones. */
function batchValues(i: number, size: number): number[] {
  const fixed = [INT32_MAX, INT32_MIN, -1, 0];
  return Array.from({ length: size }, (_, k) => fixed[k] ?? scramble(Math.imul(i, size) + k, 4) | 0);
}

/**
 * Request `i` of a phase: its kind drawn from the shares, its term from `termIndex`. A DELETE targets the
 * term of the request sent half a connection count earlier, most likely in flight on another connection.
 */
function planner(config: SoakConfig, termIndex: (i: number) => number): (i: number) => CheckedRequest {
  const deleteLag = Math.max(1, Math.floor(config.connections / 2));
  return (i) => {
    const roll = (scramble(i, 2) % 1_000_000) / 1_000_000;
    if (roll < config.deleteShare) return deleteRequest(termAt(termIndex(i - deleteLag)));
    const term = termAt(termIndex(i));
    if (roll < config.deleteShare + config.batchShare)
      return batchRequest(term, batchValues(i, config.batchSize));
    return applyRequest(term, scramble(i, 3) | 0);
  };
}

interface Outcome {
  config: SoakConfig;
  warmup: LoadTally;
  run: LoadTally;
  rss: { start: number; warm: number; end: number; peak: number };
  sampler: ReturnType<ProcessSampler['stop']>;
  registry: { compiles: number; evictions: number; releases: number; live: number } | undefined;
  serverAliveAtEnd: boolean;
  exit: { code: number | null; signal: NodeJS.Signals | null; killed: boolean };
  timedOut: boolean;
  /** An error that stopped the soak early, if one did. */
  failure: string | undefined;
  seconds: number;
}

const emptyTally = (): LoadTally => ({
  sent: 0,
  responses: 0,
  byKind: {},
  wrong: 0,
  unexpected: 0,
  serverErrors: 0,
  errors: 0,
  timeouts: 0,
  non2xx: 0,
  seconds: 0,
  requestsPerSecond: 0,
  problems: [],
});

async function soak(config: SoakConfig): Promise<Outcome> {
  const started = performance.now();
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), config.timeoutSeconds * 1000);
  const server = startServerProcess({
    env: { LOG_LEVEL: 'info', METRICS: 'on', JIT_MAX_ADDERS: String(config.capacity) },
    keepOutput: false,
    port: await freePort(),
  });
  let exitedYet = false;
  void server.exited.then(() => {
    exitedYet = true;
  });
  let warmup = emptyTally();
  let run = emptyTally();
  let registry: Outcome['registry'];
  let serverAliveAtEnd = false;
  let sampler: ProcessSampler | undefined;
  const rss = { start: 0, warm: 0, end: 0, peak: 0 };
  let failure: unknown;
  try {
    const url = await Promise.race([
      server.listening,
      new Promise<never>((_, reject) =>
        deadline.signal.addEventListener('abort', () =>
          reject(new Error('timed out before the server listened')),
        ),
      ),
    ]);
    const pid = server.child.pid as number;
    sampler = new ProcessSampler(pid, { pageSize: PAGE_SIZE, intervalMs: config.sampleMs });
    rss.start = residentBytes(pid);

    // Warm-up: the terms once each, in order, with the run's mix of kinds, so that every route and the
    // JIT's recycling are warm before resident memory is taken as the baseline.
    const inOrder = (i: number) => ((i % config.terms) + config.terms) % config.terms;
    warmup = await driveChecked(url, {
      amount: config.terms,
      connections: config.connections,
      plan: planner(config, inOrder),
      signal: deadline.signal,
    });
    rss.warm = residentBytes(pid);
    process.stderr.write(`soak: warm-up done in ${warmup.seconds.toFixed(1)} s\n`);

    if (!deadline.signal.aborted) {
      run = await driveChecked(url, {
        amount: config.requests,
        connections: config.connections,
        plan: planner(config, (i) => scramble(i, 1) % config.terms),
        signal: deadline.signal,
      });
    }
    rss.end = residentBytes(pid);
    serverAliveAtEnd = !exitedYet;
    const stats = (await (await fetch(`${url}/adders`, { signal: AbortSignal.timeout(10_000) })).json()) as {
      stats: { compiles: number; evictions: number; releases: number; live: number };
    };
    registry = stats.stats;
  } catch (error) {
    failure = error;
  }
  const sampled = sampler?.stop();
  rss.peak = sampled?.peakRssBytes ?? 0;
  clearTimeout(timer);
  server.child.kill('SIGTERM');
  let killed = false;
  const grace = setTimeout(() => {
    killed = true;
    server.child.kill('SIGKILL');
  }, EXIT_GRACE_MS);
  const exit = await server.exited;
  clearTimeout(grace);
  if (sampled === undefined) throw failure ?? new Error('the soak ended before its first sample');
  return {
    config,
    warmup,
    run,
    rss,
    sampler: sampled,
    registry,
    serverAliveAtEnd,
    exit: { ...exit, killed },
    timedOut: deadline.signal.aborted,
    failure: failure === undefined ? undefined : String(failure instanceof Error ? failure.stack : failure),
    seconds: (performance.now() - started) / 1000,
  };
}

const count = (value: number) => value.toLocaleString('en');
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

function describeKinds(tally: LoadTally, batchSize: number): string {
  if (tally.sent === 0) return 'not run';
  return Object.entries(tally.byKind)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([kind, { sent, statuses }]) => {
      const answered = Object.entries(statuses)
        .map(([status, times]) => `${status}×${count(times)}`)
        .join(' ');
      const extra = kind === 'batch' ? ` of ${batchSize} values` : '';
      return `${kind}${extra} ${count(sent)} (${answered || 'no answer'})`;
    })
    .join(', ');
}

/** The goals, each with whether it was met. */
function goals(outcome: Outcome): [string, boolean][] {
  const { config, warmup, run, sampler, rss } = outcome;
  const both = (pick: (tally: LoadTally) => number) => pick(warmup) + pick(run);
  const growth = rss.end / rss.warm - 1;
  return [
    ['every answer right', both((t) => t.wrong) === 0],
    ['no 5xx and no other unexpected status', both((t) => t.unexpected) === 0],
    ['no connection error or timeout', both((t) => t.errors + t.timeouts) === 0],
    [
      'every request sent and answered',
      warmup.responses === config.terms &&
        run.responses === config.requests &&
        both((t) => t.sent - t.responses) === 0,
    ],
    [`at most ${count(config.capacity)} JIT pages`, sampler.peakJitPages <= config.capacity],
    ['no JIT page writable and executable', sampler.samplesWithViolations === 0],
    ['sampled throughout', sampler.samples >= 2 && sampler.failedReadings === 0],
    [`resident memory within ±${RSS_TOLERANCE * 100}% of after warm-up`, Math.abs(growth) <= RSS_TOLERANCE],
    [`done within ${config.timeoutSeconds} s`, !outcome.timedOut],
    ['server up to the end, exit 0 on SIGTERM', outcome.serverAliveAtEnd && outcome.exit.code === 0],
    ['the soak ran to its end', outcome.failure === undefined],
  ];
}

function summarise(outcome: Outcome): { lines: string[]; passed: boolean } {
  const { config, warmup, run, sampler, rss, registry } = outcome;
  const both = (pick: (tally: LoadTally) => number) => pick(warmup) + pick(run);
  const growth = rss.end / rss.warm - 1;
  const results = goals(outcome);
  const missed = results.filter(([, met]) => !met).map(([goal]) => goal);
  const lines = [
    `soak: ${count(config.requests)} requests over ${count(config.terms)} terms, capacity ${count(config.capacity)}, ` +
      `${config.connections} connections, Node.js ${process.version}`,
    `  warm-up          ${count(warmup.responses)} answered in ${warmup.seconds.toFixed(1)} s: ${describeKinds(warmup, config.batchSize)}`,
    `  run              ${count(run.responses)} answered in ${run.seconds.toFixed(1)} s, ${count(Math.round(run.requestsPerSecond))} req/s: ${describeKinds(run, config.batchSize)}`,
    `  wrong answers    ${both((t) => t.wrong)}`,
    `  errors           5xx ${both((t) => t.serverErrors)}, other unexpected statuses ${both((t) => t.unexpected - t.serverErrors)}, ` +
      `connection errors ${both((t) => t.errors - t.timeouts)}, timeouts ${both((t) => t.timeouts)}, ` +
      `unanswered ${both((t) => t.sent - t.responses)}; autocannon's non-2xx ${both((t) => t.non2xx)}, ` +
      `of which DELETE 404s ${both((t) => t.byKind.delete?.statuses[404] ?? 0)}`,
    registry
      ? `  registry         ${count(registry.compiles)} compiles, ${count(registry.evictions)} evictions, ${count(registry.releases)} released by DELETE, ${count(registry.live)} live at the end`
      : '  registry         not read',
    `  JIT pages        ${sampler.jitPagesAtStart} before the first request (the call gates' page); at most ${count(sampler.peakJitPages)} adder pages (capacity ${count(config.capacity)})`,
    `  W^X              ${sampler.samplesWithViolations} samples with a writable+executable JIT page, of ${count(sampler.samples)} taken every ${config.sampleMs} ms ` +
      `(${sampler.failedReadings} failed readings); V8's writable+executable mappings, not ours: up to ${sampler.foreignWritableExecutable.mappings} (${mib(sampler.foreignWritableExecutable.bytes)})`,
    `  resident memory  start ${mib(rss.start)}, after warm-up ${mib(rss.warm)}, end ${mib(rss.end)} ` +
      `(${growth >= 0 ? '+' : ''}${(growth * 100).toFixed(1)}%, goal within ±${RSS_TOLERANCE * 100}%), peak ${mib(rss.peak)}`,
    `  server           ${outcome.serverAliveAtEnd ? 'up to the end' : 'GONE before the end'}; on SIGTERM exited ` +
      `${outcome.exit.code ?? outcome.exit.signal}${outcome.exit.killed ? ' (killed after the grace period)' : ''}`,
    `  duration         ${outcome.seconds.toFixed(1)} s in all (timeout ${config.timeoutSeconds} s${outcome.timedOut ? ': TIMED OUT' : ''})`,
  ];
  for (const violation of sampler.violations) {
    lines.push(
      `  violation        sample ${violation.sample}: JIT page at 0x${violation.address} ${violation.perms}`,
    );
  }
  for (const problem of [...warmup.problems, ...run.problems]) lines.push(`  problem          ${problem}`);
  if (outcome.failure) lines.push(`  stopped by       ${outcome.failure}`);
  lines.push(
    missed.length === 0
      ? '  result           PASS: every goal met'
      : `  result           FAIL: ${missed.join('; ')}`,
  );
  return { lines, passed: missed.length === 0 };
}

const outcome = await soak(readConfig(process.env));
const { lines, passed } = summarise(outcome);
console.log(lines.join('\n'));
if (!passed) process.exitCode = 1;
