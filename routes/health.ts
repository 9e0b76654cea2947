/** Liveness and readiness, for Docker's HEALTHCHECK and Kubernetes' probes. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { HttpError } from '../src/service/errors.js';
import { errorResponses, NoQuery } from '../src/service/schemas/common.js';

const health: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/healthz',
    {
      schema: {
        tags: ['health'],
        summary: 'The process is alive',
        querystring: NoQuery,
        response: {
          200: Type.Object({ status: Type.Literal('ok', { examples: ['ok'] }) }),
          ...errorResponses(),
        },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        tags: ['health'],
        summary: 'The JIT self-test passed at start and the service is not shutting down',
        querystring: NoQuery,
        response: {
          200: Type.Object({ status: Type.Literal('ready', { examples: ['ready'] }) }),
          ...errorResponses(503),
        },
      },
    },
    async () => {
      if (!app.jitReady()) throw new HttpError(503, 'not ready: the service is shutting down');
      return { status: 'ready' as const };
    },
  );
};

export default health;
