/**
 * The image's HEALTHCHECK, run on this host as Docker runs it in the container (the exec form, with the
 * image's PORT): it passes while /healthz answers 200, fails when it answers anything else or nothing,
 * and holds a few megabytes, not a Node.js process. The container test sees Docker call the image
 * healthy with it (test/system/container/container.test.ts).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../support/app.js';
import { inCI } from '../support/ci.js';

const dockerfile = readFileSync(new URL('../../../Dockerfile', import.meta.url), 'utf8');

/** The HEALTHCHECK's options and its exec-form command. */
function healthcheck(): { options: string; command: string[] } {
  const match = /^HEALTHCHECK ([^\n]*)\\\n\s+CMD (\[.*\])$/m.exec(dockerfile);
  if (match === null) throw new Error('the Dockerfile has no exec-form HEALTHCHECK on two lines');
  return { options: match[1] ?? '', command: JSON.parse(match[2] ?? '') as string[] };
}

interface CheckResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Runs the check against 127.0.0.1:`port`, with `prefix` before it (a measuring tool). */
async function runCheck(port: number, prefix: string[] = []): Promise<CheckResult> {
  const [file = '', ...args] = [...prefix, ...healthcheck().command];
  // Standard input from /dev/null, as Docker gives it: bash takes a socket there for a remote shell's and
  // reads ~/.bashrc. A bound far above the check's own deadline: a check still running then is killed.
  const child = spawn(file, args, {
    env: { PATH: process.env.PATH, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 20_000,
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
  return { code, signal, stderr };
}

/** A loopback server answering every request with `answer` (or never, if undefined). */
async function serverAnswering(answer: ((response: ServerResponse) => void) | undefined) {
  const server = createServer((_request, response) => answer?.(response));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

const portOf = (server: Server) => (server.address() as AddressInfo).port;

describe('the image’s HEALTHCHECK', () => {
  let service: TestApp;
  before(async () => {
    service = await startTestApp();
  });
  after(() => service.close());

  it('answers before Docker’s timeout: its read deadline is shorter than the HEALTHCHECK’s --timeout', () => {
    const { options, command } = healthcheck();
    const timeout = Number(/--timeout=(\d+)s/.exec(options)?.[1]);
    const deadline = Number(/read -r -t (\d+) /.exec(command.join(' '))?.[1]);
    assert.ok(deadline > 0 && deadline < timeout, `read deadline ${deadline} s, timeout ${timeout} s`);
  });

  it('passes while the service answers /healthz with 200', async () => {
    const result = await runCheck((service.app.server.address() as AddressInfo).port);
    assert.deepEqual(result, { code: 0, signal: null, stderr: '' });
  });

  it('fails, by itself, when /healthz answers another status, nothing is listening, or the answer never comes', async () => {
    const unavailable = await serverAnswering((response) => response.writeHead(503).end());
    const silent = await serverAnswering(undefined);
    const closed = await serverAnswering(undefined);
    const closedPort = portOf(closed);
    await new Promise((resolve) => closed.close(resolve));
    try {
      for (const [what, port] of [
        ['a 503', portOf(unavailable)],
        ['a closed port', closedPort],
        ['no answer', portOf(silent)],
      ] as const) {
        const result = await runCheck(port);
        assert.equal(result.signal, null, `${what}: the check was killed instead of ending by itself`);
        assert.notEqual(result.code, 0, `${what}: the check passed`);
      }
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
      await new Promise((resolve) => unavailable.close(resolve));
    }
  });

  it('holds a few megabytes at its peak, not a Node.js process’s sixty', async (t) => {
    if (!existsSync('/usr/bin/time')) {
      assert.ok(!inCI, 'GNU time is missing in CI (.ci/run installs it)');
      t.skip('GNU time is not installed: apt-get install time');
      return;
    }
    const directory = mkdtempSync(join(tmpdir(), 'babyjit-healthcheck-'));
    try {
      const report = join(directory, 'rss');
      const port = (service.app.server.address() as AddressInfo).port;
      const result = await runCheck(port, ['/usr/bin/time', '--format=%M', `--output=${report}`]);
      assert.equal(result.code, 0, result.stderr);
      const peakKiB = Number(readFileSync(report, 'utf8').trim());
      t.diagnostic(`the check's peak resident memory: ${peakKiB} KiB`);
      assert.ok(peakKiB > 0 && peakKiB < 16 * 1024, `${peakKiB} KiB`);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
