/**
 * What the explainer answers for machine code, whatever its architecture: annotated instructions, each with
 * its text, what it does in plain words and the encoding fields that tile its bytes; and the error it
 * throws rather than describe what it cannot vouch for. GET /adders/:n's `disassembly` is this shape.
 */
import { JitError } from '../jit/errors.js';
import { toHex } from '../jit/hex.js';

/**
 * What a field is: x86-64's legacy prefixes, REX, VEX, opcode, ModRM, SIB, displacement and immediates,
 * each a run of whole bytes; or an A64 instruction's one 32-bit word, whose bits hold its fields.
 */
export const ENCODING_FIELD_KINDS = [
  'prefix',
  'rex',
  'vex',
  'opcode',
  'modrm',
  'sib',
  'displacement',
  'immediate',
  'word',
] as const;
export type EncodingFieldKind = (typeof ENCODING_FIELD_KINDS)[number];

/**
 * A group of bits inside a field, most significant first: within each byte of an x86-64 field, in the
 * byte's order; in an A64 word, from bit 31 down to bit 0, with where each group sits.
 */
export interface EncodingBits {
  /** The bits' name as the Intel SDM or the Arm ARM writes it: 'W', 'mod', 'reg', 'R̄', 'vvvv', 'hw', 'Rd'. */
  name: string;
  /** The bits as written in the byte or the word, e.g. '11', '000'. */
  value: string;
  meaning: string;
  /** (A64 words only) The group's bits in the 32-bit word read little-endian: from bit `high` down to `low`. */
  high?: number;
  low?: number;
}

export interface EncodingField {
  kind: EncodingFieldKind;
  /** Offset of the field's first byte within the instruction. */
  offset: number;
  length: number;
  /** The field's bytes as lowercase hex pairs. */
  bytes: string;
  /** The field's bits, for fields made of bit groups (REX, VEX, ModRM, SIB, an opcode with a register, a word). */
  bits?: EncodingBits[];
  description: string;
}

/** One instruction as the explorer shows it: its text, what it does, and every byte's part in it. */
export interface AnnotatedInstruction {
  /** Offset from the start of the code, in bytes. */
  offset: number;
  /** The instruction's bytes as lowercase hex pairs separated by spaces. */
  bytes: string;
  /** Intel syntax in nasm's style, e.g. "mov rax, -4"; for A64, the Arm ARM's, e.g. "mov w9, #0xa675". */
  text: string;
  /**
   * The mnemonic for programs that check the instruction rather than read it: iced's name, e.g. "Mov"; for
   * A64, the Arm ARM heading's, e.g. "MOVZ".
   */
  mnemonic: string;
  length: number;
  /**
   * iced's opcode description, e.g. "o64 C7 /0 id" (Intel SDM notation; o64 = 64-bit operand size); for
   * A64, the encoding diagram from bit 31 down, e.g. "0 10 100101 hw imm16 Rd": the bits the form fixes,
   * and the names of the fields that hold its operands.
   */
  opCodeString: string;
  /** The instruction's form, e.g. "MOV r/m64, imm32"; for A64, the Arm ARM's heading, e.g. "MOVZ (32-bit)". */
  instructionString: string;
  /** The mnemonic's reference page, or null when we have none for it. */
  reference: string | null;
  /** What it does in plain words, e.g. "eax ← eax ^ 0x1234". */
  operation: string;
  /** The encoding fields, in order, tiling the instruction's bytes exactly (an A64 instruction: one word). */
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
