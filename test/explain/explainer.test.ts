/**
 * The explainer's entry: the code and the name of its architecture in, the architecture's annotation out,
 * in the one shape, for every architecture the JIT generates code for; and an x86-64 answer exactly as
 * before A64 words joined the shape.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { annotate as annotateA64 } from '../../src/explain/arm64/annotate.js';
import { explain } from '../../src/explain/explainer.js';
import { annotate as annotateX86_64 } from '../../src/explain/x86-64/annotate.js';
import { batchKernel, composePage } from '../../src/jit/arm64/adder-page.js';
import { ARCHITECTURES } from '../../src/jit/targets.js';
import { X86_64 } from '../../src/jit/x86-64/architecture.js';

describe('explain', () => {
  const a64 = composePage(batchKernel('neon', 4), 5, 0x11223344).code;

  it('answers x86-64 code with the x86-64 annotation, and A64 code with the A64 one', () => {
    for (const level of X86_64.levels) {
      const code = X86_64.target(level).encodePage(-4, 0x5a5a5a5a);
      assert.deepEqual(explain(code, 'x86-64'), annotateX86_64(code), level);
    }
    assert.deepEqual(explain(a64, 'arm64'), annotateA64(a64));
    assert.equal(explain(a64, 'arm64')[0]?.text, 'mov w9, #0x3341');
  });

  it('explains the pages of every architecture the JIT generates code for, at every level', () => {
    for (const architecture of ARCHITECTURES) {
      for (const level of architecture.levels) {
        const code = architecture.target(level).encodePage(-4, 0x5a5a5a5a);
        const instructions = explain(code, architecture.name);
        assert.equal(
          instructions.reduce((length, instruction) => length + instruction.length, 0),
          code.length,
          `${architecture.name} ${level}: the instructions cover the code`,
        );
      }
    }
  });

  it('gives x86-64 fields in whole bytes: no word field, and no bit group with a place in a word', () => {
    for (const level of X86_64.levels) {
      const fields = explain(X86_64.target(level).encodePage(-4, 0x5a5a5a5a), 'x86-64').flatMap(
        (instruction) => instruction.fields,
      );
      assert.ok(fields.some((field) => field.bits !== undefined));
      assert.deepEqual(
        fields.filter(
          (field) => field.kind === 'word' || field.bits?.some((group) => 'high' in group || 'low' in group),
        ),
        [],
        level,
      );
    }
  });

  it('refuses an architecture it has no explainer for, naming those it has', () => {
    assert.throws(() => explain(a64, 'riscv64'), {
      name: 'RangeError',
      message: 'no explainer for architecture riscv64: only x86-64, arm64',
    });
    assert.throws(() => explain(a64, 'toString'), RangeError);
  });
});
