import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Histogram, Registry } from 'prom-client';
import { RecordingHistogram } from '../../src/observability/recording-histogram.js';

const buckets = [0.0001, 0.001, 0.01, 0.1, 1];
const labelNames = ['method', 'route', 'status_code'] as const;

type Labels = Record<(typeof labelNames)[number], string | number>;

/** The same observations through prom-client's Histogram and ours, each in a registry of its own. */
async function bothTexts(observations: Array<{ labels: Labels; value: number }>) {
  const reference = new Registry();
  const ours = new Registry();
  const options = { name: 'request_seconds', help: 'Request "duration"\\n', labelNames, buckets };
  const histogram = new Histogram({ ...options, labelNames: [...labelNames], registers: [reference] });
  const recording = new RecordingHistogram({ ...options, registers: [ours] });
  for (const { labels, value } of observations) {
    histogram.observe(labels, value);
    recording.series(labels).observe(value);
  }
  return { reference: await reference.metrics(), ours: await ours.metrics() };
}

describe('RecordingHistogram', () => {
  it("exposes exactly what prom-client's Histogram exposes for the same observations", async () => {
    const labels = fc.record({
      method: fc.constantFrom('GET', 'POST', 'DELETE'),
      route: fc.constantFrom('/adders/:n/apply', '/adders', 'un"quoted\\route'),
      status_code: fc.constantFrom(200, 201, 400, 404, 503),
    });
    // Values on the bucket bounds themselves too: `le` is inclusive.
    const value = fc.oneof(fc.double({ min: 0, max: 5, noNaN: true }), fc.constantFrom(...buckets, 0));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ labels, value }), { maxLength: 60 }), async (observations) => {
        const { reference, ours } = await bothTexts(observations);
        assert.equal(ours, reference);
      }),
      { numRuns: 200 },
    );
  });

  it('counts an observation in its bucket and every bucket above it', async () => {
    const labels = { method: 'GET', route: '/r', status_code: 200 };
    const { ours } = await bothTexts([
      { labels, value: 0.001 },
      { labels, value: 0.5 },
      { labels, value: 7 },
    ]);
    const sample = (le: string) =>
      ours.split('\n').find((line) => line.startsWith(`request_seconds_bucket{le="${le}",`));
    assert.match(sample('0.0001') ?? '', / 0$/);
    assert.match(sample('0.001') ?? '', / 1$/);
    assert.match(sample('0.1') ?? '', / 1$/);
    assert.match(sample('1') ?? '', / 2$/);
    assert.match(sample('+Inf') ?? '', / 3$/);
    assert.match(ours, /request_seconds_sum\{method="GET",route="\/r",status_code="200"\} 7\.501\n/);
  });

  it('returns the same series for the same label values, and refuses bad buckets and values', () => {
    const histogram = new RecordingHistogram({
      name: 'x',
      help: 'x',
      labelNames: ['a'],
      buckets: [1, 2],
      registers: [],
    });
    assert.equal(histogram.series({ a: 'one' }), histogram.series({ a: 'one' }));
    assert.notEqual(histogram.series({ a: 'one' }), histogram.series({ a: 'two' }));
    assert.throws(() => histogram.series({ a: 'one' }).observe(Number.NaN), TypeError);
    for (const bad of [[], [2, 1], [1, 1]]) {
      assert.throws(
        () => new RecordingHistogram({ name: 'y', help: 'y', labelNames: [], buckets: bad, registers: [] }),
        RangeError,
      );
    }
  });

  it("counts from zero again after the registry's resetMetrics(), through the series handles already held", async () => {
    const registry = new Registry();
    const recording = new RecordingHistogram({
      name: 'request_seconds',
      help: 'h',
      labelNames,
      buckets,
      registers: [registry],
    });
    const held = recording.series({ method: 'GET', route: '/adders', status_code: 200 });
    held.observe(0.005);
    held.observe(5);
    registry.resetMetrics();
    const afterReset = await registry.metrics();
    assert.match(afterReset, /^request_seconds_count\{method="GET",route="\/adders",status_code="200"\} 0$/m);
    assert.match(afterReset, /^request_seconds_sum\{method="GET",route="\/adders",status_code="200"\} 0$/m);
    held.observe(0.005);
    const text = await registry.metrics();
    assert.match(text, /^request_seconds_count\{method="GET",route="\/adders",status_code="200"\} 1$/m);
    assert.match(
      text,
      /^request_seconds_bucket\{le="0.01",method="GET",route="\/adders",status_code="200"\} 1$/m,
    );
    assert.match(
      text,
      /^request_seconds_bucket\{le="\+Inf",method="GET",route="\/adders",status_code="200"\} 1$/m,
    );
  });
});
