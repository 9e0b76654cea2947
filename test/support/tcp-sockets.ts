/** The kernel's view of a process's TCP sockets, for tests that must know what the server has accepted. */
import { readFile } from 'node:fs/promises';
import { waitFor } from './wait-for.js';

export interface TcpSocket {
  localPort: number;
  remotePort: number;
  state: string;
  /** For a listening socket (state 0A), the connections not yet accepted; otherwise, bytes not yet read. */
  rxQueue: number;
}

/** The IPv4 TCP sockets of the server's network namespace, from /proc/<pid>/net/tcp. */
export async function tcpSockets(pid: number): Promise<TcpSocket[]> {
  const table = await readFile(`/proc/${pid}/net/tcp`, 'utf8');
  return table
    .split('\n')
    .slice(1)
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [, local = '', remote = '', state = '', queues = ''] = line.trim().split(/\s+/);
      const port = (address: string) => Number.parseInt(address.split(':')[1] ?? '', 16);
      const rxQueue = Number.parseInt(queues.split(':')[1] ?? '', 16);
      return { localPort: port(local), remotePort: port(remote), state, rxQueue };
    });
}

/** Resolves once the server has accepted every connection made to `port` so far. */
export async function allAccepted(pid: number, port: number): Promise<void> {
  await waitFor('the accept queue to empty', async () => {
    const listening = (await tcpSockets(pid)).find((s) => s.localPort === port && s.state === '0A');
    if (listening === undefined) throw new Error(`no listening socket on port ${port}`);
    return listening.rxQueue === 0 ? true : undefined;
  });
}
