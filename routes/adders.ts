/**
 * The adders resource. Each handler validates through its schema, parses path and query integers
 * strictly, and talks to the registry only; the registry decides whether a request compiles or hits.
 *
 * The handlers are synchronous (the JIT never waits): Fastify sends a returned value at once, where an
 * async handler would cost a promise and a microtask turn on every request (see docs/benchmarks.md).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { disassemble, toHex } from '../src/jit/decode.js';
import { parseDecimalInt32 } from '../src/jit/int32.js';
import type { Lookup } from '../src/jit/registry.js';
import { ADDER_PAGE_ENTRIES } from '../src/jit/x86-64/adder-page.js';
import { HttpError } from '../src/service/errors.js';
import { AdderCreated, AdderDetails, AdderSummary, RegistryStats } from '../src/service/schemas/adders.js';
import { DecimalInt32Text, errorResponses, Int32 } from '../src/service/schemas/common.js';
import { applyResultSerializerCompiler, batchResultSerializerCompiler } from '../src/service/serializers.js';

/** Response header saying whether this request found the adder compiled (`hit`) or compiled it. */
export const CACHE_HEADER = 'x-jit-cache';
export const MAX_BATCH = 10_000;

const TermParams = Type.Object({ n: DecimalInt32Text('The adder’s term', '5') });
const cacheHeader = {
  [CACHE_HEADER]: Type.Union([Type.Literal('hit'), Type.Literal('compile')], {
    description: '`hit` if the adder was already compiled, `compile` if this request compiled it',
  }),
};

function termOf(params: { n: string }): number {
  return parseDecimalInt32(params.n, 'params/n');
}

function markLookup(reply: FastifyReply, lookup: Lookup): void {
  reply.header(CACHE_HEADER, lookup);
}

const adders: FastifyPluginAsyncTypebox = async (app) => {
  /**
   * Charges the client's compile quota (plugins/app/compile-quota.ts) if `term` is not compiled, that is
   * if the registry call that follows will compile. Called after every input is checked, with nothing
   * awaited before that call, so that exactly the requests that compile are charged.
   */
  function chargeIfCompiling(term: number, request: FastifyRequest, reply: FastifyReply): void {
    const charge = app.chargeCompile;
    if (charge !== undefined && !app.jit.has(term)) charge(request, reply);
  }

  app.post(
    '/adders',
    {
      bodyLimit: 1024,
      schema: {
        tags: ['adders'],
        summary: 'Compile the adder for a term',
        description:
          'Compiles `term + x` into its own executable page. 201 with a Location the first time, 200 with ' +
          'the same body when the adder is already compiled.',
        body: Type.Object({ term: { ...Int32, examples: [5] } }, { additionalProperties: false }),
        response: {
          200: { ...AdderCreated, description: 'Already compiled', headers: cacheHeader },
          201: { ...AdderCreated, description: 'Compiled by this request', headers: cacheHeader },
          ...errorResponses(400, 413, 415, 429, 503),
        },
      },
    },
    (request, reply) => {
      const { term } = request.body;
      chargeIfCompiling(term, request, reply);
      const { lookup } = app.jit.compile(term);
      markLookup(reply, lookup);
      reply.header('location', `/adders/${term}`);
      if (lookup === 'compile') reply.code(201);
      const details = app.jit.describe(term);
      if (details === undefined) throw new Error(`adder ${term} vanished right after compiling`);
      return { term, code: toHex(details.code) };
    },
  );

  app.get(
    '/adders/:n/apply',
    {
      serializerCompiler: applyResultSerializerCompiler,
      schema: {
        tags: ['adders'],
        summary: 'Evaluate n + x',
        description:
          'Compiles the adder on the first request for n, then evaluates it. Sums wrap around at int32.',
        params: TermParams,
        querystring: Type.Object({ x: DecimalInt32Text('The input', '37') }, { additionalProperties: false }),
        response: {
          200: Type.Object(
            { term: Int32, x: Int32, result: { ...Int32, examples: [42] } },
            { headers: cacheHeader },
          ),
          ...errorResponses(400, 429, 503),
        },
      },
    },
    (request, reply) => {
      const term = termOf(request.params);
      const x = parseDecimalInt32(request.query.x, 'querystring/x');
      chargeIfCompiling(term, request, reply);
      const { result, lookup } = app.jit.apply(term, x);
      markLookup(reply, lookup);
      return { term, x, result };
    },
  );

  app.post(
    '/adders/:n/apply',
    {
      bodyLimit: 256 * 1024,
      serializerCompiler: batchResultSerializerCompiler,
      schema: {
        tags: ['adders'],
        summary: 'Evaluate n + x for many x',
        description: `Up to ${MAX_BATCH} inputs in one request, compiling the adder on first use.`,
        params: TermParams,
        body: Type.Object(
          { xs: Type.Array(Int32, { minItems: 1, maxItems: MAX_BATCH, examples: [[1, 2, 3]] }) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object(
            {
              term: Int32,
              // Documented as the array of integers it is sent as; typed as the Int32Array the handler
              // returns, which the route's serializer writes out as is (src/service/serializers.ts).
              results: Type.Unsafe<Int32Array>(Type.Array(Int32, { examples: [[6, 7, 8]] })),
            },
            { headers: cacheHeader },
          ),
          ...errorResponses(400, 413, 415, 429, 503),
        },
      },
    },
    (request, reply) => {
      const term = termOf(request.params);
      chargeIfCompiling(term, request, reply);
      const { results, lookup } = app.jit.applyAll(term, request.body.xs);
      markLookup(reply, lookup);
      return { term, results };
    },
  );

  app.get(
    '/adders',
    {
      schema: {
        tags: ['adders'],
        summary: 'List compiled adders and the registry’s counters',
        response: {
          200: Type.Object({
            stats: RegistryStats,
            adders: Type.Array(AdderSummary, { description: 'Least recently used first' }),
          }),
        },
      },
    },
    () => ({
      stats: app.jit.stats(),
      adders: app.jit.list().map((adder) => ({ ...adder, compiledAt: adder.compiledAt.toISOString() })),
    }),
  );

  app.get(
    '/adders/:n',
    {
      schema: {
        tags: ['adders'],
        summary: 'Describe a compiled adder: its machine code and disassembly',
        description: 'Reads the code back from the executable page and decodes it. Does not compile.',
        params: TermParams,
        response: { 200: AdderDetails, ...errorResponses(400, 404) },
      },
    },
    (request) => {
      const term = termOf(request.params);
      const details = app.jit.describe(term);
      if (details === undefined) throw new HttpError(404, `adder ${term} is not compiled`);
      return {
        term,
        calls: details.calls,
        compiledAt: details.compiledAt.toISOString(),
        code: toHex(details.code),
        entries: [...ADDER_PAGE_ENTRIES],
        disassembly: disassemble(details.code).map(({ offset, bytes, text }) => ({ offset, bytes, text })),
      };
    },
  );

  app.delete(
    '/adders/:n',
    {
      schema: {
        tags: ['adders'],
        summary: 'Release an adder: its page is unmapped',
        params: TermParams,
        response: { 204: Type.Null({ description: 'Released' }), ...errorResponses(400, 404) },
      },
    },
    (request, reply) => {
      const term = termOf(request.params);
      if (!app.jit.has(term)) throw new HttpError(404, `adder ${term} is not compiled`);
      // Releasing costs the adder's owner a recompile: it is charged like one (SECURITY.md).
      app.chargeCompile?.(request, reply);
      app.jit.release(term);
      reply.code(204).send(null);
    },
  );
};

export default adders;
