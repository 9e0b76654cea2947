/**
 * The OpenAPI document as a contract clients generate code from: every operation named, and the document
 * clean under two linters nobody here wrote, with the configurations committed at the repository's root.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../support/app.js';
import { repoRoot } from '../support/docker.js';
import { fetchOpenApiDocument, type OpenApiDocument, operationsOf } from '../support/openapi-document.js';
import { type LintProblem, lintWithRedocly, lintWithSpectral } from '../support/openapi-lint.js';

/** Generated clients name their methods after these: changing one breaks every client's code. */
const OPERATION_IDS = {
  'GET /healthz': 'getLiveness',
  'HEAD /healthz': 'headLiveness',
  'GET /readyz': 'getReadiness',
  'HEAD /readyz': 'headReadiness',
  'POST /adders': 'compileAdder',
  'GET /adders': 'listAdders',
  'HEAD /adders': 'headAdders',
  'GET /adders/{n}/apply': 'applyAdder',
  'HEAD /adders/{n}/apply': 'headApplyAdder',
  'POST /adders/{n}/apply': 'applyAdderToMany',
  'GET /adders/{n}': 'describeAdder',
  'HEAD /adders/{n}': 'headAdder',
  'DELETE /adders/{n}': 'releaseAdder',
  'GET /adders/{n}/life': 'getAdderLife',
  'HEAD /adders/{n}/life': 'headAdderLife',
};

const listed = (problems: LintProblem[]) =>
  problems.map(({ severity, rule, at, message }) => `${severity} ${rule} at ${at}: ${message}`).join('\n');

describe('the OpenAPI document as a contract', () => {
  let t: TestApp;
  let document: OpenApiDocument;
  let directory: string;
  before(async () => {
    t = await startTestApp();
    document = await fetchOpenApiDocument(t);
    directory = mkdtempSync(join(tmpdir(), 'babyjit-openapi-'));
  });
  after(async () => {
    rmSync(directory, { recursive: true, force: true });
    await t.close();
  });

  it('names every operation with an operationId of its own, as listed', () => {
    const ids = operationsOf(document).map(([operation, { operationId }]) => [operation, operationId]);
    assert.deepEqual(Object.fromEntries(ids), OPERATION_IDS);
    assert.equal(new Set(ids.map(([, id]) => id)).size, ids.length, 'no two operations share an id');
  });

  it('declares described servers, the license package.json gives, and that no operation takes credentials', () => {
    const packageJson = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
    assert.equal(document.info.license?.identifier, packageJson.license);
    assert.deepEqual(
      document.servers?.map(({ url }) => url),
      ['/', 'http://127.0.0.1:3000'],
    );
    for (const server of document.servers ?? []) assert.ok(server.description, `${server.url} is described`);
    assert.deepEqual(document.security, []);
    assert.equal(document.components.securitySchemes, undefined);
  });

  it('is OpenAPI 3.1 with no problem under Redocly’s recommended rules and Spectral’s spectral:oas', async () => {
    assert.equal(document.openapi, '3.1.0');
    const file = join(directory, 'openapi.json');
    writeFileSync(file, JSON.stringify(document));
    const [redocly, spectral] = await Promise.all([lintWithRedocly(file), lintWithSpectral(file)]);
    assert.equal(redocly.length, 0, `Redocly:\n${listed(redocly)}`);
    assert.equal(spectral.length, 0, `Spectral:\n${listed(spectral)}`);
  });

  it('has both linters, as configured, report an operation without an operationId and an undescribed response', async () => {
    const broken = structuredClone(document);
    const listAdders = broken.paths['/adders']?.get;
    assert.ok(listAdders?.responses['200'] !== undefined);
    delete listAdders.operationId;
    delete listAdders.responses['200'].description;
    const file = join(directory, 'broken.json');
    writeFileSync(file, JSON.stringify(broken));
    const [redocly, spectral] = await Promise.all([lintWithRedocly(file), lintWithSpectral(file)]);
    // `struct` and `oas3-schema` are the linters' checks against the OpenAPI 3.1 schema.
    assert.deepEqual(
      redocly.map(({ rule, at }) => `${rule} at ${at}`).sort(),
      [
        'operation-operationId at #/paths/~1adders/get/operationId',
        'struct at #/paths/~1adders/get/responses/200',
      ],
      listed(redocly),
    );
    assert.deepEqual(
      spectral.map(({ rule, at }) => `${rule} at ${at}`).sort(),
      ['oas3-schema at paths./adders.get.responses.200', 'operation-operationId at paths./adders.get'],
      listed(spectral),
    );
  });
});
