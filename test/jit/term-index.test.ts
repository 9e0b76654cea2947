import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { TermIndex } from '../../src/jit/term-index.js';

type Operation =
  | { kind: 'set'; term: number; value: number }
  | { kind: 'delete'; term: number }
  | { kind: 'get'; term: number };

/** Runs `operations` on an index and on a Map, the model, and checks they agree after every step. */
function agreesWithMap(index: TermIndex<number>, operations: Operation[]): void {
  const model = new Map<number, number>();
  for (const operation of operations) {
    const { term } = operation;
    if (operation.kind === 'set') {
      if (!model.has(term) && model.size >= index.capacity) {
        assert.throws(() => index.set(term, operation.value), RangeError);
      } else {
        index.set(term, operation.value);
        model.set(term, operation.value);
      }
    } else if (operation.kind === 'delete') {
      assert.equal(index.delete(term), model.delete(term), `delete ${term}`);
    }
    assert.equal(index.get(term), model.get(term), `get ${term} after ${operation.kind}`);
    assert.equal(index.has(term), model.has(term));
    assert.equal(index.size, model.size);
  }
  for (const [term, value] of model) assert.equal(index.get(term), value, `${term} still there`);
}

function operations(terms: fc.Arbitrary<number>): fc.Arbitrary<Operation[]> {
  return fc.array(
    fc.oneof(
      fc.record({ kind: fc.constant('set' as const), term: terms, value: fc.integer() }),
      fc.record({ kind: fc.constant('delete' as const), term: terms }),
      fc.record({ kind: fc.constant('get' as const), term: terms }),
    ),
    { maxLength: 400 },
  );
}

describe('TermIndex', () => {
  it('behaves as a Map of at most `capacity` terms, over any int32 terms', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        operations(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })),
        (capacity, ops) => agreesWithMap(new TermIndex<number>(capacity), ops),
      ),
    );
  });

  it('behaves as a Map when terms crowd into long probe runs that wrap around the table', () => {
    // With multiplier 1 a term's home slot is its top bits, so terms that differ only in their low bits
    // share one home slot, and the top slots' runs wrap around to the start of the table.
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 16 }),
        operations(fc.constantFrom(0, 1, 2, 3, 4, -1, -2, -3, 2 ** 30, 2 ** 30 + 1, 2 ** 31 - 1, -(2 ** 31))),
        (capacity, ops) => agreesWithMap(new TermIndex<number>(capacity, 1), ops),
      ),
    );
  });

  it('keeps every remaining term findable through deletes inside a full run of collisions', () => {
    const index = new TermIndex<string>(8, 1);
    // All home to slot 0 of 16 (multiplier 1, shift 28): one run of eight.
    const terms = [0, 1, 2, 3, 4, 5, 6, 7];
    for (const term of terms) index.set(term, `v${term}`);
    assert.throws(() => index.set(8, 'one too many'), /capacity of 8/);
    for (const gone of [3, 0, 7]) {
      assert.equal(index.delete(gone), true);
      assert.equal(index.delete(gone), false);
    }
    for (const term of [1, 2, 4, 5, 6]) assert.equal(index.get(term), `v${term}`);
    assert.equal(index.size, 5);
    index.set(-1, 'v-1');
    assert.equal(index.get(-1), 'v-1');
  });

  it('refuses a capacity or multiplier it cannot work with, and undefined values', () => {
    for (const capacity of [0, -1, 1.5, Number.NaN, 2 ** 29 + 1]) {
      assert.throws(() => new TermIndex(capacity), RangeError, String(capacity));
    }
    assert.throws(() => new TermIndex(4, 2), /odd/);
    assert.throws(() => new TermIndex<number | undefined>(4).set(1, undefined), TypeError);
  });
});
