/**
 * Drives the Docker and Compose command-line tools for the container tests, as an operator would: every call
 * is a real command against the engine, and a failure reports the command with what it printed.
 */
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { waitFor } from './wait-for.js';

/** The repository's root, where the Dockerfile and docker-compose.yml are (this file runs from dist/test/support). */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export const DOCKER_LOCAL_HINT =
  'start one with `bash ../shared/tools/docker-local.sh up` from the repository root (as root: it installs ' +
  'docker.io and docker-compose, starts dockerd and provides the node:26-trixie-slim base image)';

export interface CommandResult {
  /** The exit status; -1 when the command could not be started or ran out of time. */
  code: number;
  stdout: string;
  stderr: string;
}

export interface CommandOptions {
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

/** Runs a command to its end and never throws: the caller decides what a non-zero status means. */
export function runCommand(
  file: string,
  args: string[],
  options: CommandOptions = {},
): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      {
        cwd: repoRoot,
        env: options.env ?? process.env,
        timeout: options.timeoutMs ?? 60_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        if (error === null) return resolve({ code: 0, stdout, stderr });
        // A number is the command's exit status; otherwise it never started (ENOENT) or ran out of time.
        if (typeof error.code === 'number') return resolve({ code: error.code, stdout, stderr });
        resolve({ code: -1, stdout, stderr: `${error.message}\n${stderr}` });
      },
    );
  });
}

/** Runs a command and returns its standard output, or throws with the command, its status and its output. */
export async function mustRun(file: string, args: string[], options: CommandOptions = {}): Promise<string> {
  const result = await runCommand(file, args, options);
  if (result.code !== 0) {
    throw new Error(
      `\`${[file, ...args].join(' ')}\` exited with ${result.code}:\n${tail(result.stdout)}\n${tail(result.stderr)}`,
    );
  }
  return result.stdout;
}

export function docker(args: string[], options: CommandOptions = {}): Promise<string> {
  return mustRun('docker', args, options);
}

/** The last lines of a long output: where a build or a start says what went wrong. */
export function tail(text: string, lines = 40): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/**
 * The images that the classic builder keeps for each finished stage but the last, untagged (BuildKit keeps a
 * build cache instead, and prints nothing this matches): the step before each later FROM, in its output.
 */
export function stageImages(buildOutput: string): string[] {
  const images: string[] = [];
  let last: string | undefined;
  // Not anchored at the line's start: after a step's stderr the builder prints a colour reset there.
  for (const line of buildOutput.split('\n')) {
    if (/Step [0-9]+\/[0-9]+ : FROM /i.test(line) && last !== undefined) images.push(last);
    const image = / ---> ([0-9a-f]{12,64})\s*$/.exec(line)?.[1];
    if (image !== undefined) last = image;
  }
  return images;
}

export interface BuiltImage {
  tag: string;
  /** Whether the build succeeded and the tag exists. */
  built: boolean;
  /** The intermediate images of the build's earlier stages (stageImages), to remove with the tag. */
  stages: string[];
  /** What went wrong, with the build's last lines, when it did not succeed. */
  failure?: string;
}

/** Builds the repository's Dockerfile as `tag`, with host networking so that `npm ci` reaches the registry. */
export async function buildImage(
  tag: string,
  timeoutMs: number,
  buildArgs: Record<string, string> = {},
): Promise<BuiltImage> {
  const args = Object.entries(buildArgs).flatMap(([name, value]) => ['--build-arg', `${name}=${value}`]);
  const build = await runCommand(
    'docker',
    ['build', '--network', 'host', '--force-rm', ...args, '--tag', tag, '.'],
    { timeoutMs },
  );
  const stages = stageImages(build.stdout);
  if (build.code === 0) return { tag, built: true, stages };
  return {
    tag,
    built: false,
    stages,
    failure: `docker build failed (${build.code}):\n${tail(build.stdout)}\n${build.stderr}`,
  };
}

/** Removes a built image's tag and its stages' images (one still in use elsewhere stays). */
export async function removeBuiltImage(image: BuiltImage): Promise<void> {
  if (image.built) await runCommand('docker', ['image', 'rm', image.tag]);
  // Removing a stage's last image removes its untagged parents too.
  for (const stage of image.stages) await runCommand('docker', ['image', 'rm', stage]);
}

/** Why no Docker engine can be used here, or undefined when `docker info` answers. */
export async function dockerEngineUnavailable(): Promise<string | undefined> {
  const result = await runCommand('docker', ['info', '--format', '{{.ServerVersion}}'], {
    timeoutMs: 20_000,
  });
  if (result.code === 0 && result.stdout.trim() !== '') return undefined;
  return `\`docker info\` failed (${result.code}): ${(result.stderr || result.stdout).trim().split('\n')[0]}`;
}

/** The Compose command line: docker-compose (1.29, as Debian ships it) or else the `docker compose` plugin. */
export async function composeCommand(): Promise<string[] | undefined> {
  for (const command of [['docker-compose'], ['docker', 'compose']]) {
    const [file = '', ...args] = command;
    if ((await runCommand(file, [...args, 'version'], { timeoutMs: 20_000 })).code === 0) return command;
  }
  return undefined;
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}

/**
 * Waits for Docker to call the container healthy, polling its state until the deadline. Fails at once, with
 * the container's logs, if the container stops or Docker finds it unhealthy.
 */
export async function waitUntilHealthy(container: string, timeoutMs: number): Promise<number> {
  const start = Date.now();
  for (;;) {
    const [status = '', health = ''] = (
      await docker(['inspect', '--format', '{{.State.Status}} {{.State.Health.Status}}', container])
    )
      .trim()
      .split(' ');
    if (health === 'healthy') return Date.now() - start;
    if (status !== 'running' || health === 'unhealthy' || Date.now() - start > timeoutMs) {
      const logs = await runCommand('docker', ['logs', container]);
      throw new Error(
        `container ${container} is ${status}, health ${health || 'unknown'} after ${Date.now() - start} ms:\n` +
          tail(`${logs.stdout}${logs.stderr}`),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

export interface ContainerState {
  status: string;
  exitCode: number;
  oomKilled: boolean;
}

export async function containerState(container: string): Promise<ContainerState> {
  const state = JSON.parse(await docker(['inspect', '--format', '{{json .State}}', container])) as {
    Status: string;
    ExitCode: number;
    OOMKilled: boolean;
  };
  return { status: state.Status, exitCode: state.ExitCode, oomKilled: state.OOMKilled };
}

/** The container's standard output and error, as `docker logs` keeps them. */
async function containerLogs(container: string): Promise<string> {
  const result = await runCommand('docker', ['logs', container]);
  return `${result.stdout}${result.stderr}`;
}

/**
 * A stopped container's logs, once they hold its shutdown line (releasedPages): `docker stop` returns when
 * the process has ended, and Docker may still be copying its last lines into the log. After `ms`, the logs
 * as they are, for the caller's assertions to show.
 */
export async function shutdownLogs(container: string, ms = 10_000): Promise<string> {
  let logs = '';
  await waitFor(
    'the shutdown line in the container’s logs',
    async () => {
      logs = await containerLogs(container);
      return releasedPages(logs) === undefined ? undefined : true;
    },
    ms,
  ).catch(() => undefined);
  return logs;
}

/**
 * The pino line the server logs after unmapping its pages on shutdown, with the count it gives twice (in the
 * message and as `releasedPages`), or undefined if no such line was logged.
 */
export function releasedPages(logs: string): number | undefined {
  for (const line of logs.split('\n')) {
    if (!line.includes('JIT registry disposed')) continue;
    const entry = JSON.parse(line) as { msg: string; releasedPages: number };
    const counted = /^JIT registry disposed: released ([0-9]+) executable pages?$/.exec(entry.msg);
    if (counted === null || Number(counted[1]) !== entry.releasedPages) {
      throw new Error(`the shutdown line does not say how many pages were released: ${line}`);
    }
    return entry.releasedPages;
  }
  return undefined;
}

/** The process's credentials and confinement as its kernel reports them in /proc/<pid>/status. */
export interface ProcessConfinement {
  uid: number;
  /** CapEff: the effective capability set, as hex. */
  effectiveCapabilities: string;
  noNewPrivileges: boolean;
  /** 2 when a seccomp filter (Docker's default profile) is applied. */
  seccompMode: number;
}

export function parseProcStatus(status: string): ProcessConfinement {
  const field = (name: string): string => {
    const value = new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(status)?.[1];
    if (value === undefined) throw new Error(`/proc status has no ${name} line:\n${status}`);
    return value.trim();
  };
  return {
    uid: Number(field('Uid').split(/\s+/)[1]), // real, effective, saved, filesystem: the effective one
    effectiveCapabilities: field('CapEff'),
    noNewPrivileges: field('NoNewPrivs') === '1',
    seccompMode: Number(field('Seccomp')),
  };
}
