/**
 * A per-client quota on compiles (COMPILE_RATE_LIMIT): each request that compiles an adder, or releases one
 * (DELETE: its owner then pays a recompile), counts against its client's quota in a fixed window; over it,
 * the request gets 429 with Retry-After (and the IETF's RateLimit fields, below) and changes nothing. Requests served by compiled adders never count.
 * Compiles are the expensive requests (two system calls each), and at capacity each evicts another client's
 * adder, so one client churning through terms would otherwise slow every other client down.
 *
 * The count is checked and charged in the same synchronous step as the compile it pays for (the route
 * handler calls `charge` right before the registry compiles, with nothing awaited in between). That is what
 * makes it exact: requests pipelined on one connection are parsed and run back to back, and a check that
 * awaits (as @fastify/rate-limit's does, reading its count after the await) lets every one of them see the
 * count of all, or charges a request that another one's compile has turned into a hit. docs/decisions.md
 * records why this replaced the library.
 *
 * Clients are told apart by `request.ip`: the peer's address, or behind a proxy that TRUSTED_PROXIES names,
 * the client's address as that proxy wrote it in X-Forwarded-For (docs/operations.md, "Load and hostile
 * clients"). Each replica counts its own clients' compiles: docs/decisions.md, "The compile quota is per
 * replica", says why.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { HttpError } from '../../errors.js';

export interface CompileQuotaOptions {
  /** Compiles each client may cause per window (COMPILE_RATE_LIMIT); 0 turns the quota off. */
  compilesPerMinute: number;
  /** The window, one minute unless a test shortens it. */
  windowMs?: number;
}

/** Clients tracked at most; beyond it the client whose window started longest ago is forgotten. */
const MAX_TRACKED_CLIENTS = 100_000;

interface Window {
  count: number;
  endsAt: number;
}

/** Fixed-window counts per client, bounded in the number of clients it remembers. */
export class CompileQuota {
  readonly limit: number;
  readonly windowMs: number;
  readonly #windows = new Map<string, Window>();
  readonly #now: () => number;
  readonly #maxClients: number;

  constructor(
    limit: number,
    windowMs: number,
    now: () => number = Date.now,
    maxClients = MAX_TRACKED_CLIENTS,
  ) {
    this.limit = limit;
    this.windowMs = windowMs;
    this.#now = now;
    this.#maxClients = maxClients;
  }

  /**
   * Counts one compile for `client` if its quota allows it. Returns 0 when it did, or else the seconds
   * until the client's window ends (and the count is left as it was).
   */
  charge(client: string): number {
    const now = this.#now();
    let window = this.#windows.get(client);
    if (window === undefined || window.endsAt <= now) {
      // A window starts at the client's first charge; re-inserted, it moves to the end of the Map's order,
      // which is then the order in which windows started.
      this.#windows.delete(client);
      if (this.#windows.size >= this.#maxClients) this.#forgetOldest(now);
      window = { count: 0, endsAt: now + this.windowMs };
      this.#windows.set(client, window);
    }
    if (window.count >= this.limit) return Math.max(1, Math.ceil((window.endsAt - now) / 1000));
    window.count += 1;
    return 0;
  }

  /** Takes back one charge of `client`'s, in the window it was made in: the work it paid for failed. */
  refund(client: string): void {
    const window = this.#windows.get(client);
    if (window !== undefined && window.endsAt > this.#now() && window.count > 0) window.count -= 1;
  }

  /** Clients remembered now. */
  get clients(): number {
    return this.#windows.size;
  }

  /** Drops ended windows, and if none had ended, the one that started first. */
  #forgetOldest(now: number): void {
    for (const [client, window] of this.#windows) {
      if (window.endsAt <= now) this.#windows.delete(client);
    }
    if (this.#windows.size < this.#maxClients) return;
    const oldest = this.#windows.keys().next();
    if (!oldest.done) this.#windows.delete(oldest.value);
  }
}

/**
 * A refusal says the quota in the IETF's fields as well as in words (draft-ietf-httpapi-ratelimit-headers-11,
 * structured fields): `RateLimit-Policy` names the policy, its quota `q` and its window `w` in seconds, and
 * `RateLimit` what is left of it, `r` (nothing), for `t` seconds (Retry-After's value). The window is
 * whole seconds, at least one, as the draft requires (tests shorten it below a second).
 */
const QUOTA_POLICY_NAME = '"compiles"';

export function quotaPolicy(quota: Pick<CompileQuota, 'limit' | 'windowMs'>): string {
  return `${QUOTA_POLICY_NAME};q=${quota.limit};w=${Math.max(1, Math.ceil(quota.windowMs / 1000))}`;
}

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Charges one compile (or release) to the request's client, or throws a 429 HttpError (with
     * Retry-After set) if the client is over its quota. Synchronous: call it right before the work it pays
     * for. Undefined when there is no quota, so that the routes skip the lookup that decides whether a
     * request would compile.
     */
    chargeCompile: ((request: FastifyRequest, reply: FastifyReply) => void) | undefined;
  }
  interface FastifyRequest {
    /** Whether this request has been charged a compile (and is refunded if it then fails). */
    compileCharged: boolean;
  }
}

async function compileQuotaPlugin(app: FastifyInstance, options: CompileQuotaOptions): Promise<void> {
  if (options.compilesPerMinute === 0) {
    app.decorate('chargeCompile', undefined);
    return;
  }
  const quota = new CompileQuota(options.compilesPerMinute, options.windowMs ?? 60_000);
  app.decorateRequest('compileCharged', false);
  const policy = quotaPolicy(quota);
  app.decorate('chargeCompile', (request: FastifyRequest, reply: FastifyReply) => {
    const retryAfter = quota.charge(request.ip);
    if (retryAfter === 0) {
      request.compileCharged = true;
      return;
    }
    reply.header('retry-after', String(retryAfter));
    reply.header('ratelimit-policy', policy);
    reply.header('ratelimit', `${QUOTA_POLICY_NAME};r=0;t=${retryAfter}`);
    throw new HttpError(
      429,
      `too many compiles from this client: at most ${quota.limit} per ${quota.windowMs / 1000} s; ` +
        `retry in ${retryAfter} s, or use adders that are already compiled`,
    );
  });
  // The work a charge pays for comes right after it, so an error after it means that work failed (no page
  // for it, every adder leased, the adder to release in use): a charge for nothing is taken back.
  app.addHook('onError', async (request) => {
    if (!request.compileCharged) return;
    request.compileCharged = false;
    quota.refund(request.ip);
  });
}

export default fp(compileQuotaPlugin, { name: 'babyjit-compile-quota', fastify: '5.x' });
