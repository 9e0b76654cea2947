/** The explorer's API types are the service's OpenAPI document's, as generated now (harness/api-types.ts). */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { API_TYPES_FILE, apiTypes } from '../../harness/api-types.js';

describe('web/api-types.d.ts', () => {
  it('is what openapi-typescript makes of /openapi.json now (npm run api-types writes it again)', async () => {
    assert.equal(readFileSync(API_TYPES_FILE, 'utf8'), await apiTypes());
  });
});
