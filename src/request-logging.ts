/**
 * What the service logs per request. At `info`, nothing for a request that went well or was the client's
 * mistake: a line per request costs throughput (see docs/benchmarks.md) and would let any client flood
 * the log, while the metrics count every request by route and status anyway. At `debug`, one line per
 * request (Fastify's default is two at info). Failures of the service itself stay at `error`.
 */
import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';

export class RequestLogController extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    // Most requests end here at info, where the debug line is dropped: do not build it for nothing.
    if (!error && !isDebugEnabled(reply.log)) return;
    const line = {
      reqId: request.id,
      method: request.method,
      url: request.url,
      statusCode: reply.statusCode,
      responseTimeMs: reply.elapsedTime,
    };
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    else reply.log.debug(line, 'request completed');
  }

  override routeNotFound(request: FastifyRequest): void {
    request.log.debug({ reqId: request.id, method: request.method, url: request.url }, 'route not found');
  }
}

/** pino answers isLevelEnabled(); the no-op logger of an app built without one (the tests) does not. */
function isDebugEnabled(log: FastifyReply['log']): boolean {
  return (log as { isLevelEnabled?: (level: string) => boolean }).isLevelEnabled?.('debug') ?? false;
}
