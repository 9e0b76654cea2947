/**
 * The adder's page: where its two entry points sit and the code at each, built from the encoders in
 * instructions.ts. The seed's adder and its blinded form, the batch loop, and the fast path every compile
 * takes (a template with the immediates written in).
 */
import { assertInt32 } from '../int32.js';
import {
  addDwordAtRdiEax,
  addEaxEdi,
  addRaxRdi,
  addRdiImm8,
  decRsi,
  INT3,
  jnzRel8,
  jzRel8,
  movEaxImm32,
  movRaxImm32,
  ret,
  testRsiRsi,
  xorEaxImm32,
} from './instructions.js';

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
  assertInt32(term, 'term');
  return Uint8Array.from([...movRaxImm32(term), ...addRaxRdi(), ...ret()]);
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
  assertInt32(term, 'term');
  return Uint8Array.from([...movEaxImm32(term ^ key), ...xorEaxImm32(key), ...addEaxEdi(), ...ret()]);
}

/** `mov eax, term`, or with a key `mov eax, term ^ key; xor eax, key`: eax = term either way. */
function loadTermIntoEax(term: number, key: number | undefined): number[] {
  assertInt32(term, 'term');
  return key === undefined ? movEaxImm32(term) : [...movEaxImm32(term ^ key), ...xorEaxImm32(key)];
}

/**
 * The batch entry, `void add_all(int32_t *xs, size_t n)`: adds term to each of n int32s in place, one
 * FFI call for a whole batch instead of one per value. With a blinding key, the first line is
 * `mov eax, term ^ key; xor eax, key`.
 *
 *         mov eax, term
 *         test rsi, rsi          ; n == 0: nothing to do
 *         jz done
 *   loop: add dword [rdi], eax   ; 32-bit add to memory: wraps around like the adder
 *         add rdi, 4
 *         dec rsi
 *         jnz loop
 *   done: ret
 */
export function encodeBatchAdder(term: number, key?: number): Uint8Array {
  const body = [...addDwordAtRdiEax(), ...addRdiImm8(4), ...decRsi()];
  const backToLoop = -(body.length + jnzRel8(0).length);
  const loop = [...body, ...jnzRel8(backToLoop)];
  return Uint8Array.from([
    ...loadTermIntoEax(term, key),
    ...testRsiRsi(),
    ...jzRel8(loop.length),
    ...loop,
    ...ret(),
  ]);
}

/** Where each entry point starts in an adder's page. 16-byte aligned, as compilers align functions. */
export const ADDER_ENTRY = 0;
export const BATCH_ADDER_ENTRY = 16;

/** The entry points of an adder page, as GET /adders/:n describes them. */
export const ADDER_PAGE_ENTRIES = [
  { name: 'apply', offset: ADDER_ENTRY, signature: 'int32_t apply(int32_t x)' },
  { name: 'applyAll', offset: BATCH_ADDER_ENTRY, signature: 'void applyAll(int32_t *xs, size_t n)' },
] as const;

export function layout(entries: Array<[offset: number, code: Uint8Array]>): Uint8Array {
  const last = entries.at(-1);
  const length = last ? last[0] + last[1].length : 0;
  const code = new Uint8Array(length).fill(INT3);
  for (const [offset, bytes] of entries) code.set(bytes, offset);
  return code;
}

/**
 * The whole code of one term's page: the adder at ADDER_ENTRY and the batch adder at BATCH_ADDER_ENTRY,
 * with int3 between them. Without a key the adder is the seed's eleven bytes, unchanged; with a blinding
 * key both entries load the term as `term ^ key` and undo the xor. This is the definition;
 * encodeAdderPage is the fast path that every compile takes, and a test holds the two equal.
 */
export function composeAdderPage(term: number, key?: number): Uint8Array {
  return layout([
    [ADDER_ENTRY, key === undefined ? encodeAdder(term) : encodeBlindedAdder(term, key)],
    [BATCH_ADDER_ENTRY, encodeBatchAdder(term, key)],
  ]);
}

/** Where the immediates sit in an adder page, seed and blinded; each is a 4-byte little-endian field. */
const SEED_TERM_FIELDS = [ADDER_ENTRY + 3, BATCH_ADDER_ENTRY + 1] as const; // after 48 c7 c0 and after b8
const BLINDED_TERM_FIELDS = [ADDER_ENTRY + 1, BATCH_ADDER_ENTRY + 1] as const; // after b8 (mov eax)
const BLINDED_KEY_FIELDS = [ADDER_ENTRY + 6, BATCH_ADDER_ENTRY + 6] as const; // after 35 (xor eax)
/** Offsets of every 4-byte immediate a blinded page holds (the blinded terms and the keys). */
export const BLINDED_IMMEDIATE_OFFSETS: readonly number[] = [...BLINDED_TERM_FIELDS, ...BLINDED_KEY_FIELDS];

let seedPageTemplate: Uint8Array | undefined;
let blindedPageTemplate: Uint8Array | undefined;

/**
 * composeAdderPage(term, key), made by copying the page composed once for term 0 and writing the
 * immediates into it: a compile happens on every cold request, and composing the page from instruction
 * arrays each time cost more than a microsecond of it.
 */
export function encodeAdderPage(term: number, key?: number): Uint8Array {
  assertInt32(term, 'term');
  if (key === undefined) {
    seedPageTemplate ??= composeAdderPage(0);
    return withFields(seedPageTemplate, SEED_TERM_FIELDS, term);
  }
  assertInt32(key, 'key');
  blindedPageTemplate ??= composeAdderPage(0, 0);
  const code = withFields(blindedPageTemplate, BLINDED_TERM_FIELDS, term ^ key);
  for (const offset of BLINDED_KEY_FIELDS) writeLittleEndian32(code, offset, key);
  return code;
}

function withFields(template: Uint8Array, offsets: readonly number[], value: number): Uint8Array {
  const code = template.slice();
  for (const offset of offsets) writeLittleEndian32(code, offset, value);
  return code;
}

function writeLittleEndian32(code: Uint8Array, offset: number, value: number): void {
  code[offset] = value & 0xff;
  code[offset + 1] = (value >>> 8) & 0xff;
  code[offset + 2] = (value >>> 16) & 0xff;
  code[offset + 3] = (value >>> 24) & 0xff;
}
