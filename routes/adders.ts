/**
 * The adders resource. Each handler's input is checked by its schema (src/service/schemas/adders.ts),
 * path and query integers are parsed strictly, and the handler talks to the registry only, which answers
 * in plain data; the registry decides whether a request compiles or hits. A description's instructions
 * come from the explainer (src/explain), given the code the registry read back.
 *
 * The handlers are synchronous (the JIT never waits): Fastify sends a returned value at once, where an
 * async handler would cost a promise and a microtask turn on every request.
 */

import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { InputError } from '../src/jit/errors.js';
import { toHex } from '../src/jit/hex.js';
import { parseDecimalInt32 } from '../src/jit/int32.js';
import type { Lookup } from '../src/jit/registry.js';
import { adderDescription } from '../src/service/adder-description.js';
import {
  acceptBinaryBatches,
  BINARY_BATCH_TYPE,
  BinaryBatchBody,
  InPlaceAdder,
} from '../src/service/binary-batch.js';
import { limitQueuedLargeAnswers } from '../src/service/connection-guard.js';
import { HttpError } from '../src/service/errors.js';
import {
  applyAllSchema,
  applySchema,
  CACHE_HEADER,
  compileSchema,
  DEFAULT_PAGE_LIMIT,
  describeSchema,
  headDescribeSchema,
  headListSchema,
  lifeSchema,
  listSchema,
  MAX_PAGE_LIMIT,
  MAX_PAGE_OFFSET,
  releaseSchema,
} from '../src/service/schemas/adders.js';
import { applyResultSerializerCompiler, batchResultSerializerCompiler } from '../src/service/serializers.js';

function termOf(params: { n: string }): number {
  return parseDecimalInt32(params.n, 'params/n');
}

/** A count from the query, from 0 to `maximum`, or `fallback` when absent. */
function countOf(text: string | undefined, field: string, maximum: number, fallback: number): number {
  if (text === undefined) return fallback;
  const value = parseDecimalInt32(text, field);
  if (value > maximum) throw new InputError(field, `${field} must be from 0 to ${maximum}, got ${value}`);
  return value;
}

/** The page of the list a query asks for: GET and HEAD refuse the same queries. */
function pageOf(query: { limit?: string; offset?: string }): { limit: number; offset: number } {
  return {
    limit: countOf(query.limit, 'querystring/limit', MAX_PAGE_LIMIT, DEFAULT_PAGE_LIMIT),
    offset: countOf(query.offset, 'querystring/offset', MAX_PAGE_OFFSET, 0),
  };
}

function markLookup(reply: FastifyReply, lookup: Lookup): void {
  reply.header(CACHE_HEADER, lookup);
}

/**
 * Answers a HEAD with a GET's status and content type and no body. No Content-Length either: it would be
 * the length of the GET's body, which a HEAD does not pay to compute.
 */
function answerHead(reply: FastifyReply): void {
  // An undefined payload skips the response schema's serializer and Fastify's Content-Length.
  reply.type('application/json; charset=utf-8').send(undefined as never);
}

/** The content types a batch may come in, as its schema declares them. */
const BATCH_TYPES = Object.keys(applyAllSchema.body.content).join(' or ');

function notCompiled(term: number): HttpError {
  return new HttpError(404, `adder ${term} is not compiled`);
}

export interface AdderRoutesOptions {
  /** The largest binary batch, in bytes (BINARY_BATCH_LIMIT_BYTES). */
  binaryBatchLimitBytes: number;
}

const adders: FastifyPluginAsyncTypebox<AdderRoutesOptions> = async (app, options) => {
  /**
   * Charges the client's compile quota (plugins/app/compile-quota.ts) if `term` is not compiled, that is
   * if the registry call that follows will compile. Called after every input is checked, with nothing
   * awaited before that call, so that exactly the requests that compile are charged.
   */
  function chargeIfCompiling(term: number, request: FastifyRequest, reply: FastifyReply): void {
    const charge = app.chargeCompile;
    if (charge !== undefined && !app.jit.has(term)) charge(request, reply);
  }

  app.post('/adders', { bodyLimit: 1024, schema: compileSchema }, (request, reply) => {
    const { term } = request.body;
    chargeIfCompiling(term, request, reply);
    const { lookup } = app.jit.compile(term);
    markLookup(reply, lookup);
    reply.header('location', `/adders/${term}`);
    if (lookup === 'compile') reply.code(201);
    const code = app.jit.codeOf(term);
    if (code === undefined) throw new Error(`adder ${term} vanished right after compiling`);
    return { term, code: toHex(code) };
  });

  app.get(
    '/adders/:n/apply',
    { serializerCompiler: applyResultSerializerCompiler, schema: applySchema },
    (request, reply) => {
      const term = termOf(request.params);
      const x = parseDecimalInt32(request.query.x, 'querystring/x');
      chargeIfCompiling(term, request, reply);
      const { result, lookup } = app.jit.apply(term, x);
      markLookup(reply, lookup);
      return { term, x, result };
    },
  );

  // The one route that takes binary bodies, in a scope of its own: Fastify's content type parsers are
  // encapsulated, so every other route answers application/octet-stream with 415 before reading a byte.
  await app.register(async (scope) => {
    const batches = scope.withTypeProvider<TypeBoxTypeProvider>();
    acceptBinaryBatches(batches, options.binaryBatchLimitBytes);
    batches.post(
      '/adders/:n/apply',
      { bodyLimit: 256 * 1024, serializerCompiler: batchResultSerializerCompiler, schema: applyAllSchema },
      (request, reply) => {
        const term = termOf(request.params);
        const body = request.body as { xs: number[] } | BinaryBatchBody | undefined;
        // Fastify picks the body's schema by its content type: a request with neither passes unchecked.
        if (body === undefined) throw new HttpError(400, `body must be given: send ${BATCH_TYPES}`);
        chargeIfCompiling(term, request, reply);
        if (body instanceof BinaryBatchBody) {
          const adder = new InPlaceAdder(app.jit, term, body.bytes, batches.heldResults);
          markLookup(reply, adder.start());
          reply.type(BINARY_BATCH_TYPE).header('content-length', body.bytes);
          return reply.send(adder.readFrom(body.stream));
        }
        const { results, lookup } = app.jit.applyAll(term, body.xs);
        markLookup(reply, lookup);
        return { term, results };
      },
    );
  });

  // A HEAD of its own (Fastify's would run the GET handler and drop the body): the answer's headers cost
  // nothing to give, whatever the registry holds.
  app.get(
    '/adders',
    { exposeHeadRoute: false, onRequest: limitQueuedLargeAnswers, schema: listSchema },
    (request) => {
      const { limit, offset } = pageOf(request.query);
      const stats = app.jit.stats();
      const more = limit > 0 && offset + limit < stats.live;
      return {
        stats,
        adders: app.jit
          .list(offset, limit)
          .map((adder) => ({ ...adder, compiledAt: adder.compiledAt.toISOString() })),
        page: {
          offset,
          limit,
          total: stats.live,
          next: more ? `/adders?offset=${offset + limit}&limit=${limit}` : null,
        },
      };
    },
  );
  app.head('/adders', { schema: headListSchema }, (request, reply) => {
    pageOf(request.query); // refuses the queries the GET refuses: the status is the GET's
    answerHead(reply);
  });

  app.get(
    '/adders/:n',
    { exposeHeadRoute: false, onRequest: limitQueuedLargeAnswers, schema: describeSchema },
    (request) => {
      const term = termOf(request.params);
      const details = app.jit.describe(term);
      if (details === undefined) throw notCompiled(term);
      return adderDescription(term, details);
    },
  );
  app.head('/adders/:n', { schema: headDescribeSchema }, (request, reply) => {
    const term = termOf(request.params);
    if (!app.jit.has(term)) throw notCompiled(term);
    answerHead(reply);
  });

  app.get('/adders/:n/life', { schema: lifeSchema }, (request) => {
    const term = termOf(request.params);
    const life = app.jit.life(term);
    if (life === undefined) throw new HttpError(404, `the service has no record of a page for adder ${term}`);
    return life;
  });

  app.delete('/adders/:n', { schema: releaseSchema }, (request, reply) => {
    const term = termOf(request.params);
    if (!app.jit.has(term)) throw notCompiled(term);
    // Releasing costs the adder's owner a recompile: it is charged like one (SECURITY.md).
    app.chargeCompile?.(request, reply);
    app.jit.release(term);
    reply.code(204).send(null);
  });
};

export default adders;
