/**
 * Keeps the README true: every curl example in it runs, in order, against a real server, and prints what
 * the README says it prints (`…` in the README stands for a value that changes, like a timestamp).
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { CONFIG_VARIABLES } from '../src/config.js';
import { startTestApp } from './support/app.js';

const run = promisify(execFile);
const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const DOCUMENTED_BASE = 'http://127.0.0.1:3000';

interface Example {
  command: string;
  expected: string | undefined;
}

/** The curl commands of the README's sh blocks, each with the output its comment lines promise. */
function curlExamples(): Example[] {
  const examples: Example[] = [];
  for (const block of readme.matchAll(/```sh\n([\s\S]*?)```/g)) {
    const lines = (block[1] ?? '').split('\n');
    lines.forEach((line, index) => {
      if (!/(^|\| )curl /.test(line) || !line.includes(DOCUMENTED_BASE)) return;
      const comments: string[] = [];
      for (let next = index + 1; lines[next]?.startsWith('#'); next += 1) {
        comments.push((lines[next] as string).replace(/^#\s+/, ''));
      }
      examples.push({ command: line, expected: comments.length > 0 ? comments.join('') : undefined });
    });
  }
  return examples;
}

function asPattern(expected: string): RegExp {
  const escaped = expected.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/…/g, '[^"]*');
  return new RegExp(`^${escaped}$`);
}

describe('README', () => {
  it('has curl examples that work as written', async (t) => {
    if (spawnSync('curl', ['--version']).status !== 0) {
      assert.ok(!process.env.CI, 'curl is missing in CI');
      t.skip('curl is not installed');
      return;
    }
    const examples = curlExamples();
    assert.ok(examples.length >= 8, `found ${examples.length} curl examples`);
    // No load shedding: on a busy machine it could answer an example 503, which is not what the README shows.
    const server = await startTestApp({ maxEventLoopDelayMs: 0 });
    try {
      const address = server.app.server.address();
      assert.ok(address && typeof address === 'object');
      const base = `http://127.0.0.1:${address.port}`;
      for (const { command, expected } of examples) {
        assert.ok(command.includes(DOCUMENTED_BASE), `${command} uses ${DOCUMENTED_BASE}`);
        // Asynchronously: the server answering curl runs in this very process.
        const { stdout } = await run('sh', ['-c', command.replaceAll(DOCUMENTED_BASE, base)], {
          timeout: 10_000,
        });
        const output = stdout.trim();
        assert.ok(expected, `${command} shows its output`);
        assert.match(output, asPattern(expected), command);
      }
    } finally {
      await server.close();
    }
  });
});

describe('README configuration table', () => {
  it('lists every variable of src/config.ts with its default, and no other', () => {
    const rows = [...readme.matchAll(/^\| `([A-Z_]+)` +\| `([^`]*)` +\|/gm)].map((match) => [
      match[1],
      match[2],
    ]);
    assert.deepEqual(
      Object.fromEntries(rows),
      Object.fromEntries(
        Object.entries(CONFIG_VARIABLES).map(([name, variable]) => [name, variable.default]),
      ),
    );
  });
});
