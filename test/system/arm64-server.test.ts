/**
 * The whole service, built for and run on arm64: the arm64 Node.js under qemu-user on this x86-64 machine
 * (harness/arm64/), its HTTP answered here. It compiles A64 adders (the neon level, the best of an arm64
 * host), applies them one at a time, in JSON batches and in a binary batch, describes one (its A64 words
 * split into their fields), lists and releases them, and stops cleanly on SIGTERM.
 *
 * Emulation is slow (Node.js starts in seconds, not milliseconds) and models no caches: this shows the
 * service works on arm64 end to end; that every write of code is flushed before it runs is shown by the
 * memory-call record (test/jit/arm64/executable-page.test.ts). Without the arm64 environment it skips,
 * and under CI it fails: .ci/run prepares it.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort, SERVICE_NODE_FLAGS } from '../../harness/server-process.js';
import { inCI, skipRuntimeIndependent } from '../support/ci.js';
import { int32s, littleEndian } from '../support/int32-bytes.js';
import { waitFor } from '../support/wait-for.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const prepared =
  existsSync('/usr/bin/qemu-aarch64-static') &&
  existsSync(`${root}.arm64/node/bin/node`) &&
  existsSync(`${root}node_modules/@koromix/koffi-linux-arm64/package.json`);
const missing = 'no arm64 environment (bash harness/arm64/environment.sh prepares it)';

describe('the service on arm64, under qemu-user', {
  skip: skipRuntimeIndependent || (!prepared && !inCI ? `SKIPPED: ${missing}` : false),
  timeout: 300_000,
}, () => {
  let base = '';
  let output = '';
  let exited: Promise<number | null>;
  let child: ReturnType<typeof spawn>;

  before(async () => {
    assert.ok(prepared, `CI needs the arm64 environment: ${missing}`);
    const port = await freePort();
    // Without qemu's -L and the arm64 runtime this is not an arm64 process: node.sh sets both.
    child = spawn('bash', ['harness/arm64/node.sh', ...SERVICE_NODE_FLAGS, 'dist/src/server.js'], {
      cwd: root,
      // Emulated, its event loop lags far past the shedding limit: that measure means nothing here.
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        MAX_EVENT_LOOP_DELAY_MS: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    // 'close': exited, and all it wrote read ('exit' may come before its last lines are).
    exited = new Promise((resolve) => child.once('close', (code) => resolve(code)));
    base = `http://127.0.0.1:${port}`;
    await waitFor(
      'the arm64 server to listen',
      () => {
        if (child.exitCode !== null) throw new Error(`the arm64 server exited:\n${output}`);
        return /Server listening at/.test(output) ? true : undefined;
      },
      240_000,
    );
  });

  after(async () => {
    if (child.exitCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });

  it('reports an arm64 target at the neon level', async () => {
    const { stats } = (await (await fetch(`${base}/adders?limit=0`)).json()) as {
      stats: { target: string; level: string };
    };
    assert.deepEqual([stats.target, stats.level], ['arm64-neon', 'neon']);
    assert.match(output, /"isa":"neon"/);
  });

  it('compiles, applies one at a time and in JSON and binary batches, every result right', async () => {
    const created = await fetch(`${base}/adders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ term: 5 }),
    });
    assert.equal(created.status, 201);
    assert.deepEqual(await (await fetch(`${base}/adders/5/apply?x=37`)).json(), {
      term: 5,
      x: 37,
      result: 42,
    });
    assert.deepEqual(await (await fetch(`${base}/adders/2147483647/apply?x=1`)).json(), {
      term: 2147483647,
      x: 1,
      result: -2147483648,
    });
    const xs = Array.from({ length: 1_003 }, (_, index) => Math.imul(index, 0x9e3779b1));
    const json = await fetch(`${base}/adders/-7/apply`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ xs }),
    });
    assert.deepEqual(
      ((await json.json()) as { results: number[] }).results,
      xs.map((x) => (x - 7) | 0),
    );
    const binary = await fetch(`${base}/adders/-7/apply`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: littleEndian(xs),
    });
    assert.equal(binary.headers.get('x-jit-cache'), 'hit');
    assert.deepEqual(
      int32s(Buffer.from(await binary.arrayBuffer())),
      xs.map((x) => (x - 7) | 0),
    );
  });

  it('describes an adder as A64 words, lists the adders and releases one', async () => {
    const described = (await (await fetch(`${base}/adders/5`)).json()) as {
      target: string;
      disassembly: Array<{ text: string; bytes: string }>;
    };
    assert.equal(described.target, 'arm64-neon');
    assert.ok(described.disassembly.length > 0);
    assert.ok(
      described.disassembly.every(({ bytes }) => bytes.split(' ').length === 4),
      'every instruction one word',
    );
    assert.ok(
      described.disassembly.some(({ text }) => /^add w0, w0, w9$/.test(text)),
      'apply adds w9 to w0',
    );
    const { adders } = (await (await fetch(`${base}/adders`)).json()) as { adders: Array<{ term: number }> };
    assert.deepEqual(
      adders.map(({ term }) => term).sort((a, b) => a - b),
      [-7, 5, 2147483647],
    );
    assert.equal((await fetch(`${base}/adders/5`, { method: 'DELETE' })).status, 204);
    assert.equal((await fetch(`${base}/adders/5`, { method: 'HEAD' })).status, 404);
  });

  it('stops on SIGTERM, releasing its pages, and exits 0', async () => {
    child.kill('SIGTERM');
    assert.equal(await exited, 0, output);
    assert.match(output, /JIT registry disposed: released 2 executable pages/);
  });
});
