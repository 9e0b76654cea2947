import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
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

  it('is absent when metrics are off', async () => {
    const t = await startTestApp({ metrics: false });
    try {
      errorMessage((await t.http.get('/metrics').expect(404)).body, 404);
    } finally {
      await t.close();
    }
  });
});
