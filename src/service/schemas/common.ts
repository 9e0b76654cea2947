/**
 * TypeBox schemas every route shares: the int32 domain in a body and in a path or query, and the one error
 * shape. Compiled once at start by Fastify's validator and serialiser, and the source of the handlers'
 * types and of the OpenAPI document.
 */
import { type TSchema, Type } from 'typebox';
import { DECIMAL_INTEGER_PATTERN, DECIMAL_INTEGER_RULE, INT32_MAX, INT32_MIN } from '../../jit/int32.js';

/** A JSON integer within int32 (bodies): strings, floats, booleans and null do not pass. */
export const Int32 = Type.Integer({ minimum: INT32_MIN, maximum: INT32_MAX });

/**
 * An int32 written in canonical decimal (path and query). It stays a string through validation because
 * Fastify's coercion would turn "1e3", "0x10", " 5" or "007" into numbers; the pattern refuses them, and
 * the route's parser checks the range. The range is in the pattern's description for the OpenAPI document.
 */
export const DecimalInt32Text = (description: string, example: string) =>
  Type.String({
    pattern: DECIMAL_INTEGER_PATTERN,
    minLength: 1,
    maxLength: 11,
    description: `${description}: a decimal integer from ${INT32_MIN} to ${INT32_MAX} (${DECIMAL_INTEGER_RULE})`,
    examples: [example],
  });

export const ErrorResponse = Type.Object(
  {
    statusCode: Type.Integer({ examples: [400] }),
    error: Type.String({ examples: ['Bad Request'] }),
    message: Type.String({ examples: ['querystring/x must be a decimal integer'] }),
  },
  { $id: 'ErrorResponse', description: 'Every error has this shape' },
);

/** What each status means on any route that can answer it, for the OpenAPI document. */
const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'A request the service cannot take: malformed HTTP, or a parameter, query or body field it refuses (the message names it)',
  404: 'No such adder (it is not compiled)',
  408: 'The request did not arrive in full within the request timeout',
  411: 'A binary batch without a Content-Length',
  413: 'The body is larger than the route accepts',
  414: 'A path segment longer than 64 characters',
  415: 'A body in a content type the route does not take',
  409: 'The adder is in use by a streamed binary batch; it can be released once that ends',
  417: 'An Expect header other than 100-continue',
  429: 'The client is over its compile quota; Retry-After says when it may compile again',
  431: 'The request headers are larger than the server accepts',
  500: 'A fault of the service itself; the details are in its log',
  503: 'Overloaded, out of memory for a new page, every adder in use by streamed batches, or shutting down; retry after Retry-After',
};

const RetryAfter = (description: string) =>
  Type.Integer({ minimum: 1, description: `Seconds to wait before retrying: ${description}`, examples: [2] });

/** The headers an error answer has beyond those of every answer, by status. */
const ERROR_HEADERS: Record<number, Record<string, TSchema>> = {
  429: {
    'Retry-After': RetryAfter('until the client’s quota window ends'),
    'RateLimit-Policy': Type.String({
      description:
        'The compile quota, as draft-ietf-httpapi-ratelimit-headers-11 writes it: the policy `"compiles"`, ' +
        'its quota `q` (compiles and releases per client) and window `w` (seconds)',
      examples: ['"compiles";q=100;w=60'],
    }),
    RateLimit: Type.String({
      description:
        'What is left of the quota (draft-ietf-httpapi-ratelimit-headers-11): `r=0` compiles for the next ' +
        '`t` seconds, the same as Retry-After',
      examples: ['"compiles";r=0;t=42'],
    }),
  },
  503: { 'Retry-After': RetryAfter('2 when overloaded, 1 otherwise') },
};

/** Statuses any request can get, whatever its route: the HTTP layer's refusals and the service's faults. */
const EVERY_ROUTE = [400, 408, 417, 431, 500];

/** The error responses of a route: `codes` of its own, and those every route can answer. */
export const errorResponses = (...codes: number[]) =>
  Object.fromEntries(
    [...new Set([...codes, ...EVERY_ROUTE])]
      .sort((a, b) => a - b)
      .map((code) => [
        code,
        Type.Ref('ErrorResponse', {
          description: ERROR_DESCRIPTIONS[code],
          ...(ERROR_HEADERS[code] ? { headers: ERROR_HEADERS[code] } : {}),
        }),
      ]),
  );

/** A query that takes no parameter: any given is refused (400), as the README promises. */
export const NoQuery = Type.Object({}, { additionalProperties: false });

/** A count written in canonical decimal: digits without a leading zero (`0100` is refused). */
export const DECIMAL_COUNT_PATTERN = '^(0|[1-9][0-9]*)$';

/** A non-negative decimal integer in a query, up to `maximum`; the route parses it strictly. */
export const DecimalCount = (description: string, maximum: number, example: string) =>
  Type.String({
    pattern: DECIMAL_COUNT_PATTERN,
    minLength: 1,
    maxLength: String(maximum).length,
    description: `${description}: a decimal integer from 0 to ${maximum} (digits without a leading zero)`,
    examples: [example],
  });
