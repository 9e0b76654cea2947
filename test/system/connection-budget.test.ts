/**
 * The connection budget against the real server under a limit of 200 open files (prlimit): idle
 * connections past the budget are closed as they arrive, the server goes on answering on those it holds
 * and takes new ones once they close, and it ends cleanly. Before the budget, a few hundred idle
 * connections exhausted the descriptors, and the next read of the process's memory (@fastify/under-pressure's
 * timer) threw EMFILE and took the process down. With MAX_CONNECTIONS set past what the descriptors allow,
 * the process runs out of them, and still stays up.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { type ServerProcess, startServerProcess } from '../../harness/server-process.js';
import { FILES_KEPT } from '../../src/service/connection-budget.js';
import { type RawResponse, readResponse } from '../support/raw-http.js';
import { outputLine } from '../support/server-output.js';
import { waitFor, waitUntil } from '../support/wait-for.js';

const FILE_LIMIT = 200;
const CONNECTIONS = 300;

interface Crowd {
  sockets: Socket[];
  /** How many the server has closed so far. */
  closed: () => number;
}

/** Opens `count` connections that send nothing; the server's closing of any is counted. */
function crowd(port: number, count: number): Crowd {
  let closed = 0;
  const sockets = Array.from({ length: count }, () => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.on('error', () => {});
    socket.on('close', () => {
      closed += 1;
    });
    return socket;
  });
  return { sockets, closed: () => closed };
}

/** A GET on a connection the server holds; the answer. */
async function answerOn(socket: Socket, path: string): Promise<RawResponse> {
  const answered = readResponse(socket);
  socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
  return await answered;
}

async function getOn(socket: Socket, path: string): Promise<number> {
  return (await answerOn(socket, path)).status;
}

/** The server's clock, from an answer's Date header, in ms. */
function serverTime(answer: RawResponse): number {
  return Date.parse(answer.headers.get('date') ?? '');
}

/** Resolves once a new connection to `port` gets an answer. */
function servedAgain(port: number): Promise<true> {
  return waitFor('a new connection served', async () => {
    const response = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
    return response?.ok ? true : undefined;
  });
}

async function stopCleanly(server: ServerProcess): Promise<void> {
  server.child.kill('SIGTERM');
  const { code } = await server.exited;
  assert.equal(code, 0, server.output());
}

describe(`the connection budget, under a limit of ${FILE_LIMIT} open files`, () => {
  const servers: ServerProcess[] = [];
  after(() => {
    for (const server of servers) if (server.child.exitCode === null) server.child.kill('SIGKILL');
  });

  it(`holds ${FILE_LIMIT - FILES_KEPT} connections, closes the rest as they arrive, answers on those it holds, and takes new ones once they go`, {
    timeout: 60_000,
  }, async () => {
    // Up once it says so in its log: a probe's keep-alive connection would take a place in the budget.
    const server = startServerProcess({ openFileLimit: FILE_LIMIT });
    servers.push(server);
    const port = Number(new URL(await server.listening).port);
    const held = FILE_LIMIT - FILES_KEPT;
    const idle = crowd(port, CONNECTIONS);
    await waitUntil('the connections past the budget closed', () => idle.closed() === CONNECTIONS - held);
    const open = idle.sockets.filter((socket) => !socket.destroyed);
    assert.equal(open.length, held);
    assert.equal(await getOn(open[0] as Socket, '/adders/5/apply?x=1'), 200);
    const metrics = readResponse(open[1] as Socket);
    (open[1] as Socket).write('GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    const scraped = (await metrics).body.toString();
    assert.match(scraped, new RegExp(`^http_connections_max ${held}$`, 'm'));
    assert.match(scraped, new RegExp(`^http_connections_refused_total ${CONNECTIONS - held}$`, 'm'));
    await outputLine(server, /refusing connections: the service holds its connection budget/);
    for (const socket of idle.sockets) socket.destroy();
    await servedAgain(port);
    await stopCleanly(server);
  });

  it('stays up with MAX_CONNECTIONS past what the files allow, answering on the connections it got', {
    timeout: 60_000,
  }, async () => {
    const server = startServerProcess({ openFileLimit: FILE_LIMIT, env: { MAX_CONNECTIONS: '1000' } });
    servers.push(server);
    const port = Number(new URL(await server.listening).port);
    const idle = crowd(port, CONNECTIONS);
    // Out of descriptors, the process can hold no more than it has: the rest it cannot keep.
    await waitUntil('the server out of descriptors', () => idle.closed() >= CONNECTIONS - FILE_LIMIT);
    const open = idle.sockets.filter((socket) => !socket.destroyed);
    // Requests that need descriptors of their own (the metrics read /proc) and others, on held
    // connections, over several of the load-shedding sampler's seconds.
    let answered = 0;
    for (const [index, path] of ['/metrics', '/adders/7/apply?x=1', '/healthz', '/metrics'].entries()) {
      const status = await getOn(open[index] as Socket, path);
      assert.ok(status === 200 || status === 500, `${path}: ${status}`);
      answered += 1;
    }
    assert.equal(answered, 4);
    // And on through two seconds by the server's clock: its timers (the load-shedding sampler's, every
    // second) run while it has no descriptor to spare.
    const first = serverTime(await answerOn(open[4] as Socket, '/healthz'));
    await waitFor('two seconds of the server’s clock', async () => {
      const answer = await answerOn(open[4] as Socket, '/healthz');
      assert.equal(answer.status, 200);
      return serverTime(answer) - first >= 2_000 ? true : undefined;
    });
    assert.equal(server.child.exitCode, null, 'the process is up');
    for (const socket of idle.sockets) socket.destroy();
    await servedAgain(port);
    await stopCleanly(server);
  });
});
