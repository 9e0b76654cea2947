/**
 * Binary batches stream through the server, so its memory does not depend on their size: sixteen batches
 * at once against the real server, first of 1 MiB each, then of 16 MiB each, every result right. Holding
 * the bodies would take 240 MiB more for the large ones; the server's peak resident memory with them is
 * within 32 MiB of its peak with the small ones, the server freeing each chunk once it is written.
 * Node.js 20, which the project does not support, cannot (it has no ArrayBuffer.prototype.transfer): there
 * sent chunks wait for V8 to collect them, so the peak is V8's timing, and the test is skipped.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { residentBytes } from '../../harness/process-sampler.js';
import { freePort, startServerProcess } from '../../harness/server-process.js';
import { FREES_SENT_CHUNKS } from '../../src/service/binary-batch.js';

const SMALL_BYTES = 2 ** 20;
const LARGE_BYTES = 16 * 2 ** 20;
const AT_ONCE = 16;
const ROUNDS = 2;
const MiB = 2 ** 20;

describe('concurrent binary batches', () => {
  it('are answered right, the peak memory for 16 MiB ones within 32 MiB of that for 1 MiB ones', {
    skip: FREES_SENT_CHUNKS
      ? false
      : 'this runtime cannot free a sent chunk at once (no ArrayBuffer.prototype.transfer)',
    timeout: 120_000,
  }, async (t) => {
    const server = startServerProcess({ port: await freePort(), env: { LOG_LEVEL: 'warn' } });
    try {
      const url = await server.listening;
      const pid = server.child.pid as number;
      const values = new Int32Array(LARGE_BYTES / 4);
      for (let index = 0; index < values.length; index += 1) values[index] = Math.imul(index, 0x9e3779b1);

      /** `ROUNDS` rounds of AT_ONCE batches of `bytes` at once, every answer checked; the peak memory. */
      const peakWhileSending = async (bytes: number): Promise<number> => {
        const body = Buffer.from(values.buffer, 0, bytes);
        let peak = residentBytes(pid);
        const sampler = setInterval(() => {
          peak = Math.max(peak, residentBytes(pid));
        }, 20);
        try {
          for (let round = 0; round < ROUNDS; round += 1) {
            await Promise.all(
              Array.from({ length: AT_ONCE }, async (_, index) => {
                const term = round * AT_ONCE + index;
                const response = await fetch(`${url}/adders/${term}/apply`, {
                  method: 'POST',
                  headers: { 'content-type': 'application/octet-stream' },
                  body,
                });
                assert.equal(response.status, 200);
                const results = new Int32Array(await response.arrayBuffer());
                assert.equal(results.length, bytes / 4);
                for (let at = 0; at < results.length; at += 4099) {
                  assert.equal(results[at], ((values[at] as number) + term) | 0, `term ${term}, value ${at}`);
                }
              }),
            );
          }
        } finally {
          clearInterval(sampler);
        }
        return peak;
      };

      const small = await peakWhileSending(SMALL_BYTES);
      const large = await peakWhileSending(LARGE_BYTES);
      t.diagnostic(
        `peak resident memory: ${(small / MiB).toFixed(1)} MiB with 1 MiB batches, ${(large / MiB).toFixed(1)} MiB with 16 MiB ones`,
      );
      assert.ok(
        large - small < 32 * MiB,
        `${((large - small) / MiB).toFixed(1)} MiB more for the large batches`,
      );
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });
});
