/**
 * Requests that Node's HTTP parser refuses before routing get the one error shape, and the client reads
 * the whole answer even when it is still sending a large body: no connection reset.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { describeClientError } from '../../src/service/client-errors.js';
import { errorMessage, startTestApp, type TestApp } from '../support/app.js';

interface RawOutcome {
  /** Everything the server sent before its side closed. */
  received: Buffer;
  /** The socket error the client saw, if any (ECONNRESET when the answer may be lost). */
  error: string | undefined;
}

/** Writes `head` and `body` at once on a fresh connection and collects the answer until the server closes. */
function sendRaw(port: number, head: string, body: Buffer, onConnect?: (socket: Socket) => void) {
  return new Promise<RawOutcome>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.setTimeout(15_000, () => socket.destroy(new Error('no close within 15 s')));
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) =>
      resolve({ received: Buffer.concat(chunks), error: error.code ?? error.message }),
    );
    socket.on('close', () => resolve({ received: Buffer.concat(chunks), error: undefined }));
    socket.write(Buffer.concat([Buffer.from(head, 'latin1'), body]));
    onConnect?.(socket);
  });
}

function parseAnswer(raw: Buffer): { status: number; body: unknown } {
  const text = raw.toString('latin1');
  const split = text.indexOf('\r\n\r\n');
  return {
    status: Number(/^HTTP\/1\.1 (\d{3}) /.exec(text)?.[1]),
    body: JSON.parse(text.slice(split + 4)),
  };
}

describe('requests the HTTP parser refuses', () => {
  let t: TestApp;
  let port: number;
  before(async () => {
    t = await startTestApp();
    port = (t.app.server.address() as { port: number }).port;
  });
  after(() => t.close());

  it('answer 400 in the one error shape, read in full while a 300 KB body is still arriving', async () => {
    const body = Buffer.alloc(300_000, 0x31);
    // A space inside a header name is invalid to every supported version of Node's parser.
    const head =
      'POST /adders/5/apply HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header: 1\r\n' +
      `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    const outcome = await sendRaw(port, head, body);
    assert.equal(outcome.error, undefined, 'the client saw its connection reset');
    const answer = parseAnswer(outcome.received);
    assert.equal(answer.status, 400);
    assert.match(errorMessage(answer.body, 400), /^malformed HTTP request: a header name or value/);
  });

  it('answer 431 in the one error shape for request headers over the limit', async () => {
    const head = `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`;
    const outcome = await sendRaw(port, head, Buffer.alloc(0));
    const answer = parseAnswer(outcome.received);
    assert.equal(answer.status, 431);
    assert.match(errorMessage(answer.body, 431), /request headers are larger/);
  });

  it('close a connection whose client never stops sending', async () => {
    let sender: NodeJS.Timeout | undefined;
    const outcome = await sendRaw(
      port,
      'POST /adders/5/apply HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header: 1\r\nContent-Length: 100000000\r\n\r\n',
      Buffer.alloc(0),
      (socket) => {
        sender = setInterval(() => socket.write(Buffer.alloc(1000, 0x31)), 50);
      },
    );
    clearInterval(sender);
    assert.equal(parseAnswer(outcome.received).status, 400);
  });

  it('keep serving other clients afterwards', async () => {
    assert.equal((await t.http.get('/healthz').expect(200)).body.status, 'ok');
  });
});

describe('describeClientError', () => {
  it('names a known parser error in plain words and gives a generic message for an unknown one', () => {
    assert.deepEqual(describeClientError('ERR_HTTP_REQUEST_TIMEOUT').statusCode, 408);
    assert.deepEqual(describeClientError('HPE_INVALID_URL'), {
      statusCode: 400,
      message:
        'malformed HTTP request: the request target is not a valid URL (bytes outside ASCII must be percent-encoded)',
    });
    assert.deepEqual(describeClientError('HPE_SOMETHING_NEW'), {
      statusCode: 400,
      message: 'malformed HTTP request (HPE_SOMETHING_NEW)',
    });
  });
});
