/**
 * Builds the babyjit Fastify application from options, without listening: the tests drive it directly,
 * and server.ts adds configuration and the process's lifecycle around it.
 */
import type { Server } from 'node:http';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import adderRoutes from '../../routes/adders.js';
import healthRoutes from '../../routes/health.js';
import { BUILD_INFO } from '../build-info.js';
import { type Config, DEFAULT_CONFIG } from '../config.js';
import type { RegistryOptions, RegistryStats } from '../jit/registry.js';
import { isDebugEnabled } from '../observability/logger.js';
import { ServiceMetrics } from '../observability/metrics.js';
import { requestIdOf } from '../observability/request-id.js';
import { RequestLogController } from '../observability/request-logging.js';
import { HELD_BATCHES } from './binary-batch.js';
import { answerClientError } from './client-errors.js';
import { connectionBudget, limitConnections, memoryLimit, openFileLimit } from './connection-budget.js';
import { guardConnections } from './connection-guard.js';
import errorsPlugin, { replyWithError } from './errors.js';
import { parseJsonBodiesAsWritten } from './json-body.js';
import { openConnectionsOf } from './open-connections.js';
import compileQuotaPlugin from './plugins/app/compile-quota.js';
import jitPlugin from './plugins/app/jit.js';
import loadSheddingPlugin from './plugins/app/load-shedding.js';
import metricsPlugin from './plugins/app/metrics.js';
import shutdownPlugin from './plugins/app/shutdown.js';
import explorerPlugin from './plugins/external/static.js';
import docsPlugin from './plugins/external/swagger.js';
import { ErrorResponse } from './schemas/common.js';
import { formatValidationError } from './validation-messages.js';

/** The configuration the app uses (config.ts; server.ts passes what the environment says). */
export type AppSettings = Omit<Config, 'port' | 'host' | 'logLevel'>;

export interface AppOptions extends Partial<AppSettings> {
  /** The service's logger (logger.ts); none in most tests. */
  logger?: FastifyBaseLogger;
  /** How often the event-loop delay is sampled, ms (tests shorten it; a second otherwise). */
  eventLoopSampleIntervalMs?: number;
  /** The compile quota's window, ms (tests shorten it; a minute otherwise). */
  compileQuotaWindowMs?: number;
  /** Replaces how a term's page is made: tests use it to simulate a host out of memory. */
  jitCompile?: RegistryOptions['compile'];
}

/** How often Node checks every connection against the request and headers timeouts (its default: 30 s). */
export const TIMEOUT_CHECK_INTERVAL_MS = 1_000;

export async function buildApp(options: AppOptions = {}): Promise<FastifyInstance> {
  const settings = withDefaults(options);
  const log = options.logger;
  // Fastify's per-request timing serves only the line per request written at debug and trace (logger.ts).
  const fastifyLogs = log !== undefined && isDebugEnabled(log);
  // `stats` is read at scrape time, once the app below exists.
  const metrics: ServiceMetrics | undefined = !settings.metrics
    ? undefined
    : new ServiceMetrics((): RegistryStats | undefined => app.jit?.stats(), {
        requestTimeoutMs: settings.requestTimeoutMs,
        build: BUILD_INFO,
      });
  const app: FastifyInstance = Fastify({
    // With metrics, Node's server times every response itself (observability/metrics.ts says why).
    ...(metrics ? { serverFactory: metrics.serverFactory } : {}),
    // Fastify gets the logger only at debug and below, and every request shares it (logger.ts says why).
    ...(fastifyLogs ? { loggerInstance: log } : {}),
    logController: new RequestLogController(log),
    // The client's id when it is a usable one, a random UUID otherwise (request-id.ts).
    genReqId: requestIdOf,
    // Bodies are small JSON documents; routes set tighter limits of their own.
    bodyLimit: 256 * 1024,
    // The service answers a request without Host itself, in its error shape (connection-guard.ts).
    http: { requireHostHeader: false },
    // X-Forwarded-For is believed only from these peers (TRUSTED_PROXIES), so that the compile quota
    // counts a client behind the sharding proxy by its own address, and a client that writes the header
    // itself gains nothing.
    trustProxy: settings.trustedProxies.length > 0 ? [...settings.trustedProxies] : false,
    ajv: {
      customOptions: {
        // Never coerce: "5" is not an integer body field, and path/query integers are parsed strictly
        // by the routes. Never drop unknown fields silently: they are a client's mistake to report.
        coerceTypes: false,
        removeAdditional: false,
        allErrors: false,
      },
    },
    schemaErrorFormatter: formatValidationError,
    // A path segment longer than this cannot hold a term: refused before routing (414). Segments of 12 to
    // 64 characters reach the route's schema, which refuses them with a 400 naming the parameter.
    routerOptions: { maxParamLength: 64 },
    // While closing, a request on a connection the server had accepted is served, not refused: the
    // listening socket is closed first and /readyz answers 503, so load balancers stop sending, and the
    // requests still arriving were sent before they knew (see plugins/shutdown.ts).
    return503OnClosing: false,
    // Errors raised before routing (a malformed URL, a path parameter over maxParamLength) skip the error
    // handler; give them the same shape as every other error.
    frameworkErrors: replyWithError,
    // And requests Node's HTTP parser refuses before Fastify sees them (client-errors.ts).
    clientErrorHandler: answerClientError,
  }).withTypeProvider<TypeBoxTypeProvider>();
  // Without a logger of its own, Fastify's `log` is one that drops everything; the service's lines, and
  // Fastify's own about the server, go to the service's logger all the same. Every plugin scope inherits it.
  if (log !== undefined && !fastifyLogs) app.log = log;
  applyTimeouts(app.server, settings);
  keepServingHalfClosedConnections(app.server);
  // Tracked from the first connection on: the shutdown and the answers to refused requests ask it.
  openConnectionsOf(app.server);

  // JSON bodies only: Fastify would otherwise also parse text/plain, which no route takes (415 instead).
  // Binary batches are parsed only on the route that takes them, in a scope of its own (routes/adders.ts).
  app.removeContentTypeParser('text/plain');
  parseJsonBodiesAsWritten(app);
  guardConnections(app, app.server);
  app.addSchema(ErrorResponse);
  await app.register(errorsPlugin);
  await app.register(jitPlugin, {
    capacity: settings.jitMaxAdders,
    blinding: settings.jitBlinding,
    isa: settings.jitIsa,
    compile: options.jitCompile,
    onCompile: metrics?.observeCompile,
  });
  // After the JIT plugin: what an adder holds follows its page size (connection-budget.ts).
  const budget =
    settings.maxConnections === 'auto'
      ? connectionBudget({
          fileLimit: openFileLimit(),
          memoryLimitBytes: memoryLimit(),
          capacity: settings.jitMaxAdders,
          pageBytes: app.jit.pageBytes,
          heldResultsBytes: HELD_BATCHES * settings.binaryBatchLimitBytes,
        })
      : { maxConnections: settings.maxConnections, limitedBy: 'MAX_CONNECTIONS' as const };
  limitConnections(app.server, budget.maxConnections, app.log, metrics?.observeRefusedConnection);
  metrics?.setConnectionBudget(budget.maxConnections);
  app.log.info(
    budget,
    `holding at most ${budget.maxConnections} connections (limited by ${budget.limitedBy})`,
  );
  // After the JIT plugin: its preClose hook (not ready) runs before this one's (stop accepting, and so on).
  await app.register(shutdownPlugin, { drainMs: settings.shutdownDrainMs });
  if (metrics) await app.register(metricsPlugin, { metrics });
  await app.register(docsPlugin, { version: BUILD_INFO.version });
  await app.register(explorerPlugin);
  await app.register(healthRoutes);
  // The adders get their own scope, where load shedding and the compile quota apply; health, metrics and
  // the docs stay outside it and answer under any load.
  await app.register(async (api) => {
    await api.register(loadSheddingPlugin, {
      maxEventLoopDelayMs: settings.maxEventLoopDelayMs,
      sampleIntervalMs: options.eventLoopSampleIntervalMs,
    });
    await api.register(compileQuotaPlugin, {
      compilesPerMinute: settings.compilesPerMinute,
      windowMs: options.compileQuotaWindowMs,
    });
    await api.register(adderRoutes, { binaryBatchLimitBytes: settings.binaryBatchLimitBytes });
  });
  return app;
}

/** `options` over DEFAULT_CONFIG, ignoring options given as undefined. */
function withDefaults(options: AppOptions): AppSettings {
  const settings: AppSettings = { ...DEFAULT_CONFIG };
  for (const key of Object.keys(settings) as Array<keyof AppSettings>) {
    const value = options[key];
    if (value !== undefined) (settings as Record<string, unknown>)[key] = value;
  }
  return settings;
}

/**
 * A client may close its sending side once its request is sent (RFC 9112, 9.6: that says nothing about its
 * interest in the answer). Node's server by default then aborts the request in progress and ends the
 * connection, cutting off a streamed binary batch's answer, and the body it had not yet added up; with
 * `httpAllowHalfOpen` (a property of Node's http.Server since its first versions, which Node kept when it
 * considered dropping it, nodejs/node#36819) it finishes the answer, then closes.
 */
function keepServingHalfClosedConnections(server: Server): void {
  (server as Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
}

/**
 * The timeouts that keep slow or idle clients from holding connections open forever: their one place, set
 * on Node's server itself, whether Fastify made it or metrics' serverFactory did (Fastify's own options for
 * them apply only to a server it makes). Node checks the request and headers timeouts on an interval, read
 * when the server starts listening, so its default of 30 s would let a request outlive its timeout by that
 * much.
 */
function applyTimeouts(server: Server, settings: AppSettings): void {
  server.requestTimeout = settings.requestTimeoutMs;
  server.headersTimeout = settings.headersTimeoutMs;
  server.keepAliveTimeout = settings.keepAliveTimeoutMs;
  server.setTimeout(settings.connectionTimeoutMs);
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval =
    TIMEOUT_CHECK_INTERVAL_MS;
}
