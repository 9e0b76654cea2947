/**
 * A64 machine code in the explainer's one shape (annotation.ts), from the words words.ts explains. A64
 * instructions are fixed 32-bit words, so each is an instruction of 4 bytes with one field, the word, whose
 * bit groups are the fields of its form from bit 31 down to bit 0, each with its place in the word. As for
 * x86-64, all or nothing: a word that is none of the forms described (forms.ts), or code that ends inside a
 * word, is refused with an AnnotationError rather than shown as a guess.
 */
import { type AnnotatedInstruction, AnnotationError } from '../annotation.js';
import { type ExplainedWord, explainCode } from './words.js';

const WORD_BYTES = 4;

export function annotate(code: Uint8Array): AnnotatedInstruction[] {
  const whole = code.length - (code.length % WORD_BYTES);
  const annotated = explainCode(code.subarray(0, whole)).map((word) =>
    annotateWord(word, code.subarray(word.offset, word.offset + WORD_BYTES)),
  );
  if (whole < code.length) {
    throw new AnnotationError(
      whole,
      code.subarray(whole),
      'truncated',
      `A64 instructions are 4-byte words: the code ends ${code.length - whole} bytes into one`,
    );
  }
  return annotated;
}

function annotateWord(word: ExplainedWord, bytes: Uint8Array): AnnotatedInstruction {
  const { heading } = word;
  if (heading === undefined) {
    throw new AnnotationError(
      word.offset,
      bytes,
      'unsupported',
      `the word ${word.word} is none of the A64 forms the explainer describes`,
    );
  }
  return {
    offset: word.offset,
    bytes: word.bytes,
    text: word.text,
    // 'MOVZ (32-bit)' → 'MOVZ', 'B.cond' → 'B.cond'.
    mnemonic: heading.split(' ')[0] ?? heading,
    length: WORD_BYTES,
    opCodeString: word.fields.map((field) => (field.fixed ? field.bits : field.name)).join(' '),
    instructionString: heading,
    // No reference page is linked rather than one not checked.
    reference: null,
    operation: word.operation,
    fields: [
      {
        kind: 'word',
        offset: 0,
        length: WORD_BYTES,
        bytes: word.bytes,
        bits: word.fields.map(({ name, bits, meaning, high, low }) => ({
          name,
          value: bits,
          meaning,
          high,
          low,
        })),
        description: `A64 word 0x${word.word}, stored little-endian: ${heading}`,
      },
    ],
  };
}
