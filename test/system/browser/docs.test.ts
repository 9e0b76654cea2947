/**
 * Swagger UI in a real browser: headless Chromium (Debian's package, driven by playwright-core) opens
 * /docs, runs POST /adders through "Try it out", and reads the 201 and the machine code from the page,
 * with nothing blocked by the page's Content-Security-Policy.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { chromium } from 'playwright-core';
import { DOCS_CSP } from '../../../src/service/plugins/external/swagger.js';
import { startTestApp } from '../../support/app.js';
import { inCI, skipRuntimeIndependent } from '../../support/ci.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

describe('Swagger UI in headless Chromium', { skip: skipRuntimeIndependent }, () => {
  it('compiles an adder through Try it out and shows the 201 and the machine code', async (t) => {
    if (!existsSync(CHROMIUM)) {
      // CI installs Chromium (.ci/run); a developer machine without it is told how, and CI never skips.
      assert.ok(!inCI, `no Chromium at ${CHROMIUM} in CI`);
      t.skip(`no Chromium at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`);
      return;
    }
    // No load shedding: Chromium loads this machine, and a 503 is not what this flow shows.
    const server = await startTestApp({ maxEventLoopDelayMs: 0 });
    const profile = mkdtempSync(path.join(os.tmpdir(), 'babyjit-chromium-'));
    // A fresh profile directory: playwright takes it as the persistent context's user-data dir.
    const browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    try {
      const address = server.app.server.address();
      assert.ok(address && typeof address === 'object');
      const page = await browser.newPage();
      // The page runs under its Content-Security-Policy (DOCS_CSP): anything it blocks is reported here.
      const blocked: string[] = [];
      page.on('console', (message) => {
        if (/Content Security Policy/i.test(message.text())) blocked.push(message.text());
      });
      const answer = await page.goto(`http://127.0.0.1:${address.port}/docs`);
      assert.equal(answer?.headers()['content-security-policy'], DOCS_CSP);

      const operation = page.locator('#operations-adders-compileAdder');
      await operation.locator('.opblock-summary').click();
      await operation.getByRole('button', { name: 'Try it out' }).click();
      await operation.locator('textarea.body-param__text').fill('{"term": 5}');
      await operation.getByRole('button', { name: 'Execute' }).click();

      const live = operation.locator('.live-responses-table');
      await live.locator('.response-col_status').first().waitFor();
      assert.equal((await live.locator('tbody .response-col_status').first().textContent())?.trim(), '201');
      const body = (await live.locator('.response-col_description pre').first().textContent()) ?? '';
      // The service blinds terms: the page starts with mov eax, 5 ^ key; xor eax, key.
      assert.match(body, /"code": "b8( [0-9a-f]{2}){4} 35( [0-9a-f]{2}){4} 01 f8 c3 cc/);
      assert.equal(server.app.jit.has(5), true, 'the adder was compiled by the browser’s request');
      assert.deepEqual(blocked, [], 'the page’s Content-Security-Policy blocked something it needs');
    } finally {
      await browser.close();
      await server.close();
      rmSync(profile, { recursive: true, force: true });
    }
  });
});
