/**
 * `npm run bench:jit`: what one adder costs in the JIT core, side by side with a C loop doing the same
 * syscalls, in one run.
 *
 *  - compile + first call + release per adder (median, p99): ExecutablePage with the shared call gate
 *    (a fresh page with its guard page, and an evicted page resealed for the next term as the registry
 *    does at capacity), and, for comparison, a fresh page called through a per-adder koffi.decode and
 *    through koffi.call;
 *  - one call into a warm adder, beside plain JavaScript `(x + term) | 0`;
 *  - one JitRegistry.apply that hits, on one hot term and round-robin over 1,000, with the registry
 *    holding few adders and full (its default capacity): a hit must not cost more as the registry fills;
 *  - the C reference loop (bench/compile-loop.c, built with the machine's C compiler), and the ratio;
 *  - the batch kernels (bench/batch-kernels.ts): the scalar, SSE2 and AVX2 pages against a JavaScript loop
 *    and C references of the same widths, in a section of the report of their own.
 *
 * BENCH_ONLY=core or BENCH_ONLY=batch runs one of the two sections (and rewrites only its own part of
 * docs/benchmarks.md); BENCH_WRITE=0 leaves the document alone.
 *
 * Rounds alternate between the contenders so that noise from other work on the machine falls on all of
 * them; the figures reported are medians over rounds. Results go to stdout and docs/benchmarks.md.
 */
import { execFileSync } from 'node:child_process';
import koffi from 'koffi';
import { buildC } from '../harness/c-build.js';
import { DEFAULT_CONFIG } from '../src/config.js';
import { ExecutablePage } from '../src/jit/page.js';
import { JitRegistry } from '../src/jit/registry.js';
import { ADDER_ENTRY, encodeAdder } from '../src/jit/x86-64/adder-page.js';
import { runBatchKernelsBenchmark } from './batch-kernels.js';
import { describeMachine, packageVersion } from './machine.js';
import { writeReportSection } from './report.js';
import { formatNs, median, percentile, sampleEach, timeBlock } from './stats.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const COMPILES = Number(process.env.BENCH_COMPILES ?? 20_000);
const CALLS = Number(process.env.BENCH_CALLS ?? 2_000_000);

type Tail = { median: number; p99: number };
// The pipe is escaped because the name becomes a Markdown table cell.
const PLAIN_JS = 'plain JS `(x + term) \\| 0`';
const AdderPrototype = koffi.proto('int32_t bench_adder(int32_t x)');

/** Appends one round's figure to the named contender's list, in the order the rounds ran. */
function addRound<T>(rounds: Map<string, T[]>, name: string, value: T): void {
  const values = rounds.get(name);
  if (values === undefined) rounds.set(name, [value]);
  else values.push(value);
}

function tail(sorted: number[]): Tail {
  return { median: percentile(sorted, 0.5), p99: percentile(sorted, 0.99) };
}

/** The page that the recycling contender reseals for each new term, as the registry does at capacity. */
let recycled: ExecutablePage | undefined;

const compileContenders: Record<string, (term: number) => void> = {
  'call gate (ours)': (term) => {
    const page = ExecutablePage.seal(encodeAdder(term));
    if (page.callInt32(ADDER_ENTRY, 1) !== ((term + 1) | 0)) throw new Error('wrong result');
    page.release();
  },
  'call gate, evicted page recycled (ours, at capacity)': (term) => {
    const code = encodeAdder(term);
    const page = recycled ? ExecutablePage.reseal(recycled, code) : ExecutablePage.seal(code);
    recycled = page;
    if (page.callInt32(ADDER_ENTRY, 1) !== ((term + 1) | 0)) throw new Error('wrong result');
  },
  'koffi.decode per adder': (term) => {
    const page = ExecutablePage.seal(encodeAdder(term));
    const adder = koffi.decode(BigInt(page.address), AdderPrototype) as (x: number) => number;
    if (adder(1) !== ((term + 1) | 0)) throw new Error('wrong result');
    page.release();
  },
  'koffi.call per call': (term) => {
    const page = ExecutablePage.seal(encodeAdder(term));
    if (koffi.call(BigInt(page.address), AdderPrototype, 1) !== ((term + 1) | 0))
      throw new Error('wrong result');
    page.release();
  },
};

function buildCReference(): { run: () => Tail; cleanup: () => void } | string {
  const program = buildC('compile-loop', ['-O2']);
  if (typeof program === 'string') return program;
  return {
    run: () => {
      const [, med, p99] = execFileSync(program.binary, [String(COMPILES)], { encoding: 'utf8' })
        .trim()
        .split(' ');
      return { median: Number(med), p99: Number(p99) };
    },
    cleanup: program.cleanup,
  };
}

/** The compile, call and registry tables: the 'core' section of the report. */
function benchmarkCore(): void {
  const reference = buildCReference();
  const compileRounds = new Map<string, Tail[]>();

  const warm = ExecutablePage.seal(encodeAdder(7));
  const decoded = koffi.decode(BigInt(warm.address), AdderPrototype) as (x: number) => number;
  const warmAddress = BigInt(warm.address);
  const callRounds = new Map<string, number[]>();
  const callContenders: Record<string, (i: number) => number> = {
    'call gate (ours)': (i) => warm.callInt32(ADDER_ENTRY, i & 0xffff),
    'koffi.decode once, then call': (i) => decoded(i & 0xffff),
    'koffi.call': (i) => koffi.call(warmAddress, AdderPrototype, i & 0xffff) as number,
    [PLAIN_JS]: (i) => ((i & 0xffff) + 7) | 0,
  };

  // Registries filled once with `fill` adders (terms 0 to fill - 1); the contenders then only hit.
  const registries = [2, DEFAULT_CONFIG.jitMaxAdders].map((fill) => {
    const registry = new JitRegistry({ capacity: DEFAULT_CONFIG.jitMaxAdders });
    for (let term = 0; term < fill; term += 1) registry.apply(term, 0);
    return { fill, registry };
  });
  const hitRounds = new Map<string, number[]>();
  const hitContenders: Record<string, (i: number) => number> = {};
  for (const { fill, registry } of registries) {
    const holding = `${fill.toLocaleString('en')} adders compiled`;
    hitContenders[`one hot term, ${holding}`] = (i) => registry.apply(1, i & 0xffff).result;
    if (fill >= 1000) {
      hitContenders[`round-robin over 1,000 terms, ${holding}`] = (i) => registry.apply(i % 1000, 1).result;
    }
  }

  for (let round = 1; round <= ROUNDS; round += 1) {
    if (typeof reference !== 'string') addRound(compileRounds, 'C loop (reference)', reference.run());
    for (const [name, run] of Object.entries(compileContenders)) {
      const iterations = name.includes('(ours') ? COMPILES : Math.floor(COMPILES / 4);
      addRound(compileRounds, name, tail(sampleEach(iterations, (i) => run(i))));
    }
    for (const [name, run] of Object.entries(callContenders)) {
      const iterations = name === 'koffi.call' ? CALLS / 10 : CALLS;
      addRound(callRounds, name, timeBlock(iterations, run));
    }
    for (const [name, run] of Object.entries(hitContenders)) {
      addRound(hitRounds, name, timeBlock(CALLS / 4, run));
    }
    process.stderr.write(`round ${round}/${ROUNDS} done\n`);
  }
  warm.release();
  for (const { registry } of registries) registry.dispose();
  recycled?.release();
  if (typeof reference !== 'string') reference.cleanup();

  const cMedian = compileRounds.get('C loop (reference)')?.map((value) => value.median);
  const cBaseline = cMedian ? median(cMedian) : undefined;
  const lines: string[] = [];
  lines.push('## JIT core (`npm run bench:jit`)');
  lines.push('');
  lines.push(`Machine: ${describeMachine()}; koffi ${packageVersion('koffi')}.`);
  lines.push(
    `${ROUNDS} rounds, alternating; each figure is the median over rounds of that round's median (or p99).`,
  );
  lines.push('');
  lines.push('### Compile + first call + release, per adder');
  lines.push('');
  lines.push('| path | median | p99 | median ÷ C loop |');
  lines.push('| --- | ---: | ---: | ---: |');
  for (const [name, values] of compileRounds) {
    const med = median(values.map((value) => value.median));
    const p99 = median(values.map((value) => value.p99));
    const ratio = cBaseline ? `${(med / cBaseline).toFixed(2)}×` : 'n/a';
    lines.push(`| ${name} | ${formatNs(med)} | ${formatNs(p99)} | ${ratio} |`);
  }
  if (typeof reference === 'string') lines.push('', `Note: ${reference}.`);
  lines.push('');
  lines.push('### One call into a warm adder');
  lines.push('');
  lines.push('| path | per call | ÷ plain JS |');
  lines.push('| --- | ---: | ---: |');
  const plain = median(callRounds.get(PLAIN_JS) ?? []);
  for (const [name, values] of callRounds) {
    lines.push(`| ${name} | ${formatNs(median(values))} | ${(median(values) / plain).toFixed(1)}× |`);
  }
  lines.push('');
  lines.push('### One registry lookup that hits, with the call');
  lines.push('');
  lines.push('| lookup | per apply |');
  lines.push('| --- | ---: |');
  for (const [name, values] of hitRounds) lines.push(`| ${name} | ${formatNs(median(values))} |`);
  const markdown = lines.join('\n');
  console.log(markdown);
  if (process.env.BENCH_WRITE !== '0') writeReportSection('bench:jit', markdown);
}

const only = process.env.BENCH_ONLY;
if (only !== undefined && only !== 'core' && only !== 'batch')
  throw new Error(`BENCH_ONLY must be core or batch, got ${only}`);
if (only !== 'batch') benchmarkCore();
if (only !== 'core') {
  const markdown = runBatchKernelsBenchmark();
  console.log(markdown);
  if (process.env.BENCH_WRITE !== '0') writeReportSection('bench:jit:batch', markdown);
}
