/**
 * No request, however repeated or pipelined, costs the server much more than it costs the client: the
 * measurements of a hostile client against GET and HEAD /adders, at CI size, against the real server with
 * a full registry (4,096 adders). Throughout, /healthz answers within a second (the probes allow three),
 * resident memory stays under the container's 256 MiB limit, and a SIGTERM in the middle of a flood still
 * ends the process within Docker's 10 s grace period.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { applyRequest, termAt } from '../../harness/adder-requests.js';
import { driveChecked } from '../../harness/checked-load.js';
import { residentBytes } from '../../harness/process-sampler.js';
import { freePort, type ServerProcess, startServerProcess } from '../../harness/server-process.js';

const CAPACITY = 4096;
const PROBE_TIMEOUT_MS = 1_000;
const CONTAINER_LIMIT_BYTES = 256 * 2 ** 20;
const DOCKER_GRACE_MS = 10_000;

/** Opens a connection that writes `requests` at once and never reads what comes back. */
async function floodWithoutReading(port: number, requests: string): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  await once(socket, 'connect');
  socket.pause();
  socket.write(requests);
  return socket;
}

interface Watch {
  slowestHealthMs: number;
  failedHealth: number;
  peakRssBytes: number;
}

/** Polls /healthz every 100 ms and the server's resident memory, until stopped. */
function watch(url: string, pid: number): { stop: () => Promise<Watch> } {
  const seen: Watch = { slowestHealthMs: 0, failedHealth: 0, peakRssBytes: residentBytes(pid) };
  let running = true;
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      try {
        const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
        if (response.status !== 200) seen.failedHealth += 1;
      } catch {
        seen.failedHealth += 1;
      }
      seen.slowestHealthMs = Math.max(seen.slowestHealthMs, performance.now() - started);
      seen.peakRssBytes = Math.max(seen.peakRssBytes, residentBytes(pid));
      await sleep(100);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return seen;
    },
  };
}

async function startFullServer(): Promise<{ server: ServerProcess; url: string; port: number }> {
  const port = await freePort();
  const server = startServerProcess({ port, env: { LOG_LEVEL: 'warn', JIT_MAX_ADDERS: String(CAPACITY) } });
  const url = await server.listening;
  const fill = await driveChecked(url, {
    amount: CAPACITY,
    connections: 10,
    plan: (i) => applyRequest(termAt(i), i),
  });
  assert.equal(fill.wrong + fill.unexpected + fill.errors, 0, fill.problems.join('\n'));
  return { server, url, port };
}

describe('a hostile client pipelining the list', { timeout: 120_000 }, () => {
  let server: ServerProcess;
  let url: string;
  let port: number;
  before(async () => {
    ({ server, url, port } = await startFullServer());
  });
  after(async () => {
    server.child.kill('SIGTERM');
    await server.exited;
  });

  for (const [connections, path] of [
    [1, '/adders?limit=1000'],
    [8, '/adders'],
  ] as const) {
    it(`${connections} connection(s) writing 1,000 pipelined GET ${path} and reading nothing: closed, health answered, memory bounded`, async (t) => {
      const watching = watch(url, server.child.pid as number);
      const request = `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`.repeat(1000);
      const flooders = await Promise.all(
        Array.from({ length: connections }, () => floodWithoutReading(port, request)),
      );
      await sleep(2_000);
      const seen = await watching.stop();
      // Now read: what the server sent before it closed the connection, then its end.
      const answers = flooders.map(() => 0);
      flooders.forEach((socket, index) => {
        socket.on('data', (chunk: Buffer) => {
          const count = chunk.toString('latin1').match(/HTTP\/1\.1 200 OK/g)?.length ?? 0;
          answers[index] = (answers[index] ?? 0) + count;
        });
        socket.resume();
      });
      // A reset counts as closed: the server may close with unread requests in its receive buffer, and
      // the kernel then resets the connection. events.once would reject on that ECONNRESET; 'close' follows it.
      const closedOrReset = (socket: Socket) =>
        socket.closed ? Promise.resolve() : new Promise((resolve) => socket.once('close', resolve));
      const closed = await Promise.race([
        Promise.all(flooders.map(closedOrReset)).then(() => true),
        sleep(10_000).then(() => false),
      ]);
      for (const socket of flooders) socket.destroy();
      t.diagnostic(
        `slowest /healthz ${seen.slowestHealthMs.toFixed(0)} ms, peak resident memory ` +
          `${(seen.peakRssBytes / 2 ** 20).toFixed(1)} MiB, answers sent per connection: ${answers.join(', ')}`,
      );
      assert.ok(closed, 'the server closed every connection that did not read its answers');
      assert.ok(
        answers.every((count) => count < 100),
        `each connection got a bounded number of the 1,000 answers: ${answers.join(', ')}`,
      );
      assert.equal(seen.failedHealth, 0, `/healthz failed or took over ${PROBE_TIMEOUT_MS} ms`);
      assert.ok(
        seen.peakRssBytes < CONTAINER_LIMIT_BYTES,
        'resident memory stayed under the container limit',
      );
    });
  }

  it('1,000 pipelined HEAD /adders are answered without a body, health answered throughout', async () => {
    const watching = watch(url, server.child.pid as number);
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
    });
    await once(socket, 'connect');
    socket.end(
      `HEAD /adders HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`.repeat(999) +
        'HEAD /adders HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n',
    );
    await once(socket, 'close');
    const seen = await watching.stop();
    assert.equal(received.match(/^HTTP\/1\.1 200 OK\r\n/gm)?.length, 1000);
    assert.doesNotMatch(received, /"stats"/, 'no body');
    assert.equal(seen.failedHealth, 0);
  });

  it('300 HEAD /adders a second for 5 s do not slow or shed another client’s applies', async () => {
    const flood = new AbortController();
    const heads = (async () => {
      while (!flood.signal.aborted) {
        await Promise.all(
          Array.from({ length: 30 }, () =>
            fetch(`${url}/adders`, { method: 'HEAD', signal: flood.signal }).catch(() => {}),
          ),
        );
        await sleep(100);
      }
    })();
    let slowest = 0;
    const statuses = new Map<number, number>();
    const until = performance.now() + 5_000;
    for (let i = 0; performance.now() < until; i += 1) {
      const started = performance.now();
      const response = await fetch(`${url}/adders/${termAt(i % 100)}/apply?x=1`);
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      await response.arrayBuffer();
      slowest = Math.max(slowest, performance.now() - started);
      await sleep(50);
    }
    flood.abort();
    await heads;
    assert.deepEqual([...statuses.keys()], [200], `statuses ${JSON.stringify([...statuses])}`);
    assert.ok(slowest < PROBE_TIMEOUT_MS, `slowest apply ${slowest.toFixed(0)} ms`);
  });
});

describe('SIGTERM in the middle of a flood of pipelined HEAD /adders', { timeout: 120_000 }, () => {
  it('ends the process within Docker’s grace period', async () => {
    const { server, port } = await startFullServer();
    const flooders: Socket[] = [];
    const request = `HEAD /adders HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`.repeat(2000);
    const writing = setInterval(() => {
      floodWithoutReading(port, request).then(
        (socket) => flooders.push(socket),
        () => {}, // refused once the server stops accepting
      );
    }, 50);
    await sleep(1_000);
    const signalled = performance.now();
    server.child.kill('SIGTERM');
    const { code } = await server.exited;
    const tookMs = performance.now() - signalled;
    clearInterval(writing);
    for (const socket of flooders) socket.destroy();
    assert.equal(code, 0, server.output());
    assert.ok(tookMs < DOCKER_GRACE_MS, `exited ${tookMs.toFixed(0)} ms after SIGTERM`);
  });
});
