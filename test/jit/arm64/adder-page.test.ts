import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  ADDER_ENTRY,
  ADDER_PAGE_ENTRIES,
  ARM64_LEVELS,
  BATCH_ADDER_ENTRY,
  batchKernel,
  composePage,
  PADDING,
  UNROLL_FACTORS,
} from '../../../src/jit/arm64/adder-page.js';
import { ARM64, CHOSEN_UNROLL } from '../../../src/jit/arm64/architecture.js';
import { ARM64_CALL_GATES } from '../../../src/jit/arm64/call-gates.js';
import { readImmediate } from '../../../src/jit/immediates.js';
import { PageTemplate } from '../../../src/jit/page-template.js';
import { capstoneText, normalizeA64 } from '../../support/a64-decoding.js';

const int32 = fc.integer({ min: -2147483648, max: 2147483647 });

/** The whole page for `kernel`: what the core's page template composes once and copies. */
const kernelPage = (kernel: ReturnType<typeof batchKernel>, term: number, key?: number) =>
  composePage(kernel, term, key);

/** Every level and unroll factor the code generator can make. */
const KERNELS = [
  { name: 'scalar', kernel: batchKernel('scalar', 1) },
  ...UNROLL_FACTORS.map((unroll) => ({ name: `neon ×${unroll}`, kernel: batchKernel('neon', unroll) })),
];

const words = (code: Uint8Array) => {
  const view = new DataView(code.buffer, code.byteOffset, code.byteLength);
  return Array.from({ length: code.length / 4 }, (_, index) => view.getUint32(4 * index, true));
};

/**
 * The code as capstone decodes it, one normalized line per word, a branch's target written `→label`
 * where the label is the one `expected` puts on the word at that offset (`label: text`). A branch to a
 * word without a label, or outside the code, names no label and fails the comparison.
 */
function listing(code: Uint8Array, expected: readonly string[]): string[] {
  const labels = expected.map((line) => /^(\w+): /.exec(line)?.[1]);
  return words(code).map((word, index) => {
    const label = labels[index] === undefined ? '' : `${labels[index]}: `;
    const text = normalizeA64(capstoneText(word, 4 * index) ?? `.inst ${word}`);
    const branch = /^((?:b\.\w+|cbz \w+,) )#(\d+)$/.exec(text);
    if (branch === null) return `${label}${text}`;
    const target = Number(branch[2]);
    return `${label}${branch[1]}→${labels[target / 4] ?? `?${target}`}`;
  });
}

/** Expected lines in the listing's normal form (normalizeA64), labels kept. */
const normal = (lines: string[]) =>
  lines.map((line) => {
    const [, label = '', text = line] = /^(\w+: )?(.*)$/.exec(line) ?? [];
    return `${label}${text.includes('→') ? text : normalizeA64(text)}`;
  });

/** `w<register> = value` as the page loads it: movz of the low half, movk of the high half. */
const load = (register: number, value: number) => [
  `movz w${register}, #${value & 0xffff}`,
  `movk w${register}, #${value >>> 16}, lsl #16`,
];
/** The seed's apply entry and the udf #0 padding up to applyAll at 32. */
const seedApply = (term: number) => [...load(9, term), 'add w0, w0, w9', 'ret', ...Array(4).fill('udf #0')];
const blindedLoad = (term: number, key: number) => [
  ...load(9, term ^ key),
  ...load(10, key),
  'eor w9, w9, w10',
];

const scalarTail = [
  'cbz x1, →done',
  'scalar: ldr w11, [x0]',
  'add w11, w11, w9',
  'str w11, [x0], #4',
  'subs x1, x1, #1',
  'b.ne →scalar',
  'done: ret',
];

describe('A64 adder pages', () => {
  it('decode, blinded at level neon ×4, to exactly the intended instructions, every branch to its label', () => {
    fc.assert(
      fc.property(int32, int32, (term, key) => {
        const expected = normal([
          ...blindedLoad(term, key),
          'add w0, w0, w9',
          'ret',
          'udf #0',
          ...blindedLoad(term, key),
          'dup v0.4s, w9',
          'subs x1, x1, #16',
          'b.lo →after',
          'main: ld1 {v1.4s, v2.4s, v3.4s, v4.4s}, [x0]',
          'add v1.4s, v1.4s, v0.4s',
          'add v2.4s, v2.4s, v0.4s',
          'add v3.4s, v3.4s, v0.4s',
          'add v4.4s, v4.4s, v0.4s',
          'st1 {v1.4s, v2.4s, v3.4s, v4.4s}, [x0], #64',
          'subs x1, x1, #16',
          'b.hs →main',
          'after: add x1, x1, #16',
          'subs x1, x1, #4',
          'b.lo →tail',
          'single: ld1 {v1.4s}, [x0]',
          'add v1.4s, v1.4s, v0.4s',
          'st1 {v1.4s}, [x0], #16',
          'subs x1, x1, #4',
          'b.hs →single',
          'tail: add x1, x1, #4',
          ...scalarTail,
        ]);
        const { code } = composePage(batchKernel('neon', 4), term, key);
        assert.deepEqual(listing(code, expected), expected);
      }),
      { numRuns: 30, examples: [[5, 0x11223344]] },
    );
  });

  it('decode, seed (not blinded) at level scalar, to the seed adder and the scalar loop', () => {
    fc.assert(
      fc.property(int32, (term) => {
        const expected = normal([...seedApply(term), ...load(9, term), ...scalarTail]);
        const { code } = composePage(batchKernel('scalar', 1), term);
        assert.deepEqual(listing(code, expected), expected);
      }),
      { numRuns: 30, examples: [[0], [-1], [0x10000]] },
    );
  });

  it('decode at level neon ×1 to one vector loop, with no second one before the scalar tail', () => {
    const expected = normal([
      ...seedApply(7),
      ...load(9, 7),
      'dup v0.4s, w9',
      'subs x1, x1, #4',
      'b.lo →after',
      'main: ld1 {v1.4s}, [x0]',
      'add v1.4s, v1.4s, v0.4s',
      'st1 {v1.4s}, [x0], #16',
      'subs x1, x1, #4',
      'b.hs →main',
      'after: add x1, x1, #4',
      ...scalarTail,
    ]);
    assert.deepEqual(listing(composePage(batchKernel('neon', 1), 7).code, expected), expected);
  });

  for (const { name, kernel } of KERNELS) {
    it(`${name}: the template's page equals the page composed from the encoders, for any term and key`, () => {
      const template = new PageTemplate((term, key) => kernelPage(kernel, term, key));
      fc.assert(
        fc.property(int32, fc.option(int32, { nil: undefined }), (term, key) => {
          assert.deepEqual(template.encode(term, key), composePage(kernel, term, key).code);
        }),
        {
          numRuns: 300,
          examples: [
            [0, undefined],
            [-1, -1],
            [-2147483648, 2147483647],
            [0x0000ffff, -0x10000],
          ],
        },
      );
    });

    it(`${name}: the term, key and term ^ key read back from the page's own imm16 fields`, () => {
      const template = new PageTemplate((term, key) => kernelPage(kernel, term, key));
      fc.assert(
        fc.property(int32, int32, (term, key) => {
          const seed = template.encode(term);
          assert.equal(readImmediate(seed, template.immediateSlices(false), 'term'), term);
          assert.equal(readImmediate(seed, template.immediateSlices(false), 'key'), undefined);
          const blinded = template.encode(term, key);
          const slices = template.immediateSlices(true);
          assert.equal(readImmediate(blinded, slices, 'key'), key);
          assert.equal(readImmediate(blinded, slices, 'blindedTerm'), term ^ key);
          assert.equal(readImmediate(blinded, slices, 'term'), undefined);
        }),
        { numRuns: 200 },
      );
    });

    it(`${name}: every term-dependent word is a movz or movk of w9 or w10, and no other word depends on the term`, () => {
      const template = new PageTemplate((term, key) => kernelPage(kernel, term, key));
      for (const blinded of [false, true]) {
        const slices = template.immediateSlices(blinded);
        const a = words(template.encode(0x12345678, blinded ? 0x0f0f0f0f : undefined));
        // Every 16-bit half of the term, the key and term ^ key differs between the two pages.
        const b = words(template.encode(0x23456789, blinded ? 0x1f2f3f4f : undefined));
        const differing = a.flatMap((word, index) => (word === b[index] ? [] : [4 * index]));
        assert.deepEqual(differing, [...new Set(slices.map((slice) => slice.offset))]);
        for (const { offset } of slices) {
          assert.match(normalizeA64(capstoneText(a[offset / 4] as number) ?? ''), /^mov[zk] w(9|10), /);
        }
      }
      assert.deepEqual(template.blindedImmediateOffsets, [0, 4, 8, 12, 32, 36, 40, 44]);
    });

    it(`${name}: apply at 0 and applyAll at 32, with only udf #0 between them`, () => {
      for (const key of [undefined, 99]) {
        const code = composePage(kernel, 1, key).code;
        const applyWords = key === undefined ? 4 : 7;
        const gap = words(code).slice(applyWords, BATCH_ADDER_ENTRY / 4);
        assert.ok(gap.length > 0);
        assert.deepEqual(
          gap,
          gap.map(() => PADDING),
        );
        assert.equal(normalizeA64(capstoneText(words(code)[applyWords - 1] as number) ?? ''), 'ret');
      }
    });
  }

  it('names its entry points, their C signatures and the registers their arguments travel in', () => {
    assert.equal(ADDER_ENTRY, 0);
    assert.deepEqual(
      ADDER_PAGE_ENTRIES.map(
        ({ name, offset, signature, registers }) => `${name}@${offset}: ${signature}; ${registers}`,
      ),
      [
        'apply@0: int32_t apply(int32_t x); x arrives in w0, the result leaves in w0; the return address is in x30',
        'applyAll@32: void applyAll(int32_t *xs, size_t n); xs arrives in x0 and n in x1; the values are added to in place; the return address is in x30',
      ],
    );
  });

  it('pads with udf #0, the all-zero word that traps', () => {
    assert.equal(PADDING, 0);
    assert.equal(capstoneText(PADDING), 'udf #0');
  });

  it('refuses levels and unroll factors it has no kernel for', () => {
    assert.deepEqual(ARM64_LEVELS, ['scalar', 'neon']);
    assert.throws(() => batchKernel('neon', 3 as 4), /unroll must be 1, 2 or 4, got 3/);
    assert.throws(() => batchKernel('scalar', 4), /the scalar kernel is not unrolled/);
    assert.throws(() => batchKernel('sve' as 'neon', 4), /level must be one of scalar, neon, got sve/);
  });

  it('refuses a term or key outside int32 instead of truncating it', () => {
    const template = new PageTemplate((term, key) => kernelPage(batchKernel('neon', 4), term, key));
    assert.throws(() => template.encode(2 ** 31), /term must be an integer from -2147483648 to 2147483647/);
    assert.throws(() => template.encode(1, 1.5), /key must be an integer/);
    assert.throws(() => composePage(batchKernel('scalar', 1), Number.NaN), /term must be an integer/);
    assert.throws(() => composePage(batchKernel('scalar', 1), 1, 1.5), /key must be an integer/);
  });

  it('are what each level’s target composes and encodes from its template, blinded or not', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ARM64_LEVELS),
        int32,
        fc.option(int32, { nil: undefined }),
        (level, term, key) => {
          const target = ARM64.target(level);
          const expected = composePage(batchKernel(level, CHOSEN_UNROLL[level]), term, key).code;
          assert.deepEqual(target.composePage(term, key), expected);
          assert.deepEqual(target.encodePage(term, key), expected);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('A64 call gates', () => {
  it('are br x1 at the int32 gate and br x2 at the batch gate', () => {
    const gates = ARM64_CALL_GATES.encode();
    const [first, second] = words(gates);
    assert.equal(gates.length, 8);
    assert.equal(words(gates)[ARM64_CALL_GATES.int32Entry / 4], 0xd61f0020);
    assert.equal(words(gates)[ARM64_CALL_GATES.batchEntry / 4], 0xd61f0040);
    assert.equal(capstoneText(first as number), 'br x1');
    assert.equal(capstoneText(second as number), 'br x2');
  });
});
