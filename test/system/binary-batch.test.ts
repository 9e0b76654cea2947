/**
 * Binary batches stream through the server, so its memory does not depend on their size: sixteen batches
 * at once against the real server, first of 1 MiB each, then of 16 MiB each, every result right. Holding
 * the bodies would take 240 MiB more for the large ones. For clients that read their answers while they
 * send (as curl does) the server's peak resident memory with the large ones is within 32 MiB of its peak
 * with the small ones, the server freeing each chunk once it is written. For clients that read little
 * until they have sent (Node's own fetch, undici, under this load: the server finds them taking nothing
 * for a second at a time), the server may also hold results for them, up to its budget for that
 * (HELD_BATCHES batches at the limit, binary-batch.ts), and no more.
 * Node.js 20, which the project does not support, cannot free a sent chunk at once (it has no
 * ArrayBuffer.prototype.transfer): there sent chunks wait for V8 to collect them, so the peak is V8's
 * timing, and the test is skipped.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { residentBytes } from '../../harness/process-sampler.js';
import { freePort, startServerProcess } from '../../harness/server-process.js';
import { FREES_SENT_CHUNKS, HELD_BATCHES } from '../../src/service/binary-batch.js';
import { parseResponses } from '../support/raw-http.js';

const SMALL_BYTES = 2 ** 20;
const LARGE_BYTES = 16 * 2 ** 20;
const AT_ONCE = 16;
const ROUNDS = 2;
const MiB = 2 ** 20;

/** A batch posted by a client that reads its answer as it arrives, while it sends; its answer's body. */
async function postReadingWhileSending(port: number, term: number, body: Buffer): Promise<Buffer> {
  const socket = connect({ port, host: '127.0.0.1' });
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const closed = once(socket, 'close');
  socket.write(
    `POST /adders/${term}/apply HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\n` +
      `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
  );
  socket.end(body);
  await closed;
  const [response] = parseResponses(Buffer.concat(chunks));
  assert.equal(response?.status, 200);
  return response.body;
}

/** A batch posted with Node's fetch; its answer's body. */
async function postWithFetch(url: string, term: number, body: Buffer): Promise<Buffer> {
  const response = await fetch(`${url}/adders/${term}/apply`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body,
  });
  assert.equal(response.status, 200);
  return Buffer.from(await response.arrayBuffer());
}

type Client = 'reading while sending' | 'fetch';

describe('concurrent binary batches', () => {
  for (const [client, allowance] of [
    ['reading while sending', 32 * MiB],
    ['fetch', 32 * MiB + HELD_BATCHES * LARGE_BYTES],
  ] as Array<[Client, number]>) {
    it(`from clients ${client === 'fetch' ? 'using fetch' : client} are answered right, the peak memory for 16 MiB ones within ${allowance / MiB} MiB of that for 1 MiB ones`, {
      skip: FREES_SENT_CHUNKS
        ? false
        : 'this runtime cannot free a sent chunk at once (no ArrayBuffer.prototype.transfer)',
      timeout: 120_000,
    }, async (t) => {
      const port = await freePort();
      const server = startServerProcess({ port, env: { LOG_LEVEL: 'warn' } });
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
                  const answer =
                    client === 'fetch'
                      ? await postWithFetch(url, term, body)
                      : await postReadingWhileSending(port, term, body);
                  assert.equal(answer.length, bytes);
                  for (let at = 0; at < bytes / 4; at += 4099) {
                    const expected = ((values[at] as number) + term) | 0;
                    assert.equal(answer.readInt32LE(at * 4), expected, `term ${term}, value ${at}`);
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
          large - small < allowance,
          `${((large - small) / MiB).toFixed(1)} MiB more for the large batches`,
        );
      } finally {
        server.child.kill('SIGTERM');
        await server.exited;
      }
    });
  }
});
