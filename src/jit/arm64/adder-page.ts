/**
 * The A64 adder page: where its two entry points sit and the code at each, built from the encoders in
 * instructions.ts and vector-instructions.ts. The seed's adder and its blinded form, the batch kernels
 * (scalar and Advanced SIMD), and the fast path every compile takes (a template with the immediates
 * written in).
 *
 * The AAPCS64 (the procedure call standard for AArch64) passes the first integer arguments in x0, x1, x2
 * (w0 for an int32_t), returns an integer in x0 (w0), and the return address in x30. x9-x15 and the
 * vector registers v0-v7 and v16-v31 are the callee's to use without saving, so the code saves nothing:
 *
 *   w9   the term            w10  the blinding key     w11  one value of xs in the scalar loop
 *   v0   the term in all four lanes                    v1-v4  four values of xs each
 */
import { assertInt32 } from '../int32.js';
import type { ComposedPage, ImmediateKind } from '../target.js';
import { CodeBuffer } from './code-buffer.js';
import {
  addImmediate,
  addRegister,
  bCond,
  Condition,
  cbz,
  eorRegister,
  type GeneralRegister,
  ldrImmediate,
  movk,
  movz,
  ret,
  strPostIndex,
  subsImmediate,
  udf,
  w,
  x,
} from './instructions.js';
import { addVector, dupGeneral, ld1, st1PostIndex } from './vector-instructions.js';

const TERM = w(9);
const KEY = w(10);
const VALUE = w(11);
/** apply's x, and its result. */
const X_ARGUMENT = w(0);
/** applyAll's xs and n. */
const XS = x(0);
const N = x(1);
/** The vector register that holds the term in all four lanes; data goes in the registers after it. */
const TERM_VECTOR = 0;

/** Machine code with the places of its term-dependent immediates. */
export type EncodedCode = ComposedPage;

/**
 * `w9 = term`: `movz w9, #(term & 0xffff)` then `movk w9, #(term >>> 16), lsl #16`. With a key, the term
 * never appears: w9 gets `term ^ key` and w10 the key, the same way, and `eor w9, w9, w10` undoes the xor.
 * Both halves are always written, even a zero one, so that every page of a kind has the same layout.
 */
function emitLoadTerm(code: CodeBuffer, term: number, key: number | undefined): CodeBuffer {
  assertInt32(term, 'term');
  const load = (register: GeneralRegister, value: number, kind: ImmediateKind) =>
    code
      .emitImmediateHalf(movz(register, value & 0xffff, 0), kind, 0)
      .emitImmediateHalf(movk(register, value >>> 16, 1), kind, 1);
  if (key === undefined) return load(TERM, term, 'term');
  assertInt32(key, 'key');
  load(TERM, term ^ key, 'blindedTerm');
  load(KEY, key, 'key');
  return code.emit(eorRegister(TERM, TERM, KEY));
}

/**
 * The seed's adder, `int32_t apply(int32_t x) { return term + x; }`, 16 bytes (28 blinded):
 *
 *     movz w9, #lo(term)
 *     movk w9, #hi(term), lsl #16      ; (blinded: term ^ key into w9, key into w10, eor w9, w9, w10)
 *     add  w0, w0, w9                  ; a 32-bit add: wraps around at int32 by itself
 *     ret
 */
function adder(term: number, key: number | undefined): EncodedCode {
  return emitLoadTerm(new CodeBuffer(), term, key)
    .emit(addRegister(X_ARGUMENT, X_ARGUMENT, TERM), ret())
    .finish();
}

/**
 * Adds w9 to each of the x1 int32s at x0, one at a time, then returns:
 *
 *           cbz  x1, done           ; n == 0: nothing to do
 *   loop:   ldr  w11, [x0]
 *           add  w11, w11, w9
 *           str  w11, [x0], #4      ; store, then x0 += 4
 *           subs x1, x1, #1
 *           b.ne loop
 *   done:   ret
 */
function emitScalarLoopAndReturn(code: CodeBuffer): CodeBuffer {
  const loop = code.label();
  const done = code.label();
  code.branch((offset) => cbz(N, offset), done).bind(loop);
  code.emit(ldrImmediate(VALUE, XS, 0), addRegister(VALUE, VALUE, TERM), strPostIndex(VALUE, XS, 4));
  code.emit(subsImmediate(N, N, 1)).branch((offset) => bCond(Condition.ne, offset), loop);
  return code.bind(done).emit(ret());
}

/** The scalar batch entry, `void applyAll(int32_t *xs, size_t n)`: the term into w9, then the scalar loop. */
function scalarBatchAdder(term: number, key: number | undefined): EncodedCode {
  return emitScalarLoopAndReturn(emitLoadTerm(new CodeBuffer(), term, key)).finish();
}

/**
 * Adds v0 to `registers` vector registers' worth of values at x0, as long as x1 (the values left) holds
 * at least that many, counting x1 down; leaves x1 at the values left:
 *
 *           subs x1, x1, #L          ; L = 4 × registers values a pass; x1 = n - L
 *           b.lo after               ; borrow: n < L (x1 wrapped around, undone below)
 *   loop:   ld1  {v1.4s, ...}, [x0]
 *           add  v1.4s, v1.4s, v0.4s ; ... one add per register
 *           st1  {v1.4s, ...}, [x0], #(4 × L)
 *           subs x1, x1, #L
 *           b.hs loop                ; no borrow: at least L values were left
 *   after:  add  x1, x1, #L          ; the values left, fewer than L
 */
function emitVectorLoop(code: CodeBuffer, registers: number): void {
  const values = 4 * registers;
  const loop = code.label();
  const after = code.label();
  code.emit(subsImmediate(N, N, values)).branch((offset) => bCond(Condition.lo, offset), after);
  code.bind(loop).emit(ld1(TERM_VECTOR + 1, registers, XS));
  for (let register = TERM_VECTOR + 1; register <= TERM_VECTOR + registers; register += 1)
    code.emit(addVector(register, register, TERM_VECTOR));
  code.emit(st1PostIndex(TERM_VECTOR + 1, registers, XS), subsImmediate(N, N, values));
  code.branch((offset) => bCond(Condition.hs, offset), loop);
  code.bind(after).emit(addImmediate(N, N, values));
}

/** How many vector registers' worth of values one pass of the NEON kernel's main loop adds. */
export const UNROLL_FACTORS = [1, 2, 4] as const;
export type UnrollFactor = (typeof UNROLL_FACTORS)[number];

/**
 * The Advanced SIMD batch entry, `void applyAll(int32_t *xs, size_t n)`, its main loop unrolled `unroll`
 * times (U registers, 4U values a pass):
 *
 *     (the term into w9)
 *     dup  v0.4s, w9                  ; the term in all four lanes
 *     (vector loop over v1-vU)        ; 4U values a pass while at least 4U are left
 *     (vector loop over v1)           ; U > 1 only: 4 values a pass, fewer than U times
 *     (scalar loop and ret)           ; the last 0-3 values
 *
 * Loads and stores go through ld1/st1, which take any address: an array that is not 16-byte aligned, or
 * not even 4-byte aligned (a request's body where it arrived), needs no peel or special path.
 */
function neonBatchAdder(unroll: UnrollFactor, term: number, key: number | undefined): EncodedCode {
  const code = emitLoadTerm(new CodeBuffer(), term, key).emit(dupGeneral(TERM_VECTOR, TERM));
  emitVectorLoop(code, unroll);
  if (unroll > 1) emitVectorLoop(code, 1);
  return emitScalarLoopAndReturn(code).finish();
}

/** The levels of A64 batch kernel: a loop over int32s, or over Advanced SIMD registers of four. */
export const ARM64_LEVELS = ['scalar', 'neon'] as const;
export type Arm64Level = (typeof ARM64_LEVELS)[number];

/** Makes a batch entry's code, and where its immediates sit, for a term (and blinding key). */
export type BatchKernel = (term: number, key: number | undefined) => EncodedCode;

/** The batch kernel of `level`, its main loop unrolled `unroll` times (the scalar loop is not unrolled). */
export function batchKernel(level: Arm64Level, unroll: UnrollFactor): BatchKernel {
  if (!UNROLL_FACTORS.includes(unroll)) throw new RangeError(`unroll must be 1, 2 or 4, got ${unroll}`);
  if (level === 'scalar') {
    if (unroll !== 1) throw new RangeError('the scalar kernel is not unrolled');
    return scalarBatchAdder;
  }
  if (level !== 'neon')
    throw new RangeError(`level must be one of ${ARM64_LEVELS.join(', ')}, got ${String(level)}`);
  return (term, key) => neonBatchAdder(unroll, term, key);
}

/**
 * Where each entry point starts in an adder's page. applyAll at 32: past the blinded apply's 28 bytes, and
 * on a 32-byte boundary as compilers align functions they want fetched whole.
 */
export const ADDER_ENTRY = 0;
export const BATCH_ADDER_ENTRY = 32;

/**
 * The entry points of an adder page, as GET /adders/:n describes them, with the AAPCS64's words for where
 * their arguments and result travel. The same at every level.
 */
export const ADDER_PAGE_ENTRIES = [
  {
    name: 'apply',
    offset: ADDER_ENTRY,
    signature: 'int32_t apply(int32_t x)',
    registers: 'x arrives in w0, the result leaves in w0; the return address is in x30',
  },
  {
    name: 'applyAll',
    offset: BATCH_ADDER_ENTRY,
    signature: 'void applyAll(int32_t *xs, size_t n)',
    registers: 'xs arrives in x0 and n in x1; the values are added to in place; the return address is in x30',
  },
] as const;

/** The trap that fills every gap between entry points: `udf #0`, the all-zero word (instructions.ts). */
export const PADDING = udf(0);

/**
 * The whole code of one term's page: the adder at ADDER_ENTRY and `batch`'s kernel at BATCH_ADDER_ENTRY,
 * `udf #0` between them, and where its immediates sit.
 */
export function composePage(batch: BatchKernel, term: number, key?: number): EncodedCode {
  const apply = adder(term, key);
  const applyAll = batch(term, key);
  if (ADDER_ENTRY + apply.code.length > BATCH_ADDER_ENTRY)
    throw new Error('the adder overlaps the batch entry');
  // PADDING is the zero word, so a zero-filled array is padded already.
  const code = new Uint8Array(BATCH_ADDER_ENTRY + applyAll.code.length);
  code.set(apply.code, ADDER_ENTRY);
  code.set(applyAll.code, BATCH_ADDER_ENTRY);
  const at = (entry: number, { slices }: EncodedCode) =>
    slices.map((slice) => ({ ...slice, offset: entry + slice.offset }));
  return { code, slices: [...at(ADDER_ENTRY, apply), ...at(BATCH_ADDER_ENTRY, applyAll)] };
}
