import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { BUILD_INFO } from '../../src/build-info.js';
import { DEFAULT_CONFIG } from '../../src/config.js';
import type { RegistryStats } from '../../src/jit/registry.js';
import {
  nameRoute,
  requestDurationBuckets,
  ServiceMetrics,
  UNMATCHED_ROUTE,
} from '../../src/observability/metrics.js';
import { exchangeRaw } from '../support/raw-http.js';

const APPLY_200 =
  'http_request_duration_seconds_count{method="GET",route="/adders/:n/apply",status_code="200"}';

async function count(metrics: ServiceMetrics, series: string): Promise<number | undefined> {
  const line = (await metrics.registry.metrics()).split('\n').find((each) => each.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** The count and sum of one request series, by method, route and status code. */
async function requestSeries(
  metrics: ServiceMetrics,
  method: string,
  route: string,
  statusCode: number,
): Promise<{ count: number | undefined; sum: number | undefined }> {
  const labels = `{method="${method}",route="${route}",status_code="${statusCode}"}`;
  return {
    count: await count(metrics, `http_request_duration_seconds_count${labels}`),
    sum: await count(metrics, `http_request_duration_seconds_sum${labels}`),
  };
}

/**
 * A server made by `metrics`' serverFactory, as Fastify would make it, answering after `delayMs`: URLs under
 * `/named/` name their route `/named/:rest`, `/missing` is a 404.
 */
async function startTimedServer(
  metrics: ServiceMetrics,
  delayMs = 0,
  http: { requireHostHeader?: boolean } = {},
): Promise<{ server: Server; port: number; url: string }> {
  const server = metrics.serverFactory(
    async (request: IncomingMessage, response: ServerResponse) => {
      if (request.url?.startsWith('/named/')) nameRoute(response, '/named/:rest');
      await sleep(delayMs);
      response.statusCode = request.url === '/missing' ? 404 : 200;
      response.end('ok');
      response.end(); // a second end is not a second response
    },
    { http },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, port, url: `http://127.0.0.1:${port}` };
}

function stopServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

function newMetrics(): ServiceMetrics {
  return new ServiceMetrics(() => undefined, {
    requestTimeoutMs: DEFAULT_CONFIG.requestTimeoutMs,
    build: BUILD_INFO,
  });
}

describe("ServiceMetrics' server", () => {
  it('times each response once, by method, named route and status, in seconds', async () => {
    const metrics = newMetrics();
    const { server, url } = await startTimedServer(metrics, 30);
    try {
      assert.equal(await (await fetch(`${url}/named/5?x=1`)).text(), 'ok');
      await fetch(`${url}/missing`, { method: 'DELETE' });
      const named = await requestSeries(metrics, 'GET', '/named/:rest', 200);
      assert.equal(named.count, 1);
      // The answer waited 30 ms: the duration is in seconds, not milliseconds.
      assert.ok((named.sum ?? 0) >= 0.029 && (named.sum ?? 0) < 5, `duration ${named.sum} s`);
      assert.equal((await requestSeries(metrics, 'DELETE', UNMATCHED_ROUTE, 404)).count, 1);
      const text = await metrics.registry.metrics();
      assert.equal(
        text.split('\n').filter((line) => line.startsWith('http_request_duration_seconds_count{')).length,
        2,
        'no other series: the URL is never a label',
      );
    } finally {
      await stopServer(server);
    }
  });

  it('reports to its own registry only', async () => {
    const mine = newMetrics();
    const theirs = newMetrics();
    const a = await startTimedServer(mine);
    const b = await startTimedServer(theirs);
    try {
      await fetch(`${a.url}/named/a`);
      await fetch(`${b.url}/other`);
      await fetch(`${b.url}/named/b`);
      assert.equal((await requestSeries(mine, 'GET', '/named/:rest', 200)).count, 1);
      assert.equal((await requestSeries(mine, 'GET', UNMATCHED_ROUTE, 200)).count, undefined);
      assert.equal((await requestSeries(theirs, 'GET', '/named/:rest', 200)).count, 1);
      assert.equal((await requestSeries(theirs, 'GET', UNMATCHED_ROUTE, 200)).count, 1);
    } finally {
      await stopServer(a.server);
      await stopServer(b.server);
    }
  });

  it("takes Fastify's http options, Node's own, and sets no timeout of its own", async () => {
    const withoutHost = 'GET /named/x HTTP/1.1\r\nConnection: close\r\n\r\n';
    const strict = await startTimedServer(newMetrics());
    const lenient = await startTimedServer(newMetrics(), 0, { requireHostHeader: false });
    try {
      // Node refuses a request without Host by default; with requireHostHeader false it reaches the handler.
      // The client keeps its side open: a half-closed connection would abort the request (app.ts).
      const answer = async (port: number) =>
        (await exchangeRaw(port, withoutHost, { end: false })).responses[0]?.status;
      assert.equal(await answer(strict.port), 400);
      assert.equal(await answer(lenient.port), 200);
      const plain = createServer();
      for (const { server } of [strict, lenient]) {
        assert.equal(server.requestTimeout, plain.requestTimeout);
        assert.equal(server.headersTimeout, plain.headersTimeout);
        assert.equal(server.keepAliveTimeout, plain.keepAliveTimeout);
        assert.equal(server.timeout, plain.timeout);
      }
    } finally {
      await stopServer(strict.server);
      await stopServer(lenient.server);
    }
  });
});

describe('ServiceMetrics', () => {
  it("survives the registry's resetMetrics(): request and compile durations count from zero again", async () => {
    const metrics = newMetrics();
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
