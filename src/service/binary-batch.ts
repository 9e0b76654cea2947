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
 * before anything is compiled. Backpressure is the streams': a client that does not read its answer
 * stops the server reading its body.
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
import type { JitRegistry, Lookup } from '../jit/registry.js';
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
export function binaryBatchLength(contentLength: string | undefined, limit: number): number {
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

/** Registers the parser that hands binary batches to the route unread, after checking their length. */
export function acceptBinaryBatches(app: FastifyInstance, limit: number): void {
  app.addContentTypeParser(BINARY_BATCH_TYPE, (request, payload, done) => {
    try {
      done(null, new BinaryBatchBody(payload, binaryBatchLength(request.headers['content-length'], limit)));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
}

/**
 * Adds `term` to the stream's values in place, chunk by chunk, through the registry. The first call into
 * the adder is made by `start` (which may compile it) so that the route can say `compile` or `hit` before
 * the answer's head is sent.
 */
export class InPlaceAdder extends Transform {
  readonly #registry: JitRegistry;
  readonly #term: number;
  /** The body's chunks that own all of their memory: no other buffer shares it, so it may be freed. */
  readonly #owned = new WeakSet<ArrayBufferLike>();
  /** A value split between chunks: its first bytes, waiting for the rest. */
  readonly #carry = Buffer.alloc(4);
  #carried = 0;
  #started = false;

  constructor(registry: JitRegistry, term: number) {
    super();
    this.#registry = registry;
    this.#term = term;
  }

  /** Looks the adder up (compiling it if needed) on an empty batch, and says which it was. */
  start(): Lookup {
    this.#started = true;
    return this.#registry.applyInPlace(this.#term, this.#carry.subarray(0, 0));
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
   * when a write is done. Errors are not its to handle: Fastify destroys the answer when this stream
   * fails, and this stream when the answer does.
   */
  override pipe<Destination extends NodeJS.WritableStream>(destination: Destination): Destination {
    const free = (chunk: Buffer) => (error?: Error | null) => {
      if (!error && this.#owned.has(chunk.buffer)) detach(chunk.buffer);
    };
    this.on('data', (chunk: Buffer) => {
      if (!destination.write(chunk, free(chunk))) this.pause();
    });
    destination.on('drain', () => this.resume());
    this.once('end', () => destination.end());
    return destination;
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
    this.#registry.applyInPlace(this.#term, values, !this.#started);
    this.#started = true;
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
