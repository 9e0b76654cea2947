/**
 * TRUSTED_PROXIES, seen through the compile quota, which counts clients by request.ip: X-Forwarded-For
 * is believed from the peers it names and from no one else, and from no one at all by default. Clients
 * are played from different loopback addresses; the test's own client at 127.0.0.1 plays the proxy.
 * (test/system/sharding.test.ts does the same through a real HAProxy.)
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AppOptions } from '../../src/service/app.js';
import { startTestApp } from '../support/app.js';
import { requestFrom } from '../support/http-from.js';

/** Compiles `terms` one after another from `from`, each request claiming the next forwarded address. */
async function compileFrom(
  options: AppOptions,
  from: string,
  forwardedFor: readonly string[],
): Promise<number[]> {
  const t = await startTestApp({ compilesPerMinute: 2, ...options });
  try {
    const { port } = t.app.server.address() as { port: number };
    const statuses: number[] = [];
    for (const [index, claimed] of forwardedFor.entries()) {
      const answer = await requestFrom(from, `http://127.0.0.1:${port}/adders/${index + 1}/apply?x=0`, {
        headers: { 'x-forwarded-for': claimed },
      });
      statuses.push(answer.status);
    }
    return statuses;
  } finally {
    await t.close();
  }
}

/** Four clients, as a proxy would forward them: each claims an address of its own. */
const FOUR_CLIENTS = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'];

describe('trusted proxies', () => {
  it('by default believe no X-Forwarded-For: a client claiming four addresses has one quota', async () => {
    assert.deepEqual(await compileFrom({}, '127.0.0.1', FOUR_CLIENTS), [200, 200, 429, 429]);
  });

  it('believe X-Forwarded-For from a trusted address: four forwarded clients, four quotas', async () => {
    assert.deepEqual(
      await compileFrom({ trustedProxies: ['127.0.0.1'] }, '127.0.0.1', FOUR_CLIENTS),
      [200, 200, 200, 200],
    );
  });

  it('believe it from an address in a trusted CIDR range', async () => {
    assert.deepEqual(
      await compileFrom({ trustedProxies: ['127.0.0.0/31'] }, '127.0.0.1', FOUR_CLIENTS),
      [200, 200, 200, 200],
    );
  });

  it('do not believe a client outside them that sends X-Forwarded-For itself', async () => {
    for (const trustedProxies of [['127.0.0.1'], ['127.0.0.0/31'], ['::1', '10.0.0.0/8']]) {
      assert.deepEqual(
        await compileFrom({ trustedProxies }, '127.0.0.2', FOUR_CLIENTS),
        [200, 200, 429, 429],
        `trusted: ${trustedProxies.join(',')}`,
      );
    }
  });

  it('count a forwarded client by the address its trusted proxy appended, not one it wrote itself', async () => {
    // The client wrote 10.0.0.9 (once allowed, then over quota); the proxy appended the address it saw.
    const chains = ['10.0.0.9, 10.0.0.1', '10.0.0.9, 10.0.0.2', '10.0.0.9, 10.0.0.1', '10.0.0.9, 10.0.0.1'];
    assert.deepEqual(
      await compileFrom({ trustedProxies: ['127.0.0.1'] }, '127.0.0.1', chains),
      [200, 200, 200, 429],
    );
  });
});
