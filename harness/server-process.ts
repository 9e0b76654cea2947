/** Runs the real server (dist/src/server.js), or another server script, as a child process. */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const serverScript = fileURLToPath(new URL('../src/server.js', import.meta.url));

/**
 * The Node.js flags the service ships with, read from `npm start` in package.json, their one definition
 * (the Dockerfile's CMD repeats them, and test/deploy/service-runtime.test.ts holds the two equal). Tests
 * and benchmarks run the server with them, as users do.
 */
export const SERVICE_NODE_FLAGS: readonly string[] = (() => {
  const packageJson = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const start = packageJson.scripts.start ?? '';
  const match = /(?:^|&& )node((?: --[^ ]+)*) dist\/src\/server\.js$/.exec(start);
  if (match === null)
    throw new Error(`package.json's start script does not run dist/src/server.js: ${start}`);
  return (match[1] ?? '').split(' ').filter((flag) => flag !== '');
})();

/** A loopback port that was free a moment ago: servers logging below info do not say where they listen. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface ServerProcessOptions {
  env?: Record<string, string>;
  /** Flags for node beyond the service's own (SERVICE_NODE_FLAGS, which the server script always gets). */
  nodeOptions?: string[];
  script?: string;
  /** Open an IPC channel to the process (for harness/heap-probe.ts). */
  ipc?: boolean;
  /** Keep everything the process writes (for assertions); otherwise only until it listens. */
  keepOutput?: boolean;
  /** Start the process with this soft and hard limit on open files (prlimit, from util-linux). */
  openFileLimit?: number;
  /**
   * Listen on this port and find out that the server is up by polling GET /healthz, rather than by its
   * "Server listening" log line, which a server logging below info never writes.
   */
  port?: number;
}

export interface ServerProcess {
  child: ChildProcess;
  /** What the process wrote to stdout and stderr (all of it, or up to listening without keepOutput). */
  output: () => string;
  /** Resolves with the base URL once the server logs that it listens. */
  listening: Promise<string>;
  /** Resolves once the process has exited and all it wrote is in `output()`. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startServerProcess(options: ServerProcessOptions = {}): ServerProcess {
  const { env = {}, nodeOptions = [], script = serverScript, keepOutput = true, port, ipc = false } = options;
  const flags = script === serverScript ? [...SERVICE_NODE_FLAGS, ...nodeOptions] : nodeOptions;
  const command = [process.execPath, ...flags, script];
  if (options.openFileLimit !== undefined) {
    command.unshift('prlimit', `--nofile=${options.openFileLimit}:${options.openFileLimit}`, '--');
  }
  const child = spawn(command[0] as string, command.slice(1), {
    env: { ...process.env, PORT: String(port ?? 0), HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let listened = false;
  // 'close', not 'exit': 'exit' can come before the last of what the process wrote has been read from its
  // pipes, and tests read its last lines (how it shut down, why it refused to start) once it has exited.
  const exited = once(child, 'close').then(([code, signal]) => ({ code, signal }));
  const listening = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      // A server that logs every request (LOG_LEVEL=debug under load) must not fill this process's memory.
      if (listened && !keepOutput) return;
      output += chunk.toString();
      const match = /Server listening at (http:\/\/127\.0\.0\.1:[0-9]+)/.exec(output);
      if (match?.[1]) {
        listened = true;
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    exited.then(({ code }) => reject(new Error(`server exited with ${code} before listening:\n${output}`)));
    if (port !== undefined) void pollHealth(`http://127.0.0.1:${port}`, exited).then(resolve, reject);
  });
  listening.catch(() => {}); // a test that expects a failed start reads `exited` instead
  return { child, output: () => output, listening, exited };
}

async function pollHealth(base: string, exited: Promise<unknown>): Promise<string> {
  let done = false;
  void exited.then(() => {
    done = true;
  });
  for (let attempt = 0; attempt < 600 && !done; attempt += 1) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) return base;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no answer from ${base}/healthz`);
}
