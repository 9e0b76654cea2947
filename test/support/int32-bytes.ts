/** Int32 batches as the binary format carries them: little-endian, four bytes a value. */

export function littleEndian(values: readonly number[]): Buffer {
  const bytes = Buffer.alloc(values.length * 4);
  for (const [index, value] of values.entries()) bytes.writeInt32LE(value, index * 4);
  return bytes;
}

/** The little-endian int32s in `bytes`; a trailing partial value is dropped. */
export function int32s(bytes: Buffer): number[] {
  return Array.from({ length: Math.floor(bytes.length / 4) }, (_, index) => bytes.readInt32LE(index * 4));
}
