/**
 * The smallest W^X path that runs A64 code on arm64, for the tests that run under emulation until the
 * core's page admits arm64: mmap read+write, write the code, clear the instruction cache over exactly the
 * written range, mprotect read+execute, call through the br-x1/br-x2 call gates with koffi, munmap.
 *
 * It binds libc itself because src/jit/libc.ts refuses every architecture but x86-64 today; every step is
 * recorded in `steps`, so that a test can check the order (write, flush of the same range, seal) the way
 * the core's memory ledger will.
 */
import koffi from 'koffi';
import { BATCH_CALL_GATE_ENTRY, CALL_GATE_ENTRY, encodeCallGates } from '../../src/jit/arm64/call-gates.js';
import { clearInstructionCache } from '../../src/jit/arm64/instruction-cache.js';

const PROT_READ = 0x1;
const PROT_WRITE = 0x2;
const PROT_EXEC = 0x4;
export const READ_WRITE = PROT_READ | PROT_WRITE;
export const READ_EXECUTE = PROT_READ | PROT_EXEC;
const MAP_PRIVATE = 0x02;
const MAP_ANONYMOUS = 0x20;
const SC_PAGESIZE = 30;

export interface MemoryStep {
  call: 'mmap' | 'write' | 'flush' | 'mprotect' | 'munmap';
  address: number;
  length: number;
  prot?: number;
}

/** Every memory step taken so far, in order. */
export const steps: MemoryStep[] = [];

interface Libc {
  mmap(addr: number, length: number, prot: number, flags: number, fd: number, offset: number): number;
  mprotect(addr: number, length: number, prot: number): number;
  munmap(addr: number, length: number): number;
  memcpy(dest: number, src: Uint8Array, length: number): void;
  sysconf(name: number): number;
}

let libc: Libc | undefined;

function bind(): Libc {
  if (libc !== undefined) return libc;
  if (process.arch !== 'arm64') throw new Error(`A64 code runs on arm64 only; this is ${process.arch}`);
  const lib = koffi.load('libc.so.6');
  libc = {
    mmap: lib.func(
      'intptr_t mmap(uintptr_t addr, size_t length, int prot, int flags, int fd, int64_t offset)',
    ),
    mprotect: lib.func('int mprotect(uintptr_t addr, size_t length, int prot)'),
    munmap: lib.func('int munmap(uintptr_t addr, size_t length)'),
    memcpy: lib.func('memcpy', 'void', ['uintptr_t', 'const uint8_t *', 'size_t']),
    sysconf: lib.func('long sysconf(int name)'),
  };
  return libc;
}

function protect(address: number, length: number, prot: number): void {
  if (bind().mprotect(address, length, prot) !== 0)
    throw new Error(`mprotect failed, errno ${koffi.errno()}`);
  steps.push({ call: 'mprotect', address, length, prot });
}

/** Writes `code` at the start of the read+write page at `address`, clears the instruction cache over it, seals it. */
function writeAndSeal(address: number, length: number, code: Uint8Array): void {
  bind().memcpy(address, code, code.length);
  steps.push({ call: 'write', address, length: code.length });
  clearInstructionCache(address, code.length);
  steps.push({ call: 'flush', address, length: code.length });
  protect(address, length, READ_EXECUTE);
}

export class A64Page {
  readonly address: number;
  readonly length: number;

  private constructor(address: number, length: number) {
    this.address = address;
    this.length = length;
  }

  /** Maps one page read+write, writes `code`, flushes it and seals it read+execute. */
  static seal(code: Uint8Array): A64Page {
    const length = Number(bind().sysconf(SC_PAGESIZE));
    if (code.length === 0 || code.length > length)
      throw new RangeError(`code must fit in one page of ${length}`);
    const address = bind().mmap(0, length, READ_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (address === -1) throw new Error(`mmap failed, errno ${koffi.errno()}`);
    steps.push({ call: 'mmap', address, length, prot: READ_WRITE });
    writeAndSeal(address, length, code);
    return new A64Page(address, length);
  }

  /** Takes the page back to read+write (execute dropped in the same call), writes `code` and seals it again. */
  reseal(code: Uint8Array): void {
    protect(this.address, this.length, READ_WRITE);
    writeAndSeal(this.address, this.length, code);
  }

  /** Calls the code at `entry` as `int32_t f(int32_t x)`. */
  callInt32(entry: number, x: number): number {
    return gates().int32(x, this.address + entry);
  }

  /** Calls the code at `entry` as `void f(int32_t *xs, size_t n)` on `values` int32s in `bytes`, in place. */
  callWithInt32Bytes(entry: number, bytes: Uint8Array, values: number): void {
    gates().int32Array(bytes, values, this.address + entry);
  }

  release(): void {
    if (bind().munmap(this.address, this.length) !== 0)
      throw new Error(`munmap failed, errno ${koffi.errno()}`);
    steps.push({ call: 'munmap', address: this.address, length: this.length });
  }
}

interface Gates {
  int32: (x: number, target: number) => number;
  int32Array: (xs: Uint8Array, n: number, target: number) => void;
}

let decodedGates: Gates | undefined;

/** The call gates' page, sealed on first use and kept for the process, as src/jit/page.ts keeps its own. */
function gates(): Gates {
  if (decodedGates === undefined) {
    const base = BigInt(A64Page.seal(encodeCallGates()).address);
    decodedGates = {
      int32: koffi.decode(
        base + BigInt(CALL_GATE_ENTRY),
        koffi.proto('int32_t babyjit_a64_gate(int32_t x, uintptr_t target)'),
      ) as Gates['int32'],
      int32Array: koffi.decode(
        base + BigInt(BATCH_CALL_GATE_ENTRY),
        koffi.proto('void babyjit_a64_batch_gate(int32_t *xs, size_t n, uintptr_t target)'),
      ) as Gates['int32Array'],
    };
  }
  return decodedGates;
}
