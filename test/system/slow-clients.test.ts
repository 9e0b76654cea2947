/**
 * Slow and idle clients against the real server, with its timeouts shortened through the environment:
 * hundreds of clients dribbling their bodies are cut off after the request timeout, and while thousands of
 * idle connections are open (silent, or stopped halfway through a request head) another client is answered
 * as usual, until the server has closed them all.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { freePort, startServerProcess } from '../../harness/server-process.js';

const DRIBBLERS = 200;
const IDLE_CONNECTIONS = 2_000;
/** Long enough for the last timeout to fire (2 s) and Node's check of them (every second), with room. */
const ALL_CLOSED_WITHIN_MS = 15_000;

async function openConnections(port: number, count: number): Promise<Socket[]> {
  const sockets = Array.from({ length: count }, () => {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => {});
    // Reading (and dropping what arrives) is how a client sees the server close its side.
    socket.resume();
    // A burst this large overflows the listen queue, and the kernel then answers with SYN cookies: a
    // connection whose last handshake packet was dropped is open for the client and unknown to the server,
    // and a silent client never learns. A keep-alive probe settles it: the server's kernel accepts the
    // connection then (the cookie still holds) or resets it. One the server accepted and keeps open still
    // answers the probes and stays open, and the test fails.
    socket.setKeepAlive(true, 1_000);
    return socket;
  });
  await Promise.all(sockets.map((socket) => once(socket, 'connect')));
  return sockets;
}

async function allClosed(sockets: Socket[], withinMs: number): Promise<number> {
  const deadline = performance.now() + withinMs;
  while (performance.now() < deadline && sockets.some((socket) => !socket.destroyed)) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return sockets.filter((socket) => !socket.destroyed).length;
}

describe('slow and idle clients against the server', () => {
  it(`cut off ${DRIBBLERS} clients dribbling their bodies, and answer others while ${IDLE_CONNECTIONS} idle connections are open`, {
    timeout: 90_000,
  }, async (t) => {
    const server = startServerProcess({
      port: await freePort(),
      env: {
        REQUEST_TIMEOUT_MS: '2000',
        HEADERS_TIMEOUT_MS: '1000',
        KEEP_ALIVE_TIMEOUT_MS: '1000',
        CONNECTION_TIMEOUT_MS: '2000',
        LOG_LEVEL: 'warn',
      },
    });
    try {
      const url = await server.listening;
      const port = Number(new URL(url).port);

      // Each sends the head of a 1,000-byte batch and then two bytes every half second.
      const dribblers = await openConnections(port, DRIBBLERS);
      const answers = dribblers.map((socket) => {
        let received = '';
        socket.on('data', (chunk: Buffer) => {
          received += chunk.toString('latin1');
        });
        socket.write(
          'POST /adders/5/apply HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
            'Content-Length: 1000\r\n\r\n{"xs":[',
        );
        const timer = setInterval(() => socket.writable && socket.write('1,'), 500);
        return once(socket, 'close').then(() => {
          clearInterval(timer);
          return received;
        });
      });
      const idle = await openConnections(port, IDLE_CONNECTIONS);
      for (const socket of idle.slice(0, IDLE_CONNECTIONS / 2)) socket.write('GET /healthz HTTP/1.1\r\n');

      // Another client meanwhile: every answer right, each within a second (the probes allow three).
      let slowest = 0;
      for (let i = 0; i < 100; i += 1) {
        const started = performance.now();
        const response = await fetch(`${url}/adders/${i % 10}/apply?x=${i}`);
        assert.equal(response.status, 200);
        assert.equal(((await response.json()) as { result: number }).result, (i % 10) + i);
        slowest = Math.max(slowest, performance.now() - started);
      }
      t.diagnostic(`slowest of 100 applies beside the idle connections: ${slowest.toFixed(1)} ms`);
      assert.ok(slowest < 1_000, `an apply took ${slowest.toFixed(0)} ms`);

      assert.equal(
        await allClosed([...dribblers, ...idle], ALL_CLOSED_WITHIN_MS),
        0,
        'connections left open',
      );
      const received = await Promise.all(answers);
      assert.ok(
        received.every((text) => text.startsWith('HTTP/1.1 408 Request Timeout')),
        `every dribbler was answered 408: ${received.find((text) => !text.startsWith('HTTP/1.1 408'))?.slice(0, 80)}`,
      );
      assert.equal((await fetch(`${url}/healthz`)).status, 200);
    } finally {
      server.child.kill('SIGTERM');
    }
    assert.equal((await server.exited).code, 0);
  });
});
