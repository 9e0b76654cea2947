/**
 * The A64 instruction forms babyjit's arm64 pages are made of, each as the Arm Architecture Reference
 * Manual draws it: its bit fields from bit 31 down to bit 0, with their names, the bits a form fixes, and
 * what each field's value means in plain words, plus the instruction's text (the Arm ARM's preferred
 * disassembly, as capstone prints it) and a line saying what it does.
 *
 * A form's fixed bits are its identity: the mask and match that recognise its words are derived from
 * them, so they are written once. Register fields that hold 31 (the stack pointer or the zero register,
 * depending on the field) are outside what the pages use, and a word holding one is not claimed.
 */

/** Field values of one word, by field name. */
export type FieldValues = Readonly<Record<string, number>>;

export interface FieldSpec {
  /** The field's name as the Arm ARM writes it: 'sf', 'opc', 'hw', 'imm16', 'Rd'; 'fixed' for literal bits it does not name. */
  readonly name: string;
  readonly high: number;
  readonly low: number;
  /** The bits this form requires, most significant first; absent for an operand field. */
  readonly fixed?: string;
  /** What the field's value means in this word. */
  readonly meaning: (value: number, fields: FieldValues) => string;
}

export interface Form {
  /** The Arm ARM's heading for the encoding, e.g. 'MOVZ (32-bit)'. */
  readonly heading: string;
  readonly fields: readonly FieldSpec[];
  /** Further conditions on the operand fields (e.g. no register 31); every word passes if absent. */
  readonly accepts?: (fields: FieldValues) => boolean;
  /** The instruction as text, `address` being the word's own address (for branch targets). */
  readonly text: (fields: FieldValues, address: number) => string;
  /** What the instruction does, in a line. */
  readonly operation: (fields: FieldValues, address: number) => string;
}

/** An immediate as capstone and the Arm ARM's examples print it: decimal up to 9, hexadecimal above. */
export function immediate(value: number): string {
  if (value < 0) return `-${immediate(-value)}`;
  return value <= 9 ? `${value}` : `0x${value.toString(16)}`;
}

const hex = (value: number) => `0x${value.toString(16)}`;

/** The name of general-purpose register `number` at the width sf gives (0: W, 1: X). */
const gpr = (number: number, sf = 1) => `${sf === 1 ? 'x' : 'w'}${number}`;

const fixed = (high: number, low: number, bits: string, what: string, name = 'fixed'): FieldSpec => ({
  name,
  high,
  low,
  fixed: bits,
  meaning: () => what,
});

const operand = (name: string, high: number, low: number, meaning: FieldSpec['meaning']): FieldSpec => ({
  name,
  high,
  low,
  meaning,
});

const sizeFlag = operand('sf', 31, 31, (sf) =>
  sf === 1
    ? '1: 64-bit operation on X registers'
    : '0: 32-bit operation on W registers (the upper 32 bits of a result are zeroed)',
);
const sizeFlag32 = fixed(
  31,
  31,
  '0',
  '0: 32-bit operation on W registers (the upper 32 bits of the result are zeroed)',
  'sf',
);
const registerField = (name: string, high: number, low: number, role: string, width?: 'sf' | 32 | 64) =>
  operand(name, high, low, (number, fields) => {
    const sf = width === 'sf' ? (fields.sf ?? 1) : width === 32 ? 0 : 1;
    return `${gpr(number, sf)}: ${role}`;
  });
const vectorField = (name: string, high: number, low: number, role: string) =>
  operand(name, high, low, (number) => `v${number}: ${role}`);

/** No register field of the form holds 31 (which would mean sp or the zero register). */
const noRegister31 =
  (...names: string[]) =>
  (fields: FieldValues) =>
    names.every((name) => fields[name] !== 31);

/** Target of a branch whose 19-bit signed word offset is imm19, from the branch at `address`. */
function branchTarget(imm19: number, address: number): number {
  const words = imm19 >= 1 << 18 ? imm19 - (1 << 19) : imm19;
  return address + 4 * words;
}
const imm19Field = operand('imm19', 23, 5, (imm19) => {
  const words = branchTarget(imm19, 0) / 4;
  return `${words} words (${4 * words} bytes) from this instruction, signed`;
});

const moveWide = (movk: boolean): Form => ({
  heading: movk ? 'MOVK (32-bit)' : 'MOVZ (32-bit)',
  fields: [
    sizeFlag32,
    fixed(
      30,
      29,
      movk ? '11' : '10',
      movk
        ? '11: MOVK, the bits it does not write are kept'
        : '10: MOVZ, the bits it does not write are zeroed',
      'opc',
    ),
    fixed(28, 23, '100101', 'move wide (immediate)'),
    operand(
      'hw',
      22,
      21,
      (hw) => `${hw}: imm16 goes to bits ${16 * hw}-${16 * hw + 15} (shifted left by ${16 * hw})`,
    ),
    operand('imm16', 20, 5, (imm16) => `${hex(imm16)} (${imm16})`),
    registerField('Rd', 4, 0, 'the register written', 32),
  ],
  accepts: (fields) => (fields.hw as number) <= 1 && fields.Rd !== 31,
  text: ({ hw = 0, imm16 = 0, Rd = 0 }) => {
    const shift = hw === 0 ? '' : `, lsl #${16 * hw}`;
    if (movk) return `movk w${Rd}, #${immediate(imm16)}${shift}`;
    // MOV (wide immediate) is MOVZ's preferred disassembly unless it would hide a shift of a zero imm16.
    if (imm16 === 0 && hw !== 0) return `movz w${Rd}, #0${shift}`;
    return `mov w${Rd}, #${immediate((imm16 << (16 * hw)) >>> 0)}`;
  },
  operation: ({ hw = 0, imm16 = 0, Rd = 0 }) =>
    movk
      ? `bits ${16 * hw}-${16 * hw + 15} of w${Rd} = ${hex(imm16)}, its other bits kept`
      : `w${Rd} = ${hex((imm16 << (16 * hw)) >>> 0)}`,
});

const registerOperation = (
  heading: string,
  opcode: FieldSpec[],
  symbol: string,
  mnemonic: string,
  what: string,
): Form => ({
  heading,
  fields: [
    sizeFlag,
    ...opcode,
    fixed(23, 22, '00', '00: LSL, Rm shifted left', 'shift'),
    mnemonic === 'eor'
      ? fixed(21, 21, '0', '0: Rm as it is (1 would invert it: EON)', 'N')
      : fixed(21, 21, '0', '0: a shifted register (1 would be an extended one)'),
    registerField('Rm', 20, 16, 'the second source', 'sf'),
    fixed(15, 10, '000000', '0: shifted by nothing, so Rm is used as it is', 'imm6'),
    registerField('Rn', 9, 5, 'the first source', 'sf'),
    registerField('Rd', 4, 0, 'the destination', 'sf'),
  ],
  accepts: noRegister31('Rd', 'Rn', 'Rm'),
  text: ({ sf, Rd = 0, Rn = 0, Rm = 0 }) => `${mnemonic} ${gpr(Rd, sf)}, ${gpr(Rn, sf)}, ${gpr(Rm, sf)}`,
  operation: ({ sf, Rd = 0, Rn = 0, Rm = 0 }) =>
    `${gpr(Rd, sf)} = ${gpr(Rn, sf)} ${symbol} ${gpr(Rm, sf)}${what}`,
});

const immediateArithmetic = (subtract: boolean): Form => ({
  heading: subtract ? 'SUBS (immediate)' : 'ADD (immediate)',
  fields: [
    sizeFlag,
    fixed(30, 30, subtract ? '1' : '0', subtract ? '1: subtract' : '0: add', 'op'),
    fixed(
      29,
      29,
      subtract ? '1' : '0',
      subtract ? '1: set the flags NZCV from the result' : '0: leave the flags as they are',
      'S',
    ),
    fixed(28, 23, '100010', 'add/subtract (immediate)'),
    fixed(22, 22, '0', '0: imm12 as it is (1 would shift it left by 12)', 'sh'),
    operand('imm12', 21, 10, (imm12) => `${imm12}`),
    registerField('Rn', 9, 5, 'the source', 'sf'),
    registerField('Rd', 4, 0, 'the destination', 'sf'),
  ],
  accepts: noRegister31('Rd', 'Rn'),
  text: ({ sf, imm12 = 0, Rn = 0, Rd = 0 }) =>
    `${subtract ? 'subs' : 'add'} ${gpr(Rd, sf)}, ${gpr(Rn, sf)}, #${immediate(imm12)}`,
  operation: ({ sf, imm12 = 0, Rn = 0, Rd = 0 }) =>
    subtract
      ? `${gpr(Rd, sf)} = ${gpr(Rn, sf)} - ${imm12}, setting the flags (C = 1 if ${gpr(Rn, sf)} ≥ ${imm12} unsigned)`
      : `${gpr(Rd, sf)} = ${gpr(Rn, sf)} + ${imm12}`,
});

const branchToRegister = (isReturn: boolean): Form => ({
  heading: isReturn ? 'RET' : 'BR',
  fields: [
    fixed(31, 25, '1101011', 'unconditional branch (register)'),
    fixed(
      24,
      21,
      isReturn ? '0010' : '0000',
      isReturn ? '0010: RET, a return (a hint to the return predictor)' : '0000: BR, a plain jump',
      'opc',
    ),
    fixed(20, 16, '11111', '11111: required of every branch to a register', 'op2'),
    fixed(15, 10, '000000', '000000: no pointer authentication (its forms set these bits)', 'op3'),
    registerField('Rn', 9, 5, isReturn ? 'holds the return address' : 'holds the address to jump to', 64),
    fixed(4, 0, '00000', '00000: no pointer-authentication modifier', 'op4'),
  ],
  accepts: noRegister31('Rn'),
  text: ({ Rn = 30 }) => (isReturn ? (Rn === 30 ? 'ret' : `ret x${Rn}`) : `br x${Rn}`),
  operation: ({ Rn = 30 }) =>
    isReturn
      ? `return to the address in x${Rn}`
      : `jump to the address in x${Rn} (x30, the return address, untouched)`,
});

/** Condition names by cond, as `b.cond` spells them, and what each tests. */
const CONDITIONS: ReadonlyArray<[name: string, test: string]> = [
  ['eq', 'equal (Z = 1)'],
  ['ne', 'not equal (Z = 0)'],
  ['hs', 'unsigned higher or same (C = 1)'],
  ['lo', 'unsigned lower (C = 0)'],
  ['mi', 'negative (N = 1)'],
  ['pl', 'positive or zero (N = 0)'],
  ['vs', 'overflow (V = 1)'],
  ['vc', 'no overflow (V = 0)'],
  ['hi', 'unsigned higher (C = 1 and Z = 0)'],
  ['ls', 'unsigned lower or same (C = 0 or Z = 1)'],
  ['ge', 'signed greater or equal (N = V)'],
  ['lt', 'signed less than (N ≠ V)'],
  ['gt', 'signed greater than (Z = 0 and N = V)'],
  ['le', 'signed less or equal (Z = 1 or N ≠ V)'],
  ['al', 'always'],
];

const conditionalBranch: Form = {
  heading: 'B.cond',
  fields: [
    fixed(31, 25, '0101010', 'conditional branch (immediate)'),
    fixed(24, 24, '0', '0: B.cond (1 is unallocated)', 'o1'),
    imm19Field,
    fixed(
      4,
      4,
      '0',
      '0: B.cond (1 would be BC.cond, a hint that the branch goes one way consistently)',
      'o0',
    ),
    operand(
      'cond',
      3,
      0,
      (cond) => `${(CONDITIONS[cond] ?? ['nv'])[0]}: branch if ${(CONDITIONS[cond] ?? ['', 'always'])[1]}`,
    ),
  ],
  accepts: ({ cond = 15 }) => cond < CONDITIONS.length,
  text: ({ cond = 0, imm19 = 0 }, address) =>
    `b.${CONDITIONS[cond]?.[0]} #${immediate(branchTarget(imm19, address))}`,
  operation: ({ cond = 0, imm19 = 0 }, address) =>
    `if ${CONDITIONS[cond]?.[1]}, go to ${hex(branchTarget(imm19, address))}`,
};

const compareAndBranch: Form = {
  heading: 'CBZ',
  fields: [
    sizeFlag,
    fixed(30, 25, '011010', 'compare and branch (immediate)'),
    fixed(24, 24, '0', '0: CBZ, branch if zero (1 would be CBNZ)', 'op'),
    imm19Field,
    registerField('Rt', 4, 0, 'the register tested', 'sf'),
  ],
  accepts: noRegister31('Rt'),
  text: ({ sf, Rt = 0, imm19 = 0 }, address) =>
    `cbz ${gpr(Rt, sf)}, #${immediate(branchTarget(imm19, address))}`,
  operation: ({ sf, Rt = 0, imm19 = 0 }, address) =>
    `if ${gpr(Rt, sf)} is 0, go to ${hex(branchTarget(imm19, address))} (flags untouched)`,
};

const permanentlyUndefined: Form = {
  heading: 'UDF',
  fields: [
    fixed(31, 16, '0000000000000000', 'permanently undefined'),
    operand('imm16', 15, 0, (imm16) => `${imm16}: ignored by the CPU`),
  ],
  text: ({ imm16 = 0 }) => `udf #${immediate(imm16)}`,
  operation: () => 'trap: an Undefined Instruction exception, SIGILL (padding that stops any jump into it)',
};

/** Bits 31-26 of a 32-bit load or store of a general-purpose register, in every addressing form. */
const loadStoreW = [
  fixed(31, 30, '10', '10: 32-bit access (4 bytes)', 'size'),
  fixed(29, 27, '111', 'load/store register'),
  fixed(26, 26, '0', '0: a general-purpose register (1 would be a SIMD&FP one)', 'V'),
];

const loadRegister: Form = {
  heading: 'LDR (immediate, unsigned offset, 32-bit)',
  fields: [
    ...loadStoreW,
    fixed(25, 24, '01', '01: unsigned offset form'),
    fixed(23, 22, '01', '01: load', 'opc'),
    operand(
      'imm12',
      21,
      10,
      (imm12) => `${imm12}: offset ${4 * imm12} bytes (imm12 counts in units of the access size)`,
    ),
    registerField('Rn', 9, 5, 'the base address', 64),
    registerField('Rt', 4, 0, 'the register loaded', 32),
  ],
  accepts: noRegister31('Rn', 'Rt'),
  text: ({ imm12 = 0, Rn = 0, Rt = 0 }) =>
    `ldr w${Rt}, [x${Rn}${imm12 === 0 ? '' : `, #${immediate(4 * imm12)}`}]`,
  operation: ({ imm12 = 0, Rn = 0, Rt = 0 }) => `w${Rt} = the 32 bits at x${Rn} + ${4 * imm12}`,
};

/** imm9 as the signed byte count it encodes. */
const signed9 = (imm9: number) => (imm9 >= 256 ? imm9 - 512 : imm9);

const storeRegisterPostIndex: Form = {
  heading: 'STR (immediate, post-index, 32-bit)',
  fields: [
    ...loadStoreW,
    fixed(25, 24, '00', '00: register with a 9-bit immediate'),
    fixed(23, 22, '00', '00: store', 'opc'),
    fixed(21, 21, '0', '0: an immediate offset (1 would be a register offset)'),
    operand('imm9', 20, 12, (imm9) => `${signed9(imm9)}: bytes added to the base after the store, signed`),
    fixed(11, 10, '01', '01: post-index, the base is updated after the access'),
    registerField('Rn', 9, 5, 'the base address, updated', 64),
    registerField('Rt', 4, 0, 'the register stored', 32),
  ],
  accepts: noRegister31('Rn', 'Rt'),
  text: ({ imm9 = 0, Rn = 0, Rt = 0 }) => `str w${Rt}, [x${Rn}], #${immediate(signed9(imm9))}`,
  operation: ({ imm9 = 0, Rn = 0, Rt = 0 }) => `store w${Rt} at x${Rn}, then x${Rn} += ${signed9(imm9)}`,
};

/** Bits 31-30 of every Advanced SIMD encoding here: Q = 1 works on whole 128-bit registers. */
const simdQ = [
  fixed(31, 31, '0', '0: fixed in every Advanced SIMD encoding'),
  fixed(30, 30, '1', '1: all 128 bits of each vector register', 'Q'),
];

const duplicate: Form = {
  heading: 'DUP (general)',
  fields: [
    ...simdQ,
    fixed(29, 29, '0', '0: DUP and the other copies (1 would be INS (element))', 'op'),
    fixed(28, 21, '01110000', 'Advanced SIMD copy'),
    fixed(
      20,
      16,
      '00100',
      '00100: 32-bit elements (the lowest set bit gives the size); with Q = 1, 4S',
      'imm5',
    ),
    fixed(15, 15, '0', 'part of the Advanced SIMD copy class'),
    fixed(14, 11, '0001', '0001: DUP (general)', 'imm4'),
    fixed(10, 10, '1', 'part of the Advanced SIMD copy class'),
    registerField('Rn', 9, 5, 'the value copied', 32),
    vectorField('Rd', 4, 0, 'the vector register written'),
  ],
  accepts: noRegister31('Rn'),
  text: ({ Rn = 0, Rd = 0 }) => `dup v${Rd}.4s, w${Rn}`,
  operation: ({ Rn = 0, Rd = 0 }) => `each of the four 32-bit lanes of v${Rd} = w${Rn}`,
};

const vectorAdd: Form = {
  heading: 'ADD (vector)',
  fields: [
    ...simdQ,
    fixed(29, 29, '0', '0: ADD (1 would be SUB)', 'U'),
    fixed(28, 24, '01110', 'Advanced SIMD three same'),
    fixed(23, 22, '10', '10: 32-bit elements; with Q = 1, 4S', 'size'),
    fixed(21, 21, '1', 'part of the Advanced SIMD three-same class'),
    vectorField('Rm', 20, 16, 'the second source'),
    fixed(15, 11, '10000', '10000: add', 'opcode'),
    fixed(10, 10, '1', 'part of the Advanced SIMD three-same class'),
    vectorField('Rn', 9, 5, 'the first source'),
    vectorField('Rd', 4, 0, 'the destination'),
  ],
  text: ({ Rd = 0, Rn = 0, Rm = 0 }) => `add v${Rd}.4s, v${Rn}.4s, v${Rm}.4s`,
  operation: ({ Rd = 0, Rn = 0, Rm = 0 }) =>
    `v${Rd} = v${Rn} + v${Rm}, lane by lane: four 32-bit adds, each wrapping around`,
};

/** Registers in an LD1/ST1 list by its opcode field. */
const LIST_LENGTH: Readonly<Record<number, number>> = { 7: 1, 10: 2, 6: 3, 2: 4 };

const registerList = (first: number, opcode: number) =>
  Array.from({ length: LIST_LENGTH[opcode] ?? 0 }, (_, index) => `v${first + index}.4s`).join(', ');

const listAccepted = ({ opcode = 0, Rt = 0, Rn = 31 }: FieldValues) =>
  LIST_LENGTH[opcode] !== undefined && Rt + (LIST_LENGTH[opcode] as number) <= 32 && Rn !== 31;

const listOpcode = operand(
  'opcode',
  15,
  12,
  (opcode) => `${opcode.toString(2).padStart(4, '0')}: ${LIST_LENGTH[opcode]} consecutive registers`,
);

const vectorLoad: Form = {
  heading: 'LD1 (multiple structures, no offset)',
  fields: [
    ...simdQ,
    fixed(29, 23, '0011000', 'Advanced SIMD load/store multiple structures, no offset'),
    fixed(22, 22, '1', '1: load', 'L'),
    fixed(21, 16, '000000', '000000: the no-offset form has no Rm'),
    listOpcode,
    fixed(11, 10, '10', '10: 32-bit elements; with Q = 1, 4S', 'size'),
    registerField('Rn', 9, 5, 'the address, any alignment', 64),
    vectorField('Rt', 4, 0, 'the first register of the list'),
  ],
  accepts: listAccepted,
  text: ({ opcode = 0, Rn = 0, Rt = 0 }) => `ld1 {${registerList(Rt, opcode)}}, [x${Rn}]`,
  operation: ({ opcode = 0, Rn = 0, Rt = 0 }) => {
    const count = LIST_LENGTH[opcode] as number;
    return `${count === 1 ? `v${Rt}` : `v${Rt}-v${Rt + count - 1}`} = the ${16 * count} bytes at x${Rn}`;
  },
};

const vectorStorePostIndex: Form = {
  heading: 'ST1 (multiple structures, post-index immediate)',
  fields: [
    ...simdQ,
    fixed(29, 23, '0011001', 'Advanced SIMD load/store multiple structures, post-index'),
    fixed(22, 22, '0', '0: store', 'L'),
    fixed(21, 21, '0', 'fixed in the multiple-structures class'),
    fixed(
      20,
      16,
      '11111',
      '11111: the base advances by the bytes stored (another register would add itself)',
      'Rm',
    ),
    listOpcode,
    fixed(11, 10, '10', '10: 32-bit elements; with Q = 1, 4S', 'size'),
    registerField('Rn', 9, 5, 'the address, any alignment, updated', 64),
    vectorField('Rt', 4, 0, 'the first register of the list'),
  ],
  accepts: listAccepted,
  text: ({ opcode = 0, Rn = 0, Rt = 0 }) =>
    `st1 {${registerList(Rt, opcode)}}, [x${Rn}], #${immediate(16 * (LIST_LENGTH[opcode] as number))}`,
  operation: ({ opcode = 0, Rn = 0, Rt = 0 }) => {
    const count = LIST_LENGTH[opcode] as number;
    return `store ${count === 1 ? `v${Rt}` : `v${Rt}-v${Rt + count - 1}`} at x${Rn}, then x${Rn} += ${16 * count}`;
  },
};

export const FORMS: readonly Form[] = [
  moveWide(false),
  moveWide(true),
  registerOperation(
    'ADD (shifted register)',
    [
      fixed(30, 30, '0', '0: add', 'op'),
      fixed(29, 29, '0', '0: leave the flags as they are', 'S'),
      fixed(28, 24, '01011', 'add/subtract (shifted register)'),
    ],
    '+',
    'add',
    ', wrapping around',
  ),
  registerOperation(
    'EOR (shifted register)',
    [fixed(30, 29, '10', '10: exclusive or', 'opc'), fixed(28, 24, '01010', 'logical (shifted register)')],
    '^',
    'eor',
    '',
  ),
  immediateArithmetic(false),
  immediateArithmetic(true),
  branchToRegister(false),
  branchToRegister(true),
  conditionalBranch,
  compareAndBranch,
  permanentlyUndefined,
  loadRegister,
  storeRegisterPostIndex,
  duplicate,
  vectorAdd,
  vectorLoad,
  vectorStorePostIndex,
];
