/**
 * The service runs with the same Node.js flags wherever it ships: `npm start` (package.json, their one
 * definition, which the test harness reads too), the image's CMD, and so Compose and Kubernetes, which
 * must not replace that command.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';
import { SERVICE_NODE_FLAGS } from '../../harness/server-process.js';

const root = new URL('../../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');

/** The exec-form CMD of the Dockerfile's last stage, as an array. */
function imageCommand(dockerfile: string): string[] {
  const commands = [...dockerfile.matchAll(/^CMD (\[.*\])$/gm)].map((match) => match[1] as string);
  const last = commands.at(-1);
  if (last === undefined) throw new Error('the Dockerfile has no exec-form CMD');
  return JSON.parse(last) as string[];
}

describe('the Node.js flags the service ships with', () => {
  it('cap the young generation at 16 MiB semi-spaces in npm start, with no floor: --max-semi-space-size=16, no --min-semi-space-size', () => {
    assert.ok(
      SERVICE_NODE_FLAGS.includes('--max-semi-space-size=16'),
      `npm start runs node with ${JSON.stringify(SERVICE_NODE_FLAGS)}, without --max-semi-space-size=16`,
    );
    // A floor costs CPU on every request (docs/decisions.md).
    assert.ok(
      !SERVICE_NODE_FLAGS.some((flag) => flag.startsWith('--min-semi-space-size')),
      `npm start runs node with ${JSON.stringify(SERVICE_NODE_FLAGS)}, which sets a floor`,
    );
  });

  it("are the image's CMD, flag for flag", () => {
    assert.deepEqual(imageCommand(read('Dockerfile')), ['node', ...SERVICE_NODE_FLAGS, 'dist/src/server.js']);
  });

  it('reach Compose and Kubernetes unchanged: neither replaces the image command', () => {
    const compose = parse(read('docker-compose.yml')) as {
      services: Record<string, Record<string, unknown>>;
    };
    for (const [name, service] of Object.entries(compose.services)) {
      assert.equal(service.command, undefined, `compose service ${name} sets a command`);
      assert.equal(service.entrypoint, undefined, `compose service ${name} sets an entrypoint`);
    }
    const deployment = parseAllDocuments(read('deploy/kubernetes/deployment.yaml'))
      .map((document) => document.toJSON() as { kind: string; spec: { template: { spec: unknown } } })
      .find((object) => object.kind === 'Deployment');
    assert.ok(deployment, 'deployment.yaml holds a Deployment');
    const containers = (deployment.spec.template.spec as { containers: Record<string, unknown>[] })
      .containers;
    for (const container of containers) {
      assert.equal(container.command, undefined, `container ${String(container.name)} sets a command`);
      assert.equal(container.args, undefined, `container ${String(container.name)} sets args`);
    }
  });
});

describe('the Node.js versions the project claims', () => {
  /** The majors .ci/run runs the whole suite on, newest first. */
  const tested = (() => {
    const list = /^SUPPORTED_NODE_MAJORS=\(([0-9 ]+)\)$/m.exec(read('.ci/run'))?.[1];
    if (list === undefined) throw new Error('.ci/run names no SUPPORTED_NODE_MAJORS');
    return list.split(' ').map(Number);
  })();

  it('are those CI tests, in engines, newest first in CI', () => {
    const engines = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node;
    const claimed = engines.split(' || ').map((range) => Number(/^\^([0-9]+)\.0\.0$/.exec(range)?.[1]));
    assert.deepEqual(
      [...claimed].sort((a, b) => b - a),
      tested,
      `engines says ${engines}`,
    );
    assert.deepEqual(
      [...tested].sort((a, b) => b - a),
      tested,
    );
  });

  it('include the image’s, the newest', () => {
    const bases = [...read('Dockerfile').matchAll(/^ARG NODE_IMAGE=node:([0-9]+)-/gm)].map((match) =>
      Number(match[1]),
    );
    assert.deepEqual(bases, [tested[0]]);
  });
});
