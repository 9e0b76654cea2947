/**
 * What SECURITY.md says about writable and executable memory, held true against the server process itself,
 * from the kernel's own account (/proc/<pid>/maps): the JIT's pages are never writable and executable at
 * once, and the process's writable+executable memory is V8's alone, of the two kinds SECURITY.md names
 * (harness/writable-executable.ts tells them apart): its code range, and, once a description has loaded
 * iced-x86, its WebAssembly code space, which V8 itself places (the server runs with `--perf-basic-prof`).
 * Read at start, under compiles, calls and releases, and after descriptions.
 */
import assert from 'node:assert/strict';
import { readlinkSync, rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { JitPageClassifier } from '../../harness/jit-pages.js';
import { readMaps } from '../../harness/maps.js';
import { freePort, type ServerProcess, startServerProcess } from '../../harness/server-process.js';
import {
  bytesOf,
  CODE_RANGE_BYTES,
  classifyWritableExecutable,
  perfMapPath,
  readWebAssemblyCode,
  type WritableExecutableReading,
} from '../../harness/writable-executable.js';
import { pageSize } from '../../src/jit/libc.js';

const MiB = 1024 * 1024;
/** How long a reading waits for V8's perf map to account for new memory before it fails. */
const PERF_MAP_WAIT_MS = 10_000;
const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

describe('the server process’s writable and executable memory', () => {
  let server: ServerProcess;
  let base: string;
  let pid: number;
  let executable: string;
  const classifier = new JitPageClassifier(pageSize());
  let readings = 0;

  before(async () => {
    server = startServerProcess({ port: await freePort(), nodeOptions: ['--perf-basic-prof'] });
    base = await server.listening;
    pid = server.child.pid as number;
    executable = readlinkSync(`/proc/${pid}/exe`);
  });
  after(async () => {
    server.child.kill('SIGTERM');
    await server.exited;
    rmSync(perfMapPath(pid), { force: true });
  });

  /** One reading: no JIT page writable and executable, nothing writable and executable unexplained. */
  async function read(when: string): Promise<WritableExecutableReading> {
    const maps = readMaps(pid);
    readings += 1;
    const jit = classifier.classify(maps);
    assert.deepEqual(jit.violations, [], `${when}: a JIT page writable and executable`);
    const classify = (webAssemblyCode: readonly number[] = []) =>
      classifyWritableExecutable(maps, executable, { jitPages: jit.pages, webAssemblyCode });
    // The shape of the maps places nearly every reading; V8's perf map is read only for what it leaves.
    // V8 logs WebAssembly code there from the main thread after compiling it, so its account can trail the
    // maps just read: wait for it. A mapping it never accounts for still fails the reading.
    let reading = classify();
    const waitUntil = Date.now() + PERF_MAP_WAIT_MS;
    while (reading.unexplained.length > 0) {
      reading = classify(readWebAssemblyCode(pid));
      if (reading.unexplained.length === 0 || Date.now() >= waitUntil) break;
      await delay(50);
    }
    assert.deepEqual(
      reading.unexplained,
      [],
      `${when}: writable+executable memory of no kind SECURITY.md names`,
    );
    assert.ok(reading.builtins, `${when}: no builtins remapped from ${executable}`);
    assert.ok(bytesOf(reading.codeRange) <= CODE_RANGE_BYTES, `${when}: a code range over 512 MiB`);
    return reading;
  }

  async function request(path: string, init?: RequestInit): Promise<number> {
    const response = await fetch(`${base}${path}`, init);
    await response.arrayBuffer();
    return response.status;
  }

  it('is V8’s code range at start, all 512 MiB of it writable and executable on Node.js 24 and later', async () => {
    const start = await read('at start');
    assert.ok(start.codeRange.length > 0, 'no code range');
    if (NODE_MAJOR >= 24) {
      // The whole range but the builtins, in the two mappings around them.
      assert.ok(
        bytesOf(start.codeRange) + bytesOf(start.builtins ? [start.builtins] : []) >= CODE_RANGE_BYTES - MiB,
        `${bytesOf(start.codeRange) / MiB} MiB of the code range writable and executable`,
      );
    }
    // Node.js 22 compiles a small WebAssembly module of its own at start (SECURITY.md); later ones none.
    if (NODE_MAJOR !== 22) assert.deepEqual(start.webAssembly, [], 'WebAssembly code before any was loaded');
  });

  it('stays so under compiles, calls and releases, with the JIT’s pages never writable and executable', async () => {
    const before = await read('before the load');
    for (let i = 0; i < 300; i += 1) {
      const term = 1000 + (i % 60);
      const path = i % 3 === 2 ? `/adders/${term}` : `/adders/${term}/apply?x=${i}`;
      const status = await request(path, i % 3 === 2 ? { method: 'DELETE' } : undefined);
      assert.ok([200, 204, 404].includes(status), `${path}: ${status}`);
      await read(`request ${i}`);
    }
    const batch = await request('/adders/1000/apply', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ xs: [1, 2, 3] }),
    });
    assert.equal(batch, 200);
    const after = await read('after the load');
    assert.ok(classifier.classify(readMaps(pid)).pages.length > 1, 'the JIT’s pages were seen');
    // No description yet: iced-x86 is not loaded, and no WebAssembly code was added.
    assert.equal(bytesOf(after.webAssembly), bytesOf(before.webAssembly));
  });

  it('gains a WebAssembly code space with the first description (iced-x86), and nothing else', async () => {
    const before = await read('before the first description');
    assert.equal(await request('/adders/5/apply?x=1'), 200);
    assert.equal(await request('/adders/5'), 200);
    const described = await read('after the first description');
    assert.ok(
      bytesOf(described.webAssembly) > bytesOf(before.webAssembly),
      'the first description added no WebAssembly code',
    );
    for (let i = 0; i < 50; i += 1) {
      assert.equal(await request(`/adders/${i}/apply?x=1`), 200);
      assert.equal(await request(`/adders/${i}`), 200);
      await read(`description ${i}`);
    }
    assert.ok(readings > 350, `${readings} readings`);
  });
});
