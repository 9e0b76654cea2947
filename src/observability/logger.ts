/**
 * The service's logger: one pino logger that every request shares.
 *
 * Fastify gives each request a child logger bound to its id. pino's child() costs a few hundred
 * nanoseconds and an allocation per request, for lines that at `info` are never written (see
 * request-logging.ts), so requests share the service's logger instead, and the few per-request lines
 * (errors, and everything at debug) name the request id themselves.
 *
 * How requests come to share it matters for speed too. A custom `childLoggerFactory` that returns the
 * logger works, but Fastify then checks, on every request, that what the factory returned has a logger's
 * seven methods, a cost this logger avoids (docs/decisions.md, "Smaller choices in the hot paths", has
 * the A/B). Fastify trusts its default factory, which calls the logger's own child(): so the logger handed to Fastify is a view of the pino
 * logger whose child() returns the view itself. It inherits everything else from pino (levels,
 * serializers, destination) the way pino's own children do, by prototype.
 *
 * Above debug, Fastify gets no logger at all (app.ts, through `isDebugEnabled` below). While Fastify has
 * a logger, it sets up listeners on every request's response to time it for the line it would write at
 * the end (lib/route.js, setupResponseListeners), and at info no such line is written (request-logging.ts).
 * Instead app.ts makes `app.log`, which every plugin scope inherits, this logger: the service's own lines,
 * Fastify's lines about the server and those it writes through the log controller keep going to it.
 * `request.log` and `reply.log` are then a logger that drops everything, so the service never uses them.
 */
import type { FastifyBaseLogger } from 'fastify';
import pino, { type DestinationStream } from 'pino';
import pretty from 'pino-pretty';
import type { LogLevel } from '../config.js';

export interface ServiceLoggerOptions {
  level: LogLevel;
  /**
   * Where lines go (tests collect them). Unless given: standard output, as JSON lines, or, when it is a
   * terminal (a person ran `npm start`), as lines made readable by pino-pretty, as fastify/demo does.
   */
  destination?: DestinationStream;
}

/**
 * The shared logger, or undefined at `silent`: Fastify then gets no logger, and does none of the work
 * that logging needs per request.
 */
export function createServiceLogger(options: ServiceLoggerOptions): FastifyBaseLogger | undefined {
  if (options.level === 'silent') return undefined;
  const settings = { level: options.level };
  const destination =
    options.destination ?? (process.stdout.isTTY ? pretty({ translateTime: 'SYS:HH:MM:ss.l' }) : undefined);
  const base = destination ? pino(settings, destination) : pino(settings);
  const shared = Object.create(base) as FastifyBaseLogger;
  shared.child = () => shared;
  return shared;
}

/** pino answers isLevelEnabled(); Fastify's type for a logger does not promise it, so ask carefully. */
export function isDebugEnabled(logger: FastifyBaseLogger): boolean {
  return (logger as { isLevelEnabled?: (level: string) => boolean }).isLevelEnabled?.('debug') ?? false;
}
