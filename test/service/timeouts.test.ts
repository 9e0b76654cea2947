/**
 * Slow and idle clients cannot hold the service: a request must arrive within REQUEST_TIMEOUT_MS (its head
 * within HEADERS_TIMEOUT_MS), an idle keep-alive connection is closed after KEEP_ALIVE_TIMEOUT_MS, one that
 * never sends a byte after CONNECTION_TIMEOUT_MS (Node's request and headers timeouts start at a request's
 * first byte). test/system/slow-clients.test.ts holds thousands of such connections against the real server. The timeouts are
 * shortened here; the outcomes asserted are the answers and who closed what, not durations.
 */
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { buildApp, TIMEOUT_CHECK_INTERVAL_MS } from '../../src/service/app.js';
import { errorMessage, startTestApp, type TestApp } from '../support/app.js';
import { int32s, littleEndian } from '../support/int32-bytes.js';
import { exchangeRaw, type RawResponse } from '../support/raw-http.js';

const REQUEST_TIMEOUT_MS = 2_000;
const HEADERS_TIMEOUT_MS = 1_000;
const KEEP_ALIVE_TIMEOUT_MS = 1_000;
const CONNECTION_TIMEOUT_MS = 1_500;

/** Sends one byte of `bytes` every `everyMs` until the socket closes; returns how many were sent. */
function dribble(socket: Socket, bytes: Buffer, everyMs: number): () => number {
  let sent = 0;
  const timer = setInterval(() => {
    if (!socket.writable || sent >= bytes.length) return;
    socket.write(bytes.subarray(sent, sent + 1));
    sent += 1;
  }, everyMs);
  socket.once('close', () => clearInterval(timer));
  return () => sent;
}

/** Sends `bytes` `size` at a time every `everyMs` until the socket closes; returns how many were sent. */
function sendInPieces(socket: Socket, bytes: Buffer, size: number, everyMs: number): () => number {
  let sent = 0;
  const timer = setInterval(() => {
    if (!socket.writable || sent >= bytes.length) return;
    socket.write(bytes.subarray(sent, sent + size));
    sent = Math.min(bytes.length, sent + size);
  }, everyMs);
  socket.once('close', () => clearInterval(timer));
  return () => sent;
}

function assertTimeouts(server: Server): void {
  assert.equal(server.requestTimeout, REQUEST_TIMEOUT_MS);
  assert.equal(server.headersTimeout, HEADERS_TIMEOUT_MS);
  assert.equal(server.keepAliveTimeout, KEEP_ALIVE_TIMEOUT_MS);
  assert.equal(server.timeout, CONNECTION_TIMEOUT_MS);
  assert.equal(
    (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval,
    TIMEOUT_CHECK_INTERVAL_MS,
  );
}

describe('slow and idle clients', () => {
  let t: TestApp;
  let port: number;
  before(async () => {
    t = await startTestApp({
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      headersTimeoutMs: HEADERS_TIMEOUT_MS,
      keepAliveTimeoutMs: KEEP_ALIVE_TIMEOUT_MS,
      connectionTimeoutMs: CONNECTION_TIMEOUT_MS,
    });
    port = (t.app.server.address() as { port: number }).port;
  });
  after(() => t.close());

  it('sets the configured timeouts on the server, and checks them every second', () => {
    assertTimeouts(t.app.server);
  });

  it('sets the same timeouts on the server Fastify makes itself when metrics are off', async () => {
    const app = await buildApp({
      metrics: false,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      headersTimeoutMs: HEADERS_TIMEOUT_MS,
      keepAliveTimeoutMs: KEEP_ALIVE_TIMEOUT_MS,
      connectionTimeoutMs: CONNECTION_TIMEOUT_MS,
    });
    try {
      assertTimeouts(app.server);
    } finally {
      await app.close();
    }
  });

  it('cuts off a client dribbling its body: 408 in the one error shape, then the connection is closed', async () => {
    let sentBeforeClose = () => 0;
    const body = Buffer.from(`{"xs":[${'1,'.repeat(498)}1]}`);
    const exchange = await exchangeRaw(
      port,
      'POST /adders/5/apply HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
        `Content-Length: ${body.length}\r\n\r\n`,
      { end: false, onConnect: (socket) => (sentBeforeClose = dribble(socket, body, 50)) },
    );
    const [response] = exchange.responses as [RawResponse];
    assert.equal(response.status, 408);
    assert.match(errorMessage(JSON.parse(response.body.toString()), 408), /within the request timeout/);
    assert.ok(sentBeforeClose() < body.length, 'closed while the client was still sending');
    assert.equal(t.app.jit.has(5), false, 'nothing compiled');
  });

  it('cuts off a client dribbling its request head after the headers timeout', async () => {
    let sentBeforeClose = () => 0;
    const head = Buffer.from(
      `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ${'a'.repeat(500)}\r\n\r\n`,
    );
    const exchange = await exchangeRaw(port, head.subarray(0, 10), {
      end: false,
      onConnect: (socket) => (sentBeforeClose = dribble(socket, head.subarray(10), 50)),
    });
    assert.equal(exchange.responses[0]?.status, 408);
    assert.ok(sentBeforeClose() < head.length - 10, 'closed while the head was still arriving');
  });

  it('closes an idle keep-alive connection after the keep-alive timeout', async () => {
    const exchange = await exchangeRaw(port, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', {
      end: false,
    });
    assert.equal(exchange.responses.length, 1, 'answered, then closed by the server');
    assert.equal(exchange.responses[0]?.status, 200);
  });
});

describe('a streamed binary batch cut off by the request timeout', () => {
  // The connection timeout longer than the request timeout, as by default: the request timeout ends these.
  let t: TestApp;
  let port: number;
  before(async () => {
    t = await startTestApp({
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      headersTimeoutMs: HEADERS_TIMEOUT_MS,
      connectionTimeoutMs: 60_000,
    });
    port = (t.app.server.address() as { port: number }).port;
  });
  after(() => t.close());

  it('ends a streamed binary batch cut short at the timeout with nothing after its results: no 408 inside the 200', async () => {
    // 16 bytes declared, 8 sent (1 and 2): the head and the results of those two go out at once.
    const exchange = await exchangeRaw(
      port,
      Buffer.concat([
        Buffer.from(
          'POST /adders/5/apply HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\n' +
            'Content-Length: 16\r\n\r\n',
        ),
        littleEndian([1, 2]),
      ]),
      { end: false },
    );
    const headEnd = exchange.received.indexOf('\r\n\r\n');
    assert.match(
      exchange.received.subarray(0, headEnd).toString('latin1'),
      /^HTTP\/1\.1 200 .*content-length: 16/is,
    );
    assert.deepEqual(int32s(exchange.received.subarray(headEnd + 4)), [6, 7], 'only results follow the head');
  });

  it('ends an honest binary upload slower than the timeout with a prefix of its results and nothing else', async () => {
    // 4 KiB of inputs at about 1 KiB a second against a 2 s timeout, in pieces that split values.
    const xs = Array.from({ length: 1024 }, (_, index) => index * 7919 - 4_000_000);
    const body = littleEndian(xs);
    let sentBeforeClose = () => 0;
    const exchange = await exchangeRaw(
      port,
      'POST /adders/-3/apply HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\n' +
        `Content-Length: ${body.length}\r\n\r\n`,
      { end: false, onConnect: (socket) => (sentBeforeClose = sendInPieces(socket, body, 51, 50)) },
    );
    assert.ok(sentBeforeClose() < body.length, 'cut off while the client was still sending');
    const headEnd = exchange.received.indexOf('\r\n\r\n');
    assert.match(exchange.received.subarray(0, headEnd).toString('latin1'), /^HTTP\/1\.1 200 /);
    const results = int32s(exchange.received.subarray(headEnd + 4));
    assert.ok(results.length > 0 && results.length < xs.length, `${results.length} results of ${xs.length}`);
    assert.deepEqual(
      results,
      xs.slice(0, results.length).map((x) => (x - 3) | 0),
      'a prefix of the results',
    );
  });
});
