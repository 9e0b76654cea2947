/**
 * `GET /adders/:n`'s answer: what the registry says of an adder (plain data: its code, read back from its
 * page, and facts), with the code explained by the explainer for the page's architecture. One function, so
 * that whatever shows an adder (the route; a test that shows the explorer an arm64 page) shows it the same.
 */
import { explain } from '../explain/explainer.js';
import { toHex } from '../jit/hex.js';
import type { AdderDetails } from '../jit/registry.js';

export function adderDescription(term: number, details: AdderDetails) {
  return {
    term,
    calls: details.calls,
    compiledAt: details.compiledAt.toISOString(),
    code: toHex(details.code),
    target: details.target,
    entries: [...details.entries],
    disassembly: explain(details.code, details.architecture),
    page: { bytes: details.pageBytes, codeBytes: details.codeBytes },
    blinding: details.blinding ?? null,
    termBytesAt: details.termBytesAt,
    life: details.life,
  };
}
