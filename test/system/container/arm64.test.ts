/**
 * The image built for arm64 and run on this x86-64 machine's Docker engine under emulation (qemu-user,
 * registered with binfmt_misc by harness/arm64/base-image.sh, which also builds the arm64 stand-in for
 * node:26-trixie-slim that no registry in reach serves): the same Dockerfile, hardened as the x86-64 image
 * is run, generating A64 code at the neon level and answering right; `docker stop` ends it cleanly.
 *
 * Emulated, everything is slow: the build takes minutes and the server seconds to start. Without the arm64
 * base image it skips, and under CI it fails: .ci/run prepares it.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { inCI, skipRuntimeIndependent } from '../../support/ci.js';
import {
  type BuiltImage,
  buildImage,
  containerState,
  docker,
  dockerEngineUnavailable,
  freeLoopbackPort,
  releasedPages,
  removeBuiltImage,
  runCommand,
  shutdownLogs,
} from '../../support/docker.js';
import { int32s, littleEndian } from '../../support/int32-bytes.js';
import { waitFor } from '../../support/wait-for.js';

const ARM64_BASE_IMAGE = 'babyjit-stand-in/node:26-trixie-slim-arm64';
const runId = `${process.pid}-${randomBytes(3).toString('hex')}`;
const IMAGE = `babyjit:test-arm64-${runId}`;
const CONTAINER = `babyjit-test-arm64-${runId}`;
const BUILD_TIMEOUT_MS = 40 * 60_000;

const unavailable = skipRuntimeIndependent
  ? undefined
  : ((await dockerEngineUnavailable()) ??
    ((await runCommand('docker', ['image', 'inspect', ARM64_BASE_IMAGE])).code === 0
      ? undefined
      : `no ${ARM64_BASE_IMAGE} (bash harness/arm64/base-image.sh builds it, as root)`));

describe('the image built for arm64, run under emulation', {
  skip: skipRuntimeIndependent || (unavailable !== undefined && !inCI ? `SKIPPED: ${unavailable}` : false),
  timeout: BUILD_TIMEOUT_MS + 10 * 60_000,
}, () => {
  let image: BuiltImage | undefined;
  let base = '';

  before(
    async () => {
      assert.equal(unavailable, undefined, `CI needs the arm64 image to build on: ${unavailable}`);
      image = await buildImage(IMAGE, BUILD_TIMEOUT_MS, { NODE_IMAGE: ARM64_BASE_IMAGE });
      if (!image.built) throw new Error(image.failure);
      const port = await freeLoopbackPort();
      // On the host's network, the server on loopback itself; load shedding off: emulated, its event loop
      // lags far past the limit, which says nothing about the service.
      await docker([
        'run',
        '--detach',
        '--name',
        CONTAINER,
        '--read-only',
        '--cap-drop',
        'ALL',
        '--security-opt',
        'no-new-privileges',
        '--network',
        'host',
        '--env',
        'HOST=127.0.0.1',
        '--env',
        `PORT=${port}`,
        '--env',
        'MAX_EVENT_LOOP_DELAY_MS=0',
        IMAGE,
      ]);
      base = `http://127.0.0.1:${port}`;
      await waitFor(
        'the arm64 container to answer',
        async () => ((await fetch(`${base}/readyz`).catch(() => undefined))?.ok ? true : undefined),
        240_000,
      );
    },
    { timeout: BUILD_TIMEOUT_MS + 5 * 60_000 },
  );

  after(async () => {
    await runCommand('docker', ['rm', '--force', CONTAINER]);
    if (image !== undefined) await removeBuiltImage(image);
  });

  it('runs arm64 code: its Node.js is arm64 and its pages are A64 at the neon level', async () => {
    assert.equal((await docker(['exec', CONTAINER, 'node', '-p', 'process.arch'])).trim(), 'arm64');
    const { stats } = (await (await fetch(`${base}/adders?limit=0`)).json()) as {
      stats: { target: string; level: string };
    };
    assert.deepEqual([stats.target, stats.level], ['arm64-neon', 'neon']);
  });

  it('compiles, applies and adds a binary batch right', async () => {
    assert.deepEqual(await (await fetch(`${base}/adders/5/apply?x=37`)).json(), {
      term: 5,
      x: 37,
      result: 42,
    });
    const xs = [1, -1, 2147483647, -2147483648, 1234567];
    const answer = await fetch(`${base}/adders/-3/apply`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: littleEndian(xs),
    });
    assert.deepEqual(
      int32s(Buffer.from(await answer.arrayBuffer())),
      xs.map((x) => (x - 3) | 0),
    );
  });

  it('on docker stop releases its pages and exits 0', async () => {
    await docker(['stop', '--time', '10', CONTAINER], { timeoutMs: 30_000 });
    const state = await containerState(CONTAINER);
    const logs = await shutdownLogs(CONTAINER);
    assert.equal(state.exitCode, 0, logs);
    assert.equal(releasedPages(logs), 2);
  });
});
