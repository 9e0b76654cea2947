import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { createServiceLogger } from '../../src/observability/logger.js';
import { buildApp } from '../../src/service/app.js';
import { errorMessage, startTestApp } from '../support/app.js';

/** The value of one sample line, e.g. `jit_live_pages 3` or `name{label="x"} 2`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('GET /metrics', () => {
  it('reports the JIT counters as the registry counts them, request durations by route and status', async () => {
    const t = await startTestApp({ jitMaxAdders: 2 });
    try {
      for (const term of [1, 2, 3, 1]) await t.http.get(`/adders/${term}/apply?x=1`).expect(200);
      await t.http.get('/adders/1e3/apply?x=1').expect(400);
      const response = await t.http.get('/metrics').expect(200);
      assert.match(response.headers['content-type'] ?? '', /^text\/plain; version=0\.0\.4/);
      const text = response.text;
      const { stats } = (await t.http.get('/adders')).body;
      assert.equal(sample(text, 'jit_compiles_total'), stats.compiles);
      assert.equal(sample(text, 'jit_compiles_total'), 4); // 1, 2, 3, then 1 again after its eviction
      assert.equal(sample(text, 'jit_cache_hits_total'), stats.hits);
      assert.equal(sample(text, 'jit_cache_misses_total'), stats.misses);
      assert.equal(sample(text, 'jit_evictions_total'), 2);
      assert.equal(sample(text, 'jit_live_pages'), 2);
      assert.equal(sample(text, 'jit_mapped_bytes'), stats.mappedBytes);
      assert.equal(sample(text, 'jit_compile_duration_seconds_count'), 4);
      assert.equal(
        sample(
          text,
          'http_request_duration_seconds_count{method="GET",route="/adders/:n/apply",status_code="200"}',
        ),
        4,
      );
      assert.equal(
        sample(
          text,
          'http_request_duration_seconds_count{method="GET",route="/adders/:n/apply",status_code="400"}',
        ),
        1,
      );
      assert.ok((sample(text, 'process_cpu_user_seconds_total') ?? -1) >= 0, 'default process metrics');

      // Counters only grow, and a second scrape adds only what happened in between.
      await t.http.get('/adders/9/apply?x=1').expect(200);
      const again = (await t.http.get('/metrics')).text;
      assert.equal(sample(again, 'jit_compiles_total'), 5);
      assert.equal(sample(again, 'jit_evictions_total'), 3);
    } finally {
      await t.close();
    }
  });

  it('labels every request with the pattern of the route that answered it, whether it succeeded or not', async () => {
    const t = await startTestApp();
    try {
      await t.http.get('/healthz').expect(200);
      await t.http.head('/healthz').expect(200);
      await t.http.get('/readyz').expect(200);
      await t.http.get('/openapi.json').expect(200);
      await t.http.post('/adders').send({ term: 5 }).expect(201);
      // Refused before the handler runs: wrong media type, a body that fails its schema, a path parameter.
      await t.http.post('/adders').set('content-type', 'text/plain').send('5').expect(415);
      await t.http.post('/adders').send({ term: 'five' }).expect(400);
      await t.http.get('/adders/1e3/apply?x=1').expect(400);
      await t.http.get('/adders/5').expect(200);
      await t.http.delete('/adders/5').expect(204);
      await t.http.delete('/adders/5').expect(404); // the handler's own 404
      await t.http.get('/nowhere/5').expect(404); // no route at all
      await t.http.get('/metrics').expect(200);
      const text = (await t.http.get('/metrics').expect(200)).text;
      const series = text
        .split('\n')
        .filter((line) => line.startsWith('http_request_duration_seconds_count{'))
        .map((line) => {
          const labels = Object.fromEntries(
            [...line.matchAll(/(\w+)="([^"]*)"/g)].map(([, name, value]) => [name, value]),
          );
          return `${labels.method} ${labels.route} ${labels.status_code} ${line.split(' ')[1]}`;
        })
        .sort();
      assert.deepEqual(series, [
        'DELETE /adders/:n 204 1',
        'DELETE /adders/:n 404 1',
        'GET /adders/:n 200 1',
        'GET /adders/:n/apply 400 1',
        'GET /healthz 200 1',
        'GET /metrics 200 1', // the scrape before this one
        'GET /openapi.json 200 1',
        'GET /readyz 200 1',
        'GET unmatched 404 1',
        'HEAD /healthz 200 1',
        'POST /adders 201 1',
        'POST /adders 400 1',
        'POST /adders 415 1',
      ]);
    } finally {
      await t.close();
    }
  });

  it('costs no listener per request: a response has the listeners it has in a bare Fastify app', async () => {
    // Fastify adds `finish` and `error` listeners to every response while the app has a logger or an
    // onResponse hook; the production configuration (metrics on, logging at info) must have neither.
    const listenersIn = async (app: FastifyInstance) => {
      let counts = '';
      app.get('/probe', (_request, reply) => {
        counts = `finish ${reply.raw.listenerCount('finish')}, error ${reply.raw.listenerCount('error')}`;
        return {};
      });
      await app.listen({ port: 0, host: '127.0.0.1' });
      try {
        await fetch(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}/probe`);
      } finally {
        await app.close();
      }
      return counts;
    };
    const bare = await listenersIn(Fastify());
    const production = await listenersIn(
      await buildApp({ logger: createServiceLogger({ level: 'info', destination: new PassThrough() }) }),
    );
    assert.match(bare, /^finish \d+, error \d+$/);
    assert.equal(production, bare);
  });

  it('is absent when metrics are off', async () => {
    const t = await startTestApp({ metrics: false });
    try {
      errorMessage((await t.http.get('/metrics').expect(404)).body, 404);
    } finally {
      await t.close();
    }
  });
});
