/**
 * What the generic core asks of an architecture, and of each of its targets. An architecture (x86-64,
 * arm64) knows its instruction sets' levels, the page of call gates koffi calls through, the trap that
 * fills a page's gaps, whether written code must be flushed to the instruction cache, and how to find out
 * what the host supports. A target is one architecture at one level: the code of its adder page for a term
 * (and blinding key), its entry points, and where its term-dependent immediates sit.
 *
 * The core (page, registry, blinding, host, the self-test) works on these objects only; targets.ts is the
 * one place that knows which architectures exist. This file defines shapes and imports nothing, so that
 * an architecture's folder may depend on it without a cycle.
 */

/** What a term-dependent immediate holds: the term itself (seed pages), `term ^ key`, or the key. */
export type ImmediateKind = 'term' | 'blindedTerm' | 'key';

/**
 * Where (part of) a term-dependent immediate sits: `width` bits of the value, from its bit `valueShift` on,
 * held in bits `fieldShift` to `fieldShift + width - 1` of the little-endian 32-bit word at byte `offset`
 * of the code. One shape for both kinds of instruction set (immediates.ts reads and writes them):
 *
 *   x86-64 `mov eax, imm32`:          { offset: at the imm32, valueShift: 0,  fieldShift: 0, width: 32 }
 *   A64 `movz w9, #lo`:               { offset: the word,     valueShift: 0,  fieldShift: 5, width: 16 }
 *   A64 `movk w9, #hi, lsl #16`:      { offset: the word,     valueShift: 16, fieldShift: 5, width: 16 }
 */
export interface ImmediateSlice {
  readonly offset: number;
  readonly kind: ImmediateKind;
  readonly valueShift: number;
  readonly fieldShift: number;
  readonly width: number;
}

/** A page's code for a term, and where its immediates sit. */
export interface ComposedPage {
  code: Uint8Array;
  slices: ImmediateSlice[];
}

export interface AdderPageEntry {
  readonly name: string;
  readonly offset: number;
  readonly signature: string;
  /** Where the arguments arrive and the result leaves, as the architecture's calling convention says. */
  readonly registers: string;
}

export interface AdderPageTarget {
  /** e.g. 'x86-64-avx2': the architecture and the level (and a variant's unroll, for benchmarks). */
  readonly name: string;
  readonly architecture: Architecture;
  readonly level: string;
  /** int32 values one instruction of the batch kernel adds: 1 (scalar), 4 (SSE2, NEON), 8 (AVX2). */
  readonly lanes: number;
  /** Registers' worth of values one iteration of the batch kernel's main loop adds. */
  readonly unroll: number;
  /** Offset of `int32_t apply(int32_t x)`. */
  readonly applyEntry: number;
  /** Offset of `void applyAll(int32_t *xs, size_t n)`. */
  readonly applyAllEntry: number;
  readonly entries: readonly AdderPageEntry[];
  /** Offsets of the 32-bit words that hold any part of a blinded page's `term ^ key` or key (blinding.ts). */
  readonly blindedImmediateOffsets: readonly number[];
  /** Every slice of the code that depends on the term, in a seed page or a blinded one. */
  immediateSlices(blinded: boolean): readonly ImmediateSlice[];
  /** The page's code, seed or blinded: the fast path every compile takes. */
  encodePage(term: number, key?: number): Uint8Array;
  /** The same page composed from the encoders: the definition encodePage is tested against. */
  composePage(term: number, key?: number): Uint8Array;
}

/** The code of the page of call gates, and where each gate starts (page.ts says why calls go through them). */
export interface CallGateCode {
  /** `int32_t gate(int32_t x, uintptr_t target)`: jumps to target, x left where the adder reads it. */
  readonly int32Entry: number;
  /** `void batch_gate(int32_t *xs, size_t n, uintptr_t target)`: the same for a batch entry. */
  readonly batchEntry: number;
  encode(): Uint8Array;
}

/**
 * Runs probe code on this host: maps `code` as an executable page, hands `use` a function that calls the
 * page's entry at an offset as `void f(int32_t *io, size_t n)`, and releases the page afterwards.
 */
export type HostProbe = <T>(code: Uint8Array, use: (call: (entry: number, io: Int32Array) => void) => T) => T;

/** What an architecture found this host can run. */
export interface HostCapabilities {
  /** The best level the host runs. */
  readonly best: string;
  /** What the host lacks for `level`'s code, in words (empty if it can run it). */
  missingFor(level: string): readonly string[];
}

export interface Architecture {
  /** 'x86-64', 'arm64'. */
  readonly name: string;
  /** The `process.arch` of a Node.js that runs on it: 'x64', 'arm64'. */
  readonly nodeArch: string;
  /** Its batch kernels' levels, slowest first; the first is the baseline every CPU of it runs. */
  readonly levels: readonly string[];
  /** The target at `level` (one of `levels`). */
  target(level: string): AdderPageTarget;
  readonly callGates: CallGateCode;
  /** The byte that fills code left over when a page takes shorter code: it traps if run. */
  readonly trapFill: number;
  /** Whether code written through the data cache must be flushed to the instruction cache to run. */
  readonly flushesInstructionCache: boolean;
  /** Finds what this host supports, running probe code through `probe` where the architecture needs to. */
  detect(probe: HostProbe): HostCapabilities;
}
