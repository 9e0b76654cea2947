/**
 * The soak (harness/soak.ts, `npm run soak`) at CI size: the same script, the same goals and the same
 * production server, with 150,000 requests over 5,000 terms at capacity 256 instead of 1,000,000 over
 * 100,000 at 4096 (about 15 s here; fewer requests make too short a run to compare resident memory across
 * V8's GC cycles, see harness/soak.ts). It fails when the script reports any goal missed (wrong answer, unexpected status,
 * connection error, more JIT pages than the capacity, a JIT page writable and executable in a sample of
 * /proc or in any memory call the JIT made, resident memory drifting by more than 10%, the timeout).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const soakScript = fileURLToPath(new URL('../../harness/soak.js', import.meta.url));

describe('soak at CI size', () => {
  it('meets every goal: 150,000 mixed requests over 5,000 terms at capacity 256', {
    timeout: 120_000,
  }, async (t) => {
    const env = {
      ...process.env,
      SOAK_REQUESTS: '150000',
      SOAK_TERMS: '5000',
      SOAK_CAPACITY: '256',
      SOAK_TIMEOUT_SECONDS: '60',
    };
    const { stdout } = await run(process.execPath, [soakScript], { env, timeout: 90_000 }).catch(
      (error: { code?: number; stdout?: string; stderr?: string }) => {
        assert.fail(`the soak exited ${error.code}:\n${error.stdout ?? ''}${error.stderr ?? ''}`);
      },
    );
    for (const line of stdout.trimEnd().split('\n')) t.diagnostic(line);
    assert.match(stdout, /result +PASS: every goal met/);
    assert.match(stdout, /wrong answers +0\n/);
    assert.match(stdout, /W\^X +0 samples with a writable\+executable JIT page/);
    assert.match(stdout, /memory calls +.*r-x [0-9,]+.*; 0 asking for write and execute or writing outside/);
  });
});
