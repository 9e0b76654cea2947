/**
 * One executable page and its lifecycle, the only place in the project that makes memory executable:
 *
 *   seal(code):  mmap one page read+write (private, anonymous) → copy the code in → mprotect read+execute
 *   call:        run the code at one of its entry points through a call gate, refused once released
 *   release():   munmap; from then on every use throws instead of jumping into unmapped memory
 *
 * The page is never writable and executable at once: it is written while read+write, and the single
 * mprotect that adds execute also drops write. Nothing writes to it afterwards.
 */
import koffi from 'koffi';
import { assertInt32 } from '../int32.js';
import { ReleasedError } from './errors.js';
import { copyFromAddress, copyToAddress, mapReadWrite, pageSize, sealReadExecute, unmap } from './libc.js';
import { BATCH_CALL_GATE_ENTRY, CALL_GATE_ENTRY, encodeCallGates } from './x86-64.js';

interface CallGates {
  int32: (x: number, target: number) => number;
  int32Array: (xs: Int32Array, length: number, target: number) => void;
}

export class ExecutablePage {
  readonly #address: number;
  readonly #length: number;
  readonly #codeLength: number;
  #released = false;

  private constructor(address: number, length: number, codeLength: number) {
    this.#address = address;
    this.#length = length;
    this.#codeLength = codeLength;
  }

  /** Maps a page, writes `code` at its start and seals it read+execute. Unmaps again if any step fails. */
  static seal(code: Uint8Array): ExecutablePage {
    const length = pageSize();
    if (code.length === 0 || code.length > length) {
      throw new RangeError(`code must be 1 to ${length} bytes (one page), got ${code.length}`);
    }
    const address = mapReadWrite(length);
    try {
      copyToAddress(address, code);
      sealReadExecute(address, length);
    } catch (error) {
      unmap(address, length);
      throw error;
    }
    return new ExecutablePage(address, length, code.length);
  }

  get released(): boolean {
    return this.#released;
  }

  /** Bytes mapped for this page (one page). */
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
    return callGates().int32(x, this.#entryAddress(entry));
  }

  /**
   * Calls the code at `entry` as `void f(int32_t *xs, size_t n)` on the memory of `xs` itself: koffi
   * passes a typed array's buffer by pointer, so the code reads and writes it in place, with no copy.
   */
  callWithInt32Array(entry: number, xs: Int32Array): void {
    callGates().int32Array(xs, xs.length, this.#entryAddress(entry));
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
    unmap(this.#address, this.#length);
  }
}

/**
 * Calls into generated code go through shared gates: `int32_t gate(int32_t x, uintptr_t target)`, whose
 * body is `jmp rsi`, and `void batch_gate(int32_t *xs, size_t n, uintptr_t target)`, whose body is
 * `jmp rdx`. koffi then needs one decoded function per signature for the whole process instead of one
 * per adder: decoding a function pointer costs about 10 µs, more than the syscalls of a compile, while a
 * call through an already-decoded function costs tens of nanoseconds. The gates' page is made on first
 * use and lives as long as the process; it is never written to after it is sealed.
 */
let gates: CallGates | undefined;

function callGates(): CallGates {
  if (gates === undefined) {
    const page = ExecutablePage.seal(encodeCallGates());
    const base = BigInt(page.address);
    gates = {
      int32: koffi.decode(
        base + BigInt(CALL_GATE_ENTRY),
        koffi.proto('int32_t babyjit_call_gate(int32_t x, uintptr_t target)'),
      ) as CallGates['int32'],
      int32Array: koffi.decode(
        base + BigInt(BATCH_CALL_GATE_ENTRY),
        koffi.proto('void babyjit_batch_call_gate(int32_t *xs, size_t n, uintptr_t target)'),
      ) as CallGates['int32Array'],
    };
  }
  return gates;
}
