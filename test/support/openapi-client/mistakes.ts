/**
 * Calls the generated types must refuse: test/service/generated-client.test.ts type-checks this file
 * beside round-trip.ts and expects exactly one type error per mistake, so that a type-check that passes
 * everything (types generated as `any`, say) fails the test. Never run.
 */
import type { Client } from 'openapi-fetch';
import type { paths } from './api.js';

export async function mistakes(client: Client<paths>): Promise<unknown[]> {
  return [
    // compileAdder's body field is `term`.
    await client.POST('/adders', { body: { trm: 5 } }),
    // applyAdder's input `x` is required.
    await client.GET('/adders/{n}/apply', { params: { path: { n: '5' }, query: {} } }),
    // A path parameter is decimal text, not a number.
    await client.GET('/adders/{n}', { params: { path: { n: 5 } } }),
    // getLiveness answers `status`, nothing else.
    (await client.GET('/healthz')).data?.state,
  ];
}
