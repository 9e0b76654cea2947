/** Small statistics shared by the benchmark scripts: they report medians and tails, never means alone. */
export function percentile(sorted: ArrayLike<number>, fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.floor(sorted.length * fraction));
  return sorted[index] as number;
}

export function median(values: readonly number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    0.5,
  );
}

/** Times `run(i)` once per iteration after a warm-up; returns nanoseconds per iteration, sorted. */
export function sampleEach(iterations: number, run: (i: number) => void): number[] {
  for (let i = 0; i < Math.max(100, iterations / 10); i += 1) run(i);
  const samples = new Array<number>(iterations);
  for (let i = 0; i < iterations; i += 1) {
    const start = process.hrtime.bigint();
    run(i);
    samples[i] = Number(process.hrtime.bigint() - start);
  }
  return samples.sort((a, b) => a - b);
}

/** Times `iterations` calls of `run(i)` as one block; returns nanoseconds per call. */
export function timeBlock(iterations: number, run: (i: number) => number): number {
  let sink = 0;
  for (let i = 0; i < iterations / 10; i += 1) sink ^= run(i);
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i += 1) sink ^= run(i);
  const elapsed = Number(process.hrtime.bigint() - start);
  if (sink === 0.5) console.log('unreachable'); // keeps the loop's work observable
  return elapsed / iterations;
}

export function formatNs(ns: number): string {
  return ns >= 1000 ? `${(ns / 1000).toFixed(2)} µs` : `${ns.toFixed(1)} ns`;
}
