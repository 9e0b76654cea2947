/** x86-64 machine code explained: decoded, its instructions in plain words, every byte's part in them. */
import { toHex } from '../../jit/hex.js';
import type { AnnotatedInstruction } from '../annotation.js';
import { decodeEach, readFacts } from './decoder.js';
import { deriveEncodingFields } from './encoding-fields.js';
import { operationFor, referenceFor } from './mnemonics.js';

/**
 * Decodes `code` as 64-bit x86 at ip 0 and splits every instruction into its encoding fields, each checked
 * against the decoder (encoding-fields.ts). Throws AnnotationError for the first instruction it cannot
 * vouch for (invalid, cut short, an encoding it does not describe, a field the decoder contradicts):
 * all or nothing, never a guess.
 */
export function annotate(code: Uint8Array): AnnotatedInstruction[] {
  return decodeEach(code, (instruction, decoder, formatter) => {
    const facts = readFacts(code, decoder, instruction, formatter);
    return {
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
    };
  });
}
