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

  it('keeps an entry whose run wrapped past the table’s end, when a delete opens a hole before its home', () => {
    // Capacity 8: 16 slots, and with multiplier 1 a term's home slot is its top four bits (term >>> 28).
    const home = (slot: number, low = 0) => (slot << 28) | low | 0;
    const index = new TermIndex<string>(8, 1);
    index.set(home(14), 'a'); // slot 14
    index.set(home(15), 'b'); // slot 15
    index.set(home(15, 1), 'c'); // its home 15 taken, it wraps around to slot 0
    // The hole opens at 14. 'b' (at its home, 15) and 'c' (at 0, home 15) both have homes after the hole:
    // moving either into it would put it before its home, where a lookup would not find it.
    assert.equal(index.delete(home(14)), true);
    assert.equal(index.get(home(15)), 'b');
    assert.equal(index.get(home(15, 1)), 'c');
    assert.equal(index.get(home(14)), undefined);
    assert.equal(index.size, 2);
  });

  it('moves an entry that wrapped past the table’s end back into a hole at the end', () => {
    const home = (slot: number, low = 0) => (slot << 28) | low | 0;
    const index = new TermIndex<string>(8, 1);
    index.set(home(14), 'a'); // slot 14
    index.set(home(14, 1), 'b'); // slot 15
    index.set(home(14, 2), 'c'); // wraps to slot 0
    index.set(home(0), 'd'); // its home 0 taken by 'c': slot 1
    // Deleting 'b' opens slot 15: 'c' (home 14) must move back into it, and then 'd' into slot 0, its home.
    assert.equal(index.delete(home(14, 1)), true);
    for (const [term, value] of [
      [home(14), 'a'],
      [home(14, 2), 'c'],
      [home(0), 'd'],
    ] as const) {
      assert.equal(index.get(term), value);
    }
    // With the run closed up, slot 1 is empty again: a term homed there is absent and takes it.
    assert.equal(index.has(home(1)), false);
    index.set(home(1), 'e');
    assert.equal(index.get(home(1)), 'e');
    assert.equal(index.size, 4);
  });

  it('refuses a capacity or multiplier it cannot work with, and undefined values', () => {
    for (const capacity of [0, -1, 1.5, Number.NaN, 2 ** 29 + 1]) {
      assert.throws(() => new TermIndex(capacity), {
        name: 'RangeError',
        message: `capacity must be an integer from 1 to 2^29, got ${capacity}`,
      });
    }
    for (const multiplier of [2, 1.5]) {
      assert.throws(() => new TermIndex(4, multiplier), {
        name: 'RangeError',
        message: `multiplier must be an odd integer, got ${multiplier}`,
      });
    }
    assert.throws(() => new TermIndex<number | undefined>(4).set(1, undefined), {
      name: 'TypeError',
      message: 'an index value cannot be undefined',
    });
  });
});
