/**
 * The baseline for `npm run bench`: bare Fastify with the same routes, the same schemas and the same
 * validation options as babyjit, computing `(n + x) | 0` in JavaScript, with no JIT, no metrics and no
 * logging. What babyjit costs beyond it is what the JIT, the registry and observability cost.
 *
 * Prints "Server listening at http://127.0.0.1:PORT" once it listens (PORT from the environment, 0 for
 * any free port).
 */

import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify from 'fastify';
import { toHex } from '../src/jit/hex.js';
import { parseDecimalInt32, wrappingAdd } from '../src/jit/int32.js';
import { X86_64 } from '../src/jit/x86-64/architecture.js';
import { applyAllSchema, applySchema, compileSchema } from '../src/service/schemas/adders.js';
import { ErrorResponse } from '../src/service/schemas/common.js';

const app = Fastify({
  logger: false,
  ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
}).withTypeProvider<TypeBoxTypeProvider>();
app.addSchema(ErrorResponse);

app.get('/adders/:n/apply', { schema: applySchema }, async (request) => {
  const term = parseDecimalInt32(request.params.n, 'params/n');
  const x = parseDecimalInt32(request.query.x, 'querystring/x');
  return { term, x, result: wrappingAdd(term, x) };
});

app.post('/adders/:n/apply', { bodyLimit: 256 * 1024, schema: applyAllSchema }, async (request) => {
  const term = parseDecimalInt32(request.params.n, 'params/n');
  const { xs } = request.body as { xs: number[] };
  // A plain array: the response schema's serializer refuses an Int32Array (a 500 for every batch).
  return { term, results: xs.map((x) => wrappingAdd(term, x)) };
});

app.post('/adders', { bodyLimit: 1024, schema: compileSchema }, async (request, reply) => {
  // The same bytes babyjit would map, encoded but never made executable.
  reply.code(201).header('location', `/adders/${request.body.term}`);
  return { term: request.body.term, code: toHex(X86_64.target('scalar').encodePage(request.body.term)) };
});

const address = await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
process.stdout.write(`Server listening at ${address}\n`);
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void app.close());
