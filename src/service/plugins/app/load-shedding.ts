/**
 * Load shedding: when the event loop falls behind (its mean delay over a sample exceeds the limit), requests
 * get 503 with Retry-After at once instead of waiting in a queue that only grows. The delay is Node's own
 * measure (perf_hooks.monitorEventLoopDelay), sampled on a timer; the refusal goes through the errors
 * plugin, so it has the one error shape.
 *
 * It replaced @fastify/under-pressure, which measures the delay the same way but also reads the process's
 * memory on every sample, with no option to turn that off: out of file descriptors, that read throws from
 * its timer and the uncaught error took the process down (docs/decisions.md, "Load shedding on Node's own
 * measure").
 *
 * Registered in the scope of the adders routes only: liveness, readiness, metrics and the docs keep
 * answering under pressure, so that an orchestrator does not restart a busy instance and its operators can
 * still see why it is busy.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import fp from 'fastify-plugin';
import { HttpError } from '../../errors.js';

export interface LoadSheddingOptions {
  /** Shed above this mean event-loop delay, in milliseconds (MAX_EVENT_LOOP_DELAY_MS); 0 turns it off. */
  maxEventLoopDelayMs: number;
  /** How often the delay is sampled: a second unless a test shortens it. */
  sampleIntervalMs?: number;
}

/** Seconds a shed client is told to wait: long enough for a sample or two to show the loop has caught up. */
export const SHED_RETRY_AFTER_SECONDS = 2;

/** The histogram's resolution, ms: its own timer's period, which the mean delay includes and is taken off. */
const RESOLUTION_MS = 10;

async function loadSheddingPlugin(app: FastifyInstance, options: LoadSheddingOptions): Promise<void> {
  const limit = options.maxEventLoopDelayMs;
  if (limit === 0) return;
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  let delayMs = 0;
  const sampler = setInterval(() => {
    // No sample at all in an interval means the loop was blocked throughout it.
    const mean = histogram.mean / 1e6 - RESOLUTION_MS;
    delayMs = Number.isNaN(mean) ? Number.POSITIVE_INFINITY : Math.max(0, mean);
    histogram.reset();
  }, options.sampleIntervalMs ?? 1_000);
  sampler.unref();
  app.addHook('onClose', async () => {
    clearInterval(sampler);
    histogram.disable();
  });
  app.addHook('onRequest', (_request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
    if (delayMs <= limit) {
      done();
      return;
    }
    reply.header('retry-after', String(SHED_RETRY_AFTER_SECONDS));
    done(new HttpError(503, 'the service is overloaded (its event loop is falling behind); retry later'));
  });
}

export default fp(loadSheddingPlugin, { name: 'babyjit-load-shedding', fastify: '5.x' });
