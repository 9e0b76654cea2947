/**
 * A client of the service written the way an outside client would write one: against the types that
 * openapi-typescript generates from the served /openapi.json, with openapi-fetch. The test
 * (test/service/generated-client.test.ts) generates `./api.js` from the document, type-checks this file
 * against it, and runs `roundTrip` against the service. `./api.js` exists only in the test's temporary
 * directory, so the project's own build leaves this folder out (tsconfig.json).
 */
import assert from 'node:assert/strict';
import createClient from 'openapi-fetch';
import type { paths } from './api.js';

const INT32_MAX = 2_147_483_647;
const INT32_MIN = -2_147_483_648;
const CACHE_HEADER = 'x-jit-cache';

/** What the adder for `term` answers for `x`: the sum, wrapped around like int32 arithmetic. */
const wrappedSum = (term: number, x: number) => (term + x) | 0;

/**
 * Calls every operation of the document, on a service that has compiled no adder yet, and asserts each
 * answer: status, body, and the headers a client relies on.
 */
export async function roundTrip(baseUrl: string): Promise<void> {
  // JSON answers: POST /adders/{n}/apply also answers application/octet-stream, which this client never asks for.
  const client = createClient<paths, 'application/json'>({ baseUrl });

  // getLiveness, headLiveness, getReadiness, headReadiness
  const liveness = await client.GET('/healthz');
  assert.equal(liveness.response.status, 200);
  assert.deepEqual(liveness.data, { status: 'ok' });
  assert.equal((await client.HEAD('/healthz')).response.status, 200);
  const readiness = await client.GET('/readyz');
  assert.equal(readiness.response.status, 200);
  assert.deepEqual(readiness.data, { status: 'ready' });
  assert.equal((await client.HEAD('/readyz')).response.status, 200);

  // compileAdder: 201 with a Location the first time, 200 and the same code after.
  const compiled = await client.POST('/adders', { body: { term: 5 } });
  assert.equal(compiled.response.status, 201);
  assert.equal(compiled.response.headers.get(CACHE_HEADER), 'compile');
  assert.equal(compiled.response.headers.get('location'), '/adders/5');
  assert.equal(compiled.data?.term, 5);
  assert.match(compiled.data?.code ?? '', /^[0-9a-f]{2}( [0-9a-f]{2})+$/);
  const recompiled = await client.POST('/adders', { body: { term: 5 } });
  assert.equal(recompiled.response.status, 200);
  assert.equal(recompiled.response.headers.get(CACHE_HEADER), 'hit');
  assert.deepEqual(recompiled.data, compiled.data);

  // applyAdder and headApplyAdder: both evaluate, the HEAD without a body.
  const applied = await client.GET('/adders/{n}/apply', { params: { path: { n: '5' }, query: { x: '37' } } });
  assert.equal(applied.response.status, 200);
  assert.equal(applied.response.headers.get(CACHE_HEADER), 'hit');
  assert.deepEqual(applied.data, { term: 5, x: 37, result: 42 });
  const headApplied = await client.HEAD('/adders/{n}/apply', {
    params: { path: { n: '5' }, query: { x: '37' } },
  });
  assert.equal(headApplied.response.status, 200);
  assert.equal(headApplied.response.headers.get(CACHE_HEADER), 'hit');
  assert.equal(headApplied.data, undefined);

  // At INT32_MAX the sum wraps around; the first use of a term compiles it.
  const wrapped = await client.GET('/adders/{n}/apply', {
    params: { path: { n: String(INT32_MAX) }, query: { x: '1' } },
  });
  assert.equal(wrapped.response.headers.get(CACHE_HEADER), 'compile');
  assert.deepEqual(wrapped.data, { term: INT32_MAX, x: 1, result: INT32_MIN });

  // applyAdderToMany
  const xs = [1, INT32_MAX, -1, INT32_MIN];
  const many = await client.POST('/adders/{n}/apply', {
    params: { path: { n: String(INT32_MAX) } },
    body: { xs },
  });
  assert.equal(many.response.status, 200);
  assert.equal(many.response.headers.get(CACHE_HEADER), 'hit');
  assert.deepEqual(many.data, { term: INT32_MAX, results: xs.map((x) => wrappedSum(INT32_MAX, x)) });
  const fresh = await client.POST('/adders/{n}/apply', {
    params: { path: { n: '-7' } },
    body: { xs: [1, 2, 3] },
  });
  assert.equal(fresh.response.headers.get(CACHE_HEADER), 'compile');
  assert.deepEqual(fresh.data?.results, [-6, -5, -4]);

  // listAdders, a page of one at a time, following `next`; then the counters alone.
  const listed: number[] = [];
  let query: { limit?: string; offset?: string } = { limit: '1' };
  for (let pages = 0; pages < 10; pages += 1) {
    const page = await client.GET('/adders', { params: { query } });
    assert.equal(page.response.status, 200);
    assert.ok(page.data !== undefined);
    assert.equal(page.data.page.total, 3);
    assert.equal(page.data.adders.length, 1);
    listed.push(...page.data.adders.map((adder) => adder.term));
    const next = page.data.page.next;
    if (next === null) break;
    const nextQuery = new URL(next, baseUrl).searchParams;
    query = { limit: nextQuery.get('limit') ?? undefined, offset: nextQuery.get('offset') ?? undefined };
  }
  assert.deepEqual(listed, [5, INT32_MAX, -7], 'every adder, least recently used first');
  const counters = await client.GET('/adders', { params: { query: { limit: '0' } } });
  assert.deepEqual(counters.data?.adders, []);
  assert.equal(counters.data?.stats.live, 3);
  assert.equal(counters.data?.stats.compiles, 3);

  // headAdders
  const headList = await client.HEAD('/adders');
  assert.equal(headList.response.status, 200);
  assert.match(headList.response.headers.get('content-type') ?? '', /^application\/json/);

  // describeAdder and headAdder
  const described = await client.GET('/adders/{n}', { params: { path: { n: '5' } } });
  assert.equal(described.response.status, 200);
  assert.ok(described.data !== undefined);
  assert.equal(described.data.term, 5);
  assert.equal(described.data.code, compiled.data?.code);
  assert.equal(described.data.calls, 2, 'the GET and the HEAD of applyAdder');
  assert.ok(described.data.disassembly.some((instruction) => instruction.mnemonic === 'Ret'));
  assert.equal((await client.HEAD('/adders/{n}', { params: { path: { n: '5' } } })).response.status, 200);

  // getAdderLife and headAdderLife
  const life = await client.GET('/adders/{n}/life', { params: { path: { n: '5' } } });
  assert.equal(life.response.status, 200);
  assert.equal(life.data?.live, true);
  assert.deepEqual(
    life.data?.steps.map(({ step, protection }) => `${step} ${protection}`),
    ['mapped rw-', 'written rw-', 'sealed r-x', 'called r-x'],
  );
  const headLife = await client.HEAD('/adders/{n}/life', { params: { path: { n: '5' } } });
  assert.equal(headLife.response.status, 200);

  // releaseAdder: 204, then the adder is gone and its page's life ends unmapped.
  const released = await client.DELETE('/adders/{n}', { params: { path: { n: '5' } } });
  assert.equal(released.response.status, 204);
  assert.equal((await client.HEAD('/adders/{n}', { params: { path: { n: '5' } } })).response.status, 404);
  const gone = await client.GET('/adders/{n}', { params: { path: { n: '5' } } });
  assert.equal(gone.response.status, 404);
  assert.deepEqual(gone.error, { statusCode: 404, error: 'Not Found', message: 'adder 5 is not compiled' });
  const releasedTwice = await client.DELETE('/adders/{n}', { params: { path: { n: '5' } } });
  assert.equal(releasedTwice.error?.statusCode, 404);
  const ended = await client.GET('/adders/{n}/life', { params: { path: { n: '5' } } });
  assert.equal(ended.data?.live, false);
  assert.equal(ended.data?.steps.at(-1)?.step, 'unmapped');

  // A refused input answers in the documented error shape.
  const refused = await client.GET('/adders/{n}/apply', {
    params: { path: { n: '5' }, query: { x: '1.5' } },
  });
  assert.equal(refused.response.status, 400);
  assert.equal(refused.error?.statusCode, 400);
  assert.match(refused.error?.message ?? '', /querystring\/x/);
}
