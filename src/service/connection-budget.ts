/**
 * How many connections the service holds at once: past the budget, Node's server closes a new connection
 * as soon as it has accepted it (`server.maxConnections`), and goes on serving those it holds.
 *
 * Each connection costs a file descriptor and memory (resident memory even idle: docs/operations.md,
 * "Connections", has the measurement), and neither comes back on its own: a process out of descriptors
 * cannot accept, and fails whatever else opens a file (Node's own memory reading among them); one past its
 * container's memory limit is killed. So the budget is the smaller of what the descriptors and what the
 * memory allow, with room kept for everything else:
 *
 *   by descriptors = RLIMIT_NOFILE (soft) − FILES_KEPT
 *   by memory      = (memory limit − working set − held results) / CONNECTION_BYTES
 *   working set    = WORKING_SET_BYTES + capacity × (page size + ADDER_ENTRY_BYTES)
 *
 * The memory limit is the cgroup's (process.constrainedMemory()), or the machine's memory without one.
 * MAX_CONNECTIONS set to a number replaces the computed budget.
 */
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { FastifyBaseLogger } from 'fastify';

const MiB = 2 ** 20;

/** Descriptors kept for the process itself (about 24 at rest), files the service reads and /proc. */
export const FILES_KEPT = 64;
/**
 * What the service holds under load besides its adders and connections: the highest resident memory of
 * `npm run bench:memory` at a capacity of 64 on the shipped runtime, with margin (docs/operations.md).
 */
export const WORKING_SET_BYTES = 160 * MiB;
/**
 * One adder besides its page of code (written, and so resident): its entry and the rest, what `npm run
 * bench:memory` held an adder beyond its page (docs/operations.md, "Connections").
 */
export const ADDER_ENTRY_BYTES = 2 * 1024;
/** One idle connection, with margin over what docs/operations.md, "Connections", measured. */
export const CONNECTION_BYTES = 12 * 1024;
/** The fewest connections the budget allows, however little memory the arithmetic leaves. */
export const MIN_CONNECTIONS = 64;

export interface BudgetInputs {
  /** The soft limit on open files, or undefined if it could not be read. */
  fileLimit: number | undefined;
  memoryLimitBytes: number;
  capacity: number;
  /** Each adder's page size (the JIT registry's). */
  pageBytes: number;
  heldResultsBytes: number;
}

export interface ConnectionBudget {
  maxConnections: number;
  /** Which limit set it. */
  limitedBy: 'files' | 'memory' | 'MAX_CONNECTIONS';
  byFiles: number;
  byMemory: number;
}

/** The budget the limits allow (the arithmetic in the header). */
export function connectionBudget(inputs: BudgetInputs): ConnectionBudget {
  const byFiles =
    inputs.fileLimit === undefined ? Number.POSITIVE_INFINITY : Math.max(1, inputs.fileLimit - FILES_KEPT);
  const workingSet = WORKING_SET_BYTES + inputs.capacity * (inputs.pageBytes + ADDER_ENTRY_BYTES);
  const spare = inputs.memoryLimitBytes - workingSet - inputs.heldResultsBytes;
  const byMemory = Math.max(MIN_CONNECTIONS, Math.floor(spare / CONNECTION_BYTES));
  return byFiles <= byMemory
    ? { maxConnections: byFiles, limitedBy: 'files', byFiles, byMemory }
    : { maxConnections: byMemory, limitedBy: 'memory', byFiles, byMemory };
}

/** The soft limit on this process's open files, from /proc/self/limits; undefined if unlimited or unread. */
export function openFileLimit(limits = readProcLimits()): number | undefined {
  const soft = /^Max open files\s+(\S+)/m.exec(limits)?.[1];
  if (soft === undefined || !/^[0-9]+$/.test(soft)) return undefined;
  return Number(soft);
}

function readProcLimits(): string {
  try {
    return readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return '';
  }
}

/** The memory the process may use: its cgroup's limit, or the machine's memory when it has none. */
export function memoryLimit(): number {
  const machine = totalmem();
  const constrained = process.constrainedMemory?.() ?? 0;
  return constrained > 0 && constrained < machine ? constrained : machine;
}

/** How often, at most, refused connections are logged while the budget is full. */
const REFUSALS_LOGGED_EVERY_MS = 60_000;

/**
 * Holds `server` to `maxConnections`, says so in the log at warn (once a minute at most while it refuses),
 * and keeps an error accepting a connection (EMFILE, ENFILE: out of descriptors anyway) from ending the
 * process: it is logged, and the server goes on with the connections it holds.
 */
export function limitConnections(
  server: Server,
  maxConnections: number,
  log: FastifyBaseLogger,
  onRefused?: () => void,
): void {
  server.maxConnections = maxConnections;
  let refused = 0;
  let loggedAt = Number.NEGATIVE_INFINITY;
  server.on('drop', () => {
    refused += 1;
    onRefused?.();
    const now = performance.now();
    if (now - loggedAt < REFUSALS_LOGGED_EVERY_MS) return;
    loggedAt = now;
    log.warn({ maxConnections, refused }, 'refusing connections: the service holds its connection budget');
  });
  // While listening; before, an error is listen()'s own, which Fastify reports.
  server.on('error', (error: NodeJS.ErrnoException) => {
    if (server.listening) log.error({ err: error }, 'the server could not accept a connection');
  });
}
