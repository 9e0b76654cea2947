/** Builds the app for a test and hands back a supertest agent on a real loopback port. */
import type { FastifyInstance } from 'fastify';
import supertest from 'supertest';
import { type AppOptions, buildApp } from '../../src/service/app.js';

export interface TestApp {
  app: FastifyInstance;
  http: ReturnType<typeof supertest>;
  close: () => Promise<void>;
}

/** Builds the app (`configure` may add hooks before it starts) and listens on a free loopback port. */
export async function startTestApp(
  options: AppOptions = {},
  configure?: (app: FastifyInstance) => void,
): Promise<TestApp> {
  const app = await buildApp(options);
  configure?.(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return {
    app,
    http: supertest(`http://127.0.0.1:${address.port}`),
    close: () => app.close(),
  };
}

/** Asserts the one error shape every failure has, and returns its message. */
export function errorMessage(body: unknown, statusCode: number): string {
  const error = body as Record<string, unknown>;
  if (
    Object.keys(error).sort().join(',') !== 'error,message,statusCode' ||
    error.statusCode !== statusCode ||
    typeof error.error !== 'string' ||
    typeof error.message !== 'string'
  ) {
    throw new Error(`not the error shape for ${statusCode}: ${JSON.stringify(body)}`);
  }
  return error.message;
}
