/** Shared by the tests and the preload that denies executable memory in a child process. */
import { fileURLToPath } from 'node:url';

/** Printed by the preload when the kernel has no PR_SET_MDWE, so a test can skip with the reason. */
export const MDWE_UNAVAILABLE = 'MDWE-UNAVAILABLE';

/**
 * Node options that start a child where the kernel refuses to make memory executable. Never import the
 * preload itself into a test process: it would deny executable memory to the test runner too.
 */
export const denyExecMemoryNodeOptions = [
  '--jitless',
  '--import',
  fileURLToPath(new URL('./deny-exec-memory.js', import.meta.url)),
];
