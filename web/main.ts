/**
 * The explorer: compile a term, read its page byte by byte, follow the page's life, apply it, and watch
 * the registry. Every number on the page comes from the public API (api.ts); this module wires the forms,
 * the panels and the address together.
 */
import {
  type AdderDetails,
  ApiError,
  applyAdder,
  applyAdderToAll,
  type CacheLookup,
  compileAdder,
  describeAdder,
  lifeOf,
} from './api.js';
import { byId, el } from './elements.js';
import { count, hexOffset } from './format.js';
import { Listing } from './listing.js';
import { clearPage, showBlinding, showLife, showOverview } from './page.js';
import { messageOf, RegistryPanel } from './registry.js';
import { type ExplorerState, onStateChange, readState, recordState } from './url-state.js';

/** How often the registry and the shown page's life are read again while the tab is visible. */
const POLL_MS = 2000;
/** Results of a batch written out; the rest are counted. */
const BATCH_SHOWN = 16;

type Field = 'term' | 'x' | 'xs';

const inputs: Record<Field, HTMLInputElement> = {
  term: byId<HTMLInputElement>('term'),
  x: byId<HTMLInputElement>('x'),
  xs: byId<HTMLInputElement>('xs'),
};
const listing = new Listing();
const registry = new RegistryPanel({
  show: (term) => void showFromRegistry(term),
  released: (term) => void released(term),
});

/** The adder the page shows, and the page it was last drawn from. */
let shown: AdderDetails | undefined;
/** Whether the shown adder's life can still be read (the service keeps the last 64 ended lives). */
let lifeKnown = false;
/**
 * Reads of the shown page's life (and descriptions, which draw it too), counted: an answer is drawn only if
 * no later one was asked for, so that a poll's answer from before a release never covers the release's.
 */
let lifeReads = 0;

const CACHE_WORDS: Record<CacheLookup, string> = {
  compile: 'this request compiled the adder into a new page',
  hit: 'the adder was already compiled: its page was used as it is',
};

function cacheNote(cache: CacheLookup | null): HTMLElement {
  return el(
    'p',
    { class: 'cache' },
    el('code', { class: `cache-${cache ?? 'none'}` }, `x-jit-cache: ${cache ?? '?'}`),
    ' ',
    cache === null ? '' : CACHE_WORDS[cache],
  );
}

/** The field an API error is about: its message names it (params/n, body/term, querystring/x, body/xs). */
function fieldOf(error: unknown, fallback: Field): Field {
  const message = messageOf(error);
  if (/^(params\/n|body\/term)\b/.test(message)) return 'term';
  if (/^querystring\/x\b/.test(message)) return 'x';
  if (/^body\/xs\b/.test(message)) return 'xs';
  return fallback;
}

function showError(field: Field, error: unknown): void {
  byId(`${field}-error`).textContent = messageOf(error);
  inputs[field].setAttribute('aria-invalid', 'true');
}

function clearErrors(): void {
  for (const field of Object.keys(inputs) as Field[]) {
    byId(`${field}-error`).textContent = '';
    inputs[field].removeAttribute('aria-invalid');
  }
}

async function compile(termText: string, record: boolean): Promise<boolean> {
  clearErrors();
  try {
    const answer = await compileAdder(termText);
    const { term } = answer.body;
    // The address first: by the time a result shows, the address says how to get it again.
    if (record) recordState({ term: String(term) });
    inputs.term.value = String(term);
    byId('compile-result').replaceChildren(
      el('p', {}, `Adder ${term}: ${answer.status === 201 ? '201 Created' : '200 OK'}.`),
      cacheNote(answer.cache),
    );
    await showAdder(term, true);
    return true;
  } catch (error) {
    showError(fieldOf(error, 'term'), error);
    return false;
  }
}

async function apply(termText: string, xText: string, record: boolean): Promise<void> {
  clearErrors();
  try {
    const answer = await applyAdder(termText, xText);
    const { term, x, result } = answer.body;
    if (record) recordState({ term: String(term), x: String(x) });
    inputs.term.value = String(term);
    inputs.x.value = String(x);
    const sum = term + x;
    byId('apply-result').replaceChildren(
      el('p', { class: 'result' }, el('code', {}, `${term} + ${x} = ${result}`)),
      el(
        'p',
        {},
        `x = ${x} went in `,
        el('code', {}, 'edi'),
        ` (the first integer argument in the System V AMD64 ABI); the adder left ${result} in `,
        el('code', {}, 'eax'),
        ', which the caller reads as the result.',
      ),
      sum === result
        ? ''
        : el(
            'p',
            { class: 'wrap' },
            `Wrap-around: ${sum} does not fit in 32 bits, so the CPU keeps its low 32 bits, ${result} in two’s complement.`,
          ),
      cacheNote(answer.cache),
    );
    await showAdder(term, answer.cache === 'compile');
  } catch (error) {
    showError(fieldOf(error, 'x'), error);
  }
}

async function applyToAll(termText: string, xsText: string, record: boolean): Promise<void> {
  clearErrors();
  try {
    const answer = await applyAdderToAll(termText, xsText);
    const { term, results } = answer.body;
    if (record) recordState({ term: String(term), xs: xsText.trim() });
    inputs.term.value = String(term);
    const shownResults = results.slice(0, BATCH_SHOWN).join(', ');
    const more = results.length > BATCH_SHOWN ? `, … ${count(results.length - BATCH_SHOWN)} more` : '';
    const entry = shown?.entries.find((candidate) => candidate.name === 'applyAll');
    byId('batch-result').replaceChildren(
      el('p', { class: 'result' }, el('code', {}, `${term} + each = [${shownResults}${more}]`)),
      el(
        'p',
        {},
        `One call into applyAll${entry === undefined ? '' : ` at ${hexOffset(entry.offset)}`} for ${count(results.length)} input${results.length === 1 ? '' : 's'}: `,
        el('code', {}, 'rdi'),
        ' points at them, ',
        el('code', {}, 'rsi'),
        ' holds their count, and the loop adds the term to each in place.',
      ),
      cacheNote(answer.cache),
    );
    await showAdder(term, answer.cache === 'compile');
  } catch (error) {
    showError(fieldOf(error, 'xs'), error);
  }
}

/**
 * Shows an adder's page: decoded again when it is another term or a new page, otherwise only its life is
 * read again (a call changes nothing but the count).
 */
async function showAdder(term: number, newPage: boolean): Promise<void> {
  if (!newPage && shown?.term === term && lifeKnown) {
    await refreshLife();
    return;
  }
  drawAdder((await describeAdder(term)).body);
}

/** Draws a described adder: its heading, listing, page, life and blinding. */
function drawAdder(details: AdderDetails): void {
  const { term } = details;
  shown = details;
  lifeKnown = true;
  lifeReads += 1;
  registry.current = term;
  byId('page-status').textContent = '';
  byId('page-heading').textContent = `The page of adder ${term}`;
  listing.show(details);
  showOverview(details);
  showLife(details.life);
  showBlinding(details);
}

async function refreshLife(): Promise<void> {
  if (shown === undefined || !lifeKnown) return;
  const term = shown.term;
  lifeReads += 1;
  const read = lifeReads;
  try {
    const { body: life } = await lifeOf(term);
    if (read !== lifeReads || shown?.term !== term) return;
    showLife(life);
    if (!life.live) {
      byId('page-status').textContent =
        `Adder ${term} no longer has this page: the listing shows the bytes it held. Compile it again for a new page, with a new key.`;
    }
  } catch (error) {
    // The service keeps only the last ended lives: this one has gone too.
    if (read === lifeReads && error instanceof ApiError && error.status === 404) lifeKnown = false;
  }
}

async function showFromRegistry(term: number): Promise<void> {
  clearErrors();
  inputs.term.value = String(term);
  try {
    const { body: details } = await describeAdder(term);
    recordState({ term: String(term) });
    drawAdder(details);
  } catch (error) {
    showError('term', error);
  }
}

async function released(term: number): Promise<void> {
  if (shown?.term === term) await refreshLife();
}

/** The page as it opens at /: no adder shown. */
function showNoAdder(): void {
  shown = undefined;
  lifeKnown = false;
  registry.current = undefined;
  byId('page-heading').textContent = 'The adder’s page';
  for (const id of ['page-status', 'compile-result', 'apply-result', 'batch-result'])
    byId(id).replaceChildren();
  clearErrors();
  listing.clear('No adder yet: compile a term above.');
  clearPage();
}

async function load(state: ExplorerState): Promise<void> {
  if (state.term === undefined) {
    showNoAdder();
    return;
  }
  for (const id of ['compile-result', 'apply-result', 'batch-result']) byId(id).replaceChildren();
  inputs.term.value = state.term;
  if (state.x !== undefined) inputs.x.value = state.x;
  if (state.xs !== undefined) inputs.xs.value = state.xs;
  if (!(await compile(state.term, false))) return;
  if (state.x !== undefined) await apply(state.term, state.x, false);
  if (state.xs !== undefined) await applyToAll(state.term, state.xs, false);
}

async function poll(): Promise<void> {
  if (!document.hidden) {
    try {
      await registry.refresh();
      await refreshLife();
      byId('registry-status').textContent = '';
    } catch (error) {
      byId('registry-status').textContent = messageOf(error);
    }
  }
  setTimeout(() => void poll(), POLL_MS);
}

function onSubmit(id: string, action: () => Promise<unknown>): void {
  byId<HTMLFormElement>(id).addEventListener('submit', (event) => {
    event.preventDefault();
    void action();
  });
}

onSubmit('compile-form', () => compile(inputs.term.value, true));
onSubmit('apply-form', () => apply(inputs.term.value, inputs.x.value, true));
onSubmit('batch-form', () => applyToAll(inputs.term.value, inputs.xs.value, true));
for (const example of document.querySelectorAll<HTMLButtonElement>('button[data-term][data-x]')) {
  example.addEventListener('click', () => {
    inputs.term.value = example.dataset.term ?? '';
    inputs.x.value = example.dataset.x ?? '';
    void apply(inputs.term.value, inputs.x.value, true);
  });
}
onStateChange((state) => void load(state));
showNoAdder();
void load(readState()).finally(() => void poll());
