import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  type AnnotatedInstruction,
  AnnotationError,
  type EncodingField,
} from '../../../src/explain/annotation.js';
import { annotate } from '../../../src/explain/x86-64/annotate.js';
import { toHex } from '../../../src/jit/hex.js';
import { BATCH_ADDER_ENTRY } from '../../../src/jit/x86-64/adder-page.js';
import { X86_64_CALL_GATES } from '../../../src/jit/x86-64/call-gates.js';
import { fromHex, refusal } from '../../support/hex-code.js';
import { disassemble } from '../../support/x86-decoding.js';
import { encodeAdderPage } from '../../support/x86-pages.js';

const int32 = fc.integer({ min: -2147483648, max: 2147483647 });
const REFERENCE = 'https://www.felixcloutier.com/x86/';

/** A field's bytes read little-endian as a signed integer of the field's width. */
function signedLittleEndian(field: EncodingField): number {
  const bytes = fromHex(field.bytes);
  const unsigned = bytes.reduceRight((value, byte) => value * 256 + byte, 0);
  const width = 2 ** (8 * bytes.length);
  return unsigned >= width / 2 ? unsigned - width : unsigned;
}

function bitsOf(field: EncodingField | undefined): Record<string, string> {
  return Object.fromEntries((field?.bits ?? []).map((bits) => [bits.name, bits.value]));
}

function field(instruction: AnnotatedInstruction | undefined, kind: EncodingField['kind']): EncodingField {
  const found = instruction?.fields.find((candidate) => candidate.kind === kind);
  assert.ok(found, `${instruction?.text} has a ${kind} field`);
  return found;
}

/**
 * Checked here independently of the service's own check: each instruction's fields start at 0, follow one
 * another, and their bytes joined are the instruction's bytes; the instructions in turn cover the code.
 */
function assertTiles(annotated: AnnotatedInstruction[], code: Uint8Array): void {
  let offset = 0;
  for (const instruction of annotated) {
    assert.equal(instruction.offset, offset, `${instruction.text} starts where the previous one ended`);
    assert.equal(instruction.bytes, toHex(code.subarray(offset, offset + instruction.length)));
    let within = 0;
    for (const { offset: fieldOffset, length } of instruction.fields) {
      assert.equal(fieldOffset, within, `${instruction.text}: fields are contiguous`);
      within += length;
    }
    assert.equal(within, instruction.length, `${instruction.text}: fields cover the instruction`);
    assert.equal(instruction.fields.map((each) => each.bytes).join(' '), instruction.bytes);
    offset += instruction.length;
  }
  assert.equal(offset, code.length, 'the instructions cover the code');
}

/**
 * The opcode bytes as iced's opcode string writes them, e.g. "o64 C7 /0 id" → C7, "66 0F FE /r" → 0F FE,
 * "VEX.256.66.0F.WIG FE /r" → FE: a reading of the string made here, apart from how the service finds the
 * opcode. `+rd` opcodes come back with their register bits, which the caller masks off.
 */
function opcodeBytesOf(opCodeString: string): Array<{ byte: number; plusRegister: boolean }> {
  const tokens = opCodeString.split(' ');
  const prefixes = /^(o16|o32|o64|a16|a32|a64|NP|66|F2|F3|REX\.W|VEX\..*)$/;
  while (tokens[0] !== undefined && prefixes.test(tokens[0])) tokens.shift();
  const bytes: Array<{ byte: number; plusRegister: boolean }> = [];
  for (const token of tokens) {
    const match = /^([0-9A-F]{2})(\+r[bwdo])?$/.exec(token);
    if (!match) break;
    bytes.push({ byte: Number.parseInt(match[1] ?? '', 16), plusRegister: match[2] !== undefined });
  }
  return bytes;
}

const GPR64 = /^(r[a-d]x|r[sd]i|r[sb]p|r\d+)$/;
const GPR32 = /^(e[a-d]x|e[sd]i|e[sb]p|r\d+d)$/;

/** The instruction's operands as the decoder's text gives them: "add rdi, 4" → ["rdi", "4"]. */
function operandsOf(text: string): string[] {
  const [, operands = ''] = /^\S+\s*(.*)$/.exec(text) ?? [];
  return operands === '' ? [] : operands.split(', ');
}

describe('disassemble', () => {
  it('gives each instruction its offset, bytes, text and mnemonic', () => {
    assert.deepEqual(disassemble(fromHex('48 c7 c0 fc ff ff ff 48 01 f8 c3')), [
      { offset: 0, bytes: '48 c7 c0 fc ff ff ff', text: 'mov rax, -4', mnemonic: 'Mov' },
      { offset: 7, bytes: '48 01 f8', text: 'add rax, rdi', mnemonic: 'Add' },
      { offset: 10, bytes: 'c3', text: 'ret', mnemonic: 'Ret' },
    ]);
  });
});

describe('annotate', () => {
  it('tiles every instruction of seed pages and agrees with the decoder on immediates, REX.W and opcodes', () => {
    fc.assert(
      fc.property(int32, (term) => {
        const code = encodeAdderPage(term);
        const annotated = annotate(code);
        assertTiles(annotated, code);
        assert.deepEqual(
          annotated.map(({ offset, text }) => ({ offset, text })),
          disassemble(code).map(({ offset, text }) => ({ offset, text })),
          'the same instructions and text as disassemble',
        );

        const [movRax] = annotated;
        assert.equal(movRax?.instructionString, 'MOV r/m64, imm32');
        assert.equal(signedLittleEndian(field(movRax, 'immediate')), term);
        assert.match(field(movRax, 'immediate').description, new RegExp(`→ ${term} after sign extension`));
        const movEax = annotated.find((instruction) => instruction.offset === BATCH_ADDER_ENTRY);
        assert.equal(movEax?.instructionString, 'MOV r32, imm32');
        assert.equal(signedLittleEndian(field(movEax, 'immediate')), term);
        assertRexWMatchesOperandSize(annotated);
        assertOpcodeFieldsMatchOpcodeStrings(annotated);
      }),
      { numRuns: 300, examples: [[0], [-4], [-1], [-2147483648], [2147483647]] },
    );
  });

  it('tiles every instruction of blinded pages; their immediates are term ^ key and key', () => {
    fc.assert(
      fc.property(int32, int32, (term, key) => {
        const code = encodeAdderPage(term, key);
        const annotated = annotate(code);
        assertTiles(annotated, code);
        for (const entry of [0, BATCH_ADDER_ENTRY]) {
          const movEax = annotated.find((instruction) => instruction.offset === entry);
          const xorEax = annotated[annotated.indexOf(movEax as AnnotatedInstruction) + 1];
          assert.equal(movEax?.instructionString, 'MOV r32, imm32');
          assert.equal(signedLittleEndian(field(movEax, 'immediate')), term ^ key);
          assert.equal(xorEax?.instructionString, 'XOR EAX, imm32');
          assert.equal(signedLittleEndian(field(xorEax, 'immediate')), key);
          const [, keyText] = operandsOf(xorEax?.text ?? '');
          assert.equal(xorEax?.operation, `eax ← eax ^ ${keyText}`);
        }
        assertRexWMatchesOperandSize(annotated);
        assertOpcodeFieldsMatchOpcodeStrings(annotated);
      }),
      {
        numRuns: 300,
        examples: [
          [5, 0x11223344],
          [-1, -1],
          [0, -2147483648],
        ],
      },
    );
  });

  it('links every mnemonic the encoders emit, and those about to be emitted, to its reference page', () => {
    const pages: Record<string, string> = {
      Mov: 'mov',
      Add: 'add',
      Xor: 'xor',
      Test: 'test',
      Je: 'jcc',
      Jne: 'jcc',
      Dec: 'dec',
      Ret: 'ret',
      Int3: 'intn:into:int3:int1',
      Jmp: 'jmp',
      Vpaddd: 'paddb:paddw:paddd:paddq',
      Paddd: 'paddb:paddw:paddd:paddq',
      Vpbroadcastd: 'vpbroadcast',
      Vmovdqu: 'movdqu:vmovdqu8:vmovdqu16:vmovdqu32:vmovdqu64',
      Movdqu: 'movdqu:vmovdqu8:vmovdqu16:vmovdqu32:vmovdqu64',
      Movd: 'movd:movq',
      Pshufd: 'pshufd',
      Vzeroupper: 'vzeroupper',
      Cpuid: 'cpuid',
      Xgetbv: 'xgetbv',
    };
    const emitted = [
      encodeAdderPage(-4),
      encodeAdderPage(-4, 0x5a5a5a5a),
      X86_64_CALL_GATES.encode(),
      ...HAND_ENCODED.map(({ hex }) => fromHex(hex)),
    ].flatMap((code) => annotate(code));
    const mnemonics = new Set(emitted.map((instruction) => instruction.mnemonic));
    assert.deepEqual([...mnemonics].sort(), Object.keys(pages).sort(), 'every emitted mnemonic is checked');
    for (const instruction of emitted) {
      assert.equal(instruction.reference, REFERENCE + pages[instruction.mnemonic], instruction.text);
    }
  });

  it('phrases the batch loop as the operations it performs', () => {
    const annotated = annotate(encodeAdderPage(-4)).filter(
      (instruction) => instruction.offset >= BATCH_ADDER_ENTRY,
    );
    const operationOf = (text: string) =>
      annotated.find((instruction) => instruction.text === text)?.operation;
    assert.equal(operationOf('add [rdi], eax'), '[rdi] ← [rdi] + eax');
    assert.equal(operationOf('add rdi, 4'), 'rdi ← rdi + 4');
    assert.equal(operationOf('dec rsi'), 'rsi ← rsi − 1');
    assert.equal(operationOf('ret'), 'return');
    const jne = annotated.find((instruction) => instruction.mnemonic === 'Jne');
    const loopStart = annotated.find((instruction) => instruction.text === 'add [rdi], eax');
    assert.equal(jne?.operation, `if ZF = 0: jump to 0x${loopStart?.offset.toString(16)}`);
    assert.match(
      field(jne, 'immediate').description,
      new RegExp(`target 0x${loopStart?.offset.toString(16)}$`),
    );
  });

  it('gives an instruction outside the phrase table a generic line naming its form, and no reference', () => {
    const [ud2] = annotate(fromHex('0f 0b'));
    assert.equal(ud2?.mnemonic, 'Ud2');
    assert.equal(ud2?.reference, null);
    assert.ok(ud2?.operation.startsWith(ud2.instructionString));
  });
});

/** 64-bit general-purpose operands need REX.W = 1 (branches aside); 32-bit ones have no REX.W. */
function assertRexWMatchesOperandSize(annotated: AnnotatedInstruction[]): void {
  for (const instruction of annotated) {
    const operands = operandsOf(instruction.text);
    const rex = instruction.fields.find((each) => each.kind === 'rex');
    if (operands.some((operand) => GPR64.test(operand)) && !/^j/.test(instruction.text)) {
      assert.equal(bitsOf(rex).W, '1', `${instruction.text} has REX.W = 1`);
    }
    if (operands.some((operand) => GPR32.test(operand))) {
      assert.notEqual(bitsOf(rex).W, '1', `${instruction.text} has no REX.W`);
    }
  }
}

function assertOpcodeFieldsMatchOpcodeStrings(annotated: AnnotatedInstruction[]): void {
  for (const instruction of annotated) {
    const expected = opcodeBytesOf(instruction.opCodeString);
    const actual = fromHex(field(instruction, 'opcode').bytes);
    assert.equal(actual.length, expected.length, `${instruction.text}: ${instruction.opCodeString}`);
    expected.forEach(({ byte, plusRegister }, i) => {
      assert.equal(plusRegister ? (actual[i] ?? 0) & 0xf8 : actual[i], byte, instruction.opCodeString);
    });
  }
}

/**
 * Instructions the project is about to emit, encoded by hand from the Intel SDM (Vol. 2, ch. 2-3). Each
 * one's text is what the decoder must read from the bytes; `bits` are the bit groups worked out by hand.
 */
const HAND_ENCODED: Array<{
  hex: string;
  text: string;
  kinds: Array<EncodingField['kind']>;
  bits?: Partial<Record<EncodingField['kind'], Record<string, string>>>;
}> = [
  {
    // C5, then R̄=1 vvvv=1111 (~0000: ymm0) L=1 pp=01 (66) = FD; opcode FE; ModRM 00 000 111 ([rdi]).
    hex: 'c5 fd fe 07',
    text: 'vpaddd ymm0, ymm0, [rdi]',
    kinds: ['vex', 'opcode', 'modrm'],
    bits: {
      vex: { R̄: '1', vvvv: '1111', L: '1', pp: '01' },
      modrm: { mod: '00', reg: '000', rm: '111' },
    },
  },
  {
    // C4, then R̄X̄B̄=111 m-mmmm=00010 (0F 38) = E2, then W=0 vvvv=1111 L=1 pp=01 = 7D; 58; ModRM 11 000 000.
    hex: 'c4 e2 7d 58 c0',
    text: 'vpbroadcastd ymm0, xmm0',
    kinds: ['vex', 'opcode', 'modrm'],
    bits: {
      vex: { R̄: '1', X̄: '1', B̄: '1', 'm-mmmm': '00010', W: '0', vvvv: '1111', L: '1', pp: '01' },
      modrm: { mod: '11', reg: '000', rm: '000' },
    },
  },
  {
    // C5, R̄=1 vvvv=1111 L=1 pp=10 (F3) = FE; 6F; ModRM 00 001 111 (ymm1, [rdi]).
    hex: 'c5 fe 6f 0f',
    text: 'vmovdqu ymm1, [rdi]',
    kinds: ['vex', 'opcode', 'modrm'],
    bits: { vex: { pp: '10', L: '1' }, modrm: { mod: '00', reg: '001', rm: '111' } },
  },
  {
    // As above with 7F (store) and ModRM 01 001 111: [rdi] + disp8 20.
    hex: 'c5 fe 7f 4f 20',
    text: 'vmovdqu [rdi+0x20], ymm1',
    kinds: ['vex', 'opcode', 'modrm', 'displacement'],
    bits: { modrm: { mod: '01', reg: '001', rm: '111' } },
  },
  {
    // C5, R̄=1 vvvv=1111 L=0 pp=00 = F8; 77.
    hex: 'c5 f8 77',
    text: 'vzeroupper',
    kinds: ['vex', 'opcode'],
    bits: { vex: { L: '0', pp: '00', vvvv: '1111' } },
  },
  {
    hex: '66 0f fe 07',
    text: 'paddd xmm0, [rdi]',
    kinds: ['prefix', 'opcode', 'modrm'],
    bits: { modrm: { mod: '00', reg: '000', rm: '111' } },
  },
  {
    hex: '66 0f 70 c0 00',
    text: 'pshufd xmm0, xmm0, 0',
    kinds: ['prefix', 'opcode', 'modrm', 'immediate'],
    bits: { modrm: { mod: '11', reg: '000', rm: '000' } },
  },
  {
    hex: 'f3 0f 6f 0f',
    text: 'movdqu xmm1, [rdi]',
    kinds: ['prefix', 'opcode', 'modrm'],
    bits: { modrm: { mod: '00', reg: '001', rm: '111' } },
  },
  { hex: '66 0f 6e c0', text: 'movd xmm0, eax', kinds: ['prefix', 'opcode', 'modrm'] },
  { hex: '0f a2', text: 'cpuid', kinds: ['opcode'] },
  { hex: '0f 01 d0', text: 'xgetbv', kinds: ['opcode'] },
  {
    // 8B /r; ModRM 00 000 100 (SIB follows); SIB 10 001 111: scale 4, index rcx, base rdi.
    hex: '8b 04 8f',
    text: 'mov eax, [rdi+rcx*4]',
    kinds: ['opcode', 'modrm', 'sib'],
    bits: { modrm: { mod: '00', reg: '000', rm: '100' }, sib: { scale: '10', index: '001', base: '111' } },
  },
  {
    // ModRM 10 000 111: [rdi] + disp32 0x100.
    hex: '8b 87 00 01 00 00',
    text: 'mov eax, [rdi+0x100]',
    kinds: ['opcode', 'modrm', 'displacement'],
    bits: { modrm: { mod: '10', reg: '000', rm: '111' } },
  },
  { hex: 'e9 00 01 00 00', text: 'jmp 0x105', kinds: ['opcode', 'immediate'] },
  {
    // REX 0100 0101 (R and B: r8d in reg, r15d in rm); 01 /r; ModRM 11 000 111.
    hex: '45 01 c7',
    text: 'add r15d, r8d',
    kinds: ['rex', 'opcode', 'modrm'],
    bits: { rex: { W: '0', R: '1', X: '0', B: '1' }, modrm: { mod: '11', reg: '000', rm: '111' } },
  },
];

describe('annotate, on hand-encoded instructions', () => {
  for (const { hex, text, kinds, bits } of HAND_ENCODED) {
    it(`splits ${hex} (${text}) into ${kinds.join(', ')}${bits ? ' with the bits worked out by hand' : ''}`, () => {
      const code = fromHex(hex);
      assert.deepEqual(
        disassemble(code).map((instruction) => instruction.text),
        [text],
        'the decoder reads the hand-encoded bytes as intended',
      );
      const annotated = annotate(code);
      assertTiles(annotated, code);
      const [instruction] = annotated;
      assert.equal(instruction?.text, text);
      assert.deepEqual(
        instruction?.fields.map((each) => each.kind),
        kinds,
      );
      for (const [kind, expected] of Object.entries(bits ?? {})) {
        const actual = bitsOf(field(instruction, kind as EncodingField['kind']));
        for (const [name, value] of Object.entries(expected)) {
          assert.equal(actual[name], value, `${kind}.${name}`);
        }
      }
      assertOpcodeFieldsMatchOpcodeStrings(annotated);
    });
  }

  it('describes the seed immediate fc ff ff ff as -4 after sign extension to 64 bits', () => {
    const [movRax] = annotate(fromHex('48 c7 c0 fc ff ff ff'));
    assert.equal(bitsOf(field(movRax, 'rex')).W, '1');
    assert.equal(field(movRax, 'modrm').description, 'ModRM 11 000 000: register direct, /0, rm = rax');
    assert.match(
      field(movRax, 'immediate').description,
      /fc ff ff ff → 0xfffffffc → -4 after sign extension/,
    );
  });

  it("shows a rel32 jump's target offset", () => {
    // e9 rel32 = 0x100, counted from the next instruction at 5: the target is 0x105.
    const [jmp] = annotate(fromHex('e9 00 01 00 00'));
    assert.match(field(jmp, 'immediate').description, /target 0x105$/);
    assert.equal(jmp?.operation, 'jump to 0x105');
  });

  it('phrases vector additions with their lane count', () => {
    assert.equal(annotate(fromHex('c5 fd fe 07'))[0]?.operation, 'ymm0 ← ymm0 + [rdi] (8 × int32)');
    assert.equal(annotate(fromHex('66 0f fe 07'))[0]?.operation, 'xmm0 ← xmm0 + [rdi] (4 × int32)');
  });
});

describe('annotate refuses', () => {
  it('an invalid opcode (06, push es, is invalid in 64-bit mode), at its offset', () => {
    const error = refusal('c3 06 c3');
    assert.equal(error.reason, 'invalid');
    assert.equal(error.offset, 1);
    assert.equal(error.code, 'JIT_ANNOTATION_REFUSED');
    // The decoder takes the byte after 06 as part of the invalid instruction.
    assert.equal(error.bytes, '06 c3');
    assert.equal(
      error.message,
      'cannot annotate the instruction at offset 1 (06 c3): the decoder finds no valid instruction here',
    );
  });

  it('an invalid opcode at the very end of the code', () => {
    assert.equal(refusal('06').offset, 0);
  });

  it('code that ends inside an instruction', () => {
    const error = refusal('48 c7 c0 01 00');
    assert.equal(error.reason, 'truncated');
    assert.equal(error.bytes, '48 c7 c0 01 00');
    assert.equal(
      error.message,
      'cannot annotate the instruction at offset 0 (48 c7 c0 01 00): the decoder needs more bytes than the 5 ' +
        'left: the code ends inside an instruction',
    );
  });

  for (const [hex, what] of <Array<[string, string]>>[
    ['62 f1 7d 48 fe 07', 'EVEX (vpaddd zmm0, zmm0, [rdi])'],
    ['8f e8 78 c0 c1 04', 'XOP (vprotb)'],
    ['0f 0f c1 9e', '3DNow! (pfadd)'],
    ['c4 e3 7d 4a c1 20', 'a register encoded in an immediate (vblendvps /is4)'],
    ['a1 00 01 00 00 00 00 00 00', 'a moffs address with no ModRM'],
    ['66 66 90', 'a repeated prefix'],
    ['f3 c3', 'a REP on a non-string instruction (rep ret)'],
    ['48 66 01 f8', 'a REX that a legacy prefix follows (the CPU ignores it)'],
  ]) {
    it(`${what}: ${hex} is unsupported`, () => {
      assert.equal(refusal(hex).reason, 'unsupported');
    });
  }

  it('any page cut inside an instruction, as truncated there; cut between two, it annotates what precedes as the whole page does', () => {
    fc.assert(
      fc.property(int32, fc.option(int32, { nil: undefined }), fc.nat(), (term, key, cutSeed) => {
        const code = encodeAdderPage(term, key);
        const whole = annotate(code);
        const cut = 1 + (cutSeed % (code.length - 1));
        const containing = whole.find(({ offset, length }) => offset < cut && cut < offset + length);
        if (containing) {
          const error = refusal(toHex(code.subarray(0, cut)));
          assert.equal(error.reason, 'truncated');
          assert.equal(error.offset, containing.offset);
        } else {
          assert.deepEqual(
            annotate(code.subarray(0, cut)),
            whole.filter(({ offset }) => offset < cut),
          );
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('annotate and iced-x86 memory', () => {
  // iced-x86 is WebAssembly: an object not freed stays in its linear memory for good, and the memory
  // grows to hold more. After a warm-up, a leak of even one small object per instruction grows it.
  const wasmMemory = (
    createRequire(import.meta.url)('iced-x86') as { __wasm: { memory: { buffer: ArrayBuffer } } }
  ).__wasm.memory;

  /** Runs `once` 200 times to warm up, then 5,000 times, and checks that the memory did not grow. */
  const assertNoGrowth = (once: () => void) => {
    for (let i = 0; i < 200; i += 1) once();
    const before = wasmMemory.buffer.byteLength;
    for (let i = 0; i < 5_000; i += 1) once();
    assert.equal(wasmMemory.buffer.byteLength, before);
  };

  it('annotating pages 5,000 times leaves the WebAssembly memory at the same size', () => {
    const code = encodeAdderPage(-4, 0x5a5a5a5a);
    assertNoGrowth(() => annotate(code));
  });

  it('disassembling pages 5,000 times leaves the WebAssembly memory at the same size', () => {
    const code = encodeAdderPage(-4, 0x5a5a5a5a);
    assertNoGrowth(() => disassemble(code));
  });

  it('refusing 5,000 times leaves the WebAssembly memory at the same size', () => {
    const refusals = ['48 c7 c0 01 00', '62 f1 7d 48 fe 07', '66 66 90'].map(fromHex);
    assertNoGrowth(() => {
      for (const code of refusals) assert.throws(() => annotate(code), AnnotationError);
    });
  });
});
