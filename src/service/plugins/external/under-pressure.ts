/**
 * Load shedding: when the event loop falls behind (its mean delay over a sample exceeds the limit), requests
 * get 503 with Retry-After at once instead of waiting in a queue that only grows. @fastify/under-pressure
 * measures the delay and refuses; the refusal goes through the errors plugin, so it has the one error shape.
 *
 * Registered in the scope of the adders routes only: liveness, readiness, metrics and the docs keep
 * answering under pressure, so that an orchestrator does not restart a busy instance and its operators can
 * still see why it is busy.
 */
import underPressure from '@fastify/under-pressure';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

export interface LoadSheddingOptions {
  /** Shed above this mean event-loop delay, in milliseconds (MAX_EVENT_LOOP_DELAY_MS); 0 turns it off. */
  maxEventLoopDelayMs: number;
  /** How often the delay is sampled; under-pressure's default is a second. Tests shorten it. */
  sampleIntervalMs?: number;
}

/** Seconds a shed client is told to wait: long enough for a sample or two to show the loop has caught up. */
export const SHED_RETRY_AFTER_SECONDS = 2;

async function loadSheddingPlugin(app: FastifyInstance, options: LoadSheddingOptions): Promise<void> {
  if (options.maxEventLoopDelayMs === 0) return;
  await app.register(underPressure, {
    maxEventLoopDelay: options.maxEventLoopDelayMs,
    sampleInterval: options.sampleIntervalMs,
    retryAfter: SHED_RETRY_AFTER_SECONDS,
    message: 'the service is overloaded (its event loop is falling behind); retry later',
  });
}

export default fp(loadSheddingPlugin, { name: 'babyjit-load-shedding', fastify: '5.x' });
