/**
 * Decodes machine code with iced-x86, a complete x86 decoder, so that what we show is what the CPU will
 * run, read from the bytes themselves, not a string we wrote beside them. The one file that touches
 * iced's objects: it sets the decoder up for every reading of x86-64 code and reads what it reports into
 * plain data (facts.ts).
 */
import { createRequire } from 'node:module';
import { AnnotationError } from '../annotation.js';
import type { DecodedFacts, OperandEncodingName, OperandFacts, RegisterFacts } from './facts.js';

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
 * Decodes `code` as 64-bit x86 and hands each instruction in turn to `read`, with the decoder and the
 * formatter behind every text we show. The decoder starts at instruction pointer 0, so no real address
 * appears in the output even for relative branches. iced's objects are freed however `read` ends.
 */
export function decodeEach<T>(
  code: Uint8Array,
  read: (
    instruction: import('iced-x86').Instruction,
    decoder: import('iced-x86').Decoder,
    formatter: import('iced-x86').Formatter,
  ) => T,
): T[] {
  const { Decoder, DecoderOptions, Instruction } = iced();
  const decoder = new Decoder(64, code, DecoderOptions.None);
  const formatter = createFormatter();
  const instruction = new Instruction();
  try {
    decoder.ip = 0n;
    const decoded: T[] = [];
    while (decoder.canDecode) {
      decoder.decodeOut(instruction);
      decoded.push(read(instruction, decoder, formatter));
    }
    return decoded;
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
export function readFacts(
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
