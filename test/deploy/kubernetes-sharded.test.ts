/**
 * deploy/kubernetes/sharded, checked offline: every manifest validates against the Kubernetes API's
 * schemas, the objects refer to one another consistently (the proxy's servers are exactly the
 * StatefulSet's pods by their DNS names), both tiers are hardened and probed, and the plain manifests in
 * deploy/kubernetes stay apart from them. `haproxy -c` on the ConfigMap is in haproxy.test.ts.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, type IContainer, type IPodSpec, Service } from 'kubernetes-models/v1';
import { CONFIG_VARIABLES, loadConfig } from '../../src/config.js';
import { SHUTDOWN_GRACE_MS } from '../../src/server.js';
import {
  type ModelClass,
  matches,
  parseManifests,
  readManifests,
  validate,
} from '../support/kubernetes-manifests.js';

const shardedDir = new URL('../../../deploy/kubernetes/sharded/', import.meta.url);
const plainDir = new URL('../../../deploy/kubernetes/', import.meta.url);

const MODELS: Record<string, ModelClass> = {
  'apps/v1 StatefulSet': StatefulSet,
  'apps/v1 Deployment': Deployment,
  'v1 Service': Service,
  'v1 ConfigMap': ConfigMap,
  'policy/v1 PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1 NetworkPolicy': NetworkPolicy,
};

const manifests = readManifests(shardedDir);
const models = manifests.map((manifest) => validate(manifest, MODELS));

function named<T extends ModelClass>(Kind: T, name: string): InstanceType<T> {
  const found = models.filter(
    (model) => model instanceof Kind && (model as { metadata?: { name?: string } }).metadata?.name === name,
  );
  assert.equal(found.length, 1, `exactly one ${Kind.name} ${name} in deploy/kubernetes/sharded`);
  return found[0] as InstanceType<T>;
}

const shards = named(StatefulSet, 'babyjit-shard');
const headless = named(Service, 'babyjit-shard');
const proxy = named(Deployment, 'babyjit-proxy');
const proxyService = named(Service, 'babyjit-proxy');
const proxyConfig = named(ConfigMap, 'babyjit-proxy');

function only(pod: IPodSpec | undefined): IContainer {
  assert.equal(pod?.containers.length, 1);
  return pod?.containers[0] as IContainer;
}

function envOf(container: IContainer): Record<string, string | undefined> {
  return Object.fromEntries((container.env ?? []).map(({ name, value }) => [name, value]));
}

/** The hardening ../deployment.yaml gives its pod, asked of another pod. */
function assertHardened(pod: IPodSpec | undefined, uid: number) {
  const security = only(pod).securityContext;
  assert.equal(security?.runAsNonRoot ?? pod?.securityContext?.runAsNonRoot, true);
  assert.equal(security?.runAsUser ?? pod?.securityContext?.runAsUser, uid);
  assert.equal(security?.readOnlyRootFilesystem, true);
  assert.equal(security?.allowPrivilegeEscalation, false);
  assert.equal(security?.privileged ?? false, false);
  assert.deepEqual(security?.capabilities, { drop: ['ALL'] });
  assert.equal((security?.seccompProfile ?? pod?.securityContext?.seccompProfile)?.type, 'RuntimeDefault');
  assert.equal(pod?.automountServiceAccountToken, false);
  for (const bound of ['requests', 'limits'] as const) {
    for (const resource of ['cpu', 'memory']) {
      assert.ok(only(pod).resources?.[bound]?.[resource] !== undefined, `resources.${bound}.${resource}`);
    }
  }
}

const haproxyConfig = () => String(proxyConfig.data?.['haproxy.cfg']);

describe('the sharded Kubernetes manifests', () => {
  it('each validate against the Kubernetes API schema of their kind', () => {
    assert.deepEqual(manifests.map(({ object }) => `${object.apiVersion} ${object.kind}`).sort(), [
      'apps/v1 Deployment',
      'apps/v1 StatefulSet',
      'networking.k8s.io/v1 NetworkPolicy',
      'policy/v1 PodDisruptionBudget',
      'policy/v1 PodDisruptionBudget',
      'v1 ConfigMap',
      'v1 Service',
      'v1 Service',
    ]);
  });

  it('are rejected when broken, so the check above can fail', () => {
    const text = readFileSync(new URL('shard-statefulset.yaml', shardedDir), 'utf8');
    const mistakes: Array<[string, string, RegExp]> = [
      ['  replicas: 3\n', '  replicas: three\n', /spec\/replicas must be integer/],
      [
        '  selector:\n    matchLabels:',
        '  selectr:\n    matchLabels:',
        /spec must have required property selector/,
      ],
      [
        'podManagementPolicy: Parallel',
        'podManagementPolicy: [Parallel]',
        /podManagementPolicy must be string/,
      ],
      ['kind: StatefulSet', 'kind: StatefulSets', /apps\/v1 StatefulSets is not one of/],
    ];
    for (const [from, to, complaint] of mistakes) {
      assert.ok(text.includes(from), `shard-statefulset.yaml no longer has ${JSON.stringify(from)}`);
      const broken = () => {
        for (const manifest of parseManifests('shard-statefulset.yaml', text.replace(from, to))) {
          validate(manifest, MODELS);
        }
      };
      assert.throws(broken, complaint, `${JSON.stringify(from)} → ${JSON.stringify(to)}`);
    }
  });

  it('give the replicas stable names: a StatefulSet and its headless Service', () => {
    const labels = shards.spec?.template.metadata?.labels;
    assert.ok(matches(shards.spec?.selector.matchLabels, labels), 'the StatefulSet selects its own pods');
    assert.equal(shards.spec?.serviceName, headless.metadata?.name);
    assert.equal(headless.spec?.clusterIP, 'None');
    // The proxy's health checks alone decide when a replica leaves the ring, not DNS.
    assert.equal(headless.spec?.publishNotReadyAddresses, true);
    assert.ok(matches(headless.spec?.selector, labels), 'the headless Service selects the pods');
    assert.equal(shards.spec?.podManagementPolicy, 'Parallel');
  });

  it('list exactly the StatefulSet’s pods, by DNS name and in order, as the proxy’s servers', () => {
    const servers = [...haproxyConfig().matchAll(/^\s*server (\S+) "([^"]+)"/gm)].map(([, name, address]) => [
      name,
      address,
    ]);
    const port = only(shards.spec?.template.spec).ports?.[0]?.containerPort;
    const expected = Array.from({ length: shards.spec?.replicas ?? 0 }, (_, index) => {
      const pod = `${shards.metadata?.name}-${index}`;
      return [pod, `${pod}.${headless.metadata?.name}.\${POD_NAMESPACE}.svc.cluster.local:${port}`];
    });
    assert.deepEqual(servers, expected);
    assert.equal(headless.spec?.ports?.[0]?.port, port);
    // The namespace comes from the downward API.
    const namespace = only(proxy.spec?.template.spec).env?.find(({ name }) => name === 'POD_NAMESPACE');
    assert.equal(namespace?.valueFrom?.fieldRef?.fieldPath, 'metadata.namespace');
  });

  it('run the replicas hardened and probed, configured with variables the service accepts', () => {
    const pod = shards.spec?.template.spec;
    assertHardened(pod, 1000);
    const container = only(pod);
    assert.deepEqual(container.livenessProbe?.httpGet, { path: '/healthz', port: 'http' });
    assert.deepEqual(container.readinessProbe?.httpGet, { path: '/readyz', port: 'http' });
    const env = envOf(container);
    for (const name of Object.keys(env))
      assert.ok(name in CONFIG_VARIABLES, `${name} is not a babyjit variable`);
    const config = loadConfig(env);
    assert.equal(config.host, '0.0.0.0');
    assert.equal(config.port, container.ports?.[0]?.containerPort);
    assert.ok(
      config.trustedProxies.length > 0,
      'TRUSTED_PROXIES is set: the quota counts clients, not the proxy',
    );
  });

  it('drain a stopping replica until the proxy’s checks have taken it out, within the grace period', () => {
    const pod = shards.spec?.template.spec;
    const { shutdownDrainMs } = loadConfig(envOf(only(pod)));
    const check = /default-server .*\binter ([0-9]+)s .*\bfall ([0-9]+)\b/.exec(haproxyConfig());
    assert.ok(check, 'no inter and fall on default-server');
    const markedDownMs = Number(check[1]) * 1000 * Number(check[2]);
    assert.ok(
      shutdownDrainMs > markedDownMs,
      `drain ${shutdownDrainMs} ms, checks mark down after ${markedDownMs} ms`,
    );
    const grace = pod?.terminationGracePeriodSeconds ?? 30;
    assert.ok(grace * 1000 > shutdownDrainMs + SHUTDOWN_GRACE_MS, `terminationGracePeriodSeconds ${grace}`);
  });

  it('run HAProxy hardened, with its configuration from the ConfigMap, probed on its health frontend', () => {
    const pod = proxy.spec?.template.spec;
    assertHardened(pod, 99);
    const container = only(pod);
    assert.equal(container.image, 'haproxy:2.6');
    const mount = container.volumeMounts?.find(({ name }) => name === 'config');
    assert.equal(mount?.mountPath, '/usr/local/etc/haproxy');
    assert.equal(mount?.readOnly, true);
    assert.equal(
      pod?.volumes?.find(({ name }) => name === 'config')?.configMap?.name,
      proxyConfig.metadata?.name,
    );
    // The ports are those the configuration binds.
    const binds = [...haproxyConfig().matchAll(/^\s*bind :([0-9]+)$/gm)].map(([, port]) => Number(port));
    assert.deepEqual(
      container.ports?.map(({ containerPort }) => containerPort),
      binds,
    );
    const health = container.ports?.find(({ name }) => name === 'health');
    assert.deepEqual(container.livenessProbe?.httpGet, { path: '/healthz', port: health?.name });
    assert.deepEqual(container.readinessProbe?.httpGet, { path: '/readyz', port: health?.name });
    assert.ok((proxy.spec?.replicas ?? 0) >= 2, 'two proxies, so that one can be disrupted');
    const labels = proxy.spec?.template.metadata?.labels;
    assert.ok(matches(proxyService.spec?.selector, labels), 'the proxy Service selects the proxy pods');
    assert.deepEqual(
      proxyService.spec?.ports?.map(({ targetPort }) => targetPort),
      ['http'],
    );
  });

  it('budget disruptions for both tiers, and let only the proxy reach the replicas', () => {
    const shardLabels = shards.spec?.template.metadata?.labels;
    const proxyLabels = proxy.spec?.template.metadata?.labels;
    const shardBudget = named(PodDisruptionBudget, 'babyjit-shard');
    assert.ok(matches(shardBudget.spec?.selector?.matchLabels, shardLabels));
    assert.equal(shardBudget.spec?.maxUnavailable, 1);
    const proxyBudget = named(PodDisruptionBudget, 'babyjit-proxy');
    assert.ok(matches(proxyBudget.spec?.selector?.matchLabels, proxyLabels));
    assert.equal(proxyBudget.spec?.minAvailable, 1);

    const policy = named(NetworkPolicy, 'babyjit-shard');
    assert.ok(matches(policy.spec?.podSelector.matchLabels, shardLabels));
    assert.deepEqual(policy.spec?.policyTypes, ['Ingress']);
    const from = policy.spec?.ingress?.flatMap((rule) => rule.from ?? []) ?? [];
    assert.equal(from.length, 1);
    assert.ok(matches(from[0]?.podSelector?.matchLabels, proxyLabels), 'ingress from the proxy pods only');
  });

  it('stay apart from the plain manifests, which select none of their pods', () => {
    const plain = readManifests(plainDir).map(
      ({ object }) => object as { kind: string; metadata: { name: string }; spec?: Record<string, unknown> },
    );
    const shardedNames = new Set(
      manifests.map(({ object }) => `${object.kind} ${(object.metadata as { name: string }).name}`),
    );
    for (const object of plain) {
      assert.ok(
        !shardedNames.has(`${object.kind} ${object.metadata.name}`),
        `${object.kind} ${object.metadata.name} in both`,
      );
      const selector =
        (object.spec?.selector as { matchLabels?: Record<string, string> } | undefined)?.matchLabels ??
        (object.spec?.selector as Record<string, string> | undefined);
      if (selector === undefined || object.kind === 'HorizontalPodAutoscaler') continue;
      for (const labels of [shards.spec?.template.metadata?.labels, proxy.spec?.template.metadata?.labels]) {
        assert.ok(!matches(selector, labels), `${object.kind} ${object.metadata.name} selects sharded pods`);
      }
    }
  });
});
