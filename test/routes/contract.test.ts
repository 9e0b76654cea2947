/**
 * The API takes exactly the inputs the README promises, and says so in /openapi.json: unknown query
 * parameters are refused on every route, JSON numbers are taken as written, a body-less request with a
 * JSON content type is no error, the list is paged, HEAD costs nothing, every status a route can answer
 * is documented for it, and no error message echoes much of what the client sent.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { firstNonIntegerNumber } from '../../src/service/json-body.js';
import { errorMessage, startTestApp, type TestApp } from '../support/app.js';
import { exchangeRaw, parseResponses } from '../support/raw-http.js';

describe('the API contract', () => {
  let t: TestApp;
  let port: number;
  before(async () => {
    t = await startTestApp();
    port = (t.app.server.address() as { port: number }).port;
  });
  after(() => t.close());

  describe('unknown query parameters', () => {
    for (const [method, path, body] of [
      ['POST', '/adders?foo=1', { term: 5 }],
      ['DELETE', '/adders/5?x=1', undefined],
      ['GET', '/adders?foo=1', undefined],
      ['GET', '/adders/77?foo=1', undefined],
      ['POST', '/adders/5/apply?foo=1', { xs: [1] }],
      ['GET', '/adders/5/apply?x=1&foo=1', undefined],
      ['GET', '/healthz?foo=1', undefined],
      ['GET', '/readyz?foo=1', undefined],
    ] as const) {
      it(`are refused on ${method} ${path.split('?')[0]}, and change nothing`, async () => {
        await t.http
          .post('/adders')
          .send({ term: 77 })
          .expect((r) => assert.ok(r.status < 300));
        const before = t.app.jit.stats();
        const response =
          await t.http[method === 'POST' ? 'post' : method === 'DELETE' ? 'delete' : 'get'](path).send(body);
        assert.equal(response.status, 400);
        assert.match(errorMessage(response.body, 400), /^querystring must not have the property "(foo|x)"$/);
        const after = t.app.jit.stats();
        assert.deepEqual(
          [after.live, after.compiles, after.releases],
          [before.live, before.compiles, before.releases],
        );
      });
    }
  });

  describe('JSON numbers', () => {
    for (const text of ['4.9999999999999999', '1.0', '1e0', '-0.0', '-2147483648.0000001', '5E2', '1.5e-3']) {
      it(`refuses ${text} as a term and as an input, naming where it is`, async () => {
        const compile = await t.http
          .post('/adders')
          .set('content-type', 'application/json')
          .send(`{"term":${text}}`);
        assert.equal(compile.status, 400);
        assert.equal(
          errorMessage(compile.body, 400),
          `body/term must be a JSON integer written as one, without a fraction or an exponent: got ${text}`,
        );
        const batch = await t.http
          .post('/adders/7/apply')
          .set('content-type', 'application/json')
          .send(`{"xs":[1, 2,${text}]}`);
        assert.equal(batch.status, 400);
        assert.match(
          errorMessage(batch.body, 400),
          new RegExp(`^body/xs/2 must be a JSON integer .*got ${text.replace('.', '\\.')}$`),
        );
      });
    }

    it('takes -0 as 0, an integer as written', async () => {
      const response = await t.http
        .post('/adders/0/apply')
        .set('content-type', 'application/json')
        .send('{"xs":[-0]}');
      assert.equal(response.status, 200);
      assert.deepEqual(response.body.results, [0]);
    });

    it('finds the first number written with a fraction or exponent, and nothing in strings', () => {
      assert.equal(firstNonIntegerNumber('{"xs":[1,2,3]}'), undefined);
      assert.equal(firstNonIntegerNumber('{"a1.5":"x1e5","b":[1]}'), undefined);
      assert.deepEqual(firstNonIntegerNumber('{"a1.5":"x1e5","b":[1,{"c":[0,2e1]}]}'), {
        path: '/b/1/c/1',
        text: '2e1',
      });
      assert.deepEqual(firstNonIntegerNumber('[[1],[2, -3.25]]'), { path: '/1/1', text: '-3.25' });
      assert.deepEqual(firstNonIntegerNumber('{"q\\"1.5":1.5}'), { path: '/q\\"1.5', text: '1.5' });
    });

    it('names where the number is as a JSON Pointer, quoted as the client’s text is: 24 characters at most', () => {
      assert.deepEqual(firstNonIntegerNumber('{"a/b~":{"c":[0,1.5]}}'), { path: '/a~1b~0/c/1', text: '1.5' });
      assert.equal(firstNonIntegerNumber(`{"${'k'.repeat(5000)}":1.5}`)?.path, `/${'k'.repeat(23)}…`);
      // Escaped names are read as the names they are, and written as JSON writes them: no raw control
      // character, quote or lone half of a character comes back.
      assert.equal(firstNonIntegerNumber('{"\\u0041\\u000a\\u0022\\u001b":1.5}')?.path, '/A\\n\\"\\u001b');
      assert.equal(firstNonIntegerNumber(`{"${'\\u0061'.repeat(5000)}":1.5}`)?.path, `/${'a'.repeat(23)}…`);
      assert.equal(firstNonIntegerNumber('{"\\ud800x":1.5}')?.path, '/\\ud800x');
      // A path 120,000 arrays deep is cut, not built whole.
      const deep = `{"k":${'['.repeat(120_000)}1.5${']'.repeat(120_000)}}`;
      assert.equal(firstNonIntegerNumber(deep)?.path, `/k${'/0'.repeat(11)}…`);
    });

    it('finds a number whose mark follows the same mark elsewhere after no digit', () => {
      // The first `e`, `E` or `.` of each body follows a letter or a quote: the search goes on past it.
      assert.deepEqual(firstNonIntegerNumber('{"term":1,"xs":[2e3]}'), { path: '/xs/0', text: '2e3' });
      assert.deepEqual(firstNonIntegerNumber('{"E":[4,5E1]}'), { path: '/E/1', text: '5E1' });
      assert.deepEqual(firstNonIntegerNumber('{"a":".","b":7.5}'), { path: '/b', text: '7.5' });
      assert.equal(firstNonIntegerNumber('{"term":1,"xE":".e"}'), undefined);
    });

    it('agrees with a reference for random JSON: every number written as an integer passes', () => {
      fc.assert(
        fc.property(fc.jsonValue(), (value) => {
          const text = JSON.stringify(value);
          const found = firstNonIntegerNumber(text);
          // JSON.stringify writes an integer-valued double of up to 21 digits without fraction or exponent.
          const numbers: number[] = [];
          JSON.parse(text, (_key, parsed) => {
            if (typeof parsed === 'number') numbers.push(parsed);
            return parsed;
          });
          const anyWrittenAsFraction = numbers.some((number) => /[.eE]/.test(JSON.stringify(number)));
          return (found !== undefined) === anyWrittenAsFraction;
        }),
        { numRuns: 2000 },
      );
    });
  });

  describe('client-chosen JSON field names in messages', () => {
    const sendJson = (path: string, text: string) =>
      t.http.post(path).set('content-type', 'application/json').send(text);

    it('quote at most 24 characters of a 5,000-character key, written out with escapes or not', async () => {
      for (const key of ['k'.repeat(5000), '\\u006b'.repeat(5000)]) {
        for (const text of [`{"xs":[1],"${key}":1.5}`, `{"xs":[1],"${key}":1}`]) {
          const response = await sendJson('/adders/1/apply', text);
          assert.equal(response.status, 400);
          const message = errorMessage(response.body, 400);
          assert.doesNotMatch(message, /k{25}/, message);
          assert.ok(message.length < 150, `${message.length} characters`);
        }
      }
    });

    it('come back escaped, never decoded into control characters or quotes', async () => {
      for (const text of ['{"\\u001b[2J\\u0022\\u000a":1.5}', '{"term":1,"\\u001b[2J\\u0022\\u000a":1}']) {
        const response = await sendJson('/adders', text);
        assert.equal(response.status, 400);
        const message = errorMessage(response.body, 400);
        // biome-ignore lint/suspicious/noControlCharactersInRegex: the characters must not be there
        assert.doesNotMatch(message, /[\u0000-\u001f]/, message);
        assert.match(message, /\\u001b\[2J\\"\\n/, message);
      }
    });

    it('build no long message for a number deep in nested arrays', async () => {
      const depth = 50_000;
      const response = await sendJson('/adders/1/apply', `{"k":${'['.repeat(depth)}1.5${']'.repeat(depth)}}`);
      assert.equal(response.status, 400);
      assert.equal(
        errorMessage(response.body, 400),
        `body/k${'/0'.repeat(11)}… must be a JSON integer written as one, without a fraction or an exponent: got 1.5`,
      );
    });
  });

  it('releases with DELETE sent with a JSON content type and no body', async () => {
    await t.http.get('/adders/31/apply?x=1').expect(200);
    const exchange = await exchangeRaw(
      port,
      'DELETE /adders/31 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n',
    );
    assert.equal(exchange.responses[0]?.status, 204);
    assert.equal(t.app.jit.has(31), false);
  });

  describe('the list', () => {
    before(async () => {
      for (let term = 1000; term < 1250; term += 1) await t.http.get(`/adders/${term}/apply?x=1`).expect(200);
    });

    it('comes a page at a time: 100 by default, least recently used first, with the next page’s path', async () => {
      const { body } = await t.http.get('/adders').expect(200);
      const total = t.app.jit.stats().live;
      assert.equal(body.adders.length, 100);
      assert.deepEqual(body.page, { offset: 0, limit: 100, total, next: '/adders?offset=100&limit=100' });
      assert.deepEqual(
        body.adders.map((adder: { term: number }) => adder.term),
        t.app.jit.list(0, 100).map((adder) => adder.term),
      );
    });

    it('follows next to the last page, which says there is none', async () => {
      const seen: number[] = [];
      let next: string | null = '/adders?limit=64';
      while (next !== null) {
        const { body }: { body: { adders: { term: number }[]; page: { next: string | null } } } = await t.http
          .get(next)
          .expect(200);
        seen.push(...body.adders.map((adder) => adder.term));
        next = body.page.next;
      }
      assert.deepEqual(
        seen,
        t.app.jit.list().map((adder) => adder.term),
      );
    });

    it('gives the counters alone with limit=0', async () => {
      const { body } = await t.http.get('/adders?limit=0').expect(200);
      assert.deepEqual(body.adders, []);
      assert.equal(body.stats.live, t.app.jit.stats().live);
      assert.equal(body.page.next, null);
    });

    it('refuses a limit over 1000, and counts that are not decimal', async () => {
      for (const [query, message] of [
        ['limit=1001', /^querystring\/limit must be from 0 to 1000, got 1001$/],
        ['limit=-1', /^querystring\/limit must be/],
        ['offset=1e3', /^querystring\/offset must be/],
        ['limit=10&limit=20', /^querystring\/limit must be given exactly once/],
      ] as const) {
        const response = await t.http.get(`/adders?${query}`);
        assert.equal(response.status, 400, query);
        assert.match(errorMessage(response.body, 400), message);
      }
    });

    it('refuses with HEAD the queries it refuses with GET', async () => {
      for (const query of ['limit=1001', 'offset=1048577', 'limit=-1', 'foo=1']) {
        const got = await t.http.get(`/adders?${query}`);
        const head = await exchangeRaw(
          port,
          `HEAD /adders?${query} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`,
          { head: true },
        );
        assert.equal(got.status, 400, query);
        assert.equal(head.responses[0]?.status, 400, query);
        assert.equal(head.received.toString('latin1').split('\r\n\r\n')[1], '', 'no body');
      }
    });

    it('answers HEAD with the headers of a GET and no body', async () => {
      const exchange = await exchangeRaw(
        port,
        'HEAD /adders HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n',
        {
          head: true,
        },
      );
      const [response] = exchange.responses;
      assert.equal(response?.status, 200);
      assert.equal(response?.headers.get('content-type'), 'application/json; charset=utf-8');
      assert.equal(exchange.received.toString('latin1').split('\r\n\r\n')[1], '', 'no body');
      const described = await exchangeRaw(
        port,
        'HEAD /adders/1000 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n',
        {
          head: true,
        },
      );
      assert.equal(described.responses[0]?.status, 200);
      const absent = await exchangeRaw(
        port,
        'HEAD /adders/999999 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n',
        {
          head: true,
        },
      );
      assert.equal(absent.responses[0]?.status, 404);
    });
  });

  describe('what the HTTP layer refuses, in the one error shape', () => {
    it('answers a request without Host with 400 and a message', async () => {
      const exchange = await exchangeRaw(port, 'GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n');
      assert.equal(exchange.responses[0]?.status, 400);
      assert.equal(
        errorMessage(JSON.parse(exchange.responses[0]?.body.toString() ?? ''), 400),
        'an HTTP/1.1 request must have a Host header',
      );
    });

    it('answers an HTTP/1.0 request without Host, which needs none', async () => {
      const exchange = await exchangeRaw(port, 'GET /healthz HTTP/1.0\r\n\r\n');
      assert.equal(exchange.responses[0]?.status, 200);
    });

    it('answers Expect: 200-ok with 417 and a message', async () => {
      const exchange = await exchangeRaw(
        port,
        'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 200-ok\r\nConnection: close\r\n\r\n',
      );
      assert.equal(exchange.responses[0]?.status, 417);
      assert.match(
        errorMessage(JSON.parse(exchange.responses[0]?.body.toString() ?? ''), 417),
        /100-continue/,
      );
    });

    for (const expect of ['100-continue, x', '100-continue;a=b', 'x, 100-continue']) {
      it(`answers an Expect list naming 100-continue among others (${expect}) with 417, sending no 100`, async () => {
        const exchange = await exchangeRaw(
          port,
          `POST /adders/5/apply HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: ${expect}\r\n` +
            'Content-Type: application/json\r\nContent-Length: 10\r\nConnection: close\r\n\r\n',
          { end: false, timeoutMs: 5_000 },
        );
        assert.deepEqual(
          exchange.responses.map((response) => response.status),
          [417],
        );
        assert.equal(t.app.jit.has(5), false);
      });
    }

    it('meets a lone Expect: 100-continue, in any case, with 100 Continue and then the answer', async () => {
      const body = '{"xs":[1]}';
      const socket = connect({ port, host: '127.0.0.1' });
      const received: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => received.push(chunk));
      const closed = once(socket, 'close');
      socket.write(
        'POST /adders/6/apply HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect:  100-Continue \r\n' +
          `Content-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
      );
      while (!Buffer.concat(received).includes('\r\n\r\n')) await once(socket, 'data');
      assert.match(Buffer.concat(received).toString('latin1'), /^HTTP\/1\.1 100 Continue\r\n\r\n$/);
      socket.end(body);
      await closed;
      const answer = parseResponses(Buffer.concat(received).subarray('HTTP/1.1 100 Continue\r\n\r\n'.length));
      assert.equal(answer[0]?.status, 200);
      assert.deepEqual(JSON.parse(answer[0]?.body.toString() ?? ''), { term: 6, results: [7] });
    });
  });

  describe('error messages', () => {
    it('quote at most a short excerpt of a 15 KB parameter name', async () => {
      const name = 'p'.repeat(15_000);
      const response = await t.http.get(`/adders/5/apply?x=1&${name}=1`);
      assert.equal(response.status, 400);
      const message = errorMessage(response.body, 400);
      assert.ok(message.length < 100, `${message.length} characters`);
      assert.equal(message, `querystring must not have the property "${'p'.repeat(24)}…"`);
    });

    it('do not repeat the path of a 414', async () => {
      const response = await t.http.get(`/adders/${'7'.repeat(300)}/apply?x=1`);
      assert.equal(response.status, 414);
      assert.doesNotMatch(errorMessage(response.body, 414), /7{25}/);
    });

    it('quote at most an excerpt of an unknown route', async () => {
      const response = await t.http.get(`/${'z'.repeat(5000)}`);
      assert.equal(response.status, 404);
      assert.ok(errorMessage(response.body, 404).length < 100);
    });
  });
});
