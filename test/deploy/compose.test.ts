/**
 * deploy/compose/sharded.yml, checked offline (test/system/container/sharded.test.ts runs it): its
 * replicas are hardened as docker-compose.yml's service is, configured with values the service accepts,
 * trust the network that only the proxy shares with them, drain long enough for the proxy to take them
 * out of the ring, and are the servers HAProxy's configuration names.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { SHIPPED_CONFIG } from '../../harness/haproxy-process.js';
import { CONFIG_VARIABLES, loadConfig } from '../../src/config.js';
import { SHUTDOWN_GRACE_MS } from '../../src/server.js';

interface ComposeService {
  image?: string;
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  networks?: string[];
  stop_grace_period?: string;
  [key: string]: unknown;
}

interface ComposeFile {
  services: Record<string, ComposeService>;
  networks: Record<string, { internal?: boolean; ipam?: { config: Array<{ subnet: string }> } } | null>;
}

/** A value with Compose's `${NAME:-default}` written as it is when NAME is unset. */
function withDefaults(text: string): string {
  return text.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1');
}

function readCompose(path: string): ComposeFile {
  return parse(withDefaults(readFileSync(new URL(path, import.meta.url), 'utf8'))) as ComposeFile;
}

const sharded = readCompose('../../../deploy/compose/sharded.yml');
const single = readCompose('../../../docker-compose.yml');
const haproxyConfig = readFileSync(SHIPPED_CONFIG, 'utf8');
const replicaNames = Object.keys(sharded.services).filter((name) => name.startsWith('replica-'));
const replicas = replicaNames.map((name) => sharded.services[name] as ComposeService);
const proxy = sharded.services.proxy as ComposeService;

const seconds = (duration: string | undefined) =>
  Number(/^([0-9]+)s$/.exec(duration ?? '')?.[1] ?? Number.NaN);

describe('the sharded Compose file', () => {
  it('runs three replicas hardened as docker-compose.yml runs the service', () => {
    assert.equal(replicas.length, 3);
    const hardening = [
      'platform',
      'read_only',
      'cap_drop',
      'security_opt',
      'init',
      'healthcheck',
      'mem_limit',
      'pids_limit',
      'restart',
    ];
    const reference = single.services.babyjit as ComposeService;
    for (const [index, replica] of replicas.entries()) {
      for (const key of hardening) {
        assert.deepEqual(replica[key], reference[key], `${replicaNames[index]}.${key}`);
      }
      assert.equal(replica.image, reference.image);
      assert.equal(replica.ports, undefined, `${replicaNames[index]} is published`);
    }
  });

  it('configures the replicas with variables the service knows, trusting the network only the proxy shares', () => {
    for (const replica of replicas) {
      const env = replica.environment ?? {};
      for (const name of Object.keys(env))
        assert.ok(name in CONFIG_VARIABLES, `${name} is not a babyjit variable`);
      const { trustedProxies } = loadConfig(env);
      assert.deepEqual(replica.networks, ['shards']);
      assert.deepEqual(trustedProxies, [sharded.networks.shards?.ipam?.config[0]?.subnet]);
    }
    assert.equal(sharded.networks.shards?.internal, true);
    assert.deepEqual(proxy.networks?.sort(), ['front', 'shards']);
  });

  it('drains a stopping replica until the proxy’s checks have taken it out, within its grace period', () => {
    const check = /default-server .*\binter ([0-9]+)s .*\bfall ([0-9]+)\b/.exec(haproxyConfig);
    assert.ok(check, 'no inter and fall on default-server');
    const markedDownMs = Number(check[1]) * 1000 * Number(check[2]);
    for (const replica of replicas) {
      const { shutdownDrainMs } = loadConfig(replica.environment ?? {});
      assert.ok(
        shutdownDrainMs > markedDownMs,
        `drain ${shutdownDrainMs} ms; checks mark down after ${markedDownMs}`,
      );
      assert.ok(seconds(replica.stop_grace_period) * 1000 > shutdownDrainMs + SHUTDOWN_GRACE_MS);
    }
  });

  it('runs HAProxy read-only with the shipped configuration, published on loopback, the replicas its servers', () => {
    assert.equal(proxy.image, 'haproxy:2.6');
    assert.deepEqual(proxy.volumes, ['../haproxy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro']);
    assert.deepEqual(proxy.ports, ['127.0.0.1:3000:8080']);
    assert.match(haproxyConfig, /^\s*bind :8080$/m);
    for (const key of ['read_only', 'cap_drop', 'security_opt', 'restart'] as const) {
      assert.deepEqual(proxy[key], (single.services.babyjit as ComposeService)[key], `proxy.${key}`);
    }
    const port = loadConfig({}).port;
    const servers = [...haproxyConfig.matchAll(/^\s*server (\S+) (\S+) /gm)].map(([, name, address]) => [
      name,
      address,
    ]);
    assert.deepEqual(
      servers,
      replicaNames.map((name) => [name, `${name}:${port}`]),
    );
  });
});
