/**
 * Targets: what the JIT can generate an adder page for. A target is one architecture at one
 * instruction-set level (x86-64 with scalar code only, with SSE2, with AVX2): its name, the entry points
 * of its pages, the page's code for a term (and blinding key), and where a blinded page's immediates sit.
 * Everything above this file (the registry, the self-test, the service) picks a target by level or name
 * and never looks inside one, so another architecture can be added beside x86-64/ as a sibling.
 *
 * Which levels this host can run is host.ts's business; a target itself only generates code.
 */
import { X86_64_TARGETS } from './x86-64/targets.js';

/** What a term-dependent immediate holds: the term itself (seed pages), `term ^ key`, or the key. */
export type ImmediateKind = 'term' | 'blindedTerm' | 'key';

/** A 4-byte little-endian immediate of a page that depends on the term. */
export interface ImmediateField {
  /** Offset of the field's first byte from the start of the code. */
  offset: number;
  kind: ImmediateKind;
}

/** Batch kernel levels, slowest first. 'scalar' runs wherever its architecture does. */
export const KERNEL_LEVELS = ['scalar', 'sse2', 'avx2'] as const;
export type KernelLevel = (typeof KERNEL_LEVELS)[number];

export function isKernelLevel(value: unknown): value is KernelLevel {
  return KERNEL_LEVELS.includes(value as KernelLevel);
}

export interface AdderPageEntry {
  readonly name: string;
  readonly offset: number;
  readonly signature: string;
}

export interface AdderPageTarget {
  /** e.g. 'x86-64-avx2': the architecture and the level. */
  readonly name: string;
  readonly architecture: string;
  readonly level: KernelLevel;
  /** int32 values one instruction of the batch kernel adds: 1 (scalar), 4 (SSE2), 8 (AVX2). */
  readonly lanes: number;
  /** Registers' worth of values one iteration of the batch kernel's main loop adds. */
  readonly unroll: number;
  /** Offset of `int32_t apply(int32_t x)`. */
  readonly applyEntry: number;
  /** Offset of `void applyAll(int32_t *xs, size_t n)`. */
  readonly applyAllEntry: number;
  readonly entries: readonly AdderPageEntry[];
  /** Offsets of every 4-byte immediate that depends on the term or key in a blinded page (blinding.ts). */
  readonly blindedImmediateOffsets: readonly number[];
  /** Every 4-byte immediate that depends on the term, in a seed page or a blinded one: where, and what. */
  immediateFields(blinded: boolean): readonly ImmediateField[];
  /** The page's code, seed or blinded: the fast path every compile takes. */
  encodePage(term: number, key?: number): Uint8Array;
  /** The same page composed from the encoders: the definition encodePage is tested against. */
  composePage(term: number, key?: number): Uint8Array;
}

export const TARGETS: readonly AdderPageTarget[] = X86_64_TARGETS;

/** The target this build generates for at `level` (there is one architecture so far: x86-64). */
export function targetForLevel(level: KernelLevel): AdderPageTarget {
  const target = TARGETS.find((candidate) => candidate.level === level);
  if (target === undefined)
    throw new RangeError(`level must be one of ${KERNEL_LEVELS.join(', ')}, got ${String(level)}`);
  return target;
}

export function targetByName(name: string): AdderPageTarget {
  const target = TARGETS.find((candidate) => candidate.name === name);
  if (target === undefined) {
    const names = TARGETS.map((candidate) => candidate.name).join(', ');
    throw new RangeError(`target must be one of ${names}, got ${name}`);
  }
  return target;
}
