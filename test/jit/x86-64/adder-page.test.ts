import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { AdderPageTarget } from '../../../src/jit/target.js';
import {
  ADDER_ENTRY,
  BATCH_ADDER_ENTRY,
  encodeBatchAdder,
  encodeBlindedAdder,
  layout,
  MAIN_LOOP_OFFSET,
} from '../../../src/jit/x86-64/adder-page.js';
import { createX86_64Target, X86_64 } from '../../../src/jit/x86-64/architecture.js';
import { type DecodedOperands, decodeOperands } from '../../support/x86-decoding.js';
import { encodeAdderPage, X86_64_TARGETS } from '../../support/x86-pages.js';

const int32 = fc.integer({ min: -2147483648, max: 2147483647 });
/** Every target and unroll factor the code generator can make, not only the chosen ones. */
const VARIANTS: Array<{ target: AdderPageTarget; loopOffset: number }> = [
  { target: createX86_64Target('scalar'), loopOffset: MAIN_LOOP_OFFSET },
  ...(['sse2', 'avx2'] as const).flatMap((level) => [
    ...([1, 2, 4] as const).map((unroll) => ({
      target: createX86_64Target(level, unroll),
      loopOffset: MAIN_LOOP_OFFSET,
    })),
    ...[0, 37].map((loopOffset) => ({ target: createX86_64Target(level, 4, loopOffset), loopOffset })),
  ]),
];

/**
 * The code as lines of 'Mnemonic operands', a branch's target written as `→label`, where the label is the
 * one `expected` puts on the instruction at that offset (`label: Mnemonic ...`). A branch into the middle
 * of an instruction or outside the code has no line to name and fails the comparison.
 */
function listing(decoded: DecodedOperands[], expected: string[]): string[] {
  // Padding inside the batch entry (int3 after its early ret, never executed) is checked on its own.
  decoded = decoded.filter(({ offset, mnemonic }) => !(mnemonic === 'Int3' && offset > BATCH_ADDER_ENTRY));
  const labels = expected.map((line) => /^(\w+): /.exec(line)?.[1]);
  const indexAt = new Map(decoded.map((instruction, index) => [instruction.offset, index]));
  return decoded.map(({ mnemonic, operands, branchTarget }, index) => {
    const label = labels[index] === undefined ? '' : `${labels[index]}: `;
    if (branchTarget === undefined) return `${label}${mnemonic} ${operands.join(', ')}`.trimEnd();
    const target = indexAt.get(branchTarget);
    const name = target === undefined ? `?${branchTarget} (not an instruction boundary)` : labels[target];
    return `${label}${mnemonic} →${name ?? `?${branchTarget} (unlabelled)`}`;
  });
}

/** Where the main loop starts: the target of the first backward branch after the peel's. */
function mainLoopStart(decoded: DecodedOperands[]): number {
  const backward = decoded.filter(
    ({ offset, branchTarget }) => branchTarget !== undefined && branchTarget < offset,
  );
  const main = backward[1]?.branchTarget;
  assert.ok(main !== undefined, 'a main loop');
  return main;
}

/** The blinded apply entry and its int3 padding up to BATCH_ADDER_ENTRY, as every level's page has them. */
const blindedApply = (term: number, key: number) => [
  `Mov EAX, ${term ^ key}`,
  `Xor EAX, ${key}`,
  'Add EAX, EDI',
  'Ret',
  'Int3',
  'Int3',
  'Int3',
];

/** The scalar loop every vector kernel ends with, from the alignment test that skips to it. */
const scalarTail = [
  'Test RSI, RSI',
  'Je →done',
  'scalar: Add [RDI], EAX',
  'Add RDI, 4',
  'Dec RSI',
  'Jne →scalar',
];

/**
 * The prologue of every vector kernel: load the term, return at once for n = 0, go straight to the vectors
 * for an xs not a multiple of 4, else step to an aligned xs.
 */
const peel = (term: number, key: number, widthMask: number) => [
  `Mov EAX, ${term ^ key}`,
  `Xor EAX, ${key}`,
  'Test RSI, RSI',
  'Je →early',
  'Test DIL, 3',
  'Jne →aligned',
  `peel: Test DIL, ${widthMask}`,
  'Je →aligned',
  'Add [RDI], EAX',
  'Add RDI, 4',
  'Dec RSI',
  'Jne →peel',
  'early: Ret',
];

describe('adder pages at each level', () => {
  it('decodes the blinded AVX2 page (×4) to exactly its intended instructions, every branch to its label', () => {
    fc.assert(
      fc.property(int32, int32, (term, key) => {
        const expected = [
          ...blindedApply(term, key),
          ...peel(term, key, 31),
          'aligned: Vmovd XMM0, EAX',
          'Vpbroadcastd YMM0, XMM0',
          'Mov RCX, RSI',
          'Shr RCX, 5',
          'Je →after',
          'main: Vpaddd YMM1, YMM0, [RDI]',
          'Vmovdqu [RDI], YMM1',
          'Vpaddd YMM2, YMM0, [RDI+32]',
          'Vmovdqu [RDI+32], YMM2',
          'Vpaddd YMM3, YMM0, [RDI+64]',
          'Vmovdqu [RDI+64], YMM3',
          'Vpaddd YMM4, YMM0, [RDI+96]',
          'Vmovdqu [RDI+96], YMM4',
          'Add RDI, 128',
          'Dec RCX',
          'Jne →main',
          'after: And ESI, 31',
          'Mov RCX, RSI',
          'Shr RCX, 3',
          'Je →tail',
          'single: Vpaddd YMM1, YMM0, [RDI]',
          'Vmovdqu [RDI], YMM1',
          'Add RDI, 32',
          'Dec RCX',
          'Jne →single',
          'tail: And ESI, 7',
          ...scalarTail,
          'done: Vzeroupper',
          'Ret',
        ];
        const avx2 = X86_64.target('avx2');
        assert.equal(avx2.unroll, 4);
        const decoded = decodeOperands(avx2.encodePage(term, key));
        assert.deepEqual(listing(decoded, expected), expected);
        assert.equal(mainLoopStart(decoded) % 64, MAIN_LOOP_OFFSET);
      }),
      { numRuns: 50, examples: [[5, 0x11223344]] },
    );
  });

  it('decodes the blinded SSE2 page (×4) to exactly its intended instructions, every branch to its label', () => {
    fc.assert(
      fc.property(int32, int32, (term, key) => {
        const registerPass = (register: number, disp: number) => {
          const memory = disp === 0 ? '[RDI]' : `[RDI+${disp}]`;
          return [
            `Movdqu XMM${register}, ${memory}`,
            `Paddd XMM${register}, XMM0`,
            `Movdqu ${memory}, XMM${register}`,
          ];
        };
        const expected = [
          ...blindedApply(term, key),
          ...peel(term, key, 15),
          'aligned: Movd XMM0, EAX',
          'Pshufd XMM0, XMM0, 0',
          'Mov RCX, RSI',
          'Shr RCX, 4',
          'Je →after',
          ...[1, 2, 3, 4]
            .flatMap((register) => registerPass(register, (register - 1) * 16))
            .map((line, index) => (index === 0 ? `main: ${line}` : line)),
          'Add RDI, 64',
          'Dec RCX',
          'Jne →main',
          'after: And ESI, 15',
          'Mov RCX, RSI',
          'Shr RCX, 2',
          'Je →tail',
          ...registerPass(1, 0).map((line, index) => (index === 0 ? `single: ${line}` : line)),
          'Add RDI, 16',
          'Dec RCX',
          'Jne →single',
          'tail: And ESI, 3',
          ...scalarTail,
          'done: Ret',
        ];
        const sse2 = X86_64.target('sse2');
        assert.equal(sse2.unroll, 4);
        const decoded = decodeOperands(sse2.encodePage(term, key));
        assert.deepEqual(listing(decoded, expected), expected);
        assert.equal(mainLoopStart(decoded) % 64, MAIN_LOOP_OFFSET);
      }),
      { numRuns: 50, examples: [[5, 0x11223344]] },
    );
  });

  it('decodes the seed scalar page to the seed adder and the scalar loop, byte for byte the page of before', () => {
    const scalar = X86_64.target('scalar');
    const expected = [
      'Mov RAX, -4',
      'Add RAX, RDI',
      'Ret',
      ...new Array(5).fill('Int3'),
      'Mov EAX, -4',
      'Test RSI, RSI',
      'Je →done',
      'scalar: Add [RDI], EAX',
      'Add RDI, 4',
      'Dec RSI',
      'Jne →scalar',
      'done: Ret',
    ];
    assert.deepEqual(listing(decodeOperands(scalar.encodePage(-4)), expected), expected);
    fc.assert(
      fc.property(int32, fc.option(int32, { nil: undefined }), (term, key) => {
        assert.deepEqual(scalar.encodePage(term, key), encodeAdderPage(term, key));
      }),
    );
  });

  for (const { target, loopOffset } of VARIANTS) {
    it(`${target.name}: decodes whole, every branch lands on an instruction of its own entry, padding only after a ret`, () => {
      fc.assert(
        fc.property(int32, fc.option(int32, { nil: undefined }), (term, key) => {
          const code = target.encodePage(term, key);
          const decoded = decodeOperands(code);
          assert.ok(decoded.every(({ mnemonic }) => mnemonic !== 'INVALID'));
          assert.equal(
            decoded.reduce((length, instruction) => length + instruction.length, 0),
            code.length,
          );
          const starts = new Set(decoded.map(({ offset }) => offset));
          assert.ok(starts.has(target.applyEntry) && starts.has(target.applyAllEntry));
          decoded.forEach(({ offset, mnemonic }, index) => {
            if (mnemonic !== 'Int3' || offset < target.applyAllEntry) return;
            assert.match(
              decoded[index - 1]?.mnemonic ?? '',
              /^(Ret|Int3)$/,
              `int3 at ${offset} can be reached`,
            );
          });
          if (target.level !== 'scalar') assert.equal(mainLoopStart(decoded) % 64, loopOffset);
          for (const { offset, branchTarget } of decoded) {
            if (branchTarget === undefined) continue;
            assert.ok(starts.has(branchTarget), `the branch at ${offset} lands inside an instruction`);
            assert.ok(offset >= target.applyAllEntry && branchTarget >= target.applyAllEntry);
          }
        }),
        { numRuns: 30 },
      );
    });

    it(`${target.name}: uses only its level's instructions, and AVX2 leaves through vzeroupper`, () => {
      const batch = decodeOperands(target.encodePage(1, 2)).filter(
        ({ offset }) => offset >= target.applyAllEntry,
      );
      const usesVectorRegisters = ({ operands }: DecodedOperands) =>
        operands.some((operand) => /^[XY]MM/.test(String(operand)));
      const vex = batch.filter(({ mnemonic }) => mnemonic.startsWith('V'));
      const legacySse = batch.filter(
        (instruction) => usesVectorRegisters(instruction) && !vex.includes(instruction),
      );
      assert.equal(vex.length > 0, target.level === 'avx2', 'VEX instructions at the AVX2 level only');
      assert.equal(
        legacySse.length > 0,
        target.level === 'sse2',
        'legacy SSE instructions at the SSE2 level only',
      );
      if (target.level === 'avx2') {
        // Every return after the first vector instruction comes right after vzeroupper.
        const firstVector = batch.findIndex(usesVectorRegisters);
        const laterReturns = batch.flatMap(({ mnemonic }, index) =>
          mnemonic === 'Ret' && index > firstVector ? [index] : [],
        );
        assert.ok(laterReturns.length > 0);
        for (const index of laterReturns) assert.equal(batch[index - 1]?.mnemonic, 'Vzeroupper');
      }
    });

    it(`${target.name}: the template's page is the composed page, and the apply entry is the scalar one`, () => {
      const scalar = X86_64.target('scalar');
      fc.assert(
        fc.property(int32, fc.option(int32, { nil: undefined }), (term, key) => {
          const code = target.encodePage(term, key);
          assert.deepEqual(code, target.composePage(term, key));
          assert.deepEqual(
            code.subarray(ADDER_ENTRY, BATCH_ADDER_ENTRY),
            scalar.encodePage(term, key).subarray(ADDER_ENTRY, BATCH_ADDER_ENTRY),
          );
        }),
        {
          numRuns: 200,
          examples: [
            [0, undefined],
            [-1, -1],
            [2147483647, -2147483648],
          ],
        },
      );
      // Each page is a copy: writing one must not change the next, nor the next encode the one before.
      target.encodePage(3).fill(0);
      const earlier = target.encodePage(3);
      target.encodePage(4, 5);
      assert.deepEqual(earlier, target.composePage(3));
    });
  }

  it('names its targets by architecture and level, and refuses an unknown level or name', () => {
    assert.deepEqual(
      X86_64_TARGETS.map(({ name, level, lanes }) => [name, level, lanes]),
      [
        ['x86-64-scalar', 'scalar', 1],
        ['x86-64-sse2', 'sse2', 4],
        ['x86-64-avx2', 'avx2', 8],
      ],
    );
    assert.throws(() => X86_64.target('avx512'), /level must be one of scalar, sse2, avx2/);
    assert.throws(() => createX86_64Target('scalar', 2), {
      name: 'RangeError',
      message: 'the scalar kernel is not unrolled',
    });
    assert.throws(() => createX86_64Target('avx2', 8 as 4), /unroll must be 1, 2 or 4/);
    for (const loopOffset of [64, -1, 1.5]) {
      assert.throws(() => createX86_64Target('avx2', 4, loopOffset), {
        name: 'RangeError',
        message: `loopOffset must be 0 to 63, got ${loopOffset}`,
      });
    }
    assert.equal(createX86_64Target('sse2', 2, 0).name, 'x86-64-sse2-x2-loop0');
    assert.equal(createX86_64Target('avx2', 4, 63).name, 'x86-64-avx2-loop63');
    // Made here, not when the module loaded: the names and architecture come from createX86_64Target.
    assert.deepEqual(
      (['scalar', 'sse2', 'avx2'] as const).map((level) => {
        const { name, architecture } = createX86_64Target(level);
        return [name, architecture.name];
      }),
      [
        ['x86-64-scalar', 'x86-64'],
        ['x86-64-sse2', 'x86-64'],
        ['x86-64-avx2', 'x86-64'],
      ],
    );
    assert.equal(createX86_64Target('scalar', 1, 0).name, 'x86-64-scalar');
  });

  it('steps rdi with the short add (imm8) when the stride fits a signed byte, the long one (imm32) otherwise', () => {
    // The main loop's `add rdi, stride`: the first add to rdi that is not the scalar loop's 4.
    const strideAdd = (target: AdderPageTarget) => {
      const add = decodeOperands(target.encodePage(1)).find(
        ({ mnemonic, operands }) => mnemonic === 'Add' && operands[0] === 'RDI' && operands[1] !== 4,
      );
      return [add?.operands, add?.length];
    };
    // SSE2 ×1 steps 16 bytes a pass of its main loop, AVX2 ×4 128: one past a signed byte.
    assert.deepEqual(strideAdd(createX86_64Target('sse2', 1)), [['RDI', 16], 4]);
    assert.deepEqual(strideAdd(createX86_64Target('avx2', 4)), [['RDI', 128], 7]);
  });

  it('lays out any number of entries, each at its offset, int3 between them', () => {
    assert.deepEqual(
      layout([
        [0, Uint8Array.of(1)],
        [2, Uint8Array.of(2, 3)],
        [6, Uint8Array.of(4)],
      ]),
      Uint8Array.of(1, 0xcc, 2, 3, 0xcc, 0xcc, 4),
    );
    assert.deepEqual(layout([]), new Uint8Array(0));
  });

  it('refuses a term or key outside int32 in every entry it encodes, naming which', () => {
    const refusal = (field: string, value: number) => ({
      name: 'RangeError',
      message: `${field} must be an integer from -2147483648 to 2147483647, got ${value}`,
    });
    assert.throws(() => encodeBlindedAdder(2 ** 31, 1), refusal('term', 2 ** 31));
    assert.throws(() => encodeBlindedAdder(1, 2 ** 31), refusal('key', 2 ** 31));
    assert.throws(() => encodeBatchAdder(-(2 ** 31) - 1), refusal('term', -(2 ** 31) - 1));
    assert.throws(() => encodeBatchAdder(1, 0.5), refusal('key', 0.5));
    for (const target of X86_64_TARGETS) {
      assert.throws(() => target.composePage(2 ** 31, 1), refusal('term', 2 ** 31));
      assert.throws(() => target.composePage(1, 2 ** 31), refusal('key', 2 ** 31));
      assert.throws(() => target.encodePage(2 ** 31), refusal('term', 2 ** 31));
      assert.throws(() => target.encodePage(1, 2 ** 31), refusal('key', 2 ** 31));
    }
  });
});
