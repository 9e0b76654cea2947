/**
 * The opcode bytes, with the escape bytes of their map for legacy encoding, held to the decoder's opcode
 * table entry; `+rb/+rw/+rd/+ro` opcodes carry a register in their low three bits.
 */
import { toHex } from '../../jit/hex.js';
import type { DecodedFacts, OperandFacts } from './facts.js';
import {
  binary,
  type Extensions,
  encodedRegisterNumber,
  type FieldList,
  hexByte,
  registerMeaning,
} from './field-list.js';

/** The escape bytes before the opcode of each legacy opcode map (VEX names the map instead). */
export const MAP_ESCAPES: Record<string, number[]> = {
  Normal: [],
  T0F: [0x0f],
  T0F38: [0x0f, 0x38],
  T0F3A: [0x0f, 0x3a],
};

/**
 * The opcode: for legacy encoding the table's escape bytes (0F, 0F 38, 0F 3A) and then the opcode byte(s);
 * for VEX only the opcode byte, its map coming from VEX. The bytes must be the ones the decoder's opcode
 * table entry names, except for `+rb/+rw/+rd/+ro` opcodes whose low three bits hold a register.
 */
export function addOpcode(
  list: FieldList,
  facts: DecodedFacts,
  extensions: Extensions,
  opcodeRegister: OperandFacts | undefined,
): void {
  const { opCode } = facts;
  const escapeBytes = facts.encoding === 'VEX' ? [] : MAP_ESCAPES[opCode.table];
  if (escapeBytes === undefined) list.refuse('unsupported', `opcode table ${opCode.table} is not described`);
  const opcodeBytes = Array.from(
    { length: opCode.length },
    (_, i) => (opCode.value >> (8 * (opCode.length - 1 - i))) & 0xff,
  );
  const expected = [...escapeBytes, ...opcodeBytes];
  const actual = Array.from(expected, (_, i) => list.byte(list.position + i));
  const lastIndex = expected.length - 1;
  const matches = actual.every((byte, i) =>
    i === lastIndex && opcodeRegister ? (byte & 0xf8) === expected[i] : byte === expected[i],
  );
  if (!matches) {
    list.refuse(
      'mismatch',
      `opcode bytes ${toHex(actual)} are not ${opCode.opCodeString}'s ${toHex(expected)}`,
    );
  }
  const written = expected.map(hexByte).join(' ');
  const where =
    facts.encoding === 'VEX'
      ? ` in map ${MAP_ESCAPES[opCode.table]?.map(hexByte).join(' ')} (from VEX)`
      : escapeBytes.length > 0
        ? ` (escape ${escapeBytes.map(hexByte).join(' ')}, then ${opcodeBytes.map(hexByte).join(' ')})`
        : '';
  if (!opcodeRegister?.register) {
    list.add('opcode', expected.length, `opcode ${written}${where}: ${opCode.instructionString}`);
    return;
  }
  const low = (actual[lastIndex] ?? 0) & 7;
  if (low + 8 * extensions.B !== encodedRegisterNumber(opcodeRegister.register)) {
    list.refuse(
      'mismatch',
      `the opcode's register bits ${binary(low, 3)} are not ${opcodeRegister.register.name}`,
    );
  }
  const suffix = { 1: 'rb', 2: 'rw', 4: 'rd', 8: 'ro' }[opcodeRegister.register.size] ?? 'r';
  list.add(
    'opcode',
    expected.length,
    `opcode ${written}+${suffix}${where}, ${suffix} = ${binary(low, 3)}: ${opcodeRegister.register.name}; ${opCode.instructionString}`,
    [
      {
        name: 'opcode',
        value: binary((actual[lastIndex] ?? 0) >> 3, 5),
        meaning: `${hexByte(expected[lastIndex] ?? 0)}+${suffix}`,
      },
      {
        name: 'reg',
        value: binary(low, 3),
        meaning: registerMeaning(opcodeRegister.register, extensions.B, 'REX.B'),
      },
    ],
  );
}
