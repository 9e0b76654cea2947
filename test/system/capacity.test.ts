/**
 * Capacity that the kernel can actually give (src/jit/mapping-budget.ts): the real server refuses a
 * capacity beyond its budget of memory areas, and at the largest capacity that fits it survives being
 * filled with distinct terms and then thousands more.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { applyRequest, termAt } from '../../harness/adder-requests.js';
import { driveChecked } from '../../harness/checked-load.js';
import { freePort, startServerProcess } from '../../harness/server-process.js';

const maxMapCount = Number(readFileSync('/proc/sys/vm/max_map_count', 'utf8'));
const MORE_TERMS = 5_000;

function areas(pid: number): number {
  return readFileSync(`/proc/${pid}/maps`, 'utf8').trimEnd().split('\n').length;
}

describe('capacity within the kernel’s memory areas', () => {
  let largestCapacity = 0;

  it('refuses to start with a capacity that cannot fit, exit 78, naming the variable, the limit and what fits', async () => {
    const server = startServerProcess({ env: { JIT_MAX_ADDERS: '1048576' } });
    const { code } = await server.exited;
    assert.equal(code, 78, server.output());
    const match =
      /JIT_MAX_ADDERS="1048576" is not valid: .*vm\.max_map_count is (\d+).* at most (\d+) adders fit/.exec(
        server.output(),
      );
    assert.ok(match, server.output());
    assert.equal(Number(match[1]), maxMapCount);
    largestCapacity = Number(match[2]);
    assert.ok(largestCapacity > 4096 && largestCapacity < maxMapCount / 2, `${largestCapacity} adders fit`);
  });

  it('at the largest capacity that fits, filled with distinct terms and thousands more: every answer right or 503, alive, still compiling', {
    timeout: 120_000,
  }, async (t) => {
    assert.ok(largestCapacity > 0, 'the previous test found the largest capacity');
    const server = startServerProcess({
      env: { JIT_MAX_ADDERS: String(largestCapacity), LOG_LEVEL: 'warn' },
      port: await freePort(),
    });
    try {
      const url = await server.listening;
      const pid = server.child.pid as number;
      const total = largestCapacity + MORE_TERMS;
      const tally = await driveChecked(url, {
        amount: total,
        connections: 20,
        plan: (i) => ({ ...applyRequest(termAt(i), i), accepts: [200, 503] }),
      });
      t.diagnostic(
        `${total} distinct terms at capacity ${largestCapacity}: ${JSON.stringify(tally.byKind.apply?.statuses)}; ` +
          `${areas(pid)} memory areas of ${maxMapCount}`,
      );
      assert.equal(tally.responses, total);
      assert.equal(tally.wrong + tally.unexpected + tally.errors, 0, tally.problems.join('\n'));
      assert.ok(areas(pid) < maxMapCount, 'the process stays below the kernel limit');

      const stats = (await (await fetch(`${url}/adders`)).json()) as { stats: Record<string, number> };
      assert.equal(stats.stats.live, largestCapacity, 'full');
      const fresh = await fetch(`${url}/adders/${termAt(total + 1)}/apply?x=1`);
      assert.equal(fresh.status, 200);
      assert.equal(fresh.headers.get('x-jit-cache'), 'compile');
      assert.equal(((await fresh.json()) as { result: number }).result, (termAt(total + 1) + 1) | 0);
      assert.equal((await fetch(`${url}/healthz`)).status, 200);
    } finally {
      server.child.kill('SIGTERM');
    }
    assert.equal((await server.exited).code, 0, server.output());
  });
});
