/**
 * Requests generated with fast-check from an OpenAPI operation's schemas: its path and query parameters,
 * its body in each content type it declares (and in some it does not), and the framing of the body, with
 * values that are valid, on the schemas' boundaries, and invalid. Each request is the raw bytes of an
 * HTTP/1.1 request on a connection of its own.
 *
 * The generator knows the schema keywords the document uses, and throws on any other that constrains a
 * value: a schema it cannot honour fails the test instead of going untested.
 *
 * Every body is kept under 32 KiB, so that the whole request is written before the service can answer
 * it. The service may answer before reading a body (413 by its length, 414, 415, 417) and close the
 * connection; a client still writing then has its write fail (EPIPE, seen with a 4 MB body) or its
 * connection reset, which is not what this test is about.
 */
import fc from 'fast-check';
import type { JsonSchema, OpenApiOperation, OpenApiParameter } from './openapi-document.js';

export interface GeneratedRequest {
  /** The path with its parameters, and the query, percent-encoded. */
  target: string;
  headers: Array<[name: string, value: string]>;
  body: { bytes: Buffer; framing: 'length' | 'chunked' } | undefined;
}

/** The request's bytes, sent with `method` on a connection that closes after its answer. */
export function requestBytes(method: string, request: GeneratedRequest): Buffer {
  const { body } = request;
  const headers = [['Host', '127.0.0.1'], ['Connection', 'close'], ...request.headers];
  if (body?.framing === 'length') headers.push(['Content-Length', String(body.bytes.length)]);
  if (body?.framing === 'chunked') headers.push(['Transfer-Encoding', 'chunked']);
  const head = `${method} ${request.target} HTTP/1.1\r\n${headers.map(([name, value]) => `${name}: ${value}\r\n`).join('')}\r\n`;
  const parts: Buffer[] = [Buffer.from(head, 'latin1')];
  if (body?.framing === 'length') parts.push(body.bytes);
  if (body?.framing === 'chunked') {
    if (body.bytes.length > 0)
      parts.push(Buffer.from(`${body.bytes.length.toString(16)}\r\n`), body.bytes, Buffer.from('\r\n'));
    parts.push(Buffer.from('0\r\n\r\n'));
  }
  return Buffer.concat(parts);
}

/** Keywords that only describe a value; any keyword not here or among CONSTRAINTS stops the generator. */
const ANNOTATIONS = new Set(['description', 'examples', 'example', 'title', 'default']);
const CONSTRAINTS = new Set([
  'type',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'minItems',
  'maxItems',
  'minimum',
  'maximum',
  'pattern',
  'minLength',
  'maxLength',
  'const',
  'enum',
  'anyOf',
]);

function checkKeywords(schema: JsonSchema): void {
  for (const keyword of Object.keys(schema)) {
    if (!ANNOTATIONS.has(keyword) && !CONSTRAINTS.has(keyword)) {
      throw new Error(
        `the request generator does not know the keyword ${keyword}: teach it, or the schema is untested`,
      );
    }
  }
}

/** The longest array generated, unless it is the longest the schema allows. */
const SHORT_ARRAY = 16;

/** Values valid against `schema`, its bounds drawn often. */
export function validValues(schema: JsonSchema): fc.Arbitrary<unknown> {
  checkKeywords(schema);
  if ('const' in schema) return fc.constant(schema.const);
  if (Array.isArray(schema.enum)) return fc.constantFrom(...schema.enum);
  if (Array.isArray(schema.anyOf)) return fc.oneof(...(schema.anyOf as JsonSchema[]).map(validValues));
  switch (schema.type) {
    case 'integer': {
      const { min, max } = integerBounds(schema);
      return fc.oneof(fc.integer({ min, max }), fc.constantFrom(min, max, ...examplesOf(schema)));
    }
    case 'string':
      return validStrings(schema);
    case 'array': {
      const items = validValues(schemaAt(schema, 'items'));
      const minLength = numberAt(schema, 'minItems') ?? 0;
      const longest = numberAt(schema, 'maxItems');
      const short = fc.array(items, {
        minLength,
        maxLength: Math.min(longest ?? SHORT_ARRAY, minLength + SHORT_ARRAY),
      });
      if (longest === undefined || longest <= minLength + SHORT_ARRAY) return short;
      return fc.oneof(
        { weight: 4, arbitrary: short },
        fc.constant(filled(schemaAt(schema, 'items'), longest)),
      );
    }
    case 'object': {
      const properties = propertiesOf(schema);
      return fc.record(
        Object.fromEntries(Object.entries(properties).map(([name, inner]) => [name, validValues(inner)])),
        {
          requiredKeys: requiredOf(schema),
        },
      );
    }
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    default:
      throw new Error(`the request generator does not know the type ${String(schema.type)}`);
  }
}

/** Values that break `schema`: of another type, past its bounds, missing or adding properties. */
export function invalidValues(schema: JsonSchema): fc.Arbitrary<unknown> {
  checkKeywords(schema);
  const otherTypes = fc
    .constantFrom<unknown>(null, true, 'text', 1.5, -0.5, [], {})
    .filter((value) => !fitsType(schema, value));
  const broken: Array<fc.Arbitrary<unknown>> = [otherTypes];
  switch (schema.type) {
    case 'integer': {
      const { min, max } = integerBounds(schema);
      broken.push(fc.constantFrom(min - 1, max + 1, 2 ** 53, -(2 ** 53)));
      break;
    }
    case 'string':
      broken.push(invalidStrings(schema));
      break;
    case 'array': {
      const items = schemaAt(schema, 'items');
      const minItems = numberAt(schema, 'minItems') ?? 0;
      const maxItems = numberAt(schema, 'maxItems');
      if (minItems > 0) broken.push(fc.array(validValues(items), { maxLength: minItems - 1 }));
      if (maxItems !== undefined) broken.push(fc.constant(filled(items, maxItems + 1)));
      broken.push(
        fc
          .tuple(fc.array(validValues(items), { maxLength: 4 }), invalidValues(items))
          .map(([valid, bad]) => [...valid, bad]),
      );
      break;
    }
    case 'object': {
      const valid = validValues(schema) as fc.Arbitrary<Record<string, unknown>>;
      for (const name of requiredOf(schema)) {
        broken.push(
          valid.map((value) => Object.fromEntries(Object.entries(value).filter(([key]) => key !== name))),
        );
      }
      for (const [name, inner] of Object.entries(propertiesOf(schema))) {
        broken.push(fc.tuple(valid, invalidValues(inner)).map(([value, bad]) => ({ ...value, [name]: bad })));
      }
      if (schema.additionalProperties === false) {
        broken.push(
          fc
            .tuple(valid, unknownKeys, fc.jsonValue({ maxDepth: 1 }))
            .map(([value, key, extra]) => ({ ...value, [key]: extra })),
        );
      }
      break;
    }
  }
  return fc.oneof(...broken);
}

/**
 * An array of `length` copies of the shortest valid item (the integer nearest 0): the longest arrays stay
 * small on the wire (10,000 items in 20 KB; see the header).
 */
function filled(items: JsonSchema, length: number): unknown[] {
  if (items.type !== 'integer') throw new Error(`the request generator fills arrays of integers only`);
  const { min, max } = integerBounds(items);
  return Array.from({ length }, () => Math.min(Math.max(0, min), max));
}

/** Property names no schema here declares: short, long (the quoting rule), odd. */
const unknownKeys = fc.oneof(
  fc.string({ minLength: 1, maxLength: 12 }),
  fc.constantFrom('k'.repeat(5000), '\u0000\u001b[2J', 'a/b~c', '__proto__x', '😀'.repeat(20)),
);

/**
 * Texts at the edges of every decimal parameter the service takes: int32's bounds and one past, the list's
 * bounds, and what is not a canonical decimal. Offered to every string parameter, whatever its pattern.
 */
const EDGE_TEXTS = [
  '0',
  '-1',
  '2147483647',
  '-2147483648',
  '2147483648',
  '-2147483649',
  '1000',
  '1001',
  '1048576',
  '1048577',
  '007',
  '-0',
  '+5',
  '1e3',
  '0x10',
  ' 5',
  '5.0',
  '',
];

function validStrings(schema: JsonSchema, examples: unknown[] = []): fc.Arbitrary<string> {
  const minLength = numberAt(schema, 'minLength') ?? 0;
  const maxLength = numberAt(schema, 'maxLength') ?? 64;
  const fits = (text: string) => text.length >= minLength && text.length <= maxLength;
  const pattern = typeof schema.pattern === 'string' ? new RegExp(schema.pattern) : undefined;
  const matching =
    pattern === undefined ? fc.string({ minLength, maxLength }) : fc.stringMatching(pattern).filter(fits);
  const edges = [...EDGE_TEXTS, ...examplesOf(schema), ...examples]
    .filter((text): text is string => typeof text === 'string')
    .filter((text) => fits(text) && (pattern?.test(text) ?? true));
  return edges.length === 0 ? matching : fc.oneof(matching, fc.constantFrom(...edges));
}

function invalidStrings(schema: JsonSchema): fc.Arbitrary<string> {
  const maxLength = numberAt(schema, 'maxLength') ?? 64;
  return fc.oneof(
    fc.constantFrom(...EDGE_TEXTS, '9'.repeat(maxLength), '9'.repeat(maxLength + 1), '1'.repeat(65), '😀'),
    fc.string({ maxLength: 12, unit: 'grapheme' }),
  );
}

/** A parameter's value: valid, or in `mixed` requests also on an edge, invalid or absent. */
function parameterValues(parameter: OpenApiParameter, mixed: boolean): fc.Arbitrary<string | undefined> {
  checkKeywords(parameter.schema);
  if (parameter.schema.type !== 'string')
    throw new Error(`parameter ${parameter.name} is not a string: teach the generator`);
  const valid = validStrings(parameter.schema, [parameter.example]);
  const absent = fc.constant(undefined);
  if (!mixed) return parameter.required ? valid : fc.oneof(valid, absent);
  return fc.oneof({ weight: 3, arbitrary: valid }, invalidValues(parameter.schema).map(String), absent);
}

/** The path with its parameters and the query, percent-encoded; an absent path parameter is empty. */
function targetOf(
  path: string,
  values: Record<string, string | undefined>,
  query: Array<[string, string]>,
): string {
  const withValues = path.replace(/\{(\w+)\}/g, (_match, name: string) =>
    encodeURIComponent(values[name] ?? ''),
  );
  const search = query
    .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`)
    .join('&');
  return search === '' ? withValues : `${withValues}?${search}`;
}

/** Content types beside those an operation declares: each of the service's, and some no route takes. */
const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/octet-stream',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/jsonx',
];

/** Bodies for a content type an operation does not declare: small (see the header). */
const strayBodies = fc.oneof(
  fc.json({ maxDepth: 2 }).map((text) => Buffer.from(text)),
  fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
);

/** `5` written as `5.0` in a JSON text (its first integer in an array or after a key): refused as written. */
function withFraction(text: string): string {
  return text.replace(/([:[,]\s*-?\d+)(?=\s*[,\]}])/, '$1.0');
}

/** JSON bodies for `schema`: valid, invalid, numbers written as fractions, malformed, deep and odd. */
function jsonBodies(schema: JsonSchema): fc.Arbitrary<Buffer> {
  const texts = fc.oneof(
    { weight: 4, arbitrary: validValues(schema).map((value) => JSON.stringify(value)) },
    { weight: 3, arbitrary: invalidValues(schema).map((value) => JSON.stringify(value)) },
    { weight: 1, arbitrary: validValues(schema).map((value) => withFraction(JSON.stringify(value))) },
    { weight: 1, arbitrary: fc.json({ maxDepth: 3 }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '',
        '{',
        'null',
        '{"a":1,"a":2}',
        '{"__proto__":{"x":1}}',
        `{"k":${'['.repeat(5000)}1.5${']'.repeat(5000)}}`,
        `{"${'\\u0061'.repeat(2000)}":1.5}`,
        `{"pad":"${'x'.repeat(30_000)}"}`,
      ),
    },
  );
  return texts.map((text) => Buffer.from(text));
}

/** Binary batches: whole int32s mostly, then lengths that are not (and an empty one). */
const octetBodies = fc
  .oneof(
    {
      weight: 3,
      arbitrary: fc
        .integer({ min: 1, max: 20 })
        .chain((values) => fc.uint8Array({ minLength: 4 * values, maxLength: 4 * values })),
    },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 80 }) },
  )
  .map((bytes) => Buffer.from(bytes));

function bodiesOf(mediaType: string, schema: JsonSchema | undefined): fc.Arbitrary<Buffer> {
  if (mediaType === 'application/json') return jsonBodies(schema ?? {});
  if (mediaType === 'application/octet-stream') return octetBodies;
  throw new Error(`the request generator does not know the media type ${mediaType}`);
}

/** Requests for `method path`, the operation `operation`: valid ones, and mixed ones with every kind of fault. */
export function requestsFor(
  path: string,
  method: string,
  operation: OpenApiOperation,
): fc.Arbitrary<GeneratedRequest> {
  return fc.oneof(
    { weight: 2, arbitrary: requests(path, method, operation, false) },
    { weight: 3, arbitrary: requests(path, method, operation, true) },
  );
}

function requests(
  path: string,
  method: string,
  operation: OpenApiOperation,
  mixed: boolean,
): fc.Arbitrary<GeneratedRequest> {
  const parameters = operation.parameters ?? [];
  for (const parameter of parameters) {
    if (parameter.in !== 'path' && parameter.in !== 'query')
      throw new Error(`a parameter in ${parameter.in}: teach the generator`);
  }
  const values = fc.record(
    Object.fromEntries(
      parameters.map((parameter) => [`${parameter.in} ${parameter.name}`, parameterValues(parameter, mixed)]),
    ),
  );
  // An unknown query parameter, or a known one twice.
  const extraQuery: fc.Arbitrary<Array<[string, string]>> = mixed
    ? fc
        .option(
          fc.oneof(
            fc.tuple(fc.string({ minLength: 1, maxLength: 8 }), fc.string({ maxLength: 8 })),
            ...parameters
              .filter((parameter) => parameter.in === 'query')
              .map((parameter) => fc.constant<[string, string]>([parameter.name, '1'])),
          ),
          { nil: undefined },
        )
        .map((extra) => (extra === undefined ? [] : [extra]))
    : fc.constant([]);
  const noHeaders: Array<[string, string]> = [];
  const expect: fc.Arbitrary<Array<[string, string]>> = mixed
    ? fc.oneof(
        { weight: 9, arbitrary: fc.constant(noHeaders) },
        fc.constant<Array<[string, string]>>([['Expect', '200-ok']]),
      )
    : fc.constant(noHeaders);
  return fc
    .tuple(values, extraQuery, bodyAndType(method, operation, mixed), expect)
    .map(([given, extra, [contentType, body], expectation]) => {
      const pathValues: Record<string, string | undefined> = {};
      const query: Array<[string, string]> = [];
      for (const parameter of parameters) {
        const value = given[`${parameter.in} ${parameter.name}`];
        if (parameter.in === 'path') pathValues[parameter.name] = value;
        else if (value !== undefined) query.push([parameter.name, value]);
      }
      const headers: Array<[string, string]> = [...expectation];
      if (contentType !== undefined) headers.push(['Content-Type', contentType]);
      return { target: targetOf(path, pathValues, [...query, ...extra]), headers, body };
    });
}

type BodyAndType = [contentType: string | undefined, body: GeneratedRequest['body']];

function bodyAndType(method: string, operation: OpenApiOperation, mixed: boolean): fc.Arbitrary<BodyAndType> {
  const declared = Object.entries(operation.requestBody?.content ?? {});
  const framing = mixed
    ? fc.constantFrom<'length' | 'chunked'>('length', 'length', 'chunked')
    : fc.constant<'length'>('length');
  const typed = (contentType: string, bodies: fc.Arbitrary<Buffer>) =>
    fc.tuple(bodies, framing).map(([bytes, how]): BodyAndType => [contentType, { bytes, framing: how }]);
  const declaredBodies = declared.map(([mediaType, { schema }]) =>
    typed(mediaType, bodiesOf(mediaType, schema)),
  );
  const stray = fc
    .constantFrom(...CONTENT_TYPES.filter((type) => !declared.some(([mediaType]) => mediaType === type)))
    .chain((type) => typed(type, strayBodies));
  if (method === 'GET' || method === 'HEAD') {
    // No body (a HEAD is sent as its GET too); a content type is ignored.
    return mixed
      ? fc
          .option(fc.constantFrom(...CONTENT_TYPES), { nil: undefined })
          .map((type): BodyAndType => [type, undefined])
      : fc.constant([undefined, undefined]);
  }
  const none = fc.constant<BodyAndType>([undefined, undefined]);
  const untyped = fc
    .tuple(strayBodies, framing)
    .map(([bytes, how]): BodyAndType => [undefined, { bytes, framing: how }]);
  const typeAlone = fc.constantFrom(...CONTENT_TYPES).map((type): BodyAndType => [type, undefined]);
  if (declaredBodies.length === 0) return mixed ? fc.oneof(none, stray, untyped, typeAlone) : none;
  return mixed
    ? fc.oneof({ weight: 4, arbitrary: fc.oneof(...declaredBodies) }, stray, untyped, typeAlone, none)
    : fc.oneof(...declaredBodies);
}

function integerBounds(schema: JsonSchema): { min: number; max: number } {
  return {
    min: numberAt(schema, 'minimum') ?? -(2 ** 53) + 1,
    max: numberAt(schema, 'maximum') ?? 2 ** 53 - 1,
  };
}

function numberAt(schema: JsonSchema, keyword: string): number | undefined {
  const value = schema[keyword];
  return typeof value === 'number' ? value : undefined;
}

function schemaAt(schema: JsonSchema, keyword: string): JsonSchema {
  const inner = schema[keyword];
  if (inner === null || typeof inner !== 'object') throw new Error(`${keyword} is not a schema`);
  return inner as JsonSchema;
}

function propertiesOf(schema: JsonSchema): Record<string, JsonSchema> {
  return (schema.properties ?? {}) as Record<string, JsonSchema>;
}

function requiredOf(schema: JsonSchema): string[] {
  return (schema.required ?? []) as string[];
}

function examplesOf(schema: JsonSchema): unknown[] {
  return Array.isArray(schema.examples) ? schema.examples : [];
}

/** Whether `value` has the type `schema` names (no type: any). */
function fitsType(schema: JsonSchema, value: unknown): boolean {
  switch (schema.type) {
    case undefined:
      return true;
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number';
    case 'array':
      return Array.isArray(value);
    case 'object':
      return value !== null && typeof value === 'object' && !Array.isArray(value);
    case 'null':
      return value === null;
    default:
      return typeof value === schema.type;
  }
}
