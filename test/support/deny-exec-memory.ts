/**
 * Preloaded (`node --jitless --import …/deny-exec-memory.js`) into a child process to make it a host that
 * forbids executable memory: prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN) asks the kernel (Linux ≥ 6.3) to
 * refuse every later mprotect that would make memory executable. V8's own compiler needs such memory, hence
 * --jitless: then only the JIT's mprotect is refused, with EACCES.
 *
 * If the kernel does not offer MDWE, it says so on stderr with a marker the tests look for, and exits 3.
 */
import koffi from 'koffi';
import { MDWE_UNAVAILABLE } from './exec-memory-denial.js';

const PR_SET_MDWE = 65;
const PR_MDWE_REFUSE_EXEC_GAIN = 1;

const prctl = koffi
  .load('libc.so.6')
  .func(
    'int prctl(int option, unsigned long arg2, unsigned long arg3, unsigned long arg4, unsigned long arg5)',
  );
if (prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0) !== 0) {
  process.stderr.write(`${MDWE_UNAVAILABLE}: prctl(PR_SET_MDWE) failed with errno ${koffi.errno()}\n`);
  process.exit(3);
}
