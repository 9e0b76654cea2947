import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CompileQuota, quotaPolicy } from '../../../src/service/plugins/app/compile-quota.js';

/** A clock the test moves by hand. */
function manualClock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('CompileQuota', () => {
  it('allows `limit` charges per client in a window, then says how many seconds remain', () => {
    const clock = manualClock();
    const quota = new CompileQuota(3, 60_000, clock.now);
    assert.deepEqual(
      [1, 2, 3].map(() => quota.charge('a')),
      [0, 0, 0],
    );
    clock.advance(20_500);
    assert.equal(quota.charge('a'), 40, 'refused, 39.5 s of the window left, rounded up');
    assert.equal(quota.charge('a'), 40, 'a refused charge does not count');
    assert.equal(quota.charge('b'), 0, 'another client has its own quota');
  });

  it('takes back a charge within its window, never below zero, and not into a later window', () => {
    const clock = manualClock();
    const quota = new CompileQuota(1, 1_000, clock.now);
    assert.equal(quota.charge('a'), 0);
    assert.equal(quota.charge('a'), 1, 'spent');
    quota.refund('a');
    assert.equal(quota.charge('a'), 0, 'refunded: one more compile');
    quota.refund('a');
    quota.refund('a');
    assert.equal(quota.charge('a'), 0);
    assert.equal(quota.charge('a'), 1, 'refunds do not go below nothing charged');
    quota.refund('b');
    assert.equal(quota.clients, 1, 'a refund for a client never charged remembers nothing');
    clock.advance(1_000);
    quota.refund('a');
    assert.equal(quota.charge('a'), 0);
    assert.equal(quota.charge('a'), 1, 'a refund after the window ended gives nothing in the next');
  });

  it('starts a fresh window for a client once its window has ended', () => {
    const clock = manualClock();
    const quota = new CompileQuota(1, 500, clock.now);
    assert.equal(quota.charge('a'), 0);
    clock.advance(499);
    assert.equal(quota.charge('a'), 1);
    clock.advance(1);
    assert.equal(quota.charge('a'), 0);
    assert.equal(quota.charge('a'), 1);
  });

  it('remembers at most maxClients clients, forgetting ended windows first, then the oldest', () => {
    const clock = manualClock();
    const quota = new CompileQuota(1, 1_000, clock.now, 3);
    quota.charge('a');
    clock.advance(600);
    quota.charge('b');
    quota.charge('c');
    quota.charge('d'); // full: nothing has ended, so a (the oldest) is forgotten
    assert.equal(quota.clients, 3);
    assert.equal(quota.charge('a'), 0, 'a starts again (and b, now the oldest, is forgotten)');
    assert.equal(quota.charge('c'), 1, 'c is still over its quota');
    clock.advance(1_000); // every window has ended
    quota.charge('e');
    assert.equal(quota.clients, 1, 'ended windows are dropped before anyone is forgotten');
  });

  it('writes its policy as a RateLimit-Policy item: the quota, and the window in whole seconds, at least one', () => {
    assert.equal(quotaPolicy(new CompileQuota(100, 60_000)), '"compiles";q=100;w=60');
    assert.equal(quotaPolicy(new CompileQuota(7, 1_500)), '"compiles";q=7;w=2');
    assert.equal(quotaPolicy(new CompileQuota(1, 500)), '"compiles";q=1;w=1');
  });
});
