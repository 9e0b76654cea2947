/**
 * REX and VEX: the prefixes that widen operands and extend register numbers (R, X, B), VEX also carrying
 * the opcode map, W, the vector length, an implied prefix and a third register (vvvv). Each bit is held
 * to what the decoder decoded, and what R, X and B extend in this instruction is read from its ModRM.
 */
import type { EncodingBits } from '../annotation.js';
import type { DecodedFacts, OperandFacts } from './facts.js';
import { binary, type Extensions, encodedRegisterNumber, type FieldList, hexByte } from './field-list.js';
import { isSibModRm } from './modrm-sib.js';
import { MAP_ESCAPES } from './opcode.js';

/** REX (0100WRXB), legacy encoding only: it must come right before the opcode to count. */
export function addRex(
  list: FieldList,
  facts: DecodedFacts,
  layout: Layout,
  operands: readonly OperandFacts[],
): Extensions {
  const { operandSize, defaultOpSize64, forceOpSize64, instructionString } = facts.opCode;
  const defaultsTo64 = defaultOpSize64 || forceOpSize64;
  const rex = list.byte();
  if (!isRex(rex)) {
    if (operandSize === 64 && !defaultsTo64) {
      list.refuse('mismatch', `${instructionString} has 64-bit operands but no REX.W`);
    }
    return { R: 0, X: 0, B: 0 };
  }
  const W = (rex >> 3) & 1;
  const extensions = { R: (rex >> 2) & 1, X: (rex >> 1) & 1, B: rex & 1 };
  let wMeaning: string;
  if (W === 0) {
    if (operandSize === 64 && !defaultsTo64) {
      list.refuse('mismatch', `${instructionString} has 64-bit operands but REX.W = 0`);
    }
    wMeaning = 'no 64-bit operand size override';
  } else if (operandSize === 64 && !defaultsTo64) {
    wMeaning = '64-bit operand size';
  } else if (defaultsTo64) {
    wMeaning = 'no effect: the operand size is 64-bit by default here';
  } else {
    return list.refuse('unsupported', `what REX.W does to ${instructionString} is not described`);
  }
  const bits: EncodingBits[] = [
    { name: 'REX', value: '0100', meaning: 'fixed: marks a REX prefix (40-4F)' },
    { name: 'W', value: String(W), meaning: wMeaning },
    extensionBit('R', extensions.R, layout.targets.R),
    extensionBit('X', extensions.X, layout.targets.X),
    extensionBit('B', extensions.B, layout.targets.B),
  ];
  const set = bits.slice(1).filter((bit) => bit.value === '1');
  const usesNewByteRegisters = operands.some(
    (operand) => operand.register?.gpr && operand.register.size === 1 && operand.register.number >= 8,
  );
  const summary =
    set.length > 0
      ? set.map((bit) => `REX.${bit.name}, ${bit.meaning}`).join('; ')
      : usesNewByteRegisters
        ? 'no bits set: its presence makes byte registers 4-7 spl, bpl, sil, dil instead of ah, ch, dh, bh'
        : 'no bits set, no effect';
  list.add('rex', 1, `REX 0100 ${binary(rex & 0xf, 4)}: ${summary}`, bits);
  return extensions;
}

/**
 * Whether the instruction has a ModRM byte (the opcode string says `/r` or `/digit`) and what the REX or
 * VEX extension bits extend here. ModRM comes after REX or VEX and the opcode bytes; it is peeked at to
 * know whether a SIB byte follows.
 */
export interface Layout {
  modRm: boolean;
  targets: { R?: string; X?: string; B?: string };
}

export function peekLayout(list: FieldList, facts: DecodedFacts, opcodeRegister: boolean): Layout {
  // `/r` and `/0`-`/7` as in the SDM; iced writes `11:rrr:bbb` (register only) and `!(11):rrr:bbb`
  // (memory only) for ModRM bytes whose mod is constrained.
  const modRm = facts.opCode.opCodeString
    .split(' ')
    .some((token) => /^\/([0-7]|r)$|^(!\(11\)|11):rrr:bbb$/.test(token));
  if (!modRm) return { modRm, targets: { B: opcodeRegister ? "the opcode's register" : undefined } };
  let at = list.position;
  if (facts.encoding === 'VEX') at += list.byte(at) === 0xc5 ? 2 : 3;
  else at += (isRex(list.byte(at)) ? 1 : 0) + (MAP_ESCAPES[facts.opCode.table]?.length ?? 0);
  at += facts.opCode.length;
  const modRmByte = list.byte(at);
  const sib = isSibModRm(modRmByte);
  // Without a base register (RIP-relative, or a SIB base of 101 with mod 00) B has nothing to extend.
  const noBase = modRmByte >> 6 === 0 && (sib ? (list.byte(at + 1) & 7) === 5 : (modRmByte & 7) === 5);
  return {
    modRm,
    targets: {
      R: facts.opCode.groupIndex < 0 ? 'ModRM.reg' : undefined,
      X: sib ? 'SIB.index' : undefined,
      B: noBase ? undefined : sib ? 'SIB.base' : 'ModRM.rm',
    },
  };
}

/** 40-4F: in 64-bit mode always a REX prefix (they were inc/dec in 32-bit mode). */
export function isRex(byte: number): boolean {
  return (byte & 0xf0) === 0x40;
}

/** What an extension bit (REX.R/X/B, or VEX's, given as its true value) does in this instruction. */
function extensionMeaning(value: number, target: string | undefined): string {
  if (target === undefined) return value ? 'ignored: nothing here for it to extend' : 'unused';
  return value ? `adds 8 to ${target}` : `${target} as encoded`;
}

function extensionBit(name: string, value: number, target: string | undefined): EncodingBits {
  return { name, value: String(value), meaning: extensionMeaning(value, target) };
}

const VEX_MAPS: Record<number, string> = { 1: 'T0F', 2: 'T0F38', 3: 'T0F3A' };
const VEX_PP_PREFIXES = ['none', '66', 'F3', 'F2'];
const MANDATORY_PREFIX_PP: Record<string, number> = { None: 0, PNP: 0, P66: 1, PF3: 2, PF2: 3 };

/**
 * The 2-byte (C5) or 3-byte (C4) VEX prefix. It carries inverted R, X, B and vvvv, the opcode map (which
 * replaces the 0F / 0F 38 / 0F 3A escapes), W, the vector length L, and pp (an implied 66, F3 or F2): each
 * is checked against the opcode the decoder found and the register it decoded.
 */
export function addVex(
  list: FieldList,
  facts: DecodedFacts,
  layout: Layout,
  vvvvOperand: OperandFacts | undefined,
): Extensions {
  const vexByte = list.byte();
  if (vexByte !== 0xc4 && vexByte !== 0xc5) {
    list.refuse('mismatch', `a VEX instruction starting ${hexByte(vexByte)}`);
  }
  const twoByte = vexByte === 0xc5;
  const first = list.byte(list.position + 1);
  const last = twoByte ? first : list.byte(list.position + 2);
  const extensions = {
    R: 1 - (first >> 7),
    X: twoByte ? 0 : 1 - ((first >> 6) & 1),
    B: twoByte ? 0 : 1 - ((first >> 5) & 1),
  };
  const map = twoByte ? 1 : first & 0x1f;
  const W = twoByte ? 0 : last >> 7;
  const vvvv = ~(last >> 3) & 0xf;
  const L = (last >> 2) & 1;
  const pp = last & 3;
  const { opCode } = facts;

  if (VEX_MAPS[map] !== opCode.table) {
    list.refuse('mismatch', `VEX map ${map} but the opcode is in ${opCode.table}`);
  }
  if (MANDATORY_PREFIX_PP[opCode.mandatoryPrefix] !== pp) {
    list.refuse('mismatch', `VEX.pp = ${binary(pp, 2)} but the opcode needs ${opCode.mandatoryPrefix}`);
  }
  if (!opCode.isLIG && L !== opCode.L) {
    list.refuse('mismatch', `VEX.L = ${L} but the opcode needs ${opCode.L}`);
  }
  const wIgnored = opCode.isWIG; // (isWIG32 ignores W outside 64-bit mode only: not here)
  if (!wIgnored && W !== opCode.W) list.refuse('mismatch', `VEX.W = ${W} but the opcode needs W${opCode.W}`);
  let vvvvMeaning = 'no register: unused, must be 1111';
  if (vvvvOperand?.register) {
    if (vvvv !== encodedRegisterNumber(vvvvOperand.register)) {
      list.refuse('mismatch', `VEX.vvvv names register ${vvvv}, the decoder ${vvvvOperand.register.name}`);
    }
    vvvvMeaning = `${vvvvOperand.register.name} (stored inverted)`;
  } else if (vvvv !== 0) {
    list.refuse('mismatch', `VEX.vvvv names register ${vvvv} but the instruction has no vvvv operand`);
  }

  const mapName = MAP_ESCAPES[VEX_MAPS[map] ?? '']?.map(hexByte).join(' ') ?? String(map);
  const lMeaning = opCode.isLIG
    ? 'ignored by this instruction'
    : L
      ? '256-bit vectors (VEX.256)'
      : '128-bit vectors (VEX.128)';
  const ppMeaning = pp === 0 ? 'no implied prefix' : `implied ${VEX_PP_PREFIXES[pp]} prefix`;
  const wMeaning = wIgnored ? 'ignored by this instruction (WIG)' : `W${W}, as the opcode requires`;
  const inverted = (name: 'R' | 'X' | 'B') => ({
    name: `${name}\u0304`, // R̄: the SDM's name for a bit stored inverted
    value: String(1 - extensions[name]),
    meaning: `${name} = ${extensions[name]}, stored inverted: ${extensionMeaning(extensions[name], layout.targets[name])}`,
  });
  const bits: EncodingBits[] = [
    {
      name: hexByte(vexByte),
      value: binary(vexByte, 8),
      meaning: twoByte ? '2-byte VEX: map 0F, W = 0, X = B = 0 implied' : '3-byte VEX',
    },
    inverted('R'),
  ];
  if (!twoByte) {
    bits.push(
      inverted('X'),
      inverted('B'),
      { name: 'm-mmmm', value: binary(map, 5), meaning: `opcode map ${mapName}` },
      { name: 'W', value: String(W), meaning: wMeaning },
    );
  }
  bits.push(
    { name: 'vvvv', value: binary(~vvvv & 0xf, 4), meaning: vvvvMeaning },
    { name: 'L', value: String(L), meaning: lMeaning },
    { name: 'pp', value: binary(pp, 2), meaning: ppMeaning },
  );
  const summary = [
    `map ${mapName}`,
    ppMeaning,
    opCode.isLIG ? undefined : L ? '256-bit' : '128-bit',
    vvvvOperand?.register ? `vvvv = ${vvvvOperand.register.name}` : undefined,
  ].filter(Boolean);
  list.add(
    'vex',
    twoByte ? 2 : 3,
    `${twoByte ? '2' : '3'}-byte VEX (${hexByte(vexByte)}): ${summary.join(', ')}`,
    bits,
  );
  return extensions;
}
