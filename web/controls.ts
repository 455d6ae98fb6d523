/**
 * The page's controls: the machine clock (pause / step / resume), each NIC's cable, fault
 * injection, trace channels, and the machine options that take a reboot. Everything that touches
 * the machine goes through the same monitor commands as `~set_link`, `~inject` and `~trace` on the
 * console (boot/monitor.ts), so the page can do nothing the console cannot.
 */
import type { World } from "../hw/world.ts";
import { monitor_command } from "../boot/monitor.ts";
import { E1000_FAULTS } from "../hw/net/e1000_faults.ts";
import { VIRTIO_NET_FAULTS } from "../hw/net/virtio_net_faults.ts";
import { TRACE_CHANNELS, type TraceChannel } from "../hw/trace.ts";
import { E1000 } from "../hw/net/e1000.ts";
import { VirtioNet } from "../hw/net/virtio_net.ts";
import type { WebMachine } from "./state/web_machine.ts";
import { mem_text, parse_mem, parse_seed, WEB_NIC_MODELS, WEB_PRESETS, web_options_query, type WebOptions } from "./options.ts";

/** One virtual millisecond: what the step button runs. */
const STEP_NS = 1_000_000;

function el<K extends keyof HTMLElementTagNameMap>(doc: Document, tag: K, attrs: Record<string, string> = {}, text = ""): HTMLElementTagNameMap[K] {
  const e = doc.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== "") e.textContent = text;
  return e;
}

function nics_of(wm: WebMachine): (E1000 | VirtioNet)[] {
  return [...wm.machine.pci.devices.values()].filter((d): d is E1000 | VirtioNet => d instanceof E1000 || d instanceof VirtioNet);
}

export interface ControlsContext {
  doc: Document;
  world: World;
  machines: readonly WebMachine[];
  selected(): WebMachine;
  select(i: number): void;
  opts: WebOptions;
  /** Where monitor replies and the page's own messages go. */
  log(line: string): void;
}

/** Build the control bar into `root`; returns an update function for the animation frame. */
export function build_controls(root: HTMLElement, c: ControlsContext): () => void {
  const { doc, world } = c;
  const run = (cmd: string): void => {
    const out = monitor_command(c.selected().machine, cmd);
    if (out !== "") for (const l of out.trimEnd().split("\n")) c.log(`(${c.selected().name}) ${l}`);
  };

  // The clock.
  const clock = el(doc, "fieldset", { class: "ctl", "data-ctl": "clock" });
  clock.append(el(doc, "legend", {}, "clock"));
  const pause = el(doc, "button", { "data-action": "pause", title: "hold the machine clock: no CPU runs, no device timer fires" }, "pause");
  const step = el(doc, "button", { "data-action": "step", title: "run 1 ms of machine time, then hold" }, "step 1 ms");
  const resume = el(doc, "button", { "data-action": "resume" }, "resume");
  const state = el(doc, "span", { class: "ctl-state", "data-clock-state": "running" }, "running");
  pause.onclick = () => world.pause();
  step.onclick = () => world.step(STEP_NS);
  resume.onclick = () => world.resume();
  clock.append(pause, step, resume, state);

  // The NICs: cable and faults (of the selected machine).
  const nic = el(doc, "fieldset", { class: "ctl", "data-ctl": "nic" });
  nic.append(el(doc, "legend", {}, "NIC"));
  const cables = el(doc, "span");
  const fault = el(doc, "select", { "data-control": "fault", title: "a fault to inject into the first NIC (~inject)" });
  const inject = el(doc, "button", { "data-action": "inject" }, "inject");
  inject.onclick = () => run(`inject ${fault.value}`);
  nic.append(cables, fault, inject);
  let shown_machine: WebMachine | null = null;
  /** Each cable box and its NIC: the box follows the NIC (a `~set_link` typed at the console too). */
  const cable_boxes: [HTMLInputElement, E1000 | VirtioNet][] = [];
  const show_machine = (wm: WebMachine): void => {
    shown_machine = wm;
    cables.replaceChildren();
    cable_boxes.length = 0;
    for (const n of nics_of(wm)) {
      const label = el(doc, "label", { title: `plug or pull ${n.name}'s cable (~set_link ${n.name} on|off)` });
      const box = el(doc, "input", { type: "checkbox", "data-cable": n.name });
      box.checked = true;
      box.onchange = () => run(`set_link ${n.name} ${box.checked ? "on" : "off"}`);
      label.append(box, doc.createTextNode(` cable ${n.name} `));
      cables.append(label);
      cable_boxes.push([box, n]);
    }
    const faults = nics_of(wm)[0] instanceof VirtioNet ? VIRTIO_NET_FAULTS : E1000_FAULTS;
    const options = faults.map((f) => el(doc, "option", { value: f.name, title: f.help }, f.name));
    if (!faults.some((f) => f.name === "clear")) options.push(el(doc, "option", { value: "clear", title: "disarm pending faults" }, "clear"));
    fault.replaceChildren(...options);
  };

  // Trace channels.
  const trace = el(doc, "fieldset", { class: "ctl", "data-ctl": "trace" });
  trace.append(el(doc, "legend", {}, "trace"));
  /** The boxes follow the selected machine's tracer (`~trace` at the console too). */
  const trace_boxes: [HTMLInputElement, TraceChannel][] = [];
  for (const ch of TRACE_CHANNELS) {
    const label = el(doc, "label");
    const box = el(doc, "input", { type: "checkbox", "data-trace": ch });
    box.checked = c.selected().machine.tracer.on(ch);
    box.onchange = () => run(`trace ${ch} ${box.checked ? "on" : "off"}`);
    label.append(box, doc.createTextNode(ch));
    trace.append(label);
    trace_boxes.push([box, ch]);
  }

  // Machine options: a reboot with the new URL.
  const mach = el(doc, "fieldset", { class: "ctl", "data-ctl": "machine" });
  mach.append(el(doc, "legend", {}, "machine"));
  const select = (name: string, values: readonly string[], cur: string): HTMLSelectElement => {
    const s = el(doc, "select", { "data-option": name, title: name });
    for (const v of values) {
      const o = el(doc, "option", { value: v }, v);
      if (v === cur) o.selected = true;
      s.append(o);
    }
    return s;
  };
  const o = c.opts;
  const preset = select("preset", WEB_PRESETS, o.preset);
  const nicm = select("nic", WEB_NIC_MODELS, o.nic);
  // The URL may ask for any size the machine takes: offer it too, so a reboot keeps it.
  const mems = ["32M", "64M", "128M", "256M", "512M"];
  if (!mems.includes(mem_text(o.mem_size))) mems.push(mem_text(o.mem_size));
  const mem = select("mem", mems, mem_text(o.mem_size));
  const coherent = select("dma-coherent", ["on", "off"], o.dma_coherent ? "on" : "off");
  const clk = select("clock", ["realtime", "virtual"], o.clock);
  const seed = el(doc, "input", { type: "number", min: "0", "data-option": "seed", title: "seed (the guest's random generators)", value: String(o.seed) });
  const reboot = el(doc, "button", { "data-action": "reboot", title: "boot again with these options (the URL keeps them)" }, "reboot");
  reboot.onclick = () => {
    const seed_value = parse_seed(seed.value);
    if (seed_value === null) {
      seed.setCustomValidity("an integer 0-4294967295");
      seed.reportValidity();
      c.log(`seed '${seed.value}': expected an integer 0-4294967295; not rebooting`);
      return;
    }
    seed.setCustomValidity("");
    const next: WebOptions = {
      ...o,
      preset: preset.value as WebOptions["preset"],
      nic: nicm.value as WebOptions["nic"],
      mem_size: parse_mem(mem.value),
      dma_coherent: coherent.value === "on",
      clock: clk.value as WebOptions["clock"],
      seed: seed_value,
      trace: trace_boxes.filter(([b]) => b.checked).map(([, ch]) => ch),
    };
    // The options live in the URL: a new query loads the page with them; the same one reloads it.
    const q = web_options_query(next);
    if (q === location.search) location.reload();
    else location.search = q;
  };
  const labelled = (text: string, input: HTMLElement): HTMLLabelElement => {
    const l = el(doc, "label", {}, `${text} `);
    l.append(input);
    return l;
  };
  mach.append(labelled("preset", preset), labelled("NIC", nicm), labelled("RAM", mem), labelled("dma-coherent", coherent), labelled("clock", clk), labelled("seed", seed), reboot);

  // Which machine the panels show (two-machine preset).
  const which = el(doc, "fieldset", { class: "ctl", "data-ctl": "which" });
  if (c.machines.length > 1) {
    which.append(el(doc, "legend", {}, "panels show"));
    c.machines.forEach((wm, i) => {
      const b = el(doc, "button", { "data-select-machine": wm.name }, wm.name);
      b.onclick = () => c.select(i);
      which.append(b);
    });
  }

  root.append(clock, nic, trace, mach, ...(c.machines.length > 1 ? [which] : []));
  show_machine(c.selected());

  let last_state = "";
  return () => {
    if (shown_machine !== c.selected()) show_machine(c.selected());
    for (const [box, n] of cable_boxes) if (box.checked === n.link_down) box.checked = !n.link_down;
    const tracer = c.selected().machine.tracer;
    for (const [box, ch] of trace_boxes) if (box.checked !== tracer.on(ch)) box.checked = tracer.on(ch);
    const s = world.paused ? "paused" : "running";
    if (s !== last_state) {
      last_state = s;
      state.textContent = s;
      state.dataset["clockState"] = s;
    }
  };
}
