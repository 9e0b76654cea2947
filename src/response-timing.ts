/**
 * Times every response of one HTTP server from Node's diagnostics channels, not from Fastify's hooks.
 *
 * Why not an onResponse hook: while an app has one (or a logger), Fastify sets up listeners on every
 * request (lib/route.js, setupResponseListeners): two clock reads, a closure, `finish` and `error`
 * listeners added to the response and removed again, and the hook runner. Giving up both (this module,
 * and no Fastify logger above debug: logger.ts) took a warm apply from about 72,600 instructions to
 * 68,100 under callgrind. Node publishes `http.server.request.start` and `http.server.response.finish`
 * from code it runs on every request anyway, and builds their messages only while someone subscribes:
 * timing from them costs a clock read at each end and one property on each of Node's two objects.
 *
 * What the channels do not see: requests made with Fastify's inject() (no HTTP server is involved) and
 * responses that never finish (the client went away first), which an onResponse hook does not see either.
 *
 * The channels carry Node's request and response, not Fastify's: the route's pattern reaches the response
 * through `nameRoute`, which the metrics plugin calls for every routed request.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';

/** The route label of a response that no route answered: 404s, and URLs Fastify refused before routing. */
export const UNMATCHED_ROUTE = 'unmatched';

const kStartedAt = Symbol('babyjit.startedAt');
const kRoute = Symbol('babyjit.route');

type TimedRequest = IncomingMessage & { [kStartedAt]?: number };
type NamedResponse = ServerResponse & { [kRoute]?: string };

interface ExchangeMessage {
  request: TimedRequest;
  response: NamedResponse;
  server: Server;
}

/** Called once per finished response: `route` is a route pattern or UNMATCHED_ROUTE, never a URL. */
export type ResponseObserver = (method: string, route: string, statusCode: number, seconds: number) => void;

/** Labels `response` with the pattern of the route that answers it (`/adders/:n/apply`). */
export function nameRoute(response: ServerResponse, route: string): void {
  (response as NamedResponse)[kRoute] = route;
}

/**
 * Calls `observe` for every response `server` finishes from now on, with the time since Node parsed the
 * request's head. Returns the function that stops it: the channels are process-wide, so a subscriber left
 * behind would keep its server, and everything the observer holds, alive.
 */
export function timeResponses(server: Server, observe: ResponseObserver): () => void {
  const onStart = (message: unknown) => {
    const { request, server: from } = message as ExchangeMessage;
    if (from === server) request[kStartedAt] = performance.now();
  };
  const onFinish = (message: unknown) => {
    const { request, response, server: from } = message as ExchangeMessage;
    if (from !== server) return;
    const startedAt = request[kStartedAt];
    // Begun before timing started: its duration is unknown, so it is not counted rather than miscounted.
    if (startedAt === undefined) return;
    observe(
      request.method ?? 'UNKNOWN',
      response[kRoute] ?? UNMATCHED_ROUTE,
      response.statusCode,
      (performance.now() - startedAt) / 1000,
    );
  };
  subscribe('http.server.request.start', onStart);
  subscribe('http.server.response.finish', onFinish);
  return () => {
    unsubscribe('http.server.request.start', onStart);
    unsubscribe('http.server.response.finish', onFinish);
  };
}
