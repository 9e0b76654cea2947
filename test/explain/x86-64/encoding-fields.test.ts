/**
 * The fields put in order (encoding-fields.ts): refused for encodings the annotator does not describe
 * (EVEX, a register in an immediate, a moffs address), for a decoder whose opcode has no ModRM for ModRM
 * operands or reports a displacement nothing calls for, and for fields that run past the instruction's
 * end. Each kind of field has its own file of tests beside this one.
 */
import { describe } from 'node:test';
import {
  type Contradiction,
  iced,
  refusesWhatIsNotDescribed,
  refusesWhatTheDecoderContradicts,
  says,
} from '../../support/x86-annotation.js';

const { ConstantOffsets, Instruction, OpCodeInfo } = iced;

const CONTRADICTIONS: Contradiction[] = [
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

describe('encoding fields refused when the decoder contradicts the bytes', () =>
  refusesWhatTheDecoderContradicts(CONTRADICTIONS));

const UNDESCRIBED: Array<[string, string]> = [
  ['62 f1 7d 48 fe 07', 'EVEX-encoded instructions are not described (only legacy and VEX)'],
  ['c4 e3 7d 4a c1 20', 'a register encoded in an immediate byte (/is4) is not described'],
  ['a1 00 01 00 00 00 00 00 00', 'operand [qword 0x100] (mem_offs) is not described'],
];

describe('encoding fields refused for what the annotator does not describe', () =>
  refusesWhatIsNotDescribed(UNDESCRIBED));
