/**
 * The packet panel: the frames crossing the selected machine's interfaces, one line each as the
 * guest's `tcpdump -n` prints them (newest at the bottom), the selected frame's bytes as
 * `tcpdump -XX` dumps them, a "download pcap" button and a "clear" button. Fed by a
 * PacketCapture (web/state/packet_capture.ts) on the kernel's ETH_P_ALL tap.
 *
 * DOM updates are incremental: each animation frame appends only the rows for frames that arrived
 * since the last one (at most MAX_ROWS of them) and removes rows from the top past MAX_ROWS or
 * whose frame left the capture's ring; the counter is rewritten only when it changes. The list
 * follows the newest row unless the user has scrolled up.
 *
 * Test hooks: the list has data-packets-count (frames held), each row data-idx (the frame's number
 * in the capture), the hex view data-hex-for (the number of the frame it shows, "" for none).
 */
import "./packets.css";
import type { Panel, PanelContext, PanelFactory } from "../panel.ts";
import { panel_el, panel_frame } from "./panel_frame.ts";
import type { WebMachine } from "../state/web_machine.ts";
import { packet_capture_attach, type PacketCapture } from "../state/packet_capture.ts";

/** Rows kept in the DOM at most (the capture holds more; the pcap download has them all). */
const MAX_ROWS = 500;
/** Pixels from the bottom within which the list counts as "at the bottom" (keeps following). */
const STICK_PX = 8;

export const packets_panel: PanelFactory = (ctx: PanelContext): Panel => {
  const doc = ctx.doc;
  const { el, head } = panel_frame(doc, "packets", "packets");
  const counter = panel_el(doc, "span", "rz-packets-counter");
  const download = doc.createElement("button");
  download.type = "button";
  download.textContent = "download pcap";
  download.setAttribute("data-action", "download-pcap");
  const clear = doc.createElement("button");
  clear.type = "button";
  clear.textContent = "clear";
  clear.setAttribute("data-action", "clear-capture");
  head.append(counter, download, clear);

  const list = panel_el(doc, "div", "rz-packets-list");
  list.setAttribute("data-packets-count", "0");
  const hex = panel_el(doc, "pre", "rz-packets-hex", "click a frame to see its bytes");
  hex.setAttribute("data-hex-for", "");
  el.append(list, hex);

  let wm: WebMachine | null = null;
  let cap: PacketCapture | null = null;
  /** One past the last frame that has a row (or was skipped: at most MAX_ROWS are drawn per frame). */
  let drawn_end = 0;
  let selected_row: HTMLElement | null = null;
  let shown_counter = "";
  let shown_count = -1;

  const reset_view = (): void => {
    list.replaceChildren();
    selected_row = null;
    hex.setAttribute("data-hex-for", "");
    hex.textContent = "click a frame to see its bytes";
    drawn_end = cap?.end ?? 0;
  };

  /** Follow the machine the header selects: a capture on its kernel, the old one detached. */
  const follow = (): void => {
    const sel = ctx.selected();
    if (sel === wm) return;
    cap?.detach();
    wm = sel;
    cap = packet_capture_attach(sel.kernel);
    reset_view();
  };

  const row_for = (c: PacketCapture, i: number): HTMLElement => {
    const f = c.frame(i)!;
    const row = doc.createElement("div");
    row.className = f.outgoing ? "rz-packets-row rz-out" : "rz-packets-row rz-in";
    row.setAttribute("data-idx", String(i));
    // As `tcpdump -i any` prints a frame (print-sll.c): the time, then the interface and the
    // direction, then the one-line summary.
    const line = c.one_line(i) ?? "";
    const sp = line.indexOf(" ");
    const dev = doc.createElement("span");
    dev.className = "rz-packets-dev";
    dev.textContent = `${f.ifname.padEnd(5)} ${f.outgoing ? "Out" : "In "} `;
    row.append(line.slice(0, sp + 1), dev, line.slice(sp + 1));
    return row;
  };

  const select = (row: HTMLElement): void => {
    if (cap === null) return;
    const i = Number(row.getAttribute("data-idx"));
    const lines = cap.hex_dump(i);
    selected_row?.classList.remove("rz-selected");
    selected_row = row;
    row.classList.add("rz-selected");
    hex.setAttribute("data-hex-for", String(i));
    // tcpdump starts each line with a tab; the view drops it.
    hex.textContent = lines === null ? `frame ${i} has left the capture` : `${cap.one_line(i)}\n${lines.map((l) => l.replace(/^\t/, "")).join("\n")}`;
  };

  // Whether the list follows the newest row, decided when the user scrolls (layout is fresh then),
  // so update() never reads layout. The panel's own scrolling to the bottom keeps it true.
  let at_bottom = true;
  list.addEventListener("scroll", () => {
    at_bottom = list.scrollTop + list.clientHeight >= list.scrollHeight - STICK_PX;
  });

  list.addEventListener("click", (ev) => {
    const t = ev.target as Element | null;
    const row = t?.closest("[data-idx]");
    if (row instanceof HTMLElement && list.contains(row)) select(row);
  });

  download.addEventListener("click", () => {
    if (cap === null) return;
    const blob = new Blob([cap.pcap_bytes()], { type: "application/vnd.tcpdump.pcap" });
    const url = URL.createObjectURL(blob);
    const a = doc.createElement("a");
    a.href = url;
    a.download = "ringzero.pcap";
    a.style.display = "none";
    doc.body.append(a);
    a.click();
    a.remove();
    // The download has taken its own reference to the blob by the next task.
    (doc.defaultView ?? globalThis).setTimeout(() => URL.revokeObjectURL(url), 0);
  });

  /** The counter and data-packets-count, written only when they change. */
  const show_counts = (c: PacketCapture): void => {
    if (c.count !== shown_count) {
      shown_count = c.count;
      list.setAttribute("data-packets-count", String(c.count));
    }
    const text = `${c.count} frame${c.count === 1 ? "" : "s"}, ${c.dropped} dropped from the capture`;
    if (text !== shown_counter) {
      shown_counter = text;
      counter.textContent = text;
    }
  };

  clear.addEventListener("click", () => {
    if (cap === null) return;
    cap.clear();
    reset_view();
    show_counts(cap);
  });

  follow();

  const update = (): void => {
    follow();
    const c = cap!;
    // Rows whose frame left the capture's ring go (oldest first: they are at the top).
    for (let r = list.firstElementChild; r !== null && Number(r.getAttribute("data-idx")) < c.first; r = list.firstElementChild) {
      if (r === selected_row) selected_row = null;
      r.remove();
    }
    if (c.end > drawn_end) {
      const from = Math.max(drawn_end, c.first, c.end - MAX_ROWS);
      const frag = doc.createDocumentFragment();
      for (let i = from; i < c.end; i++) frag.append(row_for(c, i));
      list.append(frag);
      drawn_end = c.end;
      for (let n = list.childElementCount - MAX_ROWS; n > 0; n--) {
        const r = list.firstElementChild!;
        if (r === selected_row) selected_row = null;
        r.remove();
      }
      // A write only: the browser lays out once, at paint time (clamped to the bottom).
      if (at_bottom) list.scrollTop = Number.MAX_SAFE_INTEGER;
    }
    show_counts(c);
  };
  update();
  return { el, update };
};
