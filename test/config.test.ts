import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, JIT_ISAS, loadConfig } from '../src/config.js';
import { KERNEL_LEVELS } from '../src/jit/targets.js';

describe('configuration from the environment', () => {
  it('has defaults', () => {
    assert.deepEqual(loadConfig({}), {
      port: 3000,
      host: '127.0.0.1',
      logLevel: 'info',
      jitMaxAdders: 4096,
      metrics: true,
      jitBlinding: true,
      jitIsa: 'auto',
      maxEventLoopDelayMs: 500,
      compilesPerMinute: 0,
      requestTimeoutMs: 30_000,
      headersTimeoutMs: 10_000,
      keepAliveTimeoutMs: 72_000,
      connectionTimeoutMs: 120_000,
      shutdownDrainMs: 0,
      binaryBatchLimitBytes: 16 * 2 ** 20,
      maxConnections: 'auto',
      trustedProxies: [],
    });
  });

  it('reads every variable', () => {
    assert.deepEqual(
      loadConfig({
        PORT: '8080',
        HOST: '0.0.0.0',
        LOG_LEVEL: 'warn',
        JIT_MAX_ADDERS: '64',
        METRICS: 'off',
        JIT_BLINDING: 'off',
        JIT_ISA: 'sse2',
        MAX_EVENT_LOOP_DELAY_MS: '0',
        COMPILE_RATE_LIMIT: '600',
        REQUEST_TIMEOUT_MS: '5000',
        HEADERS_TIMEOUT_MS: '2000',
        KEEP_ALIVE_TIMEOUT_MS: '1000',
        CONNECTION_TIMEOUT_MS: '60000',
        SHUTDOWN_DRAIN_MS: '5000',
        BINARY_BATCH_LIMIT_BYTES: '4096',
        MAX_CONNECTIONS: '5000',
        TRUSTED_PROXIES: '10.0.0.7',
      }),
      {
        port: 8080,
        host: '0.0.0.0',
        logLevel: 'warn',
        jitMaxAdders: 64,
        metrics: false,
        jitBlinding: false,
        jitIsa: 'sse2',
        maxEventLoopDelayMs: 0,
        compilesPerMinute: 600,
        requestTimeoutMs: 5000,
        headersTimeoutMs: 2000,
        keepAliveTimeoutMs: 1000,
        connectionTimeoutMs: 60_000,
        shutdownDrainMs: 5000,
        binaryBatchLimitBytes: 4096,
        maxConnections: 5000,
        trustedProxies: ['10.0.0.7'],
      },
    );
    assert.equal(loadConfig({ HOST: '::' }).host, '::');
    assert.equal(loadConfig({ HOST: 'babyjit.internal' }).host, 'babyjit.internal');
    assert.equal(loadConfig({ HOST: '1password.example' }).host, '1password.example');
  });

  it('reads trusted proxies as addresses and CIDR ranges of either family, spaces around commas allowed', () => {
    assert.deepEqual(loadConfig({ TRUSTED_PROXIES: '127.0.0.1, 10.0.0.0/8,fd00::/8 , ::1' }).trustedProxies, [
      '127.0.0.1',
      '10.0.0.0/8',
      'fd00::/8',
      '::1',
    ]);
    assert.deepEqual(loadConfig({ TRUSTED_PROXIES: '0.0.0.0/0,::/128' }).trustedProxies, [
      '0.0.0.0/0',
      '::/128',
    ]);
    assert.deepEqual(loadConfig({ TRUSTED_PROXIES: 'off' }).trustedProxies, []);
  });

  for (const [variable, value, accepts] of [
    ['PORT', 'abc', /PORT must be an integer from 0 to 65535/],
    ['PORT', '65536', /PORT must be an integer/],
    ['PORT', ' 3000', /PORT must be an integer/],
    ['PORT', '3e3', /PORT must be an integer/],
    ['PORT', '', /PORT must be an integer/],
    ['JIT_MAX_ADDERS', '0', /JIT_MAX_ADDERS must be an integer from 1 to 1048576/],
    ['JIT_MAX_ADDERS', '1.5', /JIT_MAX_ADDERS must be/],
    ['JIT_MAX_ADDERS', '-1', /JIT_MAX_ADDERS must be/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent/],
    ['METRICS', 'yes', /METRICS must be on or off/],
    ['JIT_BLINDING', 'true', /JIT_BLINDING must be on or off/],
    ['JIT_BLINDING', 'ON', /JIT_BLINDING must be on or off/],
    [
      'MAX_EVENT_LOOP_DELAY_MS',
      '60001',
      /MAX_EVENT_LOOP_DELAY_MS must be an integer from 0 \(never shed load\) to 60000/,
    ],
    ['MAX_EVENT_LOOP_DELAY_MS', '-1', /MAX_EVENT_LOOP_DELAY_MS must be/],
    ['COMPILE_RATE_LIMIT', '1e3', /COMPILE_RATE_LIMIT must be an integer from 0 \(no quota\) to 1000000000/],
    ['COMPILE_RATE_LIMIT', 'off', /COMPILE_RATE_LIMIT must be/],
    ['HOST', 'not a host!', /HOST must be an IPv4 or IPv6 address, or a host name/],
    ['HOST', '999.1.1.1', /HOST must be an IPv4 or IPv6 address, or a host name/],
    ['HOST', '10.0.0', /HOST must be/],
    ['REQUEST_TIMEOUT_MS', '999', /REQUEST_TIMEOUT_MS must be an integer from 1000 to 3600000/],
    ['HEADERS_TIMEOUT_MS', '40000', /HEADERS_TIMEOUT_MS must be .*at most REQUEST_TIMEOUT_MS/],
    ['KEEP_ALIVE_TIMEOUT_MS', '0', /KEEP_ALIVE_TIMEOUT_MS must be an integer from 1000/],
    ['CONNECTION_TIMEOUT_MS', 'never', /CONNECTION_TIMEOUT_MS must be an integer/],
    ['SHUTDOWN_DRAIN_MS', '60001', /SHUTDOWN_DRAIN_MS must be an integer from 0 to 60000/],
    ['JIT_ISA', 'avx512', /JIT_ISA must be one of auto, avx2, sse2, scalar, neon/],
    ['MAX_CONNECTIONS', '0', /MAX_CONNECTIONS must be auto .*or an integer from 1 to 1048576/],
    ['MAX_CONNECTIONS', 'AUTO', /MAX_CONNECTIONS must be auto/],
    ['BINARY_BATCH_LIMIT_BYTES', '3', /BINARY_BATCH_LIMIT_BYTES must be an integer from 4 to 1073741824/],
    ['TRUSTED_PROXIES', '', /TRUSTED_PROXIES must be off, or IPv4 and IPv6 addresses and CIDR ranges/],
    ['TRUSTED_PROXIES', 'on', /TRUSTED_PROXIES must be off, or/],
    ['TRUSTED_PROXIES', 'true', /TRUSTED_PROXIES must be/],
    ['TRUSTED_PROXIES', 'haproxy', /TRUSTED_PROXIES must be/],
    ['TRUSTED_PROXIES', 'loopback', /TRUSTED_PROXIES must be/],
    ['TRUSTED_PROXIES', '10.0.0.1,', /TRUSTED_PROXIES must be/],
    ['TRUSTED_PROXIES', '10.0.0.0/33', /TRUSTED_PROXIES must be/],
    ['TRUSTED_PROXIES', '::/129', /TRUSTED_PROXIES must be/],
    ['TRUSTED_PROXIES', '10.0.0.0/', /TRUSTED_PROXIES must be/],
    ['TRUSTED_PROXIES', '10.0.0.0/8/8', /TRUSTED_PROXIES must be/],
    ['TRUSTED_PROXIES', '10.0.0.0/-8', /TRUSTED_PROXIES must be/],
    ['TRUSTED_PROXIES', '10.0.0.256', /TRUSTED_PROXIES must be/],
    ['TRUSTED_PROXIES', '1', /TRUSTED_PROXIES must be/],
  ] as const) {
    it(`stops on ${variable}=${JSON.stringify(value)}, naming the variable and what it accepts`, () => {
      assert.throws(
        () => loadConfig({ [variable]: value }),
        (error: unknown) =>
          error instanceof ConfigError && error.variable === variable && accepts.test(error.message),
      );
    });
  }
});

describe('JIT_ISA', () => {
  it('accepts auto and exactly the levels the JIT has, of every architecture', () => {
    assert.deepEqual([...JIT_ISAS].sort(), ['auto', ...KERNEL_LEVELS].sort());
  });
});
