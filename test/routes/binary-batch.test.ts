/**
 * Binary batches (application/octet-stream): the results come back in the request's format and length,
 * whatever way the body's bytes are split into chunks on the wire; they agree with a JSON batch on the same
 * term; and a body that is empty, not a whole number of int32s, over the limit or without a length is
 * refused with its status and message, compiling nothing.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { PassThrough, Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { hostTarget } from '../../src/jit/host.js';
import { wrappingAdd } from '../../src/jit/int32.js';
import { JitRegistry } from '../../src/jit/registry.js';
import { FREES_SENT_CHUNKS, HeldResults, InPlaceAdder } from '../../src/service/binary-batch.js';
import { errorMessage, startTestApp, type TestApp } from '../support/app.js';
import { int32s, littleEndian } from '../support/int32-bytes.js';
import { exchangeRaw, parseResponses } from '../support/raw-http.js';
import { waitUntil } from '../support/wait-for.js';

const LIMIT = 64 * 1024;

/** An adder whose results are never held for a client that does not read: it stops reading its body. */
function unheldAdder(registry: JitRegistry, term: number): InPlaceAdder {
  return new InPlaceAdder(registry, term, Number.POSITIVE_INFINITY, new HeldResults(0));
}

const int32 = fc.integer({ min: -2147483648, max: 2147483647 });

describe('InPlaceAdder', () => {
  it('adds the term to every value however the bytes are split into chunks', async () => {
    const registry = new JitRegistry({ capacity: 4, target: hostTarget('avx2') });
    try {
      await fc.assert(
        fc.asyncProperty(
          int32,
          fc.array(int32, { minLength: 1, maxLength: 300 }),
          fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 40 }),
          async (term, values, cuts) => {
            const body = littleEndian(values);
            const adder = unheldAdder(registry, term);
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
      const adder = unheldAdder(registry, 1);
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
      const answer = unheldAdder(registry, 3).readFrom(whole);
      const chunks: Buffer[] = [];
      answer.on('data', (chunk: Buffer) => chunks.push(chunk));
      whole.end(littleEndian([1, -4]));
      await new Promise((resolve) => answer.on('end', resolve));
      assert.deepEqual(int32s(Buffer.concat(chunks)), [4, -1]);

      const broken = new PassThrough();
      const failing = unheldAdder(registry, 3).readFrom(broken);
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
      const answer = unheldAdder(registry, 3).readFrom(body);
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
    unheldAdder(registry, 3).readFrom(body).pipe(destination);
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
    unheldAdder(registry, 3).readFrom(body).pipe(destination);
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
    unheldAdder(registry, 3).readFrom(body).pipe(destination);
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

describe('InPlaceAdder, piped to a client that is not reading', () => {
  const CHUNK = 64 * 1024;
  const CHUNKS = 32;
  const BYTES = CHUNK * CHUNKS;
  let registry: JitRegistry;
  before(() => {
    registry = new JitRegistry({ capacity: 2 });
  });
  after(() => registry.dispose());

  /** A batch of BYTES whose destination takes nothing until told, its whole body already sent. */
  function stalledBatch(held: HeldResults) {
    const body = new PassThrough();
    const writes = heldWrites(CHUNK);
    const adder = new InPlaceAdder(registry, 3, BYTES, held).readFrom(body);
    adder.pipe(writes.destination);
    for (let chunk = 0; chunk < CHUNKS; chunk += 1) body.write(Buffer.alloc(CHUNK));
    body.end();
    const finished = new Promise((resolve) => writes.destination.on('finish', resolve));
    /** Lets the destination take everything from now on, as a client that starts reading. */
    const read = () => {
      const release = setInterval(() => {
        for (const callback of writes.pending.splice(0)) callback();
      }, 1);
      return finished.finally(() => clearInterval(release));
    };
    return { body, ...writes, read };
  }

  it('reserves its length and reads its whole body while the client does not read, then gives it back', async () => {
    const held = new HeldResults(BYTES);
    const batch = stalledBatch(held);
    await waitUntil('the whole body read', () => batch.destination.writableLength === BYTES);
    assert.equal(batch.body.readableLength, 0);
    assert.equal(held.reservedBytes, BYTES);
    await batch.read();
    assert.equal(held.reservedBytes, 0, 'given back when the answer is sent');
    assert.equal(Buffer.concat(batch.written).length, BYTES);
    assert.ok(batch.written.every((chunk) => int32s(chunk).every((value) => value === 3)));
  });

  it('stops reading when the budget has no room for it, and reads on once another batch gives its back', async () => {
    const held = new HeldResults(BYTES);
    const first = stalledBatch(held);
    await waitUntil('the first batch read whole', () => first.destination.writableLength === BYTES);
    const second = stalledBatch(held);
    await waitUntil('the second stopped', () => second.body.isPaused());
    assert.ok(second.body.readableLength > 0, 'the second batch left its body unread');
    assert.equal(held.reservedBytes, BYTES, 'only the first holds a reservation');
    await first.read();
    await waitUntil('the second batch read whole', () => second.destination.writableLength === BYTES);
    assert.equal(held.reservedBytes, BYTES, 'now the second holds it');
    await second.read();
    assert.equal(held.reservedBytes, 0);
  });

  it('gives its reservation back when its answer fails', async () => {
    const held = new HeldResults(BYTES);
    const batch = stalledBatch(held);
    await waitUntil('the whole body read', () => held.reservedBytes === BYTES);
    batch.destination.on('error', () => {});
    batch.destination.destroy(new Error('the client went away'));
    await waitUntil('the reservation given back', () => held.reservedBytes === 0);
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

/**
 * A binary batch started on a raw connection, its body sent up to `sent` values: resolves once its answer's
 * head has come back, that is once its adder is leased. `finish` sends the rest and collects the answer.
 */
async function startedBatch(port: number, term: number, values: readonly number[], sent: number) {
  const body = littleEndian(values);
  const socket = connect({ port, host: '127.0.0.1' });
  const received: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => received.push(chunk));
  const closed = new Promise((resolve) => socket.once('close', resolve));
  socket.write(
    `POST /adders/${term}/apply HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\n` +
      `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
  );
  socket.write(body.subarray(0, sent * 4));
  while (!Buffer.concat(received).includes('\r\n\r\n')) await once(socket, 'data');
  return {
    finish: async () => {
      socket.end(body.subarray(sent * 4));
      await closed;
      const [response] = parseResponses(Buffer.concat(received));
      return response;
    },
  };
}

describe('a streamed binary batch holds its adder until it ends', () => {
  const values = Array.from({ length: 64 }, (_, index) => index * 1_000_003);
  const results = (term: number) => values.map((x) => wrappingAdd(term, x));

  it('at capacity 2 with a quota of 4: compiled and charged once, never evicted, while others churn the other place', async () => {
    const t = await startTestApp({ jitMaxAdders: 2, compilesPerMinute: 4 });
    try {
      const port = (t.app.server.address() as { port: number }).port;
      const batch = await startedBatch(port, 100, values, 10);
      assert.equal(t.app.jit.stats().compiles, 1);
      const statuses: number[] = [];
      for (const term of [1, 2, 3, 4]) {
        statuses.push((await t.http.get(`/adders/${term}/apply?x=1`)).status);
        assert.equal(t.app.jit.has(100), true, `the batch's adder is still there after term ${term}`);
      }
      assert.deepEqual(statuses, [200, 200, 200, 429], 'the batch paid one compile of four');
      const { compiles, evictions } = t.app.jit.stats();
      assert.deepEqual(
        { compiles, evictions },
        { compiles: 4, evictions: 2 },
        'only the other place churned',
      );
      const response = await batch.finish();
      assert.equal(response?.status, 200);
      assert.equal(response?.headers.get('x-jit-cache'), 'compile');
      assert.deepEqual(int32s(response?.body as Buffer), results(100));
      assert.equal(t.app.jit.stats().compiles, 4, 'the batch compiled nothing more');
    } finally {
      await t.close();
    }
  });

  it('at capacity 1: other terms get 503 and no charge, and the adder cannot be released, until the batch ends', async () => {
    const t = await startTestApp({ jitMaxAdders: 1, compilesPerMinute: 2 });
    try {
      const port = (t.app.server.address() as { port: number }).port;
      const batch = await startedBatch(port, -5, values, 1);
      for (let attempt = 0; attempt < 3; attempt += 1) {
        const refused = await t.http.get('/adders/7/apply?x=1');
        assert.equal(refused.status, 503);
        assert.equal(refused.headers['retry-after'], '1');
        assert.match(errorMessage(refused.body, 503), /in use by streamed batches/);
      }
      const deleted = await t.http.delete('/adders/-5');
      assert.equal(deleted.status, 409);
      assert.match(errorMessage(deleted.body, 409), /in use by a streamed batch/);
      assert.equal(t.app.jit.has(-5), true);
      const response = await batch.finish();
      assert.deepEqual(int32s(response?.body as Buffer), results(-5));
      // One compile of the quota's two is left: the refusals were refunded.
      assert.equal((await t.http.get('/adders/7/apply?x=1')).status, 200);
      assert.equal((await t.http.get('/adders/8/apply?x=1')).status, 429);
    } finally {
      await t.close();
    }
  });
});
