/**
 * A client generated from the served /openapi.json by tools nobody here wrote (openapi-typescript for the
 * types, openapi-fetch for the calls): the program in test/support/openapi-client type-checks against the
 * generated types with the project's TypeScript, the deliberate mistakes beside it do not, and the program
 * round-trips every operation of the document against the running service.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import openapiTS from 'openapi-typescript';
import { startTestApp, type TestApp } from '../support/app.js';
import { repoRoot, runCommand } from '../support/docker.js';
import { fetchOpenApiDocument, type OpenApiDocument, operationsOf } from '../support/openapi-document.js';

const CLIENT_SOURCES = join(repoRoot, 'test/support/openapi-client');

/** The compiler's options for the client: those a strict project of its own would use. */
const CLIENT_TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    lib: ['ES2022'],
    module: 'nodenext',
    moduleResolution: 'nodenext',
    types: ['node'],
    strict: true,
    noUncheckedIndexedAccess: true,
    skipLibCheck: true,
    verbatimModuleSyntax: true,
  },
  files: ['round-trip.ts', 'mistakes.ts'],
};

/** What tsc reports for mistakes.ts: one error per mistake, naming it. */
const EXPECTED_MISTAKES = [
  /TS2561: Object literal may only specify known properties, but 'trm' does not exist/,
  /TS2741: Property 'x' is missing/,
  /TS2322: Type 'number' is not assignable to type 'string'/,
  /TS2339: Property 'state' does not exist on type '\{ status: "ok"; \}'/,
];

/** The project's tsc on the client's tsconfig.json: its diagnostics, one a line (it emits all the same). */
async function typeCheck(directory: string): Promise<string[]> {
  const tsc = join(repoRoot, 'node_modules/.bin/tsc');
  const result = await runCommand(process.execPath, [tsc, '-p', directory, '--pretty', 'false']);
  // Exit status 2: diagnostics, and the files emitted anyway.
  if (result.code !== 0 && result.code !== 2) {
    throw new Error(`tsc exited with ${result.code}:\n${result.stdout}${result.stderr}`);
  }
  return result.stdout.split('\n').filter((line) => line.trim() !== '');
}

describe('a client generated from /openapi.json', () => {
  let t: TestApp;
  let document: OpenApiDocument;
  let directory: string;
  let diagnostics: string[];
  /** Each operation a request reached, as `METHOD /path` in the document's notation. */
  const reached = new Set<string>();

  before(async () => {
    t = await startTestApp({}, (app) => {
      app.addHook('onResponse', async (request) => {
        const route = request.routeOptions.url;
        if (route !== undefined) reached.add(`${request.method} ${route.replace(/:(\w+)/g, '{$1}')}`);
      });
    });
    document = await fetchOpenApiDocument(t);
    reached.clear();
    directory = mkdtempSync(join(tmpdir(), 'babyjit-client-'));
    const documentFile = join(directory, 'openapi.json');
    writeFileSync(documentFile, JSON.stringify(document));
    writeFileSync(join(directory, 'api.d.ts'), await openapiTS(pathToFileURL(documentFile)));
    for (const source of ['round-trip.ts', 'mistakes.ts']) {
      copyFileSync(join(CLIENT_SOURCES, source), join(directory, source));
    }
    writeFileSync(join(directory, 'tsconfig.json'), JSON.stringify(CLIENT_TSCONFIG));
    writeFileSync(join(directory, 'package.json'), JSON.stringify({ type: 'module' }));
    // openapi-fetch and @types/node, for the compiler and for the compiled program.
    symlinkSync(join(repoRoot, 'node_modules'), join(directory, 'node_modules'), 'dir');
    diagnostics = await typeCheck(directory);
  });
  after(async () => {
    rmSync(directory, { recursive: true, force: true });
    await t.close();
  });

  it('type-checks the client program, and reports each deliberate mistake as a type error', () => {
    // tsc names each file by its path from the repository's root, where it runs.
    const inMistakes = diagnostics.filter((line) => line.includes('/mistakes.ts('));
    const inProgram = diagnostics.filter((line) => !inMistakes.includes(line));
    assert.deepEqual(inProgram, [], 'the client program type-checks');
    assert.equal(inMistakes.length, EXPECTED_MISTAKES.length, inMistakes.join('\n'));
    for (const expected of EXPECTED_MISTAKES) {
      assert.ok(
        inMistakes.some((line) => expected.test(line)),
        `${expected} among:\n${inMistakes.join('\n')}`,
      );
    }
  });

  it('round-trips every operation of the document against the running service', async () => {
    const { roundTrip } = (await import(pathToFileURL(join(directory, 'round-trip.js')).href)) as {
      roundTrip: (baseUrl: string) => Promise<void>;
    };
    const { port } = t.app.server.address() as { port: number };
    await roundTrip(`http://127.0.0.1:${port}`);
    const operations = operationsOf(document).map(([operation]) => operation);
    assert.deepEqual([...reached].sort(), operations.sort(), 'the operations the client reached');
  });
});
