/**
 * The interrupt panel: the selected machine's interrupt lines as /proc/interrupts lists them (irq,
 * count, controller and hwirq-flow, handler names) with a rate per second of virtual time, the
 * count cell flashing when it moves; then for each e1000 its interrupt throttle — the ITR register
 * (interval in 256 ns units), the most interrupts per second it allows, the driver's
 * InterruptThrottleRate mode and current rate, and whether an interrupt is being held back by ITR
 * right now (lit for half a second after it was last seen, so a short hold is visible).
 * Data: web/state/irq_state.ts.
 *
 * Each frame compares with what was drawn and touches only what changed.
 *
 * Test hooks: each line's row has data-irq="NN" and data-count (kept current) and data-names;
 * each e1000's throttle box has data-itr="eth0", data-reg (the ITR register), data-max-rate
 * (interrupts/s, 0 = unthrottled), data-mode (itr_setting), data-driver-itr, data-throttled
 * ("1" while an interrupt is held back now), data-throttle-seen (frames that saw one held);
 * the panel root data-machine and data-err (the ERR row).
 */
import "./irqs.css";
import type { Panel, PanelContext, PanelFactory } from "../panel.ts";
import { panel_el, panel_frame } from "./panel_frame.ts";
import type { WebMachine } from "../state/web_machine.ts";
import { irq_snapshot, type IrqLine, type ItrSnapshot } from "../state/irq_state.ts";

/** How long a count cell stays lit after it moved, and the throttle badge after a hold (ms of wall time). */
const FLASH_MS = 250;
const HELD_MS = 500;
/** Rates are measured over at least this much virtual time. */
const RATE_WINDOW_NS = 1e9;

function ns_text(ns: number): string {
  if (ns < 1e3) return `${ns} ns`;
  if (ns < 1e6) return `${(ns / 1e3).toFixed(1)} µs`;
  return `${(ns / 1e6).toFixed(2)} ms`;
}

class LineRow {
  readonly tr: HTMLTableRowElement;
  readonly line: IrqLine;
  private readonly count: HTMLTableCellElement;
  private readonly rate: HTMLTableCellElement;
  private readonly chip: HTMLTableCellElement;
  private readonly names: HTMLTableCellElement;
  private shown_count = -1;
  private shown_rate = "";
  private shown_chip = "";
  private shown_names = "";
  private flash_until = 0;
  private lit = false;
  /** Rate sampling: count and virtual time at the window's start. */
  private base_count = -1;
  private base_ns = 0;

  constructor(doc: Document, line: IrqLine) {
    this.line = line;
    this.tr = doc.createElement("tr");
    this.tr.setAttribute("data-irq", String(line.irq));
    const irq = doc.createElement("td");
    irq.className = "irq";
    irq.textContent = `${line.irq}:`;
    this.count = doc.createElement("td");
    this.count.className = "count";
    this.rate = doc.createElement("td");
    this.rate.className = "rate";
    this.chip = doc.createElement("td");
    this.chip.className = "chip";
    this.names = doc.createElement("td");
    this.names.className = "names";
    this.tr.append(irq, this.count, this.rate, this.chip, this.names);
  }

  update(now_ms: number, now_ns: number): void {
    const l = this.line;
    if (l.count !== this.shown_count) {
      if (this.shown_count >= 0) {
        this.flash_until = now_ms + FLASH_MS;
        if (!this.lit) {
          this.lit = true;
          this.count.classList.add("flash");
        }
      }
      this.shown_count = l.count;
      this.count.textContent = String(l.count);
      this.tr.setAttribute("data-count", String(l.count));
    } else if (this.lit && now_ms >= this.flash_until) {
      this.lit = false;
      this.count.classList.remove("flash");
    }
    if (this.base_count < 0 || l.count < this.base_count || now_ns < this.base_ns) {
      this.base_count = l.count;
      this.base_ns = now_ns;
    } else if (now_ns - this.base_ns >= RATE_WINDOW_NS) {
      const r = ((l.count - this.base_count) * 1e9) / (now_ns - this.base_ns);
      const text = `${r < 10 ? r.toFixed(1) : Math.round(r)}/s`;
      if (text !== this.shown_rate) this.rate.textContent = this.shown_rate = text;
      this.base_count = l.count;
      this.base_ns = now_ns;
    }
    const chip = `${l.chip} ${l.hwirq}-${l.flow}`;
    if (chip !== this.shown_chip) this.chip.textContent = this.shown_chip = chip;
    if (l.names !== this.shown_names) {
      this.names.textContent = this.shown_names = l.names;
      this.tr.setAttribute("data-names", l.names);
    }
  }
}

class ItrBox {
  readonly el: HTMLElement;
  readonly itr: ItrSnapshot;
  private readonly title: HTMLElement;
  private readonly reg: HTMLElement;
  private readonly drv: HTMLElement;
  private readonly badge: HTMLElement;
  private shown = { title: "", reg: "", drv: "", held: "", seen: -1 };
  private held_until = 0;
  private seen = 0;

  constructor(doc: Document, itr: ItrSnapshot) {
    this.itr = itr;
    this.el = doc.createElement("div");
    this.el.className = "rz-itr";
    const mk = (cls: string): HTMLElement => {
      const e = doc.createElement("div");
      e.className = cls;
      return e;
    };
    const top = mk("rz-itr-top");
    this.title = doc.createElement("span");
    this.title.className = "rz-itr-name";
    this.badge = doc.createElement("span");
    this.badge.className = "rz-itr-badge";
    top.append(this.title, this.badge);
    this.reg = mk("rz-itr-reg");
    this.drv = mk("rz-itr-drv");
    this.el.append(top, this.reg, this.drv);
  }

  private attr(name: string, v: string): void {
    if (this.el.getAttribute(name) !== v) this.el.setAttribute(name, v);
  }

  update(now_ms: number): void {
    const t = this.itr;
    const title = `${t.name} (${t.device}) ITR${t.irq >= 0 ? ` · irq ${t.irq}` : ""}`;
    if (title !== this.shown.title) {
      this.title.textContent = this.shown.title = title;
      this.el.setAttribute("data-itr", t.name);
    }
    const reg =
      t.reg === 0
        ? `ITR 0x0000 · no minimum interval · unthrottled`
        : `ITR 0x${t.reg.toString(16).padStart(4, "0")} = ${t.reg} × 256 ns = ${ns_text(t.interval_ns)} → at most ${t.max_per_s}/s`;
    if (reg !== this.shown.reg) this.reg.textContent = this.shown.reg = reg;
    const drv = t.mode < 0 ? "driver: not bound" : `driver: InterruptThrottleRate=${t.mode} (${t.mode_name}) · now ${t.driver_itr}/s · handled ${t.handled} of ${t.raised} raised`;
    if (drv !== this.shown.drv) this.drv.textContent = this.shown.drv = drv;
    if (t.throttled) {
      this.seen++;
      this.held_until = now_ms + HELD_MS;
    }
    const held = t.throttled || now_ms < this.held_until;
    const badge = t.throttled ? "interrupt held by ITR" : held ? "throttled" : t.asserted ? "INTx asserted" : "idle";
    if (badge !== this.shown.held) {
      this.shown.held = badge;
      this.badge.textContent = badge;
      this.badge.className = held ? "rz-itr-badge on" : "rz-itr-badge";
    }
    this.attr("data-reg", String(t.reg));
    this.attr("data-max-rate", String(t.max_per_s));
    this.attr("data-mode", String(t.mode));
    this.attr("data-driver-itr", String(t.driver_itr));
    this.attr("data-throttled", t.throttled ? "1" : "0");
    if (this.seen !== this.shown.seen) {
      this.shown.seen = this.seen;
      this.el.setAttribute("data-throttle-seen", String(this.seen));
    }
  }
}

export const irqs_panel: PanelFactory = (ctx: PanelContext): Panel => {
  const doc = ctx.doc;
  const { el, head } = panel_frame(doc, "irqs", "interrupts");
  const sub = panel_el(doc, "span", "rz-irqs-dim");
  const err = panel_el(doc, "span", "rz-irqs-dim");
  head.append(sub, err);
  const table = panel_el(doc, "table", "rz-irqs-table");
  const thead = doc.createElement("thead");
  const hr = doc.createElement("tr");
  for (const [t, tip] of [
    ["irq", "interrupt number"],
    ["count", "interrupts delivered (/proc/interrupts CPU0)"],
    ["rate", "per second of virtual time"],
    ["chip", "controller, its number for the line, flow"],
    ["device", "handlers on the line"],
  ] as const) {
    const th = doc.createElement("th");
    th.textContent = t;
    th.title = tip;
    hr.append(th);
  }
  thead.append(hr);
  const tbody = doc.createElement("tbody");
  table.append(thead, tbody);
  const itrs = panel_el(doc, "div", "rz-itrs");
  el.append(table, itrs);

  let wm: WebMachine | null = null;
  let rows = new Map<IrqLine, LineRow>();
  let order: LineRow[] = [];
  let boxes: ItrBox[] = [];
  let shown_err = -1;

  const update = (now_ms: number): void => {
    const m = ctx.selected();
    const s = irq_snapshot(m);
    if (m !== wm) {
      wm = m;
      rows = new Map();
      order = [];
      boxes = [];
      tbody.replaceChildren();
      itrs.replaceChildren();
      sub.textContent = m.name;
      el.setAttribute("data-machine", m.name);
      shown_err = -1;
    }
    // Rows follow the line list; it changes rarely (a driver requests or frees an irq).
    let same = s.lines.length === order.length;
    for (let i = 0; same && i < s.lines.length; i++) same = order[i]!.line === s.lines[i];
    if (!same) {
      const next = new Map<IrqLine, LineRow>();
      order = s.lines.map((l) => {
        const r = rows.get(l) ?? new LineRow(doc, l);
        next.set(l, r);
        return r;
      });
      rows = next;
      tbody.replaceChildren(...order.map((r) => r.tr));
    }
    for (const r of order) r.update(now_ms, s.now_ns);
    let same_itr = s.itr.length === boxes.length;
    for (let i = 0; same_itr && i < s.itr.length; i++) same_itr = boxes[i]!.itr === s.itr[i];
    if (!same_itr) {
      const old = boxes;
      boxes = s.itr.map((t) => old.find((b) => b.itr === t) ?? new ItrBox(doc, t));
      itrs.replaceChildren(...boxes.map((b) => b.el));
    }
    for (const b of boxes) b.update(now_ms);
    if (s.err !== shown_err) {
      shown_err = s.err;
      err.textContent = `ERR ${s.err}`;
      el.setAttribute("data-err", String(s.err));
    }
  };
  update(typeof performance !== "undefined" ? performance.now() : 0);
  return { el, update };
};
