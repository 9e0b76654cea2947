/**
 * The legacy prefixes (LOCK, REP/REPE/REPNE, mandatory prefixes, operand- and address-size overrides,
 * segments): each byte explained by what the decoder reports, or refused.
 */
import type { DecodedFacts } from './facts.js';
import { type FieldList, hexByte } from './field-list.js';
import { isRex } from './rex-vex.js';

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
export function addLegacyPrefixes(list: FieldList, facts: DecodedFacts): void {
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
