/** The served OpenAPI document, typed as far as the tests read it, and its operations. */
import type { TestApp } from './app.js';

export interface OpenApiOperation {
  operationId?: string;
  responses: Record<string, { description?: string }>;
}

export interface OpenApiDocument {
  openapi: string;
  info: { license?: { name: string; identifier?: string } };
  servers?: Array<{ url: string; description?: string }>;
  security?: unknown[];
  components: { securitySchemes?: unknown };
  paths: Record<string, Record<string, OpenApiOperation>>;
}

export async function fetchOpenApiDocument(t: TestApp): Promise<OpenApiDocument> {
  return (await t.http.get('/openapi.json').expect(200)).body;
}

/** Every operation as `METHOD /path` (the document's path, `{n}` for a parameter) with its operation. */
export function operationsOf(document: OpenApiDocument): Array<[string, OpenApiOperation]> {
  return Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]): [string, OpenApiOperation] => [
      `${method.toUpperCase()} ${path}`,
      operation,
    ]),
  );
}
