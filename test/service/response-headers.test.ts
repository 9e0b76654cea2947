/**
 * The headers on the service's answers (response-headers.ts): a request id and `nosniff` on every answer,
 * whichever part of the service writes it, and each HTML page's policy.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createServiceLogger } from '../../src/observability/logger.js';
import { DOCS_CSP } from '../../src/service/plugins/external/swagger.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { collectingDestination } from '../support/log-lines.js';
import { exchangeRaw, type RawResponse } from '../support/raw-http.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const portOf = (t: TestApp) => (t.app.server.address() as { port: number }).port;

/** The one answer to `request`, sent alone on a fresh connection. */
async function answerTo(port: number, request: string, head = false): Promise<RawResponse> {
  const exchange = await exchangeRaw(port, request, { head });
  assert.equal(exchange.responses.length, 1, exchange.received.toString('latin1').slice(0, 300));
  return exchange.responses[0] as RawResponse;
}

const get = (path: string, headers = '') =>
  `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers}Connection: close\r\n\r\n`;
const post = (path: string, type: string, body: string) =>
  `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${type}\r\n` +
  `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;

describe('every answer', () => {
  let t: TestApp;
  let faulty: TestApp;
  let limited: TestApp;
  before(async () => {
    t = await startTestApp();
    // Its compiles fail: a 500.
    faulty = await startTestApp({
      jitCompile: () => {
        throw new TypeError('a fault of the service');
      },
    });
    // It allows one compile a minute: the second is a 429.
    limited = await startTestApp({ compilesPerMinute: 1 });
  });
  after(async () => {
    await t.close();
    await faulty.close();
    await limited.close();
  });

  it('carries a new request id and nosniff, whether Fastify, a hook, the error handler or the HTTP parser answered', async () => {
    const port = portOf(t);
    // What each answer is, the request, its status, and whether it answers a HEAD.
    const cases: Array<[string, number, string, number, boolean?]> = [
      ['a route', port, get('/healthz'), 200],
      ['a compile', port, post('/adders', 'application/json', '{"term":6}'), 201],
      ['a HEAD', port, 'HEAD /adders HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n', 200, true],
      ['the metrics', port, get('/metrics'), 200],
      ['the explorer', port, get('/'), 200],
      ['Swagger UI', port, get('/docs'), 200],
      ['the not-found handler', port, get('/nowhere'), 404],
      ['a URL Fastify refuses before routing', port, get('/adders/%zz'), 400],
      ['a path segment over the router’s limit', port, get(`/adders/${'1'.repeat(65)}`), 414],
      ['a body parser', port, post('/adders', 'text/plain', 'five'), 415],
      ['a schema', port, get('/adders/1e3/apply?x=1'), 400],
      ['the connection guard (no Host)', port, 'GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n', 400],
      ['Node’s expectation check', port, get('/healthz', 'Expect: 200-ok\r\n'), 417],
      ['the HTTP parser', port, get('/healthz', 'Bad Header: 1\r\n'), 400],
      ['the HTTP parser (headers too large)', port, get('/healthz', `X-Big: ${'a'.repeat(20_000)}\r\n`), 431],
      ['the error handler (a fault)', portOf(faulty), get('/adders/5/apply?x=1'), 500],
      ['a compile within the quota', portOf(limited), get('/adders/5/apply?x=1'), 200],
      ['the compile quota', portOf(limited), get('/adders/6/apply?x=1'), 429],
    ];
    const ids = new Set<string>();
    for (const [what, target, request, status, head] of cases) {
      const answer = await answerTo(target, request, head);
      assert.equal(answer.status, status, what);
      const id = answer.headers.get('x-request-id') ?? '';
      assert.match(id, UUID, `${what}: x-request-id`);
      ids.add(id);
      assert.equal(answer.headers.get('x-content-type-options'), 'nosniff', `${what}: nosniff`);
    }
    assert.equal(ids.size, cases.length, 'every answer has an id of its own');
  });

  it('echoes a usable client id, or a traceparent’s trace id, and logs the request under it', async () => {
    const { stream, lines } = collectingDestination();
    const logged = await startTestApp({
      logger: createServiceLogger({ level: 'debug', destination: stream }),
    });
    try {
      const port = portOf(logged);
      const mine = await answerTo(port, get('/adders/5/apply?x=1', 'X-Request-Id: order-42.retry:1\r\n'));
      assert.equal(mine.headers.get('x-request-id'), 'order-42.retry:1');
      const traced = await answerTo(
        port,
        get('/nowhere', 'traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\n'),
      );
      assert.equal(traced.headers.get('x-request-id'), '4bf92f3577b34da6a3ce929d0e0e4736');
      const refused = await answerTo(port, get('/healthz', `X-Request-Id: ${'z'.repeat(65)}\r\n`));
      assert.match(refused.headers.get('x-request-id') ?? '', UUID);

      const reqIds = lines.map((line) => line.reqId);
      assert.ok(reqIds.includes('order-42.retry:1'), JSON.stringify(lines));
      assert.ok(reqIds.includes('4bf92f3577b34da6a3ce929d0e0e4736'), JSON.stringify(lines));
      assert.ok(reqIds.includes(refused.headers.get('x-request-id')), JSON.stringify(lines));
      assert.ok(!JSON.stringify(lines).includes('z'.repeat(65)), 'an unusable id is logged nowhere');
    } finally {
      await logged.close();
    }
  });
});

describe('Swagger UI', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  it('has its page and assets served with its own CSP, which no other site may frame, and no referrer', async () => {
    assert.match(DOCS_CSP, /(^|; )frame-ancestors 'none'(;|$)/);
    assert.match(DOCS_CSP, /(^|; )script-src 'self'(;|$)/);
    for (const path of [
      '/docs',
      '/docs/',
      '/docs/static/swagger-initializer.js',
      '/docs/static/swagger-ui.css',
    ]) {
      const response = await t.http.get(path).expect(200);
      assert.equal(response.headers['content-security-policy'], DOCS_CSP, path);
      assert.equal(response.headers['referrer-policy'], 'no-referrer', path);
    }
  });
});
