/**
 * The opcode (opcode.ts): a register in the opcode's low bits (B8+rd), field by field; refused when the
 * decoder's opcode table, opcode or register contradicts the bytes.
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

const { Instruction, OpCodeInfo, OpCodeTableKind, Register } = iced;

const DESCRIBED: Described[] = [
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
];

describe('the opcode, on instructions encoded by hand', () => describesFieldByField(DESCRIBED));

const CONTRADICTIONS: Contradiction[] = [
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
];

describe('the opcode refused when the decoder contradicts the bytes', () =>
  refusesWhatTheDecoderContradicts(CONTRADICTIONS));
