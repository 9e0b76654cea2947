import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JitError } from '../../src/jit/errors.js';
import { runJitSelfTest } from '../../src/jit/self-test.js';
import type { AdderPageTarget } from '../../src/jit/target.js';
import { layout } from '../../src/jit/x86-64/adder-page.js';
import { X86_64, X86_64_LEVELS } from '../../src/jit/x86-64/architecture.js';
import { missingFor } from '../../src/jit/x86-64/cpu-probe.js';
import { movDwordAtRdiR32, R32, ret } from '../../src/jit/x86-64/instructions.js';
import { decodeOperands } from '../support/x86-decoding.js';
import { hostX86Features } from '../support/x86-pages.js';

const isSelfTestFailure = (pattern: RegExp) => (error: unknown) =>
  error instanceof JitError && error.code === 'JIT_SELF_TEST_FAILED' && pattern.test(error.message);

describe('the start-up self-test', () => {
  for (const level of X86_64_LEVELS) {
    it(`passes at the ${level} level on a host that has it`, (context) => {
      if (missingFor(level, hostX86Features()).length > 0) return context.skip(`this CPU lacks ${level}`);
      assert.doesNotThrow(() => runJitSelfTest(X86_64.target(level)));
    });
  }

  it('fails a target whose batch entry computes the wrong sums', () => {
    const scalar = X86_64.target('scalar');
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
    const scalar = X86_64.target('scalar');
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

  it('fails a target whose batch entry writes just after the array it was given', () => {
    const scalar = X86_64.target('scalar');
    // The scalar self-test passes four values: `mov [rdi + 16], eax; ret` writes the fifth.
    const writesAfter: AdderPageTarget = {
      ...scalar,
      encodePage: (term, key) =>
        layout([
          [scalar.applyEntry, scalar.encodePage(term, key).subarray(0, scalar.applyAllEntry)],
          [scalar.applyAllEntry, Uint8Array.from([...movDwordAtRdiR32(16, R32.eax), ...ret()])],
        ]),
    };
    assert.throws(
      () => runJitSelfTest(writesAfter),
      isSelfTestFailure(/^JIT self-test failed: x86-64-scalar's batch entry wrote outside its array$/),
    );
  });

  it('fails a target whose single entry adds the absolute value of x, which only a negative x short of -2^31 shows', () => {
    const scalar = X86_64.target('scalar');
    // mov eax, edi; cdq; xor eax, edx; sub eax, edx (eax = |x|, and |-2^31| wraps to -2^31); nop; nop;
    // add eax, term; ret. Right for -2^31, 0 and 1: only -1 among the probe's inputs tells it apart. (The
    // nops put the term at offset 10, past where the blinding check looks for it, at the blinded page's
    // immediates: this target does not blind its single entry.)
    const absoluteAdder = (term: number) => {
      const code = Uint8Array.from([
        0x89, 0xf8, 0x99, 0x31, 0xd0, 0x29, 0xd0, 0x90, 0x90, 0x05, 0, 0, 0, 0, 0xc3,
      ]);
      new DataView(code.buffer).setInt32(10, term, true);
      return code;
    };
    const absolute: AdderPageTarget = {
      ...scalar,
      encodePage: (term, key) =>
        layout([
          [scalar.applyEntry, absoluteAdder(term)],
          [scalar.applyAllEntry, scalar.encodePage(term, key).subarray(scalar.applyAllEntry)],
        ]),
    };
    assert.throws(
      () => runJitSelfTest(absolute),
      isSelfTestFailure(/2147483647 \+ -1 gave -2147483648, expected 2147483646$/),
    );
  });

  for (const level of ['sse2', 'avx2'] as const) {
    it(`fails a ${level} target whose main loop stops after one turn, which takes the batch of two turns`, (context) => {
      if (missingFor(level, hostX86Features()).length > 0) return context.skip(`this CPU lacks ${level}`);
      const target = X86_64.target(level);
      // The batch kernel's branches back, in order: the peel's, the main loop's, the single register's, the
      // scalar tail's. With a displacement of 0 the main loop's falls through to what follows the loop.
      const oneTurn = (code: Uint8Array) => {
        const backwards = decodeOperands(code.subarray(target.applyAllEntry)).filter(
          ({ mnemonic, offset, branchTarget }) => mnemonic === 'Jne' && (branchTarget ?? offset) < offset,
        );
        assert.equal(backwards.length, 4);
        const broken = code.slice();
        broken[target.applyAllEntry + (backwards[1]?.offset ?? 0) + 1] = 0;
        return broken;
      };
      const stopsEarly: AdderPageTarget = {
        ...target,
        encodePage: (term, key) => oneTurn(target.encodePage(term, key)),
      };
      assert.throws(
        () => runJitSelfTest(stopsEarly),
        isSelfTestFailure(new RegExp(`failed on ${target.name}: `)),
      );
    });
  }
});
