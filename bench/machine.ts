/** Describes the machine a benchmark ran on, for the record in docs/benchmarks.md. */
import { readFileSync } from 'node:fs';
import os from 'node:os';

export function describeMachine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const memory = `${Math.round(os.totalmem() / 2 ** 30)} GiB`;
  return `${cpu}, ${os.cpus().length} cores, ${memory}, Linux ${os.release()}, Node.js ${process.version}`;
}

export function packageVersion(name: string): string {
  const path = new URL(`../../node_modules/${name}/package.json`, import.meta.url);
  return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
}
