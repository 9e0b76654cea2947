/** The OpenAPI document, generated from the route schemas, at /openapi.json, and Swagger UI at /docs. */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { limitQueuedLargeAnswers } from '../../connection-guard.js';
import { NoQuery } from '../../schemas/common.js';

async function docsPlugin(app: FastifyInstance, options: { version: string }): Promise<void> {
  await app.register(swagger, {
    // Shared schemas keep their $id as their name in components.schemas (ErrorResponse, not def-0).
    // HEAD routes too: the service's own (GET /adders, GET /adders/:n cost nothing as HEAD) and Fastify's.
    exposeHeadRoutes: true,
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'babyjit',
        description:
          'JIT-as-a-service: compiles an x86-64 adder per term into its own executable page and evaluates ' +
          'it. Sums wrap around like 32-bit two’s-complement arithmetic.',
        version: options.version,
      },
      tags: [
        { name: 'adders', description: 'Compile, evaluate, inspect and release adders' },
        { name: 'health', description: 'Liveness and readiness' },
      ],
    },
  });
  // The documents are large answers: pipelined, they are bounded like the list (connection-guard.ts).
  await app.register(async (documents) => {
    documents.addHook('onRequest', limitQueuedLargeAnswers);
    await documents.register(swaggerUi, { routePrefix: '/docs', uiConfig: { tryItOutEnabled: false } });
    documents.get('/openapi.json', { schema: { hide: true, querystring: NoQuery } }, async () =>
      app.swagger(),
    );
  });
}

export default fp(docsPlugin, { name: 'babyjit-docs', fastify: '5.x' });
