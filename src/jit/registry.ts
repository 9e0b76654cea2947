/**
 * The JIT registry: one executable page per term, compiled on the first request for that term and reused
 * after, with a fixed capacity and least-recently-used eviction so that memory stays bounded whatever terms
 * callers ask for.
 *
 * It owns every page it makes. Callers get plain data back (results, snapshots), never a page or a
 * function, so no reference can outlive an eviction or a release.
 */

// perf_hooks' own object: the global `performance` is a getter, which Node runs on every read.
import { performance } from 'node:perf_hooks';
import { encodeBlindedAdderPage } from './blinding.js';
import { AdderLeasedError, AllAddersLeasedError, ReleasedError, SyscallError } from './errors.js';
import { readImmediate } from './immediates.js';
import { assertInt32, isInt32, littleEndian32 } from './int32.js';
import { pageSize } from './libc.js';
import { ExecutablePage, lastSealTimings } from './page.js';
import type { AdderPageEntry, AdderPageTarget } from './target.js';
import { hostArchitecture } from './targets.js';
import { TermIndex } from './term-index.js';

export interface RegistryOptions {
  /** Most adders (and so executable pages) alive at once. */
  capacity: number;
  /**
   * Blind each term with a random key per page (blinding.ts), so that no client-chosen constant lies
   * verbatim in executable memory. On unless false; the CLI turns it off to keep the seed's exact bytes.
   */
  blinding?: boolean;
  /**
   * What pages are generated for: an architecture at one instruction-set level, resolved for this host by
   * host.ts (the service resolves JIT_ISA once, at start). By default the host architecture's baseline
   * level, which every CPU of it runs.
   */
  target?: AdderPageTarget;
  /**
   * Makes the page for a term, replacing `blinding`'s choice; replaceable so that tests can inject failures. At capacity it is handed
   * the least recently used adder's page, already evicted, to recycle (ExecutablePage.reseal); a page it
   * leaves unused is released by the registry, whether the compile succeeds or throws.
   */
  compile?: (term: number, recycled?: ExecutablePage) => ExecutablePage;
  /**
   * The size of each adder's page (and of its guard page): the system's page size unless a test asks for
   * a larger multiple of it, as an arm64 kernel built for 16 or 64 KiB pages would give.
   */
  pageBytes?: number;
  /** Told how long each successful compile took, in seconds (for the metrics). */
  onCompile?: (seconds: number) => void;
}

export interface AdderSummary {
  term: number;
  calls: number;
  compiledAt: Date;
}

/** One step of a page's life, as the registry saw it happen. */
export interface PageStep {
  step: 'mapped' | 'recycled' | 'written' | 'sealed' | 'called' | 'evicted' | 'unmapped';
  /** The page's protection after the step: `rw-`, `r-x`, or `none` once it is unmapped. */
  protection: 'rw-' | 'r-x' | 'none';
  /** How long the step took, in microseconds, where it was measured. */
  durationUs: number | null;
  /** mapped: the page and its guard page (bytes); written: the code's bytes; called: the calls. */
  count?: number;
  /** recycled: the term whose evicted page this one was; evicted: the term it went on to hold. */
  term?: number;
}

export interface PageLife {
  term: number;
  /** Whether the page still holds this term's adder. */
  live: boolean;
  steps: PageStep[];
}

export interface AdderDetails extends AdderSummary {
  /** The machine code as read back from the executable page. */
  code: Uint8Array;
  /** The target its page was generated for (target.ts), e.g. 'x86-64-avx2'. */
  target: string;
  /** The target's architecture, e.g. 'x86-64': what the code is machine code for. */
  architecture: string;
  /** Where each function of the page starts. */
  entries: readonly AdderPageEntry[];
  /** The page's size, and how many of its bytes the code fills. */
  pageBytes: number;
  codeBytes: number;
  /** With blinding, the key and `term ^ key` the page holds instead of the term; undefined without. */
  blinding: { key: number; blindedTerm: number } | undefined;
  /** Where the term's own four bytes appear in the code, little-endian, if anywhere. */
  termBytesAt: number[];
  life: PageLife;
}

export interface RegistryStats {
  /** The target its pages are generated for, and the batch kernels' instruction-set level. */
  target: string;
  level: string;
  capacity: number;
  live: number;
  mappedBytes: number;
  compiles: number;
  hits: number;
  misses: number;
  evictions: number;
  /**
   * Of the evictions, those made below capacity because the kernel refused memory for a new page (ENOMEM):
   * the least recently used adder's page was recycled instead.
   */
  pressureEvictions: number;
  releases: number;
}

/** What a lookup did: found the adder (`hit`) or compiled it on this request (`compile`). */
export type Lookup = 'hit' | 'compile';

/**
 * A hold on one term's adder for a stream of calls (a binary batch's chunks): until it is ended, the adder
 * is neither evicted nor released, so the stream compiles at most once, at its start, where the compile is
 * charged, and cannot make the registry churn however long it runs.
 */
export interface AdderLease {
  readonly term: number;
  /** Adds the term to each little-endian int32 in `bytes` in place (a trailing partial value is left). */
  applyInPlace(bytes: Uint8Array): void;
  /** Ends the hold, and counts as a use: the adder becomes the most recently used. Idempotent. */
  end(): void;
}

/**
 * How a page came to hold its adder, as measured (page.ts's lastSealTimings): plain numbers in objects
 * that are reused, so that keeping every page's life costs no allocation per compile.
 */
interface Origin {
  term: number;
  calls: number;
  /** Milliseconds since the epoch; the Date is made when a caller asks, not on every compile. */
  compiledAtMs: number;
  /** Whether the page was recycled from an evicted adder (rather than mapped fresh), and that adder's term. */
  recycled: boolean;
  recycledFrom: number;
  preparedUs: number;
  writtenUs: number;
  sealedUs: number;
  codeBytes: number;
}

interface Entry extends Origin {
  page: ExecutablePage;
  /** Leases not yet ended: while any is open the entry is never evicted or released. */
  leases: number;
  /** Neighbours in the recency order: the entry used just before this one, and just after. */
  older: Entry | undefined;
  newer: Entry | undefined;
}

/** A page's life after its adder left the registry: how it ended, too. */
interface EndedLife extends Origin {
  /** `evicted`: the page went on to hold another term's adder; `released`: it was unmapped. */
  ending: 'evicted' | 'released';
  /** The term whose adder the page went on to hold (evicted). */
  handedTo: number;
  /** How long munmap took (released). */
  unmapUs: number;
}

/** Ended lives kept, so that a page's life can be shown after its adder has gone. */
const ENDED_LIVES_KEPT = 64;

function adderPageCompiler(
  blinding: boolean,
  target: AdderPageTarget,
  pageBytes: number,
): (term: number, recycled?: ExecutablePage) => ExecutablePage {
  return (term, recycled) => {
    const code = blinding ? encodeBlindedAdderPage(term, target) : target.encodePage(term);
    return recycled
      ? ExecutablePage.reseal(recycled, code)
      : ExecutablePage.seal(code, target.architecture, pageBytes);
  };
}

export class JitRegistry {
  readonly capacity: number;
  /** Each adder's page size in bytes (its guard page's too). */
  readonly pageBytes: number;
  readonly level: string;
  readonly #target: AdderPageTarget;
  /** The target's entry points, read once: every call passes one. */
  readonly #applyEntry: number;
  readonly #applyAllEntry: number;
  readonly #compile: (term: number, recycled?: ExecutablePage) => ExecutablePage;
  readonly #onCompile: ((seconds: number) => void) | undefined;
  /** Term → entry, allocating nothing per compile (term-index.ts says why not a Map). */
  readonly #entries: TermIndex<Entry>;
  // The recency order is a list threaded through the entries, least recently used at #oldest: a hit moves
  // its entry to #newest with a few pointer writes. Re-inserting into a Map (whose iteration order is
  // insertion order) did the same job, but each delete leaves a hole, and V8 rehashes the whole table once
  // holes have used up its spare slots: in a full registry, nearly every hit (the figures: decisions.md,
  // "Smaller choices in the hot paths").
  #oldest: Entry | undefined;
  #newest: Entry | undefined;
  readonly #blinding: boolean;
  /** The last ENDED_LIVES_KEPT ended lives, a ring written at #nextEnded. */
  readonly #ended: EndedLife[] = [];
  #nextEnded = 0;
  #disposed = false;
  #compiles = 0;
  #hits = 0;
  #misses = 0;
  #evictions = 0;
  #pressureEvictions = 0;
  #releases = 0;

  constructor(options: RegistryOptions) {
    const { capacity } = options;
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new RangeError(`capacity must be a positive integer, got ${String(capacity)}`);
    }
    this.capacity = capacity;
    this.#entries = new TermIndex<Entry>(capacity);
    const host = hostArchitecture();
    this.#target = options.target ?? host.target(host.levels[0] as string);
    this.level = this.#target.level;
    this.#applyEntry = this.#target.applyEntry;
    this.#applyAllEntry = this.#target.applyAllEntry;
    this.#blinding = options.blinding !== false;
    this.pageBytes = options.pageBytes ?? pageSize();
    this.#compile = options.compile ?? adderPageCompiler(this.#blinding, this.#target, this.pageBytes);
    this.#onCompile = options.onCompile;
  }

  /** Compiles the adder for `term` unless it is already live. */
  compile(term: number): { adder: AdderSummary; lookup: Lookup } {
    const { entry, lookup } = this.#lookup(term);
    return { adder: summarise(entry), lookup };
  }

  /** Evaluates term + x with the adder's machine code, compiling it first if needed. */
  apply(term: number, x: number): { result: number; lookup: Lookup } {
    assertInt32(x, 'x');
    const { entry, lookup } = this.#lookup(term);
    const result = entry.page.callInt32(this.#applyEntry, x);
    entry.calls += 1;
    return { result, lookup };
  }

  /**
   * Evaluates term + x for every x with one call into the page's batch entry, compiling first if needed.
   * All inputs are checked before anything is compiled or called.
   */
  applyAll(term: number, xs: readonly number[]): { results: Int32Array; lookup: Lookup } {
    // One indexed pass checks and copies: Int32Array.from() would go through the iterator protocol, which
    // profiling showed to cost more than the rest of a 10,000-value request's work.
    const results = new Int32Array(xs.length);
    for (let index = 0; index < xs.length; index += 1) {
      const x = xs[index];
      // The field name is built only for the error: built for every value, `xs[${index}]` took most of a
      // 10,000-value request's time (decisions.md, "Smaller choices in the hot paths").
      if (!isInt32(x)) assertInt32(x, `xs[${index}]`);
      results[index] = x;
    }
    const { entry, lookup } = this.#lookup(term);
    entry.page.callWithInt32Array(this.#applyAllEntry, results);
    entry.calls += xs.length;
    return { results, lookup };
  }

  /**
   * Leases `term`'s adder, compiling it first if needed (one lookup, whatever the stream's length), for
   * calls that add the term to little-endian int32s in place, at any alignment. At capacity with every
   * adder leased, AllAddersLeasedError: nothing may be evicted.
   */
  lease(term: number): { lease: AdderLease; lookup: Lookup } {
    const { entry, lookup } = this.#lookup(term);
    entry.leases += 1;
    let open = true;
    const lease: AdderLease = {
      term,
      applyInPlace: (bytes) => {
        if (!open) throw new ReleasedError(`the lease on adder ${term}`);
        entry.page.callWithInt32Bytes(this.#applyAllEntry, bytes);
        entry.calls += bytes.byteLength >>> 2;
      },
      end: () => {
        if (!open) return;
        open = false;
        entry.leases -= 1;
        // Still this term's, unless the registry was disposed meanwhile: the stream was its latest use.
        if (this.#entries.get(term) === entry && entry !== this.#newest) {
          this.#unlink(entry);
          this.#linkAsNewest(entry);
        }
      },
    };
    return { lease, lookup };
  }

  /**
   * The adder for `term`: its code read back from its page, the offsets of its functions and the facts of
   * its page, or undefined. Does not count as a use. Explaining the code is the explainer's business.
   */
  describe(term: number): AdderDetails | undefined {
    const code = this.codeOf(term);
    const entry = this.#entries.get(term);
    if (code === undefined || entry === undefined) return undefined;
    return {
      ...summarise(entry),
      code,
      target: this.#target.name,
      architecture: this.#target.architecture.name,
      entries: this.#target.entries,
      pageBytes: entry.page.mappedBytes,
      codeBytes: code.length,
      blinding: this.#blindingOf(code),
      termBytesAt: occurrences(code, littleEndian32(term)),
      life: lifeOf(entry, undefined),
    };
  }

  /**
   * The life of the page that holds, or last held, `term`'s adder: live, or among the last 64 pages whose
   * adders were evicted or released. Undefined if the registry has no record of it.
   */
  life(term: number): PageLife | undefined {
    const entry = this.#entries.get(term);
    if (entry !== undefined) return lifeOf(entry, undefined);
    for (let back = 1; back <= this.#ended.length; back += 1) {
      const index = (this.#nextEnded - back + ENDED_LIVES_KEPT) % ENDED_LIVES_KEPT;
      const ended = this.#ended[index];
      if (ended?.term === term) return lifeOf(ended, ended);
    }
    return undefined;
  }

  /** The key and `term ^ key` a blinded page holds, read from its own code; undefined without blinding. */
  #blindingOf(code: Uint8Array): { key: number; blindedTerm: number } | undefined {
    if (!this.#blinding) return undefined;
    const slices = this.#target.immediateSlices(true);
    const key = readImmediate(code, slices, 'key');
    const blindedTerm = readImmediate(code, slices, 'blindedTerm');
    if (key === undefined || blindedTerm === undefined) return undefined;
    return { key, blindedTerm };
  }

  /** The machine code of `term`'s adder, read back from its page, or undefined. Does not count as a use. */
  codeOf(term: number): Uint8Array | undefined {
    this.#assertUsable();
    return this.#entries.get(term)?.page.readCode();
  }

  has(term: number): boolean {
    return this.#entries.has(term);
  }

  /** Live adders, least recently used first: `limit` of them at most, from the `offset`th on. */
  list(offset = 0, limit = Number.POSITIVE_INFINITY): AdderSummary[] {
    const adders: AdderSummary[] = [];
    let entry = this.#oldest;
    for (let skipped = 0; entry !== undefined && skipped < offset; skipped += 1) entry = entry.newer;
    for (; entry !== undefined && adders.length < limit; entry = entry.newer) adders.push(summarise(entry));
    return adders;
  }

  /** Unmaps the adder for `term`. Returns false if there was none; AdderLeasedError while it is leased. */
  release(term: number): boolean {
    this.#assertUsable();
    const entry = this.#entries.get(term);
    if (entry === undefined) return false;
    if (entry.leases > 0) throw new AdderLeasedError(term);
    this.#drop(entry);
    this.#releases += 1;
    return true;
  }

  stats(): RegistryStats {
    const live = this.#entries.size;
    return {
      target: this.#target.name,
      level: this.level,
      capacity: this.capacity,
      live,
      // Every adder holds one page (and a guard page, which maps no memory).
      mappedBytes: live === 0 ? 0 : live * (this.#oldest as Entry).page.mappedBytes,
      compiles: this.#compiles,
      hits: this.#hits,
      misses: this.#misses,
      evictions: this.#evictions,
      pressureEvictions: this.#pressureEvictions,
      releases: this.#releases,
    };
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  /** Unmaps every page; the registry refuses all further work. Returns how many pages were released. */
  dispose(): number {
    if (this.#disposed) return 0;
    this.#disposed = true;
    const count = this.#entries.size;
    while (this.#oldest !== undefined) this.#drop(this.#oldest);
    return count;
  }

  #lookup(term: number): { entry: Entry; lookup: Lookup } {
    this.#assertUsable();
    assertInt32(term, 'term');
    const found = this.#entries.get(term);
    if (found !== undefined) {
      this.#hits += 1;
      if (found !== this.#newest) {
        this.#unlink(found);
        this.#linkAsNewest(found);
      }
      return { entry: found, lookup: 'hit' };
    }
    // At capacity the least recently used adder is evicted before compiling, so the number of mapped
    // pages never exceeds the capacity, even for a moment; its page is recycled for this term.
    let evicted = this.#entries.size >= this.capacity ? this.#evictLeastRecentlyUsed() : undefined;
    this.#misses += 1;
    const started = performance.now();
    let page: ExecutablePage;
    try {
      page = this.#compileInto(term, evicted);
    } catch (error) {
      // Below capacity the kernel may still refuse a new mapping (vm.max_map_count reached, RLIMIT_AS, a
      // memory cgroup): recycle the least recently used adder's page rather than refuse every new term
      // until some page is released. With nothing to recycle, the error stands (the service answers 503).
      if (evicted !== undefined || !isOutOfMemory(error) || this.#oldest === undefined) throw error;
      evicted = this.#evictLeastRecentlyUsed();
      this.#pressureEvictions += 1;
      page = this.#compileInto(term, evicted);
    }
    // The evicted entry, already out of the map and the list, is reused for the new term rather than a new
    // one made. While the registry fills, every entry survives the young-generation collections, and V8
    // may go on to put every later entry straight into the old generation, where each evicted one would be
    // garbage until a major collection, and resident memory would rise with it (test/system/heap.test.ts
    // measures what requests leave there). Reused, an entry costs nothing; so does its page's life.
    let entry: Entry;
    if (evicted === undefined) {
      entry = {
        term,
        page,
        calls: 0,
        compiledAtMs: Date.now(),
        recycled: false,
        recycledFrom: 0,
        preparedUs: 0,
        writtenUs: 0,
        sealedUs: 0,
        codeBytes: 0,
        leases: 0,
        older: undefined,
        newer: undefined,
      };
    } else {
      this.#recordEnd(evicted, 'evicted', term, 0);
      entry = evicted;
      entry.recycledFrom = entry.term;
      entry.term = term;
      entry.page = page;
      entry.calls = 0;
      entry.compiledAtMs = Date.now();
    }
    entry.recycled = evicted !== undefined;
    entry.preparedUs = lastSealTimings[0] as number;
    entry.writtenUs = lastSealTimings[1] as number;
    entry.sealedUs = lastSealTimings[2] as number;
    entry.codeBytes = page.codeLength;
    this.#onCompile?.((performance.now() - started) / 1000);
    this.#compiles += 1;
    this.#entries.set(term, entry);
    this.#linkAsNewest(entry);
    return { entry, lookup: 'compile' };
  }

  /**
   * Compiles `term` into a page, recycling the evicted entry's page if there is one. A page the compile
   * leaves unused is released whether it succeeds or throws, so no page outlives its entry.
   */
  #compileInto(term: number, evicted: Entry | undefined): ExecutablePage {
    const recycled = evicted?.page;
    try {
      return this.#compile(term, recycled);
    } finally {
      if (recycled !== undefined && !recycled.released) recycled.release();
    }
  }

  /**
   * Forgets the least recently used adder that is not leased and hands back its entry, page still mapped,
   * for recycling; AllAddersLeasedError if every adder is leased. Leased entries are passed over where
   * they stand: there are at most as many as streams in progress.
   */
  #evictLeastRecentlyUsed(): Entry | undefined {
    let oldest = this.#oldest;
    if (oldest === undefined) return undefined;
    while (oldest.leases > 0) {
      oldest = oldest.newer;
      if (oldest === undefined) throw new AllAddersLeasedError(this.capacity);
    }
    this.#entries.delete(oldest.term);
    this.#unlink(oldest);
    this.#evictions += 1;
    return oldest;
  }

  /** Forgets the entry before unmapping, so that even a failing munmap leaves no entry without a page. */
  #drop(entry: Entry): void {
    this.#entries.delete(entry.term);
    this.#unlink(entry);
    const started = performance.now();
    entry.page.release();
    this.#recordEnd(entry, 'released', 0, (performance.now() - started) * 1000);
  }

  /**
   * Keeps `origin`'s life, now ended, in the ring, reusing the record it overwrites. A new record is made
   * from the life it keeps, not from zeros: each field of a record made with small integers would change
   * the record's shape when it first took a fraction, and the stores here, seeing many shapes, went
   * generic (docs/decisions.md, "The warm and cold paths, against c576b46").
   */
  #recordEnd(origin: Origin, ending: EndedLife['ending'], handedTo: number, unmapUs: number): void {
    const record = this.#ended[this.#nextEnded];
    if (record === undefined) {
      this.#ended[this.#nextEnded] = {
        term: origin.term,
        calls: origin.calls,
        compiledAtMs: origin.compiledAtMs,
        recycled: origin.recycled,
        recycledFrom: origin.recycledFrom,
        preparedUs: origin.preparedUs,
        writtenUs: origin.writtenUs,
        sealedUs: origin.sealedUs,
        codeBytes: origin.codeBytes,
        ending,
        handedTo,
        unmapUs,
      };
    } else {
      copyOrigin(origin, record);
      record.ending = ending;
      record.handedTo = handedTo;
      record.unmapUs = unmapUs;
    }
    this.#nextEnded = (this.#nextEnded + 1) % ENDED_LIVES_KEPT;
  }

  #linkAsNewest(entry: Entry): void {
    entry.older = this.#newest;
    entry.newer = undefined;
    if (this.#newest === undefined) this.#oldest = entry;
    else this.#newest.newer = entry;
    this.#newest = entry;
  }

  #unlink(entry: Entry): void {
    if (entry.older === undefined) this.#oldest = entry.newer;
    else entry.older.newer = entry.newer;
    if (entry.newer === undefined) this.#newest = entry.older;
    else entry.newer.older = entry.older;
    entry.older = undefined;
    entry.newer = undefined;
  }

  #assertUsable(): void {
    if (this.#disposed) throw new ReleasedError('this JIT registry');
  }
}

function copyOrigin(from: Origin, to: Origin): void {
  to.term = from.term;
  to.calls = from.calls;
  to.compiledAtMs = from.compiledAtMs;
  to.recycled = from.recycled;
  to.recycledFrom = from.recycledFrom;
  to.preparedUs = from.preparedUs;
  to.writtenUs = from.writtenUs;
  to.sealedUs = from.sealedUs;
  to.codeBytes = from.codeBytes;
}

/** Microseconds to a tenth, as shown: the clock reads finer than a step's duration is meaningful. */
const tenths = (us: number) => Math.round(us * 10) / 10;

/** A page's life as plain data: how it got its code, how often it was called, and how it ended. */
function lifeOf(origin: Origin, ended: EndedLife | undefined): PageLife {
  const prepared = tenths(origin.preparedUs);
  const steps: PageStep[] = [
    origin.recycled
      ? { step: 'recycled', protection: 'rw-', durationUs: prepared, term: origin.recycledFrom }
      : { step: 'mapped', protection: 'rw-', durationUs: prepared },
    { step: 'written', protection: 'rw-', durationUs: tenths(origin.writtenUs), count: origin.codeBytes },
    { step: 'sealed', protection: 'r-x', durationUs: tenths(origin.sealedUs) },
    { step: 'called', protection: 'r-x', durationUs: null, count: origin.calls },
  ];
  if (ended?.ending === 'evicted') {
    steps.push({ step: 'evicted', protection: 'rw-', durationUs: null, term: ended.handedTo });
  } else if (ended?.ending === 'released') {
    steps.push({ step: 'unmapped', protection: 'none', durationUs: tenths(ended.unmapUs) });
  }
  return { term: origin.term, live: ended === undefined, steps };
}

/** Every offset at which `needle` starts in `haystack`. */
function occurrences(haystack: Uint8Array, needle: readonly number[]): number[] {
  const found: number[] = [];
  for (let start = 0; start + needle.length <= haystack.length; start += 1) {
    if (needle.every((byte, index) => haystack[start + index] === byte)) found.push(start);
  }
  return found;
}

/** The kernel refused memory for a new mapping: ENOMEM from mmap or from the mprotect of a guard page. */
function isOutOfMemory(error: unknown): boolean {
  return error instanceof SyscallError && error.errnoName === 'ENOMEM';
}

function summarise(entry: Entry): AdderSummary {
  return { term: entry.term, calls: entry.calls, compiledAt: new Date(entry.compiledAtMs) };
}
