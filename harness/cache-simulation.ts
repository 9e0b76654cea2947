/**
 * The workload of `npm run bench:scale` and what an ideal cache would make of it, computed rather than
 * measured: a seeded Zipf sampler (the same requests every run) and least-recently-used caches, one for
 * the ideal (a single LRU as large as all the replicas together) and one per replica for any given
 * assignment of terms to replicas. The registry evicts its least recently used adder (src/jit/registry.ts),
 * so an LRU is what each replica is.
 */

/** A 32-bit generator with a fixed seed (mulberry32): the same sequence on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/**
 * Ranks 0 … n-1 drawn with probability proportional to 1 / (rank + 1)^s: Zipf's law, s = 1 for the usual
 * web-cache workload. Inverse transform over the cumulative weights, by binary search.
 */
export function zipfSampler(n: number, s: number, random: () => number): () => number {
  const cumulative = new Float64Array(n);
  let total = 0;
  for (let rank = 0; rank < n; rank += 1) {
    total += 1 / (rank + 1) ** s;
    cumulative[rank] = total;
  }
  return () => {
    const target = random() * total;
    let low = 0;
    let high = n - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((cumulative[middle] as number) < target) low = middle + 1;
      else high = middle;
    }
    return low;
  };
}

/** A least-recently-used set of keys of fixed capacity: `touch` says whether the key was held (a hit). */
export class LruCache {
  readonly #keys = new Map<number, true>();

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new RangeError(`capacity must be at least 1, got ${capacity}`);
  }

  touch(key: number): boolean {
    const hit = this.#keys.delete(key);
    this.#keys.set(key, true); // to the most recent end of the Map's order
    if (!hit && this.#keys.size > this.capacity) this.#keys.delete(this.#keys.keys().next().value as number);
    return hit;
  }

  get size(): number {
    return this.#keys.size;
  }
}

/** The share of `requests` that hit one LRU of `capacity`: the ideal for replicas holding that many together. */
export function lruHitRate(requests: ArrayLike<number>, capacity: number): number {
  const cache = new LruCache(capacity);
  let hits = 0;
  for (let i = 0; i < requests.length; i += 1) if (cache.touch(requests[i] as number)) hits += 1;
  return requests.length === 0 ? 0 : hits / requests.length;
}

/**
 * The share of `requests` that hit when request i goes to replica `replicaOf(i)`, each replica an LRU of
 * `capacity`: what a given routing (a ring, round-robin) makes of the same workload.
 */
export function routedHitRate(
  requests: ArrayLike<number>,
  capacity: number,
  replicaOf: (i: number) => number,
): number {
  const caches = new Map<number, LruCache>();
  let hits = 0;
  for (let i = 0; i < requests.length; i += 1) {
    const replica = replicaOf(i);
    let cache = caches.get(replica);
    if (cache === undefined) {
      cache = new LruCache(capacity);
      caches.set(replica, cache);
    }
    if (cache.touch(requests[i] as number)) hits += 1;
  }
  return requests.length === 0 ? 0 : hits / requests.length;
}
