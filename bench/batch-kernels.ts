/**
 * The batch kernels' section of `npm run bench:jit`: xs[i] = (xs[i] + term) | 0 over an Int32Array in
 * place, at 10,000 values (the array fits in the first-level cache) and 4,000,000 (16 MB: it streams
 * from memory), by
 *
 *  - the JIT's pages at every level this CPU runs, each vector level unrolled ×1, ×2 and ×4 (the targets
 *    use the factor marked "chosen"), and the chosen factor with its main loop at a 64-byte boundary
 *    rather than MAIN_LOOP_OFFSET bytes past one; blinded as the registry makes them, called through the
 *    call gate with ExecutablePage.callWithInt32Array: one FFI call per pass over the array;
 *  - a JavaScript loop over the same array;
 *  - C references (bench/batch-kernels.c, -O2): a scalar loop, and SSE2 and AVX2 intrinsics unrolled ×4,
 *    each timing its own loop, with no FFI call between passes, on a 64-byte aligned array;
 *  - the same C kernels built as a shared library and called as the JIT's pages are: through koffi, one
 *    FFI call per pass, on the same Int32Array;
 *  - the JIT's chosen page at every level, its code handed to the C program and run in the C references'
 *    own loop on their aligned array: the generated code against the compiler's, measured the same way.
 *    Set beside the rows above, a JIT kernel's ratios separate its code from what the call costs.
 *
 * Each round times every contender once at each size, one block of passes of about BENCH_BATCH_VALUES
 * values (200,000,000) after a tenth of that to warm up; the figures are medians over the rounds, in
 * G values/s, and each JIT kernel's ratio to the C reference of its width. The JavaScript loop is set
 * against the scalar C loop.
 */
import { execFileSync } from 'node:child_process';
import koffi from 'koffi';
import { buildC } from '../harness/c-build.js';
import { encodeBlindedAdderPage } from '../src/jit/blinding.js';
import { detectHost } from '../src/jit/host.js';
import { ExecutablePage } from '../src/jit/page.js';
import type { AdderPageTarget } from '../src/jit/target.js';
import { UNROLL_FACTORS, type X86Level } from '../src/jit/x86-64/adder-page.js';
import { CHOSEN_UNROLL, createX86_64Target, X86_64 } from '../src/jit/x86-64/architecture.js';
import { missingFor, type X86Capabilities, type X86Features } from '../src/jit/x86-64/cpu-probe.js';
import { describeMachine } from './machine.js';
import { formatNs, median } from './stats.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const VALUES_PER_BLOCK = Number(process.env.BENCH_BATCH_VALUES ?? 200_000_000);
const SIZES = [10_000, 4_000_000];
const TERM = 7;
const WIDTH_NAMES: Record<X86Level, string> = { scalar: 'scalar', sse2: 'SSE2', avx2: 'AVX2' };

interface Contender {
  name: string;
  /** A C reference that runs its own timing loop: the one its width's ratios are taken to. */
  reference?: true;
  /** The C reference this contender's ratio is taken to. */
  width: X86Level;
  /** Runs `passes` passes over `xs` (after its own warm-up, for C) and returns values per nanosecond. */
  measure: (xs: Int32Array, passes: number) => number;
}

/** Times `passes` calls of `pass` as one block, after a tenth as many unmeasured; values per nanosecond. */
function timePasses(xs: Int32Array, passes: number, pass: (xs: Int32Array) => void): number {
  for (let index = 0; index < Math.ceil(passes / 10); index += 1) pass(xs);
  const start = process.hrtime.bigint();
  for (let index = 0; index < passes; index += 1) pass(xs);
  return (xs.length * passes) / Number(process.hrtime.bigint() - start);
}

function javaScriptPass(xs: Int32Array): void {
  for (let index = 0; index < xs.length; index += 1) xs[index] = ((xs[index] as number) + TERM) | 0;
}

/** A page of `target`'s, checked once against the JavaScript loop before it is timed. */
function jitContender(target: AdderPageTarget, variant: string, pages: ExecutablePage[]): Contender {
  const page = ExecutablePage.seal(encodeBlindedAdderPage(TERM, target), X86_64);
  pages.push(page);
  const probe = Int32Array.from({ length: 1_003 }, (_, index) => Math.imul(index, 0x9e3779b1));
  const expected = probe.slice();
  javaScriptPass(expected);
  page.callWithInt32Array(target.applyAllEntry, probe);
  if (probe.some((value, index) => value !== expected[index])) throw new Error(`${target.name} is wrong`);
  // The targets the registry uses are the ones without a variant suffix in their names.
  const chosen = target.level !== 'scalar' && target.name === `x86-64-${target.level}` ? ' (chosen)' : '';
  return {
    name: `JIT ${WIDTH_NAMES[target.level as X86Level]}${variant}${chosen}`,
    width: target.level as X86Level,
    measure: (xs, passes) =>
      timePasses(xs, passes, (values) => page.callWithInt32Array(target.applyAllEntry, values)),
  };
}

export function runBatchKernelsBenchmark(): string {
  const host = (detectHost(X86_64) as X86Capabilities).features;
  const levels = (['scalar', 'sse2', 'avx2'] as const).filter(
    (level) => missingFor(level, host).length === 0,
  );
  const pages: ExecutablePage[] = [];
  const contenders: Contender[] = [];
  const notes: string[] = [];

  const program = buildC('batch-kernels', ['-O2', '-fno-tree-vectorize']);
  if (typeof program === 'string') notes.push(program);
  else {
    for (const level of levels) {
      contenders.push({
        name: `C ${WIDTH_NAMES[level]}${level === 'scalar' ? '' : ' ×4'} (reference)`,
        reference: true,
        width: level,
        measure: (xs, passes) =>
          Number(
            execFileSync(program.binary, [level, String(xs.length), String(passes)], { encoding: 'utf8' }),
          ),
      });
    }
  }
  const library = buildC('batch-kernels', ['-O2', '-fno-tree-vectorize', '-shared', '-fPIC']);
  if (typeof library !== 'string') {
    const kernels = koffi.load(library.binary);
    for (const level of levels) {
      const kernel = kernels.func(`void batch_add_${level}(int32_t *xs, size_t n, int32_t term)`) as (
        xs: Int32Array,
        n: number,
        term: number,
      ) => void;
      contenders.push({
        name: `C ${WIDTH_NAMES[level]}${level === 'scalar' ? '' : ' ×4'} through koffi, one call per pass`,
        width: level,
        measure: (xs, passes) => timePasses(xs, passes, (values) => kernel(values, values.length, TERM)),
      });
    }
  }
  if (typeof program !== 'string') {
    for (const level of levels) {
      const target = createX86_64Target(level);
      const code = Buffer.from(encodeBlindedAdderPage(TERM, target)).toString('hex');
      const unroll = level === 'scalar' ? '' : ` ×${CHOSEN_UNROLL[level]}`;
      contenders.push({
        name: `JIT ${WIDTH_NAMES[level]}${unroll} (chosen), its page run in the C reference's loop`,
        width: level,
        measure: (xs, passes) =>
          Number(
            execFileSync(
              program.binary,
              ['page', String(target.applyAllEntry), String(xs.length), String(passes)],
              { encoding: 'utf8', input: code },
            ),
          ),
      });
    }
  }
  for (const level of levels) {
    if (level === 'scalar') {
      contenders.push(jitContender(createX86_64Target(level), '', pages));
      continue;
    }
    for (const unroll of UNROLL_FACTORS) {
      contenders.push(jitContender(createX86_64Target(level, unroll), ` ×${unroll}`, pages));
    }
    // The chosen unroll factor with its main loop at a 64-byte boundary instead of MAIN_LOOP_OFFSET past one.
    const unroll = CHOSEN_UNROLL[level];
    const atBoundary = createX86_64Target(level, unroll, 0);
    contenders.push(jitContender(atBoundary, ` ×${unroll}, main loop at a 64-byte boundary`, pages));
  }
  contenders.push({
    name: 'JavaScript loop `(x + term) \\| 0`',
    width: 'scalar',
    measure: (xs, passes) => timePasses(xs, passes, javaScriptPass),
  });

  // One array per size, shared by the JIT and JavaScript contenders, so that they find it in the same
  // cache state; its values wrap around as passes accumulate, which costs nothing.
  const arrays = SIZES.map((size) => Int32Array.from({ length: size }, (_, index) => index));
  const rounds = new Map<string, number[]>();
  const emptyCall = new Int32Array(0);
  const callOverhead: number[] = [];
  const chosenAvx2 = levels.includes('avx2') ? createX86_64Target('avx2') : createX86_64Target('scalar');
  const overheadPage = ExecutablePage.seal(chosenAvx2.encodePage(TERM), X86_64);
  pages.push(overheadPage);
  try {
    for (let round = 1; round <= ROUNDS; round += 1) {
      for (const xs of arrays) {
        const passes = Math.max(1, Math.round(VALUES_PER_BLOCK / xs.length));
        for (const contender of contenders) {
          const key = `${contender.name}@${xs.length}`;
          rounds.set(key, [...(rounds.get(key) ?? []), contender.measure(xs, passes)]);
        }
      }
      // What one call through the gate costs with nothing to add: the part of a pass that is not the kernel.
      const calls = 1_000_000;
      const start = process.hrtime.bigint();
      for (let index = 0; index < calls; index += 1)
        overheadPage.callWithInt32Array(chosenAvx2.applyAllEntry, emptyCall);
      callOverhead.push(Number(process.hrtime.bigint() - start) / calls);
      process.stderr.write(`batch kernels: round ${round}/${ROUNDS} done\n`);
    }
  } finally {
    for (const page of pages) page.release();
    if (typeof program !== 'string') program.cleanup();
    if (typeof library !== 'string') library.cleanup();
  }

  const figure = (name: string, size: number) => median(rounds.get(`${name}@${size}`) ?? []);
  const reference = (width: X86Level) =>
    contenders.find((contender) => contender.reference === true && contender.width === width);
  const lines: string[] = [];
  lines.push('## Batch kernels (`npm run bench:jit`, `BENCH_ONLY=batch` for this section alone)');
  lines.push('');
  lines.push(`Machine: ${describeMachine()}; CPU features: ${describeFeatures(host)}.`);
  lines.push(
    `xs[i] = (xs[i] + term) | 0 over an Int32Array in place. ${ROUNDS} rounds, alternating; each figure is ` +
      `the median over rounds of one block of passes (about ${VALUES_PER_BLOCK.toLocaleString('en')} values). ` +
      'G values/s; "÷ C" is the ratio to the C reference of the same width (the JavaScript loop: to scalar C). ' +
      'The C references call their kernel directly, on a 64-byte aligned array; the rows "run in the C ' +
      'reference\'s loop" call a JIT page the same way, from C. The other JIT rows include one FFI call per ' +
      'pass through the call gate, and the rows "through koffi" call the C kernels that way, on the same array.',
  );
  lines.push('');
  const header = SIZES.map((size) => `${size.toLocaleString('en')} values | ÷ C`).join(' | ');
  lines.push(`| kernel | ${header} |`);
  lines.push(`| --- | ${SIZES.map(() => '---: | ---:').join(' | ')} |`);
  for (const contender of contenders) {
    const cells = SIZES.map((size) => {
      const value = figure(contender.name, size);
      const base = reference(contender.width);
      const ratio = base === undefined ? 'n/a' : `${(value / figure(base.name, size)).toFixed(2)}×`;
      return `${value.toFixed(1)} | ${ratio}`;
    });
    lines.push(`| ${contender.name} | ${cells.join(' | ')} |`);
  }
  lines.push('');
  lines.push(
    `One call through the gate into ${chosenAvx2.name}'s batch entry with an empty array: ${formatNs(median(callOverhead))} (median over rounds).`,
  );
  const named = (prefix: string) => contenders.find((contender) => contender.name.startsWith(prefix));
  const chosenAvx2Name = `JIT AVX2 ×${CHOSEN_UNROLL.avx2} (chosen)`;
  /** One sentence: `of`'s figure over `to`'s at each size, if both ran. */
  const ratioSentence = (sentence: string, of: Contender | undefined, to: Contender | undefined) => {
    if (of === undefined || to === undefined) return;
    const ratios = SIZES.map(
      (size) =>
        `${(figure(of.name, size) / figure(to.name, size)).toFixed(2)}× at ${size.toLocaleString('en')} values`,
    );
    lines.push('', `${sentence}: ${ratios.join(', ')}.`);
  };
  ratioSentence(
    'The chosen AVX2 kernel against the C AVX2 kernel, both called from C',
    named(`${chosenAvx2Name}, its page`),
    reference('avx2'),
  );
  ratioSentence(
    'The chosen AVX2 kernel against the C AVX2 kernel called the same way',
    contenders.find((contender) => contender.name === chosenAvx2Name),
    named('C AVX2 ×4 through koffi'),
  );
  for (const note of notes) lines.push('', `Note: ${note}.`);
  return lines.join('\n');
}

function describeFeatures(host: X86Features): string {
  const flags = (['sse2', 'avx', 'avx2', 'osxsave', 'osSavesYmm'] as const).filter((flag) => host[flag]);
  return `${host.vendor}, ${flags.join(' ')}; best level ${host.level}`;
}
