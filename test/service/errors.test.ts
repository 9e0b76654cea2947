/**
 * Only a client's mistake is a 4xx. A fault of the service itself, whatever its type, is a 500 with a
 * generic message; its details and stack go to the log at `error`, and none of its text reaches the client.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createServiceLogger } from '../../src/observability/logger.js';
import { buildApp } from '../../src/service/app.js';
import { internalErrorMessage } from '../../src/service/errors.js';
import { collectingDestination } from '../support/log-lines.js';

const ERROR = 50;

/** An app whose every compile fails with `fault`, logging to a collected destination. */
async function appWithFaultyCompile(fault: () => never) {
  const { stream, lines } = collectingDestination();
  const app = await buildApp({
    logger: createServiceLogger({ level: 'info', destination: stream }),
    metrics: false,
    jitCompile: () => fault(),
  });
  return { app, lines };
}

const faults: Array<[string, () => never, RegExp]> = [
  [
    'a RangeError from a broken invariant',
    () => {
      throw new RangeError('term index invariant broken: slot 17 holds term 99');
    },
    /RangeError: term index invariant broken: slot 17 holds term 99/,
  ],
  [
    'a stack overflow',
    () => {
      const recurse = (depth: number): number => recurse(depth + 1) + 1;
      recurse(0);
      throw new Error('unreachable');
    },
    /RangeError: Maximum call stack size exceeded/,
  ],
  [
    'a TypeError',
    () => {
      throw new TypeError('cannot read the page of undefined');
    },
    /TypeError: cannot read the page of undefined/,
  ],
];

describe('a fault of the service itself', () => {
  for (const [name, fault, stack] of faults) {
    it(`answers 500 with the generic message and the request id for ${name}, and logs it under that id at error with its stack`, async () => {
      const { app, lines } = await appWithFaultyCompile(fault);
      try {
        const response = await app.inject({ method: 'GET', url: '/adders/5/apply?x=1' });
        assert.equal(response.statusCode, 500);
        const id = response.headers['x-request-id'];
        assert.ok(typeof id === 'string' && id.length > 0, 'the answer names its request id');
        assert.deepEqual(response.json(), {
          statusCode: 500,
          error: 'Internal Server Error',
          message: internalErrorMessage(id),
        });
        assert.match(
          response.json().message,
          /^internal error; it has been logged with request id [0-9a-f-]{36}$/,
        );
        assert.doesNotMatch(response.body, /invariant|slot|stack|TypeError|RangeError|undefined/);
        const logged = lines.filter((line) => line.level === ERROR);
        assert.equal(logged.length, 1, JSON.stringify(lines));
        assert.equal(logged[0]?.reqId, id, 'the log line carries the id the client was given');
        const err = logged[0]?.err as { stack?: string } | undefined;
        assert.match(err?.stack ?? '', stack);
        assert.match(err?.stack ?? '', /\n\s+at /, 'with its stack');
        // And the service goes on: nothing was compiled, health answers.
        assert.equal(app.jit.stats().live, 0);
        assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
      } finally {
        await app.close();
      }
    });
  }

  it('is not what a client mistake gets: a term out of range is a 400 naming the field, logged below error', async () => {
    const { app, lines } = await appWithFaultyCompile(() => {
      throw new Error('never compiled');
    });
    try {
      const response = await app.inject({ method: 'GET', url: '/adders/99999999999/apply?x=1' });
      assert.equal(response.statusCode, 400);
      assert.match(response.json().message, /^params\/n must be from -2147483648 to 2147483647/);
      assert.equal(lines.filter((line) => (line.level as number) >= ERROR).length, 0);
    } finally {
      await app.close();
    }
  });
});
