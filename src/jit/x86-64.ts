/**
 * x86-64 instruction encoders: pure functions from operands to bytes (plain arrays, cheap to build and
 * join; only the finished code becomes a Uint8Array). Each is named after the one
 * instruction it emits, and its comment explains every byte, so that the adder's eleven bytes can be checked
 * by eye against the Intel SDM (Vol. 2) without running anything.
 */
import { assertInt32 } from '../int32.js';

/** REX prefix with W=1: the instruction operates on 64-bit registers (rax, rdi) instead of 32-bit ones. */
const REX_W = 0x48;

/** `mov rax, imm32` = 48 C7 C0 id. Opcode C7 /0 with ModRM C0 (mod=11, reg=/0, rm=000 rax); the
 * immediate is 4 bytes little-endian and the CPU sign-extends it to 64 bits, so negative terms are exact. */
export function movRaxImm32(imm: number): number[] {
  assertInt32(imm, 'imm32');
  return [REX_W, 0xc7, 0xc0, ...littleEndian32(imm)];
}

/** The four bytes of a 32-bit value, least significant first (x86 is little-endian). */
export function littleEndian32(value: number): number[] {
  return [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff];
}

/** `add rax, rdi` = 48 01 F8. Opcode 01 /r (ADD r/m64, r64) with ModRM F8 (mod=11, reg=111 rdi, rm=000
 * rax). The System V AMD64 ABI passes the first integer argument in rdi, so this adds the caller's x. */
export function addRaxRdi(): number[] {
  return [REX_W, 0x01, 0xf8];
}

/** `ret` = C3: near return. The ABI returns integers in rax; an int32_t result is its low half, eax. */
export function ret(): number[] {
  return [0xc3];
}

/** `jmp rsi` = FF E6. Opcode FF /4 (JMP r/m64) with ModRM E6 (mod=11, reg=/4, rm=110 rsi). rsi holds the
 * second integer argument, so a function `f(x, target)` made of this one instruction tail-jumps to
 * `target` with x still in rdi and the caller's return address still on the stack. */
export function jmpRsi(): number[] {
  return [0xff, 0xe6];
}

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

/** `mov eax, imm32` = B8 id: opcode B8+rd with rd=000 (eax). Writing eax also zeroes rax's upper half. */
export function movEaxImm32(imm: number): number[] {
  assertInt32(imm, 'imm32');
  return [0xb8, ...littleEndian32(imm)];
}

/** `test rsi, rsi` = 48 85 F6: opcode 85 /r (TEST r/m64, r64), ModRM F6 (mod=11, reg=110 rsi, rm=110 rsi). */
export function testRsiRsi(): number[] {
  return [REX_W, 0x85, 0xf6];
}

/** `add dword [rdi], eax` = 01 07: opcode 01 /r with ModRM 07 (mod=00 memory, reg=000 eax, rm=111 [rdi]).
 * A 32-bit add to memory: it wraps around exactly like the adder's eax. */
export function addDwordAtRdiEax(): number[] {
  return [0x01, 0x07];
}

/** `add rdi, imm8` = 48 83 C7 ib: opcode 83 /0 ib with ModRM C7 (mod=11, /0, rm=111 rdi). */
export function addRdiImm8(imm: number): number[] {
  if (!Number.isInteger(imm) || imm < -128 || imm > 127)
    throw new RangeError(`imm8 must be -128..127, got ${imm}`);
  return [REX_W, 0x83, 0xc7, imm & 0xff];
}

/** `dec rsi` = 48 FF CE: opcode FF /1 with ModRM CE (mod=11, /1, rm=110 rsi). Sets ZF when rsi reaches 0. */
export function decRsi(): number[] {
  return [REX_W, 0xff, 0xce];
}

/** A short conditional jump: `jz rel8` = 74 cb, `jnz rel8` = 75 cb; rel8 counts from the next instruction. */
function jccRel8(opcode: number, rel: number): number[] {
  if (!Number.isInteger(rel) || rel < -128 || rel > 127)
    throw new RangeError(`rel8 must be -128..127, got ${rel}`);
  return [opcode, rel & 0xff];
}
export const jzRel8 = (rel: number) => jccRel8(0x74, rel);
export const jnzRel8 = (rel: number) => jccRel8(0x75, rel);

/** `xor eax, imm32` = 35 id: the short form for eax (XOR EAX, imm32). Like every 32-bit operation it zeroes
 * rax's upper half. */
export function xorEaxImm32(imm: number): number[] {
  assertInt32(imm, 'imm32');
  return [0x35, ...littleEndian32(imm)];
}

/** `add eax, edi` = 01 F8: opcode 01 /r without REX.W, ModRM F8 (mod=11, reg=111 edi, rm=000 eax). A 32-bit
 * add: it wraps around at int32 by itself. */
export function addEaxEdi(): number[] {
  return [0x01, 0xf8];
}

/** `jmp rdx` = FF E2: opcode FF /4 with ModRM E2 (mod=11, /4, rm=010 rdx), rdx being the third argument. */
export function jmpRdx(): number[] {
  return [0xff, 0xe2];
}

/** `int3` = CC: traps. Fills the gaps between entry points, so that a jump into a gap stops at once. */
export const INT3 = 0xcc;

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

function layout(entries: Array<[offset: number, code: Uint8Array]>): Uint8Array {
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

/**
 * The call gates' page. `int32_t gate(int32_t x, uintptr_t target)` at CALL_GATE_ENTRY jumps to target
 * with x in rdi; `void batch_gate(int32_t *xs, size_t n, uintptr_t target)` at BATCH_CALL_GATE_ENTRY
 * jumps to target with xs and n in rdi and rsi. See page.ts for why calls go through gates.
 */
export const CALL_GATE_ENTRY = 0;
export const BATCH_CALL_GATE_ENTRY = 16;

export function encodeCallGates(): Uint8Array {
  return layout([
    [CALL_GATE_ENTRY, Uint8Array.from(jmpRsi())],
    [BATCH_CALL_GATE_ENTRY, Uint8Array.from(jmpRdx())],
  ]);
}
