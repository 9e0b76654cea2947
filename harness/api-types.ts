/**
 * The explorer's types of the API, generated from the service's own OpenAPI document by openapi-typescript,
 * so that the answers the page reads are written once, in the route schemas (src/service/schemas/):
 * `npm run api-types` writes web/api-types.d.ts, and test/web/api-types.test.ts fails when that file is not
 * what the document says now.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import openapiTS from 'openapi-typescript';
import { isMainModule } from '../src/main-module.js';
import { buildApp } from '../src/service/app.js';

export const API_TYPES_FILE = fileURLToPath(new URL('../../web/api-types.d.ts', import.meta.url));

const HEADER = `/**
 * The API's types, generated from /openapi.json by openapi-typescript (\`npm run api-types\`): edit the
 * route schemas in src/service/schemas/, not this file. web/api.ts names the answers the page reads.
 */
`;

/** The file's text: the types of the document the service serves now. */
export async function apiTypes(): Promise<string> {
  const app = await buildApp({ maxEventLoopDelayMs: 0 });
  try {
    await app.ready();
    const document = app.swagger() as Parameters<typeof openapiTS>[0];
    const types = await openapiTS(document, { exportType: false });
    // The generator's own header says the same as ours; ours says where the schemas are.
    return HEADER + types.replace(/^\/\*\*[\s\S]*?\*\/\n+/, '');
  } finally {
    await app.close();
  }
}

if (isMainModule(import.meta.url)) writeFileSync(API_TYPES_FILE, await apiTypes());
