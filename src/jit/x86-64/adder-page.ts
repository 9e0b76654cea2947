/**
 * The adder's page: where its two entry points sit and the code at each, built from the encoders in
 * instructions.ts and vector-instructions.ts. The seed's adder and its blinded form, the batch kernels
 * (scalar, SSE2, AVX2), and the fast path every compile takes (a template with the immediates written in).
 * targets.ts packages one page layout per instruction-set level.
 */
import { assertInt32 } from '../int32.js';
import type { ComposedPage } from '../target.js';
import { CodeBuffer, type Label } from './code-buffer.js';
import {
  addDwordAtRdiEax,
  addEaxEdi,
  addRaxRdi,
  addRdiImm8,
  addRdiImm32,
  andEsiImm8,
  decRcx,
  decRsi,
  INT3,
  jnzRel8,
  jzRel8,
  movEaxImm32,
  movRaxImm32,
  movRcxRsi,
  R32,
  ret,
  shrRcxImm8,
  testDilImm8,
  testRsiRsi,
  xorEaxImm32,
} from './instructions.js';
import {
  movdquAtRdiXmm,
  movdquXmmAtRdi,
  movdXmmR32,
  padddXmmXmm,
  pshufdXmmXmmImm8,
  vmovdquAtRdiYmm,
  vmovdXmmR32,
  vpadddYmmYmmAtRdi,
  vpbroadcastdYmmXmm,
  vzeroupper,
} from './vector-instructions.js';

/** Machine code with the places of its term-dependent immediates. */
export type EncodedCode = ComposedPage;

/**
 * The seed program's adder, `int32_t adder(int32_t x) { return term + x; }`:
 *
 *     48 c7 c0 <term>   mov rax, term
 *     48 01 f8          add rax, rdi
 *     c3                ret
 *
 * The arithmetic is 64-bit, but the caller reads back eax only: the low 32 bits of a sum depend only on the
 * low 32 bits of its operands, so the result is (term + x) wrapped to int32 whatever the ABI leaves in the
 * upper half of rdi (it leaves it unspecified for an int32_t argument).
 */
export function encodeAdder(term: number): Uint8Array {
  return adder(term, undefined).code;
}

/**
 * The seed's adder with its term blinded (see blinding.ts): the term never appears in the code, only
 * `term ^ key` and `key`, and the code undoes the xor before adding. 32-bit operations throughout, so that
 * the four extra bytes still fit before the batch entry at offset 16:
 *
 *     b8 <term ^ key>   mov eax, term ^ key
 *     35 <key>          xor eax, key        ; eax = term (and rax's upper half zero)
 *     01 f8             add eax, edi        ; a 32-bit add wraps around at int32 by itself
 *     c3                ret
 */
export function encodeBlindedAdder(term: number, key: number): Uint8Array {
  assertInt32(key, 'key');
  return adder(term, key).code;
}

function adder(term: number, key: number | undefined): EncodedCode {
  assertInt32(term, 'term');
  const code = new CodeBuffer();
  if (key === undefined) code.emitWithImmediate(movRaxImm32(term), 'term').emit(addRaxRdi(), ret());
  else emitLoadTermIntoEax(code, term, key).emit(addEaxEdi(), ret());
  return code.finish();
}

/** `mov eax, term`, or with a key `mov eax, term ^ key; xor eax, key`: eax = term either way. */
function emitLoadTermIntoEax(code: CodeBuffer, term: number, key: number | undefined): CodeBuffer {
  assertInt32(term, 'term');
  if (key === undefined) return code.emitWithImmediate(movEaxImm32(term), 'term');
  assertInt32(key, 'key');
  return code
    .emitWithImmediate(movEaxImm32(term ^ key), 'blindedTerm')
    .emitWithImmediate(xorEaxImm32(key), 'key');
}

/**
 * Adds eax to each of the rsi int32s at rdi, one at a time, then goes on at `done`:
 *
 *         test rsi, rsi          ; n == 0: nothing to do
 *         jz done
 *   loop: add dword [rdi], eax   ; 32-bit add to memory: wraps around like the adder
 *         add rdi, 4
 *         dec rsi
 *         jnz loop
 */
function emitScalarLoop(code: CodeBuffer, done: Label): void {
  const loop = code.label();
  code.emit(testRsiRsi()).branch(jzRel8, done).bind(loop);
  code.emit(addDwordAtRdiEax(), addRdiImm8(4), decRsi()).branch(jnzRel8, loop);
}

/**
 * The scalar batch entry, `void add_all(int32_t *xs, size_t n)`: adds term to each of n int32s in place,
 * one FFI call for a whole batch instead of one per value. With a blinding key, the first line is
 * `mov eax, term ^ key; xor eax, key`.
 *
 *         mov eax, term
 *         (emitScalarLoop)
 *   done: ret
 */
export function encodeBatchAdder(term: number, key?: number): Uint8Array {
  return scalarBatchAdder(term, key).code;
}

function scalarBatchAdder(term: number, key: number | undefined): EncodedCode {
  const code = new CodeBuffer();
  const done = code.label();
  emitLoadTermIntoEax(code, term, key);
  emitScalarLoop(code, done);
  return code.bind(done).emit(ret()).finish();
}

/**
 * What a vector kernel needs from an instruction set: how many int32 lanes a register holds, how to
 * broadcast eax into register 0, and how to add register 0 to one register's worth of memory through
 * another register. Register 0 holds the term; registers 1 to `unroll` hold data.
 */
interface VectorInstructionSet {
  lanes: number;
  broadcastEax: () => number[][];
  /** register = [rdi + disp] + register 0, lane by lane, wrapping around at 32 bits. */
  loadAndAddTerm: (register: number, disp: number) => number[][];
  store: (disp: number, register: number) => number[];
  /** What must run before returning once the vector registers have been used. */
  leave: () => number[][];
}

/**
 * SSE2, the x86-64 baseline: every x86-64 CPU has it. Four lanes in an xmm register. The load is a
 * separate movdqu: legacy SSE's paddd would fault on a memory operand that is not 16-byte aligned.
 */
const SSE2: VectorInstructionSet = {
  lanes: 4,
  broadcastEax: () => [movdXmmR32(0, R32.eax), pshufdXmmXmmImm8(0, 0, 0)],
  loadAndAddTerm: (register, disp) => [movdquXmmAtRdi(register, disp), padddXmmXmm(register, 0)],
  store: movdquAtRdiXmm,
  leave: () => [],
};

/**
 * AVX2: eight lanes in a ymm register. VEX's vpaddd takes an unaligned memory operand, so the load folds
 * into the add; vzeroupper before returning to code that may use legacy SSE.
 */
const AVX2: VectorInstructionSet = {
  lanes: 8,
  broadcastEax: () => [vmovdXmmR32(0, R32.eax), vpbroadcastdYmmXmm(0, 0)],
  loadAndAddTerm: (register, disp) => [vpadddYmmYmmAtRdi(register, 0, disp)],
  store: vmovdquAtRdiYmm,
  leave: () => [vzeroupper()],
};

/** How many registers' worth each iteration of a vector kernel's main loop handles. */
export const UNROLL_FACTORS = [1, 2, 4] as const;
export type UnrollFactor = (typeof UNROLL_FACTORS)[number];

/**
 * Where a vector kernel's main loop starts: this many bytes past a 64-byte boundary of the page. Where a
 * loop sits against the instruction fetch and cache lines changes its speed, and on the machine we
 * measured every kernel was among its fastest 16 bytes past a boundary (docs/decisions.md, "Batch
 * kernels"; bench:jit compares it with 0).
 */
export const MAIN_LOOP_OFFSET = 16;

/**
 * A vector batch entry, `void add_all(int32_t *xs, size_t n)`, for `set` with its main loop unrolled
 * `unroll` times (lanes × unroll = L values an iteration; W = a register's width in bytes, 16 or 32):
 *
 *           mov eax, term               ; or mov eax, term ^ key; xor eax, key
 *           test rsi, rsi               ; n == 0: nothing to do
 *           jz early
 *           test dil, 3                 ; xs not a multiple of 4 (a request's body where it arrived,
 *           jnz aligned                 ;   say): no peel can align it, so no peel
 *   peel:   test dil, W - 1             ; one value at a time until xs is a multiple of W: then no
 *           jz aligned                  ;   access of the vector loops straddles two cache lines
 *           add dword [rdi], eax
 *           add rdi, 4
 *           dec rsi
 *           jnz peel
 *   early:  ret                         ; all n values done before xs was aligned; no vector register used
 *           int3 ...                    ; padding, never executed: puts `main` at loopOffset
 *   aligned: (broadcast eax into v0)    ; movd + pshufd, or vmovd + vpbroadcastd
 *           mov rcx, rsi                ; rcx = n / L iterations of the main loop
 *           shr rcx, log2(L)
 *           jz after
 *   main:   v1 = [rdi] + v0             ; load-add-store one register at a time (measured faster
 *           store v1 at [rdi]           ;   than all loads, then all adds, then all stores)
 *           ... v2 at [rdi + W], up to vU
 *           add rdi, L * 4
 *           dec rcx
 *           jnz main
 *   after:  and esi, L - 1              ; unroll > 1 only: the n % L values left,
 *           mov rcx, rsi                ;   one register at a time, fewer than unroll times
 *           shr rcx, log2(lanes)
 *           jz tail
 *   single: v1 = [rdi] + v0; store v1 at [rdi]
 *           add rdi, W
 *           dec rcx
 *           jnz single
 *   tail:   and esi, lanes - 1          ; fewer than lanes values left, one by one
 *           (emitScalarLoop)
 *   done:   vzeroupper                  ; AVX2 only
 *           ret
 *
 * Loads and stores are unaligned ones all the same (movdqu, vmovdqu, vpaddd's VEX memory operand), so an
 * array whose address is not a multiple of 4, which no peel can align, goes straight to the vector loops.
 * rcx and the vector registers are caller-saved in the System V ABI, so nothing needs saving; eax keeps
 * the term for the scalar tail.
 */
function vectorBatchAdder(
  set: VectorInstructionSet,
  unroll: UnrollFactor,
  loopOffset: number,
  term: number,
  key: number | undefined,
): EncodedCode {
  const width = set.lanes * 4;
  const code = new CodeBuffer();
  const peel = code.label();
  const early = code.label();
  const aligned = code.label();
  const main = code.label();
  const after = code.label();
  const tail = code.label();
  const done = code.label();
  const addAndStore = (register: number, disp: number) => [
    ...set.loadAndAddTerm(register, disp),
    set.store(disp, register),
  ];
  emitLoadTermIntoEax(code, term, key);
  code.emit(testRsiRsi()).branch(jzRel8, early);
  // An address that is not a multiple of 4 never gets aligned by the peel: go straight to the vectors.
  code.emit(testDilImm8(3)).branch(jnzRel8, aligned);
  code
    .bind(peel)
    .emit(testDilImm8(width - 1))
    .branch(jzRel8, aligned);
  code.emit(addDwordAtRdiEax(), addRdiImm8(4), decRsi()).branch(jnzRel8, peel);
  code.bind(early).emit(ret());
  const prelude = [...set.broadcastEax(), movRcxRsi(), shrRcxImm8(Math.log2(set.lanes * unroll))];
  const mainAt = BATCH_ADDER_ENTRY + code.length + prelude.flat().length + jzRel8(0).length;
  code.emit(new Array((loopOffset - (mainAt % 64) + 64) % 64).fill(INT3));
  code
    .bind(aligned)
    .emit(...prelude)
    .branch(jzRel8, after);
  code.bind(main);
  for (let register = 1; register <= unroll; register += 1) {
    code.emit(...addAndStore(register, (register - 1) * width));
  }
  code.emit(addRdi(width * unroll), decRcx()).branch(jnzRel8, main);
  code.bind(after);
  if (unroll > 1) {
    const single = code.label();
    code.emit(andEsiImm8(set.lanes * unroll - 1), movRcxRsi(), shrRcxImm8(Math.log2(set.lanes)));
    code.branch(jzRel8, tail);
    code
      .bind(single)
      .emit(...addAndStore(1, 0), addRdi(width), decRcx())
      .branch(jnzRel8, single);
  }
  code.bind(tail).emit(andEsiImm8(set.lanes - 1));
  emitScalarLoop(code, done);
  return code
    .bind(done)
    .emit(...set.leave(), ret())
    .finish();
}

/** `add rdi, bytes` in its short form when the stride fits a signed byte. */
function addRdi(bytes: number): number[] {
  return bytes <= 127 ? addRdiImm8(bytes) : addRdiImm32(bytes);
}

/** The levels of x86-64 batch kernel: a loop over int32s, or over SSE2's or AVX2's registers of them. */
export type X86Level = 'scalar' | 'sse2' | 'avx2';

/** Makes a batch entry's code, and where its immediates sit, for a term (and blinding key). */
export type BatchKernel = (term: number, key: number | undefined) => EncodedCode;

/**
 * The batch kernel of `level`, its main loop unrolled `unroll` times and starting `loopOffset` bytes past
 * a 64-byte boundary (the scalar loop is neither unrolled nor placed).
 */
export function batchKernel(
  level: X86Level,
  unroll: UnrollFactor,
  loopOffset: number = MAIN_LOOP_OFFSET,
): BatchKernel {
  if (!UNROLL_FACTORS.includes(unroll)) throw new RangeError(`unroll must be 1, 2 or 4, got ${unroll}`);
  if (!Number.isInteger(loopOffset) || loopOffset < 0 || loopOffset > 63)
    throw new RangeError(`loopOffset must be 0 to 63, got ${loopOffset}`);
  if (level === 'scalar') return scalarBatchAdder;
  const set = level === 'avx2' ? AVX2 : SSE2;
  return (term, key) => vectorBatchAdder(set, unroll, loopOffset, term, key);
}

/** Where each entry point starts in an adder's page. 16-byte aligned, as compilers align functions. */
export const ADDER_ENTRY = 0;
export const BATCH_ADDER_ENTRY = 16;

/** The entry points of an adder page, as GET /adders/:n describes them. The same at every level. */
export const ADDER_PAGE_ENTRIES = [
  {
    name: 'apply',
    offset: ADDER_ENTRY,
    signature: 'int32_t apply(int32_t x)',
    registers: 'x arrives in edi (the low half of rdi); the result leaves in eax',
  },
  {
    name: 'applyAll',
    offset: BATCH_ADDER_ENTRY,
    signature: 'void applyAll(int32_t *xs, size_t n)',
    registers: 'xs arrives in rdi and n in rsi; the values are added to in place',
  },
] as const;

export function layout(entries: Array<[offset: number, code: Uint8Array]>): Uint8Array {
  const last = entries.at(-1);
  const length = last ? last[0] + last[1].length : 0;
  const code = new Uint8Array(length).fill(INT3);
  for (const [offset, bytes] of entries) code.set(bytes, offset);
  return code;
}

/**
 * The whole code of one term's page: the adder at ADDER_ENTRY and `batch`'s kernel at BATCH_ADDER_ENTRY,
 * with int3 between them, and where its immediates sit. Without a key the adder is the seed's eleven
 * bytes, unchanged; with a blinding key both entries load the term as `term ^ key` and undo the xor.
 */
export function composePage(batch: BatchKernel, term: number, key?: number): EncodedCode {
  const apply = adder(term, key);
  const applyAll = batch(term, key);
  if (ADDER_ENTRY + apply.code.length > BATCH_ADDER_ENTRY)
    throw new Error('the adder overlaps the batch entry');
  const at = (entry: number, { slices }: EncodedCode) =>
    slices.map((slice) => ({ ...slice, offset: entry + slice.offset }));
  return {
    code: layout([
      [ADDER_ENTRY, apply.code],
      [BATCH_ADDER_ENTRY, applyAll.code],
    ]),
    slices: [...at(ADDER_ENTRY, apply), ...at(BATCH_ADDER_ENTRY, applyAll)],
  };
}
