/**
 * What this build of the service is: the version package.json gives, and the runtime it runs on. Logged at
 * start (server.ts), exported as the `babyjit_build_info` metric (observability/metrics.ts) and given as
 * the OpenAPI document's version (service/plugins/external/swagger.ts).
 */
import { readFileSync } from 'node:fs';

export interface BuildInfo {
  version: string;
  /** The runtime and its version, e.g. `node v26.12.1`. */
  runtime: string;
}

// dist/src/build-info.js → the package's root, as in the image (/app/dist/src, /app/package.json).
const packageJson = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

export const BUILD_INFO: BuildInfo = {
  version: packageJson.version,
  runtime: `${process.release.name} ${process.version}`,
};
