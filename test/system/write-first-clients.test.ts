/**
 * Clients that write their whole body before they read a byte of the answer, as Python's http.client (and
 * so `requests`) does, get their binary batches answered at the limit, 16 MiB, against the real server:
 * a raw Node.js client that reads nothing until its body is written, more of them at once than the
 * service holds results for, and Python itself. Before the service held their results, such a client's
 * batch stalled once the sockets' buffers were full (the server stopped reading its body because the
 * client did not read) until the request timeout reset it. A client that also closes its sending side
 * once it has written its body gets the whole answer too (RFC 9112, 9.6): Node's server would otherwise
 * abort the request and cut the answer off.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { freePort, type ServerProcess, startServerProcess } from '../../harness/server-process.js';
import { HELD_BATCHES } from '../../src/service/binary-batch.js';
import { inCI } from '../support/ci.js';
import { int32s } from '../support/int32-bytes.js';
import { parseResponses } from '../support/raw-http.js';

const LIMIT_BYTES = 16 * 2 ** 20;
const TERM = -7;

/** A body of LIMIT_BYTES whose values differ, and the results the service must answer for it. */
const inputs = Int32Array.from({ length: LIMIT_BYTES / 4 }, (_, index) => Math.imul(index, 0x9e3779b1));
const body = Buffer.from(inputs.buffer);

/**
 * Posts `body` as a binary batch, reading nothing until all of it is written (and, `halfClose`, the
 * sending side closed); the whole answer.
 */
async function postWritingFirst(port: number, halfClose = false): Promise<Buffer> {
  const socket = connect({ port, host: '127.0.0.1' });
  socket.pause();
  await once(socket, 'connect');
  socket.write(
    `POST /adders/${TERM}/apply HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\n` +
      `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
  );
  await new Promise<void>((resolve, reject) => {
    const written = (error?: Error | null) => (error ? reject(error) : resolve());
    if (halfClose) socket.end(body, written);
    else socket.write(body, written);
  });
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const closed = once(socket, 'close');
  socket.resume();
  await closed;
  return Buffer.concat(chunks);
}

function assertAnswered(raw: Buffer): void {
  const [response] = parseResponses(raw);
  assert.equal(response?.status, 200);
  assert.equal(response?.body.length, LIMIT_BYTES, `${raw.length} bytes received`);
  const results = int32s(response.body);
  const wrong = results.findIndex((result, index) => result !== (((inputs[index] as number) + TERM) | 0));
  assert.equal(wrong, -1, `result ${wrong} is wrong`);
}

const python = (() => {
  try {
    execFileSync('python3', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** Python's http.client posting LIMIT_BYTES as one body, as `requests` does; prints status, length, errors. */
const PYTHON_CLIENT = `
import http.client, struct, sys
n = ${LIMIT_BYTES / 4}
xs = [(i * 0x9e3779b1) & 0xffffffff for i in range(n)]
xs = [x - (1 << 32) if x >= (1 << 31) else x for x in xs]
body = struct.pack('<%di' % n, *xs)
connection = http.client.HTTPConnection('127.0.0.1', int(sys.argv[1]), timeout=60)
connection.request('POST', '/adders/${TERM}/apply', body=body, headers={'Content-Type': 'application/octet-stream'})
answer = connection.getresponse()
results = struct.unpack('<%di' % n, answer.read())
wrong = sum(1 for x, r in zip(xs, results) if ((x + ${TERM} + (1 << 31)) % (1 << 32)) - (1 << 31) != r)
print(answer.status, len(results), wrong)
`;

describe('clients that write their whole body before reading', () => {
  let server: ServerProcess;
  let port: number;
  before(async () => {
    port = await freePort();
    server = startServerProcess({
      port,
      env: { LOG_LEVEL: 'warn', BINARY_BATCH_LIMIT_BYTES: String(LIMIT_BYTES) },
    });
    await server.listening;
  });
  after(async () => {
    server.child.kill('SIGTERM');
    await server.exited;
  });

  it('get a 16 MiB batch answered in full and right', { timeout: 60_000 }, async () => {
    assertAnswered(await postWritingFirst(port));
  });

  it('get a 16 MiB batch answered in full when they close their sending side once it is written', {
    timeout: 60_000,
  }, async () => {
    assertAnswered(await postWritingFirst(port, true));
  });

  it('get theirs answered when more of them send at once than the service holds results for', {
    timeout: 120_000,
  }, async () => {
    const answers = await Promise.all(Array.from({ length: HELD_BATCHES + 2 }, () => postWritingFirst(port)));
    for (const answer of answers) assertAnswered(answer);
  });

  it('get a 16 MiB batch answered to Python’s http.client, as requests sends it', {
    skip: python || inCI ? false : 'no python3 on this machine',
    timeout: 120_000,
  }, async () => {
    assert.ok(python, 'CI needs python3 to test a Python client');
    const { stdout } = await promisify(execFile)('python3', ['-c', PYTHON_CLIENT, String(port)]);
    assert.equal(stdout.trim(), `200 ${LIMIT_BYTES / 4} 0`, 'status, results, wrong results');
  });
});
