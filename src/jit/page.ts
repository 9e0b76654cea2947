/**
 * One executable page and its lifecycle, the only place in the project that makes memory executable:
 *
 *   seal(code):  mmap one page read+write (private, anonymous) → copy the code in → mprotect read+execute
 *   call:        run the code through the call gate, refused once released
 *   release():   munmap; from then on every use throws instead of jumping into unmapped memory
 *
 * The page is never writable and executable at once: it is written while read+write, and the single
 * mprotect that adds execute also drops write. Nothing writes to it afterwards.
 */
import koffi from 'koffi';
import { assertInt32 } from '../int32.js';
import { ReleasedError } from './errors.js';
import { copyFromAddress, copyToAddress, mapReadWrite, pageSize, sealReadExecute, unmap } from './libc.js';
import { encodeCallGate } from './x86-64.js';

type CallGate = (x: number, target: number) => number;

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

  /** Calls the code at the page's start as `int32_t f(int32_t x)`. */
  callInt32(x: number): number {
    assertInt32(x, 'x');
    if (this.#released) throw new ReleasedError('this executable page');
    return callGate()(x, this.#address);
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
 * Calls into generated code go through one shared gate, `int32_t gate(int32_t x, uintptr_t target)`, whose
 * body is a single `jmp rsi`. koffi then needs one decoded function for the whole process instead of one
 * per adder: decoding a function pointer costs about 10 µs, more than the syscalls of a compile, while
 * calling an already-decoded function costs tens of nanoseconds. The gate's page is made on first use and
 * lives as long as the process; it is never written to after it is sealed.
 */
let gate: CallGate | undefined;

function callGate(): CallGate {
  if (gate === undefined) {
    const page = ExecutablePage.seal(encodeCallGate());
    const prototype = koffi.proto('int32_t babyjit_call_gate(int32_t x, uintptr_t target)');
    gate = koffi.decode(BigInt(page.address), prototype) as CallGate;
  }
  return gate;
}
