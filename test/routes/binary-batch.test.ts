/**
 * Binary batches (application/octet-stream): the results come back in the request's format and length,
 * whatever way the body's bytes are split into chunks on the wire; they agree with a JSON batch on the same
 * term; and a body that is empty, not a whole number of int32s, over the limit or without a length is
 * refused with its status and message, compiling nothing.
 */
import assert from 'node:assert/strict';
import { PassThrough, Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { wrappingAdd } from '../../src/jit/int32.js';
import { JitRegistry } from '../../src/jit/registry.js';
import { FREES_SENT_CHUNKS, InPlaceAdder } from '../../src/service/binary-batch.js';
import { errorMessage, startTestApp, type TestApp } from '../support/app.js';
import { int32s, littleEndian } from '../support/int32-bytes.js';
import { exchangeRaw } from '../support/raw-http.js';

const LIMIT = 64 * 1024;

const int32 = fc.integer({ min: -2147483648, max: 2147483647 });

describe('InPlaceAdder', () => {
  it('adds the term to every value however the bytes are split into chunks', async () => {
    const registry = new JitRegistry({ capacity: 4, level: 'avx2' });
    try {
      await fc.assert(
        fc.asyncProperty(
          int32,
          fc.array(int32, { minLength: 1, maxLength: 300 }),
          fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 40 }),
          async (term, values, cuts) => {
            const body = littleEndian(values);
            const adder = new InPlaceAdder(registry, term);
            adder.start();
            const out: Buffer[] = [];
            adder.on('data', (chunk: Buffer) => out.push(chunk));
            const done = new Promise((resolve, reject) => adder.on('end', resolve).on('error', reject));
            let at = 0;
            for (let index = 0; at < body.length; index += 1) {
              const size = cuts[index % cuts.length] as number;
              adder.write(Buffer.from(body.subarray(at, at + size)));
              at += size;
            }
            adder.end();
            await done;
            assert.deepEqual(
              int32s(Buffer.concat(out)),
              values.map((x) => wrappingAdd(term, x)),
            );
          },
        ),
        { numRuns: 200 },
      );
    } finally {
      registry.dispose();
    }
  });

  it('fails a stream that ends inside a value', async () => {
    const registry = new JitRegistry({ capacity: 1 });
    try {
      const adder = new InPlaceAdder(registry, 1);
      adder.start();
      adder.resume();
      const failed = new Promise<Error>((resolve) => adder.on('error', resolve));
      adder.end(Buffer.alloc(6));
      assert.match((await failed).message, /ended inside a value/);
    } finally {
      registry.dispose();
    }
  });

  it('reading from a body, fails with the body’s error, and answers what the body holds', {
    timeout: 5000,
  }, async () => {
    const registry = new JitRegistry({ capacity: 1 });
    try {
      const whole = new PassThrough();
      const answer = new InPlaceAdder(registry, 3).readFrom(whole);
      const chunks: Buffer[] = [];
      answer.on('data', (chunk: Buffer) => chunks.push(chunk));
      whole.end(littleEndian([1, -4]));
      await new Promise((resolve) => answer.on('end', resolve));
      assert.deepEqual(int32s(Buffer.concat(chunks)), [4, -1]);

      const broken = new PassThrough();
      const failing = new InPlaceAdder(registry, 3).readFrom(broken);
      failing.resume();
      const failed = new Promise<Error>((resolve) => failing.on('error', resolve));
      broken.write(littleEndian([1]));
      broken.destroy(new Error('the client went away'));
      assert.equal((await failed).message, 'the client went away');
      assert.ok(failing.destroyed);
      // A body may report more than one error as it goes (a reset after an abort): none may go unheard.
      assert.doesNotThrow(() => broken.emit('error', new Error('and its socket was reset')));
    } finally {
      registry.dispose();
    }
  });

  it('reading from a body, stops reading it while its answer is not read', { timeout: 5000 }, async () => {
    const registry = new JitRegistry({ capacity: 1 });
    try {
      const body = new PassThrough();
      const answer = new InPlaceAdder(registry, 3).readFrom(body);
      // Far more than the answer's and the body's buffers hold: unread, the body must be paused.
      for (let chunk = 0; chunk < 64; chunk += 1) body.write(Buffer.alloc(64 * 1024));
      await sleep(20);
      assert.equal(body.isPaused(), true);
      const read = body.readableLength;
      answer.resume();
      await sleep(20);
      assert.ok(body.readableLength < read, `the body still holds ${body.readableLength} of ${read} bytes`);
    } finally {
      registry.dispose();
    }
  });
});

/** A destination that holds each write's callback until the test calls it, as a socket still sending does. */
function heldWrites(highWaterMark: number) {
  const written: Buffer[] = [];
  const pending: Array<(error?: Error | null) => void> = [];
  const destination = new Writable({
    highWaterMark,
    write(chunk: Buffer, _encoding, callback) {
      written.push(Buffer.from(chunk));
      pending.push(callback);
    },
  });
  return { destination, written, pending };
}

describe('InPlaceAdder, piped', () => {
  let registry: JitRegistry;
  before(() => {
    registry = new JitRegistry({ capacity: 1 });
  });
  after(() => registry.dispose());

  it('frees a chunk that owns its memory once the destination has written it, and no sooner', {
    skip: FREES_SENT_CHUNKS ? false : 'this runtime has no ArrayBuffer.prototype.transfer',
  }, async () => {
    const body = new PassThrough();
    const { destination, written, pending } = heldWrites(1024 * 1024);
    new InPlaceAdder(registry, 3).readFrom(body).pipe(destination);
    const owned = littleEndian(Array.from({ length: 16 * 1024 }, (_, index) => index));
    assert.equal(owned.buffer.byteLength, owned.length);
    body.write(owned);
    await sleep(10);
    assert.equal(pending.length, 1);
    assert.equal(owned.buffer.byteLength, 64 * 1024, 'freed before it was written');
    pending.shift()?.();
    await sleep(10);
    assert.equal(owned.buffer.byteLength, 0);
    assert.deepEqual(int32s(written[0] as Buffer).slice(0, 3), [3, 4, 5]);
  });

  it('frees neither a chunk that shares its memory nor one whose write failed', {
    skip: FREES_SENT_CHUNKS ? false : 'this runtime has no ArrayBuffer.prototype.transfer',
  }, async () => {
    const body = new PassThrough();
    const { destination, pending } = heldWrites(1024 * 1024);
    new InPlaceAdder(registry, 3).readFrom(body).pipe(destination);
    const shared = Buffer.alloc(8 * 1024).subarray(4096);
    const failed = littleEndian(Array.from({ length: 1024 }, (_, index) => index));
    body.write(shared);
    await sleep(10);
    pending.shift()?.();
    body.write(failed);
    await sleep(10);
    destination.on('error', () => {});
    pending.shift()?.(new Error('the socket was reset'));
    await sleep(10);
    assert.equal(shared.buffer.byteLength, 8 * 1024);
    assert.equal(failed.buffer.byteLength, 4 * 1024);
  });

  it('stops reading the body while the destination is not drained, and ends the destination with the body', {
    timeout: 5000,
  }, async () => {
    const body = new PassThrough();
    const { destination, written, pending } = heldWrites(64 * 1024);
    new InPlaceAdder(registry, 3).readFrom(body).pipe(destination);
    for (let chunk = 0; chunk < 64; chunk += 1) body.write(Buffer.alloc(64 * 1024));
    body.end();
    await sleep(20);
    // One write under way and its high-water mark's worth queued behind it; the rest waits in the body.
    assert.ok(
      destination.writableLength <= 2 * 64 * 1024,
      `the destination holds ${destination.writableLength} bytes`,
    );
    assert.ok(body.readableLength > 0, 'the body was read to its end');
    const finished = new Promise((resolve) => destination.on('finish', resolve));
    const release = setInterval(() => {
      for (const callback of pending.splice(0)) callback();
    }, 1);
    try {
      await finished;
    } finally {
      clearInterval(release);
    }
    assert.equal(Buffer.concat(written).length, 64 * 64 * 1024);
    assert.ok(written.every((chunk) => int32s(chunk).every((value) => value === 3)));
  });
});

describe('POST /adders/:n/apply with application/octet-stream', () => {
  let t: TestApp;
  let port: number;
  before(async () => {
    t = await startTestApp({ binaryBatchLimitBytes: LIMIT });
    port = (t.app.server.address() as { port: number }).port;
  });
  after(() => t.close());

  const post = (term: number, body: Buffer) =>
    t.http
      .post(`/adders/${term}/apply`)
      .set('content-type', 'application/octet-stream')
      .responseType('blob')
      .send(body);

  it('answers the results as little-endian int32s, with the same length, type and x-jit-cache', async () => {
    const values = [0, 1, -1, 2147483647, -2147483648, 123456789];
    const first = await post(2147483647, littleEndian(values)).expect(200);
    assert.equal(first.headers['content-type'], 'application/octet-stream');
    assert.equal(first.headers['content-length'], String(values.length * 4));
    assert.equal(first.headers['x-jit-cache'], 'compile');
    assert.deepEqual(
      int32s(first.body as Buffer),
      values.map((x) => wrappingAdd(2147483647, x)),
    );
    const second = await post(2147483647, littleEndian([5])).expect(200);
    assert.equal(second.headers['x-jit-cache'], 'hit');
  });

  it('agrees with a JSON batch on the same term', async () => {
    const values = Array.from({ length: 1000 }, (_, index) => Math.imul(index, 0x9e3779b1));
    const binary = await post(-77, littleEndian(values)).expect(200);
    const json = await t.http.post('/adders/-77/apply').send({ xs: values }).expect(200);
    assert.deepEqual(int32s(binary.body as Buffer), json.body.results);
  });

  it('adds a body that arrives a few bytes at a time, splitting values between chunks', async () => {
    const values = Array.from({ length: 50 }, (_, index) => index * 1_000_003 - 25);
    const body = littleEndian(values);
    const head =
      'POST /adders/9/apply HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\n' +
      `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
    const exchange = await exchangeRaw(port, head, {
      end: false,
      onConnect: async (socket) => {
        for (let at = 0; at < body.length; at += 7) {
          socket.write(body.subarray(at, at + 7));
          await sleep(2);
        }
      },
    });
    assert.equal(exchange.responses[0]?.status, 200);
    assert.deepEqual(
      int32s(exchange.responses[0]?.body as Buffer),
      values.map((x) => wrappingAdd(9, x)),
    );
  });

  for (const [label, body, status, message] of [
    ['empty', Buffer.alloc(0), 400, /^the binary batch is empty/],
    ['not a multiple of 4 bytes', Buffer.alloc(10), 400, /^the binary batch is 10 bytes, not a whole number/],
    [
      'over the limit',
      Buffer.alloc(LIMIT + 4),
      413,
      new RegExp(`^the binary batch is ${LIMIT + 4} bytes; at most ${LIMIT}`),
    ],
  ] as const) {
    it(`refuses a body that is ${label} with ${status}, compiling nothing`, async () => {
      const compiles = t.app.jit.stats().compiles;
      const response = await t.http
        .post('/adders/555/apply')
        .set('content-type', 'application/octet-stream')
        .send(body);
      assert.equal(response.status, status);
      assert.match(errorMessage(response.body, status), message);
      assert.equal(t.app.jit.stats().compiles, compiles);
      assert.equal(t.app.jit.has(555), false);
    });
  }

  it('refuses a body without a Content-Length with 411, compiling nothing', async () => {
    const exchange = await exchangeRaw(
      port,
      'POST /adders/556/apply HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\n' +
        'Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n4\r\n\x01\x00\x00\x00\r\n0\r\n\r\n',
    );
    assert.equal(exchange.responses[0]?.status, 411);
    assert.match(
      errorMessage(JSON.parse(exchange.responses[0]?.body.toString() ?? ''), 411),
      /Content-Length/,
    );
    assert.equal(t.app.jit.has(556), false);
  });
});
