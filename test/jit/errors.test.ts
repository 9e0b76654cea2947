/**
 * The JIT core's errors: each has its stable code, its class's name, and a message that says what a user
 * needs to fix the problem (which field, which call failed with which errno, what the host lacks).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ExecutableMemoryDeniedError,
  InputError,
  JitError,
  ReleasedError,
  SyscallError,
  UnsupportedKernelLevelError,
  UnsupportedPlatformError,
} from '../../src/jit/errors.js';

describe('JIT errors', () => {
  it('carry a code, their own class name, and a cause when given one', () => {
    const cause = new Error('underneath');
    const error = new JitError('JIT_SOMETHING', 'something failed', { cause });
    assert.ok(error instanceof Error);
    assert.equal(error.name, 'JitError');
    assert.equal(error.code, 'JIT_SOMETHING');
    assert.equal(error.message, 'something failed');
    assert.equal(error.cause, cause);
    assert.equal(new ReleasedError('this page').name, 'ReleasedError', 'a subclass is named after itself');
  });

  it('name the field of input that is out of range', () => {
    const error = new InputError('querystring/x', 'x must be a decimal integer');
    assert.ok(error instanceof JitError);
    assert.equal(error.code, 'JIT_INVALID_INPUT');
    assert.equal(error.field, 'querystring/x');
    assert.equal(error.message, 'x must be a decimal integer');
  });

  it('name the platform the JIT cannot run on', () => {
    const error = new UnsupportedPlatformError('darwin', 'arm64', ['x86-64', 'riscv']);
    assert.equal(error.code, 'JIT_UNSUPPORTED_PLATFORM');
    assert.equal(error.platform, 'darwin');
    assert.equal(error.arch, 'arm64');
    assert.equal(
      error.message,
      "babyjit needs Linux on x86-64 or riscv (it emits their machine code and maps it with Linux's mmap); " +
        'this is darwin on arm64',
    );
  });

  it('name the system call, the errno by symbol and number, and what the C library says, with any detail', () => {
    const plain = new SyscallError('munmap', 22, 'EINVAL', 'Invalid argument');
    assert.equal(plain.code, 'JIT_SYSCALL_FAILED');
    assert.equal(plain.syscall, 'munmap');
    assert.equal(plain.errno, 22);
    assert.equal(plain.errnoName, 'EINVAL');
    assert.equal(plain.message, 'munmap failed with EINVAL (errno 22): Invalid argument');
    const detailed = new SyscallError(
      'mmap',
      12,
      'ENOMEM',
      'Cannot allocate memory',
      'vm.max_map_count',
      'X',
    );
    assert.equal(
      detailed.message,
      'mmap failed with ENOMEM (errno 12): Cannot allocate memory; vm.max_map_count',
    );
    assert.equal(detailed.code, 'X');
  });

  it('say that the host forbids executable memory, and how hosts do that', () => {
    const error = new ExecutableMemoryDeniedError(13, 'EACCES', 'Permission denied');
    assert.ok(error instanceof SyscallError);
    assert.equal(error.name, 'ExecutableMemoryDeniedError');
    assert.equal(error.code, 'JIT_EXEC_MEMORY_DENIED');
    assert.equal(error.syscall, 'mprotect(PROT_READ|PROT_EXEC)');
    assert.equal(error.errnoName, 'EACCES');
    assert.equal(
      error.message,
      'mprotect(PROT_READ|PROT_EXEC) failed with EACCES (errno 13): Permission denied; executable memory is ' +
        'not permitted in this process: the host forbids making memory executable (e.g. SELinux ' +
        'deny_execmem, systemd MemoryDenyWriteExecute=yes, prctl PR_SET_MDWE or a seccomp filter)',
    );
  });

  it('say what was released', () => {
    const error = new ReleasedError('this JIT registry');
    assert.equal(error.code, 'JIT_RELEASED');
    assert.equal(error.message, 'this JIT registry has been released; its page is no longer mapped');
  });

  it('name the kernel level asked for, everything the host lacks for it, and the best level it has', () => {
    const error = new UnsupportedKernelLevelError('avx2', ['AVX (…)', 'AVX2 (…)'], 'sse2');
    assert.equal(error.code, 'JIT_KERNEL_LEVEL_UNSUPPORTED');
    assert.equal(error.level, 'avx2');
    assert.deepEqual(error.missing, ['AVX (…)', 'AVX2 (…)']);
    assert.equal(error.bestLevel, 'sse2');
    assert.equal(
      error.message,
      'the avx2 kernels cannot run on this host: it lacks AVX (…), AVX2 (…); the best level it supports is sse2',
    );
  });
});
