/**
 * The server's open connections and the answer each is on: one owner for what several parts of the service
 * ask of them. The shutdown waits for, marks and closes them (plugins/app/shutdown.ts); an answer for a
 * request Node's parser refused may be written only if no other answer has begun on its connection
 * (client-errors.ts).
 *
 * Kept with two listeners on Node's server, made once per server whoever asks first: a Set add and delete
 * per connection, a WeakMap write per request.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export class OpenConnections {
  /** Every connection the server has accepted and not yet closed. */
  readonly sockets = new Set<Socket>();
  /** The answer to each connection's latest request. */
  readonly #latestAnswer = new WeakMap<Socket, ServerResponse>();

  constructor(server: Server) {
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    server.on('request', (request: IncomingMessage, answer: ServerResponse) => {
      this.#latestAnswer.set(request.socket, answer);
    });
  }

  /** The answer to the latest request read on `socket`, if one has been. */
  latestAnswer(socket: Socket): ServerResponse | undefined {
    return this.#latestAnswer.get(socket);
  }

  /**
   * Whether bytes of an answer the service has not finished may be on `socket`, or queued for it: then
   * nothing else may be written there, or the client would read it as part of that answer. False when the
   * latest answer is ended (what follows it is a new answer), and when it owns the socket without having
   * written its head.
   */
  answerBegun(socket: Socket): boolean {
    const answer = this.#latestAnswer.get(socket);
    if (answer === undefined || answer.writableEnded) return false;
    return answer.headersSent || answer.socket !== socket;
  }
}

const perServer = new WeakMap<Server, OpenConnections>();

/** The open connections of `server`, tracked from the first call on (call it before the server listens). */
export function openConnectionsOf(server: Server): OpenConnections {
  let connections = perServer.get(server);
  if (connections === undefined) {
    connections = new OpenConnections(server);
    perServer.set(server, connections);
  }
  return connections;
}
