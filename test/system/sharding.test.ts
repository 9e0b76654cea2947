/**
 * The sharding tier, for real: three replicas of the server (each its own process) behind HAProxy 2.6
 * running deploy/haproxy/haproxy.cfg (harness/haproxy-process.ts rewrites only its ports and servers).
 * Every route that names a term reaches the term's replica, POST /adders by the term in its body; routes
 * that name none say which replica answered; and the compile quota counts each client by its own address
 * on each replica.
 *
 * Without HAProxy (Debian's `haproxy` package) it fails under CI and skips elsewhere.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { haproxyUnavailable, REPLICA_HEADER } from '../../harness/haproxy-process.js';
import { type ShardedService, startShardedService } from '../../harness/sharded-service.js';
import { wrappingAdd } from '../../src/jit/int32.js';
import { inCI } from '../support/ci.js';
import { type Answer, header, requestFrom } from '../support/http-from.js';

const noHaproxy = await haproxyUnavailable();
const HAPROXY_HINT = 'install Debian’s haproxy package (apt-get install haproxy), as .ci/run does';

/** The client the tests play, other than the proxy's own address (127.0.0.1, which the replicas trust). */
const CLIENT = '127.0.0.2';

/** Terms of every kind: the int32 extremes, zero, negatives, and a spread of others. */
const TERMS = [
  0,
  1,
  -1,
  5,
  2147483647,
  -2147483648,
  ...Array.from({ length: 18 }, (_, i) => Math.imul(i + 1, 0x9e3779b1)),
];

function json(body: Record<string, unknown>) {
  return { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

function replicaOf(answer: Answer): string {
  return header(answer, REPLICA_HEADER);
}

if (noHaproxy !== undefined) {
  it(
    'has HAProxy 2.6 or later to test the sharding tier with (CI requires it)',
    { skip: inCI ? false : `SKIPPED: ${noHaproxy}; ${HAPROXY_HINT}` },
    () => assert.fail(`CI needs HAProxy for the sharding tests: ${noHaproxy}; ${HAPROXY_HINT}`),
  );
}

describe('three replicas behind HAProxy', { skip: noHaproxy !== undefined }, () => {
  let service: ShardedService;
  const via = (path: string) => `${service.url}${path}`;

  before(async () => {
    service = await startShardedService({ replicas: 3 });
  });
  after(() => service?.stop());

  it('sends POST /adders {"term": t} to t’s replica: the GET /adders/t/apply that follows is a hit', async () => {
    for (const term of TERMS) {
      const created = await requestFrom(CLIENT, via('/adders'), { method: 'POST', ...json({ term }) });
      assert.equal(created.status, 201, `POST /adders ${term}: ${created.body}`);
      const applied = await requestFrom(CLIENT, via(`/adders/${term}/apply?x=7`));
      assert.equal(applied.status, 200, applied.body);
      assert.deepEqual(JSON.parse(applied.body), { term, x: 7, result: wrappingAdd(term, 7) });
      assert.equal(applied.headers['x-jit-cache'], 'hit', `term ${term}: compiled on another replica`);
      assert.equal(replicaOf(applied), replicaOf(created), `term ${term}`);
    }
  });

  it('sends every route that names a term to the replica that compiled it', async () => {
    for (const term of [12, -34, 56_789, 2147483646]) {
      const created = await requestFrom(CLIENT, via('/adders'), { method: 'POST', ...json({ term }) });
      assert.equal(created.status, 201, created.body);
      const home = replicaOf(created);
      const binary = Buffer.alloc(8);
      binary.writeInt32LE(1, 0);
      binary.writeInt32LE(-1, 4);
      const routes: Array<[string, string, Parameters<typeof requestFrom>[2], number]> = [
        ['GET', `/adders/${term}/apply?x=1`, {}, 200],
        ['POST', `/adders/${term}/apply`, json({ xs: [1, 2] }), 200],
        [
          'POST',
          `/adders/${term}/apply`,
          { headers: { 'content-type': 'application/octet-stream' }, body: binary },
          200,
        ],
        ['GET', `/adders/${term}`, {}, 200],
        ['HEAD', `/adders/${term}`, {}, 200],
        ['GET', `/adders/${term}/life`, {}, 200],
        // A segment written with percent escapes reaches the same replica as the service decodes it.
        [
          'GET',
          `/adders/${encodeURIComponent(String(term)).replace(/[0-9]/g, (d) => `%3${d}`)}/apply?x=1`,
          {},
          200,
        ],
        ['DELETE', `/adders/${term}`, {}, 204],
      ];
      for (const [method, path, options, status] of routes) {
        const answer = await requestFrom(CLIENT, via(path), { ...options, method });
        // A 200 is itself the proof: any other replica has no adder for the term and answers 404.
        assert.equal(answer.status, status, `${method} ${path}: ${answer.body}`);
        assert.equal(replicaOf(answer), home, `${method} ${path}`);
        if (method === 'GET' && path.includes('/apply')) assert.equal(answer.headers['x-jit-cache'], 'hit');
      }
    }
  });

  it('keeps each term on one replica, and uses them all', async () => {
    const terms = Array.from({ length: 90 }, (_, i) => 1_000_000 + i * 7919);
    for (const term of terms) {
      assert.equal((await requestFrom(CLIENT, via(`/adders/${term}/apply?x=0`))).status, 200);
    }
    const held = await Promise.all(
      service.replicas.map(async ({ url }) => {
        const list = (await (await fetch(`${url}/adders?limit=1000`)).json()) as {
          adders: Array<{ term: number }>;
        };
        return new Set(list.adders.map(({ term }) => term).filter((term) => terms.includes(term)));
      }),
    );
    for (const [index, terms] of held.entries()) assert.ok(terms.size > 0, `replica ${index + 1} holds none`);
    assert.equal(
      held.reduce((sum, terms) => sum + terms.size, 0),
      terms.length,
      'every term is held once',
    );
  });

  it('names the replica that answered a route with no term, the same one for one client', async () => {
    const names = service.replicas.map(({ name }) => name);
    const seen = new Set<string>();
    for (const path of ['/adders', '/adders?limit=0', '/healthz', '/metrics', '/', '/openapi.json']) {
      const answer = await requestFrom(CLIENT, via(path));
      assert.equal(answer.status, 200, `${path}: ${answer.body.slice(0, 200)}`);
      seen.add(replicaOf(answer));
    }
    assert.equal(seen.size, 1, `one client saw ${[...seen].join(', ')}`);
    const [name = ''] = seen;
    assert.ok(names.includes(name), `${name} is not one of ${names.join(', ')}`);

    // The list is that replica's own: the same counters as it gives when asked directly.
    const proxied = JSON.parse((await requestFrom(CLIENT, via('/adders?limit=0'))).body) as {
      stats: unknown;
    };
    const direct = (await (await fetch(`${service.replica(name).url}/adders?limit=0`)).json()) as {
      stats: unknown;
    };
    assert.deepEqual(proxied.stats, direct.stats);
  });
});

describe('the compile quota behind HAProxy', { skip: noHaproxy !== undefined }, () => {
  const QUOTA = 2;
  let service: ShardedService;
  const via = (path: string) => `${service.url}${path}`;

  before(async () => {
    service = await startShardedService({ replicas: 3, env: { COMPILE_RATE_LIMIT: String(QUOTA) } });
  });
  after(() => service?.stop());

  /** Asks `from` to compile `count` new terms from `first` on, through the proxy: compiles per replica. */
  async function compileSpread(from: string, first: number, count: number): Promise<Record<string, number>> {
    const compiled: Record<string, number> = {};
    for (let term = first; term < first + count; term += 1) {
      const answer = await requestFrom(from, via(`/adders/${term}/apply?x=0`));
      assert.ok([200, 429].includes(answer.status), `${term}: ${answer.status} ${answer.body}`);
      const name = replicaOf(answer);
      compiled[name] = (compiled[name] ?? 0) + (answer.status === 200 ? 1 : 0);
    }
    return Object.fromEntries(Object.entries(compiled).sort());
  }

  const everyReplica = (count: number) =>
    Object.fromEntries(service.replicas.map(({ name }) => [name, count]).sort());

  it('is counted per replica: a client spreading its terms over three gets three quotas', async () => {
    assert.deepEqual(await compileSpread(CLIENT, 100, 60), everyReplica(QUOTA));
  });

  it('counts a client behind the proxy by its own address: another client has quotas of its own', async () => {
    assert.deepEqual(await compileSpread('127.0.0.3', 200, 60), everyReplica(QUOTA));
    assert.deepEqual(await compileSpread(CLIENT, 300, 30), everyReplica(0), 'the first client is still over');
  });

  it('does not believe an X-Forwarded-For that a client sends through the proxy', async () => {
    for (let term = 400; term < 410; term += 1) {
      const answer = await requestFrom(CLIENT, via(`/adders/${term}/apply?x=0`), {
        headers: { 'x-forwarded-for': `10.0.0.${term - 399}` },
      });
      assert.equal(answer.status, 429, `term ${term} compiled for a client claiming another address`);
    }
  });

  it('does not believe an X-Forwarded-For sent to a replica directly, past the proxy', async () => {
    const [replica] = service.replicas;
    assert.ok(replica);
    const statuses: number[] = [];
    for (let term = 500; term < 504; term += 1) {
      const answer = await requestFrom('127.0.0.4', `${replica.url}/adders/${term}/apply?x=0`, {
        headers: { 'x-forwarded-for': `10.0.1.${term - 499}` },
      });
      statuses.push(answer.status);
    }
    assert.deepEqual(statuses, [200, 200, 429, 429]);
  });
});
