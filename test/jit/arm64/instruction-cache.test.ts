import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bindClearCache, clearInstructionCache } from '../../../src/jit/arm64/instruction-cache.js';

describe('A64 instruction-cache maintenance', () => {
  it('binds __clear_cache only on arm64, and says so elsewhere', () => {
    for (const arch of ['x64', 'arm', 'riscv64']) {
      assert.throws(() => bindClearCache(arch), {
        code: 'JIT_UNSUPPORTED_PLATFORM',
        message: `instruction-cache maintenance through __clear_cache is for arm64; this is ${arch}`,
      });
    }
  });

  it('binds it from libgcc_s.so.1 on arm64', {
    skip: process.arch !== 'arm64' && 'SKIPPED: arm64 only',
  }, () => {
    assert.equal(typeof bindClearCache(), 'function');
  });

  it('refuses a range that is not a positive address and length before calling anything', () => {
    assert.throws(() => clearInstructionCache(0, 4), /address must be a positive integer/);
    assert.throws(() => clearInstructionCache(4096, 0), /length must be a positive integer, got 0/);
    assert.throws(() => clearInstructionCache(4096, 1.5), /length must be a positive integer/);
  });
});
