/**
 * Every class of bad input gets a 4xx in the one error shape, with a message naming the field, and
 * changes nothing: no compile, no page mapped, and the service goes on answering.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { anonymousReadExecutePages } from '../../harness/maps.js';
import { pageSize } from '../../src/jit/libc.js';
import { MAX_BATCH } from '../../src/service/schemas/adders.js';
import { errorMessage, startTestApp, type TestApp } from '../support/app.js';
import { exchangeRaw, readResponse } from '../support/raw-http.js';

describe('bad input', () => {
  let t: TestApp;
  let port: number;
  let pagesBefore: number;
  let statsBefore: Record<string, number>;

  before(async () => {
    t = await startTestApp({ jitMaxAdders: 16 });
    port = (t.app.server.address() as { port: number }).port;
    await t.http.post('/adders').send({ term: 1 }).expect(201);
    statsBefore = (await t.http.get('/adders')).body.stats;
    pagesBefore = anonymousReadExecutePages(pageSize());
  });

  after(async () => {
    const statsAfter = (await t.http.get('/adders')).body.stats;
    await t.close();
    assert.equal(statsAfter.compiles, statsBefore.compiles, 'bad input compiled nothing');
    assert.equal(statsAfter.live, statsBefore.live);
  });

  async function expectError(
    request: Promise<{ status: number; body: unknown }>,
    status: number,
    message: RegExp,
  ) {
    const response = await request;
    assert.equal(response.status, status, JSON.stringify(response.body));
    assert.match(errorMessage(response.body, status), message);
  }

  describe('the term in the path', () => {
    for (const [path, label] of [
      ['1e3', 'exponent'],
      ['0x10', 'hex'],
      ['5.0', 'decimal point'],
      ['%205', 'leading space'],
      ['+5', 'plus sign'],
      ['five', 'word'],
      ['--5', 'double minus'],
      ['%E2%80%8B5', 'zero-width space'],
    ]) {
      it(`rejects a non-canonical term (${label}: ${path})`, () =>
        expectError(t.http.get(`/adders/${path}/apply?x=1`), 400, /^params\/n must be a decimal integer/));
    }
    it('rejects a term out of int32 range', async () => {
      await expectError(
        t.http.get('/adders/2147483648/apply?x=1'),
        400,
        /^params\/n must be from .* got 2147483648$/,
      );
      await expectError(t.http.get('/adders/-2147483649/apply?x=1'), 400, /^params\/n must be from/);
      await expectError(t.http.get('/adders/99999999999/apply?x=1'), 400, /^params\/n/);
      await expectError(t.http.delete('/adders/2147483648'), 400, /^params\/n/);
      await expectError(t.http.get('/adders/2147483648'), 400, /^params\/n/);
    });
    it('answers 414 for a path parameter too long to hold any int32', () =>
      expectError(
        t.http.get(`/adders/${'9'.repeat(200)}/apply?x=1`),
        414,
        /^a path segment is longer than 64 characters/,
      ));
    it('answers 400 for a malformed percent-encoding', () =>
      expectError(t.http.get('/adders/%E0%A4%A/apply?x=1'), 400, /./));
  });

  describe('the query', () => {
    it('rejects a missing x', () =>
      expectError(t.http.get('/adders/1/apply'), 400, /^querystring must have the property 'x'/));
    it('rejects an empty x', () =>
      expectError(t.http.get('/adders/1/apply?x='), 400, /^querystring\/x must not be empty/));
    it('rejects a repeated x', () =>
      expectError(t.http.get('/adders/1/apply?x=1&x=2'), 400, /^querystring\/x must be given exactly once/));
    for (const x of ['1e3', '0x10', '5.0', '%205', '5%20', 'NaN', 'Infinity', '1,2']) {
      it(`rejects the non-canonical x=${x}`, () =>
        expectError(t.http.get(`/adders/1/apply?x=${x}`), 400, /^querystring\/x must be a decimal integer/));
    }
    it('rejects x out of int32 range', () =>
      expectError(t.http.get('/adders/1/apply?x=-2147483649'), 400, /^querystring\/x must be from/));
    it('rejects unknown query parameters', () =>
      expectError(
        t.http.get('/adders/1/apply?x=1&debug=1'),
        400,
        /^querystring must not have the property "debug"/,
      ));
  });

  describe('JSON bodies', () => {
    const compile = (body: unknown) => t.http.post('/adders').send(body as object);
    for (const [label, body] of [
      ['a string', { term: '5' }],
      ['a float', { term: 1.5 }],
      ['a boolean', { term: true }],
      ['null', { term: null }],
      ['an object', { term: { value: 1 } }],
    ] as const) {
      it(`rejects a term that is ${label}`, () =>
        expectError(compile(body), 400, /^body\/term must be a JSON integer/));
    }
    it('rejects a term out of int32 range', async () => {
      await expectError(
        compile({ term: 2147483648 }),
        400,
        /^body\/term must be from -2147483648 to 2147483647/,
      );
      await expectError(compile({ term: -2147483649 }), 400, /^body\/term must be from/);
    });
    it('rejects a missing term', () => expectError(compile({}), 400, /^body must have the property 'term'/));
    it('rejects unknown fields', () =>
      expectError(compile({ term: 1, x: 2 }), 400, /^body must not have the property "x"/));
    it('rejects a body that is not an object', async () => {
      await expectError(compile([1]), 400, /^body must be of type object/);
    });
    it('rejects malformed JSON', () =>
      expectError(
        t.http.post('/adders').set('content-type', 'application/json').send('{"term": 1'),
        400,
        /JSON/,
      ));
    it('rejects an empty JSON body', () =>
      expectError(
        t.http.post('/adders').set('content-type', 'application/json').send(''),
        400,
        /^body must be of type object/,
      ));
    it('rejects an unsupported content type with 415', async () => {
      await expectError(
        t.http.post('/adders').set('content-type', 'text/plain').send('term=1'),
        415,
        /^content type "text\/plain" is not accepted here: send application\/json$/,
      );
      await expectError(
        t.http.post('/adders').set('content-type', 'application/x-www-form-urlencoded').send('term=1'),
        415,
        /^content type "application\/x-www-form-urlencoded" is not accepted here/,
      );
    });
    it('names both content types the binary batch route takes in its 415', () =>
      expectError(
        t.http.post('/adders/1/apply').set('content-type', 'text/csv').send('1,2'),
        415,
        /^content type "text\/csv" is not accepted here: send application\/json or application\/octet-stream$/,
      ));
    it('refuses application/octet-stream with 415 on routes that take no binary batch, whatever its framing', async () => {
      const head =
        'HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/octet-stream\r\n';
      for (const [request, takes] of [
        [`DELETE /adders/1 ${head}\r\n`, 'this route takes no body'],
        [`DELETE /adders/1 ${head}Content-Length: 8\r\n\r\n${'\0'.repeat(8)}`, 'this route takes no body'],
        [`POST /adders ${head}Content-Length: 4\r\n\r\n\0\0\0\0`, 'send application/json'],
        [
          `POST /adders ${head}Transfer-Encoding: chunked\r\n\r\n4\r\n\0\0\0\0\r\n0\r\n\r\n`,
          'send application/json',
        ],
      ] as const) {
        const [response] = (await exchangeRaw(port, request)).responses;
        assert.equal(response?.status, 415, request);
        assert.equal(
          errorMessage(JSON.parse(response.body.toString()), 415),
          `content type "application/octet-stream" is not accepted here: ${takes}`,
        );
      }
    });
    it('answers a 415 before reading any of the body, whatever its announced length', async () => {
      // A 1 MiB body announced and never sent: the answer comes all the same, so none of it was awaited.
      const socket = connect({ port, host: '127.0.0.1' });
      try {
        const answer = readResponse(socket);
        socket.write(
          'POST /adders HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\n' +
            `Content-Length: ${1024 * 1024}\r\n\r\n`,
        );
        const response = await answer;
        assert.equal(response.status, 415);
        assert.match(errorMessage(JSON.parse(response.body.toString()), 415), /send application\/json$/);
      } finally {
        socket.destroy();
      }
    });
    it('rejects an oversized body with 413', async () => {
      await expectError(compile({ term: 1, pad: 'x'.repeat(2000) }), 413, /too large/);
      const huge = `{"xs":[${'1,'.repeat(200_000)}1]}`;
      await expectError(
        t.http.post('/adders/1/apply').set('content-type', 'application/json').send(huge),
        413,
        /too large/,
      );
    });
    it('rejects a batch element that is not an int32, naming its index', async () => {
      await expectError(
        t.http.post('/adders/1/apply').send({ xs: [1, 2, '3'] }),
        400,
        /^body\/xs\/2 must be a JSON integer/,
      );
      await expectError(
        t.http.post('/adders/1/apply').send({ xs: [1, 2 ** 31] }),
        400,
        /^body\/xs\/1 must be from/,
      );
    });
    it('rejects a batch sent with neither a body nor a content type, naming both content types', async () => {
      const [response] = (
        await exchangeRaw(
          port,
          'POST /adders/1/apply HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n',
        )
      ).responses;
      assert.equal(response?.status, 400);
      assert.equal(
        errorMessage(JSON.parse(response.body.toString()), 400),
        'body must be given: send application/json or application/octet-stream',
      );
    });
    it('rejects a batch that is empty, too long or not an array', async () => {
      await expectError(t.http.post('/adders/1/apply').send({ xs: [] }), 400, /^body\/xs/);
      const tooMany = Array.from({ length: MAX_BATCH + 1 }, () => 1);
      await expectError(t.http.post('/adders/1/apply').send({ xs: tooMany }), 400, /^body\/xs/);
      await expectError(t.http.post('/adders/1/apply').send({ xs: 5 }), 400, /^body\/xs/);
      await expectError(t.http.post('/adders/1/apply').send({}), 400, /^body must have the property 'xs'/);
    });
    it('rejects deeply nested JSON', async () => {
      const deep = `${'['.repeat(50_000)}${']'.repeat(50_000)}`;
      const response = await t.http.post('/adders').set('content-type', 'application/json').send(deep);
      assert.ok(response.status === 400 || response.status === 413, String(response.status));
      errorMessage(response.body, response.status);
    });
  });

  it('answers 404 in the same shape for unknown routes and methods', async () => {
    await expectError(t.http.get('/nope'), 404, /^no route for GET \/nope$/);
    await expectError(t.http.put('/adders/1'), 404, /^no route for PUT \/adders\/1$/);
  });

  it('changed nothing and left the service answering', async () => {
    assert.equal(anonymousReadExecutePages(pageSize()), pagesBefore, 'no page mapped by bad input');
    assert.deepEqual((await t.http.get('/adders/1/apply?x=41').expect(200)).body, {
      term: 1,
      x: 41,
      result: 42,
    });
  });
});
