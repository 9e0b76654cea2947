/**
 * The explorer: a page at / that shows the JIT at work, byte by byte (web/, built into dist/web/ by
 * `npm run build`), with its modules, stylesheet and icon under /explorer/. The page uses the public API
 * like any client and loads nothing from outside the service, which its Content-Security-Policy enforces.
 * The policy is the explorer's alone: Swagger UI at /docs is another page, with its own needs
 * (response-headers.ts sets both).
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { limitQueuedLargeAnswers } from '../../connection-guard.js';
import { protectPage } from '../../response-headers.js';

/** The built front-end: dist/web/, beside dist/src/ (this file is dist/src/service/plugins/external/). */
export const EXPLORER_ROOT = fileURLToPath(new URL('../../../../web/', import.meta.url));

/** Where the explorer's assets are served. */
const EXPLORER_ASSETS = '/explorer/';

/**
 * Everything from the service itself, nothing inline (no script or style in the page, no style attribute,
 * no eval), no plugin, no framing by other sites, forms and fetches to the service only.
 */
export const EXPLORER_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

async function explorerPlugin(app: FastifyInstance): Promise<void> {
  await app.register(async (explorer) => {
    // Its modules are large answers like the documents: pipelined, they are bounded (connection-guard.ts).
    explorer.addHook('onRequest', limitQueuedLargeAnswers);
    protectPage(explorer, EXPLORER_CSP);
    await explorer.register(fastifyStatic, {
      root: EXPLORER_ROOT,
      prefix: EXPLORER_ASSETS,
      // One route per built file, listed at start: no catch-all route, so any other path is the service's
      // own 404 in its error shape. The page itself is served at / only.
      wildcard: false,
      index: false,
      globIgnore: ['index.html'],
      decorateReply: false,
    });
    // The page is read once and sent in one write, like the API's answers: Node's HTTP server gives up on
    // a request whose client half-closes its connection after sending it, and a file streamed from disk
    // (the modules under /explorer/) would then be dropped. It reads its state (?term=&x=&xs=) itself and
    // shows the API's message for a bad one, so any query is taken here: a shared link never lands on a
    // JSON error.
    const page = await readExplorerPage();
    explorer.get('/', { schema: { hide: true } }, (_request, reply) =>
      reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(page),
    );
  });
}

async function readExplorerPage(): Promise<Buffer> {
  const file = `${EXPLORER_ROOT}index.html`;
  try {
    return await readFile(file);
  } catch (error) {
    throw new Error(`the explorer is not built: cannot read ${file} (npm run build builds it)`, {
      cause: error,
    });
  }
}

export default fp(explorerPlugin, { name: 'babyjit-explorer', fastify: '5.x' });
