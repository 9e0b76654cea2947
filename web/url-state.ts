/**
 * The explorer's state in its address, so that it can be shared and Back works: `?term=-4&x=1` opens with
 * adder -4 compiled and applied to 1, `&xs=1,2,3` applies it to a batch. Each step a person takes pushes
 * an entry; Back and Forward bring the state back.
 */

export interface ExplorerState {
  term?: string;
  x?: string;
  xs?: string;
}

const KEYS = ['term', 'x', 'xs'] as const;

export function readState(): ExplorerState {
  const query = new URLSearchParams(location.search);
  const state: ExplorerState = {};
  for (const key of KEYS) {
    const value = query.get(key);
    if (value !== null) state[key] = value;
  }
  return state;
}

/** Records a new state as a history entry, unless the address already says it. */
export function recordState(state: ExplorerState): void {
  const query = new URLSearchParams();
  for (const key of KEYS) {
    const value = state[key];
    if (value !== undefined) query.set(key, value);
  }
  const search = query.size === 0 ? '' : `?${query.toString().replaceAll('%2C', ',')}`;
  if (search !== location.search) history.pushState(null, '', `${location.pathname}${search}`);
}

export function onStateChange(handler: (state: ExplorerState) => void): void {
  window.addEventListener('popstate', () => handler(readState()));
}
