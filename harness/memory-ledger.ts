/**
 * Checks every request the JIT makes of the kernel about its own memory, as src/jit/libc.ts publishes them
 * on its `babyjit:jit:memory` diagnostics channel: W^X is proven call by call, not sampled from
 * /proc/<pid>/maps in steady state, which cannot see a page that is writable and executable for a moment.
 *
 * The ledger follows the protection of every page the JIT has mapped and flags:
 * - an mmap or mprotect that asks for write and execute together;
 * - a write into a page that is not read+write at that moment (executable, inaccessible, or not the JIT's);
 * - an mprotect or munmap of a page the JIT has not mapped;
 * - with `requireFlush` (an architecture whose instruction cache does not follow data writes, arm64): a page
 *   sealed executable while a write into it has not been flushed to the instruction cache over exactly the
 *   range written, and a flush of a range that no write left unflushed.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { MemoryCall } from '../src/jit/libc.js';

export type { MemoryCall };

/** The channel's name, as src/jit/libc.ts publishes on it. */
export const MEMORY_CHANNEL = 'babyjit:jit:memory';

const PROT_READ = 0x1;
const PROT_WRITE = 0x2;
const PROT_EXEC = 0x4;

/** `rwx` letters for PROT_* bits, as /proc/<pid>/maps prints them. */
export function protectionText(prot: number): string {
  return `${prot & PROT_READ ? 'r' : '-'}${prot & PROT_WRITE ? 'w' : '-'}${prot & PROT_EXEC ? 'x' : '-'}`;
}

export interface LedgerReport {
  /** Calls seen, by kind (failed ones included). */
  calls: Record<MemoryCall['call'], number>;
  /** Protections asked for by mmap and mprotect (`rw-`, `r-x`, `---`), and how often. */
  protections: Record<string, number>;
  /** Calls that broke a rule, described (the first few). */
  violations: string[];
  violationCount: number;
  /** Pages the JIT has mapped now. */
  mappedPages: number;
}

const VIOLATIONS_KEPT = 10;

export interface LedgerOptions {
  pageSize?: number;
  /** Whether every write of code must be flushed to the instruction cache before its page is sealed. */
  requireFlush?: boolean;
}

export class MemoryLedger {
  readonly #pageSize: number;
  readonly #requireFlush: boolean;
  /** Page address → its protection, for every page the JIT has mapped and not unmapped. */
  readonly #pages = new Map<number, number>();
  /** Writes not flushed yet, as `address:length`, by the page they start in. */
  readonly #unflushed = new Map<number, Set<string>>();
  readonly #report: LedgerReport = {
    calls: { mmap: 0, mprotect: 0, munmap: 0, write: 0, flush: 0 },
    protections: {},
    violations: [],
    violationCount: 0,
    mappedPages: 0,
  };
  readonly #listener = (message: unknown) => this.record(message as MemoryCall);

  constructor(options: LedgerOptions | number = {}) {
    const { pageSize = 4096, requireFlush = false } =
      typeof options === 'number' ? { pageSize: options } : options;
    this.#pageSize = pageSize;
    this.#requireFlush = requireFlush;
  }

  /** Starts recording every call published from now on. */
  start(): this {
    subscribe(MEMORY_CHANNEL, this.#listener);
    return this;
  }

  stop(): void {
    unsubscribe(MEMORY_CHANNEL, this.#listener);
  }

  record(call: MemoryCall): void {
    this.#report.calls[call.call] += 1;
    if (call.prot !== undefined) {
      const text = protectionText(call.prot);
      this.#report.protections[text] = (this.#report.protections[text] ?? 0) + 1;
      if ((call.prot & PROT_WRITE) !== 0 && (call.prot & PROT_EXEC) !== 0) {
        this.#violation(call, 'asks for write and execute together');
      }
    }
    if (!call.ok) return;
    const pages = this.#pagesOf(call);
    switch (call.call) {
      case 'mmap':
        for (const page of pages) this.#pages.set(page, call.prot ?? 0);
        break;
      case 'mprotect':
        for (const page of pages) {
          if (!this.#pages.has(page)) {
            this.#violation(call, 'changes a page the JIT never mapped');
            continue;
          }
          if (((call.prot ?? 0) & PROT_EXEC) !== 0 && (this.#unflushed.get(page)?.size ?? 0) > 0)
            this.#violation(call, 'seals code written and not flushed to the instruction cache');
          this.#pages.set(page, call.prot ?? 0);
        }
        break;
      case 'munmap':
        for (const page of pages) {
          this.#unflushed.delete(page);
          if (!this.#pages.delete(page)) this.#violation(call, 'unmaps a page the JIT never mapped');
        }
        break;
      case 'flush': {
        const range = `${call.address}:${call.length}`;
        const pending = this.#unflushed.get(this.#pageOf(call.address));
        if (pending?.delete(range) !== true && this.#requireFlush) {
          this.#violation(call, 'flushes a range no write left unflushed');
        }
        break;
      }
      case 'write':
        for (const page of pages) {
          const prot = this.#pages.get(page);
          if (prot !== (PROT_READ | PROT_WRITE)) {
            this.#violation(
              call,
              `writes into a page that is ${prot === undefined ? 'not mapped by the JIT' : protectionText(prot)}`,
            );
            break;
          }
        }
        if (this.#requireFlush) {
          const page = this.#pageOf(call.address);
          const pending = this.#unflushed.get(page) ?? new Set<string>();
          pending.add(`${call.address}:${call.length}`);
          this.#unflushed.set(page, pending);
        }
        break;
    }
  }

  report(): LedgerReport {
    return { ...this.#report, mappedPages: this.#pages.size };
  }

  #pageOf(address: number): number {
    return address - (address % this.#pageSize);
  }

  #pagesOf(call: MemoryCall): number[] {
    const first = this.#pageOf(call.address);
    const pages: number[] = [];
    for (let page = first; page < call.address + call.length; page += this.#pageSize) pages.push(page);
    return pages;
  }

  #violation(call: MemoryCall, what: string): void {
    this.#report.violationCount += 1;
    if (this.#report.violations.length >= VIOLATIONS_KEPT) return;
    const prot = call.prot === undefined ? '' : ` ${protectionText(call.prot)}`;
    this.#report.violations.push(`${call.call}(${call.length} bytes${prot}) ${what}`);
  }
}
