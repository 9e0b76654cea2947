/**
 * What the explainer answers for machine code, whatever its architecture: annotated instructions, each with
 * its text, what it does in plain words and the encoding fields that tile its bytes; and the error it
 * throws rather than describe what it cannot vouch for. GET /adders/:n's `disassembly` is this shape.
 */
import { JitError } from '../jit/errors.js';
import { toHex } from '../jit/hex.js';

export type EncodingFieldKind =
  | 'prefix'
  | 'rex'
  | 'vex'
  | 'opcode'
  | 'modrm'
  | 'sib'
  | 'displacement'
  | 'immediate';

/** A group of bits inside a field, most significant first within its byte. */
export interface EncodingBits {
  /** The bits' name as the Intel SDM writes it: 'W', 'mod', 'reg', 'R̄', 'vvvv', 'pp'. */
  name: string;
  /** The bits as written in the byte, e.g. '11', '000'. */
  value: string;
  meaning: string;
}

export interface EncodingField {
  kind: EncodingFieldKind;
  /** Offset of the field's first byte within the instruction. */
  offset: number;
  length: number;
  /** The field's bytes as lowercase hex pairs. */
  bytes: string;
  /** The field's bits, for fields made of bit groups (REX, VEX, ModRM, SIB, an opcode with a register). */
  bits?: EncodingBits[];
  description: string;
}

/** One instruction as the explorer shows it: its text, what it does, and every byte's part in it. */
export interface AnnotatedInstruction {
  /** Offset from the start of the code, in bytes. */
  offset: number;
  /** The instruction's bytes as lowercase hex pairs separated by spaces. */
  bytes: string;
  /** Intel syntax in nasm's style, e.g. "mov rax, -4". */
  text: string;
  /** iced's mnemonic name, e.g. "Mov", for programs that check the instruction rather than read it. */
  mnemonic: string;
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

export type AnnotationRefusal = 'invalid' | 'truncated' | 'unsupported' | 'mismatch';

/**
 * The service refuses to annotate an instruction: the decoder found none (invalid, or the code ends inside
 * one), its encoding is one the explainer does not describe, or a derived field disagrees with the decoder.
 */
export class AnnotationError extends JitError {
  /** Offset of the instruction in the code. */
  readonly offset: number;
  readonly reason: AnnotationRefusal;
  /** The bytes at fault, as hex pairs. */
  readonly bytes: string;
  constructor(offset: number, bytes: Uint8Array, reason: AnnotationRefusal, detail: string) {
    super(
      'JIT_ANNOTATION_REFUSED',
      `cannot annotate the instruction at offset ${offset} (${toHex(bytes)}): ${detail}`,
    );
    this.offset = offset;
    this.reason = reason;
    this.bytes = toHex(bytes);
  }
}
