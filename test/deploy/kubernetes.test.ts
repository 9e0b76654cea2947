/**
 * deploy/kubernetes, checked offline: every manifest validates against the Kubernetes API's schemas (the
 * validators that kubernetes-models compiles from the API's OpenAPI definitions), the objects refer to one
 * another consistently, and the pod has the hardening the container has under Docker.
 *
 * Those schemas, like the API server without strict field validation, let unknown fields through (a
 * misspelt `replica:` is ignored): hence the explicit assertions on every field that matters.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { Service } from 'kubernetes-models/v1';
import { parse } from 'yaml';
import { CONFIG_VARIABLES, loadConfig } from '../../src/config.js';
import { ARCHITECTURES } from '../../src/jit/targets.js';
import { SHUTDOWN_GRACE_MS } from '../../src/server.js';
import {
  type Manifest,
  type ModelClass,
  matches,
  parseManifests,
  readManifests,
  validate as validateManifest,
} from '../support/kubernetes-manifests.js';

const manifestsDir = new URL('../../../deploy/kubernetes/', import.meta.url);

/** The kinds the manifests may hold, by apiVersion and kind, each with its validating model. */
const MODELS: Record<string, ModelClass> = {
  'apps/v1 Deployment': Deployment,
  'v1 Service': Service,
  'autoscaling/v2 HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1 PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1 NetworkPolicy': NetworkPolicy,
};

const validate = (manifest: Manifest) => validateManifest(manifest, MODELS);

const manifests = readManifests(manifestsDir);

function only<T extends ModelClass>(Kind: T): InstanceType<T> {
  const found = manifests.map(validate).filter((model) => model instanceof Kind);
  assert.equal(found.length, 1, `exactly one ${Kind.name} in deploy/kubernetes`);
  return found[0] as InstanceType<T>;
}

describe('the Kubernetes manifests', () => {
  it('each validate against the Kubernetes API schema of their kind', () => {
    assert.deepEqual(
      manifests.map(({ object }) => `${object.apiVersion} ${object.kind}`).sort(),
      Object.keys(MODELS).sort(),
    );
    for (const manifest of manifests) validate(manifest);
  });

  it('are rejected when broken, so the check above can fail', () => {
    const text = readFileSync(new URL('deployment.yaml', manifestsDir), 'utf8');
    // Each a mistake one could make editing deployment.yaml: the text to find, what it becomes, the complaint.
    const mistakes: Array<[string, string, RegExp]> = [
      [
        '  replicas: 3\n',
        '  replicas: three\n',
        /deployment\.yaml: apps\/v1 Deployment .*spec\/replicas must be integer/,
      ],
      ['memory: 256Mi', 'memory: lots', /limits\/memory must match format "quantity"/],
      ['containerPort: 3000', 'containerPort: "3000"', /ports\/0\/containerPort must be integer/],
      ['        - name: babyjit\n', '        -\n', /containers\/0 must have required property name/],
      [
        '  selector:\n    matchLabels:',
        '  selectr:\n    matchLabels:',
        /spec must have required property selector/,
      ],
      ['kind: Deployment', 'kind: Deploymnet', /apps\/v1 Deploymnet is not one of/],
      ['  replicas: 3\n', ' replicas: 3\n', /deployment\.yaml: /], // YAML that no longer parses
    ];
    for (const [from, to, complaint] of mistakes) {
      assert.ok(text.includes(from), `deployment.yaml no longer has ${JSON.stringify(from)}`);
      const broken = () => parseManifests('deployment.yaml', text.replace(from, to)).forEach(validate);
      assert.throws(broken, complaint, `${JSON.stringify(from)} → ${JSON.stringify(to)}`);
    }
  });

  it('run three replicas of one container, probed on /healthz and /readyz, with requests and limits', () => {
    const deployment = only(Deployment);
    assert.equal(deployment.spec?.replicas, 3);
    const pod = deployment.spec?.template.spec;
    assert.equal(pod?.containers.length, 1);
    const container = pod?.containers[0];
    assert.ok(container);
    assert.deepEqual(container.ports, [{ name: 'http', containerPort: 3000, protocol: 'TCP' }]);
    assert.deepEqual(container.livenessProbe?.httpGet, { path: '/healthz', port: 'http' });
    assert.deepEqual(container.readinessProbe?.httpGet, { path: '/readyz', port: 'http' });
    for (const bound of ['requests', 'limits'] as const) {
      for (const resource of ['cpu', 'memory']) {
        assert.ok(container.resources?.[bound]?.[resource] !== undefined, `resources.${bound}.${resource}`);
      }
    }
  });

  it('configure the service with variables it knows and values it accepts, listening on all addresses', () => {
    const container = only(Deployment).spec?.template.spec?.containers[0];
    const env = Object.fromEntries((container?.env ?? []).map(({ name, value }) => [name, value]));
    for (const name of Object.keys(env))
      assert.ok(name in CONFIG_VARIABLES, `${name} is not a babyjit variable`);
    const config = loadConfig(env);
    assert.equal(config.host, '0.0.0.0');
    assert.equal(config.port, container?.ports?.[0]?.containerPort);
  });

  it('drain for endpoints to catch up, then give the server time to shut down before the kubelet kills it', () => {
    const pod = only(Deployment).spec?.template.spec;
    const env = Object.fromEntries((pod?.containers[0]?.env ?? []).map(({ name, value }) => [name, value]));
    const { shutdownDrainMs } = loadConfig(env);
    assert.ok(shutdownDrainMs >= 5_000, `SHUTDOWN_DRAIN_MS is ${shutdownDrainMs}`);
    const grace = pod?.terminationGracePeriodSeconds;
    assert.ok(
      grace !== undefined && grace * 1000 > shutdownDrainMs + SHUTDOWN_GRACE_MS,
      `terminationGracePeriodSeconds ${grace} is not longer than the drain and the server's deadline`,
    );
  });

  it("request at least the memory bench:memory saw held on the image's Node.js, and limit the pod to 256Mi", () => {
    const resources = only(Deployment).spec?.template.spec?.containers[0]?.resources;
    const dockerfile = readFileSync(new URL('../../../Dockerfile', import.meta.url), 'utf8');
    const major = /^ARG NODE_IMAGE=node:([0-9]+)-/m.exec(dockerfile)?.[1];
    assert.ok(major, 'the Dockerfile names no node:<major> image');
    const benchmarks = readFileSync(new URL('../../../docs/benchmarks.md', import.meta.url), 'utf8');
    const section = new RegExp(
      `<!-- begin bench:memory node${major} -->([\\s\\S]*?)<!-- end bench:memory node${major} -->`,
    ).exec(benchmarks);
    const floors = /resident memory floors:[^|]*\| ([0-9.]+) MiB, ([0-9.]+) MiB \|/.exec(section?.[1] ?? '');
    assert.ok(floors, `docs/benchmarks.md has no resident memory floors for Node.js ${major}`);
    const held = Math.max(Number(floors[1]), Number(floors[2]));
    const requested = /^([0-9]+)Mi$/.exec(String(resources?.requests?.memory));
    assert.ok(requested, `the memory request is ${resources?.requests?.memory}, not in Mi`);
    assert.ok(Number(requested[1]) >= held, `requests ${requested[1]} MiB; bench:memory held ${held} MiB`);
    assert.equal(resources?.limits?.memory, '256Mi');
  });

  it('run the pod as non-root, read-only, unprivileged, with no capabilities and the default seccomp', () => {
    const pod = only(Deployment).spec?.template.spec;
    const container = pod?.containers[0];
    const podSecurity = pod?.securityContext;
    const security = container?.securityContext;
    assert.equal(security?.runAsNonRoot ?? podSecurity?.runAsNonRoot, true);
    // The image's USER is a name; the kubelet accepts runAsNonRoot only with a numeric uid to check.
    assert.equal(security?.runAsUser ?? podSecurity?.runAsUser, 1000);
    assert.equal(security?.readOnlyRootFilesystem, true);
    assert.equal(security?.allowPrivilegeEscalation, false);
    assert.equal(security?.privileged ?? false, false);
    assert.deepEqual(security?.capabilities, { drop: ['ALL'] });
    assert.equal((security?.seccompProfile ?? podSecurity?.seccompProfile)?.type, 'RuntimeDefault');
    assert.equal(pod?.automountServiceAccountToken, false);
  });

  it('point the Service, the autoscaler and the disruption budget at the Deployment and its pods', () => {
    const deployment = only(Deployment);
    const labels = deployment.spec?.template.metadata?.labels;
    assert.ok(matches(deployment.spec?.selector.matchLabels, labels), 'the Deployment selects its own pods');

    const service = only(Service);
    assert.ok(matches(service.spec?.selector, labels), 'the Service selects the pods');
    assert.deepEqual(
      service.spec?.ports?.map(({ targetPort }) => targetPort),
      ['http'],
      'the Service sends traffic to the named container port',
    );

    const autoscaler = only(HorizontalPodAutoscaler);
    assert.deepEqual(autoscaler.spec?.scaleTargetRef, {
      apiVersion: deployment.apiVersion,
      kind: deployment.kind,
      name: deployment.metadata?.name,
    });
    assert.equal(autoscaler.spec?.minReplicas, deployment.spec?.replicas);
    assert.ok((autoscaler.spec?.maxReplicas ?? 0) > (autoscaler.spec?.minReplicas ?? 0));
    // CPU utilisation is measured against the request, which must therefore be set (checked above).
    assert.equal(autoscaler.spec?.metrics?.[0]?.resource?.name, 'cpu');

    const budget = only(PodDisruptionBudget);
    assert.ok(matches(budget.spec?.selector?.matchLabels, labels), 'the budget covers the pods');
    assert.equal(budget.spec?.maxUnavailable, 1);
  });

  it('admit only labelled clients and Prometheus, on the service port, and let the pods open no connection', () => {
    const deployment = only(Deployment);
    const labels = deployment.spec?.template.metadata?.labels;
    const policy = only(NetworkPolicy);
    assert.ok(matches(policy.spec?.podSelector.matchLabels, labels), 'the policy covers the pods');
    assert.deepEqual([...(policy.spec?.policyTypes ?? [])].sort(), ['Egress', 'Ingress']);
    assert.deepEqual(policy.spec?.egress, [], 'no egress rule: nothing may go out');
    const ports = deployment.spec?.template.spec?.containers[0]?.ports?.map(({ name }) => name);
    const rules = policy.spec?.ingress ?? [];
    assert.ok(rules.length > 0);
    for (const rule of rules) {
      // A rule without `from` or `ports`, or with an empty selector, would admit every pod or every port.
      assert.deepEqual(rule.ports, [{ port: 'http', protocol: 'TCP' }]);
      assert.ok(ports?.includes('http'), 'the port the rules name is the container port');
      assert.ok((rule.from ?? []).length > 0, 'each rule names its peers');
      for (const peer of rule.from ?? []) {
        assert.equal(peer.ipBlock, undefined, 'no peer by address');
        for (const selector of [peer.podSelector, peer.namespaceSelector]) {
          if (selector !== undefined)
            assert.ok(
              Object.keys(selector.matchLabels ?? {}).length > 0,
              'no selector that matches everything',
            );
        }
      }
    }
    // The clients' label, and Prometheus by namespace and name.
    assert.deepEqual(rules[0]?.from, [{ podSelector: { matchLabels: { 'babyjit/client': 'true' } } }]);
    assert.deepEqual(rules[1]?.from?.[0]?.podSelector?.matchLabels, {
      'app.kubernetes.io/name': 'prometheus',
    });
  });

  it('have /metrics scraped: the pod says where, and the service serves it there', () => {
    const template = only(Deployment).spec?.template;
    const container = template?.spec?.containers[0];
    const env = Object.fromEntries((container?.env ?? []).map(({ name, value }) => [name, value]));
    const config = loadConfig(env);
    assert.equal(config.metrics, true, 'METRICS is on');
    assert.deepEqual(template?.metadata?.annotations, {
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': String(config.port),
      'prometheus.io/path': '/metrics',
    });
  });

  it('spread the pods over nodes, strictly, and over zones where there are any', () => {
    const deployment = only(Deployment);
    const labels = deployment.spec?.template.metadata?.labels;
    const constraints = deployment.spec?.template.spec?.topologySpreadConstraints ?? [];
    const byKey = Object.fromEntries(constraints.map((constraint) => [constraint.topologyKey, constraint]));
    assert.deepEqual(Object.keys(byKey).sort(), ['kubernetes.io/hostname', 'topology.kubernetes.io/zone']);
    for (const constraint of constraints) {
      assert.equal(constraint.maxSkew, 1);
      assert.ok(matches(constraint.labelSelector?.matchLabels, labels), 'it counts the Deployment’s pods');
      assert.deepEqual(constraint.matchLabelKeys, ['pod-template-hash'], 'each rollout spread on its own');
    }
    assert.equal(byKey['kubernetes.io/hostname']?.whenUnsatisfiable, 'DoNotSchedule');
    // Nodes the pod cannot go to (tainted control planes) must not count as empty domains to balance against.
    assert.equal(byKey['kubernetes.io/hostname']?.nodeTaintsPolicy, 'Honor');
    assert.equal(byKey['topology.kubernetes.io/zone']?.whenUnsatisfiable, 'ScheduleAnyway');
  });

  it('schedule the pods only on Linux nodes of an architecture the JIT generates code for, as Compose builds for any', () => {
    const compose = parse(readFileSync(new URL('../../../docker-compose.yml', import.meta.url), 'utf8')) as {
      services: Record<string, { platform?: string }>;
    };
    const platforms = Object.values(compose.services).map((service) => service.platform);
    assert.deepEqual(platforms, [undefined], 'Compose builds for the host, whichever it is');
    // Node.js names x86-64 x64; Kubernetes (and Go) amd64.
    const kubernetesArch: Record<string, string> = { x64: 'amd64', arm64: 'arm64' };
    const os = 'linux';
    const arch = ARCHITECTURES.map((architecture) => kubernetesArch[architecture.nodeArch]);
    const terms =
      only(Deployment).spec?.template.spec?.affinity?.nodeAffinity
        ?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
    // Terms are alternatives (OR): each one must hold the platform on its own.
    assert.ok(terms.length > 0, 'a required node affinity');
    for (const term of terms) {
      const requirement = (key: string) =>
        term.matchExpressions?.find((expression) => expression.key === key);
      assert.deepEqual(requirement('kubernetes.io/os'), {
        key: 'kubernetes.io/os',
        operator: 'In',
        values: [os],
      });
      assert.deepEqual(requirement('kubernetes.io/arch'), {
        key: 'kubernetes.io/arch',
        operator: 'In',
        values: arch,
      });
    }
  });

  it('request the CPU docs/operations.md measured, and scale out on it before a pod reaches its limit', () => {
    const resources = only(Deployment).spec?.template.spec?.containers[0]?.resources;
    const millicores = (quantity: unknown) => {
      const match = /^([0-9]+)(m?)$/.exec(String(quantity));
      assert.ok(match, `CPU quantity ${String(quantity)}`);
      return Number(match[1]) * (match[2] === 'm' ? 1 : 1000);
    };
    const request = millicores(resources?.requests?.cpu);
    const limit = millicores(resources?.limits?.cpu);
    const target = only(HorizontalPodAutoscaler).spec?.metrics?.[0]?.resource?.target;
    assert.equal(target?.type, 'Utilization');
    const scaleOutAt = (request * (target?.averageUtilization ?? 0)) / 100;
    assert.ok(scaleOutAt < limit, `scales out at ${scaleOutAt} millicores, at or past the limit ${limit}`);
    // The figures the manifests use are those the measurement in docs/operations.md derived.
    const operations = readFileSync(new URL('../../../docs/operations.md', import.meta.url), 'utf8');
    const sizing = /<!-- cpu-sizing: request (\d+)m, target (\d+) % -->/.exec(operations);
    assert.ok(sizing, 'docs/operations.md states the sizing it derived');
    assert.deepEqual(
      [request, target?.averageUtilization],
      [Number(sizing[1]), Number(sizing[2])],
      'the manifests use the request and target docs/operations.md derives',
    );
  });
});
