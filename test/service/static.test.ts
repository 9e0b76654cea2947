/**
 * The explorer as served: / answers the page with its Content-Security-Policy, every asset the page loads
 * (its modules and all they import, its stylesheet, its icon) is served with its content type, the page
 * loads nothing from outside the service, and the policy stays the explorer's (the API and Swagger UI
 * answer without it).
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { EXPLORER_CSP, EXPLORER_ROOT } from '../../src/service/plugins/external/static.js';
import { errorMessage, startTestApp, type TestApp } from '../support/app.js';
import { exchangeRaw } from '../support/raw-http.js';

const CONTENT_TYPES: Record<string, string> = {
  js: 'application/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
};

/** The src and href attributes of the page's elements. */
function referencesIn(html: string): string[] {
  return [...html.matchAll(/\s(?:src|href)="([^"]*)"/g)].map((match) => match[1] as string);
}

/** The module specifiers a compiled module imports (static and dynamic). */
function importsIn(javascript: string): string[] {
  return [...javascript.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)'([^']+)'/g)].map(
    (match) => match[1] as string,
  );
}

describe('the explorer, served', () => {
  let t: TestApp;
  let page: string;
  before(async () => {
    t = await startTestApp();
    page = (await t.http.get('/').expect(200)).text;
  });
  after(() => t.close());

  it('answers / with the page and its Content-Security-Policy, whatever the query', async () => {
    for (const path of ['/', '/?term=-4&x=1', '/?term=abc&utm_source=x']) {
      const response = await t.http.get(path).expect(200);
      assert.equal(response.headers['content-type'], 'text/html; charset=utf-8', path);
      assert.equal(response.headers['content-security-policy'], EXPLORER_CSP, path);
      assert.equal(response.headers['x-content-type-options'], 'nosniff', path);
      assert.equal(response.text, page, path);
    }
    assert.match(EXPLORER_CSP, /(^|; )default-src 'self'(;|$)/);
    assert.match(EXPLORER_CSP, /(^|; )script-src 'self'(;|$)/);
    assert.match(EXPLORER_CSP, /(^|; )style-src 'self'(;|$)/);
    assert.doesNotMatch(EXPLORER_CSP, /unsafe-|data:|\*/);
    assert.match(page, /<script type="module" src="\/explorer\/main\.js"><\/script>/);
    const head = await t.http.head('/').expect(200);
    assert.equal(head.headers['content-security-policy'], EXPLORER_CSP);
  });

  it('answers / to a client that half-closes its connection after the request', async () => {
    const { port } = t.app.server.address() as { port: number };
    const exchange = await exchangeRaw(
      port,
      'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n',
    );
    assert.equal(exchange.responses[0]?.status, 200);
    assert.equal(exchange.responses[0]?.body.toString('utf8'), page);
  });

  it('serves every module the page loads, and all they import, and its other assets, with their content types', async () => {
    const pending = referencesIn(page).filter((reference) => reference.startsWith('/explorer/'));
    const served = new Set<string>();
    while (pending.length > 0) {
      const path = pending.pop() as string;
      if (served.has(path)) continue;
      served.add(path);
      const response = await t.http.get(path).buffer(true).expect(200);
      const extension = path.split('.').at(-1) ?? '';
      assert.equal(response.headers['content-type'], CONTENT_TYPES[extension], path);
      assert.equal(response.headers['content-security-policy'], EXPLORER_CSP, path);
      if (extension === 'js') {
        for (const specifier of importsIn(response.text)) {
          assert.match(specifier, /^\.\/[a-z-]+\.js$/, `${path} imports ${specifier}: a module beside it`);
          pending.push(new URL(specifier, `http://service${path}`).pathname);
        }
      }
    }
    // Every module built is one the page loads, and the page loads them all.
    const built = readdirSync(EXPLORER_ROOT).filter((file) => file !== 'index.html');
    assert.deepEqual([...served].map((path) => path.slice('/explorer/'.length)).sort(), built.sort());
    assert.ok(built.includes('main.js') && built.includes('explorer.css') && built.includes('icon.svg'));
  });

  it('references nothing outside the service, and has no inline script or style', async () => {
    for (const reference of referencesIn(page)) {
      assert.match(reference, /^(\/[^/]|#)/, `${reference}: a path on the service or a fragment`);
      if (reference.startsWith('/')) await t.http.get(reference).redirects(1).expect(200);
    }
    assert.doesNotMatch(page, /<style|\sstyle=|\son[a-z]+=/i, 'no inline style or event handler');
    assert.deepEqual(
      [...page.matchAll(/<script([^>]*)>([^<]*)<\/script>/g)].map((match) => [match[1], match[2]]),
      [[' type="module" src="/explorer/main.js"', '']],
      'one script, from a file',
    );
    const { port } = t.app.server.address() as { port: number };
    for (const file of readdirSync(EXPLORER_ROOT)) {
      const response = await fetch(
        `http://127.0.0.1:${port}${file === 'index.html' ? '/' : `/explorer/${file}`}`,
      );
      const text = await response.text();
      // The icon's SVG namespace is a name, never fetched.
      const outside = text
        .replaceAll('xmlns="http://www.w3.org/2000/svg"', '')
        .match(/https?:|\/\/[a-z]|@import|url\(/i);
      assert.equal(outside, null, `${file} refers outside the service: ${outside?.[0]}`);
    }
  });

  it('keeps the policy to the explorer: the API and Swagger UI answer without it', async () => {
    for (const path of ['/docs/', '/openapi.json', '/healthz', '/adders']) {
      const response = await t.http.get(path).redirects(1);
      assert.equal(response.status, 200, path);
      assert.notEqual(response.headers['content-security-policy'], EXPLORER_CSP, path);
    }
  });

  it('serves nothing else under /explorer/: any other path is the service’s own 404', async () => {
    for (const path of [
      '/explorer/index.html',
      '/explorer/',
      '/explorer/nope.js',
      '/explorer/../package.json',
    ]) {
      const response = await t.http.get(path);
      assert.equal(response.status, 404, path);
      errorMessage(response.body, 404);
    }
  });
});
