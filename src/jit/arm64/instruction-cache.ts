/**
 * Instruction-cache maintenance for code written at run time on AArch64. An AArch64 CPU does not keep its
 * instruction cache coherent with data writes: after code is written through the data side, the lines
 * must be cleaned from the data cache to the point of unification and invalidated in the instruction
 * cache (`dc cvau`, `dsb ish`, `ic ivau`, `dsb ish`, `isb`), or the CPU may run what the page held before.
 * libgcc's `__clear_cache(begin, end)` does exactly that sequence for a range, with the cache line sizes
 * read from CTR_EL0; Node.js itself links libgcc_s.so.1, so it is always there to bind.
 *
 * x86-64 keeps the caches coherent in hardware and needs no such call; this module is only loaded and only
 * works on arm64. It binds a C library through koffi, so unlike the encoders beside it, it is not pure.
 */
import koffi from 'koffi';
import { JitError } from '../errors.js';

type ClearCache = (begin: number, end: number) => void;

let clearCache: ClearCache | undefined;

/** Binds `__clear_cache` on first use, refusing on any architecture but arm64 (`arch`, for tests). */
export function bindClearCache(arch: string = process.arch): ClearCache {
  if (arch !== 'arm64')
    throw new JitError(
      'JIT_UNSUPPORTED_PLATFORM',
      `instruction-cache maintenance through __clear_cache is for arm64; this is ${arch}`,
    );
  clearCache ??= koffi
    .load('libgcc_s.so.1')
    .func('void __clear_cache(uintptr_t begin, uintptr_t end)') as ClearCache;
  return clearCache;
}

/**
 * Makes the `length` bytes of code just written at `address` visible to instruction fetch: call it after
 * every write of code (a fresh page or a recycled one), before the page is sealed executable and called,
 * over exactly the range written.
 */
export function clearInstructionCache(address: number, length: number): void {
  if (!Number.isSafeInteger(address) || address <= 0)
    throw new RangeError('address must be a positive integer');
  if (!Number.isSafeInteger(length) || length <= 0)
    throw new RangeError(`length must be a positive integer, got ${length}`);
  bindClearCache()(address, address + length);
}
