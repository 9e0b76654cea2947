/** The OpenAPI document, generated from the route schemas, at /openapi.json, and Swagger UI at /docs. */
import swagger, { type SwaggerTransform, type SwaggerTransformObject } from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { CONFIG_VARIABLES } from '../../../config.js';
import { limitQueuedLargeAnswers } from '../../connection-guard.js';
import { protectPage } from '../../response-headers.js';
import { NoQuery } from '../../schemas/common.js';

/** Where the service listens when HOST and PORT are not set. */
const DEFAULT_LOCAL_URL = `http://${CONFIG_VARIABLES.HOST.default}:${CONFIG_VARIABLES.PORT.default}`;

/**
 * Swagger UI's page: its scripts, styles and icons come from the service (the bundle sets styles through
 * the DOM, which CSP allows, and draws some icons as data: images), it fetches only the document and the
 * operations a person tries out, submits no form, and no other site may frame it (a page that runs
 * requests for whoever clicks must not be overlaid by another). test/system/browser/docs.test.ts checks
 * in Chromium that the policy blocks nothing the page uses.
 */
export const DOCS_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

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

interface DocumentedResponse {
  headers?: Record<string, unknown>;
}

/**
 * Every answer names its request in X-Request-Id (response-headers.ts): the header is described once in the
 * document's components, and every response of every operation refers to it, so that a route added later
 * cannot leave it out.
 */
const documentRequestIds: SwaggerTransformObject = (generated) => {
  // The service generates OpenAPI 3.1 (below), never Swagger 2.
  if (!('openapiObject' in generated)) return generated.swaggerObject;
  const document = generated.openapiObject as {
    components?: { headers?: Record<string, unknown> };
    paths?: Record<string, Record<string, { responses?: Record<string, DocumentedResponse> }>>;
  };
  document.components = {
    ...document.components,
    headers: {
      ...document.components?.headers,
      RequestId: {
        description:
          'The request’s id, under which the service logs it: the client’s own X-Request-Id if it is 1 to 64 ' +
          'characters from A–Z, a–z, 0–9 and `._:=+/-`, else the trace id of a valid W3C traceparent, else ' +
          'a new UUID. A 500’s message quotes it.',
        schema: { type: 'string', examples: ['5b0c1f2e-8a43-4d57-9d1a-1f0e6c8d2a77'] },
      },
    },
  };
  for (const operations of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(operations)) {
      for (const response of Object.values(operation.responses ?? {})) {
        response.headers = {
          'X-Request-Id': { $ref: '#/components/headers/RequestId' },
          ...response.headers,
        };
      }
    }
  }
  return generated.openapiObject;
};

async function docsPlugin(app: FastifyInstance, options: { version: string }): Promise<void> {
  await app.register(swagger, {
    // Shared schemas keep their $id as their name in components.schemas (ErrorResponse, not def-0).
    // HEAD routes too: the service's own (GET /adders, GET /adders/:n cost nothing as HEAD) and Fastify's.
    exposeHeadRoutes: true,
    transform: nameHeadOperations,
    transformObject: documentRequestIds,
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
    await documents.register(async (ui) => {
      protectPage(ui, DOCS_CSP);
      // BaseLayout: the page without Swagger UI's top bar, whose logo is an SVG with a <style> element
      // in it, which DOCS_CSP would block (and which a field to load other documents sits beside).
      await ui.register(swaggerUi, {
        routePrefix: '/docs',
        uiConfig: { tryItOutEnabled: false, layout: 'BaseLayout' },
      });
    });
    documents.get('/openapi.json', { schema: { hide: true, querystring: NoQuery } }, async () =>
      app.swagger(),
    );
  });
}

export default fp(docsPlugin, { name: 'babyjit-docs', fastify: '5.x' });
