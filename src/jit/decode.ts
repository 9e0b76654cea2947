/**
 * Decodes machine code with iced-x86, a complete x86 decoder, so that what we show is what the CPU will
 * run, read from the bytes themselves, not a string we wrote beside them.
 */
import { createRequire } from 'node:module';

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

/** Lowercase hex pairs separated by single spaces: `48 c7 c0 01 00 00 00`. */
export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join(' ');
}

/**
 * Decodes `code` as 64-bit x86. The decoder starts at instruction pointer 0, so no real address appears in
 * the output even for relative branches.
 */
export function disassemble(code: Uint8Array): DecodedInstruction[] {
  const { Decoder, DecoderOptions, Formatter, FormatterSyntax, Instruction, Mnemonic } = iced();
  const decoder = new Decoder(64, code, DecoderOptions.None);
  const formatter = new Formatter(FormatterSyntax.Nasm);
  const instruction = new Instruction();
  try {
    // Terms are signed: show `mov rax, -4` rather than the sign-extended 0FFFFFFFFFFFFFFFCh.
    formatter.signedImmediateOperands = true;
    formatter.spaceAfterOperandSeparator = true;
    formatter.hexPrefix = '0x';
    formatter.hexSuffix = '';
    formatter.uppercaseHex = false;
    formatter.branchLeadingZeros = false;
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
