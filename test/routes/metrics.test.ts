import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { createServiceLogger } from '../../src/observability/logger.js';
import { MISNAMED_DEFAULT_METRICS } from '../../src/observability/metrics.js';
import { buildApp } from '../../src/service/app.js';
import { errorMessage, startTestApp } from '../support/app.js';
import { inCI } from '../support/ci.js';

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
      const { version } = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));
      assert.equal(
        sample(
          text,
          `babyjit_build_info{version="${version}",runtime="node ${process.version}",target="${stats.target}",level="${stats.level}"}`,
        ),
        1,
      );

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

  it('passes promtool check metrics, which flags prom-client’s misnamed default gauges', async (t) => {
    if (spawnSync('promtool', ['--version']).status !== 0) {
      assert.ok(!inCI, 'promtool is missing in CI (.ci/run installs Debian’s prometheus package)');
      t.skip('promtool is not installed: apt-get install prometheus');
      return;
    }
    const check = (text: string) =>
      spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    const app = await startTestApp({ compilesPerMinute: 1 });
    try {
      // Every kind of series: histograms with several routes and statuses, counters, gauges, the defaults.
      await app.http.get('/adders/5/apply?x=1').expect(200);
      await app.http.get('/adders/6/apply?x=1').expect(429);
      await app.http.get('/adders/5').expect(200);
      const text = (await app.http.get('/metrics').expect(200)).text;
      const result = check(text);
      assert.equal(result.status, 0, `promtool check metrics:\n${result.stdout}${result.stderr}`);
      assert.equal(`${result.stdout}${result.stderr}`, '');
      for (const name of MISNAMED_DEFAULT_METRICS) assert.ok(!text.includes(`\n${name} `), name);
      assert.ok(
        sample(text, 'nodejs_active_handles{type="Server"}') !== undefined,
        'the gauge by type stays',
      );

      // What was left out is what promtool flags: put one back and the check fails.
      const flagged = check(`${text}# HELP nodejs_active_handles_total Total number of active handles.
# TYPE nodejs_active_handles_total gauge
nodejs_active_handles_total 3
`);
      assert.notEqual(flagged.status, 0);
      assert.match(`${flagged.stdout}${flagged.stderr}`, /nodejs_active_handles_total non-counter metrics/);
    } finally {
      await app.close();
    }
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
