import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { UnsupportedKernelLevelError, UnsupportedPlatformError } from '../../src/jit/errors.js';
import { detectHost, hostTarget, probeOn, resolveLevel } from '../../src/jit/host.js';
import { pageSize } from '../../src/jit/libc.js';
import type { Architecture } from '../../src/jit/target.js';
import { X86_64 } from '../../src/jit/x86-64/architecture.js';
import { parseCpuidReport, readCpuid, x86Capabilities } from '../../src/jit/x86-64/cpu-probe.js';
import { memoryCallsOf } from '../support/memory-calls.js';
import { hostX86Features } from '../support/x86-pages.js';

/** An architecture of no CPU, whose levels no host has: what another architecture's levels look like here. */
const ELSEWHERE: Architecture = {
  ...X86_64,
  name: 'elsewhere',
  nodeArch: 'none',
  levels: ['basic', 'wide'],
};

/** The first processor's fields in /proc/cpuinfo: what the kernel read from the CPU and what it enabled. */
function cpuinfo(): { flags: Set<string>; fields: Map<string, string> } {
  const first = readFileSync('/proc/cpuinfo', 'utf8').split('\n\n')[0] ?? '';
  const fields = new Map(
    first.split('\n').flatMap((line) => {
      const match = /^([^:]+?)\s*:\s*(.*)$/.exec(line);
      return match ? [[match[1] as string, match[2] as string] as const] : [];
    }),
  );
  return { flags: new Set((fields.get('flags') ?? '').split(' ')), fields };
}

describe('host detection through the probe page', () => {
  const { flags, fields } = cpuinfo();
  const features = hostX86Features();
  /** This host's features with AVX2 taken away: a host that can run SSE2 code at best. */
  const sse2Only = x86Capabilities({ ...features, avx2: false, level: 'sse2' as const });
  const readHostCpuid = () => readCpuid(probeOn(X86_64));

  it('reads the same vendor, family and model as /proc/cpuinfo', () => {
    const report = readHostCpuid();
    assert.equal(features.vendor, fields.get('vendor_id'));
    // CPUID.1:EAX: family in bits 8-11 (plus the extended family in 20-27 when it is 15), model in bits
    // 4-7 (plus the extended model in 16-19 for families 6 and 15), as the kernel computes them.
    const eax = report.leaf1.eax >>> 0;
    const baseFamily = (eax >>> 8) & 0xf;
    const family = baseFamily === 0xf ? baseFamily + ((eax >>> 20) & 0xff) : baseFamily;
    const model = ((eax >>> 4) & 0xf) | (family >= 6 ? ((eax >>> 16) & 0xf) << 4 : 0);
    assert.equal(String(family), fields.get('cpu family'));
    assert.equal(String(model), fields.get('model'));
  });

  it('agrees with /proc/cpuinfo’s flags on sse2, avx, avx2 and OS support for XSAVE', () => {
    assert.equal(features.sse2, flags.has('sse2'));
    // The kernel lists avx and avx2 only when it also saves the ymm registers (it clears them otherwise).
    assert.equal(features.avx && features.osSavesYmm, flags.has('avx'));
    assert.equal(features.avx2 && features.osSavesYmm, flags.has('avx2'));
    // Newer kernels do not list osxsave; they set CR4.OSXSAVE exactly when they use XSAVE, listed as xsave.
    assert.equal(features.osxsave, flags.has('osxsave') || flags.has('xsave'));
  });

  it('picks the level /proc/cpuinfo’s flags imply', () => {
    const expected = flags.has('avx2') ? 'avx2' : flags.has('sse2') ? 'sse2' : 'scalar';
    assert.equal(detectHost(X86_64).best, expected);
    assert.equal(detectHost().best, expected);
  });

  it('probes once per process and hands back the same answer', () => {
    assert.equal(detectHost(X86_64), detectHost(X86_64));
    assert.deepEqual(parseCpuidReport(readHostCpuid()), { ...features });
  });

  it('gives the target of every level the host supports', () => {
    for (const level of ['scalar', 'sse2', 'avx2'] as const) {
      if (level === 'avx2' && !flags.has('avx2')) continue;
      assert.equal(hostTarget(level), X86_64.target(level));
    }
  });

  it('resolves auto to the best level, and a named level the host has to itself', () => {
    assert.equal(resolveLevel('auto'), detectHost().best);
    assert.equal(resolveLevel('scalar'), 'scalar');
    assert.equal(resolveLevel('sse2'), 'sse2');
    if (flags.has('avx2')) assert.equal(resolveLevel('avx2'), 'avx2');
    else assert.throws(() => resolveLevel('avx2'), UnsupportedKernelLevelError);
  });

  it('refuses a level the host lacks with an error naming what is missing and the best level', () => {
    assert.throws(
      () => resolveLevel('avx2', X86_64, sse2Only),
      (error: unknown) => {
        assert.ok(error instanceof UnsupportedKernelLevelError);
        assert.equal(error.code, 'JIT_KERNEL_LEVEL_UNSUPPORTED');
        assert.deepEqual(error.missing, ['AVX2 (CPUID.(EAX=7,ECX=0):EBX bit 5)']);
        assert.match(error.message, /the avx2 kernels cannot run on this host: it lacks AVX2 \(CPUID/);
        assert.match(error.message, /the best level it supports is sse2/);
        return true;
      },
    );
    assert.equal(resolveLevel('sse2', X86_64, sse2Only), 'sse2');
    const scalarOnly = x86Capabilities({ ...features, sse2: false, avx2: false, level: 'scalar' });
    assert.equal(resolveLevel('scalar', X86_64, scalarOnly), 'scalar');
  });

  it('refuses a level of another architecture, naming it and this host’s, and a level of none', () => {
    assert.throws(
      () => resolveLevel('avx2', ELSEWHERE, { best: 'wide', missingFor: () => [] }),
      (error: unknown) => {
        assert.ok(error instanceof UnsupportedKernelLevelError);
        assert.equal(
          error.message,
          'the avx2 kernels cannot run on this host: avx2 is a level of x86-64, and this host is elsewhere ' +
            '(its levels: basic, wide); the best level it supports is wide',
        );
        return true;
      },
    );
    assert.throws(() => resolveLevel('avx512'), /no architecture has a level named avx512/);
  });

  it('gives a target, or resolves a setting, only for a level the given features allow', () => {
    assert.throws(() => hostTarget('avx2', X86_64, sse2Only), UnsupportedKernelLevelError);
    assert.equal(hostTarget('sse2', X86_64, sse2Only).name, 'x86-64-sse2');
    assert.equal(resolveLevel('auto', X86_64, sse2Only), 'sse2');
  });

  it('maps one probe page for each reading, runs it, and unmaps it and its guard again', () => {
    const calls = memoryCallsOf(() => readHostCpuid());
    const mappings = calls.filter(({ call }) => call === 'mmap');
    assert.equal(mappings.length, 1);
    const [{ address } = { address: 0 }] = mappings;
    assert.deepEqual(calls.at(-1), { call: 'munmap', address, length: 2 * pageSize(), ok: true });
  });

  it('refuses to run the probe on another platform', () => {
    const platform = Object.getOwnPropertyDescriptor(process, 'platform') as PropertyDescriptor;
    Object.defineProperty(process, 'platform', { ...platform, value: 'darwin' });
    try {
      assert.throws(() => readHostCpuid(), UnsupportedPlatformError);
    } finally {
      Object.defineProperty(process, 'platform', platform);
    }
  });

  it('runs no probe page at all for scalar code, the baseline of every x86-64', () => {
    // In a process of its own, where nothing has probed the CPU yet.
    const host = new URL('../../src/jit/host.js', import.meta.url).href;
    const libc = new URL('../../src/jit/libc.js', import.meta.url).href;
    const child = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const host = await import(${JSON.stringify(host)});
        const { memoryCalls } = await import(${JSON.stringify(libc)});
        const calls = [];
        memoryCalls.subscribe((call) => calls.push(call));
        const target = host.hostTarget('scalar');
        const level = host.resolveLevel('scalar');
        console.log(JSON.stringify({ calls: calls.length, target: target.name, level }));`,
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );
    assert.equal(child.status, 0, child.stderr);
    assert.deepEqual(JSON.parse(child.stdout), { calls: 0, target: 'x86-64-scalar', level: 'scalar' });
  });
});
