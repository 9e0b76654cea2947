/**
 * One decoded x86-64 instruction split into its encoding fields: legacy prefixes, REX or VEX, opcode,
 * ModRM, SIB, displacement and immediates, each with its bits and what they do.
 *
 * iced-x86 reports where an instruction's displacement and immediates sit, but not where its REX, VEX,
 * ModRM and SIB bytes are. Those boundaries are derived here from what the decoder says the instruction is
 * (its prefixes, its opcode table entry, its operands and where each is encoded) and then held to the
 * decoder: every bit read from the bytes must name the register, opcode extension, scale, displacement or
 * immediate the decoder decoded, and the fields must tile the instruction exactly, meeting the decoder's
 * constant offsets and its length. Anything that disagrees, or that these files cannot explain, is refused
 * with an AnnotationError rather than described by a guess.
 *
 * This file puts the fields in order; one file explains each: prefixes.ts, rex-vex.ts, opcode.ts,
 * modrm-sib.ts, operands.ts (displacements and immediates), and tiling.ts checks the result. Pure: they
 * work on DecodedFacts (facts.ts), so none of them loads the WebAssembly decoder.
 */
import type { EncodingField } from '../annotation.js';
import type { DecodedFacts } from './facts.js';
import { FieldList } from './field-list.js';
import { addModRmAndSib } from './modrm-sib.js';
import { addOpcode } from './opcode.js';
import { addDisplacement, addImmediates, type OperandLocation, operandLocation } from './operands.js';
import { addLegacyPrefixes } from './prefixes.js';
import { addRex, addVex, peekLayout } from './rex-vex.js';
import { checkTiling } from './tiling.js';

/**
 * Splits the instruction into its encoding fields, checking each against the decoder, then checks that the
 * fields tile the instruction. Throws AnnotationError instead of returning anything it cannot vouch for.
 */
export function deriveEncodingFields(facts: DecodedFacts): EncodingField[] {
  const list = new FieldList(facts);
  if (facts.encoding !== 'Legacy' && facts.encoding !== 'VEX') {
    list.refuse(
      'unsupported',
      `${facts.encoding}-encoded instructions are not described (only legacy and VEX)`,
    );
  }
  const located = facts.operands.map((operand) => {
    const location = operandLocation(operand.encoding);
    if (operand.encoding === 'xmm_is4' || operand.encoding === 'ymm_is4') {
      // The fourth register sits in imm8[7:4], a byte the decoder's ConstantOffsets does not report.
      list.refuse('unsupported', 'a register encoded in an immediate byte (/is4) is not described');
    }
    if (location === undefined) {
      list.refuse('unsupported', `operand ${operand.text} (${operand.encoding}) is not described`);
    }
    return { ...operand, location };
  });
  const operandAt = (location: OperandLocation) => located.find((operand) => operand.location === location);

  addLegacyPrefixes(list, facts);
  const layout = peekLayout(list, facts, operandAt('opcode') !== undefined);
  if (!layout.modRm && (operandAt('reg') || operandAt('rm'))) {
    list.refuse('mismatch', `operands sit in ModRM but the opcode ${facts.opCode.opCodeString} has none`);
  }
  const extensions =
    facts.encoding === 'VEX'
      ? addVex(list, facts, layout, operandAt('vvvv'))
      : addRex(list, facts, layout, located);
  addOpcode(list, facts, extensions, operandAt('opcode'));
  const displacementSize = layout.modRm
    ? addModRmAndSib(list, facts, extensions, operandAt('reg'), operandAt('rm'))
    : 0;
  if (displacementSize > 0) addDisplacement(list, facts, displacementSize);
  else if (facts.constantOffsets.displacement) {
    list.refuse('mismatch', 'the decoder reports a displacement that no ModRM byte calls for');
  }
  addImmediates(
    list,
    facts,
    located.filter((operand) => operand.location === 'immediate'),
  );
  checkTiling(facts, list.fields);
  return list.fields;
}
