/**
 * deploy/compose/sharded.yml on a real Docker engine: HAProxy (the haproxy:2.6 image, or docker-local.sh's
 * stand-in tagged the same) in front of three replicas of the image built from the repository. Results
 * are right through the proxy and each term is always served by one replica; every container is
 * hardened and only the proxy is published; a replica killed has its terms served by the others, and
 * gets them back when it starts again.
 *
 * Without an engine, Compose or the HAProxy image it fails under CI and skips elsewhere. Everything it
 * creates (the image's tag, the Compose project and its networks) is removed in `after`, pass or fail.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { REPLICA_HEADER } from '../../../harness/haproxy-process.js';
import { wrappingAdd } from '../../../src/jit/int32.js';
import { inCI, skipRuntimeIndependent } from '../../support/ci.js';
import {
  type BuiltImage,
  buildImage,
  composeCommand,
  DOCKER_LOCAL_HINT,
  docker,
  dockerEngineUnavailable,
  freeLoopbackPort,
  mustRun,
  removeBuiltImage,
  runCommand,
  waitUntilHealthy,
} from '../../support/docker.js';

const runId = `${process.pid}-${randomBytes(3).toString('hex')}`;
const IMAGE = `babyjit:sharded-test-${runId}`;
const PROXY_IMAGE = 'haproxy:2.6';
const COMPOSE_FILE = 'deploy/compose/sharded.yml';
const REPLICAS = ['replica-1', 'replica-2', 'replica-3'];
const BUILD_TIMEOUT_MS = 10 * 60_000;
const HEALTHY_WITHIN_MS = 90_000;

const noEngine = skipRuntimeIndependent ? undefined : await dockerEngineUnavailable();
const noProxyImage =
  skipRuntimeIndependent || noEngine !== undefined
    ? undefined
    : (await runCommand('docker', ['image', 'inspect', PROXY_IMAGE])).code === 0
      ? undefined
      : `no ${PROXY_IMAGE} image: \`bash ../shared/tools/docker-local.sh up haproxy\` builds a stand-in for it`;
const compose = noEngine === undefined && noProxyImage === undefined ? await composeCommand() : undefined;
const missing =
  noEngine !== undefined
    ? `no Docker engine (${noEngine}); ${DOCKER_LOCAL_HINT}`
    : (noProxyImage ??
      (compose === undefined ? 'neither docker-compose nor the docker compose plugin' : undefined));

if (!skipRuntimeIndependent && missing !== undefined) {
  it(
    'has a Docker engine, Compose and the HAProxy image to run the sharded service with (CI requires them)',
    { skip: inCI ? false : `SKIPPED: ${missing}` },
    () => assert.fail(`CI needs them for the sharded Compose test: ${missing}`),
  );
}

interface Applied {
  replica: string;
  cache: string;
}

describe('the sharded service under Compose', {
  skip: skipRuntimeIndependent || missing !== undefined,
}, () => {
  const project = `babyjit-sharded-test-${runId}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    BABYJIT_IMAGE: IMAGE,
    // A range of its own, so that two runs on one engine never claim the same subnet.
    BABYJIT_SHARDS_SUBNET: `10.${randomInt(200, 250)}.${randomInt(0, 256)}.0/24`,
  };
  let base = '';
  let image: BuiltImage | undefined;
  /** Each term's replica, as the first test found it. */
  const homes = new Map<number, string>();
  const terms = Array.from({ length: 60 }, (_, i) => 10_000 + i * 104_729);

  const runCompose = (args: string[], timeoutMs = 120_000) => {
    const [file = '', ...prefix] = compose ?? [];
    return mustRun(file, [...prefix, '--file', COMPOSE_FILE, '--project-name', project, ...args], {
      env,
      timeoutMs,
    });
  };
  const container = async (service: string) => (await runCompose(['ps', '--quiet', service])).trim();

  async function apply(term: number, x: number): Promise<Applied> {
    const response = await fetch(`${base}/adders/${term}/apply?x=${x}`);
    assert.equal(response.status, 200, `term ${term}: ${await response.clone().text()}`);
    assert.deepEqual(await response.json(), { term, x, result: wrappingAdd(term, x) });
    return {
      replica: response.headers.get(REPLICA_HEADER) ?? '',
      cache: response.headers.get('x-jit-cache') ?? '',
    };
  }

  /** The replica that answered each probe term through the proxy ('' for no answer). */
  async function routesOf(probes: readonly number[]): Promise<string[]> {
    const routes: string[] = [];
    for (const term of probes) {
      const response = await fetch(`${base}/adders/${term}/apply?x=0`).catch(() => undefined);
      routes.push(response?.ok ? (response.headers.get(REPLICA_HEADER) ?? '') : '');
    }
    return routes;
  }

  /** Polls `routed` until it holds, or fails after HEALTHY_WITHIN_MS saying what it last saw. */
  async function eventually(probes: readonly number[], routed: (routes: string[]) => boolean): Promise<void> {
    const deadline = Date.now() + HEALTHY_WITHIN_MS;
    for (;;) {
      const routes = await routesOf(probes);
      if (routed(routes)) return;
      if (Date.now() > deadline)
        throw new Error(`the proxy still routes ${probes.join(', ')} to ${routes.join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  before(
    async () => {
      image = await buildImage(IMAGE, BUILD_TIMEOUT_MS);
      if (image.failure !== undefined) throw new Error(image.failure);
      env.BABYJIT_PORT = String(await freeLoopbackPort());
      base = `http://127.0.0.1:${env.BABYJIT_PORT}`;
      await runCompose(['up', '--detach', '--no-build']);
      for (const service of REPLICAS) await waitUntilHealthy(await container(service), HEALTHY_WITHIN_MS);
      // Every server is up once the proxy spreads these probe terms over all three.
      await eventually(
        Array.from({ length: 24 }, (_, i) => -1 - i),
        (routes) => REPLICAS.every((name) => routes.includes(name)),
      );
    },
    { timeout: BUILD_TIMEOUT_MS + 4 * HEALTHY_WITHIN_MS },
  );

  after(async () => {
    if (compose !== undefined) {
      const [file = '', ...prefix] = compose;
      const down = await runCommand(
        file,
        [
          ...prefix,
          '--file',
          COMPOSE_FILE,
          '--project-name',
          project,
          'down',
          '--volumes',
          '--remove-orphans',
        ],
        { env, timeoutMs: 120_000 },
      );
      if (down.code !== 0) console.error(`compose down failed:\n${down.stderr}`);
    }
    if (image !== undefined) await removeBuiltImage(image);
  });

  it('answers right through the proxy, each term always from one replica, all three in use', async () => {
    for (let round = 0; round < 3; round += 1) {
      for (const term of terms) {
        const { replica, cache } = await apply(term, round);
        assert.equal(cache, round === 0 ? 'compile' : 'hit', `term ${term}, round ${round}`);
        if (round === 0) homes.set(term, replica);
        assert.equal(replica, homes.get(term), `term ${term} moved in round ${round}`);
      }
    }
    assert.deepEqual(new Set(homes.values()), new Set(REPLICAS));
  });

  it('runs every container hardened, with only the proxy published, on loopback', async () => {
    for (const service of ['proxy', ...REPLICAS]) {
      const id = await container(service);
      const host = JSON.parse(await docker(['inspect', '--format', '{{json .HostConfig}}', id])) as {
        ReadonlyRootfs: boolean;
        CapDrop: string[];
        SecurityOpt: string[];
        Memory: number;
        PidsLimit: number;
        RestartPolicy: { Name: string };
        PortBindings: Record<string, Array<{ HostIp: string; HostPort: string }>> | null;
      };
      assert.equal(host.ReadonlyRootfs, true, service);
      assert.deepEqual(host.CapDrop, ['ALL'], service);
      assert.deepEqual(host.SecurityOpt, ['no-new-privileges:true'], service);
      assert.ok(host.Memory > 0 && host.PidsLimit > 0, `${service}: memory and pid limits`);
      assert.equal(host.RestartPolicy.Name, 'unless-stopped', service);
      const published = Object.values(host.PortBindings ?? {}).flat();
      if (service === 'proxy') {
        assert.deepEqual(published, [{ HostIp: '127.0.0.1', HostPort: env.BABYJIT_PORT }]);
      } else {
        assert.deepEqual(published, [], `${service} is published`);
      }
    }
  });

  it('serves a killed replica’s terms from the others, and gives them back when it starts again', async () => {
    assert.equal(homes.size, terms.length, 'the first test found every term’s replica');
    const victim = 'replica-2';
    await runCompose(['kill', '-s', 'SIGKILL', victim]);
    for (const term of terms) {
      const { replica } = await apply(term, 7);
      const home = homes.get(term);
      if (home === victim) assert.notEqual(replica, victim, `term ${term} still on the killed replica`);
      else assert.equal(replica, home, `term ${term} moved from ${home}, which is alive, to ${replica}`);
    }

    await runCompose(['start', victim]);
    await waitUntilHealthy(await container(victim), HEALTHY_WITHIN_MS);
    const victimsTerms = terms.filter((term) => homes.get(term) === victim);
    await eventually(victimsTerms, (routes) => routes.every((replica) => replica === victim));
    for (const term of terms) {
      const { replica } = await apply(term, 8);
      assert.equal(replica, homes.get(term), `term ${term} is not back on ${homes.get(term)}`);
    }
  });
});
