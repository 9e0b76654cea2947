import { type MemoryCall, memoryCalls } from '../../src/jit/libc.js';

/** The memory calls libc.ts publishes on its diagnostics channel while `action` runs, in order. */
export function memoryCallsOf(action: () => void): MemoryCall[] {
  const calls: MemoryCall[] = [];
  const listener = (message: unknown) => calls.push(message as MemoryCall);
  memoryCalls.subscribe(listener);
  try {
    action();
  } finally {
    memoryCalls.unsubscribe(listener);
  }
  return calls;
}
