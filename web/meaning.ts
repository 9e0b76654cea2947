/**
 * What an instruction does, in a line of plain words. The service's `operation` names immediates by their
 * value (`eax ← -0x5825d3ae`); the page also knows what two of them are: with blinding, the `mov`'s
 * immediate is `term ^ key` and the `xor`'s is the key (the API's `blinding` gives both values, and the
 * instructions say which is which even when they are equal, for term 0); without, the `mov`'s immediate is
 * the term itself. And a `ret` says what it returns: the register the calling convention returns an int32
 * in (`eax`, `w0`), where the function returns one.
 */
import type { AdderDetails, EncodingField, Instruction } from './api.js';
import { int32OfBytes } from './format.js';

/** The name of the value an instruction's four-byte immediate holds, if it is the term, the key or both. */
export function immediateName(instruction: Instruction, details: AdderDetails): string | undefined {
  const value = fourByteImmediate(instruction);
  if (value === undefined) return undefined;
  const mnemonic = instruction.mnemonic.toLowerCase();
  const blinding = details.blinding;
  if (blinding === null) return mnemonic === 'mov' && value === details.term ? 'term' : undefined;
  if (mnemonic === 'mov' && value === blinding.blindedTerm) return 'term ^ key';
  if (mnemonic === 'xor' && value === blinding.key) return 'key';
  return undefined;
}

function fourByteImmediate(instruction: Instruction): number | undefined {
  const field = instruction.fields.find(
    (candidate: EncodingField) => candidate.kind === 'immediate' && candidate.length === 4,
  );
  return field === undefined ? undefined : int32OfBytes(field.bytes);
}

/** The operation line, with the term, the key and the returned register named. */
export function plainOperation(instruction: Instruction, details: AdderDetails): string {
  if (instruction.mnemonic.toLowerCase() === 'ret') {
    const result = resultRegister(instruction.offset, details);
    return result === undefined ? 'return' : `return ${result}`;
  }
  const name = immediateName(instruction, details);
  if (name === undefined) return instruction.operation;
  // The immediate is the last operand, and the operation spells it the same way.
  const literal = instruction.text.split(', ').at(-1) ?? '';
  const at = instruction.operation.lastIndexOf(literal);
  if (literal === '' || at < 0) return `${instruction.operation} (${name})`;
  return instruction.operation.slice(0, at) + name + instruction.operation.slice(at + literal.length);
}

/**
 * The register the function the offset lies in (the last entry at or before it) returns its int32 in, from
 * the entry's calling-convention words ("the result leaves in eax"); undefined if it returns nothing.
 */
function resultRegister(offset: number, details: AdderDetails): string | undefined {
  const entry = details.entries.filter((candidate) => candidate.offset <= offset).at(-1);
  if (entry === undefined || !entry.signature.startsWith('int32_t')) return undefined;
  return /the result leaves in (\w+)/.exec(entry.registers)?.[1];
}
