/**
 * The container, against a real Docker engine: builds the image from the repository, runs it hardened (read-only
 * root filesystem, no capabilities, no new privileges, Docker's default seccomp profile, a non-root user), waits
 * for Docker's own HEALTHCHECK to call it healthy, uses the service over a loopback port, stops it and reads
 * how it ended; then does the same through docker-compose.yml.
 *
 * Without an engine (`docker info` fails) it fails under CI and skips elsewhere, saying how to start one.
 * Everything it creates (containers, images, the Compose project) is removed in `after`, pass or fail.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { residentBytes as residentBytesOf } from '../../../harness/process-sampler.js';
import { errorMessage } from '../../support/app.js';
import { inCI, skipRuntimeIndependent } from '../../support/ci.js';
import {
  type BuiltImage,
  buildImage,
  composeCommand,
  containerState,
  DOCKER_LOCAL_HINT,
  docker,
  dockerEngineUnavailable,
  freeLoopbackPort,
  mustRun,
  parseProcStatus,
  releasedPages,
  removeBuiltImage,
  runCommand,
  shutdownLogs,
  waitUntilHealthy,
} from '../../support/docker.js';
import { allAccepted } from '../../support/tcp-sockets.js';
import { waitFor } from '../../support/wait-for.js';

const runId = `${process.pid}-${randomBytes(3).toString('hex')}`;
/** Its own tag per run, so that two runs on one engine (two checkouts, a rerun) never share an image. */
const IMAGE = `babyjit:test-${runId}`;
const BASE_IMAGE = 'node:26-trixie-slim';
/** What the runtime stage may add to the base image, in bytes (docker reports sizes in units of 10^6). */
const MAX_ADDED_BYTES = 40e6;
/** Docker's HEALTHCHECK runs first one interval (10 s) after the start. */
const HEALTHY_WITHIN_MS = 60_000;
/** `docker stop` sends SIGKILL after this; the server's own deadline (8 s) is shorter. */
const STOP_GRACE_S = 10;
const BUILD_TIMEOUT_MS = 10 * 60_000;
const NO_COMPOSE = 'neither docker-compose nor the docker compose plugin is installed';

const noEngine = skipRuntimeIndependent ? undefined : await dockerEngineUnavailable();

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

async function imageSize(image: string): Promise<number> {
  return Number((await docker(['image', 'inspect', '--format', '{{.Size}}', image])).trim());
}

/** The base URL of a container port published on loopback. */
async function publishedUrl(container: string): Promise<string> {
  const binding = (await docker(['port', container, '3000/tcp'])).trim().split('\n')[0] ?? '';
  const match = /^127\.0\.0\.1:([0-9]+)$/.exec(binding);
  assert.ok(match, `port 3000 should be published on 127.0.0.1 only, not ${JSON.stringify(binding)}`);
  return `http://127.0.0.1:${match[1]}`;
}

/** Stops a container as Docker does, and checks it ended by itself, cleanly, after releasing its pages. */
async function assertStopsCleanly(stop: () => Promise<unknown>, container: string) {
  const start = Date.now();
  await stop();
  const elapsed = Date.now() - start;
  const state = await containerState(container);
  const logs = await shutdownLogs(container);
  assert.equal(state.status, 'exited');
  assert.equal(state.oomKilled, false);
  assert.equal(
    state.exitCode,
    0,
    `exit code ${state.exitCode} (137 is SIGKILL after the grace period):\n${logs}`,
  );
  assert.ok(elapsed < STOP_GRACE_S * 1000, `stopping took ${elapsed} ms, past the ${STOP_GRACE_S} s grace`);
  const pages = releasedPages(logs);
  assert.ok(pages !== undefined && pages > 0, `no line saying the adders' pages were released in:\n${logs}`);
}

if (noEngine !== undefined) {
  const why = `no Docker engine (${noEngine}); ${DOCKER_LOCAL_HINT}`;
  it(
    'has a Docker engine to test the container with (CI requires one)',
    { skip: inCI ? false : `SKIPPED: ${why}` },
    () => assert.fail(`CI needs a Docker engine for the container tests: ${why}`),
  );
}

describe('the container image', { skip: skipRuntimeIndependent || noEngine !== undefined }, () => {
  const container = `babyjit-test-${runId}`;
  let image: BuiltImage | undefined;

  before(
    async () => {
      image = await buildImage(IMAGE, BUILD_TIMEOUT_MS);
      if (image.failure !== undefined) throw new Error(image.failure);
    },
    { timeout: BUILD_TIMEOUT_MS + 30_000 },
  );

  after(async () => {
    await runCommand('docker', ['rm', '--force', '--volumes', container]);
    if (image !== undefined) await removeBuiltImage(image);
  });

  it('adds at most 40 MB to the base image, with no tests, sources or dev dependencies', async (t) => {
    const base = await imageSize(BASE_IMAGE);
    const image = await imageSize(IMAGE);
    t.diagnostic(
      `image sizes: ${BASE_IMAGE} ${mb(base)} (${base} B), ${IMAGE} ${mb(image)} (${image} B): ` +
        `the runtime stage adds ${mb(image - base)} (${image - base} B; limit ${mb(MAX_ADDED_BYTES)})`,
    );
    assert.ok(image - base <= MAX_ADDED_BYTES, `the runtime stage adds ${mb(image - base)}`);

    const listing = await docker([
      'run',
      '--rm',
      IMAGE,
      'ls',
      '-A',
      '/app',
      '/app/dist',
      '/app/dist/web',
      '/app/node_modules',
    ]);
    const [app = '', dist = '', web = '', modules = ''] = listing.split(/\n\n/);
    assert.deepEqual(app.split('\n').slice(1).sort(), [
      'dist',
      'node_modules',
      'package-lock.json',
      'package.json',
    ]);
    assert.deepEqual(dist.trim().split('\n').slice(1).sort(), ['routes', 'src', 'web']);
    // The explorer's front-end, built: its page, styles, icon and compiled scripts, not their TypeScript.
    const webFiles = web.trim().split('\n').slice(1);
    assert.ok(webFiles.includes('index.html') && webFiles.includes('main.js'), web);
    assert.deepEqual(
      webFiles.filter((name) => !/\.(html|css|svg|js)$/.test(name)),
      [],
      `only built files in dist/web:\n${web}`,
    );
    for (const devOnly of ['typescript', '@biomejs', 'supertest', 'kubernetes-models']) {
      assert.ok(!modules.split('\n').includes(devOnly), `${devOnly} is a dev dependency, yet in the image`);
    }
    assert.ok(modules.split('\n').includes('koffi'));
  });

  describe('run hardened with docker run', () => {
    let base = '';

    before(async () => {
      await docker([
        'run',
        '--detach',
        '--name',
        container,
        '--read-only',
        '--cap-drop',
        'ALL',
        '--security-opt',
        'no-new-privileges',
        '--publish',
        '127.0.0.1::3000', // a free host port that Docker chooses
        IMAGE,
      ]);
      base = await publishedUrl(container);
    });

    it('is called healthy by its own HEALTHCHECK', async (t) => {
      t.diagnostic(`healthy after ${await waitUntilHealthy(container, HEALTHY_WITHIN_MS)} ms`);
    });

    it('has a HEALTHCHECK that runs in the image without Node.js, and fails where nothing answers', async () => {
      const health = JSON.parse(
        await docker(['inspect', '--format', '{{json .Config.Healthcheck.Test}}', container]),
      ) as string[];
      assert.equal(health[0], 'CMD', `an exec-form check, not ${JSON.stringify(health)}`);
      const check = health.slice(1);
      assert.doesNotMatch(check[0] ?? '', /node/, 'the check starts a whole Node.js process');
      // As Docker runs it, in the container, against the server: it passes; against a port nothing
      // listens on: it fails, so "healthy" above was the server's answer.
      await docker(['exec', container, ...check]);
      const closed = await runCommand('docker', ['exec', '--env', 'PORT=1', container, ...check]);
      assert.notEqual(closed.code, 0, 'the check passed with nothing listening');
    });

    it('runs as uid 1000, with no capabilities, no new privileges and the default seccomp filter', async () => {
      const config = JSON.parse(await docker(['inspect', '--format', '{{json .Config}}', container])) as {
        User: string;
      };
      assert.equal(config.User, 'node');
      assert.equal((await docker(['exec', container, 'id', '-u'])).trim(), '1000');
      // The kernel's view of the server itself (PID 1), not only what was asked of Docker.
      const confinement = parseProcStatus(await docker(['exec', container, 'cat', '/proc/1/status']));
      assert.deepEqual(confinement, {
        uid: 1000,
        effectiveCapabilities: '0000000000000000',
        noNewPrivileges: true,
        seccompMode: 2,
      });
      const write = await runCommand('docker', ['exec', container, 'touch', '/tmp/probe', '/app/probe']);
      assert.notEqual(write.code, 0);
      assert.match(write.stderr, /Read-only file system/);
    });

    it('compiles adders lazily, wraps around at int32 and reports bad input in the error shape', async () => {
      const created = await fetch(`${base}/adders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ term: 5 }),
      });
      assert.equal(created.status, 201);
      // The bytes themselves are the encoder's tests' business; here, that the service returns some.
      const adder = (await created.json()) as { term: number; code: string };
      assert.equal(adder.term, 5);
      assert.match(adder.code, /^[0-9a-f]{2}( [0-9a-f]{2})*$/);

      for (const lookup of ['compile', 'hit']) {
        const applied = await fetch(`${base}/adders/7/apply?x=35`);
        assert.equal(applied.status, 200);
        assert.equal(applied.headers.get('x-jit-cache'), lookup);
        assert.deepEqual(await applied.json(), { term: 7, x: 35, result: 42 });
      }

      const wrapped = await fetch(`${base}/adders/2147483647/apply?x=1`);
      assert.deepEqual(await wrapped.json(), { term: 2147483647, x: 1, result: -2147483648 });

      const bad = await fetch(`${base}/adders/1e3/apply?x=1`);
      assert.equal(bad.status, 400);
      assert.match(errorMessage(await bad.json(), 400), /^params\/n must be a decimal integer/);
    });

    it('serves the explorer at / and its scripts', async () => {
      const page = await fetch(`${base}/`);
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
      const html = await page.text();
      const script = /<script[^>]+src="([^"]+)"/.exec(html)?.[1];
      assert.ok(script !== undefined, `no script in the explorer's page:\n${html.slice(0, 500)}`);
      const js = await fetch(new URL(script, `${base}/`));
      assert.equal(js.status, 200);
      assert.match(js.headers.get('content-type') ?? '', /javascript/);
    });

    it('on docker stop releases its pages and exits 0 within the grace period', async () => {
      await assertStopsCleanly(
        () => docker(['stop', '--time', String(STOP_GRACE_S), container], { timeoutMs: 30_000 }),
        container,
      );
    });
  });

  describe('under its memory limit, its registry full and idle connections past its budget', () => {
    const limited = `${container}-limited`;
    const MEMORY_LIMIT = 256 * 2 ** 20;
    const BEYOND_BUDGET = 10_000;
    let base = '';
    let pid = 0;

    before(async () => {
      // The host's network (the server on loopback itself): Docker's port proxy takes two descriptors a
      // connection, and gives up long before the service's budget is reached.
      const port = await freeLoopbackPort();
      await docker([
        'run',
        '--detach',
        '--name',
        limited,
        '--read-only',
        '--cap-drop',
        'ALL',
        '--security-opt',
        'no-new-privileges',
        '--memory',
        String(MEMORY_LIMIT),
        '--memory-swap',
        String(MEMORY_LIMIT),
        '--network',
        'host',
        '--env',
        'HOST=127.0.0.1',
        '--env',
        `PORT=${port}`,
        IMAGE,
      ]);
      base = `http://127.0.0.1:${port}`;
      await waitUntilHealthy(limited, HEALTHY_WITHIN_MS);
      pid = Number((await docker(['inspect', '--format', '{{.State.Pid}}', limited])).trim());
    });

    after(async () => {
      await runCommand('docker', ['rm', '--force', '--volumes', limited]);
    });

    it(`holds its budget of connections and refuses ${BEYOND_BUDGET.toLocaleString('en')} more, its resident memory under the limit`, {
      timeout: 180_000,
    }, async (t) => {
      const scrape = async () => (await fetch(`${base}/metrics`)).text();
      const budget = Number(/^http_connections_max ([0-9]+)$/m.exec(await scrape())?.[1]);
      assert.ok(budget > 1000, `a budget of ${budget} connections`);
      // Every place in the registry taken, through one keep-alive connection of fetch's at a time.
      for (let term = 0; term < 4096; term += 1) {
        const answer = await fetch(`${base}/adders/${term}/apply?x=1`);
        assert.equal(answer.status, 200);
        await answer.arrayBuffer();
      }
      const { port } = new URL(base);
      let refused = 0;
      let handshaken = 0;
      const sockets: Socket[] = [];
      // A crowd that arrives faster than the server accepts overflows the kernel's accept queue, and the
      // kernel then completes connections the server never learns of: a batch at a time, each accepted
      // (by the kernel's count, /proc/<pid>/net/tcp) before the next.
      for (let opened = 0; opened < budget + BEYOND_BUDGET; opened += 256) {
        for (let one = 0; one < 256 && opened + one < budget + BEYOND_BUDGET; one += 1) {
          const socket = connect({ port: Number(port), host: '127.0.0.1' });
          socket.once('connect', () => {
            handshaken += 1;
          });
          socket.on('error', () => {});
          socket.on('close', () => {
            refused += 1;
          });
          sockets.push(socket);
        }
        await waitFor('the batch connected', () => (handshaken === sockets.length ? true : undefined));
        await allAccepted(pid, Number(port));
      }
      try {
        await waitFor(
          'the connections past the budget refused',
          () => (refused >= BEYOND_BUDGET ? true : undefined),
          120_000,
        );
        const rss = residentBytesOf(pid);
        t.diagnostic(`budget ${budget}, refused ${refused}, resident ${(rss / 2 ** 20).toFixed(1)} MiB`);
        assert.ok(rss < MEMORY_LIMIT, `${(rss / 2 ** 20).toFixed(1)} MiB resident`);
        assert.match(await scrape(), /^http_connections_refused_total [1-9][0-9]{4,}$/m);
      } finally {
        for (const socket of sockets) socket.destroy();
      }
      assert.equal((await fetch(`${base}/adders/4095/apply?x=1`)).headers.get('x-jit-cache'), 'hit');
      assert.equal((await containerState(limited)).oomKilled, false);
    });

    it('on docker stop releases its pages and exits 0 within the grace period', async () => {
      await assertStopsCleanly(
        () => docker(['stop', '--time', String(STOP_GRACE_S), limited], { timeoutMs: 30_000 }),
        limited,
      );
    });
  });

  describe('run with docker-compose.yml', () => {
    let compose: string[] | undefined;
    const project = `babyjit-test-${runId}`;
    // The image just built and tested, by name: what Compose adds is its own configuration, checked here.
    const env: NodeJS.ProcessEnv = { ...process.env, BABYJIT_IMAGE: IMAGE };
    let service = '';

    const runCompose = (args: string[], timeoutMs = 120_000) => {
      const [file = '', ...prefix] = compose ?? [];
      return mustRun(file, [...prefix, '--project-name', project, ...args], { env, timeoutMs });
    };

    before(async () => {
      compose = await composeCommand();
      if (compose === undefined) {
        if (inCI) throw new Error(`${NO_COMPOSE}: ${DOCKER_LOCAL_HINT}`);
        return;
      }
      env.BABYJIT_PORT = String(await freeLoopbackPort());
      await runCompose(['up', '--detach', '--no-build']);
      service = (await runCompose(['ps', '--quiet', 'babyjit'])).trim();
      assert.match(service, /^[0-9a-f]{12,64}$/);
    });

    after(async () => {
      if (compose === undefined) return;
      const [file = '', ...prefix] = compose;
      await runCommand(
        file,
        [...prefix, '--project-name', project, 'down', '--volumes', '--remove-orphans'],
        { env, timeoutMs: 120_000 },
      );
    });

    it('starts healthy, hardened and published on loopback, and serves', async (t) => {
      if (compose === undefined) return t.skip(`SKIPPED: ${NO_COMPOSE}`);
      t.diagnostic(
        `${compose.join(' ')}: healthy after ${await waitUntilHealthy(service, HEALTHY_WITHIN_MS)} ms`,
      );
      const host = JSON.parse(await docker(['inspect', '--format', '{{json .HostConfig}}', service])) as {
        ReadonlyRootfs: boolean;
        CapDrop: string[];
        SecurityOpt: string[];
        Init: boolean;
        Memory: number;
        PidsLimit: number;
        RestartPolicy: { Name: string };
      };
      assert.equal(host.ReadonlyRootfs, true);
      assert.deepEqual(host.CapDrop, ['ALL']);
      assert.deepEqual(host.SecurityOpt, ['no-new-privileges:true']);
      assert.equal(host.Init, true);
      assert.ok(host.Memory > 0 && host.PidsLimit > 0, 'memory and pid limits');
      assert.equal(host.RestartPolicy.Name, 'unless-stopped');

      const base = await publishedUrl(service);
      assert.equal(base, `http://127.0.0.1:${env.BABYJIT_PORT}`);
      const applied = await fetch(`${base}/adders/5/apply?x=37`);
      assert.equal(applied.headers.get('x-jit-cache'), 'compile');
      assert.deepEqual(await applied.json(), { term: 5, x: 37, result: 42 });
    });

    it('on stop releases its pages and exits 0 within the grace period', async (t) => {
      if (compose === undefined) return t.skip(`SKIPPED: ${NO_COMPOSE}`);
      await assertStopsCleanly(() => runCompose(['stop', '--timeout', String(STOP_GRACE_S)]), service);
      await runCompose(['down']);
      const left = await runCommand('docker', ['inspect', service]);
      assert.notEqual(left.code, 0, 'down should remove the container');
    });
  });
});
