/**
 * The service's Prometheus metrics (prom-client), one registry per app so that several apps in one
 * process (the tests) do not mix their figures.
 *
 * The hot path pays for one histogram observation per request. The JIT's counters cost nothing per
 * request: they are read from the registry's own counters when Prometheus scrapes.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { RegistryStats } from './jit/registry.js';

export class ServiceMetrics {
  readonly registry = new Registry();
  readonly #requestDuration: Histogram<'method' | 'route' | 'status_code'>;
  readonly #compileDuration: Histogram;

  /** `stats` is read at scrape time; it is a function because the JIT registry is made after this. */
  constructor(stats: () => RegistryStats | undefined) {
    collectDefaultMetrics({ register: this.registry });
    this.#requestDuration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration, from the request arriving to the response being written',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [this.registry],
    });
    this.#compileDuration = new Histogram({
      name: 'jit_compile_duration_seconds',
      help: 'Time to compile one adder: map a page, write the code, seal it executable',
      buckets: [0.000005, 0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.001, 0.01],
      registers: [this.registry],
    });

    // Monotonic counters mirror the JIT registry's own: each scrape adds what happened since the last.
    const mirrored: Array<[keyof RegistryStats, string, string]> = [
      ['compiles', 'jit_compiles_total', 'Adders compiled'],
      ['hits', 'jit_cache_hits_total', 'Lookups that found the adder compiled'],
      ['misses', 'jit_cache_misses_total', 'Lookups that had to compile'],
      [
        'evictions',
        'jit_evictions_total',
        'Adders evicted, least recently used first, to stay within capacity',
      ],
    ];
    for (const [field, name, help] of mirrored) {
      let seen = 0;
      new Counter({
        name,
        help,
        registers: [this.registry],
        collect() {
          const current = stats()?.[field] ?? seen;
          if (current > seen) this.inc(current - seen);
          seen = current;
        },
      });
    }
    const gauges: Array<[keyof RegistryStats, string, string]> = [
      ['live', 'jit_live_pages', 'Executable pages mapped for live adders'],
      ['mappedBytes', 'jit_mapped_bytes', 'Bytes of executable memory mapped for live adders'],
    ];
    for (const [field, name, help] of gauges) {
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.set(stats()?.[field] ?? 0);
        },
      });
    }
  }

  observeRequest(method: string, route: string, statusCode: number, seconds: number): void {
    this.#requestDuration.observe({ method, route, status_code: statusCode }, seconds);
  }

  /** Passed to the JIT registry, which calls it after each compile. */
  readonly observeCompile = (seconds: number): void => {
    this.#compileDuration.observe(seconds);
  };
}
