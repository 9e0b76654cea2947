/**
 * A process's CPU, read and placed from outside: the CPU time it has used (/proc/<pid>/stat), and which
 * CPU it runs on (taskset). Used by the benchmarks that measure CPU per request or per second.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/** Clock ticks per second, the unit of utime and stime in /proc/<pid>/stat. */
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** CPU seconds a process has used so far (user + system, all its threads), from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  // The command name, in parentheses, may contain spaces: split after its closing parenthesis. utime and
  // stime are then the 12th and 13th fields (the 14th and 15th of the whole line).
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/**
 * With two or more CPUs, servers run on CPU 0 and the load generator on CPU 1, all their threads included:
 * otherwise the scheduler moves both around the two cores, and which of them shares a core with the
 * other's busy moments changes from one measurement to the next. BENCH_PIN=0 turns it off.
 */
export const PIN = availableParallelism() >= 2 && process.env.BENCH_PIN !== '0';

/** Puts every thread of `pid` on `cpu`. */
export function pin(pid: number, cpu: number): void {
  execFileSync('taskset', ['--all-tasks', '--cpu-list', '--pid', String(cpu), String(pid)], {
    stdio: 'ignore',
  });
}
