/** Builds DOM elements: the page never parses HTML from strings, so no text from the API becomes markup. */

export type Child = Node | string | number | null | undefined | false;
type Attributes = Record<string, string | number | boolean | null | undefined>;

/** `<tag attributes…>children…</tag>`; an attribute false, null or undefined is left out, true is present. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    element.setAttribute(name, value === true ? '' : String(value));
  }
  element.append(
    ...children.filter(isPresent).map((child) => (typeof child === 'number' ? String(child) : child)),
  );
  return element;
}

function isPresent(child: Child): child is Node | string | number {
  return child !== null && child !== undefined && child !== false;
}

/** The element with this id, which index.html must have. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`index.html has no #${id}`);
  return element as T;
}
