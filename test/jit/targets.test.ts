/** The table of architectures (targets.ts): which exist, which is this host's, and the levels they have. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ARM64, createArm64Target } from '../../src/jit/arm64/architecture.js';
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
  it('knows x86-64 and arm64, by their names and by Node.js’s, and takes this host’s', () => {
    assert.deepEqual(
      ARCHITECTURES.map((architecture) => [architecture.name, architecture.nodeArch]),
      [
        ['x86-64', 'x64'],
        ['arm64', 'arm64'],
      ],
    );
    assert.equal(architectureFor('x64'), X86_64);
    assert.equal(architectureFor('arm64'), ARM64);
    assert.equal(architectureFor('ia32'), undefined);
    assert.equal(hostArchitecture(), architectureFor(process.arch));
  });

  it('lists every level of every architecture, each architecture’s slowest first, and finds whose each is', () => {
    assert.deepEqual(KERNEL_LEVELS, ['scalar', 'sse2', 'avx2', 'neon']);
    for (const level of ['sse2', 'avx2']) assert.equal(architectureWithLevel(level), X86_64);
    assert.equal(architectureWithLevel('neon'), ARM64);
    assert.equal(architectureWithLevel('avx512'), undefined);
  });

  it('gives arm64’s targets for its levels, flushing the instruction cache and trapping on the zero word', () => {
    assert.deepEqual(
      ARM64.levels.map((level) => [ARM64.target(level).name, ARM64.target(level).lanes]),
      [
        ['arm64-scalar', 1],
        ['arm64-neon', 4],
      ],
    );
    // Unrolled otherwise than chosen, a variant named with its factor.
    assert.equal(createArm64Target('neon', 2).name, 'arm64-neon-x2');
    assert.equal(ARM64.flushesInstructionCache, true);
    assert.equal(X86_64.flushesInstructionCache, false);
    assert.equal(ARM64.trapFill, 0x00);
    assert.equal(X86_64.trapFill, 0xcc);
    assert.throws(() => ARM64.target('avx2'), /level must be one of scalar, neon, got avx2/);
    // No level of arm64's needs a feature a CPU may lack: nothing to probe.
    const capabilities = ARM64.detect(() => assert.fail('arm64 runs no probe'));
    assert.equal(capabilities.best, 'neon');
    assert.deepEqual(capabilities.missingFor('neon'), []);
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
    assert.doesNotThrow(() => assertSupportedPlatform('linux', 'arm64'));
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
            `babyjit needs Linux on x86-64 or arm64 (it emits their machine code and maps it with Linux's mmap); this is ${platform} on ${arch}`,
      );
    }
  });

  it('refuses to take a host architecture it has no code for', (t) => {
    const arch = Object.getOwnPropertyDescriptor(process, 'arch') as PropertyDescriptor;
    t.after(() => Object.defineProperty(process, 'arch', arch));
    Object.defineProperty(process, 'arch', { ...arch, value: 'riscv64' });
    assert.throws(() => hostArchitecture(), UnsupportedPlatformError);
  });
});
