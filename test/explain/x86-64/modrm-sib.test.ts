/**
 * ModRM and SIB (modrm-sib.ts) on instructions encoded by hand from the Intel SDM (Vol. 2, ch. 2): SIB
 * with and without index and base, and RIP-relative addresses, field by field; refused when the decoder's
 * registers, opcode extension, index, scale or base contradict the bits.
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

const { Instruction, OpCodeInfo, OpKind, Register } = iced;

const DESCRIBED: Described[] = [
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
];

describe('ModRM and SIB, on instructions encoded by hand', () => describesFieldByField(DESCRIBED));

const CONTRADICTIONS: Contradiction[] = [
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
];

describe('ModRM and SIB refused when the decoder contradicts the bytes', () =>
  refusesWhatTheDecoderContradicts(CONTRADICTIONS));
