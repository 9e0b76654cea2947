/**
 * Requests that Node's HTTP parser refuses before routing get the one error shape, and the client reads
 * the whole answer even when it is still sending a large body: no connection reset.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { describeClientError, isHeadRequest } from '../../src/service/client-errors.js';
import { errorMessage, startTestApp, type TestApp } from '../support/app.js';
import { exchangeRaw, type RawExchange, type RawResponse, readResponse } from '../support/raw-http.js';

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

  describe('asked with HEAD', () => {
    const refusals = {
      431: `X-Big: ${'a'.repeat(20_000)}\r\n`,
      'a header line without a colon': 'NoColonHere\r\n',
      'Content-Length with Transfer-Encoding': 'Content-Length: 4\r\nTransfer-Encoding: chunked\r\n',
    };
    const targets = ['/healthz', '/readyz', '/adders', '/adders/5', '/adders/5/apply?x=1', '/adders/5/life'];
    for (const [refusal, header] of Object.entries(refusals)) {
      it(`answer ${refusal} as to a GET, without a body, on every HEAD route`, async () => {
        for (const target of targets) {
          const request = (method: string) =>
            `${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n${header}Connection: close\r\n\r\n`;
          const got = onlyAnswer(await exchangeRaw(port, request('GET')));
          const head = await exchangeRaw(port, request('HEAD'), { head: true });
          assert.equal(head.responses.length, 1, target);
          assert.equal(head.responses[0]?.status, got.status, target);
          assert.equal(head.received.toString('latin1').split('\r\n\r\n')[1], '', `${target}: no body`);
        }
      });
    }

    it('answer without a body a HEAD that follows another request on its connection', async () => {
      const socket = connect({ port, host: '127.0.0.1' });
      try {
        const first = readResponse(socket);
        socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
        assert.equal((await first).status, 200);
        const chunks: Buffer[] = [];
        socket.on('data', (chunk: Buffer) => chunks.push(chunk));
        const closed = new Promise((resolve) => socket.once('close', resolve));
        socket.end('HEAD /adders HTTP/1.1\r\nHost: 127.0.0.1\r\nNoColonHere\r\n\r\n');
        await closed;
        const refusal = Buffer.concat(chunks).toString('latin1');
        assert.match(refusal, /^HTTP\/1\.1 400 Bad Request\r\n/);
        assert.ok(refusal.endsWith('\r\n\r\n'), `no body after the 400's head: ${JSON.stringify(refusal)}`);
      } finally {
        socket.destroy();
      }
    });
  });
  it('keep serving other clients afterwards', async () => {
    assert.equal((await t.http.get('/healthz').expect(200)).body.status, 'ok');
  });
});

describe('isHeadRequest', () => {
  const refused = (bytes: string, bytesParsed: number) =>
    Object.assign(new Error('Parse Error'), { rawPacket: Buffer.from(bytes, 'latin1'), bytesParsed });

  it('reads the method of the last request line the parser had read before it stopped', () => {
    const pipelined = 'GET / HTTP/1.1\r\nHost: a\r\n\r\nHEAD /adders HTTP/1.1\r\nHost: a\r\nNoColon\r\n';
    assert.equal(isHeadRequest(refused(pipelined, pipelined.indexOf('NoColon'))), true);
    assert.equal(isHeadRequest(refused(pipelined, pipelined.indexOf('HEAD'))), false, 'the GET failed');
    const reversed = 'HEAD / HTTP/1.1\r\nHost: a\r\n\r\nGET /adders HTTP/1.1\r\nNoColon\r\n';
    assert.equal(isHeadRequest(refused(reversed, reversed.length)), false);
  });

  it('cannot tell without the request line, or without the bytes: then it is no HEAD', () => {
    assert.equal(isHeadRequest(refused(`X-Big: ${'a'.repeat(100)}`, 50)), false);
    assert.equal(isHeadRequest(new Error('timeout')), false);
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
