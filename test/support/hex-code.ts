/** Machine code written as the explorer and the decoder print it, for the annotation tests. */
import assert from 'node:assert/strict';
import { AnnotationError } from '../../src/explain/annotation.js';
import { annotate } from '../../src/explain/x86-64/annotate.js';

/** Bytes from space-separated hex pairs: '48 c7 c0' → [0x48, 0xc7, 0xc0]. */
export function fromHex(hex: string): Uint8Array {
  return Uint8Array.from(hex.split(' '), (pair) => Number.parseInt(pair, 16));
}

/** The AnnotationError annotate throws for `hex`: it must throw one. */
export function refusal(hex: string): AnnotationError {
  try {
    annotate(fromHex(hex));
  } catch (error) {
    assert.ok(error instanceof AnnotationError, `${hex} throws an AnnotationError, not ${error}`);
    return error;
  }
  assert.fail(`${hex} was annotated instead of refused`);
}
