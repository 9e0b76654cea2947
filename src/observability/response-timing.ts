/**
 * Times every response of the HTTP server, with Node's server made from request and response classes of
 * our own, instead of Fastify's onResponse hook or Node's diagnostics channels.
 *
 * Why not an onResponse hook: while an app has one, Fastify sets up `finish` and `error` listeners, a
 * closure and two clock reads on every request (lib/route.js, setupResponseListeners), and on Node.js 24
 * the heap test then saw kilobytes a request promoted to the old generation. Why not Node's
 * `http.server.request.start` and `http.server.response.finish` channels: a request's start time and
 * route then go into side tables, and the paired benchmark measured more CPU a request, beyond its
 * spread. The figures are in docs/decisions.md.
 *
 * Fastify's own server options (https, http2) do not apply to a server made here; the service takes no
 * such option, and TLS ends in front of it.
 *
 * So a request is stamped when Node builds it (its head has been parsed), and observed when Fastify ends
 * its response. Not observed: requests made with inject() (no HTTP server is involved).
 *
 * Fields every request and response has from construction, not properties added later: those give Node's
 * objects a second hidden class, which the stream code every request runs through then has to handle.
 */
import { createServer, IncomingMessage, type Server, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';

/** The route label of a response that no route answered: 404s, and URLs Fastify refused before routing. */
export const UNMATCHED_ROUTE = 'unmatched';

/** Called once per response, when it is ended: `route` is a route pattern or UNMATCHED_ROUTE, never a URL. */
export type ResponseObserver = (method: string, route: string, statusCode: number, seconds: number) => void;

/** A request stamped with the time Node built it. */
class TimedRequest extends IncomingMessage {
  readonly startedAt = performance.now();
}

/** A response that knows the route answering it, and reports itself to its server's observer once ended. */
interface RoutedResponse extends ServerResponse {
  route: string;
}

/** Labels `response` with the pattern of the route that answers it (`/adders/:n/apply`). */
export function nameRoute(response: ServerResponse, route: string): void {
  // Responses no timed server made (inject()'s) are not observed: the label would go nowhere.
  if ('route' in response) (response as RoutedResponse).route = route;
}

export interface TimedServerOptions {
  keepAliveTimeout?: number;
  requestTimeout?: number;
  connectionTimeout?: number;
}

/**
 * Node's HTTP server, made with the two classes that time its responses for `observe`, and the timeouts
 * Fastify sets on the servers it makes itself (`options` are Fastify's: this is a serverFactory).
 */
export function createTimedServer(
  handler: (request: IncomingMessage, response: ServerResponse) => void,
  options: TimedServerOptions,
  observe: ResponseObserver,
): Server {
  // One class per server, so that its responses report to its observer without a lookup.
  class ObservedResponse extends ServerResponse<TimedRequest> {
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
  const server = createServer(
    // The service answers a request without Host itself, in its error shape (connection-guard.ts).
    { IncomingMessage: TimedRequest, ServerResponse: ObservedResponse, requireHostHeader: false },
    handler as (request: TimedRequest, response: ObservedResponse) => void,
  ) as unknown as Server;
  if (options.keepAliveTimeout !== undefined) server.keepAliveTimeout = options.keepAliveTimeout;
  if (options.requestTimeout !== undefined) server.requestTimeout = options.requestTimeout;
  server.setTimeout(options.connectionTimeout ?? 0);
  return server;
}
