/**
 * `npm run bench:scale`: does sharding by term on HAProxy add what replicas are for, cached adders? Real
 * processes on this machine: 1, 2 and 3 replicas of the server (dist/src/server.js) at JIT_MAX_ADDERS=1000
 * behind HAProxy 2.6 with the shipped configuration (harness/haproxy-process.ts), fresh for every run, and
 * autocannon in this process sending GET /adders/:n/apply over 16 connections, every answer checked
 * against (n + x) | 0. The terms follow Zipf(1.0) over 100,000 terms, the same seeded sequence every run.
 *
 * For each setup: the hit rate from x-jit-cache beside the same requests simulated (harness/cache-
 * simulation.ts) for one LRU of N × 1000 (the ideal) and for each replica an LRU fed what the run routed to
 * it; the adders each replica holds and the terms held by more than one; requests per second and p99.
 * Round-robin on the same requests for comparison. Then:
 * - the proxy's cost: paired rounds on the warm replicas, through HAProxy and straight to the replica
 *   HAProxy chose for each term (learned from x-jit-replica in the run before);
 * - one replica killed (SIGKILL) a third of the way into a run: the terms that moved, whether any moved
 *   between survivors, failed requests before and after HAProxy marked it down, HAProxy's retries;
 * - a rolling restart of every replica (SIGTERM, drain, exit, start, up again) under load: failed requests;
 * - hash-balance-factor off and at several values: the busiest replica's share of requests over the mean
 *   with one term at 30 % of the requests, and the terms served by more than one replica without it;
 * - simulated only, for the capacity model in docs/scaling.md: the hit rate at the shipped capacity (4,096
 *   a replica) over a million terms, from 1 to 10 replicas, round-robin against the ideal.
 *
 * Writes its section of docs/benchmarks.md (per Node.js major). Exits 1 on a wrong answer or a failed
 * request where none may fail (outside the kill's window, or in the rolling restart).
 *
 * Environment: BENCH_REQUESTS per run (300,000), BENCH_PAIR_REQUESTS per paired measurement (40,000),
 * BENCH_ROUNDS of pairs (5), BENCH_SWEEP_REQUESTS per bounded-loads run (100,000), BENCH_WRITE=0 to leave
 * docs alone, BENCH_ONLY=hit|cost|kill|rolling|factor|simulate (separated by commas) to run some parts,
 * which then writes nothing.
 */
import { execFileSync } from 'node:child_process';
import { applyRequest, termAt } from '../harness/adder-requests.js';
import { lruHitRate, routedHitRate, seededRandom, zipfSampler } from '../harness/cache-simulation.js';
import { type CheckedRequest, driveChecked, emptyTally, type LoadTally } from '../harness/checked-load.js';
import { askStatsSocket, haproxyBinary, REPLICA_HEADER } from '../harness/haproxy-process.js';
import { type ShardedService, startShardedService } from '../harness/sharded-service.js';
import { describeMachine } from './machine.js';
import { writeReportSection } from './report.js';
import { median, percentile } from './stats.js';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 300_000);
const PAIR_REQUESTS = Number(process.env.BENCH_PAIR_REQUESTS ?? 40_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SWEEP_REQUESTS = Number(process.env.BENCH_SWEEP_REQUESTS ?? 100_000);
const PARTS = ['hit', 'cost', 'kill', 'rolling', 'factor', 'simulate'] as const;
const ONLY = process.env.BENCH_ONLY?.split(',').map((part) => part.trim());
const runs = (part: (typeof PARTS)[number]) => ONLY === undefined || ONLY.includes(part);

const TERMS = 100_000;
const ZIPF_S = 1.0;
const CAPACITY = 1000;
const CONNECTIONS = 16;
const HOT_SHARE = 0.3;
const FACTORS = [0, 125, 150, 200, 250, 300];
/** What every replica runs with, beyond the harness's own (TRUSTED_PROXIES, LOG_LEVEL). */
const REPLICA_ENV = { JIT_MAX_ADDERS: String(CAPACITY), SHUTDOWN_DRAIN_MS: '3000' };

/** The terms of `count` requests: Zipf ranks from a seeded generator, each rank one term (termAt). */
function zipfTerms(count: number, seed: number, hot?: { term: number; share: number }): Int32Array {
  const random = seededRandom(seed);
  const rank = zipfSampler(TERMS, ZIPF_S, random);
  const terms = new Int32Array(count);
  for (let i = 0; i < count; i += 1) {
    terms[i] = hot !== undefined && random() < hot.share ? hot.term : termAt(rank());
  }
  return terms;
}

/**
 * A term outside the Zipf terms whose replica is `name`: asked of the proxy, from INT32_MAX down. Where
 * the hot term lands matters: on the replica that already has the largest share it is at its worst.
 */
async function termOn(service: ShardedService, name: string): Promise<number> {
  for (let term = 2_147_483_647; term > 2_147_483_547; term -= 1) {
    const response = await fetch(`${service.url}/adders/${term}/apply?x=0`);
    await response.arrayBuffer();
    if (response.headers.get(REPLICA_HEADER) === name) return term;
  }
  throw new Error(`no term found on ${name}`);
}

interface Observed {
  tally: LoadTally;
  /** Per request index: the replica that answered (x-jit-replica). */
  replicaOf: string[];
  /** Answers marked x-jit-cache: hit. */
  hits: number;
  /** Sorted latencies, ms. */
  latencies: Float64Array;
  /** Per request index: when its answer arrived (performance.now()), and its status. */
  answeredAt: Float64Array;
  status: Uint16Array;
  /** Times HAProxy marked a replica down while the requests ran (its "is DOWN" lines). */
  markedDown: number;
}

interface IndexedRequest extends CheckedRequest {
  index: number;
}

function newObserved(count: number): Observed {
  return {
    tally: emptyTally(),
    replicaOf: new Array<string>(count).fill(''),
    hits: 0,
    latencies: new Float64Array(0),
    answeredAt: new Float64Array(count),
    status: new Uint16Array(count),
    markedDown: 0,
  };
}

/**
 * Sends request i for terms[i] (from `indices`, all of them by default) to `url`, every answer checked;
 * what each got is written into `observed` at its index.
 */
async function drive(
  url: string,
  terms: Int32Array,
  observed: Observed,
  options: {
    indices?: Int32Array;
    connections?: number;
    signal?: AbortSignal;
    onAnswer?: (done: number) => void;
  },
): Promise<{ tally: LoadTally; latencies: number[] }> {
  const indices = options.indices;
  const amount = indices?.length ?? terms.length;
  const latencies: number[] = [];
  let done = 0;
  const tally = await driveChecked(url, {
    amount,
    connections: options.connections ?? CONNECTIONS,
    signal: options.signal,
    plan: (k) => {
      const index = indices === undefined ? k : (indices[k] as number);
      const term = terms[index] as number;
      return Object.assign(applyRequest(term, (index * 2_654_435_761) | 0), { index });
    },
    observe: (planned, status, headers, latencyMs) => {
      const { index } = planned as IndexedRequest;
      observed.replicaOf[index] = headers[REPLICA_HEADER] ?? '';
      observed.answeredAt[index] = performance.now();
      observed.status[index] = status;
      if (headers['x-jit-cache'] === 'hit') observed.hits += 1;
      latencies.push(latencyMs);
      done += 1;
      options.onAnswer?.(done);
    },
  });
  return { tally, latencies };
}

function sortedLatencies(latencies: number[]): Float64Array {
  return Float64Array.from(latencies).sort();
}

/** Sends every request of `terms` through the proxy. */
async function driveThroughProxy(
  service: ShardedService,
  terms: Int32Array,
  onAnswer?: (done: number) => void,
) {
  const observed = newObserved(terms.length);
  const linesBefore = service.proxy.lines.length;
  const { tally, latencies } = await drive(service.url, terms, observed, { onAnswer });
  observed.tally = tally;
  observed.latencies = sortedLatencies(latencies);
  observed.markedDown = service.proxy.lines
    .slice(linesBefore)
    .filter(({ text }) => / is DOWN\b/.test(text) && !text.startsWith('[')).length;
  return observed;
}

/**
 * Sends every request of `terms` straight to the replica `route` names for its index, one autocannon per
 * replica, connections shared in proportion to their requests: the same work as through the proxy, without it.
 */
async function driveDirect(service: ShardedService, terms: Int32Array, route: readonly string[]) {
  const observed = newObserved(terms.length);
  const started = performance.now();
  const parts = await Promise.all(
    service.replicas.map(async (replica) => {
      const indices = Int32Array.from(
        route.flatMap((name, index) => (name === replica.name && index < terms.length ? [index] : [])),
      );
      if (indices.length === 0) return undefined;
      const connections = Math.max(1, Math.round((CONNECTIONS * indices.length) / terms.length));
      return drive(replica.url, terms, observed, { indices, connections });
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const done = parts.filter((part) => part !== undefined);
  const latencies = done.flatMap((part) => part.latencies);
  observed.latencies = sortedLatencies(latencies);
  observed.tally = {
    ...(done[0]?.tally as LoadTally),
    responses: latencies.length,
    seconds,
    requestsPerSecond: latencies.length / seconds,
    wrong: done.reduce((sum, part) => sum + part.tally.wrong, 0),
    unexpected: done.reduce((sum, part) => sum + part.tally.unexpected, 0),
    errors: done.reduce((sum, part) => sum + part.tally.errors, 0),
    problems: done.flatMap((part) => part.tally.problems),
  };
  return observed;
}

interface ReplicaHoldings {
  live: number[];
  /** Distinct terms held by any replica, and held by more than one. */
  distinct: number;
  heldTwice: number;
}

/** What each replica holds now, asked directly: its count, and the terms that more than one hold. */
async function holdings(service: ShardedService): Promise<ReplicaHoldings> {
  const holders = new Map<number, number>();
  const live: number[] = [];
  for (const replica of service.replicas) {
    const list = (await (await fetch(`${replica.url}/adders?limit=${CAPACITY}`)).json()) as {
      stats: { live: number };
      adders: Array<{ term: number }>;
    };
    live.push(list.stats.live);
    for (const { term } of list.adders) holders.set(term, (holders.get(term) ?? 0) + 1);
  }
  const heldTwice = [...holders.values()].filter((count) => count > 1).length;
  return { live, distinct: holders.size, heldTwice };
}

/** Of the terms requested more than once, the share answered by more than one replica. */
function servedByMoreThanOne(terms: Int32Array, replicaOf: readonly string[]): number {
  const first = new Map<number, string>();
  const repeated = new Set<number>();
  const split = new Set<number>();
  for (let i = 0; i < terms.length; i += 1) {
    const term = terms[i] as number;
    const replica = replicaOf[i] as string;
    const seen = first.get(term);
    if (seen === undefined) first.set(term, replica);
    else {
      repeated.add(term);
      if (seen !== replica) split.add(term);
    }
  }
  return repeated.size === 0 ? 0 : split.size / repeated.size;
}

function requestsPerReplica(replicaOf: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const name of replicaOf) counts.set(name, (counts.get(name) ?? 0) + 1);
  return counts;
}

/** The busiest replica's share of the requests over the mean share. */
function busiestOverMean(replicaOf: readonly string[], replicas: number): number {
  return Math.max(...requestsPerReplica(replicaOf).values()) / (replicaOf.length / replicas);
}

/** The replica that answered the most requests. */
function busiestReplica(replicaOf: readonly string[]): string {
  const counts = [...requestsPerReplica(replicaOf)].sort((a, b) => b[1] - a[1]);
  return counts[0]?.[0] ?? '';
}

/** HAProxy's retry and redispatch counters for the backend (`show stat`'s wretr and wredis). */
async function retries(statsSocket: string): Promise<{ retries: number; redispatches: number }> {
  const csv = await askStatsSocket(statsSocket, 'show stat');
  const [header = '', ...rows] = csv.trim().split('\n');
  const columns = header.replace(/^# /, '').split(',');
  const row = rows
    .map((line) => line.split(','))
    .find((cells) => cells[0] === 'replicas' && cells[1] === 'BACKEND');
  const at = (name: string) => Number(row?.[columns.indexOf(name)]);
  return { retries: at('wretr'), redispatches: at('wredis') };
}

function statsSocketOf(service: ShardedService): string {
  const match = /stats socket (\S+)/.exec(service.proxy.config);
  if (match?.[1] === undefined) throw new Error('the proxy has no stats socket');
  return match[1];
}

const pct = (share: number, digits = 1) => `${(share * 100).toFixed(digits)} %`;
const int = (value: number) => Math.round(value).toLocaleString('en');
const ms = (value: number) => `${value.toFixed(1)} ms`;

/** Problems with answers: wrong bodies and unexpected statuses, and the first few described. */
function answerProblems(tally: LoadTally): string[] {
  return tally.wrong + tally.unexpected + tally.errors === 0
    ? []
    : [
        `${tally.wrong} wrong, ${tally.unexpected} unexpected, ${tally.errors} connection errors: ${tally.problems.slice(0, 3).join('; ')}`,
      ];
}

async function main(): Promise<void> {
  const lines: string[] = [];
  const say = (line = '') => {
    console.log(line);
    lines.push(line);
  };
  const failures: string[] = [];
  const goals: string[] = [];
  const goal = (met: boolean, text: string) => goals.push(`- ${met ? 'Met' : '**Missed**'}: ${text}`);
  const haproxyVersion = execFileSync(haproxyBinary(), ['-v'], { encoding: 'utf8' }).split('\n')[0] ?? '';
  const workload = zipfTerms(REQUESTS, 1);
  const started = performance.now();

  say('## Scaling out behind HAProxy (`npm run bench:scale`)');
  say();
  say(`Machine: ${describeMachine()}; ${haproxyVersion.replace(/ - https.*$/, '')}.`);
  say(
    'Every process shares the 2 cores: the replicas, HAProxy and the load generator (autocannon, in the ' +
      'benchmark’s own process), so requests per second are the machine’s, not a replica’s, and fall as ' +
      'processes are added. ' +
      `Workload: GET /adders/:n/apply with n drawn from Zipf(${ZIPF_S.toFixed(1)}) over ` +
      `${int(TERMS)} terms (seeded: the same requests every run), ${CONNECTIONS} connections, every ` +
      `answer checked; each replica at JIT_MAX_ADDERS=${CAPACITY}, started fresh for every run; HAProxy ` +
      'with deploy/haproxy/haproxy.cfg, servers on loopback.',
  );

  if (runs('hit') || runs('cost')) {
    say();
    say(`### Hit rate against replicas (${int(REQUESTS)} requests a run)`);
    say();
    say(
      '| replicas | routing | hit rate | ÷ ideal | ideal: one LRU of N × 1,000 (simulated) | this run’s routing, simulated | adders held per replica | terms held by more than one | repeated terms served by more than one | busiest replica ÷ mean | req/s | p99 | replicas marked down |',
    );
    say('| ---: | --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const replicas of [1, 2, 3]) {
      const ideal = lruHitRate(workload, replicas * CAPACITY);
      for (const balance of replicas === 1 ? (['hash'] as const) : (['hash', 'roundrobin'] as const)) {
        const service = await startShardedService({ replicas, env: REPLICA_ENV, balance });
        try {
          const run = await driveThroughProxy(service, workload);
          failures.push(...answerProblems(run.tally));
          const held = await holdings(service);
          const names = service.replicas.map(({ name }) => name);
          const simulated = routedHitRate(workload, CAPACITY, (i) =>
            names.indexOf(run.replicaOf[i] as string),
          );
          const hitRate = run.hits / run.tally.responses;
          const heldTwice = held.heldTwice / held.distinct;
          say(
            `| ${replicas} | ${balance === 'hash' ? 'consistent hash' : 'round-robin'} | ${pct(hitRate)} | ` +
              `${(hitRate / ideal).toFixed(3)}× | ${pct(ideal)} | ${pct(simulated)} | ${held.live.map(int).join(', ')} | ` +
              `${pct(heldTwice)} | ${pct(servedByMoreThanOne(workload, run.replicaOf))} | ` +
              `${busiestOverMean(run.replicaOf, replicas).toFixed(2)} | ${int(run.tally.requestsPerSecond)} | ` +
              `${ms(percentile(run.latencies, 0.99))} | ${run.markedDown} |`,
          );
          if (balance === 'hash' && replicas > 1) {
            goal(
              hitRate >= 0.97 * ideal,
              `${replicas} replicas: hit rate ${(hitRate / ideal).toFixed(3)}× the ideal (goal ≥ 0.97×)`,
            );
            goal(
              heldTwice <= 0.02,
              `${replicas} replicas: ${pct(heldTwice)} of the terms held by more than one replica (goal ≤ 2 %)`,
            );
          }
          if (balance === 'hash') hashRatios.set(replicas, hitRate / ideal);
          if (balance === 'hash' && runs('cost'))
            costs.set(replicas, await proxyCost(service, workload, run.replicaOf));
        } finally {
          await service.stop();
        }
      }
    }
    say();
    say(
      '“This run’s routing, simulated” feeds each replica’s LRU the requests the run sent it: where it ' +
        'matches the hit rate, the replicas behaved as LRUs of 1,000 and routing alone explains the rest. ' +
        '“Terms held by more than one” counts the replicas’ registries at the end (GET /adders on each); ' +
        '“repeated terms served by more than one”, of the terms requested twice or more, those answered by ' +
        'two replicas or more during the run.',
    );
  }

  if (runs('cost')) {
    say();
    say(
      `### The proxy’s cost (${ROUNDS} paired rounds of ${int(PAIR_REQUESTS)} requests on the warm replicas)`,
    );
    say();
    say(
      'Right after each consistent-hash run above, on its replicas: the run’s first requests again, through ' +
        'HAProxy, and straight to the replica HAProxy chose for each term (one autocannon per replica, the ' +
        'connections shared in proportion), in alternating order. Medians of the rounds; the ratio is ' +
        'the median of each round’s ratio.',
    );
    say();
    say(
      '| replicas | req/s through HAProxy | req/s direct | through ÷ direct | p99 through HAProxy | p99 direct |',
    );
    say('| ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const [replicas, cost] of costs) {
      say(
        `| ${replicas} | ${int(median(cost.proxied.map((m) => m.rps)))} | ${int(median(cost.direct.map((m) => m.rps)))} | ` +
          `${median(cost.proxied.map((m, k) => m.rps / (cost.direct[k]?.rps ?? Number.NaN))).toFixed(2)}× | ` +
          `${ms(median(cost.proxied.map((m) => m.p99)))} | ${ms(median(cost.direct.map((m) => m.p99)))} |`,
      );
      failures.push(...cost.problems);
    }
  }

  if (runs('kill')) await killScenario(say, goal, failures);
  if (runs('rolling')) await rollingRestart(say, goal, failures);
  if (runs('factor')) await factorSweep(say, goal, failures);
  if (runs('simulate')) simulateCapacity(say);

  say();
  say('### Goals');
  say();
  for (const line of goals) say(line);
  say();
  say(`The whole run took ${((performance.now() - started) / 60_000).toFixed(1)} minutes.`);
  for (const failure of failures) console.error(`FAILED: ${failure}`);
  if (process.env.BENCH_WRITE !== '0' && ONLY === undefined)
    writeReportSection('bench:scale', lines.join('\n'));
  if (failures.length > 0) process.exitCode = 1;
}

interface PairMeasurement {
  rps: number;
  p99: number;
}

const costs = new Map<
  number,
  { proxied: PairMeasurement[]; direct: PairMeasurement[]; problems: string[] }
>();

/** The consistent-hash runs' hit rate over the ideal's, by replica count. */
const hashRatios = new Map<number, number>();

/** Paired rounds through the proxy and direct, on warm replicas, over the workload's first requests. */
async function proxyCost(service: ShardedService, workload: Int32Array, route: readonly string[]) {
  const terms = workload.subarray(0, PAIR_REQUESTS);
  const proxied: PairMeasurement[] = [];
  const direct: PairMeasurement[] = [];
  const problems: string[] = [];
  const measure = (run: Observed): PairMeasurement => {
    problems.push(...answerProblems(run.tally));
    return { rps: run.tally.requestsPerSecond, p99: percentile(run.latencies, 0.99) };
  };
  for (let round = 0; round < ROUNDS; round += 1) {
    const order = round % 2 === 0 ? ['proxied', 'direct'] : ['direct', 'proxied'];
    for (const side of order) {
      if (side === 'proxied') proxied.push(measure(await driveThroughProxy(service, terms)));
      else direct.push(measure(await driveDirect(service, terms, route)));
    }
  }
  return { proxied, direct, problems };
}

type Say = (line?: string) => void;
type Goal = (met: boolean, text: string) => void;

/** Three replicas; SIGKILL to one a third of the way in; what moved, what failed, when. */
async function killScenario(say: Say, goal: Goal, failures: string[]) {
  const terms = zipfTerms(Math.round((REQUESTS * 2) / 3), 2);
  const service = await startShardedService({ replicas: 3, env: REPLICA_ENV });
  const victim = 'replica-2';
  let killedAt = Number.POSITIVE_INFINITY;
  try {
    const killAfter = Math.round(terms.length / 3);
    const run = await driveThroughProxy(service, terms, (done) => {
      if (done === killAfter) {
        killedAt = performance.now();
        void service.kill(victim, 'SIGKILL');
      }
    });
    const down = service.proxy.lines.find(
      ({ text, at }) => at >= killedAt && text.includes(`${victim} is DOWN`),
    );
    const downAt = down?.at ?? Number.POSITIVE_INFINITY;
    const homeBefore = new Map<number, string>();
    const homeAfter = new Map<number, string>();
    let failedBetween = 0;
    let failedAfter = 0;
    let failedBefore = 0;
    for (let i = 0; i < terms.length; i += 1) {
      const at = run.answeredAt[i] as number;
      const failed = run.status[i] !== 200;
      if (at < killedAt) {
        if (failed) failedBefore += 1;
        else homeBefore.set(terms[i] as number, run.replicaOf[i] as string);
      } else if (at < downAt) {
        if (failed) failedBetween += 1;
      } else if (failed) failedAfter += 1;
      else homeAfter.set(terms[i] as number, run.replicaOf[i] as string);
    }
    let both = 0;
    let victims = 0;
    let moved = 0;
    let movedBetweenSurvivors = 0;
    for (const [term, before] of homeBefore) {
      const after = homeAfter.get(term);
      if (after === undefined) continue;
      both += 1;
      if (before === victim) victims += 1;
      if (after !== before) {
        moved += 1;
        if (before !== victim) movedBetweenSurvivors += 1;
      }
    }
    const counters = await retries(statsSocketOf(service));
    say();
    say(`### One of three replicas killed (SIGKILL) a third of the way into ${int(terms.length)} requests`);
    say();
    say('| measure | value |');
    say('| --- | ---: |');
    say(`| terms answered both before the kill and after HAProxy marked the replica down | ${int(both)} |`);
    say(`| of those, on the killed replica before | ${pct(victims / both)} |`);
    say(`| of those, on another replica after (moved) | ${pct(moved / both)} |`);
    say(`| moved from one surviving replica to another | ${int(movedBetweenSurvivors)} |`);
    say(
      `| from the kill to HAProxy’s “is DOWN” | ${Number.isFinite(downAt) ? ms(downAt - killedAt) : 'never'} |`,
    );
    say(
      `| failed requests before the kill, between it and “is DOWN”, after | ${failedBefore}, ${failedBetween}, ${failedAfter} |`,
    );
    say(
      `| HAProxy’s retries, redispatches (backend counters) | ${int(counters.retries)}, ${int(counters.redispatches)} |`,
    );
    say(`| wrong answers | ${run.tally.wrong} |`);
    say();
    say(
      'A request is failed when its status is not 200 (HAProxy answers 502 or 503 when it cannot get one); ' +
        'each is placed by when its answer arrived.',
    );
    goal(
      Math.abs(moved - victims) / both <= 0.02,
      `SIGKILL: ${pct(moved / both)} of the terms moved, the killed replica held ${pct(victims / both)} (goal: within 2 points)`,
    );
    goal(
      movedBetweenSurvivors === 0,
      `SIGKILL: ${movedBetweenSurvivors} terms moved between survivors (goal: 0)`,
    );
    goal(
      failedAfter === 0,
      `SIGKILL: ${failedAfter} failed requests after HAProxy marked the replica down (goal: 0)`,
    );
    if (failedAfter > 0 || failedBefore > 0 || run.tally.wrong > 0 || !Number.isFinite(downAt)) {
      failures.push(
        `kill: ${failedBefore} failed before, ${failedAfter} after the markdown, ${run.tally.wrong} wrong`,
      );
    }
  } finally {
    await service.stop();
  }
}

/** Three replicas under load; each in turn gets SIGTERM, drains, exits, starts again and is up again. */
async function rollingRestart(say: Say, goal: Goal, failures: string[]) {
  const terms = zipfTerms(REQUESTS * 4, 3);
  const service = await startShardedService({ replicas: 3, env: REPLICA_ENV });
  try {
    const stop = new AbortController();
    const observed = newObserved(terms.length);
    const load = drive(service.url, terms, observed, { signal: stop.signal });
    const started = performance.now();
    const steps: string[] = [];
    for (const { name } of [...service.replicas]) {
      const from = performance.now();
      const { code } = await service.kill(name, 'SIGTERM');
      await service.restart(name);
      await service.proxy.waitFor('UP', [name]);
      steps.push(`${name} ${((performance.now() - from) / 1000).toFixed(1)} s (exit ${code})`);
    }
    // Some load on the last one back before stopping.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    stop.abort();
    const { tally } = await load;
    const failed = tally.unexpected + tally.errors;
    say();
    say('### A rolling restart of three replicas under load');
    say();
    say(
      `Each replica in turn: SIGTERM (with SHUTDOWN_DRAIN_MS=3000, /readyz answers 503 while it keeps ` +
        `serving), its exit, a new process on its port, until HAProxy has it up again: ${steps.join(', ')}; ` +
        `${((performance.now() - started) / 1000).toFixed(1)} s in all. ${int(tally.responses)} requests ` +
        `answered meanwhile, ${failed} failed, ${tally.wrong} wrong.`,
    );
    goal(failed === 0, `rolling restart: ${failed} failed requests (goal: 0)`);
    if (failed > 0 || tally.wrong > 0)
      failures.push(
        `rolling restart: ${failed} failed, ${tally.wrong} wrong: ${tally.problems.slice(0, 3).join('; ')}`,
      );
  } finally {
    await service.stop();
  }
}

/** hash-balance-factor off and at several values: the hot term's load, and the terms split without it. */
async function factorSweep(say: Say, goal: Goal, failures: string[]) {
  const zipf = zipfTerms(SWEEP_REQUESTS, 4);
  const rows: string[] = [];
  let hot: Int32Array | undefined;
  let hotHome = '';
  for (const factor of FACTORS) {
    const service = await startShardedService({ replicas: 3, env: REPLICA_ENV, hashBalanceFactor: factor });
    let row = '';
    let markedDown = 0;
    try {
      const run = await driveThroughProxy(service, zipf);
      failures.push(...answerProblems(run.tally));
      const held = await holdings(service);
      markedDown += run.markedDown;
      row =
        `${pct(servedByMoreThanOne(zipf, run.replicaOf))} | ${pct(held.heldTwice / held.distinct)} | ` +
        `${pct(run.hits / run.tally.responses)}`;
      if (hot === undefined) {
        // Measured first without bounded loads (FACTORS[0] is 0): the replica the Zipf terms load most.
        hotHome = busiestReplica(run.replicaOf);
        hot = zipfTerms(SWEEP_REQUESTS, 5, { term: await termOn(service, hotHome), share: HOT_SHARE });
      }
    } finally {
      await service.stop();
    }
    const hotService = await startShardedService({
      replicas: 3,
      env: REPLICA_ENV,
      hashBalanceFactor: factor,
    });
    try {
      const run = await driveThroughProxy(hotService, hot);
      failures.push(...answerProblems(run.tally));
      const ratio = busiestOverMean(run.replicaOf, 3);
      markedDown += run.markedDown;
      rows.push(`| ${factor === 0 ? 'off' : factor} | ${ratio.toFixed(2)} | ${row} | ${markedDown} |`);
      if (factor === 150) {
        goal(
          ratio <= 1.5,
          `hot term with hash-balance-factor 150: busiest ÷ mean ${ratio.toFixed(2)} (goal ≤ 1.5)`,
        );
      }
    } finally {
      await hotService.stop();
    }
  }
  say();
  say(
    `### Bounded loads: hash-balance-factor against one home per term (three replicas, ${int(SWEEP_REQUESTS)} requests a run)`,
  );
  say();
  say(
    `With one term at ${pct(HOT_SHARE, 0)} of the requests (the rest Zipf as above), placed on the replica ` +
      `the Zipf terms load most (${hotHome}), the busiest replica’s share of the requests over the mean; ` +
      'with the Zipf workload alone, the repeated terms answered by more than one replica, the terms held ' +
      'by more than one at the end, and the hit rate; and how many times HAProxy marked a replica down in ' +
      'the two runs.',
  );
  say();
  say(
    '| hash-balance-factor | busiest ÷ mean, hot term | repeated terms served by more than one | terms held by more than one | hit rate | replicas marked down |',
  );
  say('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const line of rows) say(line);
}

/** The hit rate against replicas at the shipped capacity, simulated over a larger workload. */
function simulateCapacity(say: Say) {
  const terms = 1_000_000;
  const requests = 4_000_000;
  const capacity = 4096;
  const random = seededRandom(6);
  const rank = zipfSampler(terms, ZIPF_S, random);
  const workload = Int32Array.from({ length: requests }, rank);
  say();
  say(
    `### Simulated: ${int(requests)} requests, Zipf(${ZIPF_S.toFixed(1)}) over ${int(terms)} terms, ` +
      `${int(capacity)} adders a replica`,
  );
  say();
  const measured = [...hashRatios]
    .filter(([replicas]) => replicas > 1)
    .map(([replicas, ratio]) => `${ratio.toFixed(3)}× at ${replicas}`);
  say(
    'No process runs: each replica is an LRU of 4,096 (JIT_MAX_ADDERS’s default). Round-robin sends request ' +
      'i to replica i mod N, as a plain balancer spreads them; the ideal is one LRU of N × 4,096' +
      (measured.length === 0
        ? '.'
        : `, which consistent hashing on HAProxy reached in the runs above (${measured.join(', ')} replicas).`),
  );
  say();
  say('| replicas | round-robin | one LRU of N × 4,096 (the ideal) | compiles, round-robin ÷ ideal |');
  say('| ---: | ---: | ---: | ---: |');
  for (const replicas of [1, 2, 3, 5, 10]) {
    const spread = routedHitRate(workload, capacity, (i) => i % replicas);
    const ideal = lruHitRate(workload, replicas * capacity);
    say(`| ${replicas} | ${pct(spread)} | ${pct(ideal)} | ${((1 - spread) / (1 - ideal)).toFixed(2)}× |`);
  }
}

await main();
