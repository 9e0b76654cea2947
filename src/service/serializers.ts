/**
 * The response serializers of the routes whose bodies are client-chosen integers (the apply routes).
 *
 * Fastify's default serializer (fast-json-stringify) writes an integer as `'' + n`. V8 makes that string
 * through its number-to-string cache, a table of recent numbers' strings (up to 16,384) that lives as long
 * as the process, so each new number's string stays referenced until another number takes its slot. With
 * terms and inputs spread over the int32 range that is longer than two young-generation collections, and
 * the strings are promoted to the old generation. There they are garbage that builds up until V8's next
 * major collection, and resident memory rises with it, under the soak's load by more than the soak's 10%
 * bound between two windows. JSON.stringify makes no string per number, and promotes a tenth as much
 * (docs/decisions.md, "Smaller choices in the hot paths", has the --trace-gc-nvp runs).
 *
 * So the apply routes' answers do not go through fast-json-stringify: a single apply's and every error go
 * through JSON.stringify, and a batch's 200 answer is written as bytes into a buffer (serializeBatchResult),
 * exactly what JSON.stringify would write (the tests here compare them on random int32s, and the route
 * tests compare raw bodies). The schemas still document the responses in the OpenAPI description.
 */
import type { FastifySerializerCompiler } from 'fastify';

function serializeAsJson(data: unknown): string {
  return JSON.stringify(data);
}

/**
 * The single apply route's serializer: JSON.stringify for every status. A table-driven writer of its three
 * numbers saved no CPU per request that the paired benchmark could resolve (docs/decisions.md).
 */
export const applyResultSerializerCompiler: FastifySerializerCompiler<unknown> = () => serializeAsJson;

/**
 * The batch route's serializer: its 200 body through serializeBatchResult, every other status (errors)
 * through JSON.stringify like the other apply routes.
 */
export const batchResultSerializerCompiler: FastifySerializerCompiler<unknown> = ({ httpStatus }) =>
  httpStatus === '200' ? (serializeBatchResult as (data: unknown) => string) : serializeAsJson;

/** The body of a batch answer: the term and one result per input, every one an int32. */
export interface BatchResult {
  term: number;
  results: ArrayLike<number>;
}

/**
 * `{"term":…,"results":[…]}`, written as ASCII digits into a byte buffer and read out as one string.
 *
 * JSON.stringify was the largest part of a batch request's CPU time in a profile of 10,000-value
 * batches: half of int32 lies outside V8's small integers, and it formats those as doubles. Writing the
 * digits two at a time takes about half as long (docs/decisions.md, "Smaller choices in the hot paths").
 * Like JSON.stringify, it makes no string per number (this module's header says why that matters).
 *
 * Throws a TypeError for a term or result that is not an int32, whose text this does not write as
 * JSON.stringify would (Fastify then answers 500; the handler never gives such a value).
 */
export function serializeBatchResult(data: BatchResult): string {
  const { term, results } = data;
  // At most 11 bytes per int32 ("-2147483648") and a comma: sized for the worst case, then reused.
  const bytes = scratch(BODY_START.length + 11 + RESULTS_START.length + 12 * results.length + 2);
  let at = BODY_START.length;
  bytes.set(BODY_START, 0);
  at = writeInt32(bytes, at, requireInt32(term, 'term'));
  bytes.set(RESULTS_START, at);
  at += RESULTS_START.length;
  for (let index = 0; index < results.length; index += 1) {
    if (index > 0) bytes[at++] = COMMA;
    at = writeInt32(bytes, at, requireInt32(results[index] as number, 'results'));
  }
  bytes[at++] = CLOSE_BRACKET;
  bytes[at++] = CLOSE_BRACE;
  return bytes.toString('latin1', 0, at);
}

const BODY_START = Buffer.from('{"term":', 'latin1');
const RESULTS_START = Buffer.from(',"results":[', 'latin1');
const COMMA = 0x2c;
const MINUS = 0x2d;
const ZERO = 0x30;
const CLOSE_BRACKET = 0x5d;
const CLOSE_BRACE = 0x7d;

/** DIGIT_PAIRS[2n], DIGIT_PAIRS[2n + 1]: the two ASCII digits of n, for n from 0 to 99. */
const DIGIT_PAIRS = Uint8Array.from(
  { length: 200 },
  (_, i) => ZERO + (i % 2 === 0 ? Math.floor(i / 20) : (i >> 1) % 10),
);

/**
 * One buffer for every answer, grown when an answer needs more: the serializer is synchronous and its
 * string is a copy, so the buffer is free again as soon as it returns. At most 12 bytes per value of the
 * largest batch the route accepts (about 120 KB), held for the life of the process.
 */
let buffer = Buffer.alloc(0);
function scratch(size: number): Buffer {
  if (buffer.length < size) buffer = Buffer.allocUnsafe(size);
  return buffer;
}

function requireInt32(value: number, field: string): number {
  if ((value | 0) !== value) throw new TypeError(`${field} must hold int32 values, got ${String(value)}`);
  return value;
}

/** Writes `value`'s decimal digits at `at`, and returns the offset after them. */
function writeInt32(bytes: Uint8Array, at: number, value: number): number {
  let rest = value;
  if (value < 0) {
    bytes[at++] = MINUS;
    rest = -value; // -(-2147483648) is 2147483648: a double, still exact
  }
  const end = at + decimalDigits(rest);
  let next = end;
  while (rest >= 100) {
    const quotient = (rest / 100) >>> 0;
    const pair = (rest - quotient * 100) * 2;
    bytes[--next] = DIGIT_PAIRS[pair + 1] as number;
    bytes[--next] = DIGIT_PAIRS[pair] as number;
    rest = quotient;
  }
  if (rest >= 10) {
    bytes[--next] = DIGIT_PAIRS[rest * 2 + 1] as number;
    bytes[--next] = DIGIT_PAIRS[rest * 2] as number;
  } else {
    bytes[--next] = ZERO + rest;
  }
  return end;
}

/** How many decimal digits a number from 0 to 2^31 has. */
function decimalDigits(n: number): number {
  if (n < 100_000) return n < 100 ? (n < 10 ? 1 : 2) : n < 1_000 ? 3 : n < 10_000 ? 4 : 5;
  return n < 10_000_000 ? (n < 1_000_000 ? 6 : 7) : n < 100_000_000 ? 8 : n < 1_000_000_000 ? 9 : 10;
}
