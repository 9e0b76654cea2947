import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JitError } from '../../src/jit/errors.js';
import { detectHostFeatures } from '../../src/jit/host.js';
import { runJitSelfTest } from '../../src/jit/self-test.js';
import { type AdderPageTarget, KERNEL_LEVELS, targetForLevel } from '../../src/jit/target.js';
import { layout } from '../../src/jit/x86-64/adder-page.js';
import { missingFor } from '../../src/jit/x86-64/cpu-probe.js';
import { movDwordAtRdiR32, R32, ret } from '../../src/jit/x86-64/instructions.js';

const isSelfTestFailure = (pattern: RegExp) => (error: unknown) =>
  error instanceof JitError && error.code === 'JIT_SELF_TEST_FAILED' && pattern.test(error.message);

describe('the start-up self-test', () => {
  for (const level of KERNEL_LEVELS) {
    it(`passes at the ${level} level on a host that has it`, (context) => {
      if (missingFor(level, detectHostFeatures()).length > 0) return context.skip(`this CPU lacks ${level}`);
      assert.doesNotThrow(() => runJitSelfTest(level));
    });
  }

  it('fails a target whose batch entry computes the wrong sums', () => {
    const scalar = targetForLevel('scalar');
    // The real scalar page, made for term + 1 instead of term.
    const offByOne: AdderPageTarget = {
      ...scalar,
      encodePage: (term, key) => scalar.encodePage((term + 1) | 0, key),
    };
    assert.throws(
      () => runJitSelfTest(offByOne),
      isSelfTestFailure(/2147483647 \+ -2147483648 gave 0, expected -1/),
    );
  });

  it('fails a target whose batch entry writes before the array it was given', () => {
    const scalar = targetForLevel('scalar');
    // The real adder, and at the batch entry `mov [rdi - 4], eax; ret`.
    const writesBefore: AdderPageTarget = {
      ...scalar,
      encodePage: (term, key) =>
        layout([
          [scalar.applyEntry, scalar.encodePage(term, key).subarray(0, scalar.applyAllEntry)],
          [scalar.applyAllEntry, Uint8Array.from([...movDwordAtRdiR32(-4, R32.eax), ...ret()])],
        ]),
    };
    assert.throws(() => runJitSelfTest(writesBefore), isSelfTestFailure(/wrote outside its array/));
  });
});
