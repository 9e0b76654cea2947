/**
 * The tiling check (tiling.ts) on fields made up here: it accepts fields that tile the instruction where the
 * decoder's constant offsets put the displacement and immediates, and refuses every other arrangement.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EncodingField } from '../../../src/explain/annotation.js';
import type { DecodedFacts } from '../../../src/explain/x86-64/facts.js';
import { checkTiling } from '../../../src/explain/x86-64/tiling.js';
import { fromHex } from '../../support/hex-code.js';

describe('checkTiling', () => {
  // Facts as the decoder reports them for 48 c7 c0 fc ff ff ff (mov rax, -4): 7 bytes, an imm32 at 3; and
  // for 8b 44 8f 20 (mov eax, [rdi+rcx*4+0x20]): 4 bytes, a disp8 at 3.
  const withImmediate = {
    offset: 0,
    bytes: fromHex('48 c7 c0 fc ff ff ff'),
    constantOffsets: { immediates: [{ offset: 3, size: 4 }] },
  } as unknown as DecodedFacts;
  const withDisplacement = {
    offset: 0,
    bytes: fromHex('8b 44 8f 20'),
    constantOffsets: { displacement: { offset: 3, size: 1 }, immediates: [] },
  } as unknown as DecodedFacts;
  const tiling = (...fields: Array<[EncodingField['kind'], number, number]>) =>
    fields.map(([kind, offset, length]) => ({ kind, offset, length, bytes: '', description: '' }));
  const refused = (facts: DecodedFacts, fields: EncodingField[], detail: string) => {
    const hex = Array.from(facts.bytes, (byte) => byte.toString(16).padStart(2, '0')).join(' ');
    assert.throws(() => checkTiling(facts, fields), {
      name: 'AnnotationError',
      reason: 'mismatch',
      message: `cannot annotate the instruction at offset 0 (${hex}): ${detail}`,
    });
  };

  it('accepts fields that tile the instruction and meet the decoder’s constant offsets', () => {
    checkTiling(withImmediate, tiling(['rex', 0, 1], ['opcode', 1, 1], ['modrm', 2, 1], ['immediate', 3, 4]));
    checkTiling(
      withDisplacement,
      tiling(['opcode', 0, 1], ['modrm', 1, 1], ['sib', 2, 1], ['displacement', 3, 1]),
    );
  });

  it('refuses a gap, an overlap, an empty field and fields that stop short or run on', () => {
    const imm = (...fields: Array<[EncodingField['kind'], number, number]>) => tiling(...fields);
    refused(
      withImmediate,
      imm(['rex', 0, 1], ['modrm', 2, 1], ['immediate', 3, 4]),
      'its modrm field starts at 2, not at 1',
    );
    refused(
      withImmediate,
      imm(['rex', 0, 1], ['opcode', 1, 2], ['modrm', 2, 1], ['immediate', 3, 4]),
      'its modrm field starts at 2, not at 3',
    );
    refused(
      withImmediate,
      imm(['rex', 0, 1], ['opcode', 1, 1], ['modrm', 2, 1], ['sib', 3, 0], ['immediate', 3, 4]),
      'its sib field is empty',
    );
    refused(
      withImmediate,
      imm(['rex', 0, 1], ['opcode', 1, 1], ['modrm', 2, 1], ['immediate', 3, 3]),
      'its fields cover 6 bytes but the decoder read 7',
    );
    refused(
      withImmediate,
      imm(['rex', 0, 1], ['opcode', 1, 1], ['modrm', 2, 1], ['immediate', 3, 5]),
      'its fields cover 8 bytes but the decoder read 7',
    );
  });

  it('refuses displacement fields the decoder does not report, or reports elsewhere or of another size', () => {
    refused(
      withImmediate,
      tiling(['rex', 0, 1], ['opcode', 1, 1], ['displacement', 2, 1], ['immediate', 3, 4]),
      "its displacement fields do not match the decoder's constant offsets",
    );
    refused(
      withDisplacement,
      tiling(['opcode', 0, 1], ['modrm', 1, 1], ['sib', 2, 1], ['immediate', 3, 1]),
      "its displacement fields do not match the decoder's constant offsets",
    );
    refused(
      withDisplacement,
      tiling(['opcode', 0, 1], ['displacement', 1, 1], ['modrm', 2, 1], ['sib', 3, 1]),
      'its displacement is at 1 (1 bytes); the decoder says 3 (1 bytes)',
    );
    const longer = { ...withDisplacement, bytes: fromHex('8b 44 8f 20 00') } as DecodedFacts;
    refused(
      longer,
      tiling(['opcode', 0, 1], ['modrm', 1, 1], ['sib', 2, 1], ['displacement', 3, 2]),
      'its displacement is at 3 (2 bytes); the decoder says 3 (1 bytes)',
    );
  });

  it('refuses immediate fields that are not, one for one, where and as long as the decoder reports', () => {
    const elsewhere = "its immediate fields do not sit where the decoder's constant offsets put them";
    refused(
      withImmediate,
      tiling(['rex', 0, 1], ['opcode', 1, 1], ['modrm', 2, 1], ['immediate', 3, 2], ['immediate', 5, 2]),
      elsewhere,
    );
    refused(
      withImmediate,
      tiling(['rex', 0, 1], ['opcode', 1, 1], ['immediate', 2, 4], ['modrm', 6, 1]),
      elsewhere,
    );
    refused(
      withImmediate,
      tiling(['rex', 0, 1], ['opcode', 1, 1], ['modrm', 2, 1], ['immediate', 3, 3], ['sib', 6, 1]),
      elsewhere,
    );
    refused(
      withDisplacement,
      tiling(['opcode', 0, 1], ['modrm', 1, 1], ['immediate', 2, 1], ['displacement', 3, 1]),
      elsewhere,
    );
  });
});
