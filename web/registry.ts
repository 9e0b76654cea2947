/**
 * The registry, live: its counters and one page of the compiled adders (least recently used first), kept
 * current by polling while the tab is visible. One page of the list a poll, never all of it: by default
 * the most recently used adders, the end of the API's order.
 */
import { type AdderList, type AdderSummary, ApiError, listAdders, releaseAdder } from './api.js';
import { byId, el } from './elements.js';
import { count } from './format.js';

/** Adders shown at once. */
const PAGE = 10;

export interface RegistryActions {
  /** Show an adder's page. */
  show(term: number): void;
  /** An adder was released from this panel. */
  released(term: number): void;
}

export class RegistryPanel {
  readonly #body = byId<HTMLTableSectionElement>('registry-body');
  readonly #status = byId('registry-status');
  readonly #older = byId<HTMLButtonElement>('registry-older');
  readonly #newer = byId<HTMLButtonElement>('registry-newer');
  /** The first adder shown, or null to follow the most recently used. */
  #offset: number | null = null;
  #total = 0;
  #current: number | undefined;

  constructor(private readonly actions: RegistryActions) {
    this.#older.addEventListener('click', () => this.#page(-PAGE));
    this.#newer.addEventListener('click', () => this.#page(PAGE));
    this.#body.addEventListener('click', (event) => this.#onClick(event.target));
  }

  /** Marks the adder the page shows. */
  set current(term: number | undefined) {
    this.#current = term;
    for (const row of this.#body.rows) row.classList.toggle('current', row.dataset.term === String(term));
  }

  async refresh(): Promise<void> {
    let list = await listAdders(this.#offsetToAsk(), PAGE);
    const { offset, total } = list.body.page;
    // Following the most recent: the list grew or shrank since the last poll, so ask again at its end.
    if (this.#offset === null && offset !== Math.max(0, total - PAGE)) {
      this.#total = total;
      list = await listAdders(this.#offsetToAsk(), PAGE);
    }
    this.#draw(list.body);
    this.#showReplica(list.replica);
  }

  /**
   * Behind the sharding proxy the list and its counters are one replica's, whichever the proxy sent this
   * browser to; every other replica holds other terms. Said beside them, and nothing said without a proxy.
   */
  #showReplica(replica: string | null): void {
    const note = byId('registry-replica');
    note.hidden = replica === null;
    note.textContent =
      replica === null
        ? ''
        : `These are the adders and counters of ${replica} alone, the replica that answered: behind the ` +
          'sharding proxy each replica compiles the terms routed to it and keeps a registry of its own.';
  }

  #offsetToAsk(): number {
    return this.#offset ?? Math.max(0, this.#total - PAGE);
  }

  #page(step: number): void {
    const offset = Math.max(0, this.#offsetToAsk() + step);
    this.#offset = offset + PAGE >= this.#total ? null : offset;
    void this.refresh().catch((error: unknown) => this.#say(messageOf(error)));
  }

  #draw(list: AdderList): void {
    const { stats, adders, page } = list;
    this.#total = page.total;
    const values: Record<string, string> = {
      compiles: count(stats.compiles),
      hits: count(stats.hits),
      misses: count(stats.misses),
      evictions: count(stats.evictions),
      live: `${count(stats.live)} of ${count(stats.capacity)}`,
      mappedBytes: count(stats.mappedBytes),
    };
    for (const [name, value] of Object.entries(values)) byId(`stat-${name}`).textContent = value;
    byId('registry-range').textContent =
      adders.length === 0
        ? 'No adder is compiled.'
        : `Adders ${count(page.offset + 1)} to ${count(page.offset + adders.length)} of ${count(page.total)}, least recently used first.`;
    this.#older.disabled = page.offset === 0;
    this.#newer.disabled = page.next === null;

    this.#drawRows(adders);
  }

  /**
   * Keeps each adder's row from one poll to the next, redrawing only its cells: a button a person has
   * pressed must still be there when they let go, or the browser sends no click, and a poll can come in
   * between. Rows move only when the list's order changes.
   */
  #drawRows(adders: AdderSummary[]): void {
    const kept = new Map([...this.#body.rows].map((row) => [row.dataset.term, row]));
    const rows = adders.map((adder) => {
      const row = kept.get(String(adder.term)) ?? adderRow(adder.term);
      row.classList.toggle('current', adder.term === this.#current);
      const [, calls, compiled] = row.cells;
      const callCount = count(adder.calls);
      if (calls !== undefined && calls.textContent !== callCount) calls.textContent = callCount;
      if (compiled !== undefined && compiled.querySelector('time')?.dateTime !== adder.compiledAt) {
        compiled.replaceChildren(
          el('time', { datetime: adder.compiledAt }, new Date(adder.compiledAt).toLocaleTimeString()),
        );
      }
      return row;
    });
    const body = this.#body.rows;
    if (rows.length === body.length && rows.every((row, at) => body[at] === row)) return;
    // Moving a row takes the focus from its buttons: it goes back to the same button, or, if its adder has
    // left the list, to the panel's heading.
    const focused = document.activeElement;
    const refocus = focused instanceof HTMLElement && this.#body.contains(focused) ? focused : undefined;
    this.#body.replaceChildren(...rows);
    if (refocus !== undefined) (refocus.isConnected ? refocus : byId('registry-heading')).focus();
  }

  #onClick(target: EventTarget | null): void {
    if (!(target instanceof HTMLButtonElement)) return;
    const term = Number(target.closest('tr')?.dataset.term);
    if (target.dataset.action === 'show') this.actions.show(term);
    if (target.dataset.action === 'release') void this.#release(term);
  }

  async #release(term: number): Promise<void> {
    try {
      await releaseAdder(term);
      this.#say(`Released adder ${term}: its page is unmapped.`);
      this.actions.released(term);
    } catch (error) {
      this.#say(messageOf(error));
    }
    await this.refresh().catch(() => undefined);
  }

  #say(message: string): void {
    this.#status.textContent = message;
  }
}

/** A row for an adder, its counts left for the panel to fill in. */
function adderRow(term: number): HTMLTableRowElement {
  return el(
    'tr',
    { 'data-term': term },
    el('th', { scope: 'row' }, el('code', {}, term)),
    el('td', { class: 'number' }),
    el('td', {}),
    el(
      'td',
      {},
      el(
        'div',
        { class: 'actions' },
        el('button', { type: 'button', 'data-action': 'show', 'aria-label': `Show adder ${term}` }, 'Show'),
        el(
          'button',
          { type: 'button', 'data-action': 'release', 'aria-label': `Release adder ${term}` },
          'Release',
        ),
      ),
    ),
  );
}

export function messageOf(error: unknown): string {
  return error instanceof ApiError ? error.message : String(error);
}
