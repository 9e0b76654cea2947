import assert from 'node:assert/strict';
import { channel } from 'node:diagnostics_channel';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { nameRoute, timeResponses, UNMATCHED_ROUTE } from '../src/response-timing.js';

interface Observed {
  method: string;
  route: string;
  statusCode: number;
  seconds: number;
}

/** A server whose answers take `delayMs`; `/named/...` URLs name their route `/named/:rest`. */
async function startServer(delayMs = 0): Promise<{ server: Server; url: string }> {
  const server = createServer(async (request, response) => {
    if (request.url?.startsWith('/named/')) nameRoute(response, '/named/:rest');
    await sleep(delayMs);
    response.statusCode = request.url === '/missing' ? 404 : 200;
    response.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function stopServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Node publishes the finish after the response's last bytes are handed over: give it a turn. */
async function settle(): Promise<void> {
  await sleep(20);
}

describe('timeResponses', () => {
  it('reports each finished response with its method, named route, status and duration', async () => {
    const { server, url } = await startServer(30);
    const observed: Observed[] = [];
    const stop = timeResponses(server, (method, route, statusCode, seconds) =>
      observed.push({ method, route, statusCode, seconds }),
    );
    try {
      await fetch(`${url}/named/5?x=1`);
      await fetch(`${url}/missing`, { method: 'DELETE' });
      await settle();
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
      stop();
      await stopServer(server);
    }
  });

  it('sees only its own server, and nothing once stopped', async () => {
    const mine = await startServer();
    const other = await startServer();
    const observed: string[] = [];
    const stop = timeResponses(mine.server, (_method, route) => observed.push(route));
    try {
      await fetch(`${other.url}/named/other`);
      await fetch(`${mine.url}/named/mine`);
      await settle();
      assert.equal(observed.length, 1);
      stop();
      await fetch(`${mine.url}/named/after`);
      await settle();
      assert.equal(observed.length, 1, 'a stopped timer observes nothing');
      assert.equal(channel('http.server.response.finish').hasSubscribers, false);
      assert.equal(channel('http.server.request.start').hasSubscribers, false);
    } finally {
      stop();
      await stopServer(mine.server);
      await stopServer(other.server);
    }
  });
});
