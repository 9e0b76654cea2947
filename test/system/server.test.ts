import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { freePort, serverScript, startServerProcess } from '../../harness/server-process.js';
import { UnsupportedKernelLevelError } from '../../src/jit/errors.js';
import { exitStatusFor } from '../../src/server.js';
import { denyExecMemoryNodeOptions, MDWE_UNAVAILABLE } from '../support/exec-memory-denial.js';
import { outputLine } from '../support/server-output.js';
import { waitUntil } from '../support/wait-for.js';

describe('the server process', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`serves, then on ${signal} releases every page, logs the count and exits 0`, async () => {
      const server = startServerProcess({ env: { JIT_MAX_ADDERS: '8' } });
      const base = await server.listening;
      for (const term of [1, 2, 3]) {
        const response = await fetch(`${base}/adders/${term}/apply?x=41`);
        assert.deepEqual(await response.json(), { term, x: 41, result: 41 + term });
      }
      assert.equal((await fetch(`${base}/readyz`)).status, 200);
      server.child.kill(signal);
      const { code } = await server.exited;
      assert.equal(code, 0, server.output());
      assert.match(
        server.output(),
        /"releasedPages":3,"msg":"JIT registry disposed: released 3 executable pages"/,
      );
    });
  }

  it('at LOG_LEVEL=silent serves and writes nothing, not even on shutdown', async () => {
    const port = await freePort();
    const server = startServerProcess({ env: { LOG_LEVEL: 'silent' }, port });
    const base = await server.listening;
    const response = await fetch(`${base}/adders/5/apply?x=37`);
    assert.deepEqual(await response.json(), { term: 5, x: 37, result: 42 });
    server.child.kill('SIGTERM');
    const { code } = await server.exited;
    assert.equal(code, 0);
    assert.equal(server.output(), '');
  });

  it('refuses to start on a bad variable, naming it, with exit 78 (EX_CONFIG)', async () => {
    const server = startServerProcess({ env: { JIT_MAX_ADDERS: 'lots' } });
    const { code } = await server.exited;
    assert.equal(code, 78);
    assert.match(server.output(), /JIT_MAX_ADDERS="lots" is not valid: JIT_MAX_ADDERS must be an integer/);
  });

  for (const [host, reason] of [
    ['no-such-host.invalid', /no address was found for it \(getaddrinfo ENOTFOUND\)/],
    ['192.0.2.1', /it is not an address of this machine \(listen EADDRNOTAVAIL\)/],
  ] as const) {
    it(`refuses to start on HOST=${host}, naming it, with exit 78 (EX_CONFIG)`, async () => {
      const server = startServerProcess({ env: { HOST: host } });
      assert.equal((await server.exited).code, 78);
      assert.match(server.output(), new RegExp(`HOST="${host}" is not valid: ${reason.source}`));
    });
  }

  it('refuses to start on trusted proxies that are not addresses, with exit 78 naming TRUSTED_PROXIES', async () => {
    const server = startServerProcess({ env: { TRUSTED_PROXIES: 'haproxy' } });
    const { code } = await server.exited;
    assert.equal(code, 78);
    assert.match(
      server.output(),
      /TRUSTED_PROXIES="haproxy" is not valid: TRUSTED_PROXIES must be off, or IPv4/,
    );
  });

  it('refuses to start with exit 71 where executable memory is denied; /readyz never reports ready', async (t) => {
    const port = await freePort();
    const server = startServerProcess({
      nodeOptions: denyExecMemoryNodeOptions,
      env: { PORT: String(port) },
    });
    // Ask /readyz the whole time the process lives: it must never once answer ready.
    let exited = false;
    let readyAnswers = 0;
    let probes = 0;
    const probing = (async () => {
      while (!exited) {
        probes += 1;
        try {
          if ((await fetch(`http://127.0.0.1:${port}/readyz`)).ok) readyAnswers += 1;
        } catch {
          // refused: nothing listens
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();
    const { code } = await server.exited;
    exited = true;
    await probing;
    assert.equal(readyAnswers, 0, `/readyz answered ready ${readyAnswers} times`);
    assert.ok(probes > 0);
    if (server.output().includes(MDWE_UNAVAILABLE)) {
      t.skip(`this kernel offers no PR_SET_MDWE: ${server.output().trim()}`);
      return;
    }
    assert.equal(code, 71, server.output());
    assert.match(server.output(), /executable memory is not permitted/);
    assert.match(server.output(), /mprotect\(PROT_READ\|PROT_EXEC\) failed with EACCES/);
    assert.doesNotMatch(server.output(), /Server listening/);
  });
});

describe('the batch kernels’ level (JIT_ISA)', () => {
  const cpuHasAvx2 = /\bavx2\b/.test(readFileSync('/proc/cpuinfo', 'utf8'));

  for (const isa of ['scalar', 'sse2', 'avx2', 'auto'] as const) {
    it(`runs at ${isa}, saying so in its start-up line, its stats and its metrics`, {
      skip: isa === 'avx2' && !cpuHasAvx2 ? 'this CPU has no AVX2' : false,
    }, async () => {
      const server = startServerProcess({ env: { JIT_ISA: isa } });
      const base = await server.listening;
      try {
        const level = isa === 'auto' ? (cpuHasAvx2 ? 'avx2' : 'sse2') : isa;
        assert.match(
          server.output(),
          new RegExp(`"isa":"${level}".*"msg":"JIT self-test passed; registry ready"`),
        );
        const batch = await fetch(`${base}/adders/2147483647/apply`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ xs: Array.from({ length: 100 }, (_, i) => i - 50) }),
        });
        const { results } = (await batch.json()) as { results: number[] };
        assert.deepEqual(
          results,
          Array.from({ length: 100 }, (_, i) => (2147483647 + i - 50) | 0),
        );
        const { stats } = (await (await fetch(`${base}/adders?limit=0`)).json()) as {
          stats: { level: string; target: string };
        };
        assert.deepEqual(stats, { ...stats, level, target: `x86-64-${level}` });
        const metrics = await (await fetch(`${base}/metrics`)).text();
        assert.match(
          metrics,
          new RegExp(`^jit_kernel_info\\{target="x86-64-${level}",level="${level}"\\} 1$`, 'm'),
        );
      } finally {
        server.child.kill('SIGTERM');
        await server.exited;
      }
    });
  }

  it('stops the start with exit 78 (EX_CONFIG) for a level the CPU lacks, or a value it does not know', async () => {
    assert.equal(
      exitStatusFor(new UnsupportedKernelLevelError('avx2', ['AVX2 (CPUID.7:EBX bit 5)'], 'sse2')),
      78,
    );
    const server = startServerProcess({ env: { JIT_ISA: 'avx512' } });
    assert.equal((await server.exited).code, 78);
    assert.match(
      server.output(),
      /JIT_ISA="avx512" is not valid: JIT_ISA must be one of auto, avx2, sse2, scalar, neon/,
    );
  });

  it('stops the start with exit 78 for a level of another architecture, naming it and the host’s', async () => {
    const other = process.arch === 'arm64' ? 'avx2' : 'neon';
    const server = startServerProcess({ env: { JIT_ISA: other } });
    assert.equal((await server.exited).code, 78);
    assert.match(
      server.output(),
      new RegExp(
        `the ${other} kernels cannot run on this host: ${other} is a level of (arm64|x86-64), and this host is ` +
          `${process.arch === 'arm64' ? 'arm64' : 'x86-64'}`,
      ),
    );
  });
});

describe('the start-up lines', () => {
  it('name the build first, then the addresses a person opens next', async () => {
    const server = startServerProcess({ port: await freePort() });
    // Up once /healthz answers, which can be before the ready line is written: that line is waited for.
    const base = await server.listening;
    try {
      await outputLine(server, /babyjit is ready/);
      const lines = server
        .output()
        .split('\n')
        .map((line) => (line.startsWith('{') ? (JSON.parse(line) as Record<string, unknown>) : {}));
      // The first says which build this is, before anything can fail.
      const { version } = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));
      const runtime = `node ${process.version}`;
      assert.deepEqual(
        { msg: lines[0]?.msg, version: lines[0]?.version, runtime: lines[0]?.runtime },
        { msg: `babyjit ${version} starting on ${runtime}`, version, runtime },
      );
      const ready = lines.find(
        (line) => typeof line.msg === 'string' && line.msg.startsWith('babyjit is ready'),
      );
      assert.deepEqual(
        { msg: ready?.msg, explorer: ready?.explorer, docs: ready?.docs },
        {
          msg: `babyjit is ready: the explorer at ${base}/, the API docs at ${base}/docs`,
          explorer: `${base}/`,
          docs: `${base}/docs`,
        },
      );
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });

  it('are readable lines in a terminal, and JSON lines otherwise', async (t) => {
    if (spawnSync('script', ['--version']).status !== 0) {
      t.skip('no script(1) here to give the server a terminal');
      return;
    }
    const port = await freePort();
    // script(1) runs the server with a pseudo-terminal as its standard output, as `npm start` in a shell.
    const child = spawn('script', ['-qfc', `${process.execPath} ${serverScript}`, '/dev/null'], {
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info' },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const closed = once(child, 'close');
    await waitUntil('the ready line in the terminal', () => output.includes('babyjit is ready'));
    child.kill('SIGTERM');
    await closed;
    assert.match(output, /INFO.*babyjit is ready: the explorer at http:\/\/127\.0\.0\.1:/);
    assert.doesNotMatch(output, /\{"level":30/, 'no JSON lines in a terminal');
  });
});
