import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  applyResultSerializerCompiler,
  batchResultSerializerCompiler,
  serializeBatchResult,
} from '../../src/service/serializers.js';

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/** Every int32, with the values where a digit count or the sign changes drawn far more often. */
const int32 = fc.oneof(
  fc.integer({ min: INT32_MIN, max: INT32_MAX }),
  fc.constantFrom(
    INT32_MIN,
    INT32_MIN + 1,
    INT32_MAX,
    -1,
    0,
    1,
    ...Array.from({ length: 10 }, (_, power) => [10 ** power - 1, 10 ** power, -(10 ** power)]).flat(),
  ),
);

describe('applyResultSerializerCompiler', () => {
  const compile = (httpStatus: string) =>
    applyResultSerializerCompiler({ schema: {}, method: 'GET', url: '/adders/:n/apply', httpStatus });

  it('serializes 200 answers and every other status with JSON.stringify', () => {
    assert.equal(compile('200')({ term: 7, x: -35, result: -28 }), '{"term":7,"x":-35,"result":-28}');
    const error = { statusCode: 400, error: 'Bad Request', message: 'x must be a decimal integer' };
    assert.equal(compile('400')(error), JSON.stringify(error));
  });
});

describe('serializeBatchResult', () => {
  it('writes exactly what JSON.stringify writes, for any term and int32 results', () => {
    fc.assert(
      fc.property(int32, fc.array(int32, { maxLength: 300 }), (term, results) => {
        assert.equal(serializeBatchResult({ term, results }), JSON.stringify({ term, results }));
      }),
      { numRuns: 2_000 },
    );
  });

  it('writes the same for an Int32Array as for the plain array of its values', () => {
    const values = Int32Array.from([INT32_MIN, -99, 0, 7, 100, INT32_MAX]);
    assert.equal(
      serializeBatchResult({ term: -5, results: values }),
      JSON.stringify({ term: -5, results: [...values] }),
    );
  });

  it('leaves nothing of a longer answer in a shorter one that follows it (the buffer is reused)', () => {
    const long = Array.from({ length: 10_000 }, (_, i) => INT32_MIN + i);
    assert.equal(
      serializeBatchResult({ term: 1, results: long }),
      JSON.stringify({ term: 1, results: long }),
    );
    assert.equal(serializeBatchResult({ term: 2, results: [3] }), '{"term":2,"results":[3]}');
    assert.equal(serializeBatchResult({ term: 0, results: [] }), '{"term":0,"results":[]}');
  });

  it('fits the worst case, every value -2147483648, in a buffer grown for that answer alone', () => {
    // Longer than every answer before it in this file, so the buffer is grown to exactly what the serializer
    // asks for: 8 + 11 + 12 + 12n + 2 bytes, one more than the 12n + 32 this answer takes (8 for {"term":,
    // 11 for the term, 12 for ,"results":[, 11 per value and n - 1 commas, 2 for ]}).
    const results = new Array<number>(50_000).fill(INT32_MIN);
    const body = serializeBatchResult({ term: INT32_MIN, results });
    assert.equal(body.length, 12 * results.length + 32);
    assert.equal(body, JSON.stringify({ term: INT32_MIN, results }));
  });

  it('refuses a value that is not an int32 instead of writing something else', () => {
    for (const bad of [1.5, INT32_MAX + 1, INT32_MIN - 1, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => serializeBatchResult({ term: 1, results: [0, bad] }), {
        name: 'TypeError',
        message: `results must hold int32 values, got ${bad}`,
      });
      assert.throws(() => serializeBatchResult({ term: bad, results: [0] }), {
        name: 'TypeError',
        message: `term must hold int32 values, got ${bad}`,
      });
    }
  });
});

describe('batchResultSerializerCompiler', () => {
  const compile = (httpStatus: string) =>
    batchResultSerializerCompiler({ schema: {}, method: 'POST', url: '/adders/:n/apply', httpStatus });

  it('serializes 200 answers as batch results and every other status as plain JSON', () => {
    assert.equal(compile('200')({ term: 1, results: [2, -3] }), '{"term":1,"results":[2,-3]}');
    const error = { statusCode: 400, error: 'Bad Request', message: 'xs must be an array' };
    assert.equal(compile('400')(error), JSON.stringify(error));
  });
});
