/**
 * Every request's id: the one its log lines carry as `reqId`, echoed in its answer's `X-Request-Id` and
 * quoted in a 500's message, so that a client reporting a failure names the lines that explain it.
 *
 * A proxy or client that already gave the request an id keeps it, so that one id follows the request
 * through every hop: an `X-Request-Id` that is a plain token (REQUEST_ID_PATTERN), or else the trace id of
 * a W3C `traceparent` (https://www.w3.org/TR/trace-context/). Anything else is ignored, not quoted: the id
 * is written into the log and into answers, so the client may not put arbitrary text there. A request
 * without a usable one gets a random UUID, unique across processes and restarts (Fastify's default, a
 * counter per process, repeats `req-1` on every replica and after every restart).
 *
 * Fastify's own `requestIdHeader` takes the header's value as it is, whatever it holds; hence this
 * function, given to Fastify as `genReqId`.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** The request and response header that carries the id. */
export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * What a client's id may be: 1 to 64 characters from the URL-safe and base64 alphabets and `.:=`, enough
 * for UUIDs, ULIDs, hex and base64 ids and the `Root=1-…` ids some load balancers make, and nothing that
 * needs quoting in a log or a header.
 */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:=+/-]{1,64}$/;

/**
 * A `traceparent` (W3C Trace Context, level 1): version, trace id, parent id, flags, in lower-case hex.
 * Version ff is invalid; a later version than 00 may append fields, which are ignored.
 */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}(-|$)/;
/** All zeros is no id, for the trace and for the parent alike. */
const ZEROS = /^0+$/;

/** Fastify's `genReqId`: the client's id if it is usable, a new one otherwise. */
export function requestIdOf(request: IncomingMessage): string {
  const given = request.headers[REQUEST_ID_HEADER];
  if (typeof given === 'string' && REQUEST_ID_PATTERN.test(given)) return given;
  const traceparent = request.headers.traceparent;
  if (typeof traceparent === 'string') {
    const trace = traceIdOf(traceparent);
    if (trace !== undefined) return trace;
  }
  return newRequestId();
}

/** A new id, for a request that brought none; also for answers written before there is a request. */
export function newRequestId(): string {
  return randomUUID();
}

/** The trace id of a valid `traceparent`, or undefined. */
export function traceIdOf(traceparent: string): string | undefined {
  const match = TRACEPARENT.exec(traceparent);
  if (match === null) return undefined;
  const [, version, traceId = '', parentId = ''] = match;
  if (version === 'ff' || ZEROS.test(traceId) || ZEROS.test(parentId)) return undefined;
  // Version 00 has exactly four fields.
  if (version === '00' && traceparent.length !== 55) return undefined;
  return traceId;
}
