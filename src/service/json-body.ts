/**
 * JSON request bodies, with every number taken as written. JSON.parse turns `4.9999999999999999` into 5,
 * `1.0` and `1e0` into 1 and `-2147483648.0000001` into -2147483648: the validator then sees integers the
 * client never wrote. The terms and inputs are integers, and nothing the client sends is truncated or
 * rounded, so a number written with a fraction or an exponent is refused (400, naming where it is),
 * whatever it parses to. `-0` is an integer as written, and reads as 0.
 *
 * The check needs the body's text: a search for every `.`, `e` or `E` that follows a digit, which any such
 * number has (strings can hold them too; only then does a scan that skips strings decide, and say where).
 * Then Fastify's own parser parses it, prototype-poisoning protection and all.
 *
 * An empty body is no body: a DELETE sent with `content-type: application/json` and nothing else is not an
 * error. Routes that need a body say so in their schema.
 */
import type { FastifyInstance } from 'fastify';
import { excerpt, QUOTED_INPUT_LENGTH } from '../jit/int32.js';
import { HttpError } from './errors.js';

/** What follows a digit in a number written with a fraction or an exponent: `.`, `e` or `E`. */
const NOT_INTEGER_MARKS = ['.', 'e', 'E'] as const;

/**
 * Whether a digit is followed by `.`, `e` or `E` anywhere in `text`: the only way a JSON number can be
 * written as a non-integer. String.indexOf per mark, not the regular expression /[0-9][.eE]/, which Node.js
 * 20 and 22 run many times slower over a large batch body (docs/decisions.md, "JSON numbers are taken as written").
 */
function digitBeforeMark(text: string): boolean {
  for (const mark of NOT_INTEGER_MARKS) {
    for (let at = text.indexOf(mark, 1); at !== -1; at = text.indexOf(mark, at + 1)) {
      const before = text.charCodeAt(at - 1);
      if (before >= 0x30 && before <= 0x39) return true;
    }
  }
  return false;
}

export interface NumberLocation {
  /**
   * Where the number is, as the validator names places (`/xs/3`, `/term`, or '' for the whole body), quoted
   * as any text of the client's is: the keys are the client's, so at most QUOTED_INPUT_LENGTH characters
   * of it, then an ellipsis, written as JSON writes a string's characters (`\n`, `\u0000`, `\"`).
   */
  path: string;
  /** The number as written. */
  text: string;
}

/**
 * The first number in `text` (JSON) written with a fraction or an exponent, and where it is; undefined if
 * every number is written as an integer. Malformed JSON is left to the parser: this only reads numbers.
 */
export function firstNonIntegerNumber(text: string): NumberLocation | undefined {
  if (!digitBeforeMark(text)) return undefined;
  // The path to the value being read: keys of objects, indices of arrays.
  const path: Array<string | number> = [];
  const containers: Array<'object' | 'array'> = [];
  let keyNext = false;
  let at = 0;
  while (at < text.length) {
    const char = text.charCodeAt(at);
    if (char === 0x22 /* " */) {
      let end = at + 1;
      while (end < text.length && text.charCodeAt(end) !== 0x22) end += text.charCodeAt(end) === 0x5c ? 2 : 1;
      if (keyNext) {
        path[path.length - 1] = readKey(text.slice(at, end + 1));
        keyNext = false;
      }
      at = end + 1;
      continue;
    }
    if (char === 0x7b /* { */) {
      containers.push('object');
      path.push('');
      keyNext = true;
    } else if (char === 0x5b /* [ */) {
      containers.push('array');
      path.push(0);
    } else if (char === 0x7d /* } */ || char === 0x5d /* ] */) {
      containers.pop();
      path.pop();
    } else if (char === 0x2c /* , */) {
      const index = path[path.length - 1];
      if (containers.at(-1) === 'array' && typeof index === 'number') path[path.length - 1] = index + 1;
      else keyNext = true;
    } else if (char === 0x2d /* - */ || (char >= 0x30 && char <= 0x39)) {
      let end = at + 1;
      while (end < text.length && /[0-9.eE+-]/.test(text.charAt(end))) end += 1;
      const number = text.slice(at, end);
      if (/[.eE]/.test(number)) return { path: pointerTo(path), text: number };
      at = end;
      continue;
    }
    at += 1;
  }
  return undefined;
}

/**
 * The JSON Pointer to `path` (RFC 6901, as the validator writes one: `~` and `/` in a key escaped), quoted
 * (see NumberLocation). Only the steps that can be quoted are joined: a 100,000-deep array of arrays makes
 * no 200 KB message.
 */
function pointerTo(path: ReadonlyArray<string | number>): string {
  let pointer = '';
  for (const key of path) {
    if (pointer.length > QUOTED_INPUT_LENGTH) break;
    pointer += `/${typeof key === 'number' ? key : key.replaceAll('~', '~0').replaceAll('/', '~1')}`;
  }
  return JSON.stringify(excerpt(pointer)).slice(1, -1);
}

function readKey(quoted: string): string {
  try {
    return String(JSON.parse(quoted));
  } catch {
    return quoted;
  }
}

/** Replaces Fastify's application/json parser with one that refuses non-integer numbers and empty is none. */
export function parseJsonBodiesAsWritten(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    if (text.length === 0) return done(null, undefined);
    const number = firstNonIntegerNumber(text);
    if (number !== undefined) {
      return done(
        new HttpError(
          400,
          `body${number.path} must be a JSON integer written as one, without a fraction or an exponent: ` +
            `got ${excerpt(number.text)}`,
        ),
        undefined,
      );
    }
    parse(request, text, done);
  });
}
