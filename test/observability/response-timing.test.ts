import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  createTimedServer,
  nameRoute,
  type ResponseObserver,
  UNMATCHED_ROUTE,
} from '../../src/observability/response-timing.js';

interface Observed {
  method: string;
  route: string;
  statusCode: number;
  seconds: number;
}

/** A timed server whose answers take `delayMs`; `/named/...` URLs name their route `/named/:rest`. */
async function startServer(observe: ResponseObserver, delayMs = 0): Promise<{ server: Server; url: string }> {
  const server = createTimedServer(
    async (request, response) => {
      if (request.url?.startsWith('/named/')) nameRoute(response, '/named/:rest');
      await sleep(delayMs);
      response.statusCode = request.url === '/missing' ? 404 : 200;
      response.end('ok');
      response.end(); // a second end is not a second response
    },
    { keepAliveTimeout: 1234 },
    observe,
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function stopServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

describe('createTimedServer', () => {
  it('reports each response once, with its method, named route, status and duration', async () => {
    const observed: Observed[] = [];
    const { server, url } = await startServer(
      (method, route, statusCode, seconds) => observed.push({ method, route, statusCode, seconds }),
      30,
    );
    try {
      assert.equal(server.keepAliveTimeout, 1234, "Fastify's timeouts are set as on its own servers");
      assert.equal(await (await fetch(`${url}/named/5?x=1`)).text(), 'ok');
      await fetch(`${url}/missing`, { method: 'DELETE' });
      assert.deepEqual(
        observed.map(({ method, route, statusCode }) => ({ method, route, statusCode })),
        [
          { method: 'GET', route: '/named/:rest', statusCode: 200 },
          { method: 'DELETE', route: UNMATCHED_ROUTE, statusCode: 404 },
        ],
      );
      for (const { seconds } of observed) {
        // Each answer waited 30 ms; the duration is in seconds, not milliseconds.
        assert.ok(seconds >= 0.029 && seconds < 5, `duration ${seconds} s`);
      }
    } finally {
      await stopServer(server);
    }
  });

  it('reports to its own observer only', async () => {
    const mine: string[] = [];
    const theirs: string[] = [];
    const a = await startServer((_method, route) => mine.push(route));
    const b = await startServer((_method, route) => theirs.push(route));
    try {
      await fetch(`${a.url}/named/a`);
      await fetch(`${b.url}/other`);
      await fetch(`${b.url}/named/b`);
      assert.deepEqual(mine, ['/named/:rest']);
      assert.deepEqual(theirs, [UNMATCHED_ROUTE, '/named/:rest']);
    } finally {
      await stopServer(a.server);
      await stopServer(b.server);
    }
  });
});
