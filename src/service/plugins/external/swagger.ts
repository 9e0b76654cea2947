/** The OpenAPI document, generated from the route schemas, at /openapi.json, and Swagger UI at /docs. */
import swagger, { type SwaggerTransform } from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { CONFIG_VARIABLES } from '../../../config.js';
import { limitQueuedLargeAnswers } from '../../connection-guard.js';
import { NoQuery } from '../../schemas/common.js';

/** Where the service listens when HOST and PORT are not set. */
const DEFAULT_LOCAL_URL = `http://${CONFIG_VARIABLES.HOST.default}:${CONFIG_VARIABLES.PORT.default}`;

/**
 * Names every HEAD operation for what it does. @fastify/swagger appends `-head` to a HEAD route's
 * operationId, so that the HEAD Fastify adds for a GET (exposeHeadRoute) does not repeat the GET's id;
 * instead, a HEAD route of our own keeps the `head…` id its schema gives it, and the HEAD of a GET is named
 * `head` and the GET's name without its `get` (getLiveness → headLiveness, applyAdder → headApplyAdder).
 */
const nameHeadOperations: SwaggerTransform = ({ schema, url, route }) => {
  const declared = schema?.operationId;
  if (route.method !== 'HEAD' || declared === undefined) return { schema, url };
  const id = declared.replace(/-head$/, '');
  const headId = id.startsWith('head') ? id : `head${capitalized(id.replace(/^get/, ''))}`;
  return { schema: { ...schema, operationId: headId }, url };
};

function capitalized(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

async function docsPlugin(app: FastifyInstance, options: { version: string }): Promise<void> {
  await app.register(swagger, {
    // Shared schemas keep their $id as their name in components.schemas (ErrorResponse, not def-0).
    // HEAD routes too: the service's own (GET /adders, GET /adders/:n cost nothing as HEAD) and Fastify's.
    exposeHeadRoutes: true,
    transform: nameHeadOperations,
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'babyjit',
        description:
          'JIT-as-a-service: compiles an x86-64 adder per term into its own executable page and evaluates ' +
          'it. Sums wrap around like 32-bit two’s-complement arithmetic. The API takes no credentials: ' +
          'every operation is open to any client that reaches the service.',
        version: options.version,
        // As package.json says (test/service/openapi.test.ts holds the two equal).
        license: { name: 'MIT', identifier: 'MIT' },
      },
      servers: [
        { url: '/', description: 'The service that serves this document' },
        { url: DEFAULT_LOCAL_URL, description: 'The service run locally with the default HOST and PORT' },
      ],
      // No authentication, said explicitly: no operation asks for a security scheme.
      security: [],
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
