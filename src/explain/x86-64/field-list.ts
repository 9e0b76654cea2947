/**
 * What every field module shares: the list the fields are added to in order (and refused from), the
 * notation of bits and bytes, and how a register's number is written in an encoding.
 */
import { toHex } from '../../jit/hex.js';
import {
  AnnotationError,
  type AnnotationRefusal,
  type EncodingBits,
  type EncodingField,
  type EncodingFieldKind,
} from '../annotation.js';
import type { DecodedFacts, RegisterFacts } from './facts.js';

export const binary = (value: number, width: number) => value.toString(2).padStart(width, '0');
export const hexByte = (value: number) => value.toString(16).padStart(2, '0').toUpperCase();

/** Register-extension bits, from REX (as stored) or VEX (stored inverted, given here as their true value). */
export interface Extensions {
  R: number;
  X: number;
  B: number;
}

/**
 * The register's number as the encoding writes it (before REX/VEX extension bits are split off). Byte
 * registers are the exception to iced's numbering: with any REX, 4-7 mean spl, bpl, sil, dil (iced's 8-11)
 * and 8-15 mean r8b-r15b (iced's 12-19).
 */
export function encodedRegisterNumber(register: RegisterFacts): number {
  return register.gpr && register.size === 1 && register.number >= 8 ? register.number - 4 : register.number;
}

export function registerMeaning(register: RegisterFacts, extension: number, extensionName: string): string {
  return extension ? `${register.name} (with ${extensionName} = 1, adding 8)` : register.name;
}

/** Accumulates fields in order; each one starts where the previous one ended. */
export class FieldList {
  readonly fields: EncodingField[] = [];
  position = 0;
  constructor(private readonly facts: DecodedFacts) {}

  add(kind: EncodingFieldKind, length: number, description: string, bits?: EncodingBits[]): void {
    const bytes = this.facts.bytes.subarray(this.position, this.position + length);
    if (bytes.length !== length) this.refuse('mismatch', `its ${kind} field runs past the instruction's end`);
    this.fields.push({
      kind,
      offset: this.position,
      length,
      bytes: toHex(bytes),
      ...(bits ? { bits } : {}),
      description,
    });
    this.position += length;
  }

  byte(at = this.position): number {
    const value = this.facts.bytes[at];
    if (value === undefined) this.refuse('mismatch', "the fields run past the instruction's end");
    return value;
  }

  refuse(reason: AnnotationRefusal, detail: string): never {
    throw new AnnotationError(this.facts.offset, this.facts.bytes, reason, detail);
  }
}
