/**
 * Writes a benchmark's section of docs/benchmarks.md, between `<!-- begin NAME -->` and `<!-- end NAME -->`,
 * so that every figure in the document is one a script printed, and each script owns its own section, one
 * per Node.js major version: a run on Node.js 24 leaves Node.js 20's figures in place beside its own.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const documentPath = new URL('../../docs/benchmarks.md', import.meta.url);

export function writeReportSection(name: string, markdown: string): void {
  const major = process.versions.node.split('.')[0];
  const key = `${name} node${major}`;
  // The runtime in the section's heading, so that the two runtimes' sections read apart in a table of contents.
  const body = markdown.trim().replace(/^## (.*)$/m, `## $1, Node.js ${major}`);
  const begin = `<!-- begin ${key} -->`;
  const end = `<!-- end ${key} -->`;
  const block = `${begin}\n${body}\n${end}`;
  const current = existsSync(documentPath) ? readFileSync(documentPath, 'utf8') : '# Benchmarks\n';
  const start = current.indexOf(begin);
  const stop = current.indexOf(end);
  const next =
    start >= 0 && stop > start
      ? `${current.slice(0, start)}${block}${current.slice(stop + end.length)}`
      : `${current.trimEnd()}\n\n${block}\n`;
  writeFileSync(documentPath, next);
}
