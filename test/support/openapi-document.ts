/** The served OpenAPI document, typed as far as the tests read it, and its operations. */
import type { TestApp } from './app.js';

/** A JSON Schema of the document (OpenAPI 3.1: the 2020-12 dialect with OpenAPI's own keywords). */
export type JsonSchema = Record<string, unknown>;

export interface OpenApiParameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema: JsonSchema;
  example?: unknown;
}

export interface OpenApiHeader {
  schema: JsonSchema;
  required?: boolean;
}

export interface OpenApiResponse {
  description?: string;
  headers?: Record<string, OpenApiHeader | { $ref: string }>;
  /** By media type. */
  content?: Record<string, { schema?: JsonSchema }>;
}

export interface OpenApiOperation {
  operationId?: string;
  parameters?: OpenApiParameter[];
  requestBody?: { required?: boolean; content: Record<string, { schema?: JsonSchema }> };
  responses: Record<string, OpenApiResponse>;
}

export interface OpenApiDocument {
  openapi: string;
  jsonSchemaDialect?: string;
  info: { license?: { name: string; identifier?: string } };
  servers?: Array<{ url: string; description?: string }>;
  security?: unknown[];
  components: {
    schemas?: Record<string, JsonSchema>;
    headers?: Record<string, OpenApiHeader>;
    securitySchemes?: unknown;
  };
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

/** A response's header as the document describes it, following a reference to `components.headers`. */
export function resolveHeader(
  document: OpenApiDocument,
  header: OpenApiHeader | { $ref: string },
): OpenApiHeader {
  if (!('$ref' in header)) return header;
  const name = /^#\/components\/headers\/(.+)$/.exec(header.$ref)?.[1];
  const resolved = name === undefined ? undefined : document.components.headers?.[name];
  if (resolved === undefined) throw new Error(`the document has no header ${header.$ref}`);
  return resolved;
}
