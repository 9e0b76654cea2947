/**
 * One decoded x86-64 instruction split into its encoding fields: legacy prefixes, REX or VEX, opcode,
 * ModRM, SIB, displacement and immediates, each with its bits and what they do.
 *
 * iced-x86 reports where an instruction's displacement and immediates sit, but not where its REX, VEX,
 * ModRM and SIB bytes are. Those boundaries are derived here from what the decoder says the instruction is
 * (its prefixes, its opcode table entry, its operands and where each is encoded) and then held to the
 * decoder: every bit read from the bytes must name the register, opcode extension, scale, displacement or
 * immediate the decoder decoded, and the fields must tile the instruction exactly, meeting the decoder's
 * constant offsets and its length. Anything that disagrees, or that this file cannot explain, is refused
 * with an AnnotationError rather than described by a guess.
 *
 * Pure: it works on DecodedFacts, plain data read out of iced's objects (decode.ts reads them and frees the
 * objects), so this file never loads the WebAssembly decoder.
 */
import { JitError } from '../../jit/errors.js';
import { toHex } from '../../jit/hex.js';

type Iced = typeof import('iced-x86');
/** iced's OpCodeOperandKind names: where the opcode table says an operand is encoded, e.g. 'r64_or_mem'. */
export type OperandEncodingName = keyof Iced['OpCodeOperandKind'];

export interface RegisterFacts {
  /** As the disassembly writes it: 'rax', 'ymm0'. */
  name: string;
  /** iced's register number: 0-15 for most classes; for byte registers al..bl 0-3, ah..bh 4-7, spl.. 8-19. */
  number: number;
  /** Size in bytes. */
  size: number;
  /** A general-purpose register (byte registers number differently, see encodedRegisterNumber). */
  gpr: boolean;
}

export interface OperandFacts {
  /** Where the opcode table encodes this operand (iced's OpCodeOperandKind name). */
  encoding: OperandEncodingName;
  /** The operand as the disassembly shows it: 'rax', '[rdi+0x20]', '-4'. */
  text: string;
  register?: RegisterFacts;
  memory: boolean;
  /** The decoder's value of an immediate operand, after any sign extension, as an unsigned 64-bit number. */
  immediate?: bigint;
}

/** What iced-x86 reports about one decoded instruction, read out of its objects before they are freed. */
export interface DecodedFacts {
  /** Offset of the instruction in the code (the decoder starts at ip 0). */
  offset: number;
  /** The instruction's bytes, exactly `length` of them. */
  bytes: Uint8Array;
  /** iced's Mnemonic name, e.g. 'Mov'. */
  mnemonic: string;
  /** iced's EncodingKind name: 'Legacy', 'VEX', 'EVEX', 'XOP', 'D3NOW' or 'MVEX'. */
  encoding: string;
  opCode: {
    /** e.g. 'o64 C7 /0 id'. */
    opCodeString: string;
    /** e.g. 'MOV r/m64, imm32'. */
    instructionString: string;
    /** The opcode byte(s) without the table's escape bytes, most significant first, `length` of them. */
    value: number;
    length: number;
    /** iced's OpCodeTableKind name: 'Normal', 'T0F', 'T0F38', 'T0F3A', ... */
    table: string;
    /** iced's MandatoryPrefix name: 'None', 'PNP', 'P66', 'PF3', 'PF2'. */
    mandatoryPrefix: string;
    /** 0-7 when ModRM.reg extends the opcode (`/digit`), else -1. */
    groupIndex: number;
    /** (VEX) L and W as the opcode requires them, unless ignored. */
    L: number;
    W: number;
    isLIG: boolean;
    isWIG: boolean;
    /** (Legacy) operand size the opcode requires (16, 32, 64) or 0. */
    operandSize: number;
    /** 64-bit operand size without REX.W in 64-bit mode (near branches, push, pop...). */
    defaultOpSize64: boolean;
    forceOpSize64: boolean;
  };
  operands: OperandFacts[];
  /** The memory operand's parts, when an operand is encoded through ModRM as memory. */
  memory?: {
    base?: RegisterFacts;
    index?: RegisterFacts;
    scale: number;
    /** The decoder's displacement: for RIP-relative operands, the address it designates. */
    displacement: bigint;
  };
  prefixes: { lock: boolean; rep: boolean; repne: boolean; segment?: string };
  stringInstruction: boolean;
  /** Whether the instruction can change the flow of control (branches, calls, returns, traps). */
  branch: boolean;
  /** Offset of the next instruction. */
  nextOffset: number;
  /** The target of a relative branch, as the decoder computed it. */
  branchTarget?: bigint;
  /** iced's ConstantOffsets: where the displacement and immediates sit in the instruction. */
  constantOffsets: {
    displacement?: { offset: number; size: number };
    immediates: Array<{ offset: number; size: number }>;
  };
}

export type EncodingFieldKind =
  | 'prefix'
  | 'rex'
  | 'vex'
  | 'opcode'
  | 'modrm'
  | 'sib'
  | 'displacement'
  | 'immediate';

/** A group of bits inside a field, most significant first within its byte. */
export interface EncodingBits {
  /** The bits' name as the Intel SDM writes it: 'W', 'mod', 'reg', 'R̄', 'vvvv', 'pp'. */
  name: string;
  /** The bits as written in the byte, e.g. '11', '000'. */
  value: string;
  meaning: string;
}

export interface EncodingField {
  kind: EncodingFieldKind;
  /** Offset of the field's first byte within the instruction. */
  offset: number;
  length: number;
  /** The field's bytes as lowercase hex pairs. */
  bytes: string;
  /** The field's bits, for fields made of bit groups (REX, VEX, ModRM, SIB, an opcode with a register). */
  bits?: EncodingBits[];
  description: string;
}

export type AnnotationRefusal = 'invalid' | 'truncated' | 'unsupported' | 'mismatch';

/**
 * The service refuses to annotate an instruction: the decoder found none (invalid, or the code ends inside
 * one), its encoding is one this file does not describe, or a derived field disagrees with the decoder.
 */
export class AnnotationError extends JitError {
  /** Offset of the instruction in the code. */
  readonly offset: number;
  readonly reason: AnnotationRefusal;
  /** The bytes at fault, as hex pairs. */
  readonly bytes: string;
  constructor(offset: number, bytes: Uint8Array, reason: AnnotationRefusal, detail: string) {
    super(
      'JIT_ANNOTATION_REFUSED',
      `cannot annotate the instruction at offset ${offset} (${toHex(bytes)}): ${detail}`,
    );
    this.offset = offset;
    this.reason = reason;
    this.bytes = toHex(bytes);
  }
}

const binary = (value: number, width: number) => value.toString(2).padStart(width, '0');
const hexByte = (value: number) => value.toString(16).padStart(2, '0').toUpperCase();

/** Register-extension bits, from REX (as stored) or VEX (stored inverted, given here as their true value). */
interface Extensions {
  R: number;
  X: number;
  B: number;
}

/** Where an operand lives in the encoding, from iced's OpCodeOperandKind name. */
type OperandLocation = 'reg' | 'rm' | 'vvvv' | 'opcode' | 'immediate' | 'implicit';

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

function operandLocation(encoding: OperandEncodingName): OperandLocation | undefined {
  if (IMMEDIATE_KINDS[encoding]) return 'immediate';
  if (IMPLICIT_KINDS.has(encoding)) return 'implicit';
  if (/_reg(_mem)?$/.test(encoding)) return 'reg';
  if (/_vvvv$/.test(encoding)) return 'vvvv';
  if (/_opcode$/.test(encoding)) return 'opcode';
  // moffs (mem_offs) is an address without ModRM: not described, so not located.
  if (/_rm$|_or_mem|^mem(_(mpx|mib|vsib\w+))?$|^sibmem$/.test(encoding)) return 'rm';
  return undefined;
}

/**
 * The register's number as the encoding writes it (before REX/VEX extension bits are split off). Byte
 * registers are the exception to iced's numbering: with any REX, 4-7 mean spl, bpl, sil, dil (iced's 8-11)
 * and 8-15 mean r8b-r15b (iced's 12-19).
 */
function encodedRegisterNumber(register: RegisterFacts): number {
  return register.gpr && register.size === 1 && register.number >= 8 ? register.number - 4 : register.number;
}

/** Accumulates fields in order; each one starts where the previous one ended. */
class FieldList {
  readonly fields: EncodingField[] = [];
  position = 0;
  constructor(private readonly facts: DecodedFacts) {}

  add(kind: EncodingFieldKind, length: number, description: string, bits?: EncodingBits[]): void {
    const bytes = this.facts.bytes.subarray(this.position, this.position + length);
    if (bytes.length !== length) this.refuse('mismatch', `its ${kind} field runs past the instruction's end`);
    this.fields.push({
      kind,
      offset: this.position,
      length,
      bytes: toHex(bytes),
      ...(bits ? { bits } : {}),
      description,
    });
    this.position += length;
  }

  byte(at = this.position): number {
    const value = this.facts.bytes[at];
    if (value === undefined) this.refuse('mismatch', "the fields run past the instruction's end");
    return value;
  }

  refuse(reason: AnnotationRefusal, detail: string): never {
    throw new AnnotationError(this.facts.offset, this.facts.bytes, reason, detail);
  }
}

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

const LEGACY_PREFIX_BYTES = new Set([0xf0, 0xf2, 0xf3, 0x2e, 0x36, 0x3e, 0x26, 0x64, 0x65, 0x66, 0x67]);
const SEGMENT_PREFIXES = new Map([
  [0x26, 'es'],
  [0x2e, 'cs'],
  [0x36, 'ss'],
  [0x3e, 'ds'],
  [0x64, 'fs'],
  [0x65, 'gs'],
]);
const MANDATORY_PREFIX_BYTES: Record<string, number> = { P66: 0x66, PF3: 0xf3, PF2: 0xf2 };

/**
 * The legacy prefixes before REX, VEX or the opcode. Each byte must be explained by what the decoder
 * reports (a LOCK, a REP on a string instruction, a mandatory prefix of the opcode, an operand- or
 * address-size override, a segment), and each prefix the decoder reports must be one of the bytes. Repeated
 * or conflicting prefixes, and prefixes with no effect the decoder can show, are refused.
 */
function addLegacyPrefixes(list: FieldList, facts: DecodedFacts): void {
  const seen = new Set<number>();
  let segmentSeen: string | undefined;
  while (LEGACY_PREFIX_BYTES.has(list.byte())) {
    const prefix = list.byte();
    if (seen.has(prefix) || (prefix === 0xf2 && seen.has(0xf3)) || (prefix === 0xf3 && seen.has(0xf2))) {
      list.refuse('unsupported', `repeated or conflicting prefix ${hexByte(prefix)}`);
    }
    const segment = SEGMENT_PREFIXES.get(prefix);
    if (segment && segmentSeen) {
      list.refuse('unsupported', `two segment prefixes (${segmentSeen}, ${segment})`);
    }
    seen.add(prefix);
    if (segment) segmentSeen = segment;
    list.add('prefix', 1, explainLegacyPrefix(list, facts, prefix));
  }
  // A REX counts only right before the opcode: one that another prefix follows is ignored by the CPU.
  if (facts.encoding === 'Legacy' && isRex(list.byte())) {
    const next = list.byte(list.position + 1);
    if (isRex(next) || LEGACY_PREFIX_BYTES.has(next)) {
      list.refuse('unsupported', 'a REX prefix followed by another prefix (the CPU ignores that REX)');
    }
  }
  const mandatory =
    facts.encoding === 'Legacy' ? MANDATORY_PREFIX_BYTES[facts.opCode.mandatoryPrefix] : undefined;
  const reported: Array<[boolean, number, string]> = [
    [facts.prefixes.lock, 0xf0, 'LOCK'],
    [facts.prefixes.rep, 0xf3, 'REP'],
    [facts.prefixes.repne, 0xf2, 'REPNE'],
    [mandatory !== undefined, mandatory ?? 0, 'mandatory'],
  ];
  for (const [present, byte, name] of reported) {
    if (present && !seen.has(byte)) {
      list.refuse('mismatch', `the decoder reports a ${name} prefix the bytes lack`);
    }
  }
  if (facts.prefixes.segment !== segmentSeen) {
    list.refuse('mismatch', `the decoder reports segment prefix ${facts.prefixes.segment ?? 'none'}`);
  }
}

function explainLegacyPrefix(list: FieldList, facts: DecodedFacts, prefix: number): string {
  const name = hexByte(prefix);
  const mandatory =
    facts.encoding === 'Legacy' && MANDATORY_PREFIX_BYTES[facts.opCode.mandatoryPrefix] === prefix;
  if (mandatory) {
    return `mandatory prefix ${name}: part of the opcode ${facts.opCode.opCodeString}, which selects ${facts.opCode.instructionString}`;
  }
  const segment = SEGMENT_PREFIXES.get(prefix);
  if (prefix === 0xf0 && facts.prefixes.lock) return 'LOCK (F0): the read-modify-write of memory is atomic';
  if (prefix === 0xf3 && facts.prefixes.rep && facts.stringInstruction) {
    return /^(Cmps|Scas)/.test(facts.mnemonic)
      ? 'REPE (F3): repeat while rcx ≠ 0 and ZF = 1, decrementing rcx'
      : 'REP (F3): repeat rcx times';
  }
  if (prefix === 0xf2 && facts.prefixes.repne && facts.stringInstruction) {
    return 'REPNE (F2): repeat while rcx ≠ 0 and ZF = 0, decrementing rcx';
  }
  if (prefix === 0x66 && facts.opCode.operandSize === 16) {
    return 'operand-size override (66): 16-bit operands';
  }
  if (prefix === 0x67 && [facts.memory?.base, facts.memory?.index].some((register) => register?.size === 4)) {
    return 'address-size override (67): 32-bit addresses';
  }
  if (segment && facts.prefixes.segment === segment) {
    if (segment === 'fs' || segment === 'gs') {
      return `${segment.toUpperCase()} segment override (${name}): the address is relative to ${segment}'s base`;
    }
    // On branches, 2E and 3E are hints or NOTRACK rather than segments: not described.
    if (!facts.branch) return `${segment.toUpperCase()} segment override (${name}): ignored in 64-bit mode`;
  }
  return list.refuse(
    'unsupported',
    `prefix ${name} has no effect this service can describe on ${facts.opCode.instructionString}`,
  );
}

/** REX (0100WRXB), legacy encoding only: it must come right before the opcode to count. */
function addRex(
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
interface Layout {
  modRm: boolean;
  targets: { R?: string; X?: string; B?: string };
}

function peekLayout(list: FieldList, facts: DecodedFacts, opcodeRegister: boolean): Layout {
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
function isRex(byte: number): boolean {
  return (byte & 0xf0) === 0x40;
}

/** Whether a ModRM byte is followed by a SIB byte: rm = 100 with a memory operand (mod ≠ 11). */
function isSibModRm(modRm: number): boolean {
  return modRm >> 6 !== 3 && (modRm & 7) === 4;
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
const MAP_ESCAPES: Record<string, number[]> = {
  Normal: [],
  T0F: [0x0f],
  T0F38: [0x0f, 0x38],
  T0F3A: [0x0f, 0x3a],
};
const VEX_PP_PREFIXES = ['none', '66', 'F3', 'F2'];
const MANDATORY_PREFIX_PP: Record<string, number> = { None: 0, PNP: 0, P66: 1, PF3: 2, PF2: 3 };

/**
 * The 2-byte (C5) or 3-byte (C4) VEX prefix. It carries inverted R, X, B and vvvv, the opcode map (which
 * replaces the 0F / 0F 38 / 0F 3A escapes), W, the vector length L, and pp (an implied 66, F3 or F2): each
 * is checked against the opcode the decoder found and the register it decoded.
 */
function addVex(
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

/**
 * The opcode: for legacy encoding the table's escape bytes (0F, 0F 38, 0F 3A) and then the opcode byte(s);
 * for VEX only the opcode byte, its map coming from VEX. The bytes must be the ones the decoder's opcode
 * table entry names, except for `+rb/+rw/+rd/+ro` opcodes whose low three bits hold a register.
 */
function addOpcode(
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

function registerMeaning(register: RegisterFacts, extension: number, extensionName: string): string {
  return extension ? `${register.name} (with ${extensionName} = 1, adding 8)` : register.name;
}

/**
 * ModRM (mod reg rm) and, when rm = 100 with a memory operand, SIB (scale index base). Returns the
 * displacement size they call for. Every register and the opcode extension they encode is checked against
 * the decoder's operands.
 */
function addModRmAndSib(
  list: FieldList,
  facts: DecodedFacts,
  extensions: Extensions,
  regOperand: OperandFacts | undefined,
  rmOperand: OperandFacts | undefined,
): number {
  const modRm = list.byte();
  const mod = modRm >> 6;
  const reg = (modRm >> 3) & 7;
  const rm = modRm & 7;
  const extensionName = facts.encoding === 'VEX' ? 'VEX.R' : 'REX.R';
  const baseExtensionName = facts.encoding === 'VEX' ? 'VEX.B' : 'REX.B';

  let regMeaning: string;
  let regSummary: string;
  const { groupIndex } = facts.opCode;
  if (groupIndex >= 0) {
    if (reg !== groupIndex) list.refuse('mismatch', `ModRM.reg = ${reg} but the opcode is /${groupIndex}`);
    regMeaning = `/${groupIndex}: extends the opcode (${facts.opCode.opCodeString})`;
    regSummary = `/${groupIndex}`;
  } else if (regOperand?.register) {
    if (reg + 8 * extensions.R !== encodedRegisterNumber(regOperand.register)) {
      list.refuse(
        'mismatch',
        `ModRM.reg = ${binary(reg, 3)} but the decoder read ${regOperand.register.name}`,
      );
    }
    regMeaning = registerMeaning(regOperand.register, extensions.R, extensionName);
    regSummary = `reg = ${regOperand.register.name}`;
  } else {
    return list.refuse('unsupported', 'what ModRM.reg selects is not described');
  }

  let modMeaning: string;
  let rmMeaning: string;
  let rmSummary: string | undefined;
  let displacementSize = 0;
  let sib = false;
  if (mod === 3) {
    if (!rmOperand?.register) {
      list.refuse('mismatch', 'ModRM says register direct but the decoder found no register');
    }
    if (rm + 8 * extensions.B !== encodedRegisterNumber(rmOperand.register)) {
      list.refuse('mismatch', `ModRM.rm = ${binary(rm, 3)} but the decoder read ${rmOperand.register.name}`);
    }
    modMeaning = 'register direct';
    rmMeaning = registerMeaning(rmOperand.register, extensions.B, baseExtensionName);
  } else {
    const memory = facts.memory;
    if (!rmOperand?.memory || !memory) {
      return list.refuse('mismatch', 'ModRM says memory but the decoder found none');
    }
    displacementSize = mod === 1 ? 1 : mod === 2 ? 4 : 0;
    modMeaning = ['memory, no displacement', 'memory + disp8', 'memory + disp32'][mod] ?? '';
    if (rm === 4) {
      sib = true;
      rmMeaning = 'a SIB byte follows';
      rmSummary = 'rm = 100, a SIB byte follows';
      if (mod === 0 && (list.byte(list.position + 1) & 7) === 5)
        modMeaning = 'memory + disp32 (SIB base 101)';
    } else if (mod === 0 && rm === 5) {
      if (memory.base?.name !== 'rip' && memory.base?.name !== 'eip') {
        list.refuse('mismatch', 'ModRM says RIP-relative but the decoder found another base');
      }
      displacementSize = 4;
      modMeaning = 'RIP-relative + disp32';
      rmMeaning = `${memory.base?.name} + disp32`;
    } else {
      if (!memory.base || memory.index || rm + 8 * extensions.B !== encodedRegisterNumber(memory.base)) {
        list.refuse('mismatch', `ModRM.rm = ${binary(rm, 3)} but the decoder's address is ${rmOperand.text}`);
      }
      rmMeaning = `[${registerMeaning(memory.base, extensions.B, baseExtensionName)}]`;
    }
  }
  list.add(
    'modrm',
    1,
    `ModRM ${binary(mod, 2)} ${binary(reg, 3)} ${binary(rm, 3)}: ${modMeaning}, ${regSummary}, ${rmSummary ?? `rm = ${rmMeaning}`}`,
    [
      { name: 'mod', value: binary(mod, 2), meaning: modMeaning },
      { name: 'reg', value: binary(reg, 3), meaning: regMeaning },
      { name: 'rm', value: binary(rm, 3), meaning: rmMeaning },
    ],
  );
  if (sib) displacementSize = addSib(list, facts, extensions, mod, displacementSize);
  return displacementSize;
}

/** SIB: address = base + index × 2^scale; index 100 (without X) means none, base 101 with mod 00 means none. */
function addSib(
  list: FieldList,
  facts: DecodedFacts,
  extensions: Extensions,
  mod: number,
  displacementSize: number,
): number {
  const sib = list.byte();
  const scale = sib >> 6;
  const index = ((sib >> 3) & 7) + 8 * extensions.X;
  const base = (sib & 7) + 8 * extensions.B;
  const memory = facts.memory;
  if (!memory) return list.refuse('mismatch', 'a SIB byte without a memory operand');

  let indexMeaning: string;
  let scaleMeaning: string;
  if (index === 4) {
    if (memory.index) list.refuse('mismatch', `SIB says no index but the decoder read ${memory.index.name}`);
    indexMeaning = 'none';
    scaleMeaning = 'ignored: no index';
  } else {
    if (!memory.index || index !== encodedRegisterNumber(memory.index) || 1 << scale !== memory.scale) {
      list.refuse(
        'mismatch',
        `SIB index ${index} × ${1 << scale} is not the decoder's ${memory.index?.name ?? 'none'} × ${memory.scale}`,
      );
    }
    indexMeaning = registerMeaning(memory.index, extensions.X, facts.encoding === 'VEX' ? 'VEX.X' : 'REX.X');
    scaleMeaning = `× ${1 << scale}`;
  }
  let baseMeaning: string;
  if ((sib & 7) === 5 && mod === 0) {
    if (memory.base) list.refuse('mismatch', `SIB says no base but the decoder read ${memory.base.name}`);
    baseMeaning = 'none: a disp32 follows';
    displacementSize = 4;
  } else {
    if (!memory.base || base !== encodedRegisterNumber(memory.base)) {
      list.refuse('mismatch', `SIB base ${base} is not the decoder's ${memory.base?.name ?? 'none'}`);
    }
    baseMeaning = registerMeaning(memory.base, extensions.B, facts.encoding === 'VEX' ? 'VEX.B' : 'REX.B');
  }
  const address = [
    memory.base?.name,
    memory.index ? `${memory.index.name} × ${memory.scale}` : undefined,
    memory.base ? undefined : 'disp32',
  ].filter(Boolean);
  list.add(
    'sib',
    1,
    `SIB ${binary(scale, 2)} ${binary((sib >> 3) & 7, 3)} ${binary(sib & 7, 3)}: address = ${address.join(' + ')}`,
    [
      { name: 'scale', value: binary(scale, 2), meaning: scaleMeaning },
      { name: 'index', value: binary((sib >> 3) & 7, 3), meaning: indexMeaning },
      { name: 'base', value: binary(sib & 7, 3), meaning: baseMeaning },
    ],
  );
  return displacementSize;
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

function addDisplacement(list: FieldList, facts: DecodedFacts, size: number): void {
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
function addImmediates(list: FieldList, facts: DecodedFacts, operands: readonly OperandFacts[]): void {
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
