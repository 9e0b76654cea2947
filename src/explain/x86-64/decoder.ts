/**
 * Decodes machine code with iced-x86, a complete x86 decoder, so that what we show is what the CPU will
 * run, read from the bytes themselves, not a string we wrote beside them.
 */
import { createRequire } from 'node:module';
import { toHex } from '../../jit/hex.js';
import {
  AnnotationError,
  type DecodedFacts,
  deriveEncodingFields,
  type EncodingField,
  type OperandEncodingName,
  type OperandFacts,
  type RegisterFacts,
} from './encoding-fields.js';
import { operationFor, referenceFor } from './mnemonics.js';

export {
  AnnotationError,
  type AnnotationRefusal,
  type EncodingBits,
  type EncodingField,
  type EncodingFieldKind,
} from './encoding-fields.js';

type Iced = typeof import('iced-x86');
let icedModule: Iced | undefined;

/**
 * iced-x86 is WebAssembly, which a `node --jitless` process cannot instantiate. Loading it on first use
 * keeps the rest of the service (and its clear start-up errors) working in such a process.
 */
function iced(): Iced {
  icedModule ??= createRequire(import.meta.url)('iced-x86') as Iced;
  return icedModule;
}

export interface DecodedInstruction {
  /** Offset from the start of the code, in bytes. */
  offset: number;
  /** The instruction's bytes as lowercase hex pairs separated by spaces. */
  bytes: string;
  /** Intel syntax in nasm's style, e.g. "mov rax, -4". */
  text: string;
  /** iced's mnemonic name, e.g. "Mov", for programs that check the instruction rather than read it. */
  mnemonic: string;
}

/** The formatter behind every text we show: nasm syntax, 0x hex, signed immediates. Free it after use. */
function createFormatter(): import('iced-x86').Formatter {
  const { Formatter, FormatterSyntax } = iced();
  const formatter = new Formatter(FormatterSyntax.Nasm);
  // Terms are signed: show `mov rax, -4` rather than the sign-extended 0FFFFFFFFFFFFFFFCh.
  formatter.signedImmediateOperands = true;
  formatter.spaceAfterOperandSeparator = true;
  formatter.hexPrefix = '0x';
  formatter.hexSuffix = '';
  formatter.uppercaseHex = false;
  formatter.branchLeadingZeros = false;
  return formatter;
}

/**
 * Decodes `code` as 64-bit x86. The decoder starts at instruction pointer 0, so no real address appears in
 * the output even for relative branches.
 */
export function disassemble(code: Uint8Array): DecodedInstruction[] {
  const { Decoder, DecoderOptions, Instruction, Mnemonic } = iced();
  const decoder = new Decoder(64, code, DecoderOptions.None);
  const formatter = createFormatter();
  const instruction = new Instruction();
  try {
    decoder.ip = 0n;
    const decoded: DecodedInstruction[] = [];
    while (decoder.canDecode) {
      decoder.decodeOut(instruction);
      const offset = Number(instruction.ip);
      decoded.push({
        offset,
        bytes: toHex(code.subarray(offset, offset + instruction.length)),
        text: formatter.format(instruction),
        mnemonic: Mnemonic[instruction.mnemonic] ?? 'INVALID',
      });
    }
    return decoded;
  } finally {
    instruction.free();
    formatter.free();
    decoder.free();
  }
}

/** One instruction as the explorer shows it: its text, what it does, and every byte's part in it. */
export interface AnnotatedInstruction extends DecodedInstruction {
  length: number;
  /** iced's opcode description, e.g. "o64 C7 /0 id" (Intel SDM notation; o64 = 64-bit operand size). */
  opCodeString: string;
  /** The instruction's form, e.g. "MOV r/m64, imm32". */
  instructionString: string;
  /** The mnemonic's reference page, or null when we have none for it. */
  reference: string | null;
  /** What it does in plain words, e.g. "eax ← eax ^ 0x1234". */
  operation: string;
  /** The encoding fields, in order, tiling the instruction's bytes exactly. */
  fields: EncodingField[];
}

/**
 * Decodes `code` as 64-bit x86 at ip 0 and splits every instruction into its encoding fields, each checked
 * against the decoder (see encoding-fields.ts). Throws AnnotationError for the first instruction it cannot
 * vouch for (invalid, cut short, an encoding it does not describe, a field the decoder contradicts):
 * all or nothing, never a guess.
 */
export function annotate(code: Uint8Array): AnnotatedInstruction[] {
  const { Decoder, DecoderOptions, Instruction } = iced();
  const decoder = new Decoder(64, code, DecoderOptions.None);
  const formatter = createFormatter();
  const instruction = new Instruction();
  try {
    decoder.ip = 0n;
    const annotated: AnnotatedInstruction[] = [];
    while (decoder.canDecode) {
      decoder.decodeOut(instruction);
      const facts = readFacts(code, decoder, instruction, formatter);
      annotated.push({
        offset: facts.offset,
        bytes: toHex(facts.bytes),
        text: formatter.format(instruction),
        mnemonic: facts.mnemonic,
        length: facts.bytes.length,
        opCodeString: facts.opCode.opCodeString,
        instructionString: facts.opCode.instructionString,
        reference: referenceFor(facts),
        operation: operationFor(facts),
        fields: deriveEncodingFields(facts),
      });
    }
    return annotated;
  } finally {
    instruction.free();
    formatter.free();
    decoder.free();
  }
}

/**
 * Reads what the decoder reports about the instruction it just decoded into plain data, freeing the
 * objects iced hands back on the way (the OpCodeInfo and the ConstantOffsets are new WebAssembly
 * allocations each time, never collected by JavaScript's garbage collector).
 */
function readFacts(
  code: Uint8Array,
  decoder: import('iced-x86').Decoder,
  instruction: import('iced-x86').Instruction,
  formatter: import('iced-x86').Formatter,
): DecodedFacts {
  const {
    DecoderError,
    EncodingKind,
    FlowControl,
    MandatoryPrefix,
    Mnemonic,
    OpCodeOperandKind,
    OpCodeTableKind,
    OpKind,
    Register,
    RegisterExt,
  } = iced();
  const offset = Number(instruction.ip);
  const bytes = code.subarray(offset, offset + instruction.length);
  if (instruction.isInvalid) {
    const ranOut = decoder.lastError === DecoderError.NoMoreBytes;
    throw new AnnotationError(
      offset,
      bytes,
      ranOut ? 'truncated' : 'invalid',
      ranOut
        ? `the decoder needs more bytes than the ${bytes.length} left: the code ends inside an instruction`
        : 'the decoder finds no valid instruction here',
    );
  }
  const registerFacts = (register: import('iced-x86').Register): RegisterFacts | undefined =>
    register === Register.None
      ? undefined
      : {
          name: formatter.formatRegister(register),
          number: RegisterExt.number(register),
          size: RegisterExt.size(register),
          gpr: RegisterExt.isGPR(register),
        };
  const opCode = instruction.opCode;
  const constantOffsets = decoder.getConstantOffsets(instruction);
  try {
    const operands: OperandFacts[] = [];
    let hasMemory = false;
    let branchTarget: bigint | undefined;
    for (let i = 0; i < instruction.opCount; i += 1) {
      const kind = instruction.opKind(i);
      const formatterOperand = formatter.getFormatterOperand(instruction, i);
      const operand: OperandFacts = {
        encoding: OpCodeOperandKind[opCode.opKind(i)] as OperandEncodingName,
        text: formatterOperand === undefined ? '' : formatter.formatOperand(instruction, formatterOperand),
        memory: kind === OpKind.Memory,
      };
      if (kind === OpKind.Register) operand.register = registerFacts(instruction.opRegister(i));
      if (kind >= OpKind.Immediate8 && kind <= OpKind.Immediate32to64)
        operand.immediate = instruction.immediate(i);
      if (kind === OpKind.NearBranch16 || kind === OpKind.NearBranch32 || kind === OpKind.NearBranch64) {
        branchTarget = instruction.nearBranchTarget;
      }
      hasMemory ||= operand.memory;
      operands.push(operand);
    }
    const immediates = [];
    if (constantOffsets.hasImmediate) {
      immediates.push({ offset: constantOffsets.immediateOffset, size: constantOffsets.immediateSize });
    }
    if (constantOffsets.hasImmediate2) {
      immediates.push({ offset: constantOffsets.immediateOffset2, size: constantOffsets.immediateSize2 });
    }
    return {
      offset,
      bytes,
      mnemonic: Mnemonic[instruction.mnemonic] ?? 'INVALID',
      encoding: EncodingKind[instruction.encoding] ?? 'unknown',
      opCode: {
        opCodeString: opCode.opCodeString,
        instructionString: opCode.instructionString,
        value: opCode.opCode,
        length: opCode.opCodeLength,
        table: OpCodeTableKind[opCode.table] ?? 'unknown',
        mandatoryPrefix: MandatoryPrefix[opCode.mandatoryPrefix] ?? 'unknown',
        groupIndex: opCode.groupIndex,
        L: opCode.L,
        W: opCode.W,
        isLIG: opCode.isLIG,
        isWIG: opCode.isWIG,
        operandSize: opCode.operandSize,
        defaultOpSize64: opCode.defaultOpSize64,
        forceOpSize64: opCode.forceOpSize64,
      },
      operands,
      ...(hasMemory
        ? {
            memory: {
              base: registerFacts(instruction.memoryBase),
              index: registerFacts(instruction.memoryIndex),
              scale: instruction.memoryIndexScale,
              displacement: instruction.memoryDisplacement,
            },
          }
        : {}),
      prefixes: {
        lock: instruction.hasLockPrefix,
        rep: instruction.hasRepPrefix,
        repne: instruction.hasRepnePrefix,
        segment: registerFacts(instruction.segmentPrefix)?.name,
      },
      stringInstruction: instruction.isStringInstruction,
      branch: instruction.flowControl !== FlowControl.Next,
      nextOffset: Number(instruction.nextIP),
      branchTarget,
      constantOffsets: {
        ...(constantOffsets.hasDisplacement
          ? {
              displacement: {
                offset: constantOffsets.displacementOffset,
                size: constantOffsets.displacementSize,
              },
            }
          : {}),
        immediates,
      },
    };
  } finally {
    constantOffsets.free();
    opCode.free();
  }
}
