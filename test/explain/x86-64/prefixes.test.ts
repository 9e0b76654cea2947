/**
 * The legacy prefixes (prefixes.ts) on instructions encoded by hand from the Intel SDM (Vol. 2, ch. 2):
 * LOCK, REP, REPE and REPNE, mandatory prefixes, operand- and address-size overrides and segments, field
 * by field; refused when the decoder reports a prefix the bytes lack, and when repeated, conflicting or
 * without an effect the annotator can describe.
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
} from '../../support/x86-annotation.js';

const { Instruction, MandatoryPrefix, OpCodeInfo, Register } = iced;

const DESCRIBED: Described[] = [
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
];

describe('legacy prefixes, on instructions encoded by hand', () => describesFieldByField(DESCRIBED));

const CONTRADICTIONS: Contradiction[] = [
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
];

describe('legacy prefixes refused when the decoder contradicts the bytes', () =>
  refusesWhatTheDecoderContradicts(CONTRADICTIONS));

const UNDESCRIBED: Array<[string, string]> = [
  ['66 66 90', 'repeated or conflicting prefix 66'],
  ['48 48 01 f8', 'a REX prefix followed by another prefix (the CPU ignores that REX)'],
  ['48 66 01 f8', 'a REX prefix followed by another prefix (the CPU ignores that REX)'],
  // 2E before a branch is a hint (or NOTRACK), not a segment.
  ['2e 74 00', 'prefix 2E has no effect this service can describe on JE rel8'],
  ['f3 c3', 'prefix F3 has no effect this service can describe on RET'],
];

describe('legacy prefixes refused for what the annotator does not describe', () =>
  refusesWhatIsNotDescribed(UNDESCRIBED));
