/**
 * Runs HAProxy (Debian's package, 2.6) as a plain process in front of babyjit replicas on loopback, with
 * the project's own configuration: deploy/haproxy/haproxy.cfg, whose routing the tests and `npm run
 * bench:scale` exercise as shipped. Only what differs on loopback is rewritten: the listening ports, the
 * servers (ports on 127.0.0.1 instead of Docker's names and resolver), and a stats socket to read the
 * servers' states from. Variants for comparison (round-robin, another hash-balance-factor) rewrite their
 * one line, and each rewrite fails loudly if the line it replaces is gone.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './server-process.js';

/** The configuration Compose runs, and the routing every other one shares. */
export const SHIPPED_CONFIG = fileURLToPath(new URL('../../deploy/haproxy/haproxy.cfg', import.meta.url));

/** The response header in which the proxy names the replica that answered. */
export const REPLICA_HEADER = 'x-jit-replica';

/** The backend holding the replicas, as the shipped configuration names it. */
export const BACKEND = 'replicas';

export interface Replica {
  /** The server's name in the configuration, which x-jit-replica reports. */
  name: string;
  port: number;
}

export interface ProxyOptions {
  port: number;
  /** The health frontend's port (/healthz, /readyz). */
  healthPort: number;
  replicas: readonly Replica[];
  statsSocket: string;
  /** `roundrobin` replaces the hash on the term: what a plain load balancer does, for comparison. */
  balance?: 'hash' | 'roundrobin';
  /** Replaces the shipped hash-balance-factor; 0 turns bounded loads off. */
  hashBalanceFactor?: number;
}

function replaceOnce(text: string, pattern: RegExp, replacement: string, what: string): string {
  const matches = text.match(new RegExp(pattern.source, `${pattern.flags.replace('g', '')}g`));
  if (matches?.length !== 1) {
    throw new Error(
      `${SHIPPED_CONFIG}: expected exactly one ${what} (${pattern}), found ${matches?.length ?? 0}`,
    );
  }
  return text.replace(pattern, replacement);
}

/** The lines of a configuration with its `resolvers` sections and its backend's `server` lines removed. */
export function withoutServers(config: string): string {
  return config
    .replace(/^resolvers [^\n]*\n(?:[ \t]+[^\n]*\n|[ \t]*#[^\n]*\n)*/gm, '')
    .replace(/^[ \t]+server [^\n]*\n/gm, '')
    .trimEnd();
}

/**
 * What a configuration does, apart from where its replicas are: its directives without comments, blank
 * lines, servers and resolvers. Every configuration the project ships has the same.
 */
export function routingDirectives(config: string): string[] {
  return withoutServers(config)
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** The shipped configuration rewritten for replicas on loopback (see the module's comment). */
export function loopbackConfig(
  options: ProxyOptions,
  shipped = readFileSync(SHIPPED_CONFIG, 'utf8'),
): string {
  let config = withoutServers(shipped);
  config = replaceOnce(config, /^([ \t]+)bind :8080$/m, `$1bind 127.0.0.1:${options.port}`, 'proxy bind');
  config = replaceOnce(
    config,
    /^([ \t]+)bind :8404$/m,
    `$1bind 127.0.0.1:${options.healthPort}`,
    'health bind',
  );
  config = replaceOnce(
    config,
    /^(global\n)/m,
    `$1    stats socket ${options.statsSocket} level admin\n`,
    'global section',
  );
  if (options.balance === 'roundrobin') {
    config = replaceOnce(config, /^([ \t]+)balance hash .*$/m, '$1balance roundrobin', 'balance line');
  }
  if (options.hashBalanceFactor !== undefined) {
    config = replaceOnce(
      config,
      /^([ \t]+)hash-balance-factor [0-9]+$/m,
      `$1hash-balance-factor ${options.hashBalanceFactor}`,
      'hash-balance-factor line',
    );
  }
  const servers = options.replicas.map(({ name, port }) => `    server ${name} 127.0.0.1:${port}`).join('\n');
  return replaceOnce(
    config,
    /^([ \t]+default-server [^\n]*)$/m,
    `$1\n${servers}`,
    'default-server line',
  ).concat('\n');
}

/** The haproxy binary: on PATH, or where Debian installs it (root's PATH has /usr/sbin, others may not). */
export function haproxyBinary(): string {
  for (const directory of (process.env.PATH ?? '').split(':')) {
    try {
      accessSync(join(directory, 'haproxy'), constants.X_OK);
      return join(directory, 'haproxy');
    } catch {
      // not in this directory
    }
  }
  return '/usr/sbin/haproxy';
}

export interface CheckResult {
  valid: boolean;
  /** What `haproxy -c` printed on standard error: warnings, alerts. */
  output: string;
}

/** `haproxy -c -f <file>`: whether HAProxy accepts the configuration, and what it said about it. */
export async function checkConfig(file: string, env: NodeJS.ProcessEnv = process.env): Promise<CheckResult> {
  const child = spawn(haproxyBinary(), ['-c', '-f', file], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  // 'close': once the process has exited and everything it wrote has been read ('exit' may come first).
  const [code] = (await once(child, 'close')) as [number | null];
  return { valid: code === 0, output };
}

/** `haproxy -c` on a configuration's text, written to a temporary file. */
export async function checkConfigText(text: string, env?: NodeJS.ProcessEnv): Promise<CheckResult> {
  const directory = mkdtempSync(join(tmpdir(), 'babyjit-haproxy-check-'));
  try {
    writeFileSync(join(directory, 'haproxy.cfg'), text);
    return await checkConfig(join(directory, 'haproxy.cfg'), env);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

/** Why HAProxy cannot run here, or undefined when it can. */
export async function haproxyUnavailable(): Promise<string | undefined> {
  const child = spawn(haproxyBinary(), ['-v'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const failed = once(child, 'error').then(([error]) => (error as Error).message);
  // 'close', not 'exit', which may come before the version line has been read.
  const exited = once(child, 'close').then(([code]) =>
    code === 0 ? undefined : `haproxy -v exited ${code}`,
  );
  const why = await Promise.race([failed, exited]);
  if (why !== undefined) return why;
  return /HAProxy version 2\.[6-9]|HAProxy version [3-9]\./.test(output)
    ? undefined
    : `haproxy is older than 2.6: ${output.split('\n')[0]}`;
}

/** One server's row of `show stat`. */
export interface ServerState {
  name: string;
  /** UP, DOWN, MAINT, or a transition such as "UP 1/2". */
  status: string;
  /** The last health check's result, L7OK when /readyz answered 200. */
  checkStatus: string;
  /** Requests (streams) the proxy has sent it. */
  sessions: number;
}

export interface ProxyProcess {
  child: ChildProcess;
  /** The proxy's base URL. */
  url: string;
  /** The health frontend's base URL. */
  healthUrl: string;
  config: string;
  /** Every line HAProxy wrote, with the time (performance.now()) it arrived. */
  lines: Array<{ at: number; text: string }>;
  servers(): Promise<ServerState[]>;
  /** Resolves when every server named is in `status` (UP after a passed check, or DOWN), by polling. */
  waitFor(status: 'UP' | 'DOWN', names: readonly string[], timeoutMs?: number): Promise<void>;
  /** SIGUSR1, HAProxy's graceful stop, then waits for the exit; and removes its directory. */
  stop(): Promise<void>;
}

/** A command to the stats socket, answered in full (HAProxy closes after one command). */
export function askStatsSocket(socketPath: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    let answer = '';
    socket.on('connect', () => socket.end(`${command}\n`));
    socket.on('data', (chunk) => {
      answer += chunk.toString();
    });
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

export function parseServerStats(csv: string, backend = BACKEND): ServerState[] {
  const [header = '', ...rows] = csv.trim().split('\n');
  const columns = header.replace(/^# /, '').split(',');
  const at = (name: string) => {
    const index = columns.indexOf(name);
    if (index < 0) throw new Error(`show stat has no ${name} column: ${header}`);
    return index;
  };
  const [px, sv, status, check, total] = ['pxname', 'svname', 'status', 'check_status', 'stot'].map(at);
  return rows
    .map((row) => row.split(','))
    .filter(
      (cells) =>
        cells[px as number] === backend && !['FRONTEND', 'BACKEND'].includes(cells[sv as number] ?? ''),
    )
    .map((cells) => ({
      name: cells[sv as number] ?? '',
      status: cells[status as number] ?? '',
      checkStatus: cells[check as number] ?? '',
      sessions: Number(cells[total as number]),
    }));
}

export interface StartProxyOptions extends Omit<ProxyOptions, 'port' | 'healthPort' | 'statsSocket'> {
  /** Wait for every replica to be UP before resolving (the default), as a client would need. */
  waitUntilUp?: boolean;
}

/** Starts HAProxy in the foreground (-db) with the loopback configuration, and waits for it to listen. */
export async function startProxy(options: StartProxyOptions): Promise<ProxyProcess> {
  const directory = mkdtempSync(join(tmpdir(), 'babyjit-haproxy-'));
  const statsSocket = join(directory, 'stats.sock');
  const port = await freePort();
  const healthPort = await freePort();
  const config = loopbackConfig({ ...options, port, healthPort, statsSocket });
  const file = join(directory, 'haproxy.cfg');
  writeFileSync(file, config);
  const child = spawn(haproxyBinary(), ['-db', '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: ProxyProcess['lines'] = [];
  const onData = (chunk: Buffer) => {
    const at = performance.now();
    for (const text of chunk.toString().split('\n')) if (text !== '') lines.push({ at, text });
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = once(child, 'close');
  const url = `http://127.0.0.1:${port}`;
  const healthUrl = `http://127.0.0.1:${healthPort}`;
  const servers = async () => parseServerStats(await askStatsSocket(statsSocket, 'show stat'));
  const waitFor = async (status: 'UP' | 'DOWN', names: readonly string[], timeoutMs = 30_000) => {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const states = await servers();
      const done = names.every((name) => {
        const state = states.find((server) => server.name === name);
        return status === 'UP'
          ? state?.status === 'UP' && state.checkStatus === 'L7OK'
          : state?.status === 'DOWN' || state?.status === 'MAINT';
      });
      if (done) return;
      if (performance.now() > deadline) {
        throw new Error(
          `servers ${names.join(', ')} not ${status} in ${timeoutMs} ms: ${JSON.stringify(states)}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  let stopped = false;
  const stop = async () => {
    if (!stopped) {
      stopped = true;
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGUSR1');
      await exited;
    }
    rmSync(directory, { recursive: true, force: true });
  };
  // Listening once its health frontend answers; HAProxy exits at once on a configuration it refuses.
  const deadline = performance.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`haproxy exited ${child.exitCode}:\n${lines.map(({ text }) => text).join('\n')}`);
    }
    try {
      if ((await fetch(`${healthUrl}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (performance.now() > deadline) {
      await stop();
      throw new Error(`haproxy did not listen:\n${lines.map(({ text }) => text).join('\n')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const proxy: ProxyProcess = { child, url, healthUrl, config, lines, servers, waitFor, stop };
  if (options.waitUntilUp ?? true) {
    try {
      await waitFor(
        'UP',
        options.replicas.map(({ name }) => name),
      );
    } catch (error) {
      await stop();
      throw error;
    }
  }
  return proxy;
}
