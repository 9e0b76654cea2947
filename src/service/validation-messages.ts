/**
 * Turns the validator's first complaint into a message a client can act on: which field, and what it
 * accepts. Fastify answers it as a 400 with the common error shape.
 */
import type { FastifySchemaValidationError } from 'fastify/types/schema.js';
import {
  DECIMAL_INTEGER_PATTERN,
  DECIMAL_INTEGER_RULE,
  excerpt,
  INT32_MAX,
  INT32_MIN,
} from '../jit/int32.js';
import { DECIMAL_COUNT_PATTERN } from './schemas/common.js';

function describe(error: FastifySchemaValidationError): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'pattern':
      if (params.pattern === DECIMAL_INTEGER_PATTERN) {
        return `must be a decimal integer from ${INT32_MIN} to ${INT32_MAX} (${DECIMAL_INTEGER_RULE})`;
      }
      if (params.pattern === DECIMAL_COUNT_PATTERN) {
        return 'must be a decimal integer from 0 (digits without a leading zero)';
      }
      return error.message ?? 'is malformed';
    case 'required':
      return `must have the property '${String(params.missingProperty)}'`;
    case 'additionalProperties':
      return `must not have the property ${JSON.stringify(excerpt(String(params.additionalProperty)))}`;
    case 'type':
      return params.type === 'string'
        ? 'must be given exactly once, as a decimal integer'
        : `must be ${params.type === 'integer' ? 'a JSON integer' : `of type ${String(params.type)}`}`;
    case 'minimum':
    case 'maximum':
      return `must be from ${INT32_MIN} to ${INT32_MAX}`;
    case 'minLength':
      return 'must not be empty';
    case 'maxLength':
      return `must be at most ${String(params.limit)} characters long`;
    default:
      return error.message ?? 'is invalid';
  }
}

export function formatValidationError(errors: FastifySchemaValidationError[], dataVar: string): Error {
  const [first] = errors;
  if (first === undefined) return new Error(`${dataVar} is invalid`);
  const field = `${dataVar}${first.instancePath}`;
  return new Error(`${field} ${describe(first)}`);
}
