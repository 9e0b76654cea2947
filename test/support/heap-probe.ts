/**
 * The tests' side of harness/heap-probe.ts: the flags that preload it into a server process with an IPC
 * channel, and the one way to ask it a question.
 */
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { GCProfilerResult } from 'node:v8';
import type { ServerProcess, ServerProcessOptions } from '../../harness/server-process.js';

const heapProbe = fileURLToPath(new URL('../../harness/heap-probe.js', import.meta.url));

/** Node flags that load the probe (it needs --expose-gc); start the server with `ipc: true` as well. */
export const HEAP_PROBE_NODE_OPTIONS: NonNullable<ServerProcessOptions['nodeOptions']> = [
  '--expose-gc',
  '--import',
  heapProbe,
];

export interface ProbeAnswer {
  live?: number;
  profile?: GCProfilerResult;
  collected?: true;
}

/** Asks the server's heap probe one question and waits for its answer. */
export async function askHeapProbe(
  server: ServerProcess,
  question: 'live' | 'profile' | 'collect',
): Promise<ProbeAnswer> {
  const answer = once(server.child, 'message') as Promise<[ProbeAnswer]>;
  server.child.send(question);
  return (await answer)[0];
}
