/**
 * The page: the same machine, kernel, drivers and network stack as `npm start`, booted in a
 * browser tab, with a terminal on each machine's serial console and live panels of the hardware
 * beside it. This module plays the part boot/main.ts plays on Node — board vendor, firmware and
 * terminal — with the page's options (web/options.ts) instead of a command line. Node-only parts
 * (sockets, the file-system launcher, the host terminal) stay out: test/web/web_bundle.test.ts checks
 * the bundle.
 */
import "./style.css";
import { World } from "../hw/world.ts";
import type { Machine } from "../hw/machine.ts";
import { Hub } from "../hw/net/hub.ts";
import { net_connect, type NetEndpoint } from "../hw/net/net_endpoint.ts";
import { UserNet } from "../hw/net/user_net.ts";
import { WebSocketBackend } from "../hw/net/netdev_websocket.ts";
import { SocketBackend } from "../hw/net/netdev_socket.ts";
import { machine_nics, plug_device } from "../boot/board.ts";
import { boot_kernel } from "../boot/kernel_boot.ts";
import { set_module_size_provider } from "../boot/modules.ts";
import { TRACE_CHANNELS } from "../hw/trace.ts";
import { create_terminal, attach_keyboard, type MachineTerminal } from "./terminal.ts";
import { parse_web_options, type WebOptions } from "./options.ts";
import { build_controls } from "./controls.ts";
import type { Panel, PanelContext, PanelFactory } from "./panel.ts";
import type { WebMachine } from "./state/web_machine.ts";
import { clock_panel } from "./panels/clock.ts";
import { pci_panel } from "./panels/pci.ts";
import { rings_panel } from "./panels/rings.ts";
import { irqs_panel } from "./panels/irqs.ts";
import { mem_panel } from "./panels/mem.ts";
import { packets_panel } from "./panels/packets.ts";

/** Module sizes (lsmod), measured by the build from the source files: web/build.ts. */
declare const RINGZERO_MODULE_SIZES: Record<string, number>;

const PANELS: readonly PanelFactory[] = [clock_panel, rings_panel, irqs_panel, packets_panel, pci_panel, mem_panel];

/** One machine of a preset: its NIC, its wire, its kernel command line. */
interface MachinePlan {
  name: string;
  mac: string;
  /** The far end of the NIC's cable. */
  wire: (m: Machine) => NetEndpoint;
  /** `ip=` for the kernel: DHCP on a network with a server, static on the hub. */
  ip: string;
}

function plans(o: WebOptions, kick: () => void): MachinePlan[] {
  switch (o.preset) {
    case "hub": {
      const hub = new Hub("hub0");
      return [
        { name: "left", mac: "52:54:00:12:34:01", wire: () => hub.port(), ip: "ip=10.0.0.1:::255.255.255.0:left:eth0:off" },
        { name: "right", mac: "52:54:00:12:34:02", wire: () => hub.port(), ip: "ip=10.0.0.2:::255.255.255.0:right:eth0:off" },
      ];
    }
    case "relay":
      return [{ name: "ringzero", mac: "52:54:00:12:34:57", wire: (m) => new WebSocketBackend("ws0", m.clock, m.tracer, kick, { url: o.relay }), ip: "ip=dhcp" }];
    case "single":
      return [{ name: "ringzero", mac: "52:54:00:12:34:56", wire: (m) => new UserNet(m.clock), ip: "ip=dhcp" }];
  }
}

interface Booted {
  world: World;
  machines: WebMachine[];
  terminals: MachineTerminal[];
}

async function boot(o: WebOptions, warnings: string[], doc: Document, trace_log: LogPane): Promise<Booted> {
  set_module_size_provider((rel) => RINGZERO_MODULE_SIZES[rel] ?? 0);
  const world = new World(o.clock);
  const kick = (): void => world.kick();
  const term_area = doc.getElementById("terminals")!;
  const machines: WebMachine[] = [];
  const terminals: MachineTerminal[] = [];
  for (const p of plans(o, kick)) {
    const box = doc.createElement("div");
    box.className = "term-box";
    box.dataset["machine"] = p.name;
    const title = doc.createElement("div");
    title.className = "term-title";
    title.textContent = `${p.name} — ttyS0`;
    const host = doc.createElement("div");
    host.className = "term";
    box.append(title, host);
    term_area.append(box);
    const t = create_terminal(host);
    let sink: (text: string) => void = (text) => t.write(text);
    const machine = world.add_machine({
      mem_size: o.mem_size,
      dma_coherent: o.dma_coherent,
      name: p.name,
      console_sink: (text) => sink(text),
      trace_sink: (line) => trace_log.push(`[${p.name}] ${line}`),
    });
    for (const ch of o.trace) if ((TRACE_CHANNELS as readonly string[]).includes(ch)) machine.tracer.enable(ch as (typeof TRACE_CHANNELS)[number]);
    const nic = o.nic === "e1000" ? `e1000,addr=03.0,mac=${p.mac}` : `virtio-net-pci,addr=03.0,mac=${p.mac}`;
    for (const spec of [nic, "edu,addr=04.0"]) {
      const err = plug_device(machine, spec);
      if (err !== null) throw new Error(err);
    }
    const wire = p.wire(machine);
    net_connect(wire, machine_nics(machine)[0]!);
    if (wire instanceof SocketBackend) {
      // The relay: connect (and reconnect) on the host's event loop; frames wake the run loop.
      const err = await wire.start();
      if (err !== null) t.write(`ringzero: ${err}\n`);
      world.external_sources++;
    }
    sink = attach_keyboard(world, machine, t);
    for (const w of warnings) t.write(`ringzero: warning: ${w}\n`);
    const kernel = await boot_kernel(machine, { command: null, modules: null, cmdline: `${p.ip} seed=${o.seed}` });
    machines.push({ name: p.name, machine, kernel });
    terminals.push(t);
  }
  return { world, machines, terminals };
}

/** A log pane keeps the last lines (the tracer's own history keeps more). */
const LOG_KEEP = 400;

/**
 * A log pane (monitor replies, hardware trace). Lines come from device and kernel context, as
 * many as a trace channel produces: they are queued, and drawn once per animation frame with one
 * append and one scroll, so tracing costs the machine a string push per line, not a layout.
 */
class LogPane {
  private readonly pane: HTMLElement;
  private pending: string[] = [];

  constructor(pane: HTMLElement) {
    this.pane = pane;
  }

  push(line: string): void {
    this.pending.push(line);
    // Only the last LOG_KEEP can be shown: keep the queue from growing while no frame is drawn.
    if (this.pending.length > 2 * LOG_KEEP) this.pending = this.pending.slice(-LOG_KEEP);
  }

  /** Animation-frame context. */
  flush(): void {
    if (this.pending.length === 0) return;
    const doc = this.pane.ownerDocument;
    const frag = doc.createDocumentFragment();
    for (const line of this.pending.slice(-LOG_KEEP)) {
      const d = doc.createElement("div");
      d.textContent = line;
      frag.append(d);
    }
    this.pending.length = 0;
    this.pane.append(frag);
    while (this.pane.childElementCount > LOG_KEEP) this.pane.firstElementChild!.remove();
    this.pane.scrollTop = this.pane.scrollHeight;
  }
}

async function main(): Promise<void> {
  const doc = document;
  const { opts, warnings } = parse_web_options(location.search);
  // A wire to the outside runs on the outside's time.
  if (opts.preset === "relay" && opts.clock === "virtual") {
    opts.clock = "realtime";
    warnings.push("clock=virtual: the relay talks to the outside world, which runs on wall-clock time; using realtime");
  }
  const trace_log = new LogPane(doc.getElementById("trace-log")!);
  const log_pane = new LogPane(doc.getElementById("monitor-log")!);
  const b = await boot(opts, warnings, doc, trace_log);
  let selected = 0;
  const ctx: PanelContext = { world: b.world, machines: b.machines, selected: () => b.machines[selected]!, doc };
  const update_controls = build_controls(doc.getElementById("controls")!, {
    doc,
    world: b.world,
    machines: b.machines,
    selected: ctx.selected,
    select: (i) => (selected = i),
    opts,
    log: (line) => log_pane.push(line),
  });
  const panel_root = doc.getElementById("panels")!;
  const panels: Panel[] = [];
  for (const f of PANELS) {
    const p = f(ctx);
    panels.push(p);
    panel_root.append(p.el);
  }
  const fit_all = (): void => {
    for (const t of b.terminals) t.fit();
  };
  fit_all();
  addEventListener("resize", fit_all);
  b.terminals[0]!.term.focus();
  // Panels follow the machine once per frame, between slices of the run loop.
  const frame = (now: number): void => {
    update_controls();
    trace_log.flush();
    log_pane.flush();
    for (const p of panels) {
      try {
        p.update(now);
      } catch (e) {
        // A panel's bug must not stop the machine or the other panels: report it once, drop it.
        log_pane.push(`panel error: ${(e as Error).message}`);
        panels.splice(panels.indexOf(p), 1);
      }
    }
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
  // For the browser tests and the curious (devtools): the running machines.
  (globalThis as { ringzero?: unknown }).ringzero = { world: b.world, machines: b.machines, terminals: b.terminals, opts };
  const why = await b.world.run();
  log_pane.push(`the machine stopped (${why}); reboot to start again`);
}

main().catch((e: unknown) => {
  const pre = document.createElement("pre");
  pre.className = "fatal";
  pre.textContent = `ringzero could not start: ${(e as Error).stack ?? String(e)}`;
  document.body.prepend(pre);
});
