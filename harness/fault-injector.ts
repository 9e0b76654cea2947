/**
 * Preloaded into a server process by test/system/faults.test.ts (`node --import …/fault-injector.js`,
 * spawned with an IPC channel): on a message it runs machine code that faults, in the running server,
 * after the server has installed its signal handling. What happens next is the test's question: the
 * process must die of the fault's signal, not run on past it or spin.
 *
 * The faults are what a JIT bug would cause: a jump into int3 padding, a call into the guard page, an
 * undefined instruction, a division by zero. Each is followed by code that would return 1, which the
 * injector reports if it ever runs.
 */
import { ExecutablePage } from '../src/jit/page.js';

/** The code for each fault; each falls through to `mov eax, 1; ret` if the fault does not stop it. */
const FAULTS: Record<string, number[]> = {
  int3: [0xcc],
  /** jmp rel32 to the first byte past the 4,096-byte page: its guard page, PROT_NONE. */
  guard: [0xe9, ...le32(4096 - 5)],
  ud2: [0x0f, 0x0b],
  /** xor ecx, ecx; div ecx. */
  divide: [0x31, 0xc9, 0xf7, 0xf1],
};
const RETURN_ONE = [0xb8, 1, 0, 0, 0, 0xc3];

function le32(value: number): number[] {
  return [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff];
}

const send = process.send?.bind(process);
if (send === undefined) throw new Error('fault-injector needs an IPC channel to its parent');
// The channel must not keep the server alive once it has closed.
process.channel?.unref();

process.on('message', (message) => {
  const fault = typeof message === 'string' ? FAULTS[message] : undefined;
  if (fault === undefined) {
    send({ error: `no fault named ${String(message)}` });
    return;
  }
  const page = ExecutablePage.seal(new Uint8Array([...fault, ...RETURN_ONE]));
  send({ faulting: message });
  const result = page.callInt32(0, 0);
  send({ ranPast: message, result });
});
