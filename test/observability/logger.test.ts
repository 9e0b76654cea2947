import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LogLevel } from '../../src/config.js';
import { createServiceLogger } from '../../src/observability/logger.js';
import { buildApp } from '../../src/service/app.js';
import { collectingDestination } from '../support/log-lines.js';

async function appLogging(level: LogLevel) {
  const { stream, lines } = collectingDestination();
  const app = await buildApp({ logger: createServiceLogger({ level, destination: stream }), metrics: false });
  return { app, lines };
}

describe('the service logger', () => {
  it('is no logger at all at silent', () => {
    assert.equal(createServiceLogger({ level: 'silent' }), undefined);
  });

  it('is its own child, so that requests share it, and writes at its level and above', () => {
    const { stream, lines } = collectingDestination();
    const logger = createServiceLogger({ level: 'info', destination: stream });
    assert.ok(logger);
    assert.equal(logger.child({ reqId: 'req-1' }), logger);
    logger.debug('dropped');
    logger.info({ term: 5 }, 'kept');
    logger.error('also kept');
    assert.deepEqual(
      lines.map(({ level, msg, term }) => ({ level, msg, term })),
      [
        { level: 30, msg: 'kept', term: 5 },
        { level: 50, msg: 'also kept', term: undefined },
      ],
    );
  });

  it('above debug, is app.log in every scope but not given to Fastify, and failures still reach it', async () => {
    const { stream, lines } = collectingDestination();
    const logger = createServiceLogger({ level: 'info', destination: stream });
    const app = await buildApp({ logger, metrics: false });
    try {
      let scopedLog: unknown;
      let requestLog: unknown;
      await app.register(async (scope) => {
        scopedLog = scope.log;
        scope.get('/boom', (request) => {
          requestLog = request.log;
          throw new Error('kaboom');
        });
      });
      const response = await app.inject({ method: 'GET', url: '/boom' });
      assert.equal(response.statusCode, 500);
      assert.equal(app.log, logger);
      assert.equal(scopedLog, logger);
      // Fastify's own logger would cost listeners on every response (logger.ts); it has none.
      assert.notEqual(requestLog, logger);
      const failed = lines.filter((line) => line.msg === 'request failed');
      assert.equal(failed.length, 1, JSON.stringify(lines));
      assert.equal(failed[0]?.level, 50);
      // The id its answer names (request-id.ts), a new UUID for a request that brought none.
      assert.equal(failed[0]?.reqId, response.headers['x-request-id']);
      assert.match(String(failed[0]?.reqId), /^[0-9a-f-]{36}$/);
      assert.equal((failed[0]?.err as { message?: string } | undefined)?.message, 'kaboom');
    } finally {
      await app.close();
    }
  });

  it('at debug, is the logger Fastify and every request use, and what a request writes reaches it', async () => {
    const { app, lines } = await appLogging('debug');
    try {
      let requestLog: unknown;
      app.get('/probe', (request) => {
        requestLog = request.log;
        request.log.debug({ probe: 1 }, 'written through the request');
        return {};
      });
      await app.inject({ method: 'GET', url: '/probe' });
      assert.equal(requestLog, app.log);
      assert.deepEqual(
        lines.filter((line) => line.probe === 1).map(({ level, msg }) => ({ level, msg })),
        [{ level: 20, msg: 'written through the request' }],
      );
    } finally {
      await app.close();
    }
  });

  it('at debug, writes one line per request with its id, method, URL and status; at info, none', async () => {
    for (const [level, expected] of [
      ['debug', 1],
      ['info', 0],
    ] as const) {
      const { app, lines } = await appLogging(level);
      try {
        const response = await app.inject({ method: 'GET', url: '/adders/5/apply?x=37' });
        assert.equal(response.statusCode, 200);
        const completed = lines.filter((line) => line.msg === 'request completed');
        assert.equal(completed.length, expected, `${level}: ${JSON.stringify(lines)}`);
        if (expected === 1) {
          const [line] = completed;
          assert.deepEqual(
            { method: line?.method, url: line?.url, statusCode: line?.statusCode },
            { method: 'GET', url: '/adders/5/apply?x=37', statusCode: 200 },
          );
          assert.equal(
            line?.reqId,
            response.headers['x-request-id'],
            'the line names its request, there being no child logger to',
          );
          assert.match(String(line?.reqId), /^[0-9a-f-]{36}$/);
        }
        assert.ok(
          lines.some((line) => line.msg === 'JIT self-test passed; registry ready'),
          level,
        );
      } finally {
        await app.close();
      }
    }
  });
});
