/**
 * The drain period (SHUTDOWN_DRAIN_MS) against the real server: after SIGTERM, /readyz answers 503 at once
 * while new connections are still accepted and answered, as Kubernetes needs until its endpoints and
 * kube-proxy have caught up with the terminating pod; then the listening socket closes, and the process
 * exits 0.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { freePort, startServerProcess } from '../../harness/server-process.js';
import { exchangeRaw } from '../support/raw-http.js';
import { outputLine } from '../support/server-output.js';

const DRAIN_MS = 2_000;

/** One GET on a connection of its own: its status, or the connection error's code. */
async function getOnNewConnection(port: number, path: string): Promise<number | string> {
  const exchange = await exchangeRaw(
    port,
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`,
    {
      timeoutMs: 5_000,
    },
  );
  return exchange.responses[0]?.status ?? exchange.error ?? 'no answer';
}

describe('the drain period after SIGTERM', () => {
  it('keeps accepting and answering new connections with /readyz at 503, then closes the listener and exits 0', {
    timeout: 30_000,
  }, async () => {
    const port = await freePort();
    const server = startServerProcess({ port, env: { SHUTDOWN_DRAIN_MS: String(DRAIN_MS) } });
    await server.listening;
    assert.equal(await getOnNewConnection(port, '/readyz'), 200);
    server.child.kill('SIGTERM');
    // Draining from the line that says so: the JIT's preClose hook, which runs first, made /readyz answer 503.
    await outputLine(server, /"msg":"draining: /);

    // Draining: not ready, but a connection opened now is accepted and served.
    assert.equal(await getOnNewConnection(port, '/readyz'), 503);
    assert.equal(await getOnNewConnection(port, '/adders/5/apply?x=37'), 200);
    assert.equal(await getOnNewConnection(port, '/healthz'), 200);
    assert.ok(server.child.exitCode === null, 'still running while draining');

    // Then the listener closes: new connections are refused, and the process exits 0 by itself.
    const { code } = await server.exited;
    assert.equal(code, 0, server.output());
    assert.equal(await getOnNewConnection(port, '/healthz'), 'ECONNREFUSED');
    const log = server.output();
    const draining = log.indexOf('"msg":"draining: /readyz answers 503, connections still accepted"');
    const stopped = log.indexOf('"msg":"stopped accepting connections"');
    assert.ok(draining >= 0 && stopped > draining, `drained, then stopped accepting:\n${log}`);
  });

  it('is off by default: the listener closes at once', { timeout: 30_000 }, async () => {
    const port = await freePort();
    const server = startServerProcess({ port });
    await server.listening;
    server.child.kill('SIGTERM');
    assert.equal((await server.exited).code, 0);
    assert.doesNotMatch(server.output(), /draining/);
  });
});
