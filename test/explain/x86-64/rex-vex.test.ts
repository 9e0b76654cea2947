/**
 * REX and VEX (rex-vex.ts) on instructions encoded by hand from the Intel SDM (Vol. 2, ch. 2-3): REX.W and
 * the extension bits of REX and of the 2- and 3-byte VEX prefixes, field by field; refused when the
 * decoder's operand size, map, pp, L, W or vvvv register contradicts the bits.
 */
import { describe } from 'node:test';
import {
  type Contradiction,
  type Described,
  describesFieldByField,
  iced,
  refusesWhatIsNotDescribed,
  refusesWhatTheDecoderContradicts,
  says,
  saysFor,
} from '../../support/x86-annotation.js';

const {
  EncodingKind,
  Instruction,
  MandatoryPrefix,
  OpCodeInfo,
  OpCodeOperandKind,
  OpCodeTableKind,
  Register,
} = iced;

const DESCRIBED: Described[] = [
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

describe('REX and VEX, on instructions encoded by hand', () => describesFieldByField(DESCRIBED));

const CONTRADICTIONS: Contradiction[] = [
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
];

describe('REX and VEX refused when the decoder contradicts the bytes', () =>
  refusesWhatTheDecoderContradicts(CONTRADICTIONS));

const UNDESCRIBED: Array<[string, string]> = [['48 0f a2', 'what REX.W does to CPUID is not described']];

describe('REX and VEX refused for what the annotator does not describe', () =>
  refusesWhatIsNotDescribed(UNDESCRIBED));
