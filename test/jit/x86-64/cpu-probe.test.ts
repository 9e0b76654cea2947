import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CPUID_ENTRY,
  type CpuidReport,
  encodeCpuProbePage,
  missingFor,
  parseCpuidReport,
  XGETBV_ENTRY,
} from '../../../src/jit/x86-64/cpu-probe.js';
import { decodeOperands } from '../../support/x86-decoding.js';

const bit = (index: number) => (1 << index) | 0;
const SSE2 = bit(26); // CPUID.1:EDX
const OSXSAVE = bit(27); // CPUID.1:ECX
const AVX = bit(28); // CPUID.1:ECX
const AVX2 = bit(5); // CPUID.7.0:EBX
const XCR0_SSE_AND_YMM = 0b111; // x87, SSE and AVX state
/** 'GenuineIntel' as leaf 0 returns it: 'Genu' in ebx, 'ineI' in edx, 'ntel' in ecx, little-endian. */
const intel = { eax: 0x16, ebx: 0x756e6547, edx: 0x49656e69, ecx: 0x6c65746e };
const none = { eax: 0, ebx: 0, ecx: 0, edx: 0 };

/** A CPU with AVX2 that the OS fully supports, to take things away from. */
function avx2Host(): CpuidReport {
  return {
    leaf0: intel,
    leaf1: { ...none, ecx: OSXSAVE | AVX | 1, edx: SSE2 | 1 },
    leaf7: { ...none, ebx: AVX2 | bit(3) },
    xcr0: XCR0_SSE_AND_YMM,
  };
}

describe('reading the CPU probe’s answers', () => {
  it('finds AVX2 when the CPU has AVX and AVX2 and the OS saves the ymm registers', () => {
    assert.deepEqual(parseCpuidReport(avx2Host()), {
      architecture: 'x86-64',
      vendor: 'GenuineIntel',
      sse2: true,
      osxsave: true,
      avx: true,
      avx2: true,
      osSavesYmm: true,
      level: 'avx2',
    });
  });

  const withoutAvx2: Array<[string, (report: CpuidReport) => CpuidReport, string]> = [
    [
      'the AVX2 bit is set but OSXSAVE is clear (the OS has not enabled XSAVE)',
      (report) => ({ ...report, leaf1: { ...report.leaf1, ecx: report.leaf1.ecx & ~OSXSAVE } }),
      'OSXSAVE',
    ],
    [
      'XGETBV reports no AVX state (bit 2 of XCR0 clear)',
      (report) => ({ ...report, xcr0: 0b011 }),
      'XCR0 bits 1 and 2',
    ],
    ['XGETBV reports no SSE state (bit 1 of XCR0 clear)', (report) => ({ ...report, xcr0: 0b101 }), 'XCR0'],
    [
      'the CPU lacks AVX (CPUID.1:ECX bit 28)',
      (report) => ({ ...report, leaf1: { ...report.leaf1, ecx: report.leaf1.ecx & ~AVX } }),
      'AVX (CPUID.1:ECX bit 28)',
    ],
    [
      'leaf 7’s AVX2 bit is clear',
      (report) => ({ ...report, leaf7: { ...none, ebx: bit(3) } }),
      'AVX2 (CPUID.(EAX=7,ECX=0):EBX bit 5)',
    ],
    ['the CPU has no leaf 7', ({ leaf7: _, ...report }) => report, 'AVX2'],
    ['xgetbv was not asked (no XCR0)', ({ xcr0: _, ...report }) => report, 'ymm'],
  ];
  for (const [title, change, named] of withoutAvx2) {
    it(`refuses AVX2 and settles for SSE2 when ${title}`, () => {
      const features = parseCpuidReport(change(avx2Host()));
      assert.equal(features.level, 'sse2');
      const missing = missingFor('avx2', features);
      assert.ok(
        missing.some((what) => what.includes(named)),
        `${JSON.stringify(missing)} names ${named}`,
      );
      assert.deepEqual(missingFor('sse2', features), []);
    });
  }

  it('does not count the ymm registers as saved when OSXSAVE is clear, whatever XCR0 reads', () => {
    const report = avx2Host();
    assert.equal(report.xcr0, 0b111);
    const features = parseCpuidReport({
      ...report,
      leaf1: { ...report.leaf1, ecx: report.leaf1.ecx & ~OSXSAVE },
    });
    assert.deepEqual([features.osxsave, features.osSavesYmm], [false, false]);
  });

  it('settles for scalar code without SSE2, and names it as missing for both vector levels', () => {
    const report = avx2Host();
    const features = parseCpuidReport({
      ...report,
      leaf1: { ...report.leaf1, edx: report.leaf1.edx & ~SSE2 },
    });
    assert.equal(features.level, 'scalar');
    assert.deepEqual(missingFor('sse2', features), ['SSE2 (CPUID.1:EDX bit 26)']);
    assert.deepEqual(missingFor('avx2', features), ['SSE2 (CPUID.1:EDX bit 26)']);
    assert.deepEqual(missingFor('scalar', features), []);
  });

  it('reads the bits as unsigned, whatever the sign the Int32Array gave them', () => {
    const report = avx2Host();
    const features = parseCpuidReport({ ...report, leaf1: { ...report.leaf1, ecx: -1, edx: -1 }, xcr0: -1 });
    assert.equal(features.level, 'avx2');
  });

  it('lists everything AVX2 needs that a bare CPU lacks', () => {
    const features = parseCpuidReport({ leaf0: intel, leaf1: { ...none, edx: SSE2 } });
    assert.deepEqual(missingFor('avx2', features), [
      'AVX (CPUID.1:ECX bit 28)',
      'AVX2 (CPUID.(EAX=7,ECX=0):EBX bit 5)',
      'OS support for XSAVE (CPUID.1:ECX bit 27, OSXSAVE)',
      'OS saving of the ymm registers (XCR0 bits 1 and 2, read by XGETBV)',
    ]);
  });
});

describe('the CPU probe page', () => {
  it('runs cpuid on the leaf and subleaf in io[0] and io[1], writes eax ebx ecx edx back, keeps rbx', () => {
    const page = encodeCpuProbePage();
    const cpuid = decodeOperands(page.subarray(CPUID_ENTRY, XGETBV_ENTRY)).filter(
      ({ mnemonic }) => mnemonic !== 'Int3',
    );
    assert.deepEqual(
      cpuid.map(({ mnemonic, operands }) => `${mnemonic} ${operands.join(', ')}`.trimEnd()),
      [
        'Push RBX',
        'Mov EAX, [RDI]',
        'Mov ECX, [RDI+4]',
        'Cpuid',
        'Mov [RDI], EAX',
        'Mov [RDI+4], EBX',
        'Mov [RDI+8], ECX',
        'Mov [RDI+12], EDX',
        'Pop RBX',
        'Ret',
      ],
    );
  });

  it('runs xgetbv on the register number in io[0] and writes edx:eax back to io[0] and io[1]', () => {
    const xgetbv = decodeOperands(encodeCpuProbePage().subarray(XGETBV_ENTRY));
    assert.deepEqual(
      xgetbv.map(({ mnemonic, operands }) => `${mnemonic} ${operands.join(', ')}`.trimEnd()),
      ['Mov ECX, [RDI]', 'Xgetbv', 'Mov [RDI], EAX', 'Mov [RDI+4], EDX', 'Ret'],
    );
  });
});
