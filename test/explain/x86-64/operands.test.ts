/**
 * Immediates, displacements and relative targets (operands.ts) on instructions encoded by hand from the
 * Intel SDM (Vol. 2, ch. 2): immediates of every width, sign-extended or not, and a rel8 branch, field by
 * field; refused when the decoder's value, place or branch target contradicts the bytes.
 */
import { describe } from 'node:test';
import {
  type Contradiction,
  type Described,
  describesFieldByField,
  iced,
  refusesWhatTheDecoderContradicts,
  says,
  saysFor,
} from '../../support/x86-annotation.js';

const { ConstantOffsets, Instruction } = iced;

const DESCRIBED: Described[] = [
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
];

describe('immediates and displacements, on instructions encoded by hand', () =>
  describesFieldByField(DESCRIBED));

const CONTRADICTIONS: Contradiction[] = [
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
];

describe('immediates and displacements refused when the decoder contradicts the bytes', () =>
  refusesWhatTheDecoderContradicts(CONTRADICTIONS));
