/**
 * The encoding fields of instructions beyond the JIT's own, encoded by hand from the Intel SDM (Vol. 2,
 * ch. 2): every kind of legacy prefix the annotator describes, REX and VEX with their extension bits,
 * ModRM with SIB, RIP-relative and absolute addresses, and immediates of every width. Then every check
 * that holds a field to the decoder, made to fail by a decoder that reports something the bytes do not
 * say: the annotator must refuse rather than describe what it cannot vouch for.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { type AnnotationError, annotate } from '../../../src/explain/x86-64/decoder.js';
import {
  checkTiling,
  type DecodedFacts,
  type EncodingField,
} from '../../../src/explain/x86-64/encoding-fields.js';
import { fromHex, refusal } from '../../support/hex-code.js';

type Iced = typeof import('iced-x86');
const iced = createRequire(import.meta.url)('iced-x86') as Iced;

/** An instruction's fields as the explorer lists them: `kind bytes: description`, then `name=value (meaning)`. */
function fieldLines(hex: string): { text: string; lines: string[] } {
  const [instruction, ...rest] = annotate(fromHex(hex));
  assert.equal(rest.length, 0, `${hex} is one instruction`);
  assert.ok(instruction);
  return {
    text: instruction.text,
    lines: instruction.fields.flatMap((field) => [
      `${field.kind} ${field.bytes}: ${field.description}`,
      ...(field.bits ?? []).map((bits) => `  ${bits.name}=${bits.value} (${bits.meaning})`),
    ]),
  };
}

/**
 * [bytes, the decoder's text, the fields]. The comments say how the bytes encode the instruction; the
 * fields' words follow from that and from the annotator's notation (decode.test.ts checks the notation on
 * the JIT's own instructions).
 */
const DESCRIBED: Array<[string, string, string[]]> = [
  // F0 LOCK on add r/m32, r32 (01 /r); ModRM 00 000 111: [rdi], eax.
  [
    'f0 01 07',
    'lock add [rdi], eax',
    [
      'prefix f0: LOCK (F0): the read-modify-write of memory is atomic',
      'opcode 01: opcode 01: ADD r/m32, r32',
      'modrm 07: ModRM 00 000 111: memory, no displacement, reg = eax, rm = [rdi]',
      '  mod=00 (memory, no displacement)',
      '  reg=000 (eax)',
      '  rm=111 ([rdi])',
    ],
  ],
  // F3 on a string instruction: REP for movs, REPE for cmps (it also stops on ZF = 0); F2 REPNE on scas.
  ['f3 a4', 'rep movsb', ['prefix f3: REP (F3): repeat rcx times', 'opcode a4: opcode A4: MOVSB']],
  [
    'f3 a6',
    'repe cmpsb',
    [
      'prefix f3: REPE (F3): repeat while rcx ≠ 0 and ZF = 1, decrementing rcx',
      'opcode a6: opcode A6: CMPSB',
    ],
  ],
  [
    'f2 ae',
    'repne scasb',
    [
      'prefix f2: REPNE (F2): repeat while rcx ≠ 0 and ZF = 0, decrementing rcx',
      'opcode ae: opcode AE: SCASB',
    ],
  ],
  // 66 makes 01 /r's operands 16-bit; ModRM 11 111 000: ax, di.
  [
    '66 01 f8',
    'add ax, di',
    [
      'prefix 66: operand-size override (66): 16-bit operands',
      'opcode 01: opcode 01: ADD r/m16, r16',
      'modrm f8: ModRM 11 111 000: register direct, reg = di, rm = ax',
      '  mod=11 (register direct)',
      '  reg=111 (di)',
      '  rm=000 (ax)',
    ],
  ],
  // 66 as a mandatory prefix: 66 0F 6E is movd xmm, r/m32 (without 66 it would be the MMX form).
  [
    '66 0f 6e c8',
    'movd xmm1, eax',
    [
      'prefix 66: mandatory prefix 66: part of the opcode 66 0F 6E /r, which selects MOVD xmm, r/m32',
      'opcode 0f 6e: opcode 0F 6E (escape 0F, then 6E): MOVD xmm, r/m32',
      'modrm c8: ModRM 11 001 000: register direct, reg = xmm1, rm = eax',
      '  mod=11 (register direct)',
      '  reg=001 (xmm1)',
      '  rm=000 (eax)',
    ],
  ],
  // 67 makes the address 32-bit: [edi].
  [
    '67 8b 07',
    'mov eax, [edi]',
    [
      'prefix 67: address-size override (67): 32-bit addresses',
      'opcode 8b: opcode 8B: MOV r32, r/m32',
      'modrm 07: ModRM 00 000 111: memory, no displacement, reg = eax, rm = [edi]',
      '  mod=00 (memory, no displacement)',
      '  reg=000 (eax)',
      '  rm=111 ([edi])',
    ],
  ],
  // FS and GS keep a base in 64-bit mode; DS (3E), like ES, CS and SS, is ignored there.
  ...(['64 fs FS', '65 gs GS'].map((spec) => {
    const [prefix, segment, name] = spec.split(' ') as [string, string, string];
    return [
      `${prefix} 8b 07`,
      `mov eax, [${segment}:rdi]`,
      [
        `prefix ${prefix}: ${name} segment override (${prefix}): the address is relative to ${segment}'s base`,
        'opcode 8b: opcode 8B: MOV r32, r/m32',
        'modrm 07: ModRM 00 000 111: memory, no displacement, reg = eax, rm = [rdi]',
        '  mod=00 (memory, no displacement)',
        '  reg=000 (eax)',
        '  rm=111 ([rdi])',
      ],
    ] as [string, string, string[]];
  }) as Array<[string, string, string[]]>),
  [
    '3e 8b 07',
    'mov eax, [rdi]',
    [
      'prefix 3e: DS segment override (3E): ignored in 64-bit mode',
      'opcode 8b: opcode 8B: MOV r32, r/m32',
      'modrm 07: ModRM 00 000 111: memory, no displacement, reg = eax, rm = [rdi]',
      '  mod=00 (memory, no displacement)',
      '  reg=000 (eax)',
      '  rm=111 ([rdi])',
    ],
  ],
  // REX.W on jmp r/m64 (FF /4), which is 64-bit without it; ModRM 11 100 000: /4, rax.
  [
    '48 ff e0',
    'jmp rax',
    [
      'rex 48: REX 0100 1000: REX.W, no effect: the operand size is 64-bit by default here',
      '  REX=0100 (fixed: marks a REX prefix (40-4F))',
      '  W=1 (no effect: the operand size is 64-bit by default here)',
      '  R=0 (unused)',
      '  X=0 (unused)',
      '  B=0 (ModRM.rm as encoded)',
      'opcode ff: opcode FF: JMP r/m64',
      'modrm e0: ModRM 11 100 000: register direct, /4, rm = rax',
      '  mod=11 (register direct)',
      '  reg=100 (/4: extends the opcode (o64 FF /4))',
      '  rm=000 (rax)',
    ],
  ],
  // An empty REX (40) turns reg 111 of mov r/m8, r8 (88 /r) from bh into dil.
  [
    '40 88 f8',
    'mov al, dil',
    [
      'rex 40: REX 0100 0000: no bits set: its presence makes byte registers 4-7 spl, bpl, sil, dil instead of ah, ch, dh, bh',
      '  REX=0100 (fixed: marks a REX prefix (40-4F))',
      '  W=0 (no 64-bit operand size override)',
      '  R=0 (ModRM.reg as encoded)',
      '  X=0 (unused)',
      '  B=0 (ModRM.rm as encoded)',
      'opcode 88: opcode 88: MOV r/m8, r8',
      'modrm f8: ModRM 11 111 000: register direct, reg = dil, rm = al',
      '  mod=11 (register direct)',
      '  reg=111 (dil)',
      '  rm=000 (al)',
    ],
  ],
  // The same empty REX on 32-bit operands changes nothing.
  [
    '40 01 f8',
    'add eax, edi',
    [
      'rex 40: REX 0100 0000: no bits set, no effect',
      '  REX=0100 (fixed: marks a REX prefix (40-4F))',
      '  W=0 (no 64-bit operand size override)',
      '  R=0 (ModRM.reg as encoded)',
      '  X=0 (unused)',
      '  B=0 (ModRM.rm as encoded)',
      'opcode 01: opcode 01: ADD r/m32, r32',
      'modrm f8: ModRM 11 111 000: register direct, reg = edi, rm = eax',
      '  mod=11 (register direct)',
      '  reg=111 (edi)',
      '  rm=000 (eax)',
    ],
  ],
  // REX.X extends SIB.index: SIB 10 000 111 = rdi + r8 × 4.
  [
    '42 8b 04 87',
    'mov eax, [rdi+r8*4]',
    [
      'rex 42: REX 0100 0010: REX.X, adds 8 to SIB.index',
      '  REX=0100 (fixed: marks a REX prefix (40-4F))',
      '  W=0 (no 64-bit operand size override)',
      '  R=0 (ModRM.reg as encoded)',
      '  X=1 (adds 8 to SIB.index)',
      '  B=0 (SIB.base as encoded)',
      'opcode 8b: opcode 8B: MOV r32, r/m32',
      'modrm 04: ModRM 00 000 100: memory, no displacement, reg = eax, rm = 100, a SIB byte follows',
      '  mod=00 (memory, no displacement)',
      '  reg=000 (eax)',
      '  rm=100 (a SIB byte follows)',
      'sib 87: SIB 10 000 111: address = rdi + r8 × 4',
      '  scale=10 (× 4)',
      '  index=000 (r8 (with REX.X = 1, adding 8))',
      '  base=111 (rdi)',
    ],
  ],
  // REX.B extends the register in push's opcode (50+ro): 41 50 is push r8.
  [
    '41 50',
    'push r8',
    [
      "rex 41: REX 0100 0001: REX.B, adds 8 to the opcode's register",
      '  REX=0100 (fixed: marks a REX prefix (40-4F))',
      '  W=0 (no 64-bit operand size override)',
      '  R=0 (unused)',
      '  X=0 (unused)',
      "  B=1 (adds 8 to the opcode's register)",
      'opcode 50: opcode 50+ro, ro = 000: r8; PUSH r64',
      '  opcode=01010 (50+ro)',
      '  reg=000 (r8 (with REX.B = 1, adding 8))',
    ],
  ],
  // B8+rd with rd = 001: mov ecx, imm32 4.
  [
    'b9 04 00 00 00',
    'mov ecx, 4',
    [
      'opcode b9: opcode B8+rd, rd = 001: ecx; MOV r32, imm32',
      '  opcode=10111 (B8+rd)',
      '  reg=001 (ecx)',
      'immediate 04 00 00 00: imm32, little-endian: 04 00 00 00 → 0x00000004 = 4',
    ],
  ],
  // Not sign-extended: imm32 fc ff ff ff is 4294967292, -4 read as an int32.
  [
    'b8 fc ff ff ff',
    'mov eax, -4',
    [
      'opcode b8: opcode B8+rd, rd = 000: eax; MOV r32, imm32',
      '  opcode=10111 (B8+rd)',
      '  reg=000 (eax)',
      'immediate fc ff ff ff: imm32, little-endian: fc ff ff ff → 0xfffffffc = 4294967292 (-4 as int32)',
    ],
  ],
  // 66 B8+rw iw, and REX.W B8+ro io: a 16-bit and a 64-bit immediate.
  [
    '66 b8 34 12',
    'mov ax, 0x1234',
    [
      'prefix 66: operand-size override (66): 16-bit operands',
      'opcode b8: opcode B8+rw, rw = 000: ax; MOV r16, imm16',
      '  opcode=10111 (B8+rw)',
      '  reg=000 (ax)',
      'immediate 34 12: imm16, little-endian: 34 12 → 0x1234 = 4660',
    ],
  ],
  [
    '48 b8 88 77 66 55 44 33 22 11',
    'mov rax, 0x1122334455667788',
    [
      'rex 48: REX 0100 1000: REX.W, 64-bit operand size',
      '  REX=0100 (fixed: marks a REX prefix (40-4F))',
      '  W=1 (64-bit operand size)',
      '  R=0 (unused)',
      '  X=0 (unused)',
      "  B=0 (the opcode's register as encoded)",
      'opcode b8: opcode B8+ro, ro = 000: rax; MOV r64, imm64',
      '  opcode=10111 (B8+ro)',
      '  reg=000 (rax)',
      'immediate 88 77 66 55 44 33 22 11: imm64, little-endian: 88 77 66 55 44 33 22 11 → 0x1122334455667788 = 1234605616436508552',
    ],
  ],
  // 83 /0 ib: imm8 fc sign-extended to 32 bits is -4.
  [
    '83 c7 fc',
    'add edi, -4',
    [
      'opcode 83: opcode 83: ADD r/m32, imm8',
      'modrm c7: ModRM 11 000 111: register direct, /0, rm = edi',
      '  mod=11 (register direct)',
      '  reg=000 (/0: extends the opcode (o32 83 /0 ib))',
      '  rm=111 (edi)',
      'immediate fc: imm8: fc → 0xfc → -4 after sign extension to 32 bits',
    ],
  ],
  // EB cb: rel8 fe = -2 from the next instruction at 2, a jump to itself.
  [
    'eb fe',
    'jmp short 0',
    [
      'opcode eb: opcode EB: JMP rel8',
      'immediate fe: rel8: fe → -2 from the next instruction (0x2): target 0x0',
    ],
  ],
  // SIB 00 100 101 with mod 00: no index, no base, an absolute disp32.
  [
    '8b 04 25 00 01 00 00',
    'mov eax, [0x100]',
    [
      'opcode 8b: opcode 8B: MOV r32, r/m32',
      'modrm 04: ModRM 00 000 100: memory + disp32 (SIB base 101), reg = eax, rm = 100, a SIB byte follows',
      '  mod=00 (memory + disp32 (SIB base 101))',
      '  reg=000 (eax)',
      '  rm=100 (a SIB byte follows)',
      'sib 25: SIB 00 100 101: address = disp32',
      '  scale=00 (ignored: no index)',
      '  index=100 (none)',
      '  base=101 (none: a disp32 follows)',
      'displacement 00 01 00 00: disp32, little-endian: 00 01 00 00 → 0x00000100 → +256 after sign extension to 64 bits',
    ],
  ],
  // SIB 10 001 101 with mod 00: index rcx × 4, no base, disp32.
  [
    '8b 04 8d 00 01 00 00',
    'mov eax, [rcx*4+0x100]',
    [
      'opcode 8b: opcode 8B: MOV r32, r/m32',
      'modrm 04: ModRM 00 000 100: memory + disp32 (SIB base 101), reg = eax, rm = 100, a SIB byte follows',
      '  mod=00 (memory + disp32 (SIB base 101))',
      '  reg=000 (eax)',
      '  rm=100 (a SIB byte follows)',
      'sib 8d: SIB 10 001 101: address = rcx × 4 + disp32',
      '  scale=10 (× 4)',
      '  index=001 (rcx)',
      '  base=101 (none: a disp32 follows)',
      'displacement 00 01 00 00: disp32, little-endian: 00 01 00 00 → 0x00000100 → +256 after sign extension to 64 bits',
    ],
  ],
  // [rsp] needs a SIB byte (rm 100 means SIB): 00 100 100, no index, base rsp.
  [
    '8b 04 24',
    'mov eax, [rsp]',
    [
      'opcode 8b: opcode 8B: MOV r32, r/m32',
      'modrm 04: ModRM 00 000 100: memory, no displacement, reg = eax, rm = 100, a SIB byte follows',
      '  mod=00 (memory, no displacement)',
      '  reg=000 (eax)',
      '  rm=100 (a SIB byte follows)',
      'sib 24: SIB 00 100 100: address = rsp',
      '  scale=00 (ignored: no index)',
      '  index=100 (none)',
      '  base=100 (rsp)',
    ],
  ],
  // ModRM 00 000 101: RIP-relative; disp32 0x100 from the next instruction at 6 is 0x106. With REX.B
  // (41) the instruction is a byte longer and B has no base register to extend.
  [
    '8b 05 00 01 00 00',
    'mov eax, [rel 0x106]',
    [
      'opcode 8b: opcode 8B: MOV r32, r/m32',
      'modrm 05: ModRM 00 000 101: RIP-relative + disp32, reg = eax, rm = rip + disp32',
      '  mod=00 (RIP-relative + disp32)',
      '  reg=000 (eax)',
      '  rm=101 (rip + disp32)',
      'displacement 00 01 00 00: disp32, little-endian: 00 01 00 00 → 0x00000100 → +256 after sign extension to 64 bits, from the next instruction (0x6): address 0x106',
    ],
  ],
  [
    '41 8b 05 00 01 00 00',
    'mov eax, [rel 0x107]',
    [
      'rex 41: REX 0100 0001: REX.B, ignored: nothing here for it to extend',
      '  REX=0100 (fixed: marks a REX prefix (40-4F))',
      '  W=0 (no 64-bit operand size override)',
      '  R=0 (ModRM.reg as encoded)',
      '  X=0 (unused)',
      '  B=1 (ignored: nothing here for it to extend)',
      'opcode 8b: opcode 8B: MOV r32, r/m32',
      'modrm 05: ModRM 00 000 101: RIP-relative + disp32, reg = eax, rm = rip + disp32',
      '  mod=00 (RIP-relative + disp32)',
      '  reg=000 (eax)',
      '  rm=101 (rip + disp32)',
      'displacement 00 01 00 00: disp32, little-endian: 00 01 00 00 → 0x00000100 → +256 after sign extension to 64 bits, from the next instruction (0x7): address 0x107',
    ],
  ],
  // Three-byte VEX C4 [R̄X̄B̄ m-mmmm = 110 00001] [W vvvv L pp = 0 1111 1 01]: B = 1 makes rm 000 ymm8.
  [
    'c4 c1 7d fe c0',
    'vpaddd ymm0, ymm0, ymm8',
    [
      'vex c4 c1 7d: 3-byte VEX (C4): map 0F, implied 66 prefix, 256-bit, vvvv = ymm0',
      '  C4=11000100 (3-byte VEX)',
      '  R̄=1 (R = 0, stored inverted: ModRM.reg as encoded)',
      '  X̄=1 (X = 0, stored inverted: unused)',
      '  B̄=0 (B = 1, stored inverted: adds 8 to ModRM.rm)',
      '  m-mmmm=00001 (opcode map 0F)',
      '  W=0 (ignored by this instruction (WIG))',
      '  vvvv=1111 (ymm0 (stored inverted))',
      '  L=1 (256-bit vectors (VEX.256))',
      '  pp=01 (implied 66 prefix)',
      'opcode fe: opcode FE in map 0F (from VEX): VPADDD ymm1, ymm2, ymm3/m256',
      'modrm c0: ModRM 11 000 000: register direct, reg = ymm0, rm = ymm8 (with VEX.B = 1, adding 8)',
      '  mod=11 (register direct)',
      '  reg=000 (ymm0)',
      '  rm=000 (ymm8 (with VEX.B = 1, adding 8))',
    ],
  ],
  // C4 [010 00001] [0 1111 1 01]: R = 1 makes reg ymm8, B = 1 makes the SIB base r12.
  [
    'c4 41 7d fe 04 24',
    'vpaddd ymm8, ymm0, [r12]',
    [
      'vex c4 41 7d: 3-byte VEX (C4): map 0F, implied 66 prefix, 256-bit, vvvv = ymm0',
      '  C4=11000100 (3-byte VEX)',
      '  R̄=0 (R = 1, stored inverted: adds 8 to ModRM.reg)',
      '  X̄=1 (X = 0, stored inverted: SIB.index as encoded)',
      '  B̄=0 (B = 1, stored inverted: adds 8 to SIB.base)',
      '  m-mmmm=00001 (opcode map 0F)',
      '  W=0 (ignored by this instruction (WIG))',
      '  vvvv=1111 (ymm0 (stored inverted))',
      '  L=1 (256-bit vectors (VEX.256))',
      '  pp=01 (implied 66 prefix)',
      'opcode fe: opcode FE in map 0F (from VEX): VPADDD ymm1, ymm2, ymm3/m256',
      'modrm 04: ModRM 00 000 100: memory, no displacement, reg = ymm8, rm = 100, a SIB byte follows',
      '  mod=00 (memory, no displacement)',
      '  reg=000 (ymm8 (with VEX.R = 1, adding 8))',
      '  rm=100 (a SIB byte follows)',
      'sib 24: SIB 00 100 100: address = r12',
      '  scale=00 (ignored: no index)',
      '  index=100 (none)',
      '  base=100 (r12 (with VEX.B = 1, adding 8))',
    ],
  ],
  // Two-byte VEX C5 [R̄ vvvv L pp = 1 1110 1 01]: vvvv 1110 is ymm1 inverted.
  [
    'c5 f5 fe c2',
    'vpaddd ymm0, ymm1, ymm2',
    [
      'vex c5 f5: 2-byte VEX (C5): map 0F, implied 66 prefix, 256-bit, vvvv = ymm1',
      '  C5=11000101 (2-byte VEX: map 0F, W = 0, X = B = 0 implied)',
      '  R̄=1 (R = 0, stored inverted: ModRM.reg as encoded)',
      '  vvvv=1110 (ymm1 (stored inverted))',
      '  L=1 (256-bit vectors (VEX.256))',
      '  pp=01 (implied 66 prefix)',
      'opcode fe: opcode FE in map 0F (from VEX): VPADDD ymm1, ymm2, ymm3/m256',
      'modrm c2: ModRM 11 000 010: register direct, reg = ymm0, rm = ymm2',
      '  mod=11 (register direct)',
      '  reg=000 (ymm0)',
      '  rm=010 (ymm2)',
    ],
  ],
];

describe('encoding fields, on instructions encoded by hand', () => {
  for (const [hex, text, lines] of DESCRIBED) {
    it(`describes ${hex} (${text}) field by field`, () => {
      const described = fieldLines(hex);
      assert.equal(described.text, text, 'the decoder reads the bytes as intended');
      assert.deepEqual(described.lines, lines);
    });
  }
});

/**
 * A lie for the decoder to tell: `replace` is given what iced would have said (and a method's arguments)
 * and returns what it says instead.
 */
interface Lie {
  on: object;
  property: string;
  replace: (truth: () => unknown, ...args: unknown[]) => unknown;
}

/** Annotates `hex` while iced's objects tell `lies`, and returns the refusal; the truth is restored after. */
function refusalWhileDecoderSays(hex: string, lies: Lie[]): AnnotationError {
  const saved = lies.map(({ on, property }) => {
    const descriptor = Object.getOwnPropertyDescriptor(on, property);
    assert.ok(descriptor, `iced has ${property}`);
    return { on, property, descriptor };
  });
  lies.forEach(({ on, property, replace }, index) => {
    const { descriptor } = saved[index] as (typeof saved)[number];
    const { get, value } = descriptor;
    Object.defineProperty(
      on,
      property,
      get
        ? {
            ...descriptor,
            get(this: unknown) {
              return replace(() => get.call(this));
            },
          }
        : {
            ...descriptor,
            value(this: unknown, ...args: unknown[]) {
              return replace(() => (value as (...args: unknown[]) => unknown).apply(this, args), ...args);
            },
          },
    );
  });
  try {
    return refusal(hex);
  } finally {
    for (const { on, property, descriptor } of saved) Object.defineProperty(on, property, descriptor);
  }
}

const {
  ConstantOffsets,
  EncodingKind,
  Instruction,
  MandatoryPrefix,
  OpCodeInfo,
  OpCodeOperandKind,
  OpCodeTableKind,
  OpKind,
  Register,
} = iced;
const says = (on: object, property: string, value: unknown): Lie => ({ on, property, replace: () => value });
/** A method's answer changed for one argument only. */
const saysFor = (on: object, property: string, argument: number, value: unknown): Lie => ({
  on,
  property,
  replace: (truth, ...args) => (args[0] === argument ? value : truth()),
});

/**
 * [what the decoder gets wrong, the bytes, its lies, the reason, the detail of the refusal's message, and
 * when the bytes are refused for another reason even as the decoder reads them, that refusal's detail].
 */
const CONTRADICTIONS: Array<[string, string, Lie[], string, string, string?]> = [
  [
    'a LOCK',
    '01 07',
    [says(Instruction.prototype, 'hasLockPrefix', true)],
    'mismatch',
    'the decoder reports a LOCK prefix the bytes lack',
  ],
  [
    'a REP',
    '01 07',
    [says(Instruction.prototype, 'hasRepPrefix', true)],
    'mismatch',
    'the decoder reports a REP prefix the bytes lack',
  ],
  [
    'a REPNE',
    '01 07',
    [says(Instruction.prototype, 'hasRepnePrefix', true)],
    'mismatch',
    'the decoder reports a REPNE prefix the bytes lack',
  ],
  [
    'a mandatory prefix',
    '01 f8',
    [says(OpCodeInfo.prototype, 'mandatoryPrefix', MandatoryPrefix.P66)],
    'mismatch',
    'the decoder reports a mandatory prefix the bytes lack',
  ],
  [
    'a segment',
    '8b 07',
    [says(Instruction.prototype, 'segmentPrefix', Register.FS)],
    'mismatch',
    'the decoder reports segment prefix fs',
  ],
  // iced keeps the last segment prefix; with the first reported, the second is one too many.
  [
    'the first of two segments',
    '64 65 8b 07',
    [says(Instruction.prototype, 'segmentPrefix', Register.FS)],
    'unsupported',
    'two segment prefixes (fs, gs)',
    'prefix 64 has no effect this service can describe on MOV r32, r/m32',
  ],
  // F2 then F3 (and F3 then F2): iced keeps the last; with the first reported, the second conflicts.
  [
    'REPNE before a REP',
    'f2 f3 a4',
    [says(Instruction.prototype, 'hasRepnePrefix', true)],
    'unsupported',
    'repeated or conflicting prefix F3',
    'prefix F2 has no effect this service can describe on MOVSB',
  ],
  [
    'REP before a REPNE',
    'f3 f2 ae',
    [says(Instruction.prototype, 'hasRepPrefix', true)],
    'unsupported',
    'repeated or conflicting prefix F2',
    'prefix F3 has no effect this service can describe on SCASB',
  ],
  [
    '64-bit operands without REX',
    '01 f8',
    [says(OpCodeInfo.prototype, 'operandSize', 64)],
    'mismatch',
    'ADD r/m32, r32 has 64-bit operands but no REX.W',
  ],
  [
    '64-bit operands with REX.W = 0',
    '40 01 f8',
    [says(OpCodeInfo.prototype, 'operandSize', 64)],
    'mismatch',
    'ADD r/m32, r32 has 64-bit operands but REX.W = 0',
  ],
  [
    'no ModRM for ModRM operands',
    '01 f8',
    [says(OpCodeInfo.prototype, 'opCodeString', 'o32 01')],
    'mismatch',
    'operands sit in ModRM but the opcode o32 01 has none',
  ],
  [
    'a displacement without ModRM',
    'c3',
    [says(ConstantOffsets.prototype, 'hasDisplacement', true)],
    'mismatch',
    'the decoder reports a displacement that no ModRM byte calls for',
  ],
  [
    'VEX encoding for legacy bytes',
    '8b 87 00 01 00 00',
    [says(Instruction.prototype, 'encoding', EncodingKind.VEX)],
    'mismatch',
    'a VEX instruction starting 8B',
  ],
  [
    'another VEX map',
    'c5 fd fe 07',
    [says(OpCodeInfo.prototype, 'table', OpCodeTableKind.T0F38)],
    'mismatch',
    'VEX map 1 but the opcode is in T0F38',
  ],
  [
    'another VEX.pp',
    'c5 fd fe 07',
    [says(OpCodeInfo.prototype, 'mandatoryPrefix', MandatoryPrefix.PF3)],
    'mismatch',
    'VEX.pp = 01 but the opcode needs PF3',
  ],
  [
    'another VEX.L',
    'c5 fd fe 07',
    [says(OpCodeInfo.prototype, 'L', 0)],
    'mismatch',
    'VEX.L = 1 but the opcode needs 0',
  ],
  [
    'another VEX.W',
    'c5 fd fe 07',
    [says(OpCodeInfo.prototype, 'isWIG', false), says(OpCodeInfo.prototype, 'W', 1)],
    'mismatch',
    'VEX.W = 0 but the opcode needs W1',
  ],
  [
    'another vvvv register',
    'c5 f5 fe c2',
    [saysFor(Instruction.prototype, 'opRegister', 1, Register.YMM3)],
    'mismatch',
    'VEX.vvvv names register 1, the decoder ymm3',
  ],
  [
    'no vvvv operand',
    'c5 f5 fe c2',
    [saysFor(OpCodeInfo.prototype, 'opKind', 1, OpCodeOperandKind.eax)],
    'mismatch',
    'VEX.vvvv names register 1 but the instruction has no vvvv operand',
  ],
  [
    'an opcode table not described',
    '01 f8',
    [says(OpCodeInfo.prototype, 'table', OpCodeTableKind.MAP5)],
    'unsupported',
    'opcode table MAP5 is not described',
  ],
  [
    'another opcode',
    '01 f8',
    [says(OpCodeInfo.prototype, 'opCode', 0x03)],
    'mismatch',
    "opcode bytes 01 are not o32 01 /r's 03",
  ],
  [
    "another opcode's register",
    'b9 04 00 00 00',
    [saysFor(Instruction.prototype, 'opRegister', 0, Register.EAX)],
    'mismatch',
    "the opcode's register bits 001 are not eax",
  ],
  [
    'another opcode extension',
    '83 c7 fc',
    [says(OpCodeInfo.prototype, 'groupIndex', 1)],
    'mismatch',
    'ModRM.reg = 0 but the opcode is /1',
  ],
  [
    'another ModRM.reg register',
    '01 f8',
    [saysFor(Instruction.prototype, 'opRegister', 1, Register.ESI)],
    'mismatch',
    'ModRM.reg = 111 but the decoder read esi',
  ],
  [
    'no ModRM.reg operand or extension',
    'ff c0',
    [says(OpCodeInfo.prototype, 'groupIndex', -1)],
    'unsupported',
    'what ModRM.reg selects is not described',
  ],
  [
    'memory for a register',
    '01 f8',
    [saysFor(Instruction.prototype, 'opKind', 0, OpKind.Memory)],
    'mismatch',
    'ModRM says register direct but the decoder found no register',
  ],
  [
    'another ModRM.rm register',
    '01 f8',
    [saysFor(Instruction.prototype, 'opRegister', 0, Register.ECX)],
    'mismatch',
    'ModRM.rm = 000 but the decoder read ecx',
  ],
  [
    'a register for memory',
    '01 07',
    [saysFor(Instruction.prototype, 'opKind', 0, OpKind.Register)],
    'mismatch',
    'ModRM says memory but the decoder found none',
  ],
  [
    'another base for RIP',
    '8b 05 00 01 00 00',
    [says(Instruction.prototype, 'memoryBase', Register.RDI)],
    'mismatch',
    'ModRM says RIP-relative but the decoder found another base',
  ],
  [
    'another base register',
    '8b 07',
    [says(Instruction.prototype, 'memoryBase', Register.RSI)],
    'mismatch',
    "ModRM.rm = 111 but the decoder's address is [rdi]",
  ],
  [
    'an index for ModRM.rm',
    '8b 07',
    [says(Instruction.prototype, 'memoryIndex', Register.RCX)],
    'mismatch',
    "ModRM.rm = 111 but the decoder's address is [rdi]",
  ],
  [
    'an index where SIB has none',
    '8b 04 24',
    [says(Instruction.prototype, 'memoryIndex', Register.RCX)],
    'mismatch',
    'SIB says no index but the decoder read rcx',
  ],
  [
    'another index',
    '8b 04 8f',
    [says(Instruction.prototype, 'memoryIndex', Register.RDX)],
    'mismatch',
    "SIB index 1 × 4 is not the decoder's rdx × 4",
  ],
  [
    'another scale',
    '8b 04 8f',
    [says(Instruction.prototype, 'memoryIndexScale', 2)],
    'mismatch',
    "SIB index 1 × 4 is not the decoder's rcx × 2",
  ],
  [
    'a base where SIB has none',
    '8b 04 25 00 01 00 00',
    [says(Instruction.prototype, 'memoryBase', Register.RAX)],
    'mismatch',
    'SIB says no base but the decoder read rax',
  ],
  [
    'another SIB base',
    '8b 04 8f',
    [says(Instruction.prototype, 'memoryBase', Register.RSI)],
    'mismatch',
    "SIB base 7 is not the decoder's rsi",
  ],
  [
    'a displacement elsewhere',
    '8b 47 20',
    [says(ConstantOffsets.prototype, 'displacementOffset', 3)],
    'mismatch',
    'ModRM/SIB call for a 1-byte displacement at 2; the decoder reports 1 bytes at 3',
  ],
  [
    'another displacement',
    '8b 47 20',
    [says(Instruction.prototype, 'memoryDisplacement', 0x21n)],
    'mismatch',
    'the displacement reads 32, the decoder 33',
  ],
  [
    'no immediate',
    'b8 04 00 00 00',
    [says(ConstantOffsets.prototype, 'hasImmediate', false)],
    'mismatch',
    '1 immediate operands but the decoder reports 0 immediates',
  ],
  [
    'an immediate elsewhere',
    'b8 04 00 00 00',
    [says(ConstantOffsets.prototype, 'immediateOffset', 2)],
    'mismatch',
    'an immediate of 4 bytes at 1, the decoder reports 4 bytes at 2',
  ],
  [
    'another immediate',
    'b8 04 00 00 00',
    [saysFor(Instruction.prototype, 'immediate', 1, 5n)],
    'mismatch',
    'the immediate reads 4, the decoder 5',
  ],
  [
    'another branch target',
    'e9 00 01 00 00',
    [says(Instruction.prototype, 'nearBranchTarget', 0x106n)],
    'mismatch',
    "rel32 leads to 261, the decoder's target is 262",
  ],
  [
    'a shorter instruction, inside its immediate',
    'b8 04 00 00 00',
    [says(Instruction.prototype, 'length', 4)],
    'mismatch',
    "its immediate field runs past the instruction's end",
  ],
  [
    'a shorter instruction, before its ModRM',
    '8b 47 20',
    [says(Instruction.prototype, 'length', 1)],
    'mismatch',
    "the fields run past the instruction's end",
  ],
];

describe('encoding fields refused when the decoder contradicts the bytes', () => {
  for (const [what, hex, lies, reason, detail, truth] of CONTRADICTIONS) {
    it(`${hex}, with the decoder reporting ${what}: ${reason}, ${detail}`, () => {
      const asItIs = () =>
        truth === undefined
          ? assert.doesNotThrow(() => annotate(fromHex(hex)), 'the truth is annotated')
          : assert.equal(
              refusal(hex).message.endsWith(`: ${truth}`),
              true,
              'the truth is refused for another reason',
            );
      asItIs();
      const error = refusalWhileDecoderSays(hex, lies);
      assert.equal(error.reason, reason);
      assert.equal(error.code, 'JIT_ANNOTATION_REFUSED');
      assert.equal(error.offset, 0);
      assert.ok(hex.startsWith(error.bytes), `the refused bytes ${error.bytes} are the instruction's`);
      assert.equal(error.message, `cannot annotate the instruction at offset 0 (${error.bytes}): ${detail}`);
      asItIs();
    });
  }
});

/** Bytes annotate refuses as they are: encodings and prefixes the annotator does not describe. */
const UNDESCRIBED: Array<[string, string]> = [
  ['66 66 90', 'repeated or conflicting prefix 66'],
  ['48 48 01 f8', 'a REX prefix followed by another prefix (the CPU ignores that REX)'],
  ['48 66 01 f8', 'a REX prefix followed by another prefix (the CPU ignores that REX)'],
  ['48 0f a2', 'what REX.W does to CPUID is not described'],
  // 2E before a branch is a hint (or NOTRACK), not a segment.
  ['2e 74 00', 'prefix 2E has no effect this service can describe on JE rel8'],
  ['f3 c3', 'prefix F3 has no effect this service can describe on RET'],
  ['62 f1 7d 48 fe 07', 'EVEX-encoded instructions are not described (only legacy and VEX)'],
  ['c4 e3 7d 4a c1 20', 'a register encoded in an immediate byte (/is4) is not described'],
  ['a1 00 01 00 00 00 00 00 00', 'operand [qword 0x100] (mem_offs) is not described'],
];

describe('encoding fields refused for what the annotator does not describe', () => {
  for (const [hex, detail] of UNDESCRIBED) {
    it(`${hex}: ${detail}`, () => {
      const error = refusal(hex);
      assert.equal(error.reason, 'unsupported');
      assert.equal(error.message, `cannot annotate the instruction at offset 0 (${hex}): ${detail}`);
    });
  }
});

describe('checkTiling', () => {
  // Facts as the decoder reports them for 48 c7 c0 fc ff ff ff (mov rax, -4): 7 bytes, an imm32 at 3; and
  // for 8b 44 8f 20 (mov eax, [rdi+rcx*4+0x20]): 4 bytes, a disp8 at 3.
  const withImmediate = {
    offset: 0,
    bytes: fromHex('48 c7 c0 fc ff ff ff'),
    constantOffsets: { immediates: [{ offset: 3, size: 4 }] },
  } as unknown as DecodedFacts;
  const withDisplacement = {
    offset: 0,
    bytes: fromHex('8b 44 8f 20'),
    constantOffsets: { displacement: { offset: 3, size: 1 }, immediates: [] },
  } as unknown as DecodedFacts;
  const tiling = (...fields: Array<[EncodingField['kind'], number, number]>) =>
    fields.map(([kind, offset, length]) => ({ kind, offset, length, bytes: '', description: '' }));
  const refused = (facts: DecodedFacts, fields: EncodingField[], detail: string) => {
    const hex = Array.from(facts.bytes, (byte) => byte.toString(16).padStart(2, '0')).join(' ');
    assert.throws(() => checkTiling(facts, fields), {
      name: 'AnnotationError',
      reason: 'mismatch',
      message: `cannot annotate the instruction at offset 0 (${hex}): ${detail}`,
    });
  };

  it('accepts fields that tile the instruction and meet the decoder’s constant offsets', () => {
    checkTiling(withImmediate, tiling(['rex', 0, 1], ['opcode', 1, 1], ['modrm', 2, 1], ['immediate', 3, 4]));
    checkTiling(
      withDisplacement,
      tiling(['opcode', 0, 1], ['modrm', 1, 1], ['sib', 2, 1], ['displacement', 3, 1]),
    );
  });

  it('refuses a gap, an overlap, an empty field and fields that stop short or run on', () => {
    const imm = (...fields: Array<[EncodingField['kind'], number, number]>) => tiling(...fields);
    refused(
      withImmediate,
      imm(['rex', 0, 1], ['modrm', 2, 1], ['immediate', 3, 4]),
      'its modrm field starts at 2, not at 1',
    );
    refused(
      withImmediate,
      imm(['rex', 0, 1], ['opcode', 1, 2], ['modrm', 2, 1], ['immediate', 3, 4]),
      'its modrm field starts at 2, not at 3',
    );
    refused(
      withImmediate,
      imm(['rex', 0, 1], ['opcode', 1, 1], ['modrm', 2, 1], ['sib', 3, 0], ['immediate', 3, 4]),
      'its sib field is empty',
    );
    refused(
      withImmediate,
      imm(['rex', 0, 1], ['opcode', 1, 1], ['modrm', 2, 1], ['immediate', 3, 3]),
      'its fields cover 6 bytes but the decoder read 7',
    );
    refused(
      withImmediate,
      imm(['rex', 0, 1], ['opcode', 1, 1], ['modrm', 2, 1], ['immediate', 3, 5]),
      'its fields cover 8 bytes but the decoder read 7',
    );
  });

  it('refuses displacement fields the decoder does not report, or reports elsewhere or of another size', () => {
    refused(
      withImmediate,
      tiling(['rex', 0, 1], ['opcode', 1, 1], ['displacement', 2, 1], ['immediate', 3, 4]),
      "its displacement fields do not match the decoder's constant offsets",
    );
    refused(
      withDisplacement,
      tiling(['opcode', 0, 1], ['modrm', 1, 1], ['sib', 2, 1], ['immediate', 3, 1]),
      "its displacement fields do not match the decoder's constant offsets",
    );
    refused(
      withDisplacement,
      tiling(['opcode', 0, 1], ['displacement', 1, 1], ['modrm', 2, 1], ['sib', 3, 1]),
      'its displacement is at 1 (1 bytes); the decoder says 3 (1 bytes)',
    );
    const longer = { ...withDisplacement, bytes: fromHex('8b 44 8f 20 00') } as DecodedFacts;
    refused(
      longer,
      tiling(['opcode', 0, 1], ['modrm', 1, 1], ['sib', 2, 1], ['displacement', 3, 2]),
      'its displacement is at 3 (2 bytes); the decoder says 3 (1 bytes)',
    );
  });

  it('refuses immediate fields that are not, one for one, where and as long as the decoder reports', () => {
    const elsewhere = "its immediate fields do not sit where the decoder's constant offsets put them";
    refused(
      withImmediate,
      tiling(['rex', 0, 1], ['opcode', 1, 1], ['modrm', 2, 1], ['immediate', 3, 2], ['immediate', 5, 2]),
      elsewhere,
    );
    refused(
      withImmediate,
      tiling(['rex', 0, 1], ['opcode', 1, 1], ['immediate', 2, 4], ['modrm', 6, 1]),
      elsewhere,
    );
    refused(
      withImmediate,
      tiling(['rex', 0, 1], ['opcode', 1, 1], ['modrm', 2, 1], ['immediate', 3, 3], ['sib', 6, 1]),
      elsewhere,
    );
    refused(
      withDisplacement,
      tiling(['opcode', 0, 1], ['modrm', 1, 1], ['immediate', 2, 1], ['displacement', 3, 1]),
      elsewhere,
    );
  });
});
