/**
 * The adder's page as memory: how much of it the code fills and where its functions start, what it went
 * through in the server (mapped or recycled, written, sealed, called, evicted or unmapped, each with the
 * protection it left and the time it took as measured), and how blinding keeps the term out of it.
 * Addresses are never shown: the API has none to give (they would reveal the process's layout).
 */
import type { AdderDetails, PageLife, PageStep, Protection } from './api.js';
import { byId, el } from './elements.js';
import { count, hex32, hexOffset, isTrap, littleEndianBytes, microseconds, trapName } from './format.js';

const PROTECTION_WORDS: Record<Protection, string> = {
  'rw-': 'read+write',
  'r-x': 'read+execute',
  none: 'no access (unmapped)',
};

const PROTECTION_CLASSES: Record<Protection, string> = {
  'rw-': 'writable',
  'r-x': 'executable',
  none: 'unmapped',
};

function stepWords(step: PageStep): string {
  switch (step.step) {
    case 'mapped':
      return 'Mapped read+write (mmap), a guard page after it';
    case 'recycled':
      return `Recycled: the page of adder ${step.term}, evicted for this one, made read+write again (mprotect)`;
    case 'written':
      return `Code written: ${count(step.count ?? 0)} bytes`;
    case 'sealed':
      return 'Sealed read+execute (mprotect)';
    case 'called':
      return `Called ${count(step.count ?? 0)} time${step.count === 1 ? '' : 's'}`;
    case 'evicted':
      return `Evicted: the page went on to hold adder ${step.term}`;
    case 'unmapped':
      return 'Unmapped (munmap): the memory went back to the kernel';
  }
}

/** What the panels say before an adder is shown. */
export function clearPage(): void {
  byId<HTMLMeterElement>('code-meter').value = 0;
  byId('code-use').textContent = 'Compile a term to see its page.';
  byId('entries').replaceChildren();
  byId('life-state').textContent = 'Compile a term to follow its page.';
  byId('life-body').replaceChildren();
  byId('blinding-body').replaceChildren(
    el(
      'p',
      {},
      'A term chosen by a client never lies in executable memory as it is: each page holds ',
      el('code', {}, 'term ^ key'),
      ' and a random key instead.',
    ),
  );
}

/** Keys seen for each term in this tab, oldest first: a page compiled again gets a new key. */
const keysSeen = new Map<number, number[]>();

export function showOverview(details: AdderDetails): void {
  const { bytes, codeBytes } = details.page;
  const traps = details.disassembly.filter(isTrap);
  const padding = traps.reduce((bytes, instruction) => bytes + instruction.length, 0);
  const trap = traps[0] === undefined ? 'trap' : trapName(traps[0]);
  const meter = byId<HTMLMeterElement>('code-meter');
  meter.max = bytes;
  meter.value = codeBytes;
  byId('code-use').replaceChildren(
    el('strong', {}, `${count(codeBytes)} of the page’s ${count(bytes)} bytes`),
    ` hold code (${((100 * codeBytes) / bytes).toFixed(1)}%), generated for `,
    el('code', {}, details.target),
    `. ${count(padding)} of them are ${trap} padding, which traps if anything ever jumps there.`,
  );
  byId('entries').replaceChildren(
    ...details.entries.map((entry) =>
      el(
        'li',
        {},
        el('a', { href: `#entry-${entry.name}` }, el('code', {}, entry.name)),
        ` at offset ${hexOffset(entry.offset)}: `,
        el('code', {}, entry.signature),
        ` (${entry.registers})`,
      ),
    ),
  );
}

export function showLife(life: PageLife): void {
  byId('life-state').textContent = life.live
    ? `The page holding adder ${life.term} now, step by step as the server measured it.`
    : `Adder ${life.term} is gone: the page that held it, step by step as the server measured it.`;
  byId('life-body').replaceChildren(
    ...life.steps.map((step) =>
      el(
        'tr',
        { 'data-step': step.step },
        el('th', { scope: 'row' }, stepWords(step)),
        el(
          'td',
          {},
          el('code', { class: `protection ${PROTECTION_CLASSES[step.protection]}` }, step.protection),
          ' ',
          PROTECTION_WORDS[step.protection],
        ),
        el('td', { class: 'number' }, step.durationUs === null ? 'not timed' : microseconds(step.durationUs)),
      ),
    ),
  );
}

export function showBlinding(details: AdderDetails): void {
  const { term, blinding, termBytesAt } = details;
  const where =
    termBytesAt.length === 0
      ? [
          `appear nowhere in its ${count(details.page.codeBytes)} bytes of code`,
          el('code', {}, ' termBytesAt: []'),
        ]
      : [`appear at ${termBytesAt.map(hexOffset).join(', ')} (marked in the listing)`];
  const termLine = el(
    'p',
    {},
    `The term ${term} is ${hex32(term)}, the bytes `,
    el('code', {}, littleEndianBytes(term)),
    ' in memory. They ',
    ...where,
    '.',
  );
  if (blinding === null) {
    byId('blinding-body').replaceChildren(
      el('p', {}, 'Blinding is off (JIT_BLINDING=off): the page holds the term itself.'),
      termLine,
    );
    return;
  }
  const seen = keysSeen.get(term) ?? [];
  if (seen.at(-1) !== blinding.key) seen.push(blinding.key);
  keysSeen.set(term, seen);
  const earlier = seen.slice(0, -1);
  byId('blinding-body').replaceChildren(
    el(
      'p',
      {},
      'This page got a random key from the kernel. It holds ',
      el('code', {}, 'term ^ key'),
      ' and ',
      el('code', {}, 'key'),
      ', and the code xors them back into the term.',
    ),
    el(
      'dl',
      { class: 'values' },
      el('dt', {}, 'key'),
      el('dd', { 'data-value': 'key' }, el('code', {}, hex32(blinding.key)), ` (${blinding.key})`),
      el('dt', {}, 'term ^ key'),
      el('dd', {}, el('code', {}, hex32(blinding.blindedTerm)), ` (${blinding.blindedTerm})`),
      el('dt', {}, 'term'),
      el('dd', {}, el('code', {}, hex32(term)), ` (${term})`),
    ),
    termLine,
    earlier.length === 0
      ? el('p', {}, 'Release this adder and compile it again: its new page gets a new key.')
      : el(
          'p',
          { class: 'key-history' },
          `Earlier pages for adder ${term} in this tab had the key${earlier.length === 1 ? '' : 's'} `,
          earlier.map(hex32).join(', '),
          `; this one’s is ${earlier.includes(blinding.key) ? 'the same' : 'different'}.`,
        ),
  );
}
