/**
 * The memory panel: the buddy allocator's free lists — one bar per order 0…MAX_ORDER, its length
 * the free pages held in blocks of that order (log scale, so a fragmented allocator's few small
 * blocks show beside its 4 MiB ones), with the block count (/proc/buddyinfo's columns) — and the packet-buffer pool as one bar split into buffers posted to RX rings, frames
 * in flight on TX rings, buffers elsewhere (stack, queues) and free carved buffers, with the
 * numbers and the allocation failures. Data from web/state/mem_state.ts.
 *
 * The DOM is made once; a frame rewrites it only when the snapshot's version moved, and then only
 * the widths and texts that differ from what is shown.
 *
 * Test hooks: the root has data-buddy-free-pages, data-pbuf-inuse, data-pbuf-free and
 * data-pbuf-capacity; each order's row has data-order and data-blocks.
 */
import "./mem.css";
import type { Panel, PanelContext, PanelFactory } from "../panel.ts";
import { panel_el, panel_frame } from "./panel_frame.ts";
import type { WebMachine } from "../state/web_machine.ts";
import { mem_snapshot, type MemSnapshot } from "../state/mem_state.ts";

/** "4K", "2M", "1.5M": bytes in binary units, as short as they go. */
function size_text(bytes: number): string {
  const units = ["B", "K", "M", "G"];
  let i = 0;
  let v = bytes;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${Number.isInteger(v) ? v : v.toFixed(1)}${units[i]}`;
}

/** A text node's owner that rewrites only on change. */
interface Cell {
  el: HTMLElement;
  shown: string;
}

export const mem_panel: PanelFactory = (ctx: PanelContext): Panel => {
  const doc = ctx.doc;
  const { el, head } = panel_frame(doc, "mem", "memory");

  const mk = (tag: string, cls: string, text = ""): HTMLElement => panel_el(doc, tag, cls, text);
  const cell = (parent: HTMLElement, cls: string): Cell => {
    const c = { el: mk("span", cls), shown: "" };
    parent.append(c.el);
    return c;
  };
  const set = (c: Cell, text: string): void => {
    if (c.shown !== text) {
      c.shown = text;
      c.el.textContent = text;
    }
  };
  const set_attr = (e: HTMLElement, name: string, value: string): void => {
    if (e.getAttribute(name) !== value) e.setAttribute(name, value);
  };
  const set_width = (e: HTMLElement, pct: number): void => {
    const w = `${pct.toFixed(2)}%`;
    if (e.style.width !== w) e.style.width = w;
  };

  const summary = cell(head, "rz-mem-sub");

  // Buddy free lists.
  const buddy = mk("div", "rz-mem-box");
  const buddy_title = mk("div", "rz-mem-title");
  buddy_title.append("buddy free lists (log scale) ");
  const buddy_total = cell(buddy_title, "rz-mem-dim");
  buddy.append(buddy_title);
  const rows: { row: HTMLElement; fill: HTMLElement; count: Cell }[] = [];
  el.append(buddy);

  // Packet buffers.
  const pool = mk("div", "rz-mem-box");
  const pool_title = mk("div", "rz-mem-title");
  pool_title.append("packet buffers (pbuf pool) ");
  const pool_total = cell(pool_title, "rz-mem-dim");
  const pool_bar = mk("div", "rz-mem-pbar");
  const seg_rx = mk("div", "rz-mem-seg rz-mem-rx");
  const seg_tx = mk("div", "rz-mem-seg rz-mem-tx");
  const seg_other = mk("div", "rz-mem-seg rz-mem-other");
  const seg_free = mk("div", "rz-mem-seg rz-mem-free");
  pool_bar.append(seg_rx, seg_tx, seg_other, seg_free);
  const legend = mk("div", "rz-mem-legend");
  const key = (cls: string, label: string): Cell => {
    const k = mk("span", "rz-mem-key");
    k.append(mk("i", `rz-mem-swatch ${cls}`), `${label} `);
    const c = cell(k, "rz-mem-num");
    legend.append(k);
    return c;
  };
  const n_rx = key("rz-mem-rx", "RX rings");
  const n_tx = key("rz-mem-tx", "TX in flight");
  const n_other = key("rz-mem-other", "stack/queues");
  const n_free = key("rz-mem-free", "free");
  const pool_stats = mk("div", "rz-mem-stats");
  const stats = cell(pool_stats, "");
  const fails = cell(pool_stats, "rz-mem-fail");
  pool.append(pool_title, pool_bar, legend, pool_stats);
  el.append(pool);

  const ensure_rows = (s: MemSnapshot): void => {
    if (rows.length === s.max_order + 1) return;
    for (let o = rows.length; o <= s.max_order; o++) {
      const row = mk("div", "rz-mem-order");
      row.setAttribute("data-order", String(o));
      const label = mk("span", "rz-mem-olabel", `${String(o).padStart(2)} ${size_text(s.page_size * 2 ** o).padStart(4)}`);
      const track = mk("span", "rz-mem-track");
      const fill = mk("span", "rz-mem-fill");
      track.append(fill);
      row.append(label, track);
      const count = cell(row, "rz-mem-count");
      rows.push({ row, fill, count });
      buddy.append(row);
    }
  };

  let wm: WebMachine | null = null;
  let drawn_version = -1;

  const draw = (s: MemSnapshot): void => {
    ensure_rows(s);
    const free = s.free_pages;
    set(summary, `RAM ${size_text(s.total_pages * s.page_size)} · free ${size_text(free * s.page_size)} (${free} pages)`);
    set(buddy_total, `${free} of ${s.total_pages} pages free${s.alloc_fail > 0 ? ` · ${s.alloc_fail} failed allocations` : ""}`);
    set_attr(el, "data-buddy-free-pages", String(free));
    // Log scale: the few small blocks of a fragmented allocator stay visible beside 4 MiB ones.
    let max_pages = 0;
    for (let o = 0; o <= s.max_order; o++) max_pages = Math.max(max_pages, s.free_pages_by_order[o]!);
    const scale = Math.log2(1 + max_pages);
    for (let o = 0; o <= s.max_order; o++) {
      const r = rows[o]!;
      const blocks = s.free_blocks[o]!;
      const pages = s.free_pages_by_order[o]!;
      set_width(r.fill, scale > 0 ? (100 * Math.log2(1 + pages)) / scale : 0);
      set(r.count, blocks === 0 ? "0" : `${blocks} × ${size_text(s.page_size * 2 ** o)} = ${pages} pages`);
      set_attr(r.row, "data-blocks", String(blocks));
    }
    const p = s.pbuf;
    const cap = Math.max(p.capacity, p.in_use);
    set_width(seg_rx, cap > 0 ? (100 * p.rx_ring) / cap : 0);
    set_width(seg_tx, cap > 0 ? (100 * p.tx_ring) / cap : 0);
    set_width(seg_other, cap > 0 ? (100 * p.other) / cap : 0);
    set_width(seg_free, cap > 0 ? (100 * p.free) / cap : 0);
    set(pool_total, `${p.in_use} in use of ${p.capacity} (${p.pages} pages, ${size_text(p.buffer_size)} each)`);
    set(n_rx, String(p.rx_ring));
    set(n_tx, String(p.tx_ring));
    set(n_other, String(p.other));
    set(n_free, String(p.free));
    set(stats, `peak ${p.peak} · allocations ${p.allocs}`);
    const failed = p.failures + p.rx_refill_failed;
    set(fails, failed > 0 ? ` · alloc failures ${p.failures}, RX refills failed ${p.rx_refill_failed}` : " · no allocation failures");
    fails.el.classList.toggle("rz-mem-bad", failed > 0);
    set_attr(el, "data-pbuf-inuse", String(p.in_use));
    set_attr(el, "data-pbuf-free", String(p.free));
    set_attr(el, "data-pbuf-capacity", String(p.capacity));
  };

  const update = (): void => {
    const sel = ctx.selected();
    const s = mem_snapshot(sel);
    if (sel !== wm || s.version !== drawn_version) {
      wm = sel;
      drawn_version = s.version;
      draw(s);
    }
  };
  update();
  return { el, update };
};
