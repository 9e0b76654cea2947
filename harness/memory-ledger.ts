/**
 * Checks every request the JIT makes of the kernel about its own memory, as src/jit/libc.ts publishes them
 * on its `babyjit:jit:memory` diagnostics channel: W^X is proven call by call, not sampled from
 * /proc/<pid>/maps in steady state, which cannot see a page that is writable and executable for a moment.
 *
 * The ledger follows the protection of every page the JIT has mapped and flags:
 * - an mmap or mprotect that asks for write and execute together;
 * - a write into a page that is not read+write at that moment (executable, inaccessible, or not the JIT's);
 * - an mprotect or munmap of a page the JIT has not mapped.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';

/** The channel's name and the call's shape, as src/jit/libc.ts publishes them. */
export const MEMORY_CHANNEL = 'babyjit:jit:memory';
export interface MemoryCall {
  call: 'mmap' | 'mprotect' | 'munmap' | 'write';
  address: number;
  length: number;
  prot?: number;
  ok: boolean;
}

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

export class MemoryLedger {
  readonly #pageSize: number;
  /** Page address → its protection, for every page the JIT has mapped and not unmapped. */
  readonly #pages = new Map<number, number>();
  readonly #report: LedgerReport = {
    calls: { mmap: 0, mprotect: 0, munmap: 0, write: 0 },
    protections: {},
    violations: [],
    violationCount: 0,
    mappedPages: 0,
  };
  readonly #listener = (message: unknown) => this.record(message as MemoryCall);

  constructor(pageSize = 4096) {
    this.#pageSize = pageSize;
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
          if (this.#pages.has(page)) this.#pages.set(page, call.prot ?? 0);
          else this.#violation(call, 'changes a page the JIT never mapped');
        }
        break;
      case 'munmap':
        for (const page of pages) {
          if (!this.#pages.delete(page)) this.#violation(call, 'unmaps a page the JIT never mapped');
        }
        break;
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
        break;
    }
  }

  report(): LedgerReport {
    return { ...this.#report, mappedPages: this.#pages.size };
  }

  #pagesOf(call: MemoryCall): number[] {
    const first = call.address - (call.address % this.#pageSize);
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
