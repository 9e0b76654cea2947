/**
 * The explorer in a real browser: headless Chromium (Debian's package, driven by playwright-core) opens
 * the page the service serves at / and goes through what a person does there: a shared address, the
 * decoder, compiling, applying, a batch, bad input, the live registry and releasing, blinding's new key,
 * the keyboard alone, and Back. Every flow is watched: no console error, no failed request, no request
 * outside the service, no Content-Security-Policy violation. axe-core checks the WCAG 2.1 A and AA rules in
 * the light and the dark theme, and the test takes screenshots: into a temporary folder, or the folder
 * BABYJIT_SCREENSHOTS_DIR names (`npm run screenshots` writes docs/screenshots/ so).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { ARM64 } from '../../../src/jit/arm64/architecture.js';
import { JitRegistry } from '../../../src/jit/registry.js';
import { adderDescription } from '../../../src/service/adder-description.js';
import { startTestApp, type TestApp } from '../../support/app.js';
import { inCI, skipRuntimeIndependent } from '../../support/ci.js';
import { waitUntil } from '../../support/wait-for.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Where the screenshots go: a run of the tests leaves docs/screenshots/ as committed. */
const SCREENSHOTS_DIR = process.env.BABYJIT_SCREENSHOTS_DIR;
/** The page polls every 2 s: a change made by another client shows within this. */
const POLL_WAIT_MS = 6_000;

interface AdderDetails {
  code: string;
  page: { codeBytes: number; bytes: number };
  blinding: { key: number; blindedTerm: number } | null;
  disassembly: {
    offset: number;
    text: string;
    fields: { kind: string; bytes: string; description: string }[];
  }[];
}

/** What went wrong on a page while a flow ran, and the error answers the flow expects. */
interface Watch {
  problems: string[];
  /** The flow expects the API to answer this status to requests whose path starts so. */
  expect(status: number, pathStart: string): void;
}

const originOf = (app: TestApp) => `http://127.0.0.1:${(app.app.server.address() as { port: number }).port}`;

const hex32 = (value: number) => `0x${(value >>> 0).toString(16).padStart(8, '0')}`;

describe('the explorer in headless Chromium', { skip: skipRuntimeIndependent }, () => {
  let server: TestApp | undefined;
  let browser: BrowserContext | undefined;
  let profile: string | undefined;

  before(async () => {
    if (!existsSync(CHROMIUM)) return;
    // No load shedding: Chromium and axe-core load this machine, and a 503 is not what these flows show.
    server = await startTestApp({ maxEventLoopDelayMs: 0 });
    profile = mkdtempSync(path.join(os.tmpdir(), 'babyjit-chromium-'));
    browser = await chromium.launchPersistentContext(profile, {
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
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    if (profile !== undefined) rmSync(profile, { recursive: true, force: true });
  });

  /** A new page, watched; or the test skipped where there is no Chromium (never in CI). */
  async function open(
    t: TestContext,
    address: string,
    app: TestApp | undefined = server,
  ): Promise<{ page: Page; watch: Watch } | undefined> {
    if (browser === undefined) {
      // CI installs Chromium (.ci/run); a developer machine without it is told how, and CI never skips.
      assert.ok(!inCI, `no Chromium at ${CHROMIUM} in CI`);
      t.skip(`no Chromium at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`);
      return undefined;
    }
    const at = originOf(app as TestApp);
    const page = await browser.newPage();
    const watch = await watchPage(page, at);
    t.after(() => page.close());
    await page.goto(`${at}${address}`);
    return { page, watch };
  }

  /** Asserts the flow left nothing wrong: no console error, failed request, outside request or CSP violation. */
  async function assertClean(page: Page, watch: Watch): Promise<void> {
    assert.deepEqual(await cspViolations(page), [], 'no Content-Security-Policy violation');
    assert.deepEqual(watch.problems, [], 'no console error, failed request or request outside the service');
  }

  async function details(term: number): Promise<AdderDetails> {
    return (await (server as TestApp).http.get(`/adders/${term}`).expect(200)).body as AdderDetails;
  }

  it('opens /?term=-4&x=1 with -4 compiled, the result -3, and every instruction split into its fields', async (t) => {
    const opened = await open(t, '/?term=-4&x=1');
    if (opened === undefined) return;
    const { page, watch } = opened;
    await page.locator('#apply-result .result', { hasText: '-4 + 1 = -3' }).waitFor();
    const adder = await details(-4);

    // The bytes, in their own column, are the page's code, byte for byte.
    const bytes = page.locator('#listing-body button.byte');
    assert.equal(await bytes.count(), adder.page.codeBytes);
    assert.equal((await bytes.allTextContents()).join(' '), adder.code);
    assert.match(
      (await page.locator('#code-use').textContent()) ?? '',
      new RegExp(`${adder.page.codeBytes} of the page’s 4,096 bytes`),
    );
    assert.match((await page.locator('#entry-apply').textContent()) ?? '', /entry point at 0x00/);
    assert.match((await page.locator('#entry-applyAll').textContent()) ?? '', /entry point at 0x10/);

    // The decoder, for the instruction of each byte selected: its fields, in order, as the API decodes them.
    for (const instruction of adder.disassembly) {
      await page.locator(`#listing-body button.byte[data-offset="${instruction.offset}"]`).click();
      const fields = page.locator('#decoder-body .fields > li');
      assert.deepEqual(
        await fields.locator('.field-bytes').allTextContents(),
        instruction.fields.map((field) => field.bytes),
        instruction.text,
      );
      assert.deepEqual(
        await fields.locator('.field-description').allTextContents(),
        instruction.fields.map((field) => field.description),
        instruction.text,
      );
      assert.match(
        (await page.locator('#decoder-body .decoded').textContent()) ?? '',
        new RegExp(`^${instruction.text.replace(/[[\]+]/g, '\\$&')}`),
      );
    }
    const withRex = adder.disassembly.find((instruction) => instruction.fields.some((f) => f.kind === 'rex'));
    assert.ok(withRex !== undefined, 'applyAll has an instruction with a REX prefix');
    const rex = page.locator(`#listing-body button.byte[data-offset="${withRex.offset}"]`);
    await rex.click();
    assert.deepEqual(await page.locator('#decoder-body li.kind-rex .bits tbody th').allTextContents(), [
      'REX',
      'W',
      'R',
      'X',
      'B',
    ]);

    // Plain words, with the term and the key named.
    const meanings = await page.locator('#listing-body .meaning').allTextContents();
    assert.deepEqual(meanings.slice(0, 4), [
      'eax ← term ^ key',
      'eax ← eax ^ key',
      'eax ← eax + edi',
      'return eax',
    ]);

    // Hovering a byte lights its token, and hovering a token lights its bytes.
    await page.locator('#listing-body button.byte[data-offset="1"]').hover();
    assert.deepEqual(await page.locator('#listing-body .token.lit').allTextContents(), [
      adder.disassembly[0]?.text.split(', ')[1],
    ]);
    await page.locator('#listing-body .token', { hasText: 'edi' }).first().hover();
    assert.deepEqual(await page.locator('#listing-body button.byte.lit').allTextContents(), ['f8']);
    await page.locator('#listing-body a.token', { hasText: 'add' }).first().focus();
    assert.deepEqual(await page.locator('#listing-body button.byte.lit').allTextContents(), ['01']);

    // The page's life, and blinding.
    await page.locator('#life-body tr[data-step="called"]', { hasText: 'Called 1 time' }).waitFor();
    assert.deepEqual(
      await page
        .locator('#life-body tr')
        .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-step'))),
      ['mapped', 'written', 'sealed', 'called'],
    );
    assert.match(
      (await page.locator('#life-body tr[data-step="written"]').textContent()) ?? '',
      new RegExp(`${adder.page.codeBytes} bytes.*rw-.*µs`),
    );
    assert.match(
      (await page.locator('#life-body tr[data-step="sealed"]').textContent()) ?? '',
      /r-x read\+execute/,
    );
    assert.ok(adder.blinding !== null);
    assert.match(
      (await page.locator('#blinding-body [data-value="key"]').textContent()) ?? '',
      new RegExp(hex32(adder.blinding.key)),
    );
    assert.match(
      (await page.locator('#blinding-body').textContent()) ?? '',
      /fc ff ff ff.*appear nowhere.*termBytesAt: \[\]/,
    );
    await assertClean(page, watch);
  });

  it('compiles and applies through the forms, records each step in the address, and goes back with Back', async (t) => {
    const opened = await open(t, '/');
    if (opened === undefined) return;
    const { page, watch } = opened;
    assert.equal(await page.locator('#page-heading').textContent(), 'The adder’s page');
    // The page records each step in the address before it shows the step's result: so that this is seen
    // every time, what the page fetches after the result (the adder's description, its life) is held
    // until the address has been read.
    let held = await holdRequests(page, /\/adders\/123456$/);
    await page.locator('#term').fill('123456');
    await page.getByRole('button', { name: 'Compile', exact: true }).click();
    await page.locator('#compile-result', { hasText: 'x-jit-cache: compile' }).waitFor();
    assert.equal(await addressQuery(page), '?term=123456');
    await held.release();
    assert.match((await page.locator('#compile-result').textContent()) ?? '', /201 Created/);
    await page.locator('#page-heading', { hasText: 'adder 123456' }).waitFor();
    assert.equal(server?.app.jit.has(123456), true);
    held = await holdRequests(page, /\/adders\/123456\/life$/);
    await page.locator('#x').fill('1');
    await page.getByRole('button', { name: 'Apply', exact: true }).click();
    await page.locator('#apply-result .result', { hasText: '123456 + 1 = 123457' }).waitFor();
    assert.equal(await addressQuery(page), '?term=123456&x=1');
    await held.release();

    // Back brings the address back first, then the page shows its state: the compile form's answer alone.
    await page.goBack();
    await page.locator('#compile-result', { hasText: 'x-jit-cache: hit' }).waitFor();
    assert.equal(await addressQuery(page), '?term=123456');
    assert.equal(await page.locator('#apply-result').textContent(), '');
    await page.goBack();
    await page.locator('#page-heading', { hasText: 'The adder’s page' }).waitFor();
    assert.equal(await addressQuery(page), '');
    await page.locator('#listing-body .empty').waitFor();
    await page.goForward();
    await page.locator('#page-heading', { hasText: 'adder 123456' }).waitFor();
    assert.equal(await addressQuery(page), '?term=123456');
    await assertClean(page, watch);
  });

  it('shows an arm64 adder: a row per A64 word, each split into bit fields from bit 31 down, udf padding and the AAPCS64’s words', async (t) => {
    // The answer an arm64 host gives for adder 7: its page compiled here (mapped, written, sealed, read
    // back; never called), described as the route describes it. The explorer cannot tell it from a real one.
    const registry = new JitRegistry({ capacity: 1, target: ARM64.target('neon') });
    t.after(() => registry.dispose());
    registry.compile(7);
    const description = adderDescription(
      7,
      registry.describe(7) as NonNullable<ReturnType<JitRegistry['describe']>>,
    );
    const opened = await open(t, '/');
    if (opened === undefined) return;
    const { page, watch } = opened;
    await page.route('**/adders/7', (route) =>
      route.request().method() === 'GET' ? route.fulfill({ json: description }) : route.fallback(),
    );
    await page.goto(`${originOf(server as TestApp)}/?term=7`);
    await page.locator('#page-heading', { hasText: 'adder 7' }).waitFor();
    const bytes = page.locator('#listing-body button.byte');
    assert.equal(await bytes.count(), description.page.codeBytes);
    assert.match(
      (await page.locator('#code-use').textContent()) ?? '',
      /generated for arm64-neon\. \d+ of them are udf padding/,
    );
    assert.match(
      (await page.locator('#entries').textContent()) ?? '',
      /apply at offset 0x00: int32_t apply\(int32_t x\) \(x arrives in w0, the result leaves in w0/,
    );
    // The padding between the entries is one row, however many udf words it holds.
    assert.equal(await page.locator('#listing-body tr.padding').count(), 1);
    const ret = description.disassembly.find((instruction) => instruction.text === 'ret');
    assert.ok(ret !== undefined);
    assert.match(
      (await page.locator(`#listing-body tr:has(button.byte[data-offset="${ret.offset}"])`).textContent()) ??
        '',
      /return w0/,
    );
    // The first word, movz: one field, the whole word, its bits named with where they sit.
    await page.locator('#listing-body button.byte[data-offset="0"]').click();
    const field = page.locator('#decoder-body .fields > li');
    assert.equal(await field.count(), 1);
    assert.match((await field.locator('.field-kind').textContent()) ?? '', /^A64 instruction word$/);
    assert.deepEqual(await field.locator('.bits tbody th').allTextContents(), [
      'sf (bit 31)',
      'opc (bits 30–29)',
      'fixed (bits 28–23)',
      'hw (bits 22–21)',
      'imm16 (bits 20–5)',
      'Rd (bits 4–0)',
    ]);
    await assertClean(page, watch);
  });

  it('shows a page recycled from the adder it evicted, naming that adder', async (t) => {
    const full = await startTestApp({ jitMaxAdders: 1, maxEventLoopDelayMs: 0 });
    t.after(() => full.close());
    const opened = await open(t, '/?term=1', full);
    if (opened === undefined) return;
    const { page, watch } = opened;
    await page.locator('#page-heading', { hasText: 'adder 1' }).waitFor();
    await page.locator('#term').fill('2');
    await page.locator('#term').press('Enter');
    await page.locator('#page-heading', { hasText: 'adder 2' }).waitFor();
    assert.deepEqual(
      await page
        .locator('#life-body tr')
        .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-step'))),
      ['recycled', 'written', 'sealed', 'called'],
    );
    assert.match(
      (await page.locator('#life-body tr[data-step="recycled"]').textContent()) ?? '',
      /Recycled: the page of adder 1, evicted for this one.*rw- read\+write/,
    );
    await page.locator('#stat-evictions', { hasText: '1' }).waitFor({ timeout: POLL_WAIT_MS });
    await assertClean(page, watch);
  });

  it('without blinding, names the term in the listing and marks its own bytes where they lie', async (t) => {
    const unblinded = await startTestApp({ jitBlinding: false, maxEventLoopDelayMs: 0 });
    t.after(() => unblinded.close());
    const opened = await open(t, '/?term=5', unblinded);
    if (opened === undefined) return;
    const { page, watch } = opened;
    await page.locator('#page-heading', { hasText: 'adder 5' }).waitFor();
    const { termBytesAt } = (await unblinded.http.get('/adders/5').expect(200)).body as {
      termBytesAt: number[];
    };
    assert.deepEqual(termBytesAt, [3, 17]);
    assert.deepEqual(
      await page
        .locator('#listing-body button.byte.term-byte')
        .evaluateAll((bytes) => bytes.map((byte) => byte.getAttribute('data-offset'))),
      ['3', '4', '5', '6', '17', '18', '19', '20'],
    );
    assert.deepEqual((await page.locator('#listing-body .meaning').allTextContents()).slice(0, 3), [
      'rax ← term',
      'rax ← rax + rdi',
      'return eax',
    ]);
    assert.match(
      (await page.locator('#blinding-body').textContent()) ?? '',
      /Blinding is off.*05 00 00 00.*appear at 0x03, 0x11/,
    );
    await assertClean(page, watch);
  });

  it('applies a batch, and a wrap-around example in one click', async (t) => {
    const opened = await open(t, '/?term=-4');
    if (opened === undefined) return;
    const { page, watch } = opened;
    await page.locator('#page-heading', { hasText: 'adder -4' }).waitFor();
    // The page's life, read after the result, held until the address (recorded before) has been read.
    const life = await holdRequests(page, /\/adders\/-4\/life$/);
    await page.locator('#xs').fill('1, 2 3');
    await page.getByRole('button', { name: 'Apply to all' }).click();
    await page.locator('#batch-result .result', { hasText: '-4 + each = [-3, -2, -1]' }).waitFor();
    assert.match((await page.locator('#batch-result').textContent()) ?? '', /applyAll at 0x10 for 3 inputs/);
    assert.equal(new URLSearchParams(await addressQuery(page)).get('xs'), '1, 2 3');
    await life.release();

    await page.getByRole('button', { name: '2147483647 + 1' }).click();
    await page.locator('#apply-result .result', { hasText: '2147483647 + 1 = -2147483648' }).waitFor();
    assert.match(
      (await page.locator('#apply-result').textContent()) ?? '',
      /Wrap-around: 2147483648 does not fit/,
    );
    assert.match((await page.locator('#apply-result').textContent()) ?? '', /x-jit-cache: (compile|hit)/);
    await page.locator('#page-heading', { hasText: 'adder 2147483647' }).waitFor();
    await assertClean(page, watch);
  });

  it('shows the API’s own message next to the field for bad input', async (t) => {
    const opened = await open(t, '/?term=-4');
    if (opened === undefined) return;
    const { page, watch } = opened;
    await page.locator('#page-heading', { hasText: 'adder -4' }).waitFor();
    watch.expect(400, '/adders/-4/apply');
    const xMessage = (await (server as TestApp).http.get('/adders/-4/apply?x=1e3').expect(400)).body.message;
    await page.locator('#x').fill('1e3');
    await page.locator('#x').press('Enter');
    await page.locator('#x-error', { hasText: xMessage }).waitFor();
    assert.equal(await page.locator('#x').getAttribute('aria-invalid'), 'true');

    watch.expect(400, '/adders');
    const termMessage = (await (server as TestApp).http.post('/adders').send({ term: 'five' }).expect(400))
      .body.message;
    await page.locator('#term').fill('five');
    await page.locator('#term').press('Enter');
    await page.locator('#term-error', { hasText: termMessage }).waitFor();
    assert.equal(await page.locator('#x-error').textContent(), '', 'the earlier message is gone');
    await assertClean(page, watch);
  });

  it('lists the adders another client compiles, shows one and releases another from the registry panel', async (t) => {
    const opened = await open(t, '/');
    if (opened === undefined) return;
    const { page, watch } = opened;
    await (server as TestApp).http.post('/adders').send({ term: 777 }).expect(201);
    await (server as TestApp).http.post('/adders').send({ term: 778 }).expect(201);
    const row = page.locator('#registry-body tr[data-term="777"]');
    await row.waitFor({ timeout: POLL_WAIT_MS });
    await page.getByRole('button', { name: 'Show adder 778' }).click();
    await page.locator('#page-heading', { hasText: 'adder 778' }).waitFor();
    assert.equal(await addressQuery(page), '?term=778');
    const stats = (await (server as TestApp).http.get('/adders?limit=0').expect(200)).body.stats;
    await page
      .locator('#stat-compiles', { hasText: String(stats.compiles) })
      .waitFor({ timeout: POLL_WAIT_MS });

    await page.getByRole('button', { name: 'Release adder 777' }).click();
    await page.locator('#registry-status', { hasText: 'Released adder 777' }).waitFor();
    await row.waitFor({ state: 'detached' });
    assert.equal(server?.app.jit.has(777), false);
    await assertClean(page, watch);
  });

  it('keeps a press on a registry panel’s button while a poll redraws the panel, and acts on its release', async (t) => {
    const opened = await open(t, '/');
    if (opened === undefined) return;
    const { page, watch } = opened;
    // The most recently used adder: its row is the list's last, and a call to it changes its count, not
    // the order.
    await (server as TestApp).http.post('/adders').send({ term: 779 }).expect(201);
    const row = page.locator('#registry-body tr[data-term="779"]');
    await row.locator('td.number', { hasText: /^0$/ }).waitFor({ timeout: POLL_WAIT_MS });
    const show = page.getByRole('button', { name: 'Show adder 779' });
    await show.scrollIntoViewIfNeeded();
    const box = await show.boundingBox();
    assert.ok(box !== null, 'the Show button is on screen');
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await (server as TestApp).http.get('/adders/779/apply?x=1').expect(200);
    await row.locator('td.number', { hasText: /^1$/ }).waitFor({ timeout: POLL_WAIT_MS });
    await page.mouse.up();
    await page.locator('#page-heading', { hasText: 'adder 779' }).waitFor();
    assert.equal(await addressQuery(page), '?term=779');
    await assertClean(page, watch);
  });

  it('says whose registry it lists once a sharding proxy names the replica that answered', async (t) => {
    const opened = await open(t, '/');
    if (opened === undefined) return;
    const { page, watch } = opened;
    const note = page.locator('#registry-replica');
    await page.locator('#registry-range', { hasText: /./ }).waitFor();
    assert.equal(await note.isVisible(), false, 'a single process has no replica to name');
    // The test plays the proxy: the list's answers now carry x-jit-replica, as HAProxy's do.
    await page.route(/\/adders\?/, async (route) => {
      const response = await route.fetch();
      await route.fulfill({ response, headers: { ...response.headers(), 'x-jit-replica': 'replica-2' } });
    });
    await note.filter({ hasText: 'counters of replica-2 alone' }).waitFor({ timeout: POLL_WAIT_MS });
    await assertClean(page, watch);
  });

  it('follows the shown adder’s page to unmapped when released, and its next page gets a new key', async (t) => {
    const opened = await open(t, '/?term=4242');
    if (opened === undefined) return;
    const { page, watch } = opened;
    await page.locator('#page-heading', { hasText: 'adder 4242' }).waitFor();
    const firstKey = await page.locator('#blinding-body [data-value="key"] code').textContent();
    await page.getByRole('button', { name: 'Release adder 4242' }).click({ timeout: POLL_WAIT_MS });
    const unmapped = page.locator('#life-body tr[data-step="unmapped"]');
    await unmapped.waitFor();
    assert.match((await unmapped.textContent()) ?? '', /none no access/);
    assert.match((await page.locator('#life-state').textContent()) ?? '', /Adder 4242 is gone/);

    await page.getByRole('button', { name: 'Compile', exact: true }).click();
    await page.locator('#compile-result', { hasText: 'x-jit-cache: compile' }).waitFor();
    await page.locator('#blinding-body .key-history').waitFor();
    const secondKey = await page.locator('#blinding-body [data-value="key"] code').textContent();
    assert.notEqual(secondKey, firstKey);
    assert.match(
      (await page.locator('#blinding-body .key-history').textContent()) ?? '',
      /this one’s is different/,
    );
    await assertClean(page, watch);
  });

  it('keeps a released page unmapped when a poll’s read of its life from before the release answers last', async (t) => {
    const opened = await open(t, '/?term=4243');
    if (opened === undefined) return;
    const { page, watch } = opened;
    await page.locator('#page-heading', { hasText: 'adder 4243' }).waitFor();
    // The reads of the page's life from here on: a poll's first (answered by the service at once, handed
    // to the page only after the release's), the release's own, then the next poll's (never answered: it
    // shows that the first was handed over and nothing drew the life since).
    const reads: Array<{ handed: Promise<void>; hand: () => void }> = [];
    const nthRead = (n: number) =>
      waitUntil(`read ${n + 1} of the page’s life`, () => reads.length > n, POLL_WAIT_MS);
    await page.route(/\/adders\/4243\/life$/, async (route) => {
      const read = { hand: () => {}, handed: Promise.resolve() };
      read.handed = new Promise<void>((resolve) => {
        read.hand = resolve;
      });
      const response = await route.fetch();
      reads.push(read);
      if (reads.length === 2) read.hand();
      await read.handed;
      await route.fulfill({ response });
    });
    await nthRead(0);
    await page.getByRole('button', { name: 'Release adder 4243' }).click({ timeout: POLL_WAIT_MS });
    await page.locator('#life-body tr[data-step="unmapped"]').waitFor();
    reads[0]?.hand();
    await nthRead(2);
    assert.equal(await page.locator('#life-body tr[data-step="unmapped"]').count(), 1, 'the life drawn');
    assert.match((await page.locator('#life-state').textContent()) ?? '', /Adder 4243 is gone/);
    reads[2]?.hand();
    await page.unrouteAll({ behavior: 'wait' });
    await assertClean(page, watch);
  });

  it('works from the keyboard alone: Tab to the term, Enter compiles, arrows move through the bytes', async (t) => {
    const opened = await open(t, '/');
    if (opened === undefined) return;
    const { page, watch } = opened;
    // The browser's code is given as text: this project's TypeScript has no DOM types outside web/.
    const focused = async () =>
      String(await page.evaluate("document.activeElement.id || document.activeElement.className || ''"));
    for (let presses = 0; (await focused()) !== 'term'; presses += 1) {
      assert.ok(presses < 5, 'the term field within a few Tabs');
      await page.keyboard.press('Tab');
    }
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.type('99');
    await page.keyboard.press('Enter');
    await page.locator('#page-heading', { hasText: 'adder 99' }).waitFor();

    for (let presses = 0; !(await focused()).startsWith('byte'); presses += 1) {
      assert.ok(presses < 15, 'the byte map within the Tabs through the forms');
      await page.keyboard.press('Tab');
    }
    const offset = () => page.locator(':focus').getAttribute('data-offset');
    const currentField = () =>
      page.locator('#decoder-body li[aria-current="true"] .field-kind').textContent();
    assert.equal(await offset(), '0');
    assert.equal(await currentField(), 'opcode');
    const outline = await page.evaluate('getComputedStyle(document.activeElement).outlineStyle');
    assert.notEqual(outline, 'none', 'the focus is visible');
    await page.keyboard.press('ArrowRight');
    assert.equal(await offset(), '1');
    assert.equal(await currentField(), 'immediate');
    await page.keyboard.press('ArrowDown');
    assert.equal(await offset(), '6', 'the same place in the next instruction');
    await page.keyboard.press('End');
    assert.equal(await offset(), String((await details(99)).page.codeBytes - 1), 'the last byte of the code');
    await page.keyboard.press('Home');
    assert.equal(await offset(), '0');
    // The byte map is one stop: Tab leaves it.
    await page.keyboard.press('Tab');
    assert.ok(!(await focused()).startsWith('byte'), 'Tab leaves the byte map');
    await assertClean(page, watch);
  });

  it('has its Content-Security-Policy enforced, and this test sees a violation', async (t) => {
    const opened = await open(t, '/');
    if (opened === undefined) return;
    const { page } = opened;
    await page.evaluate(
      "const script = document.createElement('script'); script.textContent = 'window.inlineRan = true'; document.body.append(script)",
    );
    await page.waitForFunction('window.cspViolations.length > 0');
    assert.equal(await page.evaluate('window.inlineRan'), undefined, 'the inline script did not run');
    assert.match((await cspViolations(page))[0] ?? '', /^script-src/);
  });

  for (const colorScheme of ['light', 'dark'] as const) {
    it(`passes axe-core's WCAG 2.1 A and AA rules in the ${colorScheme} theme`, async (t) => {
      const opened = await open(t, '/?term=-4&x=1&xs=1,2,3');
      if (opened === undefined) return;
      const { page, watch } = opened;
      await page.emulateMedia({ colorScheme });
      await page.locator('#batch-result .result').waitFor();
      await page.locator('#registry-body tr').first().waitFor({ timeout: POLL_WAIT_MS });
      // A byte with bits to show, and an error message on screen: both are checked too.
      await page.locator('#listing-body button.byte[data-offset="26"]').click();
      watch.expect(400, '/adders/-4/apply');
      await page.locator('#x').fill('x');
      await page.locator('#x').press('Enter');
      await page.locator('#x-error:not(:empty)').waitFor();
      await page.locator('#listing-body button.byte[data-offset="26"]').hover();
      // Imported here: @axe-core/playwright needs Node.js 22.12 or later, and CI runs this test on 24.
      const { AxeBuilder } = await import('@axe-core/playwright');
      const results = await new AxeBuilder({ page })
        .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
        .analyze();
      assert.deepEqual(
        results.violations.map(
          (violation) =>
            `${violation.id}: ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`,
        ),
        [],
      );
      await assertClean(page, watch);
    });
  }

  it('writes screenshots at 360 and 1440 pixels wide, in the light and the dark theme', async (t) => {
    const screenshots = SCREENSHOTS_DIR ?? mkdtempSync(path.join(os.tmpdir(), 'babyjit-screenshots-'));
    mkdirSync(screenshots, { recursive: true });
    if (SCREENSHOTS_DIR === undefined) t.after(() => rmSync(screenshots, { recursive: true, force: true }));
    for (const width of [360, 1440]) {
      for (const colorScheme of ['light', 'dark'] as const) {
        const opened = await open(t, '/?term=-4&x=1');
        if (opened === undefined) return;
        const { page, watch } = opened;
        await page.setViewportSize({ width, height: 900 });
        await page.emulateMedia({ colorScheme });
        await page.locator('#apply-result .result').waitFor();
        await page.locator('#registry-body tr').first().waitFor({ timeout: POLL_WAIT_MS });
        await page.locator('#listing-body button.byte[data-offset="1"]').focus();
        const file = path.join(screenshots, `explorer-${width}-${colorScheme}.png`);
        await page.screenshot({ path: file, fullPage: true });
        assert.ok(existsSync(file));
        const overflow = await page.evaluate('document.documentElement.scrollWidth - window.innerWidth');
        assert.equal(overflow, 0, `nothing wider than ${width} pixels`);
        await assertClean(page, watch);
      }
    }
  });
});

/**
 * Holds the page's requests whose address matches `pattern` until `release()`, which lets them through
 * and removes the page's routes once their handlers are done.
 */
async function holdRequests(page: Page, pattern: RegExp): Promise<{ release: () => Promise<void> }> {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  await page.route(pattern, async (route) => {
    await opened;
    await route.continue();
  });
  return {
    release: async () => {
      open();
      await page.unrouteAll({ behavior: 'wait' });
    },
  };
}

/**
 * The query of the address the page is at, from the page itself: Playwright's page.url() learns of a
 * pushState only later, from an event of its own.
 */
async function addressQuery(page: Page): Promise<string> {
  return String(await page.evaluate('location.search'));
}

/** The Content-Security-Policy violations the page reported (watchPage listens for them). */
async function cspViolations(page: Page): Promise<string[]> {
  return (await page.evaluate('window.cspViolations')) as string[];
}

/** Records what goes wrong on a page: console errors, failed requests, requests outside `origin`. */
async function watchPage(page: Page, origin: string): Promise<Watch> {
  const problems: string[] = [];
  const expected: { status: number; pathStart: string }[] = [];
  const isExpected = (status: number, url: string) =>
    expected.some((entry) => entry.status === status && new URL(url).pathname.startsWith(entry.pathStart));
  // Before any script of the page runs: a listener for the violations the policy reports.
  await page.addInitScript(
    "window.cspViolations = []; document.addEventListener('securitypolicyviolation', (event) => " +
      "window.cspViolations.push(event.violatedDirective + ' ' + event.blockedURI))",
  );
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const status = /status of (\d{3})/.exec(message.text());
    if (status !== null && isExpected(Number(status[1]), message.location().url)) return;
    problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('request', (request) => {
    if (!request.url().startsWith(`${origin}/`)) problems.push(`outside request: ${request.url()}`);
  });
  page.on('requestfailed', (request) =>
    problems.push(`failed: ${request.url()} ${request.failure()?.errorText}`),
  );
  page.on('response', (response) => {
    if (response.status() >= 400 && !isExpected(response.status(), response.url())) {
      problems.push(`${response.status()}: ${response.url()}`);
    }
  });
  return { problems, expect: (status, pathStart) => expected.push({ status, pathStart }) };
}
