/**
 * The PCI panel: the selected machine's root complex as a tree — the host bridge, then each
 * function with lspci's line (slot, class, vendor and device), its BARs (address, size, decode),
 * its interrupt (INTx pin and IRQ, or MSI-X with the kernel's irq per vector and the messages the
 * function has sent) and the driver bound to it. Data from web/state/pci_state.ts.
 *
 * The tree is rebuilt only when pci_tree() hands back a new generation (a driver bound or unbound,
 * decode or MSI-X switched) or another machine is selected; per frame only the MSI-X message
 * counters are compared and, when they moved, rewritten.
 *
 * Test hooks: each function's element has data-slot ("00:03.0") and data-driver ("e1000", "" when
 * none); the root has data-generation.
 */
import "./pci.css";
import type { Panel, PanelContext, PanelFactory } from "../panel.ts";
import { panel_el, panel_frame } from "./panel_frame.ts";
import type { WebMachine } from "../state/web_machine.ts";
import { pci_msix_counters, pci_tree, type PciFunctionInfo, type PciTree } from "../state/pci_state.ts";

const hx = (n: number, w: number): string => n.toString(16).padStart(w, "0");

export const pci_panel: PanelFactory = (ctx: PanelContext): Panel => {
  const doc = ctx.doc;
  const { el, head } = panel_frame(doc, "pci", "PCI");
  const sub = panel_el(doc, "span", "rz-pci-sub");
  head.append(sub);
  const body = panel_el(doc, "div", "rz-pci-tree");
  el.append(body);

  let wm: WebMachine | null = null;
  let drawn: PciTree | null = null;
  /** MSI-X counter cells by devfn, with what they show. */
  let counters: { devfn: number; cell: HTMLElement; text: string }[] = [];

  const span = (cls: string, text: string): HTMLElement => {
    const s = doc.createElement("span");
    s.className = cls;
    s.textContent = text;
    return s;
  };

  const line_of = (f: PciFunctionInfo): HTMLElement => {
    const d = doc.createElement("div");
    d.className = "rz-pci-line";
    d.append(span("rz-pci-slot", f.slot), " ", span("rz-pci-class", f.class_name), ": ", span("rz-pci-name", f.device_name));
    if (f.revision !== 0) d.append(span("rz-pci-rev", ` (rev ${hx(f.revision, 2)})`));
    d.title = `${f.line}\n${hx(f.vendor_id, 4)}:${hx(f.device_id, 4)} class ${hx(f.class_code, 6)} · model ${f.model}${f.subsystem !== null ? ` · subsystem ${f.subsystem}` : ""}`;
    return d;
  };

  const function_el = (f: PciFunctionInfo): HTMLElement => {
    const li = doc.createElement("li");
    li.className = "rz-pci-fn";
    li.setAttribute("data-slot", f.slot);
    li.setAttribute("data-driver", f.driver ?? "");
    if (f.removed) li.classList.add("rz-pci-removed");
    li.append(line_of(f));
    const meta = doc.createElement("div");
    meta.className = "rz-pci-meta";
    meta.append(span("rz-pci-k", "driver "), span(f.driver !== null ? "rz-pci-driver" : "rz-pci-nodriver", f.driver ?? "none"));
    meta.append(span("rz-pci-k", " · model "), f.model);
    if (f.bus_master) meta.append(span("rz-pci-flag", " · bus master"));
    if (f.removed) meta.append(span("rz-pci-bad", " · removed"));
    li.append(meta);
    const irq = doc.createElement("div");
    irq.className = "rz-pci-irq";
    if (f.msix !== null && f.msix.enabled) {
      irq.append(span("rz-pci-k", "MSI-X "), `${f.msix.irqs.length}/${f.msix.entries} vectors`);
      if (f.msix.masked) irq.append(span("rz-pci-bad", " masked"));
      if (f.msix.irqs.length > 0) irq.append(span("rz-pci-k", " · irqs "), f.msix.irqs.join(", "));
      const cell = span("rz-pci-msgs", "");
      irq.append(span("rz-pci-k", " · messages "), cell);
      counters.push({ devfn: f.devfn, cell, text: "" });
    } else if (f.pin !== null) {
      irq.append(span("rz-pci-k", "INTx "), `pin ${f.pin} → IRQ ${f.irq !== 0 ? f.irq : "?"}`);
      if (f.intx_disabled) irq.append(span("rz-pci-bad", " (disabled)"));
      if (f.msix !== null) irq.append(span("rz-pci-k", ` · MSI-X ${f.msix.entries} vectors, off`));
    } else {
      irq.append(span("rz-pci-k", "no interrupt"));
    }
    li.append(irq);
    for (const b of f.bars) {
      const d = doc.createElement("div");
      d.className = b.enabled ? "rz-pci-bar" : "rz-pci-bar rz-pci-bar-off";
      d.append(span("rz-pci-k", `BAR${b.index} `), b.text);
      d.title = b.name;
      li.append(d);
    }
    return li;
  };

  const draw = (tree: PciTree): void => {
    counters = [];
    const frag = doc.createDocumentFragment();
    const host = tree.host;
    if (host !== null) {
      const h = doc.createElement("div");
      h.className = "rz-pci-host";
      h.setAttribute("data-slot", host.slot);
      h.setAttribute("data-driver", host.driver ?? "");
      h.append(line_of(host));
      frag.append(h);
    }
    const ul = doc.createElement("ul");
    for (const f of tree.functions) if (f !== host) ul.append(function_el(f));
    frag.append(ul);
    body.replaceChildren(frag);
    const n = tree.functions.length;
    sub.textContent = `bus 00 · ${n} function${n === 1 ? "" : "s"}`;
    el.setAttribute("data-generation", String(tree.generation));
    drawn = tree;
  };

  const update = (): void => {
    const sel = ctx.selected();
    if (sel !== wm) {
      wm = sel;
      drawn = null;
    }
    const tree = pci_tree(sel);
    if (tree !== drawn) draw(tree);
    for (const c of counters) {
      const m = pci_msix_counters(sel, c.devfn);
      const text = m === null ? "—" : `${m.sent}${m.held > 0 ? ` (${m.held} held by mask)` : ""}`;
      if (text !== c.text) {
        c.text = text;
        c.cell.textContent = text;
      }
    }
  };
  update();
  return { el, update };
};
