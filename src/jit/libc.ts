/**
 * The few C library calls the JIT needs, bound through koffi, with every failure turned into a typed error.
 *
 * Addresses travel as plain JS numbers (`uintptr_t`/`intptr_t` in the prototypes): user-space addresses fit
 * in 47 bits on x86-64 and 48 on arm64 Linux, well inside a double's 53, and numbers are cheaper than BigInt
 * on the hot path. They never leave the JIT core; no caller is meant to show one to anybody.
 */
import { channel } from 'node:diagnostics_channel';
import koffi from 'koffi';
import { ExecutableMemoryDeniedError, SyscallError } from './errors.js';
import { assertSupportedPlatform } from './targets.js';

export const PROT_NONE = 0x0;
export const PROT_READ = 0x1;
export const PROT_WRITE = 0x2;
export const PROT_EXEC = 0x4;
const MAP_PRIVATE = 0x02;
const MAP_ANONYMOUS = 0x20;
const MAP_FAILED = -1;
const SC_PAGESIZE = 30; // _SC_PAGESIZE in glibc's <unistd.h> on Linux

/**
 * What the JIT asks of the kernel about its own memory, and every write it makes into it: published on
 * this diagnostics channel for whoever subscribes (the tests' ledger, harness/memory-ledger.ts, proves with
 * it that no page is ever asked to be writable and executable at once). This module is the only place that
 * binds mmap, mprotect and munmap, so the channel sees all of them. With no subscriber a call costs one
 * check of `hasSubscribers`.
 */
export const memoryCalls = channel('babyjit:jit:memory');

export interface MemoryCall {
  /** `flush`: code written to [address, address + length) made visible to instruction fetch. */
  call: 'mmap' | 'mprotect' | 'munmap' | 'write' | 'flush';
  /** Where, and how many bytes; an mmap that failed has address -1. */
  address: number;
  length: number;
  /** PROT_* bits asked for (mmap, mprotect). */
  prot?: number;
  /** Whether the kernel agreed (a write always succeeds or crashes the process). */
  ok: boolean;
}

function published(call: MemoryCall): void {
  memoryCalls.publish(call);
}

interface LibcBindings {
  mmap(addr: number, length: number, prot: number, flags: number, fd: number, offset: number): number;
  mprotect(addr: number, length: number, prot: number): number;
  munmap(addr: number, length: number): number;
  memcpyToAddress(dest: number, src: Uint8Array, length: number): void;
  memcpyFromAddress(dest: Uint8Array, src: number, length: number): void;
  sysconf(name: number): number;
  strerror(errnum: number): string;
  clearCache(begin: number, end: number): void;
}

let bindings: LibcBindings | undefined;

/** Loaded on first use so that merely importing the JIT on another platform fails with a clear message. */
function libc(): LibcBindings {
  if (bindings) return bindings;
  assertSupportedPlatform();
  const lib = koffi.load('libc.so.6');
  bindings = {
    mmap: lib.func(
      'intptr_t mmap(uintptr_t addr, size_t length, int prot, int flags, int fd, int64_t offset)',
    ),
    mprotect: lib.func('int mprotect(uintptr_t addr, size_t length, int prot)'),
    munmap: lib.func('int munmap(uintptr_t addr, size_t length)'),
    memcpyToAddress: lib.func('memcpy', 'void', ['uintptr_t', 'const uint8_t *', 'size_t']),
    memcpyFromAddress: lib.func('memcpy', 'void', ['_Out_ uint8_t *', 'uintptr_t', 'size_t']),
    sysconf: lib.func('long sysconf(int name)'),
    strerror: lib.func('const char *strerror(int errnum)'),
    // libgcc's, which Node.js itself links: on arm64 the dc cvau / dsb ish / ic ivau / dsb ish / isb
    // sequence over the range, with the cache line sizes read from CTR_EL0; on x86-64 it does nothing.
    clearCache: koffi.load('libgcc_s.so.1').func('void __clear_cache(uintptr_t begin, uintptr_t end)'),
  };
  return bindings;
}

const errnoNames = new Map<number, string>(
  Object.entries(koffi.os.errno as Record<string, number>).map(([name, value]) => [value, name]),
);

/** Builds the typed error for `errno`: by default the one the last call left behind. */
function syscallFailure(syscall: string, errno: number = koffi.errno()): SyscallError {
  return new SyscallError(syscall, errno, errnoNames.get(errno) ?? 'UNKNOWN', libc().strerror(errno));
}

let cachedPageSize: number | undefined;

export function pageSize(): number {
  if (cachedPageSize === undefined) {
    const size = Number(libc().sysconf(SC_PAGESIZE));
    if (!(size > 0)) throw syscallFailure('sysconf(_SC_PAGESIZE)');
    cachedPageSize = size;
  }
  return cachedPageSize;
}

/** A fresh private, anonymous, read+write mapping of `length` bytes. */
export function mapReadWrite(length: number): number {
  const prot = PROT_READ | PROT_WRITE;
  const address = libc().mmap(0, length, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  // errno is read before any subscriber runs, whose own work could change it.
  const errno = address === MAP_FAILED ? koffi.errno() : 0;
  if (memoryCalls.hasSubscribers) published({ call: 'mmap', address, length, prot, ok: errno === 0 });
  if (errno !== 0) throw syscallFailure('mmap(PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS)', errno);
  return address;
}

/** mprotect, published on the channel: 0 if the kernel agreed, or else the errno it left. */
function protect(address: number, length: number, prot: number): number {
  const errno = libc().mprotect(address, length, prot) === 0 ? 0 : koffi.errno();
  if (memoryCalls.hasSubscribers) published({ call: 'mprotect', address, length, prot, ok: errno === 0 });
  return errno;
}

/**
 * Seals a mapping read+execute. Write is dropped in the same call, so the page is never writable and
 * executable at once (W^X). EACCES/EPERM here means the host forbids executable memory, which deserves its
 * own error: retrying or freeing memory will not help.
 */
export function sealReadExecute(address: number, length: number): void {
  const errno = protect(address, length, PROT_READ | PROT_EXEC);
  if (errno === 0) return;
  const { EACCES, EPERM } = koffi.os.errno as Record<string, number>;
  if (errno === EACCES || errno === EPERM) {
    throw new ExecutableMemoryDeniedError(errno, errnoNames.get(errno) ?? 'UNKNOWN', libc().strerror(errno));
  }
  throw syscallFailure('mprotect(PROT_READ|PROT_EXEC)', errno);
}

/**
 * Makes a sealed mapping read+write again so that it can take new code. Execute is dropped in the same
 * call: the page goes from read+execute to read+write, never through writable and executable at once.
 */
export function makeReadWrite(address: number, length: number): void {
  const errno = protect(address, length, PROT_READ | PROT_WRITE);
  if (errno !== 0) throw syscallFailure('mprotect(PROT_READ|PROT_WRITE)', errno);
}

/** Makes a range inaccessible: any read, write or jump into it faults. Used for guard pages. */
export function protectNone(address: number, length: number): void {
  const errno = protect(address, length, PROT_NONE);
  if (errno !== 0) throw syscallFailure('mprotect(PROT_NONE)', errno);
}

export function unmap(address: number, length: number): void {
  const errno = libc().munmap(address, length) === 0 ? 0 : koffi.errno();
  if (memoryCalls.hasSubscribers) published({ call: 'munmap', address, length, ok: errno === 0 });
  if (errno !== 0) throw syscallFailure('munmap', errno);
}

/**
 * Bytes travel between JS and native memory through this buffer. koffi hands C the address of a typed
 * array's memory, and V8 keeps typed arrays of 64 bytes or less (an adder page's code is 43 bytes) inside
 * its heap, where objects move: asked for their address, V8 first moves them out, a malloc and a copy per
 * call, and frees that memory in a later collection. A buffer made outside the heap from the start avoids
 * all three, and a call takes about a third as long (docs/decisions.md, "Smaller choices in the hot paths").
 */
let staging = new Uint8Array(new ArrayBuffer(4096));

function stagingFor(length: number): Uint8Array {
  if (length > staging.length) staging = new Uint8Array(new ArrayBuffer(length));
  return staging;
}

export function copyToAddress(address: number, bytes: Uint8Array): void {
  const buffer = stagingFor(bytes.length);
  buffer.set(bytes);
  if (memoryCalls.hasSubscribers) published({ call: 'write', address, length: bytes.length, ok: true });
  libc().memcpyToAddress(address, buffer, bytes.length);
}

/**
 * Makes the `length` bytes of code just written at `address` visible to instruction fetch, on an
 * architecture whose instruction cache does not follow data writes (AArch64): called by page.ts after every
 * write of code, over exactly the range written, before the page is sealed and called. Published on the
 * channel like the calls above, so that the ledger can hold every write to its flush.
 */
export function flushInstructionCache(address: number, length: number): void {
  if (memoryCalls.hasSubscribers) published({ call: 'flush', address, length, ok: true });
  libc().clearCache(address, address + length);
}

export function copyFromAddress(address: number, length: number): Uint8Array {
  const buffer = stagingFor(length);
  libc().memcpyFromAddress(buffer, address, length);
  return buffer.slice(0, length);
}
