/**
 * Decodes machine code with iced-x86 into plain data a test can compare, through the explainer's own set-up
 * of the decoder (src/explain/x86-64/decoder.ts) but none of its annotation: each instruction's text as
 * the disassembly prints it (disassemble), or its offset, length, mnemonic, operands (registers by name,
 * memory as base and displacement, immediates as signed numbers) and, for a branch, the offset it jumps to
 * (decodeOperands). The second reads iced's fields rather than its formatted text, so that a test checks the
 * operands themselves, not one formatter's way of printing them.
 */
import { createRequire } from 'node:module';
import { decodeEach } from '../../src/explain/x86-64/decoder.js';
import { toHex } from '../../src/jit/hex.js';

type Iced = typeof import('iced-x86');
const iced = createRequire(import.meta.url)('iced-x86') as Iced;

export interface DecodedInstruction {
  /** Offset from the start of the code, in bytes. */
  offset: number;
  /** The instruction's bytes as lowercase hex pairs separated by spaces. */
  bytes: string;
  /** Intel syntax in nasm's style, e.g. "mov rax, -4", as GET /adders/:n shows it. */
  text: string;
  /** iced's mnemonic name, e.g. "Mov"; 'INVALID' for bytes that are no instruction. */
  mnemonic: string;
}

/** Decodes `code` as 64-bit x86 at ip 0: each instruction's offset, bytes, text and mnemonic, nothing more. */
export function disassemble(code: Uint8Array): DecodedInstruction[] {
  return decodeEach(code, (instruction, _decoder, formatter) => {
    const offset = Number(instruction.ip);
    return {
      offset,
      bytes: toHex(code.subarray(offset, offset + instruction.length)),
      text: formatter.format(instruction),
      mnemonic: iced.Mnemonic[instruction.mnemonic] ?? 'INVALID',
    };
  });
}

export interface DecodedOperands {
  offset: number;
  length: number;
  /** iced's mnemonic name, e.g. 'Vpaddd'; 'INVALID' for bytes that are no instruction. */
  mnemonic: string;
  /** e.g. ['YMM1', 'YMM1', 'YMM0'], ['XMM2', '[RDI+16]'], ['RCX', 5]. */
  operands: Array<string | number>;
  /** Where a near branch goes, as an offset from the start of the code. */
  branchTarget?: number;
}

export function decodeOperands(code: Uint8Array): DecodedOperands[] {
  const { Mnemonic, OpKind, Register } = iced;
  return decodeEach(code, (instruction) => {
    const operands: Array<string | number> = [];
    let branchTarget: number | undefined;
    for (let index = 0; index < instruction.opCount; index += 1) {
      const kind = instruction.opKind(index);
      if (kind === OpKind.Register) {
        operands.push(Register[instruction.opRegister(index)] ?? 'UNKNOWN');
      } else if (kind === OpKind.Memory) {
        const base = Register[instruction.memoryBase] ?? 'UNKNOWN';
        const index = instruction.memoryIndex === Register.None ? '' : '+index';
        const displacement = Number(BigInt.asIntN(64, instruction.memoryDisplacement));
        operands.push(
          `[${base}${index}${displacement === 0 ? '' : displacement > 0 ? `+${displacement}` : displacement}]`,
        );
      } else if (kind === OpKind.NearBranch64) {
        branchTarget = Number(instruction.nearBranch64);
        operands.push(branchTarget);
      } else {
        // Signed, in the width the instruction computes with: a 32-bit operation's immediate as an int32.
        const bits = kind === OpKind.Immediate32 ? 32 : 64;
        operands.push(Number(BigInt.asIntN(bits, instruction.immediate(index))));
      }
    }
    return {
      offset: Number(instruction.ip),
      length: instruction.length,
      mnemonic: Mnemonic[instruction.mnemonic] ?? 'INVALID',
      operands,
      ...(branchTarget === undefined ? {} : { branchTarget }),
    };
  });
}

/** Decodes `bytes` as exactly one instruction, and throws if they hold more or less than one. */
export function decodeOne(bytes: number[] | Uint8Array): {
  mnemonic: string;
  operands: Array<string | number>;
} {
  const decoded = decodeOperands(Uint8Array.from(bytes));
  const [first] = decoded;
  if (decoded.length !== 1 || first === undefined || first.length !== bytes.length) {
    throw new Error(`${bytes.length} bytes decoded to ${decoded.length} instructions`);
  }
  return { mnemonic: first.mnemonic, operands: first.operands };
}
