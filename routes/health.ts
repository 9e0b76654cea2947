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
        operationId: 'getLiveness',
        summary: 'The process is alive',
        description:
          'Answers 200 whenever the process answers at all, and checks nothing more: load shedding and ' +
          'the compile quota do not apply to it.',
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
        operationId: 'getReadiness',
        summary: 'The JIT self-test passed at start and the service is not shutting down',
        description:
          'Answers 200 once the service has started, which it does only if the JIT self-test passed, and ' +
          '503 from the moment it begins shutting down, so that load balancers stop sending it requests.',
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
