/**
 * What iced-x86 reports about one decoded instruction, as plain data (decoder.ts reads it out of iced's
 * objects and frees them): what the field modules hold the bytes to, without ever loading the
 * WebAssembly decoder themselves.
 */

type Iced = typeof import('iced-x86');
/** iced's OpCodeOperandKind names: where the opcode table says an operand is encoded, e.g. 'r64_or_mem'. */
export type OperandEncodingName = keyof Iced['OpCodeOperandKind'];

export interface RegisterFacts {
  /** As the disassembly writes it: 'rax', 'ymm0'. */
  name: string;
  /** iced's register number: 0-15 for most classes; for byte registers al..bl 0-3, ah..bh 4-7, spl.. 8-19. */
  number: number;
  /** Size in bytes. */
  size: number;
  /** A general-purpose register (byte registers number differently, see encodedRegisterNumber). */
  gpr: boolean;
}

export interface OperandFacts {
  /** Where the opcode table encodes this operand (iced's OpCodeOperandKind name). */
  encoding: OperandEncodingName;
  /** The operand as the disassembly shows it: 'rax', '[rdi+0x20]', '-4'. */
  text: string;
  register?: RegisterFacts;
  memory: boolean;
  /** The decoder's value of an immediate operand, after any sign extension, as an unsigned 64-bit number. */
  immediate?: bigint;
}

/** What iced-x86 reports about one decoded instruction, read out of its objects before they are freed. */
export interface DecodedFacts {
  /** Offset of the instruction in the code (the decoder starts at ip 0). */
  offset: number;
  /** The instruction's bytes, exactly `length` of them. */
  bytes: Uint8Array;
  /** iced's Mnemonic name, e.g. 'Mov'. */
  mnemonic: string;
  /** iced's EncodingKind name: 'Legacy', 'VEX', 'EVEX', 'XOP', 'D3NOW' or 'MVEX'. */
  encoding: string;
  opCode: {
    /** e.g. 'o64 C7 /0 id'. */
    opCodeString: string;
    /** e.g. 'MOV r/m64, imm32'. */
    instructionString: string;
    /** The opcode byte(s) without the table's escape bytes, most significant first, `length` of them. */
    value: number;
    length: number;
    /** iced's OpCodeTableKind name: 'Normal', 'T0F', 'T0F38', 'T0F3A', ... */
    table: string;
    /** iced's MandatoryPrefix name: 'None', 'PNP', 'P66', 'PF3', 'PF2'. */
    mandatoryPrefix: string;
    /** 0-7 when ModRM.reg extends the opcode (`/digit`), else -1. */
    groupIndex: number;
    /** (VEX) L and W as the opcode requires them, unless ignored. */
    L: number;
    W: number;
    isLIG: boolean;
    isWIG: boolean;
    /** (Legacy) operand size the opcode requires (16, 32, 64) or 0. */
    operandSize: number;
    /** 64-bit operand size without REX.W in 64-bit mode (near branches, push, pop...). */
    defaultOpSize64: boolean;
    forceOpSize64: boolean;
  };
  operands: OperandFacts[];
  /** The memory operand's parts, when an operand is encoded through ModRM as memory. */
  memory?: {
    base?: RegisterFacts;
    index?: RegisterFacts;
    scale: number;
    /** The decoder's displacement: for RIP-relative operands, the address it designates. */
    displacement: bigint;
  };
  prefixes: { lock: boolean; rep: boolean; repne: boolean; segment?: string };
  stringInstruction: boolean;
  /** Whether the instruction can change the flow of control (branches, calls, returns, traps). */
  branch: boolean;
  /** Offset of the next instruction. */
  nextOffset: number;
  /** The target of a relative branch, as the decoder computed it. */
  branchTarget?: bigint;
  /** iced's ConstantOffsets: where the displacement and immediates sit in the instruction. */
  constantOffsets: {
    displacement?: { offset: number; size: number };
    immediates: Array<{ offset: number; size: number }>;
  };
}
