/**
 * Starts the service: configuration from the environment, the app, listen; and stops it: on SIGTERM or
 * SIGINT (close-with-grace) the app closes: the server stops accepting, every request on a connection it
 * had accepted is answered and idle connections are closed (plugins/shutdown.ts), the JIT registry unmaps
 * every page (the jit plugin's onClose logs how many), and the process exits 0; or 1 if that takes longer
 * than SHUTDOWN_GRACE_MS.
 *
 * Exit statuses on a failed start, as <sysexits.h>: 78 (EX_CONFIG) for a bad variable, 71 (EX_OSERR) when
 * the host refuses the JIT's syscalls (executable memory forbidden, no memory) or the port, 69
 * (EX_UNAVAILABLE) on a platform that cannot run x86-64 code.
 */
import closeWithGrace from 'close-with-grace';
import type { FastifyInstance } from 'fastify';
import { ConfigError, loadConfig } from './config.js';
import { SyscallError, UnsupportedPlatformError } from './jit/errors.js';
import { isMainModule } from './main-module.js';
import { createServiceLogger } from './observability/logger.js';
import { buildApp } from './service/app.js';

export const EX_SOFTWARE = 70;
export const EX_UNAVAILABLE = 69;
export const EX_OSERR = 71;
export const EX_CONFIG = 78;

/** Under Docker's default 10 s between SIGTERM and SIGKILL, so that a slow close still exits by itself. */
export const SHUTDOWN_GRACE_MS = 8_000;

function exitStatusFor(error: unknown): number {
  if (error instanceof ConfigError) return EX_CONFIG;
  if (error instanceof UnsupportedPlatformError) return EX_UNAVAILABLE;
  if (error instanceof SyscallError) return EX_OSERR;
  if ((error as NodeJS.ErrnoException).syscall !== undefined) return EX_OSERR; // listen: EADDRINUSE, EACCES…
  return EX_SOFTWARE;
}

export async function main(): Promise<void> {
  let app: FastifyInstance | undefined;
  try {
    const config = loadConfig();
    app = await buildApp({
      logger: createServiceLogger({ level: config.logLevel }),
      jitMaxAdders: config.jitMaxAdders,
      metrics: config.metrics,
      jitBlinding: config.jitBlinding,
      maxEventLoopDelayMs: config.maxEventLoopDelayMs,
      compilesPerMinute: config.compilesPerMinute,
    });
    closeWithGrace({ delay: SHUTDOWN_GRACE_MS, logger: false }, async ({ signal, err }) => {
      if (err) app?.log.error({ err }, 'shutting down after an uncaught error');
      else app?.log.info({ signal }, 'shutting down: finishing in-flight requests');
      await app?.close();
    });
    await app.listen({ port: config.port, host: config.host });
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
