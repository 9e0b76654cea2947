/**
 * babyjit sharded on loopback: N replicas (the real server, dist/src/server.js, each its own process)
 * behind HAProxy with the shipped configuration (harness/haproxy-process.ts). The replicas trust the
 * proxy's address, 127.0.0.1, for X-Forwarded-For; clients that play other addresses use 127.0.0.2 and
 * up. A replica can be killed or stopped and started again on its port, as an orchestrator would.
 */
import { type ProxyProcess, type StartProxyOptions, startProxy } from './haproxy-process.js';
import { freePort, type ServerProcess, startServerProcess } from './server-process.js';

export interface ReplicaProcess {
  /** Its server name in the proxy's configuration, which the x-jit-replica header reports. */
  name: string;
  port: number;
  /** Its own base URL, bypassing the proxy. */
  url: string;
  process: ServerProcess;
}

export interface ShardedServiceOptions extends Pick<StartProxyOptions, 'balance' | 'hashBalanceFactor'> {
  replicas: number;
  /** Each replica's environment, over LOG_LEVEL=warn and TRUSTED_PROXIES=127.0.0.1. */
  env?: Record<string, string>;
}

export interface ShardedService {
  replicas: ReplicaProcess[];
  proxy: ProxyProcess;
  /** The proxy's base URL: where clients go. */
  url: string;
  replica(name: string): ReplicaProcess;
  /** Sends `signal` to a replica and waits for its process to end. */
  kill(name: string, signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Starts a replica that ended again, on its port, and waits until it answers. */
  restart(name: string): Promise<void>;
  stop(): Promise<void>;
}

export const replicaName = (index: number) => `replica-${index + 1}`;

export async function startShardedService(options: ShardedServiceOptions): Promise<ShardedService> {
  const env = { LOG_LEVEL: 'warn', TRUSTED_PROXIES: '127.0.0.1', ...options.env };
  const launch = async (name: string, port: number): Promise<ReplicaProcess> => {
    const process = startServerProcess({ env, port, keepOutput: false });
    const url = await process.listening;
    return { name, port, url, process };
  };
  const replicas: ReplicaProcess[] = [];
  let proxy: ProxyProcess | undefined;
  const stop = async () => {
    await proxy?.stop();
    await Promise.all(
      replicas.map(async ({ process }) => {
        if (process.child.exitCode === null && process.child.signalCode === null)
          process.child.kill('SIGKILL');
        await process.exited;
      }),
    );
  };
  try {
    for (let index = 0; index < options.replicas; index += 1) {
      replicas.push(await launch(replicaName(index), await freePort()));
    }
    proxy = await startProxy({
      replicas: replicas.map(({ name, port }) => ({ name, port })),
      balance: options.balance,
      hashBalanceFactor: options.hashBalanceFactor,
    });
  } catch (error) {
    await stop();
    throw error;
  }
  const started = proxy;
  const replica = (name: string) => {
    const found = replicas.find((candidate) => candidate.name === name);
    if (found === undefined) throw new Error(`no replica ${name}`);
    return found;
  };
  return {
    replicas,
    proxy: started,
    url: started.url,
    replica,
    kill: async (name, signal) => {
      const { process } = replica(name);
      process.child.kill(signal);
      return process.exited;
    },
    restart: async (name) => {
      const index = replicas.indexOf(replica(name));
      replicas[index] = await launch(name, replica(name).port);
    },
    stop,
  };
}
