/**
 * Waiting for a state, not for a time: a test that asserts a state polls for it, so that a slow machine
 * makes the test slower, never wrong.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

/** Resolves with `probe`'s first value other than undefined; rejects, naming `what`, after `ms`. */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  ms = 10_000,
): Promise<T> {
  const deadline = performance.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

/** Resolves once `condition` holds. */
export function waitUntil(what: string, condition: () => boolean, ms?: number): Promise<true> {
  return waitFor(what, () => (condition() ? true : undefined), ms);
}
