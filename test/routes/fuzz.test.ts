/**
 * HTTP fuzzing: thousands of random requests, written byte for byte to a raw socket so that nothing on
 * the client side cleans them up first (invalid UTF-8 in paths and bodies, huge and odd numbers, deep
 * JSON, wrong and missing content types, oversized bodies, unknown methods). Whatever arrives, the
 * service answers 2xx or 4xx, every error in the one shape, it stays up, and its registry's counters
 * agree with the pages actually mapped.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { anonymousReadExecutePages } from '../../harness/maps.js';
import { pageSize } from '../../src/jit/libc.js';
import { errorMessage, startTestApp } from '../support/app.js';
import { exchangeRaw, type RawResponse } from '../support/raw-http.js';

/** Path segments meant to hit the validators' edges, and raw bytes that are not valid UTF-8. */
const segment = fc.oneof(
  fc.integer({ min: -2147483648, max: 2147483647 }).map(String),
  fc.constantFrom('2147483648', '-2147483649', '1e3', '0x10', '5.0', '+5', '-0', '', '%20', '%00', '%ff%fe'),
  fc.constantFrom('9'.repeat(400), '..', '%2e%2e', '\u00ff\u00fe', '-', '00000000000000000007'),
  fc.string({ maxLength: 12 }).map(encodeURIComponent),
);
const path = fc.oneof(
  fc.tuple(segment, segment).map(([n, x]) => `/adders/${n}/apply?x=${x}`),
  fc.tuple(segment, segment, segment).map(([n, x, y]) => `/adders/${n}/apply?x=${x}&x=${y}`),
  fc.tuple(segment, segment).map(([n, key]) => `/adders/${n}/apply?${key}=1`),
  segment.map((n) => `/adders/${n}`),
  fc.constantFrom('/adders', '/adders/', '/healthz', '/readyz', '/metrics', '/nope', '/adders/5/apply/x'),
  fc.string({ maxLength: 30 }).map((junk) => `/${junk.replace(/[\s]/g, '')}`),
);
const method = fc.constantFrom('GET', 'GET', 'POST', 'POST', 'DELETE', 'PUT', 'PATCH', 'OPTIONS', 'HEAD');
const contentType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/x-www-form-urlencoded',
  'application/jsonx',
  '',
);
const body = fc.oneof(
  fc.json({ maxDepth: 3 }).map((text) => Buffer.from(text)),
  fc.integer({ min: -2147483648, max: 2147483647 }).map((term) => Buffer.from(`{"term":${term}}`)),
  fc.array(fc.integer(), { maxLength: 20 }).map((xs) => Buffer.from(JSON.stringify({ xs }))),
  fc
    .constantFrom(
      '{"term":1e400}',
      '{"term":-0}',
      '{"term":5.0}',
      '{"term":"5"}',
      '{"term":5,"term":6}',
      '{"xs":[1e999]}',
      '{"__proto__":{"term":1}}',
      `${'['.repeat(10_000)}${']'.repeat(10_000)}`,
      `{"xs":[${'1,'.repeat(100_000)}1]}`,
      `{"xs":[${'1,'.repeat(150_000)}1]}`,
      '{"term":',
      '',
    )
    .map((text) => Buffer.from(text)),
  fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from([0x7b, 0xff, 0xfe, ...bytes])),
);

/**
 * The documented route a request's path has the shape of: even a request refused before routing (a path
 * segment over 64 characters, a malformed URL) answers for that route.
 */
function routeOfPath(url: string): string | undefined {
  const path = url.split('?')[0] ?? '';
  if (/^\/adders\/[^/]+\/apply$/.test(path)) return '/adders/{n}/apply';
  if (/^\/adders\/[^/]+$/.test(path)) return '/adders/{n}';
  return ['/adders', '/healthz', '/readyz'].includes(path) ? path : undefined;
}

describe('HTTP fuzzing', () => {
  it('answers thousands of random and hostile requests with 2xx/4xx, one error shape, and stays consistent', async () => {
    const capacity = 16;
    // Every (method, route, status) the service answered, to hold against the OpenAPI document.
    const answered = new Set<string>();
    const t = await startTestApp({ jitMaxAdders: capacity });
    const port = (t.app.server.address() as { port: number }).port;
    const size = pageSize();
    await t.http.get('/adders/0/apply?x=0').expect(200); // the call gate's page exists from here on
    await t.http.delete('/adders/0').expect(204);
    const pagesBefore = anonymousReadExecutePages(size);
    const statuses = new Map<number, number>();
    try {
      await fc.assert(
        fc.asyncProperty(method, path, contentType, body, async (verb, target, type, payload) => {
          const sendsBody = verb !== 'GET' && verb !== 'HEAD' && verb !== 'OPTIONS';
          const head =
            `${verb} ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n` +
            (type ? `Content-Type: ${type}\r\n` : '') +
            (sendsBody ? `Content-Length: ${payload.length}\r\n` : '') +
            '\r\n';
          const exchange = await exchangeRaw(
            port,
            Buffer.concat([Buffer.from(head, 'latin1'), sendsBody ? payload : Buffer.alloc(0)]),
            { timeoutMs: 10_000, head: verb === 'HEAD' },
          );
          assert.equal(exchange.error, undefined, `${verb} ${target}: the connection failed`);
          assert.equal(exchange.responses.length, 1, `${verb} ${target}: one answer`);
          const response = exchange.responses[0] as RawResponse;
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
          const route = routeOfPath(target);
          if (route !== undefined) answered.add(`${verb} ${route} ${response.status}`);
          assert.ok(
            response.status >= 200 && response.status < 500,
            `${verb} ${target} (${type}) got ${response.status}: ${response.body.toString().slice(0, 200)}`,
          );
          const isJson = /^application\/json/.test(response.headers.get('content-type') ?? '');
          if (response.status >= 400 && verb !== 'HEAD') {
            assert.ok(isJson, `${verb} ${target}: a ${response.status} answered in JSON`);
            errorMessage(JSON.parse(response.body.toString('utf8')), response.status);
          }
          // Nothing that looks like a user-space address (0x7f…: twelve hex digits, or fifteen decimal
          // ones around 140 T), unless the request itself carried it and an error message quotes it back.
          const sent = `${head}${payload.toString('latin1')}`;
          for (const [address] of response.body
            .toString('latin1')
            .matchAll(/(0x)?7f[0-9a-f]{10}|\b1[34][0-9]{13}\b/gi)) {
            assert.ok(sent.includes(address), `${verb} ${target}: an address in the answer: ${address}`);
          }
        }),
        { numRuns: 2_000 },
      );

      // Still up and serving, and the registry agrees with the kernel about the pages it holds.
      await t.http.get('/healthz').expect(200);
      assert.equal((await t.http.get('/adders/40/apply?x=2').expect(200)).body.result, 42);
      const { stats } = (await t.http.get('/adders').expect(200)).body;
      assert.ok(stats.live <= capacity);
      assert.equal(anonymousReadExecutePages(size) - pagesBefore, stats.live);
      assert.equal(stats.mappedBytes, stats.live * size);
      assert.equal(stats.compiles - stats.evictions - stats.releases, stats.live);
      assert.ok(statuses.size > 3, `a spread of answers: ${JSON.stringify([...statuses])}`);

      // Every status a documented route answered is documented for it.
      const paths = (await t.http.get('/openapi.json').expect(200)).body.paths as Record<
        string,
        Record<string, { responses: Record<string, unknown> }>
      >;
      const undocumented = [...answered].filter((entry) => {
        const [method = '', route = '', status = ''] = entry.split(' ');
        const operations = paths[route];
        if (operations === undefined) return true;
        const operation = operations[method.toLowerCase()];
        // A method the route does not have was a 404 for no route.
        if (operation === undefined) return false;
        return operation.responses[status] === undefined;
      });
      assert.deepEqual(undocumented, [], 'statuses answered but not in /openapi.json');
    } finally {
      await t.close();
    }
  });
});
