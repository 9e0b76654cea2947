/** The last check of every annotated instruction: its fields tile it, where the decoder says they sit. */
import { AnnotationError, type EncodingField } from '../annotation.js';
import type { DecodedFacts } from './facts.js';

/**
 * The fields must start at 0, follow each other without gap or overlap, end at the decoder's length, and
 * put the displacement and immediates exactly where the decoder's ConstantOffsets says they are.
 */
export function checkTiling(facts: DecodedFacts, fields: readonly EncodingField[]): void {
  const refuse = (detail: string): never => {
    throw new AnnotationError(facts.offset, facts.bytes, 'mismatch', detail);
  };
  let end = 0;
  for (const field of fields) {
    if (field.offset !== end) refuse(`its ${field.kind} field starts at ${field.offset}, not at ${end}`);
    if (field.length <= 0) refuse(`its ${field.kind} field is empty`);
    end += field.length;
  }
  if (end !== facts.bytes.length) {
    refuse(`its fields cover ${end} bytes but the decoder read ${facts.bytes.length}`);
  }
  const displacements = fields.filter((field) => field.kind === 'displacement');
  const expectedDisplacement = facts.constantOffsets.displacement;
  if (displacements.length !== (expectedDisplacement ? 1 : 0)) {
    refuse("its displacement fields do not match the decoder's constant offsets");
  }
  const [displacement] = displacements;
  if (
    displacement &&
    (displacement.offset !== expectedDisplacement?.offset ||
      displacement.length !== expectedDisplacement.size)
  ) {
    refuse(
      `its displacement is at ${displacement.offset} (${displacement.length} bytes); the decoder says ` +
        `${expectedDisplacement?.offset} (${expectedDisplacement?.size} bytes)`,
    );
  }
  const immediates = fields.filter((field) => field.kind === 'immediate');
  const expectedImmediates = facts.constantOffsets.immediates;
  if (
    immediates.length !== expectedImmediates.length ||
    immediates.some(
      (field, i) =>
        field.offset !== expectedImmediates[i]?.offset || field.length !== expectedImmediates[i]?.size,
    )
  ) {
    refuse("its immediate fields do not sit where the decoder's constant offsets put them");
  }
}
