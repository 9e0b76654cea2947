import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BUILD_INFO } from '../../src/build-info.js';
import { DEFAULT_CONFIG } from '../../src/config.js';
import type { RegistryStats } from '../../src/jit/registry.js';
import { requestDurationBuckets, ServiceMetrics } from '../../src/observability/metrics.js';

const APPLY_200 =
  'http_request_duration_seconds_count{method="GET",route="/adders/:n/apply",status_code="200"}';

async function count(metrics: ServiceMetrics, series: string): Promise<number | undefined> {
  const line = (await metrics.registry.metrics()).split('\n').find((each) => each.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('ServiceMetrics', () => {
  it("survives the registry's resetMetrics(): request and compile durations count from zero again", async () => {
    const metrics = new ServiceMetrics(() => undefined, {
      requestTimeoutMs: DEFAULT_CONFIG.requestTimeoutMs,
      build: BUILD_INFO,
    });
    metrics.observeRequest('GET', '/adders/:n/apply', 200, 0.001);
    metrics.observeRequest('GET', '/adders/:n/apply', 200, 0.002);
    metrics.observeCompile(0.00001);
    metrics.observeCompile(0.00001);
    assert.equal(await count(metrics, APPLY_200), 2);
    assert.equal(await count(metrics, 'jit_compile_duration_seconds_count'), 2);
    metrics.registry.resetMetrics();
    metrics.observeRequest('GET', '/adders/:n/apply', 200, 0.001);
    metrics.observeCompile(0.00001);
    assert.equal(await count(metrics, APPLY_200), 1);
    assert.equal(await count(metrics, 'jit_compile_duration_seconds_count'), 1);
  });

  it('times requests in buckets that reach the request timeout, and no further', async () => {
    assert.deepEqual(requestDurationBuckets(30_000).slice(-6), [0.25, 1, 2.5, 5, 10, 30], 'the default 30 s');
    assert.deepEqual(requestDurationBuckets(1_000).slice(-2), [0.25, 1], 'the shortest timeout, 1 s');
    assert.deepEqual(requestDurationBuckets(45_000).slice(-3), [10, 30, 45]);
    assert.deepEqual(requestDurationBuckets(3_600_000).slice(-4), [60, 300, 900, 3600]);

    const metrics = new ServiceMetrics(() => undefined, { requestTimeoutMs: 30_000, build: BUILD_INFO });
    metrics.observeRequest('POST', '/adders/:n/apply', 200, 29.5);
    const text = await metrics.registry.metrics();
    const bucket = (le: string) =>
      Number(
        new RegExp(`^http_request_duration_seconds_bucket\\{le="${le}",method="POST".*\\} (\\d+)$`, 'm').exec(
          text,
        )?.[1],
      );
    assert.equal(bucket('10'), 0);
    assert.equal(bucket('30'), 1, 'a request of 29.5 s lands in a bucket of its own, not only in +Inf');
  });

  it('reports the build: version, runtime, and the JIT’s target and level', async () => {
    const metrics = new ServiceMetrics(() => ({ target: 'x86-64', level: 'avx2' }) as RegistryStats, {
      requestTimeoutMs: 30_000,
      build: { version: '9.8.7', runtime: 'node v26.0.0' },
    });
    assert.match(
      await metrics.registry.metrics(),
      /^babyjit_build_info\{version="9\.8\.7",runtime="node v26\.0\.0",target="x86-64",level="avx2"\} 1$/m,
    );
  });
});
