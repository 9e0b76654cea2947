/**
 * TypeBox schemas every route shares: the int32 domain in a body and in a path or query, and the one error
 * shape. Compiled once at start by Fastify's validator and serialiser, and the source of the handlers'
 * types and of the OpenAPI document.
 */
import { Type } from 'typebox';
import { DECIMAL_INTEGER_PATTERN, INT32_MAX, INT32_MIN } from '../../jit/int32.js';

/** A JSON integer within int32 (bodies): strings, floats, booleans and null do not pass. */
export const Int32 = Type.Integer({ minimum: INT32_MIN, maximum: INT32_MAX });

/**
 * An int32 written in canonical decimal (path and query). It stays a string through validation because
 * Fastify's coercion would turn "1e3", "0x10" or " 5" into numbers; the pattern refuses them, and the
 * route's parser checks the range. The range is in the pattern's description for the OpenAPI document.
 */
export const DecimalInt32Text = (description: string, example: string) =>
  Type.String({
    pattern: DECIMAL_INTEGER_PATTERN,
    minLength: 1,
    maxLength: 11,
    description: `${description}: a decimal integer from ${INT32_MIN} to ${INT32_MAX}`,
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

export const errorResponses = (...codes: number[]) =>
  Object.fromEntries(codes.map((code) => [code, Type.Ref('ErrorResponse')]));
