/**
 * Binary batches: `POST /adders/:n/apply` with `content-type: application/octet-stream`, the body the
 * inputs as little-endian int32s, the answer the results in the same format.
 *
 * The body is streamed, not collected: each chunk that arrives from the socket is added to in place by
 * the adder's batch kernel and handed on to the response as it is, so the bytes that arrive are the bytes
 * the kernel adds to and the bytes that leave, and a request holds a chunk or two in memory whatever its
 * size (up to BINARY_BATCH_LIMIT_BYTES, 16 MiB unless configured), however many run at once. The answer's
 * length is the request's, so it is known before the body is read: a body without a Content-Length gets
 * 411, an empty one or one whose length is not a multiple of 4 gets 400, and one over the limit 413, all
 * before anything is compiled.
 *
 * A client that does not read its answer yet is of two kinds, and the service cannot tell them apart: one
 * that will not read until it has written its whole body (Python's http.client, and so `requests`), and
 * one that will never read. Stopping the body for either, as the streams' backpressure would, deadlocks
 * the first for good beyond what the sockets' buffers hold (a few MiB). So backpressure stops the body as
 * before, but a batch whose client has taken nothing for STALL_MS reserves its whole length from a budget
 * of results held for clients not reading (HeldResults: two batches at the limit), and goes on reading its
 * body while its results wait in memory; when the budget is spent it stays stopped until a reservation
 * ends. A reservation is taken whole, so a
 * batch that holds one never waits for another: every batch ends (docs/decisions.md, "A batch whose client
 * is not reading goes on reading its body").
 *
 * The batch holds its term's adder for its duration (JitRegistry#lease): it compiles at most once, at its
 * start, where the route charges the compile quota; and it cannot make the registry evict and recompile for
 * each chunk, at anyone's expense.
 *
 * A value whose four bytes are split between two chunks is put together in a four-byte buffer and added
 * on its own: the only bytes copied.
 *
 * A chunk's memory is given back as soon as the socket has written it, not when V8 next collects: V8
 * collects only after external memory has grown by tens of MiB, so under large batches sent chunks piled
 * up, and forced full collections (docs/decisions.md, "A sent chunk is freed at once").
 */
import { Transform, type TransformCallback } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { AdderLease, JitRegistry, Lookup } from '../jit/registry.js';
import { HttpError } from './errors.js';

export const BINARY_BATCH_TYPE = 'application/octet-stream';

/** What the content type parser hands the route for a binary batch: the body, not read yet. */
export class BinaryBatchBody {
  constructor(
    readonly stream: NodeJS.ReadableStream,
    /** The body's length in bytes, from Content-Length: a positive multiple of 4. */
    readonly bytes: number,
  ) {}
}

/** Checks a binary batch's Content-Length against the rules above; returns it, or throws the 4xx. */
function binaryBatchLength(contentLength: string | undefined, limit: number): number {
  if (contentLength === undefined) {
    throw new HttpError(411, 'a binary batch needs a Content-Length: the answer has the same length');
  }
  const bytes = Number(contentLength);
  if (bytes === 0) throw new HttpError(400, 'the binary batch is empty: send at least one int32 (4 bytes)');
  if (bytes % 4 !== 0) {
    throw new HttpError(
      400,
      `the binary batch is ${bytes} bytes, not a whole number of little-endian int32s (a multiple of 4)`,
    );
  }
  if (bytes > limit)
    throw new HttpError(413, `the binary batch is ${bytes} bytes; at most ${limit} are accepted`);
  return bytes;
}

/** Results held for clients not reading them yet: room for this many batches at the limit. */
export const HELD_BATCHES = 2;

/**
 * How long a client may take none of its answer, its body stopped, before the service holds its results
 * and reads on: a client that reads takes bytes every few milliseconds, so its batches go on streaming
 * (their memory flat), and one that writes first waits this long once.
 */
const STALL_MS = 1000;

declare module 'fastify' {
  interface FastifyInstance {
    /** The budget of results held for binary batches whose clients are not reading (HeldResults). */
    heldResults: HeldResults;
  }
}

/**
 * Registers the parser that hands binary batches to the route unread, after checking their length, and
 * the budget of results held for their clients.
 */
export function acceptBinaryBatches(app: FastifyInstance, limit: number): void {
  app.decorate('heldResults', new HeldResults(HELD_BATCHES * limit));
  app.addContentTypeParser(BINARY_BATCH_TYPE, (request, payload, done) => {
    try {
      done(null, new BinaryBatchBody(payload, binaryBatchLength(request.headers['content-length'], limit)));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
}

/**
 * Bytes of results held in memory for binary batches whose clients are not reading them yet, reserved a
 * whole batch at a time, with the batches waiting for a reservation in the order they asked.
 */
export class HeldResults {
  readonly limitBytes: number;
  #free: number;
  readonly #waiting = new Set<() => boolean>();

  constructor(limitBytes: number) {
    this.limitBytes = limitBytes;
    this.#free = limitBytes;
  }

  /** Bytes reserved now. */
  get reservedBytes(): number {
    return this.limitBytes - this.#free;
  }

  /** Reserves `bytes` if they are free; says whether it did. */
  reserve(bytes: number): boolean {
    if (bytes > this.#free) return false;
    this.#free -= bytes;
    return true;
  }

  /** Ends a reservation, and lets waiting batches try theirs, oldest first, until one cannot have it. */
  release(bytes: number): void {
    this.#free += bytes;
    for (const retry of this.#waiting) {
      if (!retry()) return;
      this.#waiting.delete(retry);
    }
  }

  /** Calls `retry` after each release until it returns true or is cancelled. */
  wait(retry: () => boolean): void {
    this.#waiting.add(retry);
  }

  cancel(retry: () => boolean): void {
    this.#waiting.delete(retry);
  }
}

/**
 * Adds `term` to the stream's values in place, chunk by chunk, with the adder leased for the stream's
 * duration. The lease is taken by `start` (which may compile) so that the route can say `compile` or `hit`
 * before the answer's head is sent.
 */
export class InPlaceAdder extends Transform {
  readonly #registry: JitRegistry;
  readonly #term: number;
  /** The body's length: what a reservation of held results takes. */
  readonly #bytes: number;
  readonly #held: HeldResults;
  #lease: AdderLease | undefined;
  #reserved = false;
  /** The body's chunks that own all of their memory: no other buffer shares it, so it may be freed. */
  readonly #owned = new WeakSet<ArrayBufferLike>();
  /** A value split between chunks: its first bytes, waiting for the rest. */
  readonly #carry = Buffer.alloc(4);
  #carried = 0;

  constructor(registry: JitRegistry, term: number, bytes: number, held: HeldResults) {
    super();
    this.#registry = registry;
    this.#term = term;
    this.#bytes = bytes;
    this.#held = held;
    this.once('close', () => this.#lease?.end());
  }

  /** Leases the adder (compiling it if needed), and says which it was; the first chunk does it otherwise. */
  start(): Lookup {
    const { lease, lookup } = this.#registry.lease(this.#term);
    this.#lease = lease;
    return lookup;
  }

  /**
   * Reads the body from `body`, and returns this stream, the answer, for the reply to send. A failure of
   * the body (a client that goes away) ends the answer with it; a failure of the answer, or an answer
   * whose client went away, is Fastify's to end (it destroys the stream it sends). Wired with pipe(), not
   * stream.pipeline(): pipeline makes an AbortController per call and aborts it when done, and the
   * DOMException that makes was the largest single cost of a 10,000-value binary batch in a CPU profile of
   * the server (docs/decisions.md, "Binary batches are streamed, not collected").
   */
  readFrom(body: NodeJS.ReadableStream): this {
    body.on('error', (error: Error) => this.destroy(error));
    body.pipe(this);
    return this;
  }

  /**
   * Writes the answer to `destination`, and frees each chunk the body owned once `destination` has
   * written it. Fastify sends a stream by piping it, and this is that pipe: Readable's own never learns
   * when a write is done, and would stop the body whenever the client is not reading (see the header).
   * Errors are not its to handle: Fastify destroys the answer when this stream fails, and this stream when
   * the answer does.
   */
  override pipe<Destination extends NodeJS.WritableStream>(destination: Destination): Destination {
    // When the destination last took bytes (a write's callback), or the body was last stopped.
    let progressAt = 0;
    let stallCheck: NodeJS.Timeout | undefined;
    const written = (chunk: Buffer) => (error?: Error | null) => {
      progressAt = performance.now();
      if (!error && this.#owned.has(chunk.buffer)) detach(chunk.buffer);
    };
    // Resumes the body once a reservation can be had.
    const retry = () => {
      if (!this.#reserve()) return false;
      this.resume();
      return true;
    };
    // Run after the poll phase, so that writes the kernel has completed meanwhile count as progress.
    const checkForStall = () =>
      setImmediate(() => {
        if (!this.isPaused() || this.destroyed) return;
        const quiet = performance.now() - progressAt;
        if (quiet < STALL_MS) stallCheck = setTimeout(checkForStall, STALL_MS - quiet);
        else if (!retry()) this.#held.wait(retry);
      });
    this.on('data', (chunk: Buffer) => {
      if (destination.write(chunk, written(chunk)) || this.#reserved) return;
      this.pause();
      progressAt = performance.now();
      stallCheck = setTimeout(checkForStall, STALL_MS);
    });
    destination.on('drain', () => {
      clearTimeout(stallCheck);
      this.#held.cancel(retry);
      this.resume();
    });
    this.once('end', () => destination.end());
    // The held results are gone once the answer is sent, or will never be.
    const settle = () => {
      clearTimeout(stallCheck);
      this.#held.cancel(retry);
      if (this.#reserved) this.#held.release(this.#bytes);
      this.#reserved = false;
    };
    (destination as unknown as NodeJS.EventEmitter).once('finish', settle).once('close', settle);
    return destination;
  }

  #reserve(): boolean {
    this.#reserved = this.#held.reserve(this.#bytes);
    return this.#reserved;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      if (chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength)
        this.#owned.add(chunk.buffer);
      let at = 0;
      if (this.#carried > 0) {
        at = Math.min(4 - this.#carried, chunk.length);
        chunk.copy(this.#carry, this.#carried, 0, at);
        this.#carried += at;
        if (this.#carried < 4) {
          callback();
          return;
        }
        this.#add(this.#carry);
        this.push(Buffer.from(this.#carry));
        this.#carried = 0;
      }
      const whole = at + ((chunk.length - at) & ~3);
      if (whole > at) {
        const values = chunk.subarray(at, whole);
        this.#add(values);
        this.push(values);
      }
      this.#carried = chunk.copy(this.#carry, 0, whole);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    // Content-Length was a multiple of 4 and the stream ended: a leftover means the body was cut short.
    callback(this.#carried === 0 ? null : new Error('the binary batch ended inside a value'));
  }

  #add(values: Uint8Array): void {
    this.#lease ??= this.#registry.lease(this.#term).lease;
    this.#lease.applyInPlace(values);
  }
}

/**
 * Whether a sent chunk's memory is freed at once: that takes ArrayBuffer.prototype.transfer, which Node.js
 * 20 does not have. There the memory waits for a collection.
 */
export const FREES_SENT_CHUNKS = 'transfer' in ArrayBuffer.prototype;

/** Frees an ArrayBuffer's memory now, leaving it empty, where the runtime can. */
function detach(buffer: ArrayBufferLike): void {
  if (FREES_SENT_CHUNKS) (buffer as ArrayBuffer & { transfer(length: number): ArrayBuffer }).transfer(0);
}
