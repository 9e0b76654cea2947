/**
 * What the service logs per request. At `info`, nothing for a request that went well or was the client's
 * mistake: a line per request costs throughput (see docs/benchmarks.md) and would let any client flood
 * the log, while the metrics count every request by route and status anyway. At `debug`, one line per
 * request (Fastify's default is two at info). Failures of the service itself stay at `error`.
 *
 * Fastify writes its lines about requests through this controller, which writes them to the service's
 * logger, not to `request.log`: above debug Fastify has no logger of its own (logger.ts), and its
 * warnings about responses that failed while being written must still reach the log.
 */
import { type FastifyBaseLogger, type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import { isDebugEnabled } from './logger.js';

export class RequestLogController extends LogController {
  readonly #log: FastifyBaseLogger | undefined;

  /** `log`: the service's logger; none in most tests. */
  constructor(log: FastifyBaseLogger | undefined) {
    super();
    this.#log = log;
  }

  override incomingRequest(): void {}

  /** Called only while Fastify has the logger, that is at debug and below (logger.ts). */
  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    const log = this.#log;
    // At info this is never called; at debug, keep the check so that a raised level costs nothing.
    if (log === undefined || (!error && !isDebugEnabled(log))) return;
    const line = {
      reqId: request.id,
      method: request.method,
      url: request.url,
      statusCode: reply.statusCode,
      responseTimeMs: reply.elapsedTime,
    };
    if (error) log.error({ ...line, err: error }, 'request errored');
    else log.debug(line, 'request completed');
  }

  override routeNotFound(request: FastifyRequest): void {
    this.#log?.debug({ reqId: request.id, method: request.method, url: request.url }, 'route not found');
  }

  override streamError(error: Error & { code?: string }, request: FastifyRequest): void {
    if (error.code === 'ERR_STREAM_PREMATURE_CLOSE') {
      this.#log?.debug({ reqId: request.id }, 'response stream closed before it ended');
    } else {
      this.#log?.warn({ reqId: request.id, err: error }, 'response failed after its headers were sent');
    }
  }

  override writeHeadError(error: Error, request: FastifyRequest): void {
    this.#log?.warn({ reqId: request.id, err: error }, 'could not write the head of an error response');
  }

  override serializerError(
    error: Error,
    request: FastifyRequest,
    _reply: FastifyReply,
    metadata: { statusCode: number },
  ): void {
    this.#log?.error(
      { reqId: request.id, err: error, statusCode: metadata.statusCode },
      'the response serializer for this status code failed',
    );
  }
}
