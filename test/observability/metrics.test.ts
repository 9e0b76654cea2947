import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ServiceMetrics } from '../../src/observability/metrics.js';

const APPLY_200 =
  'http_request_duration_seconds_count{method="GET",route="/adders/:n/apply",status_code="200"}';

async function count(metrics: ServiceMetrics, series: string): Promise<number | undefined> {
  const line = (await metrics.registry.metrics()).split('\n').find((each) => each.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('ServiceMetrics', () => {
  it("survives the registry's resetMetrics(): request and compile durations count from zero again", async () => {
    const metrics = new ServiceMetrics(() => undefined);
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
});
