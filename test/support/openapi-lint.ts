/**
 * The API linters, run as a developer runs them: their command-line tools, with the configurations at the
 * repository's root (redocly.yaml: Redocly's recommended rules; .spectral.yaml: Spectral's spectral:oas).
 */
import { join } from 'node:path';
import { repoRoot, runCommand } from './docker.js';

export interface LintProblem {
  rule: string;
  severity: string;
  /** Where in the document: a JSON pointer (Redocly) or a dotted path (Spectral). */
  at: string;
  message: string;
}

/** Runs a tool of node_modules/.bin: both linters exit with 1 when they found problems, which is an answer. */
async function runTool(tool: string, args: string[]): Promise<string> {
  const result = await runCommand(process.execPath, [join(repoRoot, 'node_modules/.bin', tool), ...args]);
  if (result.code !== 0 && result.code !== 1) {
    throw new Error(`${tool} ${args.join(' ')} exited with ${result.code}:\n${result.stderr}`);
  }
  return result.stdout;
}

export async function lintWithRedocly(file: string): Promise<LintProblem[]> {
  const output = await runTool('redocly', [
    'lint',
    file,
    `--config=${join(repoRoot, 'redocly.yaml')}`,
    '--format=json',
  ]);
  const report = JSON.parse(output) as {
    problems: Array<{
      ruleId: string;
      severity: string;
      message: string;
      location: Array<{ pointer: string }>;
    }>;
  };
  return report.problems.map((problem) => ({
    rule: problem.ruleId,
    severity: problem.severity,
    at: problem.location[0]?.pointer ?? '',
    message: problem.message,
  }));
}

/** Spectral's severities, by the number its JSON output gives. */
const SPECTRAL_SEVERITIES = ['error', 'warn', 'info', 'hint'];

export async function lintWithSpectral(file: string): Promise<LintProblem[]> {
  const output = await runTool('spectral', [
    'lint',
    file,
    `--ruleset=${join(repoRoot, '.spectral.yaml')}`,
    '--format=json',
    '--fail-severity=hint',
    '--quiet',
  ]);
  const results = JSON.parse(output) as Array<{
    code: string;
    severity: number;
    message: string;
    path: string[];
  }>;
  return results.map((result) => ({
    rule: result.code,
    severity: SPECTRAL_SEVERITIES[result.severity] ?? String(result.severity),
    at: result.path.join('.'),
    message: result.message,
  }));
}
