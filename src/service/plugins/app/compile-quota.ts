/**
 * A per-client quota on compiles: every request that would compile (POST /adders, or an apply whose term
 * is not compiled) counts against its client's quota, and over it gets 429 with Retry-After. Compiles are
 * the expensive requests (two system calls each), and at capacity each one evicts another client's adder,
 * so one client churning through terms would otherwise slow every other client down. Requests served from
 * compiled adders never count.
 *
 * @fastify/rate-limit keeps the counts (per client IP, in a fixed window) and is called only for requests
 * that compile, so the warm path pays nothing for it. Behind a reverse proxy every client shares the
 * proxy's address unless Fastify is told to trust X-Forwarded-For; the README says so.
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { HttpError } from '../../errors.js';

export interface CompileQuotaOptions {
  /** Compiles each client may cause per minute (COMPILE_RATE_LIMIT); 0 turns the quota off. */
  compilesPerMinute: number;
  /** The window, one minute unless a test shortens it. */
  windowMs?: number;
}

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Counts a compile against the request's client; rejects with a 429 HttpError (and sets Retry-After)
     * once the client is over its quota. Undefined when there is no quota.
     */
    chargeCompile: ((request: FastifyRequest, reply: FastifyReply) => Promise<void>) | undefined;
  }
}

async function compileQuotaPlugin(app: FastifyInstance, options: CompileQuotaOptions): Promise<void> {
  if (options.compilesPerMinute === 0) {
    app.decorate('chargeCompile', undefined);
    return;
  }
  await app.register(rateLimit, { global: false });
  const check = app.createRateLimit({
    max: options.compilesPerMinute,
    timeWindow: options.windowMs ?? 60_000,
  });
  app.decorate('chargeCompile', async (request: FastifyRequest, reply: FastifyReply) => {
    const limit = await check(request);
    if (limit.isAllowed || !limit.isExceeded) return;
    reply.header('retry-after', String(limit.ttlInSeconds));
    throw new HttpError(
      429,
      `too many compiles from this client: at most ${limit.max} per ${limit.timeWindow / 1000} s; ` +
        `retry in ${limit.ttlInSeconds} s, or use adders that are already compiled`,
    );
  });
}

export default fp(compileQuotaPlugin, { name: 'babyjit-compile-quota', fastify: '5.x' });
