/**
 * The registry's index from term to entry: a hash table with open addressing and linear probing, sized
 * once for the registry's capacity, that allocates nothing after it is built.
 *
 * Why not a Map: a full registry deletes one key and adds another on every compile. A Map's delete leaves
 * a hole in its table, and once holes have used up the spare slots V8 builds a new table, in the old
 * generation when the Map lives there (as a long-lived registry's does). That was 57 bytes of
 * old-generation garbage per compile (a 256-entry Map, 100,000 delete+set pairs), the largest share of
 * what made the server's resident memory climb between major collections under the soak's load.
 *
 * Terms are chosen by clients, so the hash multiplies by an odd number drawn at random for each index and
 * keeps the high bits (multiplicative hashing): which terms collide differs from process to process.
 * At most half the slots are ever used, and a delete moves later entries of its run back (backward-shift
 * deletion), so there are no tombstones and a lookup ends at the first empty slot.
 */
import { randomInt } from 'node:crypto';

export class TermIndex<V> {
  readonly capacity: number;
  readonly #terms: Int32Array;
  /** undefined marks an empty slot; the term beside a value is in #terms at the same position. */
  readonly #values: Array<V | undefined>;
  readonly #mask: number;
  readonly #shift: number;
  readonly #multiplier: number;
  #size = 0;

  /** `multiplier` is for tests that need to know where terms land; it must be odd. */
  constructor(capacity: number, multiplier: number = randomInt(0, 2 ** 31) * 2 + 1) {
    if (!Number.isSafeInteger(capacity) || capacity < 1 || capacity > 2 ** 29) {
      throw new RangeError(`capacity must be an integer from 1 to 2^29, got ${String(capacity)}`);
    }
    if (!Number.isInteger(multiplier) || multiplier % 2 === 0) {
      throw new RangeError(`multiplier must be an odd integer, got ${String(multiplier)}`);
    }
    this.capacity = capacity;
    let bits = 1;
    while (2 ** bits < capacity * 2) bits += 1;
    const slots = 2 ** bits;
    this.#terms = new Int32Array(slots);
    this.#values = new Array<V | undefined>(slots).fill(undefined);
    this.#mask = slots - 1;
    this.#shift = 32 - bits;
    this.#multiplier = multiplier | 0;
  }

  get size(): number {
    return this.#size;
  }

  get(term: number): V | undefined {
    return this.#values[this.#slotOf(term)];
  }

  has(term: number): boolean {
    return this.#values[this.#slotOf(term)] !== undefined;
  }

  /** Adds or replaces the value for `term`; throws rather than hold more than `capacity` terms. */
  set(term: number, value: V): void {
    if (value === undefined) throw new TypeError('an index value cannot be undefined');
    const slot = this.#slotOf(term);
    if (this.#values[slot] === undefined) {
      if (this.#size >= this.capacity) {
        throw new RangeError(`the index holds its capacity of ${this.capacity} terms already`);
      }
      this.#terms[slot] = term;
      this.#size += 1;
    }
    this.#values[slot] = value;
  }

  /** Removes `term`; false if it was not there. */
  delete(term: number): boolean {
    let hole = this.#slotOf(term);
    if (this.#values[hole] === undefined) return false;
    this.#values[hole] = undefined;
    this.#size -= 1;
    // Every entry after the hole, up to the next empty slot, was placed by probing from its home slot. One
    // whose home does not lie cyclically in (hole, slot] probed past the hole, so it moves back into it,
    // and its old slot becomes the hole.
    for (
      let slot = (hole + 1) & this.#mask;
      this.#values[slot] !== undefined;
      slot = (slot + 1) & this.#mask
    ) {
      const home = this.#home(this.#terms[slot] as number);
      const stays = hole <= slot ? hole < home && home <= slot : hole < home || home <= slot;
      if (stays) continue;
      this.#terms[hole] = this.#terms[slot] as number;
      this.#values[hole] = this.#values[slot];
      this.#values[slot] = undefined;
      hole = slot;
    }
    return true;
  }

  /** The slot holding `term`, or the empty slot that ends its probe run, where it would go. */
  #slotOf(term: number): number {
    let slot = this.#home(term);
    while (this.#values[slot] !== undefined && this.#terms[slot] !== term) slot = (slot + 1) & this.#mask;
    return slot;
  }

  #home(term: number): number {
    return Math.imul(term, this.#multiplier) >>> this.#shift;
  }
}
