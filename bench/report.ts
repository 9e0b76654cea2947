/**
 * Writes a benchmark's section of docs/benchmarks.md, between `<!-- begin NAME -->` and `<!-- end NAME -->`,
 * so that every figure in the document is one a script printed, and each script owns its own section, one
 * per Node.js major version: a run on Node.js 24 leaves Node.js 20's figures in place beside its own.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const documentPath = new URL('../../docs/benchmarks.md', import.meta.url);

export function writeReportSection(name: string, markdown: string): void {
  const key = `${name} node${process.versions.node.split('.')[0]}`;
  const begin = `<!-- begin ${key} -->`;
  const end = `<!-- end ${key} -->`;
  const block = `${begin}\n${markdown.trim()}\n${end}`;
  const current = existsSync(documentPath) ? readFileSync(documentPath, 'utf8') : '# Benchmarks\n';
  const start = current.indexOf(begin);
  const stop = current.indexOf(end);
  const next =
    start >= 0 && stop > start
      ? `${current.slice(0, start)}${block}${current.slice(stop + end.length)}`
      : `${current.trimEnd()}\n\n${block}\n`;
  writeFileSync(documentPath, next);
}
