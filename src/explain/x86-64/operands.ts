/**
 * The operands: where each one is encoded (from the opcode table's operand kinds), and the fields that
 * hold values rather than registers: the displacement of a memory operand (a RIP-relative one read as the
 * address it designates) and the immediates, a relative branch's read as its target. Every value read
 * from the bytes must be the one the decoder decoded.
 */
import { toHex } from '../../jit/hex.js';
import type { DecodedFacts, OperandEncodingName, OperandFacts } from './facts.js';
import type { FieldList } from './field-list.js';

/** Where an operand lives in the encoding, from iced's OpCodeOperandKind name. */
export type OperandLocation = 'reg' | 'rm' | 'vvvv' | 'opcode' | 'immediate' | 'implicit';

/**
 * Immediate operand kinds: their size in the instruction stream, the width the CPU sign-extends them to,
 * and whether they are a branch displacement (rel8/rel16/rel32, counted from the next instruction).
 */
const IMMEDIATE_KINDS: Partial<
  Record<OperandEncodingName, { size: number; extendTo?: number; relative?: boolean }>
> = {
  imm8: { size: 1 },
  imm8sex16: { size: 1, extendTo: 16 },
  imm8sex32: { size: 1, extendTo: 32 },
  imm8sex64: { size: 1, extendTo: 64 },
  imm16: { size: 2 },
  imm32: { size: 4 },
  imm32sex64: { size: 4, extendTo: 64 },
  imm64: { size: 8 },
  br16_1: { size: 1, relative: true },
  br32_1: { size: 1, relative: true },
  br64_1: { size: 1, relative: true },
  br16_2: { size: 2, relative: true },
  br32_4: { size: 4, relative: true },
  br64_4: { size: 4, relative: true },
  xbegin_2: { size: 2, relative: true },
  xbegin_4: { size: 4, relative: true },
  brdisp_2: { size: 2, relative: true },
  brdisp_4: { size: 4, relative: true },
};

/** Operands the opcode implies (eax in `xor eax, imm32`, the 1 in `shl eax, 1`): no bits of their own. */
const IMPLICIT_KINDS = new Set<string>([
  'al',
  'cl',
  'ax',
  'dx',
  'eax',
  'rax',
  'st0',
  'es',
  'cs',
  'ss',
  'ds',
  'fs',
  'gs',
  'imm8_const_1',
  'seg_rSI',
  'es_rDI',
  'seg_rDI',
  'seg_rBX_al',
]);

export function operandLocation(encoding: OperandEncodingName): OperandLocation | undefined {
  if (IMMEDIATE_KINDS[encoding]) return 'immediate';
  if (IMPLICIT_KINDS.has(encoding)) return 'implicit';
  if (/_reg(_mem)?$/.test(encoding)) return 'reg';
  if (/_vvvv$/.test(encoding)) return 'vvvv';
  if (/_opcode$/.test(encoding)) return 'opcode';
  // moffs (mem_offs) is an address without ModRM: not described, so not located.
  if (/_rm$|_or_mem|^mem(_(mpx|mib|vsib\w+))?$|^sibmem$/.test(encoding)) return 'rm';
  return undefined;
}

/** Reads `size` bytes little-endian as an unsigned number. */
function littleEndian(bytes: Uint8Array): bigint {
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i -= 1) value = (value << 8n) | BigInt(bytes[i] ?? 0);
  return value;
}

const signedText = (value: bigint) => (value < 0n ? `-${-value}` : `+${value}`);
const hexText = (value: bigint, bytes: number) => `0x${value.toString(16).padStart(2 * bytes, '0')}`;
const offsetText = (value: bigint) =>
  value < 0n ? `-0x${(-value).toString(16)}` : `0x${value.toString(16)}`;

export function addDisplacement(list: FieldList, facts: DecodedFacts, size: number): void {
  const at = facts.constantOffsets.displacement;
  if (at?.offset !== list.position || at.size !== size) {
    list.refuse(
      'mismatch',
      `ModRM/SIB call for a ${size}-byte displacement at ${list.position}; the decoder reports ` +
        (at ? `${at.size} bytes at ${at.offset}` : 'none'),
    );
  }
  const bytes = facts.bytes.subarray(list.position, list.position + size);
  const value = BigInt.asIntN(8 * size, littleEndian(bytes));
  const memory = facts.memory;
  const ripRelative = memory?.base?.name === 'rip' || memory?.base?.name === 'eip';
  const addressBits = memory?.base?.size === 4 || memory?.index?.size === 4 ? 32 : 64;
  const expected = ripRelative ? BigInt(facts.nextOffset) + value : value;
  if (!memory || BigInt.asUintN(addressBits, memory.displacement) !== BigInt.asUintN(addressBits, expected)) {
    list.refuse('mismatch', `the displacement reads ${value}, the decoder ${memory?.displacement}`);
  }
  const le = size > 1 ? ', little-endian' : '';
  const reading =
    `disp${8 * size}${le}: ${toHex(bytes)} → ${hexText(littleEndian(bytes), size)} → ${signedText(value)}` +
    (size < addressBits / 8 ? ` after sign extension to ${addressBits} bits` : '');
  list.add(
    'displacement',
    size,
    ripRelative
      ? `${reading}, from the next instruction (${offsetText(BigInt(facts.nextOffset))}): address ${offsetText(expected)}`
      : reading,
  );
}

/**
 * The immediates, in operand order, one per ConstantOffsets immediate. Each one's size comes from its
 * operand kind, and the value read from its bytes (sign-extended where the operand kind says the CPU does)
 * must be the value the decoder decoded; for relative branches, the target the decoder computed.
 */
export function addImmediates(list: FieldList, facts: DecodedFacts, operands: readonly OperandFacts[]): void {
  const expected = facts.constantOffsets.immediates;
  if (operands.length !== expected.length) {
    list.refuse(
      'mismatch',
      `${operands.length} immediate operands but the decoder reports ${expected.length} immediates`,
    );
  }
  operands.forEach((operand, i) => {
    const kind = IMMEDIATE_KINDS[operand.encoding];
    const at = expected[i];
    if (!kind || at?.offset !== list.position || at.size !== kind.size) {
      list.refuse(
        'mismatch',
        `an immediate of ${kind?.size} bytes at ${list.position}, the decoder reports ${at?.size} bytes at ${at?.offset}`,
      );
    }
    const bytes = facts.bytes.subarray(list.position, list.position + kind.size);
    const raw = littleEndian(bytes);
    const bits = 8 * kind.size;
    const le = kind.size > 1 ? ', little-endian' : '';
    let description: string;
    if (kind.relative) {
      const displacement = BigInt.asIntN(bits, raw);
      const target = BigInt(facts.nextOffset) + displacement;
      if (
        facts.branchTarget === undefined ||
        BigInt.asUintN(64, facts.branchTarget) !== BigInt.asUintN(64, target)
      ) {
        list.refuse(
          'mismatch',
          `rel${bits} leads to ${target}, the decoder's target is ${facts.branchTarget}`,
        );
      }
      description =
        `rel${bits}${le}: ${toHex(bytes)} → ${signedText(displacement)} from the next instruction ` +
        `(${offsetText(BigInt(facts.nextOffset))}): target ${offsetText(target)}`;
    } else {
      const value = kind.extendTo ? BigInt.asUintN(kind.extendTo, BigInt.asIntN(bits, raw)) : raw;
      const width = kind.extendTo ?? bits;
      if (operand.immediate === undefined || BigInt.asUintN(width, operand.immediate) !== value) {
        list.refuse('mismatch', `the immediate reads ${value}, the decoder ${operand.immediate}`);
      }
      const reading = `imm${bits}${le}: ${toHex(bytes)} → ${hexText(raw, kind.size)}`;
      const signed = BigInt.asIntN(bits, raw);
      description = kind.extendTo
        ? `${reading} → ${signed} after sign extension to ${kind.extendTo} bits`
        : signed < 0n && bits >= 16
          ? `${reading} = ${raw} (${signed} as int${bits})`
          : `${reading} = ${raw}`;
    }
    list.add('immediate', kind.size, description);
  });
}
