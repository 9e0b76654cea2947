/**
 * Starts the service: configuration from the environment, the app, listen; and stops it: on SIGTERM or
 * SIGINT (close-with-grace) the app closes: /readyz answers 503 and, after the drain period
 * (SHUTDOWN_DRAIN_MS, none by default), the server stops accepting; every request on a connection it had
 * accepted is answered and idle connections are closed (plugins/app/shutdown.ts), the JIT registry unmaps
 * every page (the jit plugin's onClose logs how many), and the process exits 0; or 1 if that takes longer
 * than SHUTDOWN_DRAIN_MS + SHUTDOWN_GRACE_MS. A fault in machine code (FAULT_SIGNALS) ends it at once.
 *
 * Exit statuses on a failed start, as <sysexits.h>: 78 (EX_CONFIG) for a bad variable, 71 (EX_OSERR) when
 * the host refuses the JIT's syscalls (executable memory forbidden, no memory) or the port, 69
 * (EX_UNAVAILABLE) on a platform that cannot run x86-64 code.
 */
import closeWithGrace from 'close-with-grace';
import type { FastifyInstance } from 'fastify';
import { BUILD_INFO } from './build-info.js';
import { type Config, ConfigError, loadConfig } from './config.js';
import { SyscallError, UnsupportedKernelLevelError, UnsupportedPlatformError } from './jit/errors.js';
import { mappingBudget } from './jit/mapping-budget.js';
import { isMainModule } from './main-module.js';
import { createServiceLogger } from './observability/logger.js';
import { buildApp } from './service/app.js';

/**
 * Signals a fault in running code raises, which close-with-grace would otherwise take as a request to shut
 * down. A listener for one installs a handler that only notes the signal and returns: a SIGTRAP from the
 * int3 padding then runs on past it into whatever follows, and a SIGSEGV re-executes the faulting
 * instruction forever, the process spinning and deaf to SIGTERM (its JavaScript never runs again). Without
 * one the kernel ends the process, and an orchestrator starts another.
 */
const FAULT_SIGNALS = ['SIGSEGV', 'SIGBUS', 'SIGILL', 'SIGFPE', 'SIGTRAP'] as const;

const EX_SOFTWARE = 70;
export const EX_UNAVAILABLE = 69;
export const EX_OSERR = 71;
export const EX_CONFIG = 78;

/**
 * How long the close may take once the drain period is over: under Docker's default 10 s between SIGTERM
 * and SIGKILL, so that a slow close still exits by itself.
 */
export const SHUTDOWN_GRACE_MS = 8_000;

/**
 * Refuses a capacity the kernel cannot give (mapping-budget.ts): the start stops with a message naming
 * the variable, the kernel's limit and the largest capacity that fits.
 */
function assertCapacityFits(config: Pick<Config, 'jitMaxAdders'>, budget = mappingBudget()): void {
  if (config.jitMaxAdders <= budget.largestCapacity) return;
  throw new ConfigError(
    'JIT_MAX_ADDERS',
    String(config.jitMaxAdders),
    `each adder takes 2 of the process's memory areas, and vm.max_map_count is ${budget.maxMapCount}: ` +
      `with ${budget.reserved} kept for V8's heap and Node.js itself, at most ${budget.largestCapacity} ` +
      'adders fit',
  );
}

/**
 * Listens on HOST:PORT. A HOST that names no address (getaddrinfo ENOTFOUND), or none of this machine's
 * (EADDRNOTAVAIL), is the configuration's fault: the start stops naming the variable (exit 78), as for
 * any other bad value, not as a failure of the host.
 */
async function listenOn(app: FastifyInstance, port: number, host: string): Promise<string> {
  try {
    return await app.listen({ port, host });
  } catch (error) {
    const { code } = error as NodeJS.ErrnoException;
    if (code === 'ENOTFOUND')
      throw new ConfigError('HOST', host, `no address was found for it (getaddrinfo ${code})`);
    if (code === 'EADDRNOTAVAIL')
      throw new ConfigError('HOST', host, `it is not an address of this machine (listen ${code})`);
    throw error;
  }
}

export function exitStatusFor(error: unknown): number {
  // JIT_ISA asked for a level this CPU lacks: a setting to change, not a failure of the host.
  if (error instanceof ConfigError || error instanceof UnsupportedKernelLevelError) return EX_CONFIG;
  if (error instanceof UnsupportedPlatformError) return EX_UNAVAILABLE;
  if (error instanceof SyscallError) return EX_OSERR;
  if ((error as NodeJS.ErrnoException).syscall !== undefined) return EX_OSERR; // listen: EADDRINUSE, EACCES…
  return EX_SOFTWARE;
}

export async function main(): Promise<void> {
  let app: FastifyInstance | undefined;
  try {
    const { port, host, logLevel, ...settings } = loadConfig();
    assertCapacityFits(settings);
    const logger = createServiceLogger({ level: logLevel });
    logger?.info(BUILD_INFO, `babyjit ${BUILD_INFO.version} starting on ${BUILD_INFO.runtime}`);
    app = await buildApp({ logger, ...settings });
    const delay = settings.shutdownDrainMs + SHUTDOWN_GRACE_MS;
    closeWithGrace({ delay, logger: false, skip: [...FAULT_SIGNALS] }, async ({ signal, err }) => {
      if (err) app?.log.error({ err }, 'shutting down after an uncaught error');
      else app?.log.info({ signal }, 'shutting down: finishing in-flight requests');
      await app?.close();
    });
    const address = await listenOn(app, port, host);
    // The addresses a person opens next, in one line (Fastify's own names only the listening address).
    app.log.info(
      { explorer: `${address}/`, docs: `${address}/docs`, openapi: `${address}/openapi.json` },
      `babyjit is ready: the explorer at ${address}/, the API docs at ${address}/docs`,
    );
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // The logger may not exist yet (bad configuration), so the reason always goes to stderr as well.
    app?.log.fatal({ err: error }, 'babyjit could not start');
    process.stderr.write(`babyjit: could not start: ${message}\n`);
    await app?.close().catch(() => {});
    process.exit(exitStatusFor(error));
  }
}

if (isMainModule(import.meta.url)) await main();
