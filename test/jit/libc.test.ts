import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { mappingAt } from '../../harness/maps.js';
import { ExecutableMemoryDeniedError, SyscallError } from '../../src/jit/errors.js';
import {
  copyFromAddress,
  copyToAddress,
  makeReadWrite,
  mapReadWrite,
  pageSize,
  protectNone,
  sealReadExecute,
  unmap,
} from '../../src/jit/libc.js';
import { denyExecMemoryNodeOptions, MDWE_UNAVAILABLE } from '../support/exec-memory-denial.js';
import { memoryCallsOf } from '../support/memory-calls.js';

/**
 * Runs `script` (an ES module, with `libc` bound to this libc.ts's module) in a new Node.js process with
 * `nodeOptions`, and returns what it printed.
 */
function inChildProcess(script: string, nodeOptions: string[] = []) {
  const libc = new URL('../../src/jit/libc.js', import.meta.url).href;
  const child = spawnSync(
    process.execPath,
    [
      ...nodeOptions,
      '--input-type=module',
      '-e',
      `const libc = await import(${JSON.stringify(libc)});\n${script}`,
    ],
    { encoding: 'utf8', timeout: 30_000 },
  );
  return { status: child.status, stdout: child.stdout, stderr: child.stderr };
}

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

  it('publishes every mapping, protection, write and unmapping, and whether the kernel agreed', () => {
    const size = pageSize();
    let address = 0;
    const calls = memoryCallsOf(() => {
      address = mapReadWrite(2 * size);
      copyToAddress(address, new Uint8Array([0xc3]));
      sealReadExecute(address, size);
      makeReadWrite(address, size);
      protectNone(address + size, size);
      unmap(address, 2 * size);
    });
    assert.deepEqual(calls, [
      { call: 'mmap', address, length: 2 * size, prot: 0x3, ok: true },
      { call: 'write', address, length: 1, ok: true },
      { call: 'mprotect', address, length: size, prot: 0x5, ok: true },
      { call: 'mprotect', address, length: size, prot: 0x3, ok: true },
      { call: 'mprotect', address: address + size, length: size, prot: 0x0, ok: true },
      { call: 'munmap', address, length: 2 * size, ok: true },
    ]);
  });

  it('publishes the calls the kernel refused as not ok, an mmap with address -1', () => {
    const size = pageSize();
    const unaligned = size + 1;
    const calls = memoryCallsOf(() => {
      assert.throws(() => mapReadWrite(2 ** 52), SyscallError);
      assert.throws(() => sealReadExecute(unaligned, size), SyscallError);
      assert.throws(() => unmap(unaligned, size), SyscallError);
    });
    assert.deepEqual(calls, [
      { call: 'mmap', address: -1, length: 2 ** 52, prot: 0x3, ok: false },
      { call: 'mprotect', address: unaligned, length: size, prot: 0x5, ok: false },
      { call: 'munmap', address: unaligned, length: size, ok: false },
    ]);
  });

  it('tells a host that forbids executable memory apart: ExecutableMemoryDeniedError (a process under PR_SET_MDWE)', (context) => {
    const result = inChildProcess(
      `const size = libc.pageSize();
      const address = libc.mapReadWrite(size);
      try {
        libc.sealReadExecute(address, size);
        console.log('sealed');
      } catch (error) {
        console.log(JSON.stringify({ name: error.name, code: error.code, errnoName: error.errnoName, message: error.message }));
      }`,
      denyExecMemoryNodeOptions,
    );
    if (result.stderr.includes(MDWE_UNAVAILABLE))
      return context.skip(`no PR_SET_MDWE: ${result.stderr.trim()}`);
    assert.equal(result.status, 0, result.stderr);
    const error = JSON.parse(result.stdout);
    assert.equal(error.name, 'ExecutableMemoryDeniedError');
    assert.equal(error.code, 'JIT_EXEC_MEMORY_DENIED');
    assert.equal(error.errnoName, 'EACCES');
    assert.match(
      error.message,
      /^mprotect\(PROT_READ\|PROT_EXEC\) failed with EACCES \(errno 13\): .*; executable memory is not permitted/,
    );
  });

  it('refuses to load the C library on another platform, on first use', () => {
    // A process that takes itself for macOS before libc.ts is first used.
    const result = inChildProcess(
      `Object.defineProperty(process, 'platform', { value: 'darwin' });
      try {
        console.log(libc.pageSize());
      } catch (error) {
        console.log(error.code);
      }`,
    );
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout.trim(), 'JIT_UNSUPPORTED_PLATFORM');
  });
});
