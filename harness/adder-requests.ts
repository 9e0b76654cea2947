/**
 * Checked requests to the adders API for load drivers (harness/checked-load.ts): what each request
 * sends, and what a right answer is, computed independently of the server with wrappingAdd.
 */
import { INT32_MAX, INT32_MIN, wrappingAdd } from '../src/jit/int32.js';
import type { CheckedRequest } from './checked-load.js';

/** GET /adders/:n/apply?x=: 200 with exactly {term, x, result: (n + x) | 0}. */
export function applyRequest(term: number, x: number): CheckedRequest {
  return {
    kind: 'apply',
    method: 'GET',
    path: `/adders/${term}/apply?x=${x}`,
    accepts: [200],
    isRight: (_status, body) => {
      const answer = parseObject(body);
      return answer?.term === term && answer.x === x && answer.result === wrappingAdd(term, x);
    },
  };
}

/** POST /adders/:n/apply {xs}: 200 with {term, results} holding (n + x) | 0 for every x, in order. */
export function batchRequest(term: number, xs: readonly number[]): CheckedRequest {
  return {
    kind: 'batch',
    method: 'POST',
    path: `/adders/${term}/apply`,
    body: JSON.stringify({ xs }),
    accepts: [200],
    isRight: (_status, body) => {
      const answer = parseObject(body);
      const results = answer?.results;
      return (
        answer?.term === term &&
        Array.isArray(results) &&
        results.length === xs.length &&
        xs.every((x, index) => results[index] === wrappingAdd(term, x))
      );
    },
  };
}

/**
 * DELETE /adders/:n: 204 with no body if the adder was compiled, 404 saying so if it was not (never
 * compiled, evicted, or deleted already): under concurrent load either can be right.
 */
export function deleteRequest(term: number): CheckedRequest {
  return {
    kind: 'delete',
    method: 'DELETE',
    path: `/adders/${term}`,
    accepts: [204, 404],
    isRight: (status, body) => {
      if (status === 204) return body === '';
      const answer = parseObject(body);
      return answer?.statusCode === 404 && answer.message === `adder ${term} is not compiled`;
    },
  };
}

function parseObject(body: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A well-mixed 32-bit value for (i, salt): the same every run, so that runs are comparable, and a pure
 * function of i, so that request i can refer to the term of an earlier request. MurmurHash3's finaliser.
 */
export function scramble(i: number, salt = 0): number {
  let h = (i ^ Math.imul(salt, 0x9e3779b9)) | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Term number `index`: an odd multiplier is a bijection on 32 bits, so distinct indices give distinct
 * terms, spread over the whole int32 range, negative ones and wrap-around included.
 */
export function termAt(index: number): number {
  return Math.imul(index, 0x9e3779b1);
}

/** `size` values for batch `i`: the int32 extremes first, where sums wrap, then scrambled ones. */
export function batchValues(i: number, size: number): number[] {
  const fixed = [INT32_MAX, INT32_MIN, -1, 0];
  return Array.from({ length: size }, (_, k) => fixed[k] ?? scramble(Math.imul(i, size) + k, 4) | 0);
}
