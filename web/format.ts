/** How the page writes numbers: int32s in decimal and hex, offsets, byte strings, durations. */

const grouped = new Intl.NumberFormat('en');

/** 4096 → "4,096". */
export const count = (value: number) => grouped.format(value);

/** An int32 as its 32 bits in hex: -4 → "0xfffffffc". */
export const hex32 = (value: number) => `0x${(value >>> 0).toString(16).padStart(8, '0')}`;

/** A code offset as listings write it: 16 → "0x10". */
export const hexOffset = (offset: number) => `0x${offset.toString(16).padStart(2, '0')}`;

/** An int32's four bytes as they lie in memory (little-endian): -4 → "fc ff ff ff". */
export function littleEndianBytes(value: number): string {
  const bytes: string[] = [];
  for (let shift = 0; shift < 32; shift += 8)
    bytes.push(((value >>> shift) & 0xff).toString(16).padStart(2, '0'));
  return bytes.join(' ');
}

/** Four bytes written "ae d3 25 58" (little-endian) as the int32 they hold, or undefined for other lengths. */
export function int32OfBytes(bytes: string): number | undefined {
  const values = bytes.split(' ').map((byte) => Number.parseInt(byte, 16));
  if (values.length !== 4) return undefined;
  return values.reduce((sum, byte, index) => sum | (byte << (8 * index)), 0);
}

/** A duration measured in microseconds, to one decimal. */
export const microseconds = (value: number) => `${value.toFixed(1)} µs`;

/**
 * Whether an instruction is the trap that pads a page between and after its functions: int3 on x86-64,
 * udf #0 on arm64. The explorer draws a run of them as one row.
 */
export function isTrap(instruction: { mnemonic: string }): boolean {
  return instruction.mnemonic === 'Int3' || instruction.mnemonic === 'UDF';
}

/** The trap's name in a sentence: "int3" or "udf". */
export function trapName(instruction: { mnemonic: string }): string {
  return instruction.mnemonic === 'UDF' ? 'udf' : 'int3';
}
