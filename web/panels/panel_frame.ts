/**
 * The frame every live panel shares: `<section class="rz-panel rz-NAME"><header><h2>TITLE</h2>
 * </header></section>`. Its look (width, dark background, small monospace, the header row) is
 * `.rz-panel` in web/style.css; a panel's own CSS (`.rz-NAME …`) adds only what differs.
 *
 * The caller owns both elements: it appends its extras (machine name, counters, buttons) to
 * `head` after the h2, its body to `el` after the header, and sets its data-* test hooks on `el`.
 */
export interface PanelFrame {
  readonly el: HTMLElement;
  readonly head: HTMLElement;
}

export function panel_frame(doc: Document, name: string, title: string): PanelFrame {
  const el = doc.createElement("section");
  el.className = `rz-panel rz-${name}`;
  const head = doc.createElement("header");
  const h2 = doc.createElement("h2");
  h2.textContent = title;
  head.append(h2);
  el.append(head);
  return { el, head };
}

/** A new `<TAG class="CLS">TEXT</TAG>` (no text node when `text` is ""), for the caller to place. */
export function panel_el(doc: Document, tag: string, cls: string, text = ""): HTMLElement {
  const e = doc.createElement(tag);
  e.className = cls;
  if (text !== "") e.textContent = text;
  return e;
}
