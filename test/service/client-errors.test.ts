/**
 * Requests that Node's HTTP parser refuses before routing get the one error shape, and the client reads
 * the whole answer even when it is still sending a large body: no connection reset.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { describeClientError } from '../../src/service/client-errors.js';
import { errorMessage, startTestApp, type TestApp } from '../support/app.js';
import { exchangeRaw, type RawExchange, type RawResponse } from '../support/raw-http.js';

/** The one response of an exchange, its body parsed as JSON. */
function onlyAnswer(exchange: RawExchange): { status: number; body: unknown } {
  assert.equal(exchange.responses.length, 1, exchange.received.toString('latin1').slice(0, 300));
  const [response] = exchange.responses as [RawResponse];
  return { status: response.status, body: JSON.parse(response.body.toString('utf8')) };
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
    const outcome = await exchangeRaw(port, Buffer.concat([Buffer.from(head, 'latin1'), body]));
    assert.equal(outcome.error, undefined, 'the client saw its connection reset');
    const answer = onlyAnswer(outcome);
    assert.equal(answer.status, 400);
    assert.match(errorMessage(answer.body, 400), /^malformed HTTP request: a header name or value/);
  });

  it('answer 431 in the one error shape for request headers over the limit', async () => {
    const head = `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`;
    const answer = onlyAnswer(await exchangeRaw(port, head));
    assert.equal(answer.status, 431);
    assert.match(errorMessage(answer.body, 431), /request headers are larger/);
  });

  it('close a connection whose client never stops sending', async () => {
    let sender: NodeJS.Timeout | undefined;
    const outcome = await exchangeRaw(
      port,
      'POST /adders/5/apply HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header: 1\r\nContent-Length: 100000000\r\n\r\n',
      {
        end: false,
        onConnect: (socket) => {
          sender = setInterval(() => socket.writable && socket.write(Buffer.alloc(1000, 0x31)), 50);
        },
      },
    );
    clearInterval(sender);
    assert.equal(outcome.responses[0]?.status, 400);
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
