/**
 * A Prometheus histogram whose hot path costs a few array operations, for the one metric recorded on
 * every request.
 *
 * prom-client's Histogram builds a labels object and hashes the label values on every observe(), through a
 * child from labels() too: on every request, CPU that the paired benchmark tells apart (docs/decisions.md
 * has the figures; metrics.ts is the one user). Here a caller resolves its label values to a `series` once
 * and keeps it, and an observation is a bucket search and two increments, with nothing allocated. At scrape
 * time the histogram hands prom-client's registry the same values a prom-client Histogram would
 * (test/observability/recording-histogram.test.ts compares the two texts), so the exposition format,
 * escaping and registry stay prom-client's.
 */
import type { Metric, Registry } from 'prom-client';

export interface HistogramSeries {
  /** Records one observation, in the histogram's unit (seconds for durations). */
  observe(value: number): void;
}

interface SeriesState {
  labels: Record<string, string | number>;
  /** counts[i] = observations in (bounds[i-1], bounds[i]]; the last slot counts those above every bound. */
  counts: Float64Array;
  sum: number;
  count: number;
}

/** One sample line. As in prom-client's own histogram, `le` goes in `labels` and the series' labels in
 * `sharedLabels`, so the registry prints them in the same order (`{le="0.1",method="GET",…}`). */
interface ExportedValue {
  labels: Record<string, string | number>;
  sharedLabels: Record<string, string | number>;
  value: number;
  metricName: string;
}

export interface RecordingHistogramOptions<Label extends string> {
  name: string;
  help: string;
  labelNames: readonly Label[];
  /** Upper bounds, strictly increasing; +Inf is implied. */
  buckets: readonly number[];
  registers: Registry[];
}

export class RecordingHistogram<Label extends string> {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly #labelNames: readonly Label[];
  readonly #bounds: Float64Array;
  readonly #series = new Map<string, { state: SeriesState; handle: HistogramSeries }>();

  constructor(options: RecordingHistogramOptions<Label>) {
    const { buckets } = options;
    if (buckets.length === 0 || buckets.some((bound, i) => !(bound > (buckets[i - 1] ?? -Infinity)))) {
      throw new RangeError('buckets must be a non-empty, strictly increasing list of numbers');
    }
    this.name = options.name;
    this.help = options.help;
    this.#labelNames = options.labelNames;
    this.#bounds = Float64Array.from(buckets);
    for (const registry of options.registers) registry.registerMetric(this as unknown as Metric);
  }

  /**
   * The series for these label values, made on first use. Callers look it up once per distinct set of
   * values and keep it: the number of series must stay bounded (label values from a fixed set).
   */
  series(labels: Record<Label, string | number>): HistogramSeries {
    const key = this.#labelNames.map((name) => String(labels[name])).join('\u0000');
    let found = this.#series.get(key);
    if (found === undefined) {
      const state: SeriesState = {
        labels: Object.fromEntries(this.#labelNames.map((name) => [name, labels[name]])),
        counts: new Float64Array(this.#bounds.length + 1),
        sum: 0,
        count: 0,
      };
      const bounds = this.#bounds;
      const handle: HistogramSeries = {
        observe(value: number): void {
          if (!Number.isFinite(value)) throw new TypeError(`histogram value must be finite, got ${value}`);
          let slot = 0;
          while (slot < bounds.length && value > (bounds[slot] as number)) slot += 1;
          (state.counts[slot] as number) += 1;
          state.sum += value;
          state.count += 1;
        },
      };
      found = { state, handle };
      this.#series.set(key, found);
    }
    return found.handle;
  }

  /**
   * What prom-client's registry calls on resetMetrics(): every series counts from zero again. The series
   * stay (their callers hold them), so a scrape right after shows them with zeros.
   */
  reset(): void {
    for (const { state } of this.#series.values()) {
      state.counts.fill(0);
      state.sum = 0;
      state.count = 0;
    }
  }

  /** What prom-client's registry asks every metric for at scrape time: cumulative buckets, sum, count. */
  async get(): Promise<{
    name: string;
    help: string;
    type: string;
    aggregator: string;
    values: ExportedValue[];
  }> {
    const values: ExportedValue[] = [];
    for (const { state } of this.#series.values()) {
      let cumulative = 0;
      for (let slot = 0; slot <= this.#bounds.length; slot += 1) {
        cumulative += state.counts[slot] as number;
        const le = slot < this.#bounds.length ? (this.#bounds[slot] as number) : '+Inf';
        values.push({
          labels: { le },
          sharedLabels: state.labels,
          value: cumulative,
          metricName: `${this.name}_bucket`,
        });
      }
      const shared = { labels: {}, sharedLabels: state.labels };
      values.push({ ...shared, value: state.sum, metricName: `${this.name}_sum` });
      values.push({ ...shared, value: state.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}
