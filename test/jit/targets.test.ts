/** The table of architectures (targets.ts): which exist, which is this host's, and the levels they have. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UnsupportedPlatformError } from '../../src/jit/errors.js';
import {
  ARCHITECTURES,
  architectureFor,
  architectureWithLevel,
  assertSupportedPlatform,
  hostArchitecture,
  KERNEL_LEVELS,
} from '../../src/jit/targets.js';
import { X86_64 } from '../../src/jit/x86-64/architecture.js';

describe('the architectures', () => {
  it('knows x86-64, by its name and by Node.js’s, and takes this host’s', () => {
    assert.deepEqual(
      ARCHITECTURES.map((architecture) => [architecture.name, architecture.nodeArch]),
      [['x86-64', 'x64']],
    );
    assert.equal(architectureFor('x64'), X86_64);
    assert.equal(architectureFor('ia32'), undefined);
    assert.equal(hostArchitecture(), X86_64);
  });

  it('lists every level of every architecture, each architecture’s slowest first, and finds whose each is', () => {
    assert.deepEqual(KERNEL_LEVELS, ['scalar', 'sse2', 'avx2']);
    for (const level of ['sse2', 'avx2']) assert.equal(architectureWithLevel(level), X86_64);
    assert.equal(architectureWithLevel('avx512'), undefined);
  });

  it('gives each level’s target, named after the architecture and the level, and refuses other levels', () => {
    for (const level of X86_64.levels) {
      const target = X86_64.target(level);
      assert.equal(target.name, `x86-64-${level}`);
      assert.equal(target.level, level);
      assert.equal(target.architecture, X86_64);
      assert.equal(X86_64.target(level), target, 'one target per level');
    }
    assert.throws(() => X86_64.target('avx512'), {
      name: 'RangeError',
      message: 'level must be one of scalar, sse2, avx2, got avx512',
    });
  });

  it('runs on Linux on an architecture it knows, and names the choices anywhere else', () => {
    assert.doesNotThrow(() => assertSupportedPlatform('linux', 'x64'));
    for (const [platform, arch] of [
      ['darwin', 'x64'],
      ['win32', 'x64'],
      ['linux', 'ia32'],
      ['linux', 'riscv64'],
    ]) {
      assert.throws(
        () => assertSupportedPlatform(platform, arch),
        (error: unknown) =>
          error instanceof UnsupportedPlatformError &&
          error.message ===
            `babyjit needs Linux on x86-64 (it emits their machine code and maps it with Linux's mmap); this is ${platform} on ${arch}`,
      );
    }
  });
});
