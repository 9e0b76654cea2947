/**
 * How many adders this process can hold before the kernel runs out of memory areas for it.
 *
 * Linux gives a process at most `vm.max_map_count` memory areas (VMAs; 65,530 by default) and refuses
 * any mmap or mprotect that would need another. Each adder holds two: its page and its guard page (page.ts
 * says why they never merge with a neighbour). V8 needs areas too, to grow its heap: it maps the heap in
 * pages of 256 KiB, so up to its heap limit it may need one area per page when none happen to merge. A
 * capacity that leaves V8 less than that lets clients fill the process's areas with adders; then V8
 * cannot grow its heap and the process dies ("JavaScript heap out of memory" with a heap of 25 MB). So the
 * budget reserves V8's worst case and a fixed allowance for Node.js itself, and the service refuses to
 * start with a capacity beyond it. The allowance is fixed rather than read from /proc/self/maps so that the
 * largest capacity is the same at every start on the same host: the figure a refused start names works.
 */
import { readFileSync } from 'node:fs';
import { getHeapStatistics } from 'node:v8';

/** Memory areas each adder holds: its page and its guard page. */
export const AREAS_PER_ADDER = 2;
/** The size of V8's heap pages: the heap grows and shrinks in mappings of this size. */
export const V8_HEAP_PAGE_BYTES = 256 * 1024;
/**
 * Areas for Node.js itself: its binary, libraries, thread stacks and malloc arenas (about 250 when the
 * server has started), with room for them to grow.
 */
export const NODE_AREAS = 2048;

export interface MappingBudget {
  /** vm.max_map_count: the most memory areas the kernel lets this process have. */
  maxMapCount: number;
  /** Areas kept for V8's heap at its limit, and for Node.js. */
  reserved: number;
  /** The most adders that fit in what is left. */
  largestCapacity: number;
}

export interface MappingBudgetSources {
  maxMapCount?: number;
  heapSizeLimit?: number;
}

/** Reads the budget from the kernel and V8; `sources` replaces any reading (tests). */
export function mappingBudget(sources: MappingBudgetSources = {}): MappingBudget {
  const maxMapCount = sources.maxMapCount ?? readMaxMapCount();
  const heapSizeLimit = sources.heapSizeLimit ?? getHeapStatistics().heap_size_limit;
  const reserved = Math.ceil(heapSizeLimit / V8_HEAP_PAGE_BYTES) + NODE_AREAS;
  const largestCapacity = Math.max(0, Math.floor((maxMapCount - reserved) / AREAS_PER_ADDER));
  return { maxMapCount, reserved, largestCapacity };
}

function readMaxMapCount(): number {
  const value = Number(readFileSync('/proc/sys/vm/max_map_count', 'utf8').trim());
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new Error('/proc/sys/vm/max_map_count does not hold a positive integer');
  }
  return value;
}
