/**
 * What each mnemonic does, in one table: the page of its reference (the Intel SDM's instruction pages as
 * https://www.felixcloutier.com/x86/ publishes them, one page per family) and a plain-language line built
 * from the decoded operands. A mnemonic outside the table, or a form its phrase does not fit, gets a
 * generic line naming the instruction's form and no link: never a wrong one.
 *
 * Pure: it reads DecodedFacts (facts.ts), not iced's objects.
 */
import type { DecodedFacts, OperandFacts } from './facts.js';

export const REFERENCE_BASE_URL = 'https://www.felixcloutier.com/x86/';

/** The line for an instruction, or undefined when its form is not the one the phrase was written for. */
type Phrase = (operands: readonly OperandFacts[], facts: DecodedFacts) => string | undefined;

interface MnemonicEntry {
  /** The reference page's name, e.g. 'jcc' for every conditional jump. */
  page: string;
  /** Forms of the mnemonic that the page does not cover (matched against iced's instruction string). */
  otherPageForms?: RegExp;
  phrase?: Phrase;
}

/** `d ← d op s` for two operands, `d ← a op b` for VEX's three; with `lanes`, the packed int32 count. */
function arithmetic(operator: string, lanes?: 'int32'): Phrase {
  return (operands) => {
    const [destination, first, second] = operands;
    if (!destination || !first || operands.length > 3) return undefined;
    const expression =
      second === undefined
        ? `${destination.text} ← ${destination.text} ${operator} ${first.text}`
        : `${destination.text} ← ${first.text} ${operator} ${second.text}`;
    if (!lanes) return expression;
    const count = int32Lanes(destination);
    return count === undefined ? undefined : `${expression} (${count} × int32)`;
  };
}

function int32Lanes(operand: OperandFacts): number | undefined {
  return operand.register ? operand.register.size / 4 : undefined;
}

function arity(count: number, phrase: Phrase): Phrase {
  return (operands, facts) => (operands.length === count ? phrase(operands, facts) : undefined);
}

const assign: Phrase = arity(2, ([destination, source]) => `${destination?.text} ← ${source?.text}`);

/** A target offset as the disassembly writes one (ip starts at 0, so it is an offset in the code). */
function targetText(target: bigint): string {
  const signed = BigInt.asIntN(64, target);
  return signed < 0n ? `-0x${(-signed).toString(16)}` : `0x${signed.toString(16)}`;
}

function conditionalJump(condition: string): Phrase {
  return (_operands, facts) =>
    facts.branchTarget === undefined
      ? undefined
      : `if ${condition}: jump to ${targetText(facts.branchTarget)}`;
}

const flagsFrom = (operator: string): Phrase =>
  arity(2, ([a, b]) => `flags ← ${a?.text} ${operator} ${b?.text} (result discarded)`);

const step = (operator: string): Phrase =>
  arity(1, ([operand]) => `${operand?.text} ← ${operand?.text} ${operator} 1`);

const fixed =
  (line: string): Phrase =>
  (operands) =>
    operands.length === 0 ? line : undefined;

/** Near jumps and calls: to a decoded target, or to the address held in a register or memory. */
function transfer(verb: string): Phrase {
  return (operands, facts) => {
    if (facts.branchTarget !== undefined) return `${verb} ${targetText(facts.branchTarget)}`;
    // A far pointer (m16:64) holds a selector as well as an address: not this phrase.
    if (facts.opCode.instructionString.includes(':')) return undefined;
    const [where] = operands;
    return operands.length === 1 && where && (where.register || where.memory)
      ? `${verb} the address in ${where.text}`
      : undefined;
  };
}

/** movd: into an mm or xmm register the dword is zero-extended; out of one, its low dword is taken. */
const moveDword: Phrase = arity(2, ([destination, source]) =>
  destination?.register && destination.register.size > 4
    ? `${destination.text} ← ${source?.text}, zero-extended to ${8 * destination.register.size} bits`
    : `${destination?.text} ← ${source?.text}[31:0]`,
);

/** pshufd: result lane i is the source lane in imm8 bits 2i+1:2i, within each 128-bit half. */
const shuffleDwords: Phrase = arity(3, ([destination, source, control]) => {
  if (!destination?.register || control?.immediate === undefined) return undefined;
  const order = [0, 1, 2, 3].map((lane) => (Number(control.immediate) >> (2 * lane)) & 3);
  const halves = destination.register.size > 16 ? ', in each 128-bit half' : '';
  return `${destination.text} ← int32 lanes ${order.join(', ')} of ${source?.text} (lane 0 first${halves})`;
});

const broadcastDword: Phrase = arity(2, ([destination, source]) => {
  if (!destination || !source) return undefined;
  const count = int32Lanes(destination);
  const value = source.register ? `${source.text}[31:0]` : source.text;
  return count === undefined
    ? undefined
    : `${destination.text} ← ${value} in each of its ${count} int32 lanes`;
});

/** lea computes the address in the brackets and reads no memory. */
const loadAddress: Phrase = arity(2, ([destination, address]) => {
  const expression = /^\[(?:rel )?(.+)\]$/.exec(address?.text ?? '')?.[1];
  return expression ? `${destination?.text} ← ${expression} (the address itself, no memory read)` : undefined;
});

const JCC_CONDITIONS: Record<string, string> = {
  Jo: 'OF = 1',
  Jno: 'OF = 0',
  Jb: 'CF = 1',
  Jae: 'CF = 0',
  Je: 'ZF = 1',
  Jne: 'ZF = 0',
  Jbe: 'CF = 1 or ZF = 1',
  Ja: 'CF = 0 and ZF = 0',
  Js: 'SF = 1',
  Jns: 'SF = 0',
  Jp: 'PF = 1',
  Jnp: 'PF = 0',
  Jl: 'SF ≠ OF',
  Jge: 'SF = OF',
  Jle: 'ZF = 1 or SF ≠ OF',
  Jg: 'ZF = 0 and SF = OF',
};

/** Keyed by iced's Mnemonic name. */
export const MNEMONICS: Readonly<Record<string, MnemonicEntry>> = {
  Mov: { page: 'mov', otherPageForms: /\b(cr|dr|tr)\b/, phrase: assign },
  Add: { page: 'add', phrase: arithmetic('+') },
  Sub: { page: 'sub', phrase: arithmetic('−') },
  Xor: { page: 'xor', phrase: arithmetic('^') },
  And: { page: 'and', phrase: arithmetic('&') },
  Or: { page: 'or', phrase: arithmetic('|') },
  Inc: { page: 'inc', phrase: step('+') },
  Dec: { page: 'dec', phrase: step('−') },
  Test: { page: 'test', phrase: flagsFrom('&') },
  Cmp: { page: 'cmp', phrase: flagsFrom('−') },
  Lea: { page: 'lea', phrase: loadAddress },
  Push: { page: 'push', phrase: arity(1, ([operand]) => `push ${operand?.text} onto the stack`) },
  Pop: { page: 'pop', phrase: arity(1, ([operand]) => `${operand?.text} ← pop from the stack`) },
  Jmp: { page: 'jmp', phrase: transfer('jump to') },
  Call: { page: 'call', phrase: transfer('push the return address, jump to') },
  Ret: { page: 'ret', phrase: fixed('return') },
  Nop: { page: 'nop', phrase: () => 'no operation' },
  Int3: { page: 'intn:into:int3:int1', phrase: fixed('trap (int3)') },
  Cpuid: {
    page: 'cpuid',
    phrase: fixed('eax, ebx, ecx, edx ← processor identification for leaf eax, subleaf ecx'),
  },
  Xgetbv: { page: 'xgetbv', phrase: fixed('edx:eax ← extended control register XCR[ecx]') },
  Vzeroupper: { page: 'vzeroupper', phrase: fixed('zero bits 255:128 of every ymm register') },
  Paddd: { page: 'paddb:paddw:paddd:paddq', phrase: arithmetic('+', 'int32') },
  Vpaddd: { page: 'paddb:paddw:paddd:paddq', phrase: arithmetic('+', 'int32') },
  Vpbroadcastd: { page: 'vpbroadcast', phrase: broadcastDword },
  Movdqu: { page: 'movdqu:vmovdqu8:vmovdqu16:vmovdqu32:vmovdqu64', phrase: assign },
  Vmovdqu: { page: 'movdqu:vmovdqu8:vmovdqu16:vmovdqu32:vmovdqu64', phrase: assign },
  Movdqa: { page: 'movdqa:vmovdqa32:vmovdqa64', phrase: assign },
  Vmovdqa: { page: 'movdqa:vmovdqa32:vmovdqa64', phrase: assign },
  Movd: { page: 'movd:movq', phrase: moveDword },
  Vmovd: { page: 'movd:movq', phrase: moveDword },
  Pshufd: { page: 'pshufd', phrase: shuffleDwords },
  Vpshufd: { page: 'pshufd', phrase: shuffleDwords },
  ...Object.fromEntries(
    Object.entries(JCC_CONDITIONS).map(([mnemonic, condition]) => [
      mnemonic,
      { page: 'jcc', phrase: conditionalJump(condition) },
    ]),
  ),
};

/** The reference page's address for the instruction's mnemonic, or null when the table has none. */
export function referenceFor(facts: DecodedFacts): string | null {
  const entry = MNEMONICS[facts.mnemonic];
  if (!entry || entry.otherPageForms?.test(facts.opCode.instructionString.toLowerCase())) return null;
  return REFERENCE_BASE_URL + entry.page;
}

/**
 * The instruction in plain words, from its decoded operands. A LOCK makes the phrase's read-modify-write
 * atomic; a REP changes what the instruction does, so one gets the generic line.
 */
export function operationFor(facts: DecodedFacts): string {
  const phrase = MNEMONICS[facts.mnemonic]?.phrase;
  const plain = facts.prefixes.rep || facts.prefixes.repne ? undefined : phrase?.(facts.operands, facts);
  if (plain === undefined) return `${facts.opCode.instructionString} (no plain-language line for this form)`;
  return facts.prefixes.lock ? `${plain}, atomically` : plain;
}
