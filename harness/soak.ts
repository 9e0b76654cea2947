/**
 * `npm run soak`: the production server (dist/src/server.js, LOG_LEVEL=info, metrics on, capacity 4096)
 * under a long mixed load on loopback, watched from outside. A warm-up pass visits the terms in order,
 * then the run sends 1,000,000 requests with terms drawn from 100,000: mostly single applies
 * (GET /adders/:n/apply), batch applies of 300 values (POST /adders/:n/apply) and DELETE /adders/:n of
 * the term a request sent a moment before used, so deletes race applies of the same term on other
 * connections. Every answer is checked against `(n + x) | 0`; a DELETE may get 204 or, for a term that is
 * not compiled (evicted, or deleted already), 404, and nothing else.
 *
 * Every 100 ms the sampler (harness/process-sampler.ts) reads /proc/<pid>/maps and /proc/<pid>/status:
 * JIT pages, told apart from V8's writable+executable code by harness/jit-pages.ts, and resident
 * memory.
 *
 * Goals: every answer right; no 5xx or other unexpected status, no connection error, no timeout, every
 * request answered; never more JIT pages than the capacity; no JIT page ever writable and executable;
 * resident memory at the end within 10% of where it was after warm-up; done before the timeout; the
 * server still up at the end and exiting 0 on SIGTERM. Prints a summary and exits 1 if any goal is missed.
 *
 * Resident memory is compared at the floors of its sawtooth, not at two instants. Under this load it rises
 * and falls with V8's heap over cycles of several seconds (15–20 s at full size): with --trace-gc over
 * 3,000,000 requests the live heap after every major collection stayed at 19–20 MB from start to end, while
 * resident memory moved between about 130 and 190 MiB. A reading right after warm-up against one at the
 * end then says more about where each fell in a cycle than about growth (one full run read +15%). The
 * floor, resident memory just after a collection, is what a leak would raise. So "after warm-up" is the
 * lowest sample in the run's first third and "at the end" the lowest in its last third; the single
 * readings are printed too. A steady leak shows between the two windows, two thirds of the run apart. Each
 * window needs a collection in it, so the run must last several cycles: the CI-size test sends 150,000
 * requests, where trials with 50,000 (about 3 s) read anywhere from −26% to +8%. And the warm-up repeats
 * its pass over the terms up to at least 100,000 requests: with few terms one pass ends before V8 has
 * grown its heap to its working size.
 *
 * Environment (defaults in brackets): SOAK_REQUESTS (1000000), SOAK_TERMS (100000), SOAK_CAPACITY (4096),
 * SOAK_WARMUP_MIN (100000) requests of warm-up at least, SOAK_CONNECTIONS (50), SOAK_BATCH_SHARE (0.02)
 * and SOAK_DELETE_SHARE (0.05) of the requests, SOAK_BATCH_SIZE (300) values per batch, SOAK_SAMPLE_MS
 * (100), SOAK_TIMEOUT_SECONDS (900).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  applyRequest,
  batchRequest,
  batchValues,
  deleteRequest,
  scramble,
  termAt,
} from './adder-requests.js';
import { type CheckedRequest, driveChecked, emptyTally, type LoadTally } from './checked-load.js';
import type { LedgerReport } from './memory-ledger.js';
import { ProcessSampler, residentBytes, residentFloors, type SamplerReport } from './process-sampler.js';
import { freePort, startServerProcess } from './server-process.js';

const PAGE_SIZE = 4096;
const RSS_TOLERANCE = 0.1;
/** How long the server gets to exit after SIGTERM before it is killed (it promises 8 s). */
const EXIT_GRACE_MS = 10_000;

interface SoakConfig {
  requests: number;
  terms: number;
  capacity: number;
  warmupMin: number;
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
    warmupMin: integer('SOAK_WARMUP_MIN', 100_000, 0, 100_000_000),
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

/** Whole passes over the terms, at least `warmupMin` requests. */
function warmupRequests(config: SoakConfig): number {
  return config.terms * Math.max(1, Math.ceil(config.warmupMin / config.terms));
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

interface HeapFigures {
  used: number;
  total: number;
  external: number;
}

/** The server's V8 heap and external memory, from its own /metrics: where resident memory went. */
async function heapFigures(url: string): Promise<HeapFigures> {
  const text = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
  const gauge = (name: string) =>
    Number(new RegExp(`^${name} ([0-9.e+]+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  return {
    used: gauge('nodejs_heap_size_used_bytes'),
    total: gauge('nodejs_heap_size_total_bytes'),
    external: gauge('nodejs_external_memory_bytes'),
  };
}

interface Outcome {
  config: SoakConfig;
  warmup: LoadTally;
  run: LoadTally;
  /** Single readings: at start, right after warm-up, at the end; and the highest sample. */
  rss: { start: number; warm: number; end: number; peak: number };
  heap: { warm: HeapFigures | undefined; end: HeapFigures | undefined };
  sampler: SamplerReport;
  registry: { compiles: number; evictions: number; releases: number; live: number } | undefined;
  serverAliveAtEnd: boolean;
  exit: { code: number | null; signal: NodeJS.Signals | null; killed: boolean };
  timedOut: boolean;
  /** An error that stopped the soak early, if one did. */
  failure: string | undefined;
  seconds: number;
  /** Every memory call the JIT made, checked call by call (harness/memory-ledger.ts); undefined if unread. */
  ledger: LedgerReport | undefined;
}

const ledgerPreload = fileURLToPath(new URL('./memory-ledger-preload.js', import.meta.url));

function readLedger(file: string): LedgerReport | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LedgerReport;
  } catch {
    return undefined;
  }
}

async function soak(config: SoakConfig): Promise<Outcome> {
  const started = performance.now();
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), config.timeoutSeconds * 1000);
  const ledgerDirectory = mkdtempSync(path.join(tmpdir(), 'babyjit-soak-'));
  const ledgerFile = path.join(ledgerDirectory, 'memory-ledger.json');
  const server = startServerProcess({
    env: {
      LOG_LEVEL: 'info',
      METRICS: 'on',
      JIT_MAX_ADDERS: String(config.capacity),
      BABYJIT_MEMORY_LEDGER: ledgerFile,
    },
    nodeOptions: ['--import', ledgerPreload],
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
  const heap: Outcome['heap'] = { warm: undefined, end: undefined };
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

    // Warm-up: passes over the terms in order, with the run's mix of kinds, so that every route and the
    // JIT's recycling are warm, and V8's heap has grown to its working size, before the run.
    const inOrder = (i: number) => ((i % config.terms) + config.terms) % config.terms;
    warmup = await driveChecked(url, {
      amount: warmupRequests(config),
      connections: config.connections,
      plan: planner(config, inOrder),
      signal: deadline.signal,
    });
    rss.warm = residentBytes(pid);
    heap.warm = await heapFigures(url);
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
    heap.end = await heapFigures(url);
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
  const ledger = readLedger(ledgerFile);
  rmSync(ledgerDirectory, { recursive: true, force: true });
  if (sampled === undefined) throw failure ?? new Error('the soak ended before its first sample');
  return {
    config,
    warmup,
    run,
    rss,
    heap,
    sampler: sampled,
    registry,
    serverAliveAtEnd,
    exit: { ...exit, killed },
    timedOut: deadline.signal.aborted,
    failure: failure === undefined ? undefined : String(failure instanceof Error ? failure.stack : failure),
    seconds: (performance.now() - started) / 1000,
    ledger,
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

function rssWindows(outcome: Outcome): ReturnType<typeof residentFloors> {
  return residentFloors(outcome.sampler.rss, outcome.run);
}

/** The goals, each with whether it was met. */
function goals(outcome: Outcome): [string, boolean][] {
  const { config, warmup, run, sampler } = outcome;
  const both = (pick: (tally: LoadTally) => number) => pick(warmup) + pick(run);
  const { growth } = rssWindows(outcome);
  return [
    ['every answer right', both((t) => t.wrong) === 0],
    ['no 5xx and no other unexpected status', both((t) => t.unexpected) === 0],
    ['no connection error or timeout', both((t) => t.errors + t.timeouts) === 0],
    [
      'every request sent and answered',
      warmup.responses === warmupRequests(config) &&
        run.responses === config.requests &&
        both((t) => t.sent - t.responses) === 0,
    ],
    [`at most ${count(config.capacity)} JIT pages`, sampler.peakJitPages <= config.capacity],
    ['no JIT page writable and executable', sampler.samplesWithViolations === 0],
    [
      'no memory call asking for write and execute, every write into a read+write page',
      outcome.ledger !== undefined && outcome.ledger.violationCount === 0,
    ],
    ['sampled throughout', sampler.samples >= 2 && sampler.failedReadings === 0],
    [
      `resident memory at the end within ±${RSS_TOLERANCE * 100}% of after warm-up`,
      Math.abs(growth) <= RSS_TOLERANCE,
    ],
    [`done within ${config.timeoutSeconds} s`, !outcome.timedOut],
    ['server up to the end, exit 0 on SIGTERM', outcome.serverAliveAtEnd && outcome.exit.code === 0],
    ['the soak ran to its end', outcome.failure === undefined],
  ];
}

function describeLedger(ledger: LedgerReport): string {
  const { calls, protections } = ledger;
  const asked = Object.entries(protections)
    .map(([prot, times]) => `${prot} ${count(times)}`)
    .join(', ');
  return (
    `${count(calls.mmap)} mmap, ${count(calls.mprotect)} mprotect, ${count(calls.munmap)} munmap, ` +
    `${count(calls.write)} writes of JIT pages (protections asked: ${asked}); ` +
    `${count(ledger.violationCount)} asking for write and execute or writing outside a read+write page`
  );
}

function summarise(outcome: Outcome): { lines: string[]; passed: boolean } {
  const { config, warmup, run, sampler, rss, heap, registry } = outcome;
  const both = (pick: (tally: LoadTally) => number) => pick(warmup) + pick(run);
  const windows = rssWindows(outcome);
  const percent = (fraction: number) => `${fraction >= 0 ? '+' : ''}${(fraction * 100).toFixed(1)}%`;
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
    outcome.ledger
      ? `  memory calls     ${describeLedger(outcome.ledger)}`
      : '  memory calls     not recorded (the server wrote no ledger)',
    `  resident memory  after warm-up ${mib(windows.first)}, at the end ${mib(windows.last)}: ${percent(windows.growth)} ` +
      `(goal within ±${RSS_TOLERANCE * 100}%; the lowest samples in the run's first and last ${(windows.windowMs / 1000).toFixed(1)} s)`,
    `                   single readings: at start ${mib(rss.start)}, right after warm-up ${mib(rss.warm)}, ` +
      `at the end ${mib(rss.end)} (${percent(rss.end / rss.warm - 1)}); highest sample ${mib(rss.peak)}`,
    heap.warm && heap.end
      ? `  V8 heap          used ${mib(heap.warm.used)} → ${mib(heap.end.used)}, total ${mib(heap.warm.total)} → ${mib(heap.end.total)}, ` +
        `external ${mib(heap.warm.external)} → ${mib(heap.end.external)} (after warm-up → end, from /metrics)`
      : '  V8 heap          not read',
    `  server           ${outcome.serverAliveAtEnd ? 'up to the end' : 'GONE before the end'}; on SIGTERM exited ` +
      `${outcome.exit.code ?? outcome.exit.signal}${outcome.exit.killed ? ' (killed after the grace period)' : ''}`,
    `  duration         ${outcome.seconds.toFixed(1)} s in all (timeout ${config.timeoutSeconds} s${outcome.timedOut ? ': TIMED OUT' : ''})`,
  ];
  for (const violation of outcome.ledger?.violations ?? []) lines.push(`  memory call      ${violation}`);
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
