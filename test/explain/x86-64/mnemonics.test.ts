/**
 * The plain-language line and the reference page of every mnemonic in the phrase table, on instructions
 * encoded by hand (Intel SDM Vol. 2) and decoded by annotate: each line is what the instruction does,
 * written out here from the manual in the table's notation (d ← a op b, flags ← …, if <condition>: …).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { annotate } from '../../../src/explain/x86-64/annotate.js';
import type { DecodedFacts } from '../../../src/explain/x86-64/facts.js';
import {
  MNEMONICS,
  operationFor,
  REFERENCE_BASE_URL,
  referenceFor,
} from '../../../src/explain/x86-64/mnemonics.js';
import { fromHex } from '../../support/hex-code.js';

/** The one instruction `hex` decodes to, annotated. */
function annotated(hex: string) {
  const instructions = annotate(fromHex(hex));
  assert.equal(instructions.length, 1, `${hex} is one instruction`);
  return instructions[0] as NonNullable<(typeof instructions)[0]>;
}

/** [bytes, the decoder's text, the line, the reference page under REFERENCE_BASE_URL (null: none)]. */
const LINES: Array<[string, string, string, string | null]> = [
  ['48 89 f8', 'mov rax, rdi', 'rax ← rdi', 'mov'],
  // MOV to and from control registers has a page of its own, which the table does not link.
  ['0f 20 c0', 'mov rax, cr0', 'rax ← cr0', null],
  ['29 f8', 'sub eax, edi', 'eax ← eax − edi', 'sub'],
  ['31 c0', 'xor eax, eax', 'eax ← eax ^ eax', 'xor'],
  ['21 f8', 'and eax, edi', 'eax ← eax & edi', 'and'],
  ['09 f8', 'or eax, edi', 'eax ← eax | edi', 'or'],
  ['ff c0', 'inc eax', 'eax ← eax + 1', 'inc'],
  ['48 ff ce', 'dec rsi', 'rsi ← rsi − 1', 'dec'],
  ['85 c0', 'test eax, eax', 'flags ← eax & eax (result discarded)', 'test'],
  ['39 f8', 'cmp eax, edi', 'flags ← eax − edi (result discarded)', 'cmp'],
  ['48 8d 04 8f', 'lea rax, [rdi+rcx*4]', 'rax ← rdi+rcx*4 (the address itself, no memory read)', 'lea'],
  // RIP-relative: the decoder shows the address (ip 0 + 7 bytes + disp 0) as `rel 7`.
  ['48 8d 05 00 00 00 00', 'lea rax, [rel 7]', 'rax ← 7 (the address itself, no memory read)', 'lea'],
  ['53', 'push rbx', 'push rbx onto the stack', 'push'],
  ['5b', 'pop rbx', 'rbx ← pop from the stack', 'pop'],
  ['ff e0', 'jmp rax', 'jump to the address in rax', 'jmp'],
  ['ff 27', 'jmp qword [rdi]', 'jump to the address in qword [rdi]', 'jmp'],
  // A far jump loads a selector too: no line of the table's.
  ['ff 2f', 'jmp dword far [rdi]', 'JMP m16:32 (no plain-language line for this form)', 'jmp'],
  // rel32 0x80000000 from the next instruction at 5: 5 - 2^31, a negative offset.
  ['e9 00 00 00 80', 'jmp 0xffffffff80000005', 'jump to -0x7ffffffb', 'jmp'],
  ['e8 00 00 00 00', 'call 5', 'push the return address, jump to 0x5', 'call'],
  ['ff d0', 'call rax', 'push the return address, jump to the address in rax', 'call'],
  ['c3', 'ret', 'return', 'ret'],
  ['90', 'nop', 'no operation', 'nop'],
  ['cc', 'int3', 'trap (int3)', 'intn:into:int3:int1'],
  ['0f a2', 'cpuid', 'eax, ebx, ecx, edx ← processor identification for leaf eax, subleaf ecx', 'cpuid'],
  ['0f 01 d0', 'xgetbv', 'edx:eax ← extended control register XCR[ecx]', 'xgetbv'],
  ['c5 f8 77', 'vzeroupper', 'zero bits 255:128 of every ymm register', 'vzeroupper'],
  ['66 0f fe c1', 'paddd xmm0, xmm1', 'xmm0 ← xmm0 + xmm1 (4 × int32)', 'paddb:paddw:paddd:paddq'],
  ['c5 fd fe c1', 'vpaddd ymm0, ymm0, ymm1', 'ymm0 ← ymm0 + ymm1 (8 × int32)', 'paddb:paddw:paddd:paddq'],
  [
    'c4 e2 7d 58 c0',
    'vpbroadcastd ymm0, xmm0',
    'ymm0 ← xmm0[31:0] in each of its 8 int32 lanes',
    'vpbroadcast',
  ],
  ['c4 e2 7d 58 07', 'vpbroadcastd ymm0, [rdi]', 'ymm0 ← [rdi] in each of its 8 int32 lanes', 'vpbroadcast'],
  ['f3 0f 6f c1', 'movdqu xmm0, xmm1', 'xmm0 ← xmm1', 'movdqu:vmovdqu8:vmovdqu16:vmovdqu32:vmovdqu64'],
  ['c5 fe 6f c1', 'vmovdqu ymm0, ymm1', 'ymm0 ← ymm1', 'movdqu:vmovdqu8:vmovdqu16:vmovdqu32:vmovdqu64'],
  ['66 0f 6f c1', 'movdqa xmm0, xmm1', 'xmm0 ← xmm1', 'movdqa:vmovdqa32:vmovdqa64'],
  ['c5 fd 6f c1', 'vmovdqa ymm0, ymm1', 'ymm0 ← ymm1', 'movdqa:vmovdqa32:vmovdqa64'],
  ['66 0f 6e c0', 'movd xmm0, eax', 'xmm0 ← eax, zero-extended to 128 bits', 'movd:movq'],
  ['66 0f 7e c0', 'movd eax, xmm0', 'eax ← xmm0[31:0]', 'movd:movq'],
  ['c5 f9 6e c0', 'vmovd xmm0, eax', 'xmm0 ← eax, zero-extended to 128 bits', 'movd:movq'],
  ['c5 f9 7e c0', 'vmovd eax, xmm0', 'eax ← xmm0[31:0]', 'movd:movq'],
  // Order 0x1b = 00 01 10 11: lanes 3, 2, 1, 0 (lane 0's selector in the low two bits).
  [
    '66 0f 70 c0 1b',
    'pshufd xmm0, xmm0, 0x1b',
    'xmm0 ← int32 lanes 3, 2, 1, 0 of xmm0 (lane 0 first)',
    'pshufd',
  ],
  // 0x4e = 01 00 11 10: lanes 2, 3, 0, 1.
  [
    'c5 fd 70 c1 4e',
    'vpshufd ymm0, ymm1, 0x4e',
    'ymm0 ← int32 lanes 2, 3, 0, 1 of ymm1 (lane 0 first, in each 128-bit half)',
    'pshufd',
  ],
  ['f0 01 07', 'lock add [rdi], eax', '[rdi] ← [rdi] + eax, atomically', 'add'],
  ['0f 0b', 'ud2', 'UD2 (no plain-language line for this form)', null],
];

/** Every conditional jump, rel8 0 (to the next instruction, at 2), opcodes 70 to 7F in the SDM's order. */
const CONDITIONS: Array<[string, string]> = [
  ['jo', 'OF = 1'],
  ['jno', 'OF = 0'],
  ['jb', 'CF = 1'],
  ['jae', 'CF = 0'],
  ['je', 'ZF = 1'],
  ['jne', 'ZF = 0'],
  ['jbe', 'CF = 1 or ZF = 1'],
  ['ja', 'CF = 0 and ZF = 0'],
  ['js', 'SF = 1'],
  ['jns', 'SF = 0'],
  ['jp', 'PF = 1'],
  ['jnp', 'PF = 0'],
  ['jl', 'SF ≠ OF'],
  ['jge', 'SF = OF'],
  ['jle', 'ZF = 1 or SF ≠ OF'],
  ['jg', 'ZF = 0 and SF = OF'],
];

describe('the phrase table', () => {
  for (const [hex, text, line, page] of LINES) {
    it(`says what ${text} does, and links ${page ?? 'no page'}`, () => {
      const instruction = annotated(hex);
      assert.equal(instruction.text, text, 'the decoder reads the bytes as intended');
      assert.equal(instruction.operation, line);
      assert.equal(instruction.reference, page === null ? null : REFERENCE_BASE_URL + page);
    });
  }

  it('gives every conditional jump its condition and its target', () => {
    CONDITIONS.forEach(([name, condition], index) => {
      const instruction = annotated(`${(0x70 + index).toString(16)} 00`);
      assert.equal(instruction.text, `${name} short 2`);
      assert.equal(instruction.operation, `if ${condition}: jump to 0x2`);
      assert.equal(instruction.reference, `${REFERENCE_BASE_URL}jcc`);
    });
  });

  it('has a line for every mnemonic it lists', () => {
    const covered = new Set([
      ...LINES.map(([hex]) => annotated(hex).mnemonic),
      ...CONDITIONS.map(([name]) => name[0]?.toUpperCase() + name.slice(1)),
    ]);
    assert.deepEqual(
      Object.keys(MNEMONICS).filter((mnemonic) => !covered.has(mnemonic)),
      [],
    );
  });
});

describe('operationFor on forms the decoder can report but annotate refuses', () => {
  // `add eax, edi` as the decoder reports it, the REP and REPNE flags set by hand: a REP changes what an
  // instruction does, so the phrase (eax ← eax + edi) must not be given for it.
  const add = (prefixes: Partial<DecodedFacts['prefixes']>) =>
    ({
      mnemonic: 'Add',
      opCode: { instructionString: 'ADD r/m32, r32' },
      operands: [
        { encoding: 'r32_or_mem', text: 'eax', memory: false },
        { encoding: 'r32_reg', text: 'edi', memory: false },
      ],
      prefixes: { lock: false, rep: false, repne: false, ...prefixes },
    }) as unknown as DecodedFacts;

  it('gives the generic line for an instruction with a REP or REPNE prefix', () => {
    assert.equal(operationFor(add({})), 'eax ← eax + edi');
    for (const prefix of [{ rep: true }, { repne: true }]) {
      assert.equal(operationFor(add(prefix)), 'ADD r/m32, r32 (no plain-language line for this form)');
    }
  });

  it('links no page for a mnemonic outside the table', () => {
    assert.equal(referenceFor({ ...add({}), mnemonic: 'Ud2' }), null);
    assert.equal(referenceFor(add({})), `${REFERENCE_BASE_URL}add`);
  });
});
