/**
 * One error shape for every failure, `{ statusCode, error, message }`, and the mapping from what went wrong
 * to a status. Only the client's mistakes are 4xx, with a message that names the field: errors that say
 * so by their type (HttpError, the JIT core's InputError, Fastify's own 4xx errors). A host out of memory
 * or forbidding executable memory is 503. Anything else (a RangeError from an invariant, a TypeError, a
 * stack overflow) is the service's own fault: a 500 with a generic message, its details and stack in the
 * log at `error`.
 */
import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import {
  AdderLeasedError,
  AllAddersLeasedError,
  ExecutableMemoryDeniedError,
  InputError,
  ReleasedError,
  SyscallError,
} from '../jit/errors.js';
import { excerpt } from '../jit/int32.js';
import { stampAnswer } from './response-headers.js';

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
}

export function errorBody(statusCode: number, message: string): ErrorBody {
  return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message };
}

/** An error with the HTTP status to answer; Fastify's own errors carry `statusCode` the same way. */
export class HttpError extends Error {
  readonly statusCode: number;
  constructor(statusCode: number, message: string) {
    super(message);
    this.statusCode = statusCode;
  }
}

/**
 * All a client learns of a fault of the service: the details are in the log, under the request's id, which
 * the client needs to quote (it is also in the answer's X-Request-Id).
 */
export function internalErrorMessage(requestId: string): string {
  return `internal error; it has been logged with request id ${requestId}`;
}

/**
 * Messages of Fastify's own errors that would quote the client's input back whole (a path of any length,
 * a content type): the client knows what it sent, and an answer never echoes more than a short excerpt.
 */
const FRAMEWORK_MESSAGES: Record<string, (error: FastifyError, request: FastifyRequest) => string> = {
  FST_ERR_BAD_URL: () => 'the request path is not a valid URL (it has a malformed percent-encoding)',
  FST_ERR_MAX_PARAM_LENGTH: () => 'a path segment is longer than 64 characters: no term is that long',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: (_error, request) =>
    `content type ${JSON.stringify(excerpt(request.headers['content-type'] ?? '', 64))} is not accepted here: ` +
    sendWhat(request),
};

/**
 * What a route takes as a body, from its schema (which the OpenAPI document also says): the content types
 * its `body.content` lists, JSON for a plain `body` schema, none without one.
 */
function sendWhat(request: FastifyRequest): string {
  const body = request.routeOptions.schema?.body as { content?: Record<string, unknown> } | undefined;
  if (body === undefined) return 'this route takes no body';
  return `send ${body.content === undefined ? 'application/json' : Object.keys(body.content).join(' or ')}`;
}

function classify(error: FastifyError | Error, request: FastifyRequest): ErrorBody {
  // Fastify's errors and HttpError say their status.
  const statusCode = (error as FastifyError).statusCode;
  if (typeof statusCode === 'number' && ((statusCode >= 400 && statusCode < 500) || statusCode === 503)) {
    const message = FRAMEWORK_MESSAGES[(error as FastifyError).code]?.(error as FastifyError, request);
    return errorBody(statusCode, message ?? error.message);
  }
  // The JIT core's InputError names the field and what it accepts: the client sent something else.
  if (error instanceof InputError) return errorBody(400, error.message);
  // Streams in progress hold their adders (binary-batch.ts): the state of the registry, not a fault.
  if (error instanceof AdderLeasedError) return errorBody(409, error.message);
  if (error instanceof AllAddersLeasedError) return errorBody(503, error.message);
  if (error instanceof ExecutableMemoryDeniedError) return errorBody(503, error.message);
  if (error instanceof SyscallError) {
    return errorBody(
      503,
      `the JIT could not get memory for an executable page: ${error.message}; retry later`,
    );
  }
  if (error instanceof ReleasedError)
    return errorBody(503, 'the service is shutting down; retry on another instance');
  return errorBody(500, internalErrorMessage(request.id));
}

/** Answers `error` in the common shape; used by the error handler and for Fastify's framework errors. */
export function replyWithError(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) {
  const body = classify(error, request);
  // Errors Fastify raises before routing skip the onRequest hook that stamps every other answer.
  stampAnswer(request, reply);
  // The service's logger: request.log writes nothing above debug (logger.ts).
  const log = request.server.log;
  if (body.statusCode === 500) log.error({ reqId: request.id, err: error }, 'request failed');
  // A host out of memory is the operator's to see, but as one line each: a stack trace per refused
  // compile would let a client fill the log with hundreds of identical traces while memory is short.
  else if (error instanceof SyscallError)
    log.warn(
      { reqId: request.id, syscall: error.syscall, errno: error.errnoName, statusCode: body.statusCode },
      error.message,
    );
  // The client's mistakes, quotas and load shedding are not failures of the service: at debug, so that no
  // client can flood the log, and an overloaded service does not spend what it has left on logging.
  else
    log.debug({ reqId: request.id, statusCode: body.statusCode, reason: body.message }, 'request rejected');
  // Load shedding and the compile quota say how long to wait; everything else that may pass, a second.
  if (body.statusCode === 503 && !reply.hasHeader('retry-after')) reply.header('retry-after', '1');
  return reply.code(body.statusCode).type('application/json; charset=utf-8').send(body);
}

async function errorsPlugin(app: FastifyInstance): Promise<void> {
  app.setErrorHandler(replyWithError);
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send(errorBody(404, `no route for ${request.method} ${excerpt(request.url.split('?')[0] ?? '')}`)),
  );
}

export default fp(errorsPlugin, { name: 'babyjit-errors', fastify: '5.x' });
