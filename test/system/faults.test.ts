/**
 * A fault in machine code ends the server at once, by the fault's own signal. Each case starts the server
 * as in production (dist/src/server.js, its signal handling installed) with harness/fault-injector.ts
 * preloaded, waits until it listens, and has it run code that faults: int3 padding, the guard page past
 * the code, an undefined instruction, a division by zero. The process must exit by that signal: not run
 * on past the fault (the injector reports if the code after it returns), and not spin on it (a process
 * still running after FAULT_WAIT_MS is killed and the case fails).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort, startServerProcess } from '../../harness/server-process.js';

const faultInjector = fileURLToPath(new URL('../../harness/fault-injector.js', import.meta.url));

/** Far longer than a process takes to die of a signal; a spinning one never does. */
const FAULT_WAIT_MS = 10_000;

const CASES = [
  { fault: 'int3', signal: 'SIGTRAP', what: 'a jump into int3 padding' },
  { fault: 'guard', signal: 'SIGSEGV', what: 'a jump into the guard page' },
  { fault: 'ud2', signal: 'SIGILL', what: 'an undefined instruction' },
  { fault: 'divide', signal: 'SIGFPE', what: 'a division by zero' },
] as const;

describe('a fault in machine code', () => {
  for (const { fault, signal, what } of CASES) {
    it(`ends the server by ${signal} after ${what}, without running past it`, async () => {
      const server = startServerProcess({
        nodeOptions: ['--import', faultInjector],
        env: { LOG_LEVEL: 'warn' },
        port: await freePort(),
        ipc: true,
      });
      const messages: unknown[] = [];
      server.child.on('message', (message) => messages.push(message));
      try {
        await server.listening;
        // No core file: the case means to crash the process.
        execFileSync('prlimit', ['--core=0', '--pid', String(server.child.pid)]);
        server.child.send(fault);
        let timer: NodeJS.Timeout | undefined;
        const exit = await Promise.race([
          server.exited,
          new Promise<'still running'>((resolve) => {
            timer = setTimeout(() => resolve('still running'), FAULT_WAIT_MS);
          }),
        ]);
        clearTimeout(timer);
        assert.deepEqual(
          messages.filter(
            (message) => typeof message === 'object' && message !== null && 'ranPast' in message,
          ),
          [],
          'the code after the fault never ran',
        );
        assert.notEqual(exit, 'still running', `the process still ran ${FAULT_WAIT_MS} ms after the fault`);
        assert.deepEqual(exit, { code: null, signal });
      } finally {
        if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
        await server.exited;
      }
    });
  }
});
