import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../support/app.js';

describe('health, readiness and docs', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  it('reports alive on /healthz and ready on /readyz after the self-test', async () => {
    assert.deepEqual((await t.http.get('/healthz').expect(200)).body, { status: 'ok' });
    assert.deepEqual((await t.http.get('/readyz').expect(200)).body, { status: 'ready' });
    assert.equal(t.app.jitReady(), true);
  });

  it('serves an OpenAPI document covering every route, each with examples', async () => {
    const document = (await t.http.get('/openapi.json').expect(200)).body;
    assert.equal(document.openapi, '3.1.0');
    const operations = Object.entries(document.paths as Record<string, Record<string, unknown>>).flatMap(
      ([path, methods]) =>
        Object.entries(methods).map(([method, operation]) => ({ path, method, operation })),
    );
    assert.deepEqual(operations.map(({ method, path }) => `${method.toUpperCase()} ${path}`).sort(), [
      'DELETE /adders/{n}',
      'GET /adders',
      'GET /adders/{n}',
      'GET /adders/{n}/apply',
      'GET /adders/{n}/life',
      'GET /healthz',
      'GET /readyz',
      'HEAD /adders',
      'HEAD /adders/{n}',
      'HEAD /adders/{n}/apply',
      'HEAD /adders/{n}/life',
      'HEAD /healthz',
      'HEAD /readyz',
      'POST /adders',
      'POST /adders/{n}/apply',
    ]);
    for (const { method, path, operation } of operations) {
      const text = JSON.stringify(operation);
      assert.match(text, /"examples?"/, `${method} ${path} has examples`);
    }
    assert.ok(document.components.schemas.ErrorResponse, 'the shared error shape is a named component');
  });

  it('serves Swagger UI at /docs', async () => {
    const response = await t.http.get('/docs').redirects(1).expect(200);
    assert.match(response.text, /Swagger UI/);
  });

  it('never answers with a memory address', async () => {
    await t.http.post('/adders').send({ term: 99 });
    const bodies = await Promise.all(
      ['/adders', '/adders/99', '/adders/99/apply?x=1', '/openapi.json', '/readyz'].map(
        async (path) => (await t.http.get(path)).text,
      ),
    );
    for (const body of bodies) {
      // User-space addresses on x86-64 are 47-bit: 12 hex digits (0x7f…) or 14–15 decimal digits.
      assert.doesNotMatch(body, /0x[0-9a-f]{9,}/i);
      assert.doesNotMatch(body, /(?<![0-9])[0-9]{13,16}(?![0-9])/);
    }
  });
});
