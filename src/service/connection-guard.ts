/**
 * What the service asks of every request before routing it, in the one error shape (Node's HTTP server
 * would answer some of these itself, with an empty body):
 *
 * - **A client that does not read its answers** is not served more of them. Requests pipelined on one
 *   connection are parsed and answered back to back, a whole read of the socket (up to 64 KiB of requests)
 *   at a time, before the event loop gets a turn; Node holds each answer in memory until the answers
 *   before it on the connection have been written, and stops reading the socket only after that read. A
 *   client that writes a thousand `GET /adders` and reads nothing would have the server build and hold
 *   every answer. So a connection may have at most MAX_UNSENT_BYTES of answers its client has not taken,
 *   and the routes whose answers are large (up to tens of kilobytes: the list, a disassembly, the API's
 *   documents) take at most MAX_QUEUED_LARGE_ANSWERS waiting behind the one being written (Node shows a
 *   queued answer by not giving it the socket yet); a request beyond either is refused and the connection
 *   closed. Small answers (an apply, a HEAD, the probes) are not counted: a thousand of them queued hold
 *   less than one list. What one connection can make the server hold is bounded, and the refusals cost
 *   almost nothing.
 * - **HTTP/1.1 requires a Host header** (RFC 9112, 3.2): a request without one gets 400 with a message.
 * - **An Expect header other than `100-continue`** gets 417 with a message. Node takes any list that
 *   names `100-continue` (`100-continue, x`) as that expectation; the service meets only a lone one.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { requestIdOf } from '../observability/request-id.js';
import { errorBody } from './errors.js';
import { everyAnswerHeaders, stampAnswer } from './response-headers.js';

/** Answers a connection may hold unsent before the service stops serving it: a few large answers' worth. */
const MAX_UNSENT_BYTES = 1024 * 1024;
/** Large answers (lists, disassemblies, documents) a connection may have waiting behind the one being written. */
const MAX_QUEUED_LARGE_ANSWERS = 16;

/** Answers waiting per connection, counted only for connections that pipeline. */
const queuedAnswers = new WeakMap<Socket, number>();

/** Counts `response` as waiting on `socket` until it is finished; returns how many wait now. */
function countQueued(socket: Socket, response: ServerResponse): number {
  const queued = (queuedAnswers.get(socket) ?? 0) + 1;
  queuedAnswers.set(socket, queued);
  response.once('finish', () => queuedAnswers.set(socket, (queuedAnswers.get(socket) ?? 1) - 1));
  return queued;
}

/** Closes the request's connection: its client is not reading what the service sends. */
function refuseFlood(request: FastifyRequest, reply: FastifyReply, queued: number): void {
  const socket = request.raw.socket;
  request.server.log.debug(
    { reqId: request.id, queuedLargeAnswers: queued, unsentBytes: socket.writableLength },
    'closed a connection whose client does not read its answers',
  );
  socket.destroy();
  // Nothing reaches the client; answering ends the request's lifecycle without running its handler.
  reply.code(503).send(errorBody(503, 'this connection holds too many answers its client has not read'));
}

/** The onRequest hook of the routes whose answers are large (see the header). */
export function limitQueuedLargeAnswers(
  request: FastifyRequest,
  reply: FastifyReply,
  done: HookHandlerDoneFunction,
): void {
  // Only a pipelined request's answer has no socket yet.
  if (reply.raw.socket === null) {
    const queued = countQueued(request.raw.socket, reply.raw);
    if (queued > MAX_QUEUED_LARGE_ANSWERS) {
      refuseFlood(request, reply, queued);
      return;
    }
  }
  done();
}

/** The onRequest hook: every request passes through it. */
export function guardRequest(
  request: FastifyRequest,
  reply: FastifyReply,
  done: HookHandlerDoneFunction,
): void {
  // First, since any answer may follow; here rather than in a hook of its own, which cost more CPU per
  // warm apply (docs/decisions.md, "Request ids and nosniff are stamped by the hook every request passes").
  stampAnswer(request, reply);
  const raw = request.raw;
  const socket = raw.socket;
  if (socket.writableLength > MAX_UNSENT_BYTES || socket.destroyed) {
    refuseFlood(request, reply, 0);
    return;
  }
  if (raw.headers.host === undefined && raw.httpVersionMajor === 1 && raw.httpVersionMinor === 1) {
    reply.code(400).send(errorBody(400, 'an HTTP/1.1 request must have a Host header'));
    return;
  }
  done();
}

/** Node's `checkExpectation` event: an Expect header it does not handle itself. */
function refuseExpectation(request: IncomingMessage, response: ServerResponse): void {
  const body = JSON.stringify(
    errorBody(417, 'the only expectation the service meets is Expect: 100-continue'),
  );
  response.writeHead(417, {
    ...everyAnswerHeaders(requestIdOf(request)),
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    connection: 'close',
  });
  response.end(body);
  request.resume();
}

/**
 * Node's `checkContinue` event: an Expect header that names 100-continue. Met, as Node would meet it, only
 * when that is all it says; otherwise the expectation is one the service cannot meet.
 */
function meetContinue(server: Server): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    if ((request.headers.expect ?? '').trim().toLowerCase() !== '100-continue') {
      refuseExpectation(request, response);
      return;
    }
    response.writeContinue();
    server.emit('request', request, response);
  };
}

/** Installs the guard on the app and its server. */
export function guardConnections(app: FastifyInstance, server: Server): void {
  app.addHook('onRequest', guardRequest);
  server.on('checkExpectation', refuseExpectation);
  server.on('checkContinue', meetContinue(server));
}
