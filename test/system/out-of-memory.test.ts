/**
 * The host runs out of memory for new pages: the real server, in a child process whose address space the
 * test caps with RLIMIT_AS (util-linux's prlimit, on the running process) a little above what it uses,
 * so that the kernel's mmap itself answers ENOMEM. Capping a running process, after its start-up and a
 * warm-up, leaves Node's own heap the room it already has; a cap set before start would stop Node first.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { freePort, startServerProcess } from '../../harness/server-process.js';
import { wrappingAdd } from '../../src/jit/int32.js';
import { errorMessage } from '../support/app.js';

/** Room for 64 adder pages, each one page and its guard page, above the address space in use. */
const HEADROOM_BYTES = 64 * 2 * 4096;

function addressSpaceBytes(pid: number): number {
  const match = /^VmSize:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match?.[1]) throw new Error(`no VmSize for process ${pid}`);
  return Number(match[1]) * 1024;
}

async function apply(base: string, term: number, x: number) {
  const response = await fetch(`${base}/adders/${term}/apply?x=${x}`);
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body: (await response.json()) as { term: number; x: number; result: number },
  };
}

describe('a host out of memory for executable pages', () => {
  it('answers 503 with a clear message, keeps serving, and compiles again once pages are freed', async () => {
    const port = await freePort();
    const server = startServerProcess({ port, env: { JIT_MAX_ADDERS: '100000' } });
    const base = await server.listening;
    const pid = server.child.pid as number;
    try {
      // Warm up, so that the heap has grown to its working size before the cap.
      for (let i = 0; i < 2000; i += 1) assert.equal((await apply(base, i % 20, i)).status, 200);
      const limit = addressSpaceBytes(pid) + HEADROOM_BYTES;
      execFileSync('prlimit', [`--pid=${pid}`, `--as=${limit}:${limit}`]);

      // New terms compile until mmap is refused; then each new term is a 503, and no more than a few.
      let compiled = 0;
      let refused: Awaited<ReturnType<typeof apply>> | undefined;
      for (let term = 1000; term < 1000 + 1000 && refused === undefined; term += 1) {
        const answer = await apply(base, term, 1);
        if (answer.status === 200) {
          assert.equal(answer.body.result, term + 1);
          compiled += 1;
        } else refused = answer;
      }
      assert.ok(refused, 'mmap was never refused under the cap');
      assert.ok(compiled > 0 && compiled <= 64, `${compiled} pages fit in ${HEADROOM_BYTES} bytes`);
      assert.equal(refused.status, 503);
      assert.equal(refused.retryAfter, '1');
      assert.match(
        errorMessage(refused.body, 503),
        /^the JIT could not get memory for an executable page: mmap\(.*\) failed with ENOMEM \(errno 12\).*retry later$/,
      );
      for (let term = 5000; term < 5010; term += 1) assert.equal((await apply(base, term, 1)).status, 503);

      // Adders already compiled need no memory: they answer, as does everything else.
      assert.deepEqual((await apply(base, 1000, -7)).body, { term: 1000, x: -7, result: 993 });
      assert.equal((await fetch(`${base}/healthz`)).status, 200);
      const { stats } = (await (await fetch(`${base}/adders`)).json()) as { stats: { live: number } };
      assert.equal(stats.live, 20 + compiled, 'no entry for a refused compile');

      // Memory comes back when pages are released: new terms compile again.
      for (let term = 1000; term < 1010; term += 1) {
        assert.equal((await fetch(`${base}/adders/${term}`, { method: 'DELETE' })).status, 204);
      }
      for (let term = 6000; term < 6005; term += 1) {
        const answer = await apply(base, term, -2147483648);
        assert.equal(answer.status, 200, JSON.stringify(answer.body));
        assert.equal(answer.body.result, wrappingAdd(term, -2147483648));
      }
    } finally {
      server.child.kill('SIGTERM');
    }
    const { code } = await server.exited;
    assert.equal(code, 0, server.output());
    assert.match(server.output(), /released \d+ executable pages/);
    assert.doesNotMatch(
      server.output(),
      /"level":50/,
      'a refused compile is a warning, not an error with a stack',
    );
    assert.match(server.output(), /"level":40,.*"syscall":"mmap\(.*"errno":"ENOMEM"/);
  });
});
