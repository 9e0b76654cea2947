/**
 * The simulation `npm run bench:scale` reports beside its measurements: the seeded generator, the Zipf
 * sampler, and the LRU caches, checked against exact counts and against a cache written the slow, obvious
 * way.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  LruCache,
  lruHitRate,
  routedHitRate,
  seededRandom,
  zipfSampler,
} from '../../harness/cache-simulation.js';

/** An LRU as a list, most recent last: slow and plainly right. */
function naiveHits(requests: readonly number[], capacity: number): number {
  const order: number[] = [];
  let hits = 0;
  for (const key of requests) {
    const at = order.indexOf(key);
    if (at >= 0) {
      hits += 1;
      order.splice(at, 1);
    } else if (order.length === capacity) order.shift();
    order.push(key);
  }
  return hits;
}

describe('the seeded generator', () => {
  it('gives the same sequence for a seed, another for another seed, in [0, 1)', () => {
    const draw = (seed: number) => Array.from({ length: 1000 }, seededRandom(seed));
    assert.deepEqual(draw(7), draw(7));
    assert.notDeepEqual(draw(7), draw(8));
    const values = draw(9);
    assert.ok(values.every((value) => value >= 0 && value < 1));
    const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
    assert.ok(Math.abs(mean - 0.5) < 0.05, `mean ${mean}`);
  });
});

describe('the Zipf sampler', () => {
  const n = 1000;
  const draws = 200_000;
  const frequencies = (s: number) => {
    const sample = zipfSampler(n, s, seededRandom(1));
    const counts = new Float64Array(n);
    for (let i = 0; i < draws; i += 1) {
      const rank = sample();
      counts[rank] = (counts[rank] ?? 0) + 1;
    }
    return Array.from(counts, (count) => count / draws);
  };

  it('draws rank k with probability (1 / (k + 1)) / H(n) at s = 1', () => {
    const harmonic = Array.from({ length: n }, (_, k) => 1 / (k + 1)).reduce((sum, term) => sum + term, 0);
    const observed = frequencies(1);
    for (const rank of [0, 1, 2, 9, 99]) {
      const expected = 1 / (rank + 1) / harmonic;
      const error = 4 * Math.sqrt((expected * (1 - expected)) / draws); // four standard errors
      assert.ok(
        Math.abs((observed[rank] as number) - expected) < error,
        `rank ${rank}: ${observed[rank]} vs ${expected}`,
      );
    }
  });

  it('draws every rank alike at s = 0, and only ranks 0 to n - 1', () => {
    const observed = frequencies(0);
    assert.equal(observed.length, n);
    const expected = 1 / n;
    const error = 5 * Math.sqrt((expected * (1 - expected)) / draws);
    assert.ok(observed.every((share) => Math.abs(share - expected) < error));
    const sample = zipfSampler(3, 1, seededRandom(2));
    for (let i = 0; i < 10_000; i += 1) assert.ok([0, 1, 2].includes(sample()));
  });
});

describe('the LRU cache', () => {
  it('evicts the least recently used key, a hit counting as a use', () => {
    const cache = new LruCache(2);
    assert.deepEqual(
      ['a', 'b', 'a', 'c', 'b', 'a'].map((key) => cache.touch(key.charCodeAt(0))),
      [false, false, true, false, false, false],
    );
    assert.equal(cache.size, 2);
    assert.throws(() => new LruCache(0), /capacity must be at least 1/);
  });

  it('hits on every repeat when it holds every key, and never on a cycle one key too long for it', () => {
    const cycle = (keys: number, rounds: number) => Array.from({ length: keys * rounds }, (_, i) => i % keys);
    assert.equal(lruHitRate(cycle(10, 5), 10), 40 / 50);
    assert.equal(lruHitRate(cycle(11, 5), 10), 0);
    assert.equal(lruHitRate([], 10), 0);
  });

  it('counts the hits a list-based LRU counts, for any requests and capacity', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 30 }), { maxLength: 300 }),
        fc.integer({ min: 1, max: 20 }),
        (requests, capacity) => {
          const expected = requests.length === 0 ? 0 : naiveHits(requests, capacity) / requests.length;
          assert.equal(lruHitRate(requests, capacity), expected);
        },
      ),
    );
  });
});

describe('routed caches', () => {
  it('are the one LRU when every request goes to one replica', () => {
    const requests = Array.from({ length: 5000 }, zipfSampler(500, 1, seededRandom(3)));
    assert.equal(
      routedHitRate(requests, 50, () => 0),
      lruHitRate(requests, 50),
    );
  });

  it('miss only the first request for each key when each key has one replica and fits in it', () => {
    // 30 keys, 3 replicas of 10, each key always on replica key % 3: nothing is ever evicted.
    const requests = Array.from({ length: 3000 }, zipfSampler(30, 1, seededRandom(4)));
    const distinct = new Set(requests).size;
    assert.equal(
      routedHitRate(requests, 10, (i) => (requests[i] as number) % 3),
      (requests.length - distinct) / requests.length,
    );
    // Round-robin sends every key to all three, where 30 keys do not fit in 10: it hits less.
    assert.ok(routedHitRate(requests, 10, (i) => i % 3) < (requests.length - distinct) / requests.length);
  });
});
