/**
 * Drives a server with autocannon, every response checked. The caller plans request `i` (method, path,
 * body, which statuses it may get and how to tell a right answer); this module sends `amount` of them over
 * `connections` keep-alive connections and tallies the outcome by kind and status. Used by
 * `npm run bench:memory` and `npm run soak`.
 *
 * autocannon calls setupRequest for each request a connection sends and onResponse with the same
 * per-connection context when its answer arrives; with one request in flight per connection (no
 * pipelining) the context holds exactly the plan of the request being answered.
 */
import autocannon from 'autocannon';

export interface CheckedRequest {
  /** How the request is counted in the tally ("apply", "batch", "delete", …). */
  kind: string;
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  /** A JSON body, sent with content-type: application/json. */
  body?: string;
  /** The statuses it may legitimately get; any other is unexpected. */
  accepts: readonly number[];
  /** Whether the body is the right answer for an accepted status. */
  isRight: (status: number, body: string) => boolean;
}

export interface KindTally {
  sent: number;
  statuses: Record<number, number>;
}

export interface LoadTally {
  sent: number;
  responses: number;
  byKind: Record<string, KindTally>;
  /** Accepted statuses with a wrong body. */
  wrong: number;
  /** Statuses the request did not accept (5xx among them). */
  unexpected: number;
  serverErrors: number;
  /** autocannon's own counts: connection errors (timeouts included), timeouts, and every non-2xx. */
  errors: number;
  timeouts: number;
  non2xx: number;
  /** When the first request was planned and the last answer arrived (performance.now(), in ms). */
  startedAt: number;
  finishedAt: number;
  /** From the first request to the last answer: autocannon itself reports only at its next 1-second tick. */
  seconds: number;
  requestsPerSecond: number;
  /** The first few problems, described, for the report. */
  problems: string[];
}

export interface LoadOptions {
  amount: number;
  connections: number;
  plan: (i: number) => CheckedRequest;
  /** Stops sending when aborted; what was answered so far is tallied. */
  signal?: AbortSignal;
  /**
   * Told of every answer: its request, status, headers (names in lower case) and the time from planning
   * the request to its answer, in ms (the request is sent as soon as it is planned).
   */
  observe?: (
    planned: CheckedRequest,
    status: number,
    headers: Record<string, string>,
    latencyMs: number,
  ) => void;
}

const PROBLEMS_KEPT = 10;

/** A tally of no requests, for a phase that never ran. */
export function emptyTally(): LoadTally {
  return {
    sent: 0,
    responses: 0,
    byKind: {},
    wrong: 0,
    unexpected: 0,
    serverErrors: 0,
    errors: 0,
    timeouts: 0,
    non2xx: 0,
    startedAt: performance.now(),
    finishedAt: performance.now(),
    seconds: 0,
    requestsPerSecond: 0,
    problems: [],
  };
}

export async function driveChecked(url: string, options: LoadOptions): Promise<LoadTally> {
  const { amount, connections, plan, signal, observe } = options;
  const tally = emptyTally();
  const kindTally = (kind: string) => {
    tally.byKind[kind] ??= { sent: 0, statuses: {} };
    return tally.byKind[kind];
  };
  const problem = (text: string) => {
    if (tally.problems.length < PROBLEMS_KEPT) tally.problems.push(text);
  };
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections: Math.min(connections, amount),
        amount,
        requests: [
          {
            setupRequest: (request, context) => {
              const planned = plan(tally.sent);
              tally.sent += 1;
              kindTally(planned.kind).sent += 1;
              (context as { planned?: CheckedRequest }).planned = planned;
              (context as { plannedAt?: number }).plannedAt = performance.now();
              const headers = planned.body === undefined ? {} : { 'content-type': 'application/json' };
              return {
                ...request,
                method: planned.method,
                path: planned.path,
                headers: { ...request.headers, ...headers },
                body: planned.body ?? '',
              };
            },
            onResponse: (status, body, context, headers) => {
              const planned = (context as { planned?: CheckedRequest }).planned;
              tally.responses += 1;
              tally.finishedAt = performance.now();
              if (observe !== undefined && planned !== undefined) {
                const lowerCase: Record<string, string> = {};
                for (const [name, value] of Object.entries(headers ?? {}))
                  lowerCase[name.toLowerCase()] = String(value);
                const latencyMs = tally.finishedAt - ((context as { plannedAt?: number }).plannedAt ?? 0);
                observe(planned, status, lowerCase, latencyMs);
              }
              if (status >= 500) tally.serverErrors += 1;
              if (planned === undefined) {
                tally.unexpected += 1;
                problem(`${status} for a request whose plan was lost`);
                return;
              }
              const statuses = kindTally(planned.kind).statuses;
              statuses[status] = (statuses[status] ?? 0) + 1;
              if (!planned.accepts.includes(status)) {
                tally.unexpected += 1;
                problem(`${planned.method} ${planned.path}: status ${status}: ${body.slice(0, 200)}`);
              } else if (!planned.isRight(status, body)) {
                tally.wrong += 1;
                problem(`${planned.method} ${planned.path}: wrong answer (${status}): ${body.slice(0, 200)}`);
              }
            },
          },
        ],
      },
      (error, finished) => (error ? reject(error) : resolve(finished)),
    );
    if (signal?.aborted) instance.stop();
    signal?.addEventListener('abort', () => instance.stop(), { once: true });
  });
  if (tally.responses === 0) tally.finishedAt = performance.now();
  tally.seconds = (tally.finishedAt - tally.startedAt) / 1000;
  tally.requestsPerSecond = tally.responses / tally.seconds;
  tally.errors = result.errors;
  tally.timeouts = result.timeouts;
  tally.non2xx = result.non2xx;
  return tally;
}
