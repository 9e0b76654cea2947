import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mappingAt } from '../../harness/maps.js';
import { ExecutableMemoryDeniedError, SyscallError, UnsupportedPlatformError } from '../../src/jit/errors.js';
import {
  assertSupportedPlatform,
  copyFromAddress,
  copyToAddress,
  makeReadWrite,
  mapReadWrite,
  pageSize,
  protectNone,
  sealReadExecute,
  unmap,
} from '../../src/jit/libc.js';

describe('libc bindings', () => {
  it('reads the page size from sysconf', () => {
    const size = pageSize();
    assert.ok(size >= 4096 && (size & (size - 1)) === 0, `page size ${size}`);
  });

  it('maps read+write, seals read+execute, and unmaps, as /proc/self/maps shows', () => {
    const size = pageSize();
    const address = mapReadWrite(size);
    try {
      assert.equal(address % size, 0);
      assert.equal(mappingAt(address)?.perms, 'rw-p');
      copyToAddress(address, new Uint8Array([1, 2, 3]));
      assert.deepEqual([...copyFromAddress(address, 3)], [1, 2, 3]);
      sealReadExecute(address, size);
      assert.equal(mappingAt(address)?.perms, 'r-xp');
      assert.deepEqual([...copyFromAddress(address, 3)], [1, 2, 3]);
    } finally {
      unmap(address, size);
    }
    assert.equal(mappingAt(address), undefined);
  });

  it('copies any length both ways, and each read is a copy of its own', () => {
    const size = pageSize();
    const address = mapReadWrite(2 * size);
    try {
      // Longer than the staging buffer the copies start with, then short again.
      const long = Uint8Array.from({ length: 2 * size }, (_, index) => (index * 7) & 0xff);
      copyToAddress(address, long);
      assert.deepEqual(copyFromAddress(address, long.length), long);
      copyToAddress(address + 100, new Uint8Array([9, 8, 7]));
      const first = copyFromAddress(address + 100, 3);
      const second = copyFromAddress(address, 3);
      assert.deepEqual([...first], [9, 8, 7], 'a later read must not change an earlier one');
      assert.deepEqual([...second], [0, 7, 14]);
      assert.equal(first.length, 3);
    } finally {
      unmap(address, 2 * size);
    }
  });

  it('turns a failing mmap into a SyscallError naming the call and ENOMEM', () => {
    assert.throws(
      () => mapReadWrite(2 ** 52),
      (error: unknown) => {
        assert.ok(error instanceof SyscallError);
        assert.equal(error.errnoName, 'ENOMEM');
        assert.equal(error.errno, 12);
        assert.match(error.message, /^mmap\(.*\) failed with ENOMEM \(errno 12\): Cannot allocate memory/);
        return true;
      },
    );
  });

  it('turns a failing munmap into a SyscallError naming EINVAL', () => {
    assert.throws(() => unmap(pageSize() + 1, pageSize()), {
      name: 'SyscallError',
      code: 'JIT_SYSCALL_FAILED',
      syscall: 'munmap',
      errno: 22,
      errnoName: 'EINVAL',
      message: 'munmap failed with EINVAL (errno 22): Invalid argument',
    });
  });

  it('treats an mprotect failure other than EACCES/EPERM as a plain SyscallError', () => {
    // An unaligned address is EINVAL: a bug, not a host policy, so it must not claim exec memory is denied.
    assert.throws(
      () => sealReadExecute(pageSize() + 1, pageSize()),
      (error: unknown) => error instanceof SyscallError && !(error instanceof ExecutableMemoryDeniedError),
    );
  });

  it('names the protection each failing mprotect asked for', () => {
    // An unaligned address: EINVAL from each of them.
    for (const [protect, syscall] of [
      [sealReadExecute, 'mprotect(PROT_READ|PROT_EXEC)'],
      [makeReadWrite, 'mprotect(PROT_READ|PROT_WRITE)'],
      [protectNone, 'mprotect(PROT_NONE)'],
    ] as const) {
      assert.throws(() => protect(pageSize() + 1, pageSize()), {
        name: 'SyscallError',
        syscall,
        errnoName: 'EINVAL',
        message: `${syscall} failed with EINVAL (errno 22): Invalid argument`,
      });
    }
  });

  it('makes a read+execute mapping read+write again, and a range inaccessible', () => {
    const size = pageSize();
    const address = mapReadWrite(2 * size);
    try {
      sealReadExecute(address, size);
      makeReadWrite(address, size);
      assert.equal(mappingAt(address)?.perms, 'rw-p');
      protectNone(address + size, size);
      assert.equal(mappingAt(address + size)?.perms, '---p');
    } finally {
      unmap(address, 2 * size);
    }
  });

  it('accepts Linux on x86-64 and names any other platform it finds', () => {
    assert.doesNotThrow(() => assertSupportedPlatform('linux', 'x64'));
    for (const [platform, arch] of [
      ['darwin', 'arm64'],
      ['linux', 'arm64'],
      ['win32', 'x64'],
    ] as const) {
      assert.throws(
        () => assertSupportedPlatform(platform, arch),
        (error: unknown) =>
          error instanceof UnsupportedPlatformError &&
          error.message.includes(`this is ${platform} on ${arch}`) &&
          error.code === 'JIT_UNSUPPORTED_PLATFORM',
      );
    }
  });
});
