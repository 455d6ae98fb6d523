/**
 * The ring panel: each NIC of the selected machine, each of its descriptor rings drawn as a circle
 * of descriptors (SVG), one wedge per descriptor coloured by who holds it — the hardware (between
 * HEAD and TAIL), done and not yet cleaned (next_to_clean .. HEAD: DD written back, brighter on
 * the EOP descriptor of a frame), or nobody (empty). HEAD and TAIL (the device's registers) are
 * marked outside the circle, next_to_use and next_to_clean (the driver's) inside. The centre shows
 * the hovered (or clicked, pinned) descriptor: index, state, DD/EOP and its length field. Under
 * each circle a table: size, HEAD, TAIL, ntu, ntc, DD, and the device's frame count (virtio: the
 * free descriptors). Data: web/state/ring_state.ts.
 *
 * Each frame compares with what was drawn and touches only what changed: a wedge's class, a
 * marker's position, a table cell's text, a data attribute.
 *
 * Test hooks: each ring's root has data-ring="eth0-tx" and data-size, data-head, data-tail,
 * data-ntu, data-ntc, data-dd (descriptors with DD set), data-done, data-hw, data-tail-advances,
 * data-head-advances, data-ntc-advances (descriptors moved over, cumulative), data-frames (the
 * device's frames in that direction) and data-packets (the driver's); each NIC's box has data-nic
 * and data-model; the panel root data-machine.
 */
import "./rings.css";
import type { Panel, PanelContext, PanelFactory } from "../panel.ts";
import { panel_el, panel_frame } from "./panel_frame.ts";
import type { WebMachine } from "../state/web_machine.ts";
import { DESC_F, ring_snapshot, type NicRings, type RingSnapshot } from "../state/ring_state.ts";

const SVG_NS = "http://www.w3.org/2000/svg";
/** SVG geometry (viewBox units): centre, the descriptor band, marker radii. */
const VIEW = 170;
const C = VIEW / 2;
const R_OUT = 56;
const R_IN = 42;
/** Drawn size in CSS pixels. */
const SHOWN = 210;

/** Wedge class for state × DD × EOP × ERR (index: state * 8 + dd + eop * 2 + err * 4). */
const CELL_CLASS: readonly string[] = (() => {
  const out: string[] = [];
  for (let st = 0; st < 3; st++) {
    for (let bits = 0; bits < 8; bits++) {
      let c = `c s${st}`;
      if ((bits & 1) !== 0) c += " dd";
      if ((bits & 2) !== 0) c += " eop";
      if ((bits & 4) !== 0) c += " err";
      out.push(c);
    }
  }
  return out;
})();

const STATE_NAME = ["empty", "hardware", "done"] as const;

function cell_code(state: number, flags: number): number {
  return state * 8 + ((flags & DESC_F.DD) !== 0 ? 1 : 0) + ((flags & DESC_F.EOP) !== 0 ? 2 : 0) + ((flags & DESC_F.ERR) !== 0 ? 4 : 0);
}

/** The angle (radians, clockwise from 12 o'clock) of the middle of descriptor i of n. */
function mid_angle(i: number, n: number): number {
  return -Math.PI / 2 + (2 * Math.PI * (i + 0.5)) / n;
}

function pt(r: number, a: number): string {
  return `${(C + r * Math.cos(a)).toFixed(2)} ${(C + r * Math.sin(a)).toFixed(2)}`;
}

/** The wedge of descriptor i of n, between radii r_in and r_out. */
function wedge(i: number, n: number, r_in: number, r_out: number): string {
  const step = (2 * Math.PI) / n;
  const gap = n <= 128 ? step * 0.12 : 0;
  const a0 = -Math.PI / 2 + i * step + gap / 2;
  const a1 = -Math.PI / 2 + (i + 1) * step - gap / 2;
  const large = a1 - a0 > Math.PI ? 1 : 0;
  return `M${pt(r_out, a0)}A${r_out} ${r_out} 0 ${large} 1 ${pt(r_out, a1)}L${pt(r_in, a1)}A${r_in} ${r_in} 0 ${large} 0 ${pt(r_in, a0)}Z`;
}

function svg<K extends keyof SVGElementTagNameMap>(doc: Document, tag: K, cls: string): SVGElementTagNameMap[K] {
  const e = doc.createElementNS(SVG_NS, tag);
  if (cls !== "") e.setAttribute("class", cls);
  return e;
}

/** A radial marker: a tick from r0 to r1 and a label at r_label, hidden while its index is -1. */
class Marker {
  readonly g: SVGGElement;
  private readonly line: SVGLineElement;
  private readonly text: SVGTextElement;
  private readonly r0: number;
  private readonly r1: number;
  private readonly r_label: number;
  private at = -2;
  private n = -1;

  constructor(doc: Document, cls: string, label: string, r0: number, r1: number, r_label: number) {
    this.r0 = r0;
    this.r1 = r1;
    this.r_label = r_label;
    this.g = svg(doc, "g", `mk ${cls}`);
    this.line = svg(doc, "line", "");
    this.text = svg(doc, "text", "");
    this.text.textContent = label;
    this.g.append(this.line, this.text);
  }

  set(i: number, n: number): void {
    if (i === this.at && n === this.n) return;
    this.at = i;
    this.n = n;
    if (i < 0 || n <= 0 || i >= n) {
      this.g.setAttribute("display", "none");
      return;
    }
    this.g.removeAttribute("display");
    const a = mid_angle(i, n);
    const cos = Math.cos(a);
    const sin = Math.sin(a);
    this.line.setAttribute("x1", (C + this.r0 * cos).toFixed(2));
    this.line.setAttribute("y1", (C + this.r0 * sin).toFixed(2));
    this.line.setAttribute("x2", (C + this.r1 * cos).toFixed(2));
    this.line.setAttribute("y2", (C + this.r1 * sin).toFixed(2));
    this.text.setAttribute("x", (C + this.r_label * cos).toFixed(2));
    this.text.setAttribute("y", (C + this.r_label * sin).toFixed(2));
  }
}

/** The table columns under a ring: [label, tooltip, value]. */
type Col = readonly [string, string, (r: RingSnapshot) => number];
const E1000_COLS: readonly Col[] = [
  ["size", "descriptors (RDLEN/TDLEN ÷ 16)", (r) => r.size],
  ["HEAD", "RDH/TDH: the next descriptor the device processes", (r) => r.head],
  ["TAIL", "RDT/TDT: one past the last descriptor the driver gave the device", (r) => r.tail],
  ["ntu", "driver next_to_use", (r) => r.ntu],
  ["ntc", "driver next_to_clean", (r) => r.ntc],
  ["DD", "descriptors with status DD set (written back, not yet cleaned)", (r) => r.dd],
  ["frames", "frames the device moved in this direction", (r) => r.frames],
];
const VIRTIO_COLS: readonly Col[] = [
  ["size", "queue size", (r) => r.size],
  ["HEAD", "device used idx (mod size): what the device has completed", (r) => r.head],
  ["TAIL", "avail idx (mod size): what the driver has published", (r) => r.tail],
  ["ntu", "driver avail idx shadow (mod size)", (r) => r.ntu],
  ["ntc", "driver last_used_idx (mod size)", (r) => r.ntc],
  ["DD", "used, not yet reaped by the driver", (r) => r.dd],
  ["free", "driver's free descriptors (num_free)", (r) => r.num_free],
];

/** The data attributes kept on a ring's root, and where each comes from. */
const ATTRS: readonly (readonly [string, (r: RingSnapshot) => number])[] = [
  ["data-size", (r) => r.size],
  ["data-head", (r) => r.head],
  ["data-tail", (r) => r.tail],
  ["data-ntu", (r) => r.ntu],
  ["data-ntc", (r) => r.ntc],
  ["data-dd", (r) => r.dd],
  ["data-done", (r) => r.done],
  ["data-hw", (r) => r.hw_owned],
  ["data-tail-advances", (r) => r.tail_advances],
  ["data-head-advances", (r) => r.head_advances],
  ["data-ntc-advances", (r) => r.ntc_advances],
  ["data-frames", (r) => r.frames],
  ["data-packets", (r) => r.packets],
];

class RingView {
  readonly el: HTMLElement;
  private readonly svg: SVGSVGElement;
  private readonly cells_g: SVGGElement;
  private cells: SVGPathElement[] = [];
  private drawn_codes = new Int8Array(0);
  private readonly sel: SVGPathElement;
  private readonly head: Marker;
  private readonly tail: Marker;
  private readonly ntu: Marker;
  private readonly ntc: Marker;
  private readonly title: SVGTextElement;
  private readonly info1: SVGTextElement;
  private readonly info2: SVGTextElement;
  private readonly cols: readonly Col[];
  private readonly vals: HTMLTableCellElement[] = [];
  private readonly shown_vals: number[];
  private readonly shown_attrs: number[];
  private shown_id = "";
  private shown_info = "";
  private shown_sel = -2;
  private size = -1;
  /** The descriptor under the pointer (-1 none) and the one pinned by a click (-1 none). */
  private hover = -1;
  private pinned = -1;

  private readonly doc: Document;
  readonly ring: RingSnapshot;

  constructor(doc: Document, ring: RingSnapshot, virtio: boolean) {
    this.doc = doc;
    this.ring = ring;
    this.el = doc.createElement("div");
    this.el.className = "rz-ring";
    this.svg = svg(doc, "svg", "rz-ring-svg");
    this.svg.setAttribute("viewBox", `0 0 ${VIEW} ${VIEW}`);
    this.svg.setAttribute("width", String(SHOWN));
    this.svg.setAttribute("height", String(SHOWN));
    const track = svg(doc, "circle", "track");
    track.setAttribute("cx", String(C));
    track.setAttribute("cy", String(C));
    track.setAttribute("r", String((R_IN + R_OUT) / 2));
    track.setAttribute("stroke-width", String(R_OUT - R_IN));
    this.cells_g = svg(doc, "g", "cells");
    this.sel = svg(doc, "path", "sel");
    this.sel.setAttribute("display", "none");
    this.head = new Marker(doc, "hw head", "HEAD", R_OUT + 1, R_OUT + 8, R_OUT + 14);
    this.tail = new Marker(doc, "hw tail", "TAIL", R_OUT + 1, R_OUT + 17, R_OUT + 23);
    this.ntc = new Marker(doc, "drv ntc", "ntc", R_IN - 1, R_IN - 7, R_IN - 12);
    this.ntu = new Marker(doc, "drv ntu", "ntu", R_IN - 1, R_IN - 15, R_IN - 20);
    this.title = svg(doc, "text", "ttl");
    this.title.setAttribute("x", String(C));
    this.title.setAttribute("y", String(C - 3));
    this.title.textContent = ring.dir.toUpperCase();
    this.info1 = svg(doc, "text", "info");
    this.info1.setAttribute("x", String(C));
    this.info1.setAttribute("y", String(C + 8));
    this.info2 = svg(doc, "text", "info");
    this.info2.setAttribute("x", String(C));
    this.info2.setAttribute("y", String(C + 17));
    this.svg.append(track, this.cells_g, this.sel, this.head.g, this.tail.g, this.ntc.g, this.ntu.g, this.title, this.info1, this.info2);
    this.svg.addEventListener("mousemove", (e) => this.pointer(e));
    this.svg.addEventListener("mouseleave", () => {
      this.hover = -1;
    });
    this.svg.addEventListener("click", (e) => {
      const i = this.index_at(e);
      this.pinned = i === this.pinned ? -1 : i;
    });

    this.cols = virtio ? VIRTIO_COLS : E1000_COLS;
    const table = doc.createElement("table");
    table.className = "rz-ring-table";
    const hr = doc.createElement("tr");
    const vr = doc.createElement("tr");
    for (const [label, tip] of this.cols) {
      const th = doc.createElement("th");
      th.textContent = label;
      th.title = tip;
      hr.append(th);
      const td = doc.createElement("td");
      vr.append(td);
      this.vals.push(td);
    }
    table.append(hr, vr);
    this.shown_vals = this.cols.map(() => NaN);
    this.shown_attrs = ATTRS.map(() => NaN);
    this.el.append(this.svg, table);
  }

  /** The descriptor under a pointer event, or -1 (outside the band). */
  private index_at(e: MouseEvent): number {
    const n = this.ring.size;
    if (n <= 0) return -1;
    const box = this.svg.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) return -1;
    const x = ((e.clientX - box.left) * VIEW) / box.width - C;
    const y = ((e.clientY - box.top) * VIEW) / box.height - C;
    const r = Math.hypot(x, y);
    if (r < R_IN - 4 || r > R_OUT + 4) return -1;
    let a = Math.atan2(y, x) + Math.PI / 2;
    if (a < 0) a += 2 * Math.PI;
    return Math.min(n - 1, Math.floor((a / (2 * Math.PI)) * n));
  }

  private pointer(e: MouseEvent): void {
    this.hover = this.index_at(e);
  }

  /** The ring was set up, resized or torn down: one wedge per descriptor. */
  private rebuild(n: number): void {
    this.size = n;
    this.cells_g.replaceChildren();
    this.cells = [];
    this.drawn_codes = new Int8Array(n).fill(-1);
    for (let i = 0; i < n; i++) {
      const p = svg(this.doc, "path", "");
      p.setAttribute("d", wedge(i, n, R_IN, R_OUT));
      this.cells.push(p);
      this.cells_g.append(p);
    }
    if (this.hover >= n) this.hover = -1;
    if (this.pinned >= n) this.pinned = -1;
    this.shown_sel = -2;
  }

  update(): void {
    const r = this.ring;
    const n = r.size;
    if (r.id !== this.shown_id) {
      this.shown_id = r.id;
      this.el.setAttribute("data-ring", r.id);
    }
    if (n !== this.size) this.rebuild(n);
    const codes = this.drawn_codes;
    for (let i = 0; i < n; i++) {
      const c = cell_code(r.state[i]!, r.flags[i]!);
      if (c !== codes[i]) {
        codes[i] = c;
        this.cells[i]!.setAttribute("class", CELL_CLASS[c]!);
      }
    }
    this.head.set(r.head, n);
    this.tail.set(r.tail, n);
    this.ntu.set(r.ntu, n);
    this.ntc.set(r.ntc, n);
    // The descriptor described in the centre: pinned, hovered, else the one HEAD just passed.
    const sel = this.pinned >= 0 ? this.pinned : this.hover >= 0 ? this.hover : n > 0 ? (r.head - 1 + n) % n : -1;
    if (sel !== this.shown_sel) {
      this.shown_sel = sel;
      if (sel >= 0 && (this.pinned >= 0 || this.hover >= 0)) {
        this.sel.setAttribute("d", wedge(sel, n, R_IN - 2, R_OUT + 2));
        this.sel.removeAttribute("display");
      } else this.sel.setAttribute("display", "none");
    }
    let info = "";
    if (r.unreadable) info = "ring outside memory|";
    else if (sel >= 0) {
      const f = r.flags[sel]!;
      const bits = `${(f & DESC_F.DD) !== 0 ? " DD" : ""}${(f & DESC_F.EOP) !== 0 ? " EOP" : ""}${(f & DESC_F.CTX) !== 0 ? " ctx" : ""}${(f & DESC_F.ERR) !== 0 ? " ERR" : ""}`;
      info = `#${sel} ${STATE_NAME[r.state[sel]!] ?? ""}|len ${r.len[sel]}${bits}`;
    } else if (n === 0) info = "not set up|";
    if (info !== this.shown_info) {
      this.shown_info = info;
      const bar = info.indexOf("|");
      this.info1.textContent = info.slice(0, bar);
      this.info2.textContent = info.slice(bar + 1);
    }
    for (let k = 0; k < this.cols.length; k++) {
      const v = this.cols[k]![2](r);
      if (v !== this.shown_vals[k]) {
        this.shown_vals[k] = v;
        this.vals[k]!.textContent = v < 0 ? "–" : String(v);
      }
    }
    for (let k = 0; k < ATTRS.length; k++) {
      const [name, get] = ATTRS[k]!;
      const v = get(r);
      if (v !== this.shown_attrs[k]) {
        this.shown_attrs[k] = v;
        this.el.setAttribute(name, String(v));
      }
    }
  }
}

class NicView {
  readonly el: HTMLElement;
  private readonly title: HTMLElement;
  private readonly rings: RingView[];
  private shown_title = "";

  readonly nic: NicRings;

  constructor(doc: Document, nic: NicRings) {
    this.nic = nic;
    this.el = doc.createElement("div");
    this.el.className = "rz-rings-nic";
    this.el.setAttribute("data-model", nic.model);
    this.title = doc.createElement("div");
    this.title.className = "rz-rings-nic-title";
    const row = doc.createElement("div");
    row.className = "rz-rings-row";
    this.rings = nic.rings.map((r) => new RingView(doc, r, nic.model === "virtio-net"));
    for (const v of this.rings) row.append(v.el);
    this.el.append(this.title, row);
  }

  update(): void {
    const n = this.nic;
    const t = `${n.name} · ${n.model} · ${n.pci} · link ${n.link_up ? "up" : "down"}${n.bound ? "" : " · no driver"}`;
    if (t !== this.shown_title) {
      this.shown_title = t;
      this.title.textContent = t;
      this.el.setAttribute("data-nic", n.name);
      this.el.setAttribute("data-link", n.link_up ? "up" : "down");
    }
    for (const v of this.rings) v.update();
  }
}

function legend(doc: Document): HTMLElement {
  const el = doc.createElement("div");
  el.className = "rz-rings-legend";
  const keys: readonly [string, string][] = [
    ["c s1", "hardware (HEAD..TAIL)"],
    ["c s2", "done"],
    ["c s2 dd", "DD"],
    ["c s2 dd eop", "DD+EOP"],
    ["c s0", "empty"],
    ["c s0 err", "error"],
  ];
  for (const [cls, text] of keys) {
    const k = doc.createElement("span");
    k.className = "rz-rings-key";
    const sw = doc.createElementNS(SVG_NS, "svg");
    sw.setAttribute("width", "9");
    sw.setAttribute("height", "9");
    const rect = doc.createElementNS(SVG_NS, "rect");
    rect.setAttribute("width", "9");
    rect.setAttribute("height", "9");
    rect.setAttribute("class", cls);
    sw.append(rect);
    k.append(sw, doc.createTextNode(` ${text}`));
    el.append(k);
  }
  const marks = doc.createElement("span");
  marks.className = "rz-rings-key rz-rings-dim";
  marks.textContent = "outside: device HEAD/TAIL · inside: driver ntu/ntc · hover or click a descriptor";
  el.append(marks);
  return el;
}

export const rings_panel: PanelFactory = (ctx: PanelContext): Panel => {
  const doc = ctx.doc;
  const { el, head } = panel_frame(doc, "rings", "descriptor rings");
  const sub = panel_el(doc, "span", "rz-rings-dim");
  head.append(sub);
  const body = panel_el(doc, "div", "rz-rings-body");
  const empty = panel_el(doc, "div", "rz-rings-dim", "no e1000 or virtio-net in this machine");
  el.append(legend(doc), body);

  let wm: WebMachine | null = null;
  let views: NicView[] = [];

  const update = (): void => {
    const m = ctx.selected();
    const nics = ring_snapshot(m);
    // Rebuild the NIC boxes when the machine or its set of NICs changed (rare: select, reboot, hot-plug).
    let same = m === wm && nics.length === views.length;
    for (let i = 0; same && i < nics.length; i++) same = views[i]!.nic === nics[i];
    if (!same) {
      wm = m;
      sub.textContent = m.name;
      el.setAttribute("data-machine", m.name);
      views = nics.map((n) => new NicView(doc, n));
      body.replaceChildren(...(views.length > 0 ? views.map((v) => v.el) : [empty]));
    }
    for (const v of views) v.update();
  };
  update();
  return { el, update };
};
