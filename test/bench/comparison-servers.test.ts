/**
 * `npm run bench` measures babyjit against a plain Fastify server and an echo server. A ratio means
 * something only if both sides answer each scenario's request as babyjit does: the bench stops at the first
 * non-2xx answer, so a broken comparison server costs a whole run.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort, type ServerProcess, startServerProcess } from '../../harness/server-process.js';

const script = (name: string) => fileURLToPath(new URL(`../../bench/${name}.js`, import.meta.url));

const servers = new Map<string, { process: ServerProcess; url: string }>();

before(async () => {
  for (const [name, options] of [
    // Below info the server logs no "listening" line: it is found up by polling a port of its own.
    ['babyjit', { env: { LOG_LEVEL: 'warn' }, port: await freePort() }],
    ['baseline', { script: script('baseline-server') }],
    ['echo', { script: script('echo-server') }],
  ] as const) {
    const process = startServerProcess({ ...options, keepOutput: false });
    servers.set(name, { process, url: await process.listening });
  }
});

after(async () => {
  for (const { process } of servers.values()) {
    process.child.kill('SIGTERM');
    await process.exited;
  }
});

function urlOf(name: string): string {
  const server = servers.get(name);
  assert.ok(server, `${name} did not start`);
  return server.url;
}

async function answer(server: string, path: string, init?: RequestInit) {
  const response = await fetch(`${urlOf(server)}${path}`, init);
  return { status: response.status, body: await response.text() };
}

const json = { 'content-type': 'application/json' };

describe("the benchmark's comparison servers", () => {
  for (const [title, path, init] of [
    ['a single apply', '/adders/7/apply?x=35', undefined],
    ['a single apply that wraps around', '/adders/2147483647/apply?x=1', undefined],
    [
      'a JSON batch, wrap-around included',
      '/adders/5/apply',
      { method: 'POST', headers: json, body: JSON.stringify({ xs: [1, -7, 2147483647, -2147483648] }) },
    ],
  ] as const) {
    it(`the baseline answers ${title} with babyjit's status and body`, async () => {
      const expected = await answer('babyjit', path, init);
      assert.equal(expected.status < 300, true, expected.body);
      assert.deepEqual(await answer('baseline', path, init), expected);
    });
  }

  it("the baseline answers a compile with babyjit's status, location and term", async () => {
    const init = { method: 'POST', headers: json, body: '{"term":-100000000}' };
    for (const name of ['baseline', 'babyjit']) {
      const response = await fetch(`${urlOf(name)}/adders`, init);
      assert.equal(response.status, 201, name);
      assert.equal(response.headers.get('location'), '/adders/-100000000', name);
      assert.equal(((await response.json()) as { term: number }).term, -100_000_000, name);
    }
  });

  it('the echo server answers a binary batch with the bytes it was sent, as many as babyjit answers', async () => {
    const body = Buffer.from(Int32Array.from([1, -7, 2147483647, -2147483648]).buffer);
    const init = { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body };
    const [echo, babyjit] = await Promise.all(
      ['echo', 'babyjit'].map(async (name) => {
        const response = await fetch(`${urlOf(name)}/adders/5/apply`, init);
        return { status: response.status, bytes: Buffer.from(await response.arrayBuffer()) };
      }),
    );
    assert.equal(babyjit?.status, 200);
    assert.equal(echo?.status, 200);
    assert.deepEqual(echo?.bytes, body);
    assert.equal(babyjit?.bytes.length, body.length);
  });
});
