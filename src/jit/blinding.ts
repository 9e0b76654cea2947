/**
 * Constant blinding, against JIT spraying. A client chooses the term, and the term's four bytes would sit
 * verbatim in executable memory: enough requests could fill the process with pages holding bytes of the
 * attacker's choosing at predictable offsets, to be jumped into through some other bug as an instruction
 * sequence of their own (a "gadget"). Production JITs (V8, JavaScriptCore, SpiderMonkey) blind untrusted
 * constants, and so does this one: each page gets a fresh random key and holds `term ^ key` and `key`,
 * which the code xors back together at run time. Neither field is the attacker's choice: both are
 * uniformly random whatever the term.
 *
 * The key is not a secret kept from the client (GET /adders/:n shows the page's bytes): it only has to be
 * unpredictable before the page is written, and a later compile of the same term draws a new one.
 */
import { randomFillSync } from 'node:crypto';
import { littleEndian32 } from './int32.js';
import type { AdderPageTarget } from './target.js';

/** Keys are drawn from the kernel's CSPRNG in batches: one getrandom call per 1,024 compiles, not per compile. */
const keys = new Int32Array(1024);
let nextKey = keys.length;

function drawKey(): number {
  if (nextKey === keys.length) {
    randomFillSync(keys);
    nextKey = 0;
  }
  return keys[nextKey++] as number;
}

/**
 * Whether the term's four bytes appear in `code`, a page of `target`, at a place that holds any part of
 * an immediate (a 32-bit word that holds some of the blinded term or key). Such a coincidence needs a key
 * whose bytes happen to complete the term's next to the opcodes around them (at worst one chance in 256
 * for a term chosen to match three fixed bytes); the page is then made again with another key. A run of
 * the term's bytes lying wholly in the fixed opcodes and trap padding is not the term's doing: it is in
 * every page whatever the term.
 */
export function exposesTerm(code: Uint8Array, term: number, target: AdderPageTarget): boolean {
  const bytes = littleEndian32(term);
  for (const field of target.blindedImmediateOffsets) {
    // Every 4-byte window that shares at least one byte with the field [field, field + 4).
    for (let start = Math.max(0, field - 3); start <= field + 3 && start + 4 <= code.length; start += 1) {
      if (
        code[start] === bytes[0] &&
        code[start + 1] === bytes[1] &&
        code[start + 2] === bytes[2] &&
        code[start + 3] === bytes[3]
      ) {
        return true;
      }
    }
  }
  return false;
}

/** A key of 0 would leave the term as it is; more attempts than this failing is a broken random source. */
const MAX_ATTEMPTS = 64;

/**
 * `target`'s adder page for `term` with a fresh random key, one that neither is zero nor lets the term's
 * bytes appear around the immediates.
 */
export function encodeBlindedAdderPage(
  term: number,
  target: AdderPageTarget,
  draw: () => number = drawKey,
): Uint8Array {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
    const key = draw();
    if (key === 0) continue;
    const code = target.encodePage(term, key);
    if (!exposesTerm(code, term, target)) return code;
  }
  throw new Error(
    `no blinding key hid term ${term} in ${MAX_ATTEMPTS} attempts: is the random source broken?`,
  );
}
