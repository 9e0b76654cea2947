/**
 * Capstone's AArch64 decoder (@alexaltea/capstone-js, Capstone 5 compiled to WebAssembly): decodes words
 * into text, so that the tests hold the encoders and the explainer to a real disassembler. Capstone's
 * text is compared after `normalizeA64`, which removes the differences in how the same operands are
 * written rather than what they are.
 */
import { createRequire } from 'node:module';

interface CapstoneInstruction {
  address: bigint;
  size: number;
  mnemonic: string;
  op_str: string;
}
interface CapstoneModule {
  ARCH_ARM64: number;
  MODE_ARM: number;
  Capstone: new (
    arch: number,
    mode: number,
  ) => { disasm(bytes: number[], address: number): CapstoneInstruction[]; close(): void };
}

const loadCapstone = createRequire(import.meta.url)(
  '@alexaltea/capstone-js',
) as () => Promise<CapstoneModule>;
const capstone = await loadCapstone();
const decoder = new capstone.Capstone(capstone.ARCH_ARM64, capstone.MODE_ARM);

/**
 * Capstone's text for the single word `word` at `address`, or undefined if it decodes none. Branch targets
 * are absolute: the word's address plus its offset.
 */
export function capstoneText(word: number, address = 0): string | undefined {
  const bytes = [word & 0xff, (word >>> 8) & 0xff, (word >>> 16) & 0xff, word >>> 24];
  const [instruction] = decoder.disasm(bytes, address);
  if (instruction === undefined) return undefined;
  return `${instruction.mnemonic} ${instruction.op_str}`.trim();
}

/**
 * One way of writing an instruction, so that two texts of the same instruction compare equal:
 *
 * - every immediate `#n` (decimal, hexadecimal, negative, or capstone's 64-bit two's complement of a
 *   negative) becomes its value modulo 2^32 in decimal: every immediate and address the pages use fits
 *   in 32 bits, and capstone writes `-4` as `#0xfffffffffffffffc`;
 * - `mov wN, #v`, the preferred disassembly of a `movz`, becomes the `movz wN, #imm16, lsl #s` it stands for;
 * - spaces after commas and inside braces are made single.
 */
export function normalizeA64(text: string): string {
  let normal = text
    .trim()
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .replace(/\{ ?/g, '{')
    .replace(/ ?\}/g, '}')
    .replace(/#(-?)(0x[0-9a-f]+|[0-9]+)/g, (_, minus: string, digits: string) => {
      const value = BigInt(digits) * (minus === '-' ? -1n : 1n);
      return `#${BigInt.asUintN(32, value)}`;
    });
  normal = normal.replace(/^mov (w\d+), #(\d+)$/, (_, register: string, digits: string) => {
    const value = Number(digits);
    return value > 0xffff && (value & 0xffff) === 0
      ? `movz ${register}, #${value >>> 16}, lsl #16`
      : `movz ${register}, #${value}`;
  });
  return normal.replace(/, lsl #0$/, '');
}
