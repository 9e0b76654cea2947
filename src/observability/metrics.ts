/**
 * The service's metrics, with one owner: this module makes the Prometheus registry (prom-client; one per
 * app, so that several apps in one process, the tests, do not mix their figures), the HTTP server that
 * times every request, the route label each response carries to the request histogram, and the figures
 * the JIT and the connection budget report. plugins/app/metrics.ts names each request's route and serves
 * the registry at GET /metrics; app.ts sets the server's timeouts, whoever made the server.
 *
 * Requests are timed by Node's server itself, made from request and response classes of our own, rather
 * than by Fastify's onResponse hook or Node's diagnostics channels. While an app has an onResponse hook,
 * Fastify sets up `finish` and `error` listeners, a closure and two clock reads on every request
 * (lib/route.js, setupResponseListeners), and on Node.js 24 the heap test then saw kilobytes a request
 * promoted to the old generation; with the `http.server.request.start` and `…response.finish` channels, a
 * request's start time and route go into side tables, and the paired benchmark measured more CPU a
 * request, beyond its spread (docs/decisions.md has both). So a request is stamped when Node builds it (its
 * head has been parsed), and observed when Fastify ends its response; requests made with inject() (no
 * HTTP server) are not observed. Fastify's `https` and `http2` options do not apply to a server made here;
 * the service takes neither, and TLS ends in front of it.
 *
 * The hot path pays for one histogram observation per request, into a RecordingHistogram series looked up
 * in small maps (route, method, status: each from a bounded set). The JIT's counters cost nothing per
 * request: they are read from the registry's own counters when Prometheus scrapes.
 */
import { createServer, IncomingMessage, type Server, type ServerOptions, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { BuildInfo } from '../build-info.js';
import type { RegistryStats } from '../jit/registry.js';
import { type HistogramSeries, RecordingHistogram } from './recording-histogram.js';

type RequestLabel = 'method' | 'route' | 'status_code';

/** The route label of a response that no route answered: 404s, and URLs Fastify refused before routing. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * A request stamped with the time Node built it. Fields every request and response has from construction,
 * not properties added later: those give Node's objects a second hidden class, which the stream code every
 * request runs through then has to handle.
 */
class TimedRequest extends IncomingMessage {
  readonly startedAt = performance.now();
}

/** A response that knows the route answering it (the servers made here make no other kind). */
interface RoutedResponse extends ServerResponse {
  route: string;
}

/** Labels `response` with the pattern of the route that answers it (`/adders/:n/apply`). */
export function nameRoute(response: ServerResponse, route: string): void {
  // Responses no timed server made (inject()'s) are not observed: the label would go nowhere.
  if ('route' in response) (response as RoutedResponse).route = route;
}

export interface ServiceMetricsOptions {
  /** REQUEST_TIMEOUT_MS: the longest a request may take, and so the request histogram's last bucket. */
  requestTimeoutMs: number;
  /** What babyjit_build_info reports. */
  build: BuildInfo;
}

/**
 * prom-client's default metrics include three gauges named like counters, which `promtool check metrics`
 * refuses ("non-counter metrics should not have _total suffix"). Each is the sum of the gauge by type
 * beside it (`nodejs_active_handles{type}` and so on), so they are left out and nothing is lost:
 * `sum(nodejs_active_handles)` is the total.
 */
export const MISNAMED_DEFAULT_METRICS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
] as const;

/** Request durations: fine steps up to a second, where nearly every request falls, then coarser ones. */
const REQUEST_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 2.5, 5, 10, 30, 60, 300,
  900,
];

/**
 * The request histogram's buckets: REQUEST_BUCKETS up to the request timeout, and the timeout itself last,
 * since a request may take that long (its body arriving slowly) and no longer.
 */
export function requestDurationBuckets(requestTimeoutMs: number): number[] {
  const timeout = requestTimeoutMs / 1000;
  return [...REQUEST_BUCKETS.filter((bound) => bound < timeout), timeout];
}

export class ServiceMetrics {
  readonly registry = new Registry();
  readonly #requestDuration: RecordingHistogram<RequestLabel>;
  readonly #compileDuration: HistogramSeries;
  /** route → method → status code → series, so that a request finds its series without building a key. */
  readonly #requestSeries = new Map<string, Map<string, Map<number, HistogramSeries>>>();
  readonly #refusedConnections: Counter;
  readonly #maxConnections: Gauge;

  /** `stats` is read at scrape time; it is a function because the JIT registry is made after this. */
  constructor(stats: () => RegistryStats | undefined, options: ServiceMetricsOptions) {
    collectDefaultMetrics({ register: this.registry });
    for (const name of MISNAMED_DEFAULT_METRICS) this.registry.removeSingleMetric(name);
    this.#requestDuration = new RecordingHistogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration, from the request arriving to the response being written',
      labelNames: ['method', 'route', 'status_code'],
      buckets: requestDurationBuckets(options.requestTimeoutMs),
      registers: [this.registry],
    });
    this.#compileDuration = new RecordingHistogram({
      name: 'jit_compile_duration_seconds',
      help: 'Time to compile one adder: map a page, write the code, seal it executable',
      labelNames: [],
      buckets: [0.000005, 0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.001, 0.01],
      registers: [this.registry],
    }).series({});

    // Monotonic counters mirror the JIT registry's own: each scrape adds what happened since the last.
    const mirrored: Array<
      ['compiles' | 'hits' | 'misses' | 'evictions' | 'pressureEvictions', string, string]
    > = [
      ['compiles', 'jit_compiles_total', 'Adders compiled'],
      ['hits', 'jit_cache_hits_total', 'Lookups that found the adder compiled'],
      ['misses', 'jit_cache_misses_total', 'Lookups that had to compile'],
      [
        'evictions',
        'jit_evictions_total',
        'Adders evicted, least recently used first, to stay within capacity',
      ],
      [
        'pressureEvictions',
        'jit_pressure_evictions_total',
        'Adders evicted below capacity because the kernel refused memory for a new page',
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
    const { version, runtime } = options.build;
    new Gauge({
      name: 'babyjit_build_info',
      help: 'The service’s version, its runtime, and the target and level its JIT generates code for (value always 1)',
      labelNames: ['version', 'runtime', 'target', 'level'],
      registers: [this.registry],
      collect() {
        const current = stats();
        this.reset();
        if (current !== undefined)
          this.set({ version, runtime, target: current.target, level: current.level }, 1);
      },
    });
    new Gauge({
      name: 'jit_kernel_info',
      help: 'The target and instruction-set level the JIT generates batch kernels for (value always 1)',
      labelNames: ['target', 'level'],
      registers: [this.registry],
      collect() {
        const current = stats();
        this.reset();
        if (current !== undefined) this.set({ target: current.target, level: current.level }, 1);
      },
    });
    this.#refusedConnections = new Counter({
      name: 'http_connections_refused_total',
      help: 'Connections closed as soon as they were accepted: the service held its connection budget',
      registers: [this.registry],
    });
    this.#maxConnections = new Gauge({
      name: 'http_connections_max',
      help: 'The connection budget: the most connections the service holds at once',
      registers: [this.registry],
    });
    const gauges: Array<['live' | 'mappedBytes', string, string]> = [
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

  /**
   * Fastify's serverFactory: Node's HTTP server, with Fastify's `http` options (Node's own), made with the
   * two classes that time its responses. It sets no timeout: app.ts sets them on whichever server Fastify
   * has, this one or its own.
   */
  readonly serverFactory = (
    handler: (request: IncomingMessage, response: ServerResponse) => void,
    options: { http?: ServerOptions },
  ): Server => {
    const observe = this.observeRequest;
    // One class per server, so that its responses report to this registry without a lookup.
    class ObservedResponse extends ServerResponse<TimedRequest> implements RoutedResponse {
      route = UNMATCHED_ROUTE;
      #observed = false;

      // Fastify ends each response once, with its whole payload; observe the first end only.
      override end(chunk?: unknown, encoding?: unknown, callback?: unknown): this {
        if (!this.#observed) {
          this.#observed = true;
          const request = this.req;
          observe(
            request.method ?? 'UNKNOWN',
            this.route,
            this.statusCode,
            (performance.now() - request.startedAt) / 1000,
          );
        }
        // biome-ignore lint/suspicious/noExplicitAny: end() is overloaded; its arguments pass through as given.
        return (super.end as (...args: any[]) => this)(chunk, encoding, callback);
      }
    }
    return createServer(
      { ...options.http, IncomingMessage: TimedRequest, ServerResponse: ObservedResponse },
      handler as (request: TimedRequest, response: ObservedResponse) => void,
    ) as unknown as Server;
  };

  /**
   * One request's duration, as the server's responses report it when they end. `route` is the route's
   * pattern (`/adders/:n/apply`) or UNMATCHED_ROUTE, never the URL, so that series stay bounded.
   */
  readonly observeRequest = (method: string, route: string, statusCode: number, seconds: number): void => {
    let byMethod = this.#requestSeries.get(route);
    if (byMethod === undefined) {
      byMethod = new Map();
      this.#requestSeries.set(route, byMethod);
    }
    let byStatus = byMethod.get(method);
    if (byStatus === undefined) {
      byStatus = new Map();
      byMethod.set(method, byStatus);
    }
    let series = byStatus.get(statusCode);
    if (series === undefined) {
      series = this.#requestDuration.series({ method, route, status_code: statusCode });
      byStatus.set(statusCode, series);
    }
    series.observe(seconds);
  };

  /** The connection budget (connection-budget.ts), and each connection it refused. */
  setConnectionBudget(maxConnections: number): void {
    this.#maxConnections.set(maxConnections);
  }

  readonly observeRefusedConnection = (): void => {
    this.#refusedConnections.inc();
  };

  /** Passed to the JIT registry, which calls it after each compile. */
  readonly observeCompile = (seconds: number): void => {
    this.#compileDuration.observe(seconds);
  };
}
