/**
 * The explorer's client of the public API: the same routes and JSON as any client (README, /openapi.json).
 * The answers' types are the document's own, generated into api-types.d.ts (harness/api-types.ts).
 *
 * What a person types goes to the API as typed, so that bad input gets the API's own message: a term or an
 * input that is not a number is sent as a JSON string (the API answers "must be a JSON integer") rather than
 * refused here, and numbers keep their spelling (`1e3` is refused by the API, naming why).
 */

import type { operations } from './api-types.js';

/** The JSON body of an operation's answer with `status`, as /openapi.json says it (api-types.ts). */
type Body<
  Operation extends keyof operations,
  Status extends keyof operations[Operation]['responses'],
> = operations[Operation]['responses'][Status] extends { content: { 'application/json': infer Json } }
  ? Json
  : never;

export type AdderDetails = Body<'describeAdder', 200>;
export type Instruction = AdderDetails['disassembly'][number];
export type EncodingField = Instruction['fields'][number];
export type FieldKind = EncodingField['kind'];
export type PageLife = Body<'getAdderLife', 200>;
export type PageStep = PageLife['steps'][number];
export type Protection = PageStep['protection'];
export type AdderList = Body<'listAdders', 200>;
export type AdderSummary = AdderList['adders'][number];
export type RegistryStats = AdderList['stats'];

/** The x-jit-cache header: whether the request found the adder compiled. */
export type CacheLookup = 'compile' | 'hit';

export interface Answer<T> {
  status: number;
  body: T;
  cache: CacheLookup | null;
  /**
   * The x-jit-replica header: behind the sharding proxy (deploy/haproxy), the replica that answered; each
   * replica has a registry of its own. Null from a single process.
   */
  replica: string | null;
}

/** An answer in the API's error shape, or no answer at all (status 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

async function call<T>(method: string, path: string, body?: string): Promise<Answer<T>> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      cache: 'no-store',
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body }),
    });
  } catch {
    throw new ApiError(0, 'The service did not answer: is it still running?');
  }
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {
    // Not the service's JSON (a proxy's error page, say): the status says what is known.
    throw new ApiError(response.status, `${response.status} ${response.statusText}`);
  }
  if (!response.ok) {
    const message = (parsed as { message?: unknown } | null)?.message;
    throw new ApiError(response.status, typeof message === 'string' ? message : response.statusText);
  }
  const cache = response.headers.get('x-jit-cache');
  return {
    status: response.status,
    body: parsed as T,
    cache: cache === 'compile' || cache === 'hit' ? cache : null,
    replica: response.headers.get('x-jit-replica'),
  };
}

/** A JSON value for what was typed: a number-like text as written, anything else as a string. */
function jsonValueOf(text: string): string {
  return /^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$/.test(text) ? text : JSON.stringify(text);
}

/** The inputs of a batch as typed, separated by commas or spaces. */
export function splitInputs(text: string): string[] {
  return text.split(/[\s,]+/).filter((input) => input !== '');
}

const adderPath = (term: string | number) => `/adders/${encodeURIComponent(String(term))}`;

export const compileAdder = (term: string) =>
  call<{ term: number; code: string }>('POST', '/adders', `{"term":${jsonValueOf(term.trim())}}`);

export const describeAdder = (term: number) => call<AdderDetails>('GET', adderPath(term));

export const lifeOf = (term: number) => call<PageLife>('GET', `${adderPath(term)}/life`);

export const applyAdder = (term: string, x: string) =>
  call<{ term: number; x: number; result: number }>(
    'GET',
    `${adderPath(term.trim())}/apply?x=${encodeURIComponent(x.trim())}`,
  );

export const applyAdderToAll = (term: string, xs: string) =>
  call<{ term: number; results: number[] }>(
    'POST',
    `${adderPath(term.trim())}/apply`,
    `{"xs":[${splitInputs(xs).map(jsonValueOf).join(',')}]}`,
  );

export const listAdders = (offset: number, limit: number) =>
  call<AdderList>('GET', `/adders?offset=${offset}&limit=${limit}`);

export const releaseAdder = (term: number) => call<null>('DELETE', adderPath(term));
