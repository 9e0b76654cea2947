/**
 * The headers the service adds to its answers, in one place:
 *
 * - on every answer, whoever writes it: the request's id (observability/request-id.ts says where it comes
 *   from), and `X-Content-Type-Options: nosniff`, so that no browser takes a JSON answer, or an error
 *   quoting a client's text, for HTML or a script. Fastify's answers get them from the onRequest hook
 *   every request passes first (connection-guard.ts's guardRequest) and from the errors plugin for errors
 *   raised before routing; the answers written outside Fastify (client-errors.ts, connection-guard.ts's
 *   417) take them from `everyAnswerHeaders` or `everyAnswerHeaderLines`.
 * - on the HTML pages (the explorer, Swagger UI), each page's Content-Security-Policy, which forbids
 *   framing by other sites among the rest, and no referrer.
 *
 * A hook of our own rather than @fastify/helmet: the service needs two headers on every answer and a
 * policy per page, each written here in a line; helmet's dozen defaults are for sites that serve pages
 * from many routes, and its CSP would be replaced on both pages anyway.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { REQUEST_ID_HEADER } from '../observability/request-id.js';

const NO_SNIFF = ['x-content-type-options', 'nosniff'] as const;

/** The headers every answer carries, for the answers written outside Fastify. */
export function everyAnswerHeaders(requestId: string): Record<string, string> {
  return { [REQUEST_ID_HEADER]: requestId, [NO_SNIFF[0]]: NO_SNIFF[1] };
}

/** The same, as the lines of a response head written by hand. */
export function everyAnswerHeaderLines(requestId: string): string {
  return Object.entries(everyAnswerHeaders(requestId))
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
}

/** Sets the headers every answer carries on a Fastify reply. */
export function stampAnswer(request: FastifyRequest, reply: FastifyReply): void {
  reply.header(REQUEST_ID_HEADER, request.id);
  reply.header(NO_SNIFF[0], NO_SNIFF[1]);
}

/** Gives every answer of `scope`, an HTML page's, its Content-Security-Policy and no referrer. */
export function protectPage(scope: FastifyInstance, contentSecurityPolicy: string): void {
  scope.addHook('onSend', async (_request, reply) => {
    reply.header('content-security-policy', contentSecurityPolicy);
    reply.header('referrer-policy', 'no-referrer');
  });
}
