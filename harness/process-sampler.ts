/**
 * Watches a process from outside through /proc while it is under load: its resident memory (VmRSS in
 * /proc/<pid>/status) and its JIT pages (classified from /proc/<pid>/maps by JitPageClassifier), at a
 * fixed interval. Used by `npm run bench:memory` and `npm run soak`.
 */
import { readFileSync } from 'node:fs';
import { JitPageClassifier } from './jit-pages.js';
import { type Mapping, readMaps } from './maps.js';

export function residentBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match?.[1]) throw new Error(`no VmRSS for process ${pid}`);
  return Number(match[1]) * 1024;
}

/** A JIT page seen writable and executable, as the kernel printed it. */
export interface Violation {
  sample: number;
  address: string;
  perms: string;
}

export interface SamplerReport {
  samples: number;
  /** Readings of /proc that failed (the process gone, for one). */
  failedReadings: number;
  /** JIT pages in the first sample, before the caller's first request: the call gates' page. */
  jitPagesAtStart: number;
  /** The most JIT pages in any sample, beyond those at start: adder pages. */
  peakJitPages: number;
  peakRssBytes: number;
  /** Resident memory at every sample, with the time it was taken (performance.now(), in ms). */
  rss: { at: number; bytes: number }[];
  /** Readings in which some JIT page was writable and executable. */
  samplesWithViolations: number;
  /** The first few violations, for the report. */
  violations: Violation[];
  /** The most writable+executable mappings that were not JIT pages (V8's) in one sample, and their size. */
  foreignWritableExecutable: { mappings: number; bytes: number };
}

const VIOLATIONS_KEPT = 10;

export class ProcessSampler {
  readonly #pid: number;
  readonly #classifier: JitPageClassifier;
  readonly #report: SamplerReport;
  readonly #timer: NodeJS.Timeout;

  /** Takes the first sample at once (it sets `jitPagesAtStart`), then one every `intervalMs`. */
  constructor(pid: number, options: { pageSize: number; intervalMs: number }) {
    this.#pid = pid;
    this.#classifier = new JitPageClassifier(options.pageSize);
    this.#report = {
      samples: 0,
      failedReadings: 0,
      jitPagesAtStart: 0,
      peakJitPages: 0,
      peakRssBytes: 0,
      rss: [],
      samplesWithViolations: 0,
      violations: [],
      foreignWritableExecutable: { mappings: 0, bytes: 0 },
    };
    this.#take();
    this.#timer = setInterval(() => this.#take(), options.intervalMs);
  }

  /** Takes a last sample and stops. */
  stop(): SamplerReport {
    clearInterval(this.#timer);
    this.#take();
    return this.report;
  }

  get report(): SamplerReport {
    return { ...this.#report, violations: [...this.#report.violations], rss: [...this.#report.rss] };
  }

  #take(): void {
    let maps: Mapping[];
    let rss: number;
    try {
      maps = readMaps(this.#pid);
      rss = residentBytes(this.#pid);
    } catch {
      this.#report.failedReadings += 1;
      return;
    }
    const report = this.#report;
    const reading = this.#classifier.classify(maps);
    if (report.samples === 0) report.jitPagesAtStart = reading.pages.length;
    report.samples += 1;
    report.peakJitPages = Math.max(report.peakJitPages, reading.pages.length - report.jitPagesAtStart);
    report.peakRssBytes = Math.max(report.peakRssBytes, rss);
    report.rss.push({ at: performance.now(), bytes: rss });
    if (reading.violations.length > 0) report.samplesWithViolations += 1;
    for (const mapping of reading.violations) {
      if (report.violations.length >= VIOLATIONS_KEPT) break;
      report.violations.push({
        sample: report.samples,
        address: mapping.start.toString(16),
        perms: mapping.perms,
      });
    }
    const foreign = reading.foreignWritableExecutable;
    if (foreign.length >= report.foreignWritableExecutable.mappings) {
      report.foreignWritableExecutable = {
        mappings: foreign.length,
        bytes: foreign.reduce((bytes, mapping) => bytes + mapping.end - mapping.start, 0),
      };
    }
  }
}

/**
 * Resident memory after warm-up and at the end of a run, compared at the floors of V8's GC sawtooth: the
 * lowest sample in the run's first third and the lowest in its last third (harness/soak.ts says why two
 * single readings measure where each fell in a GC cycle rather than growth). NaN when a window has no
 * samples.
 */
export function residentFloors(
  rss: SamplerReport['rss'],
  run: { startedAt: number; finishedAt: number },
): { windowMs: number; first: number; last: number; growth: number } {
  const windowMs = (run.finishedAt - run.startedAt) / 3;
  const lowest = (from: number, to: number) => {
    const inWindow = rss.filter(({ at }) => at >= from && at <= to).map(({ bytes }) => bytes);
    return inWindow.length === 0 ? Number.NaN : Math.min(...inWindow);
  };
  const first = lowest(run.startedAt, run.startedAt + windowMs);
  const last = lowest(run.finishedAt - windowMs, run.finishedAt);
  return { windowMs, first, last, growth: last / first - 1 };
}
