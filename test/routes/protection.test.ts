import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { SHED_RETRY_AFTER_SECONDS } from '../../src/service/plugins/app/load-shedding.js';
import { errorMessage, startTestApp, type TestApp } from '../support/app.js';
import { exchangeRaw, getRequest } from '../support/raw-http.js';

function portOf(t: TestApp): number {
  return (t.app.server.address() as { port: number }).port;
}

/** A GET from a given loopback source address: how the test plays a second client. */
function getFrom(
  localAddress: string,
  port: number,
  path: string,
): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: '127.0.0.1', port, path, localAddress }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        text += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) }));
    });
    request.on('error', reject);
    request.end();
  });
}

/** Keeps this process's event loop busy `busyMs` out of every `periodMs`, until stopped. */
function hogEventLoop(busyMs: number, periodMs: number): () => void {
  const timer = setInterval(() => {
    const until = performance.now() + busyMs;
    while (performance.now() < until) {
      // spin: the app under test shares this event loop
    }
  }, periodMs);
  return () => clearInterval(timer);
}

/** Whether an apply is answered 200 within `ms`, polling. */
async function servedWithin(t: TestApp, ms: number): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    if ((await t.http.get('/adders/2/apply?x=1')).status === 200) return true;
    await sleep(25);
  }
  return false;
}

describe('load shedding', () => {
  it('answers 503 with Retry-After while the event loop lags, keeps health and metrics, then recovers', async () => {
    const t = await startTestApp({ maxEventLoopDelayMs: 30, eventLoopSampleIntervalMs: 50 });
    try {
      // The delay of the app's own start-up is in the first sample or two: wait until they are past.
      assert.ok(await servedWithin(t, 2000), 'not serving after start-up');
      const stop = hogEventLoop(120, 130);
      let shed: Awaited<ReturnType<typeof t.http.get>> | undefined;
      try {
        const deadline = performance.now() + 3000;
        while (shed === undefined && performance.now() < deadline) {
          const response = await t.http.get('/adders/2/apply?x=1');
          if (response.status === 503) shed = response;
          else assert.equal(response.status, 200);
        }
        assert.ok(shed, 'never shed while the event loop lagged');
        assert.equal(shed.headers['retry-after'], String(SHED_RETRY_AFTER_SECONDS));
        assert.match(
          shed.headers['x-request-id'] ?? '',
          /^[0-9a-f-]{36}$/,
          'a shed answer names its request too',
        );
        assert.match(errorMessage(shed.body, 503), /overloaded .*retry later/);
        // Outside the adders' scope nothing is shed: the orchestrator and the operators still get answers.
        for (const path of ['/healthz', '/readyz', '/metrics']) {
          assert.equal((await t.http.get(path)).status, 200, path);
        }
      } finally {
        stop();
      }
      // Once the loop keeps up again (a few samples later), requests are served.
      assert.ok(await servedWithin(t, 2000), 'still shedding two seconds after the lag ended');
    } finally {
      await t.close();
    }
  });

  it('can be turned off', async () => {
    const t = await startTestApp({ maxEventLoopDelayMs: 0, eventLoopSampleIntervalMs: 50 });
    // Lag well past the default limit (500 ms), for long enough that a shedding app would have shed.
    const stop = hogEventLoop(600, 610);
    try {
      const deadline = performance.now() + 2500;
      let answered = 0;
      while (performance.now() < deadline) {
        assert.equal((await t.http.get('/adders/2/apply?x=1')).status, 200);
        answered += 1;
      }
      assert.ok(answered >= 3, `${answered} requests answered`);
    } finally {
      stop();
      await t.close();
    }
  });
});

describe('the compile quota', () => {
  it('refuses a client’s compiles over its quota with 429, never its calls to compiled adders', async () => {
    const t = await startTestApp({ compilesPerMinute: 3 });
    try {
      for (const term of [1, 2]) await t.http.get(`/adders/${term}/apply?x=1`).expect(200);
      await t.http.post('/adders').send({ term: 3 }).expect(201);

      for (const refused of [
        await t.http.get('/adders/4/apply?x=1'),
        await t.http.post('/adders/4/apply').send({ xs: [1] }),
        await t.http.post('/adders').send({ term: 4 }),
      ]) {
        assert.equal(refused.status, 429);
        assert.match(
          errorMessage(refused.body, 429),
          /too many compiles from this client: at most 3 per 60 s/,
        );
        const retryAfter = Number(refused.headers['retry-after']);
        assert.ok(retryAfter >= 1 && retryAfter <= 60, `retry-after ${refused.headers['retry-after']}`);
        // The IETF's fields (draft-ietf-httpapi-ratelimit-headers-11): the policy, and nothing left for as
        // long as Retry-After says.
        assert.equal(refused.headers['ratelimit-policy'], '"compiles";q=3;w=60');
        assert.equal(refused.headers.ratelimit, `"compiles";r=0;t=${retryAfter}`);
      }
      assert.equal(t.app.jit.has(4), false, 'nothing compiled for a refused request');

      // Compiled adders keep answering, and asking to compile one again costs nothing.
      for (let i = 0; i < 10; i += 1) await t.http.get(`/adders/${(i % 3) + 1}/apply?x=${i}`).expect(200);
      await t.http.post('/adders').send({ term: 2 }).expect(200);
      await t.http
        .post('/adders/3/apply')
        .send({ xs: [1, 2] })
        .expect(200);
      // Bad input is a 400 about the input, not a quota answer.
      assert.equal((await t.http.get('/adders/99999999999/apply?x=1')).status, 400);
      assert.equal(t.app.jit.stats().compiles, 3);

      // Another client has its own quota.
      const other = await getFrom('127.0.0.2', portOf(t), '/adders/4/apply?x=1');
      assert.deepEqual(other, { status: 200, body: { term: 4, x: 1, result: 5 } });
    } finally {
      await t.close();
    }
  });

  it('charges exactly the pipelined requests that compile: six for one new term cost one compile', async () => {
    const t = await startTestApp({ compilesPerMinute: 5 });
    try {
      const exchange = await exchangeRaw(portOf(t), getRequest('/adders/777/apply?x=1').repeat(6));
      assert.deepEqual(
        exchange.responses.map((response) => [response.status, response.headers.get('x-jit-cache')]),
        [[200, 'compile'], ...Array.from({ length: 5 }, () => [200, 'hit'])],
      );
      // Four compiles left of five: the fifth new term is refused.
      for (const term of [1, 2, 3, 4]) await t.http.get(`/adders/${term}/apply?x=1`).expect(200);
      await t.http.get('/adders/5/apply?x=1').expect(429);
    } finally {
      await t.close();
    }
  });

  it('refuses only the pipelined compiles beyond the quota, and charges no hit', async () => {
    const t = await startTestApp({ compilesPerMinute: 2 });
    try {
      const paths = [
        '/adders/1/apply?x=1',
        '/adders/1/apply?x=2',
        '/adders/2/apply?x=1',
        '/adders/3/apply?x=1',
      ];
      const exchange = await exchangeRaw(portOf(t), paths.map((path) => getRequest(path)).join(''), {
        localAddress: '127.0.0.3',
      });
      assert.deepEqual(
        exchange.responses.map((response) => response.status),
        [200, 200, 200, 429],
      );
      assert.equal(t.app.jit.has(3), false);
    } finally {
      await t.close();
    }
  });

  it('does not charge a request whose x is bad: it compiles nothing', async () => {
    const t = await startTestApp({ compilesPerMinute: 1 });
    try {
      await t.http.get('/adders/9/apply?x=99999999999').expect(400);
      await t.http
        .post('/adders/9/apply')
        .send({ xs: [1.5] })
        .expect(400);
      const answer = await t.http.get('/adders/9/apply?x=1').expect(200);
      assert.equal(answer.headers['x-jit-cache'], 'compile');
    } finally {
      await t.close();
    }
  });

  it('charges DELETE of a compiled adder like a compile, and not DELETE of an absent one', async () => {
    const t = await startTestApp({ compilesPerMinute: 2 });
    const port = portOf(t);
    /** DELETE from another client's address; its status. */
    const deleteFrom = async (localAddress: string, term: number) =>
      (
        await exchangeRaw(port, `DELETE /adders/${term} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`, {
          localAddress,
        })
      ).responses[0]?.status;
    try {
      for (const term of [5, 6]) await t.http.get(`/adders/${term}/apply?x=1`).expect(200);
      assert.equal(await deleteFrom('127.0.0.4', 404), 404);
      assert.equal(await deleteFrom('127.0.0.4', 5), 204);
      assert.equal(await deleteFrom('127.0.0.4', 6), 204);
      assert.equal((await getFrom('127.0.0.5', port, '/adders/7/apply?x=1')).status, 200);
      assert.equal(await deleteFrom('127.0.0.4', 7), 429, 'a third release is over the quota of two');
      assert.equal(t.app.jit.has(7), true, 'a refused release leaves the adder');
      assert.equal(await deleteFrom('127.0.0.4', 8), 404, 'asking about an absent adder is still answered');
    } finally {
      await t.close();
    }
  });

  it('gives the quota back when its window ends', async () => {
    const t = await startTestApp({ compilesPerMinute: 1, compileQuotaWindowMs: 500 });
    try {
      await t.http.get('/adders/1/apply?x=1').expect(200);
      await t.http.get('/adders/2/apply?x=1').expect(429);
      await sleep(700);
      await t.http.get('/adders/2/apply?x=1').expect(200);
    } finally {
      await t.close();
    }
  });

  it('is off unless configured', async () => {
    const t = await startTestApp();
    try {
      for (let term = 0; term < 200; term += 1) await t.http.get(`/adders/${term}/apply?x=1`).expect(200);
    } finally {
      await t.close();
    }
  });
});
