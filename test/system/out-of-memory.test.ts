/**
 * The host runs out of memory for new pages below the registry's capacity: the real server, in a child
 * process whose address space the test caps with RLIMIT_AS (util-linux's prlimit, on the running process)
 * a little above what it uses, so that the kernel's mmap itself answers ENOMEM. Capping a running process, after its start-up and a
 * warm-up, leaves Node's own heap the room it already has; a cap set before start would stop Node first.
 *
 * The cap refuses V8 a new page of its heap as it refuses the JIT one, and V8 cannot live without: a
 * collection that must promote young objects into a page it cannot map ends the process ("FATAL ERROR:
 * MarkCompactCollector: young object promotion failed": on Node.js 26, in the 5th of 20 runs of the
 * system tests and the 25th of a series of this one beside other load, when it made some 400 requests with
 * no room left). So each stretch under the cap is short, about 150 requests, and starts just after a full
 * collection made while there is room (harness/heap-probe.ts), with a young generation held at 16 MiB:
 * its requests allocate far less than it takes to fill it again, so no collection runs until the room is
 * back.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { freePort, type ServerProcess, startServerProcess } from '../../harness/server-process.js';
import { wrappingAdd } from '../../src/jit/int32.js';
import { errorMessage } from '../support/app.js';
import { askHeapProbe, HEAP_PROBE_NODE_OPTIONS } from '../support/heap-probe.js';

/** Adder pages that fit in the room left above the address space in use. */
const HEADROOM_PAGES = 64;
/** Room for HEADROOM_PAGES adder pages, each one page and its guard page. */
const HEADROOM_BYTES = HEADROOM_PAGES * 2 * 4096;
/** Pressure evictions to see before the test stops compiling new terms under the cap. */
const PRESSURE_EVICTIONS = 4;

/** Runs a full collection in the server (its heap probe) and waits for it to finish. */
async function collectGarbage(server: ServerProcess): Promise<void> {
  assert.deepEqual(await askHeapProbe(server, 'collect'), { collected: true });
}

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

/**
 * Caps the process's address space (RLIMIT_AS) at `soft` bytes, and at `hard` at most: the hard limit
 * can only come down without CAP_SYS_RESOURCE, so it is set once and the soft one moves below it.
 */
function capAddressSpace(pid: number, soft: number, hard = soft): void {
  execFileSync('prlimit', [`--pid=${pid}`, `--as=${soft}:${hard}`]);
}

interface Stats {
  live: number;
  evictions: number;
  pressureEvictions: number;
}

async function listedTerms(base: string): Promise<{ terms: number[]; stats: Stats }> {
  const body = (await (await fetch(`${base}/adders`)).json()) as {
    stats: Stats;
    adders: { term: number }[];
  };
  return { terms: body.adders.map((adder) => adder.term), stats: body.stats };
}

describe('a host out of memory for executable pages', () => {
  it('recycles the least recently used page while it can, answers 503 only with nothing to recycle, and maps fresh pages again once memory is back', async (t) => {
    const port = await freePort();
    // The cap leaves V8 no room either. Its optimizing compilers (TurboFan, Maglev) allocate working memory
    // whenever they run, and on Node.js 24 one did under the cap in 3 of 12 runs: "FATAL ERROR: Zone
    // Allocation failed - process out of memory". The bytecode compiler, which compiles a function the
    // first time it runs, takes its working memory from malloc too: glibc's top pad makes each growth of
    // malloc's heap 16 MiB larger, room that is in place before the cap. On Node.js 22 the server died so
    // in 5 of 91 runs without it, and in 0 of 90 with it. What the cap refuses is then the JIT's pages
    // alone, which is what this test is about.
    const server = startServerProcess({
      port,
      env: { JIT_MAX_ADDERS: '10000', MALLOC_TOP_PAD_: String(16 * 2 ** 20) },
      nodeOptions: ['--no-opt', '--no-maglev', '--min-semi-space-size=16', ...HEAP_PROBE_NODE_OPTIONS],
      ipc: true,
    });
    const base = await server.listening;
    const pid = server.child.pid as number;
    try {
      // Warm up, so that the heap has grown to its working size before the cap.
      for (let i = 0; i < 2000; i += 1) assert.equal((await apply(base, i % 20, i)).status, 200);
      // And make every other kind of request the test makes under the cap once, so that V8 compiles the
      // code that answers it while it has room (5 of 91 runs on Node.js 22 died compiling GET /adders under
      // the cap; 0 of 90 with these requests).
      await listedTerms(base);
      assert.equal((await apply(base, 7777, 0)).status, 200);
      assert.equal((await fetch(`${base}/adders/7777`, { method: 'DELETE' })).status, 204);
      assert.equal((await fetch(`${base}/adders/1/apply?x=one`)).status, 400);
      assert.equal((await fetch(`${base}/healthz`)).status, 200);
      await collectGarbage(server);
      const roomy = addressSpaceBytes(pid) + HEADROOM_BYTES;
      capAddressSpace(pid, roomy);

      // Far below capacity, new terms keep compiling: fresh pages while they fit, then, with mmap refused,
      // the least recently used adder's page each time. At most HEADROOM_PAGES fit, so the terms past them
      // recycle, unless the process gave memory back meanwhile: then more terms, until some have.
      let term = 1000;
      let pressureEvictions = 0;
      while (pressureEvictions < PRESSURE_EVICTIONS && term < 1000 + 400) {
        const answer = await apply(base, term, 1);
        assert.equal(answer.status, 200, JSON.stringify(answer.body));
        assert.equal(answer.body.result, term + 1);
        term += 1;
        if (term - 1000 >= HEADROOM_PAGES + PRESSURE_EVICTIONS)
          pressureEvictions = (await listedTerms(base)).stats.pressureEvictions;
      }
      const underPressure = await listedTerms(base);
      assert.ok(
        underPressure.stats.pressureEvictions >= PRESSURE_EVICTIONS,
        `mmap was refused ${underPressure.stats.pressureEvictions} times under the cap`,
      );
      assert.ok(underPressure.stats.live <= 20 + HEADROOM_PAGES, `${underPressure.stats.live} pages live`);
      assert.equal(underPressure.stats.evictions, underPressure.stats.pressureEvictions);
      assert.ok(underPressure.terms.includes(term - 1), 'the newest term is compiled');
      assert.ok(!underPressure.terms.includes(0), 'the least recently used terms made room');

      // With every page released and no room for a fresh one, there is nothing to recycle: 503. The room
      // comes back just after the one refused compile; what it left is checked with room.
      for (const listed of underPressure.terms) {
        assert.equal((await fetch(`${base}/adders/${listed}`, { method: 'DELETE' })).status, 204);
      }
      await collectGarbage(server);
      capAddressSpace(pid, addressSpaceBytes(pid), roomy);
      const refused = await apply(base, 5000, 1);
      capAddressSpace(pid, roomy);
      assert.equal(refused.status, 503);
      assert.equal(refused.retryAfter, '1');
      assert.match(
        errorMessage(refused.body, 503),
        /^the JIT could not get memory for an executable page: mmap\(.*\) failed with ENOMEM \(errno 12\).*retry later$/,
      );
      assert.equal((await fetch(`${base}/healthz`)).status, 200);
      assert.equal((await listedTerms(base)).stats.live, 0, 'no entry for a refused compile');

      // Memory is back: new terms get fresh pages again.
      for (let term = 6000; term < 6005; term += 1) {
        const answer = await apply(base, term, -2147483648);
        assert.equal(answer.status, 200, JSON.stringify(answer.body));
        assert.equal(answer.body.result, wrappingAdd(term, -2147483648));
      }
      const recovered = await listedTerms(base);
      assert.equal(recovered.stats.live, 5);
      assert.equal(recovered.stats.pressureEvictions, underPressure.stats.pressureEvictions);
    } catch (error) {
      // A server that died says why on stderr (V8's FATAL ERROR and its stack): keep it with the failure.
      await Promise.race([server.exited, new Promise((resolve) => setTimeout(resolve, 1000))]);
      t.diagnostic(
        server
          .output()
          .split('\n')
          .filter((line) => !line.includes('"level":30'))
          .join('\n')
          .slice(0, 3000),
      );
      throw error;
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
