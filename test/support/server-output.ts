/** What a server process wrote, waited for: a line is read once the process has written it, never before. */
import type { ServerProcess } from '../../harness/server-process.js';
import { waitFor } from './wait-for.js';

/** Resolves with the first match of `pattern` in what `server` wrote, once it has written it. */
export function outputLine(server: ServerProcess, pattern: RegExp): Promise<string> {
  return waitFor(`a log line matching ${pattern}`, () => pattern.exec(server.output())?.[0]);
}
