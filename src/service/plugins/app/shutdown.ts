/**
 * Owns the listening socket and the open connections while the app closes, so that a SIGTERM under load
 * answers every request on a connection the server had accepted, refuses new connections, and still
 * exits promptly.
 *
 * Fastify's close() ends with Node's http.Server#close(), which (Node 19 and later) destroys the
 * connections its HTTP parser counts as idle and closes the listening socket. On Node 20 and 24 that
 * goes wrong in three ways (test/shutdown.test.ts and test/plugins/shutdown.test.ts fail without this
 * plugin):
 *
 * - Node counts a connection as idle once its request has been read and its answer ended
 *   (`response.finished`), even while the answer is still waiting in Node's write buffer for a slow
 *   reader: the answer is cut off.
 * - A keep-alive connection whose request is in progress is left alone, but its answer says keep-alive,
 *   and afterwards nothing closes it: close() waits for the client or the keep-alive timeout (72 s),
 *   beyond the grace period, and the process exits 1.
 * - A connection that has sent nothing is not idle to Node 22 and 24 (its parser awaits a request head),
 *   and close() stops the timer that would enforce the head timeout: it too holds the close until the grace
 *   period ends. Node 26 does the opposite (nodejs/node#63470): close() destroys it at once, though its
 *   client may be about to send a request it opened the connection for.
 *
 * (A connection accepted whose request has not been read yet is not destroyed by close(): its request is
 * read and answered. Connections that the kernel has completed but the process has not accepted yet are
 * reset when the listening socket closes; no server can take those back.)
 *
 * Fastify's `forceCloseConnections` does not help: its default, 'idle', leaves the sweep to close() itself;
 * false still gets the sweep, which http.Server#close() always does; true destroys requests in progress.
 *
 * So, before Fastify's close() goes on (a preClose hook, after the JIT plugin's, which makes /readyz answer
 * 503), this plugin:
 *
 * 0. with a drain period (SHUTDOWN_DRAIN_MS), first keeps accepting and serving for that long while
 *    /readyz already answers 503: under Kubernetes the endpoints controller and kube-proxy learn that the
 *    pod is terminating only after the signal, and until they have, new connections still arrive;
 * 1. closes the listening socket alone (net.Server#close, not http.Server#close): new connections are
 *    refused from here on, and no open connection is touched;
 * 2. makes every answer not sent yet close its connection (`connection: close`); requests that arrive
 *    later on an open connection get that from Fastify, which sets it on every request routed while
 *    closing (and, with `return503OnClosing: false` in app.ts, still serves them); an answer whose head
 *    has already gone out saying keep-alive (a streamed binary batch) is finished, then its connection
 *    closed;
 * 3. waits until no connection has answer bytes in Node's write buffer, so that the sweep cuts nothing off;
 * 4. waits, on every runtime, until each connection that had sent nothing has sent its first bytes or
 *    closed, and closes those still silent once `firstRequestWaitMs` have passed since the signal: only
 *    then may Node's close() sweep what is idle.
 */
import type { ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { openConnectionsOf } from '../../open-connections.js';

/** How long, from the start of the close, an open connection has to send its first bytes. */
export const FIRST_REQUEST_WAIT_MS = 1_000;

export interface ShutdownPluginOptions {
  /** How long to keep accepting connections after the signal, /readyz answering 503 (SHUTDOWN_DRAIN_MS). */
  drainMs?: number;
  firstRequestWaitMs?: number;
}

/**
 * Waits until no open connection has answer bytes in Node's write buffer. Not bounded here: those are
 * requests in progress, and the grace period of server.ts bounds the whole close.
 */
async function writesFlushed(sockets: Set<Socket>): Promise<void> {
  const unwritten = () => [...sockets].some((socket) => !socket.destroyed && socket.writableLength > 0);
  while (unwritten()) await sleep(5);
}

/** Closes `socket` once `answer`, whose head said keep-alive, is done, unless a later request is on it. */
function closeAfter(answer: ServerResponse, socket: Socket, isLatest: () => boolean): void {
  answer.once('finish', () => {
    if (isLatest()) socket.end(() => socket.destroy());
  });
}

/**
 * Resolves once every connection in `silent` has sent a byte or closed, or `ms` have passed; then destroys
 * those still silent and says how many. Before it counts at the deadline, two turns of the event loop put a
 * poll phase in between, so that bytes the kernel already holds for a connection are read (and its request
 * begun) first: on a busy loop a timer can fire before the next poll.
 */
function silentSettled(
  ms: number,
  silent: Socket[],
  onRequest: (listener: () => void) => () => void,
  report: (closed: number) => void,
): Promise<void> {
  if (silent.length === 0) return Promise.resolve();
  return new Promise((resolve) => {
    const stillSilent = () => silent.filter((socket) => !socket.destroyed && socket.bytesRead === 0);
    const settle = () => {
      clearTimeout(timer);
      stopListening();
      for (const socket of silent) socket.off('close', check);
      resolve();
    };
    const check = () => {
      if (stillSilent().length === 0) settle();
    };
    const timer = setTimeout(async () => {
      await nextTurn();
      await nextTurn();
      const closing = stillSilent();
      for (const socket of closing) socket.destroy();
      report(closing.length);
      settle();
    }, ms);
    // Never what keeps a process alive: the silent connections do that while they are open.
    timer.unref();
    const stopListening = onRequest(check);
    for (const socket of silent) socket.once('close', check);
  });
}

async function shutdownPlugin(app: FastifyInstance, options: ShutdownPluginOptions): Promise<void> {
  const firstRequestWaitMs = options.firstRequestWaitMs ?? FIRST_REQUEST_WAIT_MS;
  const drainMs = options.drainMs ?? 0;
  const server = app.server;
  const connections = openConnectionsOf(server);
  const sockets = connections.sockets;

  app.addHook('preClose', async () => {
    if (!server.listening) return; // built for inject(), or already closed
    if (drainMs > 0) {
      app.log.info({ drainMs }, 'draining: /readyz answers 503, connections still accepted');
      await sleep(drainMs);
    }
    NetServer.prototype.close.call(server);
    for (const socket of sockets) {
      const answer = connections.latestAnswer(socket);
      if (answer === undefined || answer.writableEnded) continue;
      if (!answer.headersSent) answer.setHeader('connection', 'close');
      else closeAfter(answer, socket, () => connections.latestAnswer(socket) === answer);
    }
    app.log.info({ openConnections: sockets.size }, 'stopped accepting connections');
    const silent = [...sockets].filter((socket) => !socket.destroyed && socket.bytesRead === 0);
    const onRequest = (listener: () => void) => {
      server.on('request', listener);
      return () => server.off('request', listener);
    };
    await Promise.all([
      writesFlushed(sockets),
      silentSettled(firstRequestWaitMs, silent, onRequest, (closed) => {
        if (closed > 0)
          app.log.info({ silentConnections: closed }, 'closed connections that sent no request');
      }),
    ]);
  });
}

export default fp(shutdownPlugin, { name: 'babyjit-shutdown', fastify: '5.x' });
