/**
 * One executable page and its lifecycle, the only place in the project that makes memory executable:
 *
 *   seal(code):          mmap one page read+write (private, anonymous) with a guard page after it →
 *                        copy the code in → (flush it to the instruction cache, where the architecture
 *                        needs that) → mprotect read+execute
 *   reseal(page, code):  take over a live page's mapping for new code: the old page object is released
 *                        (every later use of it throws), the mapping goes read+write → new code → read+
 *                        execute and belongs to the returned page. The registry recycles evicted pages
 *                        this way: two mprotects instead of munmap + mmap + mprotect and a page fault.
 *   call:                run the code at one of its entry points through a call gate, refused once released
 *   release():           munmap; from then on every use throws instead of jumping into unmapped memory
 *
 * The page is never writable and executable at once: it is written while read+write, and the single
 * mprotect that adds execute also drops write; the mprotect that makes it writable again drops execute.
 *
 * A page belongs to an architecture (target.ts): its call gates, the trap that fills code left over from
 * a page's previous occupant, and whether written code must be flushed to the instruction cache come from
 * it; by default, the host's (targets.ts).
 */
// perf_hooks' own object: the global `performance` is a getter, which Node runs on every read.
import { performance } from 'node:perf_hooks';
import koffi, { type TypeObject } from 'koffi';
import { ReleasedError } from './errors.js';
import { assertInt32 } from './int32.js';
import {
  copyFromAddress,
  copyToAddress,
  flushInstructionCache,
  makeReadWrite,
  mapReadWrite,
  pageSize,
  protectNone,
  sealReadExecute,
  unmap,
} from './libc.js';
import type { Architecture } from './target.js';
import { hostArchitecture } from './targets.js';

/**
 * How long the steps of the latest seal or reseal took, in microseconds: [0] getting the page read+write
 * (for a seal: mapping it and its guard page; for a reseal: the mprotect that drops execute), [1] writing
 * the code, [2] sealing it read+execute. Read right after the call (the registry keeps them as the page's
 * life): a shared array rather than an object per compile, which would be garbage for V8 to collect.
 */
export const lastSealTimings = new Float64Array(3);

interface CallGates {
  int32: (x: number, target: number) => number;
  int32Array: (xs: Int32Array, length: number, target: number) => void;
}

export class ExecutablePage {
  readonly architecture: Architecture;
  readonly #address: number;
  readonly #length: number;
  readonly #codeLength: number;
  #released = false;

  private constructor(architecture: Architecture, address: number, length: number, codeLength: number) {
    this.architecture = architecture;
    this.#address = address;
    this.#length = length;
    this.#codeLength = codeLength;
  }

  /**
   * Maps a page of `architecture`'s code, writes `code` at its start and seals it read+execute. Unmaps
   * again if any step fails. The page, and its guard, are the system's page size (4 KiB on x86-64; 4, 16
   * or 64 KiB on arm64, as its kernel was built), or `pageBytes`, a multiple of it.
   */
  static seal(
    code: Uint8Array,
    architecture: Architecture = hostArchitecture(),
    pageBytes: number = pageSize(),
  ): ExecutablePage {
    const length = pageBytes;
    if (!Number.isSafeInteger(length) || length <= 0 || length % pageSize() !== 0)
      throw new RangeError(`a page must be a positive multiple of ${pageSize()} bytes, got ${length}`);
    assertFitsInPage(code, length);
    const started = performance.now();
    // The page and, right after it, its guard page: no access at all. Code that ran off the end of the
    // page would fault there instead of running into whatever is mapped next. And the page is then never
    // adjacent to another page with its protections, so the kernel keeps it in a memory area (VMA) of its
    // own: the mprotect calls of a reseal change one VMA in place, where they would otherwise split it
    // out of a merged run of adder pages and merge it back, which profiling showed to be half of their cost.
    const address = mapReadWrite(length + length);
    // The page is read+write already; its guard page is made inaccessible.
    ExecutablePage.#writeAndSeal(architecture, address, length, code, started, () =>
      protectNone(address + length, length),
    );
    return new ExecutablePage(architecture, address, length, code.length);
  }

  /**
   * Moves `previous`'s mapping to a new page holding `code`. `previous` is released from the start, so no
   * holder of it can call into the page while it changes or after; if a step fails the mapping is unmapped
   * and the error thrown, so a failure never leaves a page behind. Code left over from the previous
   * occupant beyond the new code is overwritten with the architecture's trap.
   */
  static reseal(previous: ExecutablePage, code: Uint8Array): ExecutablePage {
    if (previous.#released) throw new ReleasedError('this executable page');
    const address = previous.#address;
    const length = previous.#length;
    assertFitsInPage(code, length);
    const started = performance.now();
    previous.#released = true;
    const architecture = previous.architecture;
    let bytes = code;
    if (code.length < previous.#codeLength) {
      bytes = new Uint8Array(previous.#codeLength).fill(architecture.trapFill);
      bytes.set(code);
    }
    ExecutablePage.#writeAndSeal(architecture, address, length, bytes, started, () =>
      makeReadWrite(address, length),
    );
    return new ExecutablePage(architecture, address, length, code.length);
  }

  /**
   * The steps seal and reseal share: `prepare` (which leaves the page read+write, never executable),
   * copy `bytes` to the page's start, flush exactly those bytes to the instruction cache where the
   * architecture needs it, seal it read+execute, timed from `started` (lastSealTimings). If any step fails
   * the page and its guard are unmapped and the error thrown, so a failure never leaves a page behind.
   */
  static #writeAndSeal(
    architecture: Architecture,
    address: number,
    length: number,
    bytes: Uint8Array,
    started: number,
    prepare: () => void,
  ): void {
    try {
      prepare();
      const prepared = performance.now();
      copyToAddress(address, bytes);
      if (architecture.flushesInstructionCache) flushInstructionCache(address, bytes.length);
      const written = performance.now();
      sealReadExecute(address, length);
      lastSealTimings[0] = (prepared - started) * 1000;
      lastSealTimings[1] = (written - prepared) * 1000;
      lastSealTimings[2] = (performance.now() - written) * 1000;
    } catch (error) {
      throwAfterCleanup(error, () => unmap(address, length + length));
    }
  }

  get released(): boolean {
    return this.#released;
  }

  /** How many bytes of code the page holds, from its start. */
  get codeLength(): number {
    return this.#codeLength;
  }

  /** Bytes of memory this page can execute (one page; its guard page maps no memory and is not counted). */
  get mappedBytes(): number {
    return this.#length;
  }

  /**
   * Where the page is mapped, for in-process diagnostics and tests that read /proc/self/maps. It must never
   * reach a client: an address gives away the process's ASLR layout.
   */
  get address(): number {
    return this.#address;
  }

  /** Calls the code at `entry` as `int32_t f(int32_t x)`. */
  callInt32(entry: number, x: number): number {
    assertInt32(x, 'x');
    return callGates(this.architecture).int32(x, this.#entryAddress(entry));
  }

  /**
   * Calls the code at `entry` as `void f(int32_t *xs, size_t n)` on the memory of `xs` itself: koffi
   * passes a typed array's buffer by pointer, so the code reads and writes it in place, with no copy.
   */
  callWithInt32Array(entry: number, xs: Int32Array): void {
    callGates(this.architecture).int32Array(xs, xs.length, this.#entryAddress(entry));
  }

  /**
   * The same on little-endian int32 values held in `bytes`, `bytes.byteLength / 4` of them (a trailing
   * partial value is not touched), at any address: the batch kernels load and store unaligned. koffi passes
   * the bytes' own memory, so a request's body is added to where it arrived.
   */
  callWithInt32Bytes(entry: number, bytes: Uint8Array): void {
    const values = bytes.byteLength >>> 2;
    callGates(this.architecture).int32Array(
      bytes as unknown as Int32Array,
      values,
      this.#entryAddress(entry),
    );
  }

  /** The address of an entry point, after checking that the page is live and the entry lies in its code. */
  #entryAddress(entry: number): number {
    if (this.#released) throw new ReleasedError('this executable page');
    if (!Number.isInteger(entry) || entry < 0 || entry >= this.#codeLength) {
      throw new RangeError(
        `entry must be an offset inside the page's ${this.#codeLength} bytes of code, got ${entry}`,
      );
    }
    return this.#address + entry;
  }

  /** Reads the code back out of the executable page itself: what the CPU runs, not what we meant to write. */
  readCode(): Uint8Array {
    if (this.#released) throw new ReleasedError('this executable page');
    return copyFromAddress(this.#address, this.#codeLength);
  }

  /** Unmaps the page. Idempotent: releasing twice is harmless, calling after release throws. */
  release(): void {
    if (this.#released) return;
    // Mark first: if munmap itself fails the page is unusable either way, and must not be called again.
    this.#released = true;
    unmap(this.#address, this.#length + this.#length); // the page and its guard
  }
}

/**
 * Runs `cleanup` after `failure` and throws `failure`, whatever the cleanup does: if the cleanup fails too,
 * `failure` is still what is thrown (it says what went wrong first, and decides how callers answer), with
 * the cleanup's error attached as `cleanupError` and named in its message, so that neither is lost.
 */
export function throwAfterCleanup(failure: unknown, cleanup: () => void): never {
  try {
    cleanup();
  } catch (cleanupError) {
    if (failure instanceof Error) {
      failure.message += `; cleaning up afterwards failed too: ${(cleanupError as Error).message}`;
      (failure as Error & { cleanupError?: unknown }).cleanupError = cleanupError;
    }
  }
  throw failure;
}

function assertFitsInPage(code: Uint8Array, length: number): void {
  if (code.length === 0 || code.length > length) {
    throw new RangeError(`code must be 1 to ${length} bytes (one page), got ${code.length}`);
  }
}

/**
 * Calls into generated code go through shared gates: `int32_t gate(int32_t x, uintptr_t target)` and
 * `void batch_gate(int32_t *xs, size_t n, uintptr_t target)`, whose bodies only jump to target (`jmp rsi`,
 * `jmp rdx` on x86-64; `br x1`, `br x2` on arm64), leaving the arguments where the adder reads them. koffi
 * then needs one decoded function per signature for the whole process instead of one per adder: decoding
 * a function pointer costs more than the syscalls of a compile, a call through a decoded function far less
 * (decisions.md, "Smaller choices in the hot paths"). An architecture's gates are made on first use and
 * live as long as the process; their page is never written to after it is sealed.
 */
const gates = new WeakMap<Architecture, CallGates>();
let prototypes: { int32: TypeObject; int32Array: TypeObject } | undefined;
/** The architecture asked for last and its gates: every call asks, and a process calls one architecture. */
let latest: { architecture: Architecture; gates: CallGates } | undefined;

function callGates(architecture: Architecture): CallGates {
  if (latest?.architecture === architecture) return latest.gates;
  let made = gates.get(architecture);
  if (made === undefined) {
    // Named prototypes are declared once per process, whatever the architectures.
    prototypes ??= {
      int32: koffi.proto('int32_t babyjit_call_gate(int32_t x, uintptr_t target)'),
      int32Array: koffi.proto('void babyjit_batch_call_gate(int32_t *xs, size_t n, uintptr_t target)'),
    };
    const code = architecture.callGates;
    const page = ExecutablePage.seal(code.encode(), architecture);
    const base = BigInt(page.address);
    made = {
      int32: koffi.decode(base + BigInt(code.int32Entry), prototypes.int32) as CallGates['int32'],
      int32Array: koffi.decode(
        base + BigInt(code.batchEntry),
        prototypes.int32Array,
      ) as CallGates['int32Array'],
    };
    gates.set(architecture, made);
  }
  latest = { architecture, gates: made };
  return made;
}
