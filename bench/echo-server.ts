/**
 * The bound for binary batches in `npm run bench`: a plain Node.js HTTP server that answers a POST with the
 * very bytes it received, streamed back as they arrive, computing nothing. What babyjit's binary batches
 * cost beyond it is what the JIT's work and Fastify cost.
 *
 * Prints "Server listening at http://127.0.0.1:PORT" once it listens (PORT from the environment).
 */
import { createServer } from 'node:http';

const server = createServer((request, response) => {
  response.writeHead(200, {
    'content-type': 'application/octet-stream',
    'content-length': request.headers['content-length'] ?? '0',
  });
  request.pipe(response);
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  process.stdout.write(`Server listening at http://127.0.0.1:${port}\n`);
});
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => server.close());
