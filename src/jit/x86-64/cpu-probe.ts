/**
 * Asking an x86-64 CPU what it can run: the probe page's code (pure bytes; the core's host.ts runs it
 * through the HostProbe it hands detectX86Capabilities) and the reading of its answers (pure, so that it
 * can be tested with register values made by hand).
 *
 * The probe has two entry points, both `void f(int32_t io[4], size_t n)` so that the batch call gate can
 * call them; the JavaScript side decides which leaves to ask for, since asking for some is only safe once
 * another has answered (leaf 7 needs leaf 0's maximum ≥ 7; xgetbv faults unless leaf 1 reports OSXSAVE).
 */
import type { HostCapabilities, HostProbe } from '../target.js';
import { layout, type X86Level } from './adder-page.js';
import {
  cpuid,
  movDwordAtRdiR32,
  movR32DwordAtRdi,
  popRbx,
  pushRbx,
  R32,
  ret,
  xgetbv,
} from './instructions.js';

/** Where each entry sits in the probe page. */
export const CPUID_ENTRY = 0;
export const XGETBV_ENTRY = 32;

/**
 * `void cpuid(int32_t io[4])`: io[0] = leaf and io[1] = subleaf in, io[0..3] = eax, ebx, ecx, edx out.
 *
 *     push rbx              ; cpuid writes rbx, which the System V ABI makes callee-saved
 *     mov eax, [rdi]        ; the leaf
 *     mov ecx, [rdi + 4]    ; the subleaf
 *     cpuid
 *     mov [rdi], eax
 *     mov [rdi + 4], ebx
 *     mov [rdi + 8], ecx
 *     mov [rdi + 12], edx
 *     pop rbx
 *     ret
 */
function encodeCpuidEntry(): Uint8Array {
  return Uint8Array.from([
    ...pushRbx(),
    ...movR32DwordAtRdi(R32.eax, 0),
    ...movR32DwordAtRdi(R32.ecx, 4),
    ...cpuid(),
    ...movDwordAtRdiR32(0, R32.eax),
    ...movDwordAtRdiR32(4, R32.ebx),
    ...movDwordAtRdiR32(8, R32.ecx),
    ...movDwordAtRdiR32(12, R32.edx),
    ...popRbx(),
    ...ret(),
  ]);
}

/**
 * `void xgetbv(int32_t io[2])`: io[0] = the extended control register's number in, io[0..1] = its low
 * and high halves (eax, edx) out. Only safe to call when CPUID.1:ECX.OSXSAVE is set.
 *
 *     mov ecx, [rdi]
 *     xgetbv
 *     mov [rdi], eax
 *     mov [rdi + 4], edx
 *     ret
 */
function encodeXgetbvEntry(): Uint8Array {
  return Uint8Array.from([
    ...movR32DwordAtRdi(R32.ecx, 0),
    ...xgetbv(),
    ...movDwordAtRdiR32(0, R32.eax),
    ...movDwordAtRdiR32(4, R32.edx),
    ...ret(),
  ]);
}

export function encodeCpuProbePage(): Uint8Array {
  return layout([
    [CPUID_ENTRY, encodeCpuidEntry()],
    [XGETBV_ENTRY, encodeXgetbvEntry()],
  ]);
}

/** One CPUID leaf's answer, as the probe writes it into an Int32Array (so possibly negative). */
export interface CpuidLeaf {
  eax: number;
  ebx: number;
  ecx: number;
  edx: number;
}

/** What the probe read: leaves 0, 1 and 7 (subleaf 0), and XCR0's low half when the OS allows reading it. */
export interface CpuidReport {
  leaf0: CpuidLeaf;
  leaf1: CpuidLeaf;
  /** Absent when leaf 0 says the CPU has no leaf 7. */
  leaf7?: CpuidLeaf;
  /** Absent when CPUID.1:ECX.OSXSAVE is clear: xgetbv would fault. */
  xcr0?: number;
}

export interface X86Features {
  architecture: 'x86-64';
  /** CPUID leaf 0's vendor string, e.g. 'GenuineIntel' or 'AuthenticAMD'. */
  vendor: string;
  /** CPUID.1:EDX bit 26. */
  sse2: boolean;
  /** CPUID.1:ECX bit 27: the OS has enabled XSAVE and xgetbv (CR4.OSXSAVE). */
  osxsave: boolean;
  /** CPUID.1:ECX bit 28: the CPU implements AVX (whether the OS lets it be used is osSavesYmm). */
  avx: boolean;
  /** CPUID.(EAX=7, ECX=0):EBX bit 5: the CPU implements AVX2. */
  avx2: boolean;
  /** XCR0 bits 1 (SSE state) and 2 (the upper halves of the ymm registers): the OS saves them on a context switch. */
  osSavesYmm: boolean;
  /** The best batch kernel level all of the above allows. */
  level: X86Level;
}

const bit = (value: number, index: number) => ((value >>> index) & 1) === 1;

/**
 * Reads the probe's answers. AVX2 code is usable only when the CPU implements AVX and AVX2 and the OS
 * saves the ymm registers (it has enabled XSAVE, and XCR0 has bits 1 and 2 set): otherwise the first
 * vector instruction would fault, or another thread's ymm values would leak into ours.
 */
export function parseCpuidReport(report: CpuidReport): X86Features {
  const { leaf0, leaf1, leaf7, xcr0 } = report;
  const osxsave = bit(leaf1.ecx, 27);
  const features: Omit<X86Features, 'level'> = {
    architecture: 'x86-64',
    vendor: vendorString(leaf0),
    sse2: bit(leaf1.edx, 26),
    osxsave,
    avx: bit(leaf1.ecx, 28),
    avx2: leaf7 !== undefined && bit(leaf7.ebx, 5),
    osSavesYmm: osxsave && xcr0 !== undefined && (xcr0 & 0b110) === 0b110,
  };
  const level: X86Level =
    missingFor('avx2', features).length === 0
      ? 'avx2'
      : missingFor('sse2', features).length === 0
        ? 'sse2'
        : 'scalar';
  return { ...features, level };
}

/** The twelve ASCII bytes of ebx, edx, ecx (in that order) of leaf 0. */
function vendorString({ ebx, edx, ecx }: CpuidLeaf): string {
  const bytes = new Uint8Array(Int32Array.of(ebx, edx, ecx).buffer);
  return String.fromCharCode(...bytes);
}

/**
 * What `features` lack for code at `level`, each named with where the CPU reports it; empty when the
 * level can run.
 */
export function missingFor(level: X86Level, features: Omit<X86Features, 'level'>): string[] {
  const missing: string[] = [];
  if (level === 'scalar') return missing;
  if (!features.sse2) missing.push('SSE2 (CPUID.1:EDX bit 26)');
  if (level === 'sse2') return missing;
  if (!features.avx) missing.push('AVX (CPUID.1:ECX bit 28)');
  if (!features.avx2) missing.push('AVX2 (CPUID.(EAX=7,ECX=0):EBX bit 5)');
  if (!features.osxsave) missing.push('OS support for XSAVE (CPUID.1:ECX bit 27, OSXSAVE)');
  if (!features.osSavesYmm)
    missing.push('OS saving of the ymm registers (XCR0 bits 1 and 2, read by XGETBV)');
  return missing;
}

/**
 * Runs the probe page through `probe`: CPUID leaves 0, 1 and (when the CPU has it) 7, and XCR0 when the
 * OS allows xgetbv.
 */
export function readCpuid(probe: HostProbe): CpuidReport {
  return probe(encodeCpuProbePage(), (call) => {
    const leaf = (eax: number, ecx: number): CpuidLeaf => {
      const io = Int32Array.of(eax, ecx, 0, 0);
      call(CPUID_ENTRY, io);
      return { eax: io[0] as number, ebx: io[1] as number, ecx: io[2] as number, edx: io[3] as number };
    };
    const leaf0 = leaf(0, 0);
    const leaf1 = leaf(1, 0);
    const report: CpuidReport = { leaf0, leaf1 };
    if (leaf0.eax >>> 0 >= 7) report.leaf7 = leaf(7, 0);
    if (((leaf1.ecx >>> 27) & 1) === 1) {
      const io = Int32Array.of(0, 0);
      call(XGETBV_ENTRY, io);
      report.xcr0 = io[0] as number;
    }
    return report;
  });
}

/** What an x86-64 host runs (the core's HostCapabilities), and the features that decided it. */
export type X86Capabilities = HostCapabilities & { readonly features: X86Features };

/** What an x86-64 host with `features` runs. */
export function x86Capabilities(features: X86Features): X86Capabilities {
  return {
    best: features.level,
    // Scalar code is the architecture's baseline: nothing to check.
    missingFor: (level) => missingFor(level as X86Level, features),
    features,
  };
}

/** Architecture.detect for x86-64: the probe page's answers, read. */
export function detectX86Capabilities(probe: HostProbe): HostCapabilities {
  return x86Capabilities(parseCpuidReport(readCpuid(probe)));
}
