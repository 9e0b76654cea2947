/**
 * Every HAProxy configuration the project ships, checked by HAProxy itself (`haproxy -c`, Debian 12's
 * 2.6, the version they target): Compose's (deploy/haproxy/haproxy.cfg), the Kubernetes ConfigMap's, and
 * the loopback rewrites the tests and `npm run bench:scale` run. They route alike: the same directives
 * but for their servers and resolvers.
 *
 * Without HAProxy it fails under CI and skips elsewhere.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import {
  checkConfig,
  checkConfigText,
  haproxyUnavailable,
  loopbackConfig,
  routingDirectives,
  SHIPPED_CONFIG,
} from '../../harness/haproxy-process.js';
import { inCI } from '../support/ci.js';

const CONFIG_MAP = new URL('../../../deploy/kubernetes/sharded/proxy-config.yaml', import.meta.url);

/** The haproxy.cfg that the ConfigMap holds. */
export function configMapText(): string {
  const configMap = parse(readFileSync(CONFIG_MAP, 'utf8')) as { data: Record<string, string> };
  const text = configMap.data['haproxy.cfg'];
  assert.ok(text !== undefined, 'the ConfigMap has no haproxy.cfg');
  return text;
}

/** The warnings and alerts `haproxy -c` printed, one a line. */
function complaints(output: string): string[] {
  return output.split('\n').filter((line) => /\[(WARNING|ALERT)\]/.test(line));
}

const LOOPBACK = {
  port: 18080,
  healthPort: 18404,
  statsSocket: '/tmp/babyjit-haproxy-check.sock',
  replicas: [
    { name: 'replica-1', port: 13001 },
    { name: 'replica-2', port: 13002 },
  ],
};

const noHaproxy = await haproxyUnavailable();

if (noHaproxy !== undefined) {
  it(
    'has HAProxy 2.6 or later to check the configurations with (CI requires it)',
    { skip: inCI ? false : `SKIPPED: ${noHaproxy}; apt-get install haproxy` },
    () => assert.fail(`CI needs HAProxy to check the configurations: ${noHaproxy}`),
  );
}

describe('the HAProxy configurations', { skip: noHaproxy !== undefined }, () => {
  it('Compose’s is valid; HAProxy warns only that the replicas’ names do not resolve here', async () => {
    const { valid, output } = await checkConfig(SHIPPED_CONFIG);
    assert.ok(valid, output);
    const unexpected = complaints(output).filter(
      (line) => !/could not resolve address 'replica-[1-3]'/.test(line),
    );
    assert.deepEqual(unexpected, []);
  });

  it('the Kubernetes ConfigMap’s is valid, with the namespace the pod gets from the downward API', async () => {
    const { valid, output } = await checkConfigText(configMapText(), {
      ...process.env,
      POD_NAMESPACE: 'babyjit',
    });
    assert.ok(valid, output);
    assert.deepEqual(complaints(output), []);
  });

  it('the loopback rewrites are valid: as shipped, round-robin, and with another balance factor', async () => {
    for (const variant of [{}, { balance: 'roundrobin' as const }, { hashBalanceFactor: 150 }]) {
      const { valid, output } = await checkConfigText(loopbackConfig({ ...LOOPBACK, ...variant }));
      assert.ok(valid, `${JSON.stringify(variant)}: ${output}`);
      assert.deepEqual(complaints(output), [], JSON.stringify(variant));
    }
  });

  it('are refused when broken, so the checks above can fail', async () => {
    const shipped = readFileSync(SHIPPED_CONFIG, 'utf8');
    const mistakes: Array<[string, string]> = [
      ['hash-type consistent', 'hash-type consistant'],
      ['balance hash var(txn.term)', 'balance hash var(txn.term'],
      ["json_query('$.term','int')", "json_query('$.term','integer')"],
      ['http-check expect status 200', 'http-check expect status'],
      ['retry-on conn-failure empty-response', 'retry-on conn-failure empty-answer'],
    ];
    for (const [from, to] of mistakes) {
      assert.ok(shipped.includes(from), `haproxy.cfg no longer has ${from}`);
      const broken = loopbackConfig(LOOPBACK, shipped.replace(from, to));
      const { valid, output } = await checkConfigText(broken);
      assert.equal(valid, false, `${from} → ${to} was accepted:\n${output}`);
    }
  });

  it('route alike in Compose, Kubernetes and the tests: the same directives but for the servers', () => {
    const shipped = routingDirectives(readFileSync(SHIPPED_CONFIG, 'utf8'));
    assert.deepEqual(routingDirectives(configMapText()), shipped);
    // The loopback rewrite changes the ports it listens on and adds a stats socket, nothing else.
    const loopback = routingDirectives(loopbackConfig(LOOPBACK)).filter(
      (line) => !line.startsWith('stats socket'),
    );
    const ports = (line: string) =>
      line
        .replace(/^bind 127\.0\.0\.1:18080$/, 'bind :8080')
        .replace(/^bind 127\.0\.0\.1:18404$/, 'bind :8404');
    assert.deepEqual(loopback.map(ports), shipped);
  });
});
