/**
 * ModRM (mod reg rm) and SIB (scale index base): the registers, the opcode extension and the memory
 * address they encode, each checked against the decoder's operands, and the displacement they call for.
 */
import type { DecodedFacts, OperandFacts } from './facts.js';
import {
  binary,
  type Extensions,
  encodedRegisterNumber,
  type FieldList,
  registerMeaning,
} from './field-list.js';

/** Whether a ModRM byte is followed by a SIB byte: rm = 100 with a memory operand (mod ≠ 11). */
export function isSibModRm(modRm: number): boolean {
  return modRm >> 6 !== 3 && (modRm & 7) === 4;
}

/**
 * ModRM (mod reg rm) and, when rm = 100 with a memory operand, SIB (scale index base). Returns the
 * displacement size they call for. Every register and the opcode extension they encode is checked against
 * the decoder's operands.
 */
export function addModRmAndSib(
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
