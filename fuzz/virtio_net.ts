/**
 * Phase (d): virtio-net (issue 14). Two halves:
 *
 *  driver  A misbehaving driver against the bare model: random and boundary writes to the common
 *          config (every field, every width), the notify and ISR registers and the device config;
 *          random descriptor tables and avail rings in guest memory (loops, out-of-range heads
 *          and nexts, indirect tables of odd sizes, lengths near 2^32, addresses outside RAM);
 *          kicks, resets, re-negotiation, and frames from the wire in between. Nothing may
 *          escape into Node, and model_errors (an exception the model caught) must stay 0.
 *  wire    Hostile frames (fuzz/frame_gen.ts, plus runts, 64 KiB frames, garbage and ARP storms)
 *          through an in-process back-end into a booted guest whose real virtio_net driver is up,
 *          on the virtual clock, with liveness pings as phase (a): no escape, no hang, no kernel
 *          report, model_errors 0, and the accounting identity of fuzz/accounting.ts layer by
 *          layer (back-end → virtio-net device → virtio_net driver → netdev → ARP/IPv4/ICMP/UDP).
 *
 * Each operation depends only on Rng.for_op(seed, phase, index), so (seed, index) replays it.
 */
import { performance } from "node:perf_hooks";
import { World } from "../hw/world.ts";
import type { Machine } from "../hw/machine.ts";
import { VirtioNet } from "../hw/net/virtio_net.ts";
import { net_connect, type NetEndpoint } from "../hw/net/net_endpoint.ts";
import { SocketBackend } from "../hw/net/netdev_socket.ts";
import { monitor_command } from "../boot/monitor.ts";
import { MEMORY_MAP } from "../hw/firmware.ts";
import { PCI_COMMAND, PCI_COMMAND_MASTER, PCI_COMMAND_MEMORY } from "../include/kernel/pci.ts";
import * as C from "../include/uapi/linux/virtio_pci.ts";
import { serial8250_init } from "../drivers/tty/serial8250.ts";
import { start_kernel } from "../kernel/main.ts";
import { set_this_kernel, with_kernel, type Kernel } from "../kernel/kernel.ts";
import { inet_control, net_control } from "../kernel/net_control.ts";
import { dmesg_text } from "../kernel/printk.ts";
import { ip_auto_config } from "../net/ipv4/ipconfig.ts";
import { PROGRAMS } from "../userland/programs.ts";
import { MODULE_INDEX } from "../boot/modules.ts";
import { account, parse_backend_line, parse_nic_line, type GuestCounters } from "./accounting.ts";
import { gen_frame, is_liveness_reply, liveness_frames, MAX_RECORD, storm_frame } from "./frame_gen.ts";
import { WIRE, type Failure, type FrameResult } from "./frames.ts";
import { Rng } from "./rng.ts";

/** Phase numbers of their own (fuzz/rng.ts PHASE holds 1–4). */
export const VPHASE = { driver: 5, wire: 6, batch: 7 } as const;

const MEM = 64 << 20;
const RING_BASES = [0x400000, 0x410000, 0x420000];
const SCRATCH = 0x700000;
const REPORT = /(Oops|BUG:|WARNING:|Kernel panic|soft lockup|hard LOCKUP|nobody cared|hung_task|blocked for more than)[^\n]*/g;

const COMMON_FIELDS: [number, 1 | 2 | 4][] = [
  [C.VIRTIO_PCI_COMMON_DFSELECT, 4], [C.VIRTIO_PCI_COMMON_DF, 4], [C.VIRTIO_PCI_COMMON_GFSELECT, 4], [C.VIRTIO_PCI_COMMON_GF, 4],
  [C.VIRTIO_PCI_COMMON_MSIX, 2], [C.VIRTIO_PCI_COMMON_NUMQ, 2], [C.VIRTIO_PCI_COMMON_STATUS, 1], [C.VIRTIO_PCI_COMMON_CFGGENERATION, 1],
  [C.VIRTIO_PCI_COMMON_Q_SELECT, 2], [C.VIRTIO_PCI_COMMON_Q_SIZE, 2], [C.VIRTIO_PCI_COMMON_Q_MSIX, 2], [C.VIRTIO_PCI_COMMON_Q_ENABLE, 2],
  [C.VIRTIO_PCI_COMMON_Q_NOFF, 2], [C.VIRTIO_PCI_COMMON_Q_DESCLO, 4], [C.VIRTIO_PCI_COMMON_Q_DESCHI, 4], [C.VIRTIO_PCI_COMMON_Q_AVAILLO, 4],
  [C.VIRTIO_PCI_COMMON_Q_AVAILHI, 4], [C.VIRTIO_PCI_COMMON_Q_USEDLO, 4], [C.VIRTIO_PCI_COMMON_Q_USEDHI, 4],
];

/** A value a hostile driver might write: boundaries more often than chance would give them. */
function hostile_u32(r: Rng, w: 1 | 2 | 4): number {
  const max = w === 4 ? 0xffffffff : w === 2 ? 0xffff : 0xff;
  return (r.weighted<() => number>([
    [25, () => r.u32()],
    [15, () => r.pick([0, 1, 2, 3, 0x7f, 0x80, 0xff, 0x100, 0x101, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffff0, 0xffffffff])],
    [10, () => r.int(8)],
    [10, () => r.pick([256, 128, 64, 3, 1, 0, 32768, 65535])],
    [10, () => r.int(MEM)],
    [5, () => MEM - r.int(64)],
  ])() & max) >>> 0;
}

/** A hostile guest-physical address (in RAM, at its edge, beyond it, in MMIO, above 4 GiB). */
function hostile_addr(r: Rng): number {
  return r.weighted<() => number>([
    [40, () => SCRATCH + r.int(0x10000)],
    [20, () => 0x500000 + r.int(0x200000)],
    [10, () => MEM - r.int(4096)],
    [8, () => MEM + r.int(1 << 20)],
    [6, () => r.u32()],
    [6, () => 0xfffffff0 + r.int(16)],
    [5, () => 0x100000000 * r.range(1, 0xffff) + r.u32()],
    [5, () => 0],
  ])();
}

function hostile_len(r: Rng): number {
  return r.weighted<() => number>([
    [40, () => r.int(2048)],
    [15, () => r.pick([0, 1, 11, 12, 13, 15, 16, 17])],
    [10, () => r.range(60000, 70000)],
    [10, () => 0xffffffff - r.int(16)],
    [10, () => r.u32()],
    [15, () => 12 + r.int(1600)],
  ])();
}

/** The bare machine of the driver half: one virtio-net at slot 3, a sink on its wire. */
class Bare {
  readonly m: Machine;
  readonly dev: VirtioNet;
  readonly bar4: number;
  readonly ecam: number;
  sent = 0;
  constructor() {
    const world = new World();
    this.m = world.add_machine({ mem_size: MEM });
    this.dev = new VirtioNet(this.m.clock, { mac: WIRE.guest_mac, name: "virtio-net.0" });
    this.m.pci.plug(this.dev, 3);
    this.m.platform();
    this.bar4 = this.dev.bar_address(4);
    this.ecam = MEMORY_MAP.ECAM_BASE + (this.dev.devfn << 12);
    this.m.mmio.write(this.ecam + PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    this.m.ioapic.unmask(this.dev.irq_pin!.gsi);
    const sink: NetEndpoint = {
      peer: null,
      receive_frame: () => {
        this.sent++;
        return true;
      },
    };
    net_connect(sink, this.dev);
  }
  rd(off: number, w: 1 | 2 | 4): number {
    return this.m.mmio.read(this.bar4 + off, w);
  }
  wr(off: number, w: 1 | 2 | 4, v: number): void {
    this.m.mmio.write(this.bar4 + off, w, v >>> 0);
  }
  /** A well-behaved bring-up (often with hostile features) so that the rings are actually walked. */
  bring_up(r: Rng): void {
    this.wr(C.VIRTIO_PCI_COMMON_STATUS, 1, 0);
    this.wr(C.VIRTIO_PCI_COMMON_STATUS, 1, 1);
    this.wr(C.VIRTIO_PCI_COMMON_STATUS, 1, 3);
    this.wr(C.VIRTIO_PCI_COMMON_DFSELECT, 4, 0);
    const lo = this.rd(C.VIRTIO_PCI_COMMON_DF, 4);
    this.wr(C.VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
    this.wr(C.VIRTIO_PCI_COMMON_GF, 4, r.chance(0.7) ? lo & r.u32() : r.u32());
    this.wr(C.VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
    this.wr(C.VIRTIO_PCI_COMMON_GF, 4, r.chance(0.8) ? 1 : r.u32());
    this.wr(C.VIRTIO_PCI_COMMON_STATUS, 1, 0xb);
    for (let q = 0; q < 3; q++) {
      const base = RING_BASES[q]!;
      this.wr(C.VIRTIO_PCI_COMMON_Q_SELECT, 2, q);
      const num = r.chance(0.7) ? 256 : r.pick([1, 2, 8, 64, 3, 0, 1024, 32768]);
      this.wr(C.VIRTIO_PCI_COMMON_Q_SIZE, 2, num);
      const n = Math.max(1, Math.min(num, 256));
      this.wr(C.VIRTIO_PCI_COMMON_Q_DESCLO, 4, base);
      this.wr(C.VIRTIO_PCI_COMMON_Q_DESCHI, 4, 0);
      this.wr(C.VIRTIO_PCI_COMMON_Q_AVAILLO, 4, base + 16 * n);
      this.wr(C.VIRTIO_PCI_COMMON_Q_AVAILHI, 4, 0);
      this.wr(C.VIRTIO_PCI_COMMON_Q_USEDLO, 4, (base + 16 * n + 6 + 2 * n + 0xfff) & ~0xfff);
      this.wr(C.VIRTIO_PCI_COMMON_Q_USEDHI, 4, 0);
      this.wr(C.VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
    }
    this.wr(C.VIRTIO_PCI_COMMON_STATUS, 1, 0xf);
  }
}

function ring_layout(b: Bare, q: number): { desc: number; avail: number; num: number } {
  b.wr(C.VIRTIO_PCI_COMMON_Q_SELECT, 2, q);
  return { desc: b.rd(C.VIRTIO_PCI_COMMON_Q_DESCLO, 4), avail: b.rd(C.VIRTIO_PCI_COMMON_Q_AVAILLO, 4), num: b.rd(C.VIRTIO_PCI_COMMON_Q_SIZE, 2) };
}

/** Write guest memory only where it is RAM (the fuzzer itself must not throw). */
function poke(b: Bare, addr: number, w: 1 | 2 | 4, v: number): void {
  if (addr < 0 || addr + w > MEM) return;
  const view = b.m.mem.view;
  if (w === 1) view.setUint8(addr, v & 0xff);
  else if (w === 2) view.setUint16(addr, v & 0xffff, true);
  else view.setUint32(addr, v >>> 0, true);
}

function put_desc(b: Bare, table: number, i: number, addr: number, len: number, flags: number, next: number): void {
  const d = table + 16 * i;
  poke(b, d, 4, addr % 0x100000000);
  poke(b, d + 4, 4, Math.floor(addr / 0x100000000));
  poke(b, d + 8, 4, len);
  poke(b, d + 12, 2, flags);
  poke(b, d + 14, 2, next);
}

/** One hostile driver operation. Returns a short description (for a replay's log). */
function driver_op(b: Bare, r: Rng): string {
  const kind = r.weighted([
    [14, "common"], [6, "notify"], [4, "isr"], [3, "devcfg"], [4, "cfgspace"], [18, "chain"], [8, "avail"], [6, "bring_up"],
    [10, "frame"], [4, "time"], [3, "reset"], [2, "bar_any"], [8, "good_tx"], [5, "good_rx"],
  ] as const);
  switch (kind) {
    case "common": {
      const [off, w] = r.chance(0.85) ? r.pick(COMMON_FIELDS) : [r.int(0x40), r.pick([1, 2, 4] as const)];
      if (r.chance(0.3)) b.rd(off, w);
      else b.wr(off, w, hostile_u32(r, w));
      return `common ${off}/${w}`;
    }
    case "notify":
      b.wr(0x3000 + r.pick([0, 4, 8, 12, r.int(0x1000)]), r.pick([2, 2, 4, 1] as const), r.chance(0.8) ? r.int(4) : r.u32());
      return "notify";
    case "isr":
      if (r.chance(0.8)) b.rd(0x1000 + r.int(4), r.pick([1, 2, 4] as const));
      else b.wr(0x1000 + r.int(4), 1, r.u32());
      return "isr";
    case "devcfg":
      if (r.chance(0.6)) b.rd(0x2000 + r.int(0x40), r.pick([1, 2, 4] as const));
      else b.wr(0x2000 + r.int(0x40), r.pick([1, 2, 4] as const), r.u32());
      return "devcfg";
    case "cfgspace": {
      const off = r.weighted([[4, PCI_COMMAND], [6, 0x40 + r.int(0xc0)], [2, r.int(0x1000)]]);
      b.m.mmio.write(b.ecam + (off & ~1), 2, off === PCI_COMMAND ? (r.chance(0.7) ? PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER : r.int(0x10000)) : r.int(0x10000));
      return `cfgspace ${off}`;
    }
    case "chain": {
      // A chain of random shape in the queue's own table, made available and kicked.
      const q = r.weighted([[5, 0], [5, 1], [2, 2]]);
      const { desc, avail, num } = ring_layout(b, q);
      const n = Math.max(1, Math.min(num, 1024));
      const len = r.range(1, 6);
      const head = r.chance(0.9) ? r.int(n) : r.chance(0.5) ? n + r.int(4) : r.int(65536);
      let i = head;
      for (let k = 0; k < len; k++) {
        const last = k === len - 1;
        const loop = r.chance(0.05);
        const next = loop ? head : r.chance(0.9) ? (i + 1) % n : r.int(65536);
        let flags = (last && !loop ? 0 : 1) | (r.chance(q === 0 ? 0.9 : 0.1) ? 2 : 0);
        if (r.chance(0.1)) {
          // An indirect table: odd sizes, nested indirects, garbage inside.
          flags = 4 | (r.chance(0.1) ? 1 | 2 : 0);
          const tlen = r.weighted([[5, 16 * r.range(1, 8)], [3, r.int(200)], [1, 0], [1, 0xfffffff0]]);
          const t = r.chance(0.8) ? SCRATCH + 0x8000 : hostile_addr(r);
          const cnt = Math.min(8, Math.floor(tlen / 16));
          for (let j = 0; j < cnt; j++) put_desc(b, t, j, hostile_addr(r), hostile_len(r), r.int(8) & (r.chance(0.9) ? 3 : 7), r.chance(0.9) ? j + 1 : r.int(65536));
          put_desc(b, desc, i % n, t, tlen, flags, next);
        } else put_desc(b, desc, i % n, hostile_addr(r), hostile_len(r), flags, next);
        if (r.chance(0.02)) put_desc(b, desc, i % n, r.u32(), r.u32(), r.int(65536), r.int(65536));
        i = next;
        if (loop) break;
      }
      const idx = b.m.mem.view.getUint16(Math.min(avail + 2, MEM - 2), true);
      poke(b, avail + 4 + 2 * (idx % n), 2, head);
      poke(b, avail + 2, 2, idx + (r.chance(0.95) ? 1 : r.int(65536)));
      if (r.chance(0.9)) b.wr(0x3000 + 4 * q, 2, q);
      return `chain q${q} head ${head}`;
    }
    case "avail": {
      const q = r.int(3);
      const { avail, num } = ring_layout(b, q);
      poke(b, avail + r.pick([0, 2, 4 + 2 * r.int(Math.max(1, num)), 4 + 2 * num]), 2, hostile_u32(r, 2));
      if (r.chance(0.7)) b.wr(0x3000 + 4 * q, 2, q);
      return `avail q${q}`;
    }
    case "good_tx":
    case "good_rx": {
      // A well-formed chain (so the paths past validation run too), sometimes with one field bent.
      const q = kind === "good_tx" ? 1 : 0;
      const { desc, avail, num } = ring_layout(b, q);
      const n = Math.max(1, Math.min(num, 1024));
      const head = r.int(n);
      const buf = 0x600000 + 0x10000 * r.int(8);
      const f = kind === "good_tx" ? gen_frame(r, WIRE).frame.subarray(0, r.chance(0.9) ? 1514 : 70000) : new Uint8Array(0);
      const len = kind === "good_tx" ? 12 + f.length : r.pick([1526, 12 + 60, 65562, 2048]);
      if (kind === "good_tx") {
        b.m.mem.u8.fill(0, buf, buf + 12);
        if (r.chance(0.2)) b.m.mem.u8.set(r.bytes(12), buf); // hostile vnet header (csum offsets, GSO)
        if (buf + 12 + f.length <= MEM) b.m.mem.u8.set(f, buf + 12);
      }
      put_desc(b, desc, head, buf, r.chance(0.95) ? len : hostile_len(r), q === 0 ? 2 : 0, 0);
      const idx = b.m.mem.view.getUint16(Math.min(avail + 2, MEM - 2), true);
      poke(b, avail + 4 + 2 * (idx % n), 2, head);
      poke(b, avail + 2, 2, idx + 1);
      b.wr(0x3000 + 4 * q, 2, q);
      return `${kind} head ${head} len ${len}`;
    }
    case "bring_up":
      b.bring_up(r);
      return "bring_up";
    case "frame": {
      const f = r.chance(0.7) ? gen_frame(r, WIRE).frame : r.bytes(r.weighted([[3, r.int(14)], [3, r.int(1600)], [2, 65536], [1, r.range(65536, MAX_RECORD)]]));
      b.dev.receive_frame(f, f.length);
      return `frame ${f.length}`;
    }
    case "time":
      b.m.clock.advance_to(b.m.clock.now_ns() + r.pick([1000, 1_000_000, 50_000_000]));
      return "time";
    case "reset":
      b.wr(C.VIRTIO_PCI_COMMON_STATUS, 1, 0);
      return "reset";
    case "bar_any":
      if (r.chance(0.5)) b.rd(r.int(0x4000), r.pick([1, 2, 4] as const));
      else b.wr(r.int(0x4000), r.pick([1, 2, 4] as const), r.u32());
      return "bar";
  }
}

export interface VirtioDriverResult {
  ops: number;
  machines: number;
  escapes: number;
  model_errors: number;
  device_errors: number;
  frames_out: number;
  failures: Failure[];
  wall_ms: number;
}

/** The driver half: `ops` hostile operations, a fresh machine every `per_machine` operations. */
export function run_virtio_driver(opts: { seed: number; ops: number; per_machine?: number; progress?: (done: number) => void }): VirtioDriverResult {
  const t0 = performance.now();
  const per = opts.per_machine ?? 200;
  const failures: Failure[] = [];
  let escapes = 0;
  let model_errors = 0;
  let device_errors = 0;
  let frames_out = 0;
  let machines = 0;
  let b: Bare | null = null;
  let seen_model_errors = 0;
  const finish = (): void => {
    if (b === null) return;
    device_errors += b.dev.device_errors;
    frames_out += b.sent;
  };
  for (let i = 0; i < opts.ops; i++) {
    if (b === null || i % per === 0) {
      finish();
      b = new Bare();
      machines++;
      seen_model_errors = 0;
      b.bring_up(Rng.for_op(opts.seed, VPHASE.driver, i + 0x40000000));
    }
    const r = Rng.for_op(opts.seed, VPHASE.driver, i);
    let what = "";
    try {
      // A broken device (DEVICE_NEEDS_RESET) usually gets reset and brought up again, so the
      // rings keep being walked rather than ignored.
      if ((b.rd(C.VIRTIO_PCI_COMMON_STATUS, 1) & 0x40) !== 0 && r.chance(0.6)) {
        b.bring_up(r);
        what = "bring_up after NEEDS_RESET, ";
      }
      what += driver_op(b, r);
    } catch (e) {
      escapes++;
      if (failures.length < 50) failures.push({ kind: "escape", phase: "virtio-driver", index: i, what: (e as Error)?.stack ?? String(e), replay: `--target virtio --seed ${opts.seed} --virtio-ops ${i + 1} --virtio-frames 0` /* the machine of op i was created at op i - i % per_machine */ });
    }
    if (b.dev.model_errors !== seen_model_errors) {
      model_errors += b.dev.model_errors - seen_model_errors;
      seen_model_errors = b.dev.model_errors;
      if (failures.length < 50) failures.push({ kind: "escape", phase: "virtio-driver", index: i, what: `model error after ${what}: ${b.m.tracer.history.slice(-3).join(" | ")}`, replay: `--target virtio --seed ${opts.seed} --virtio-ops ${i + 1} --virtio-frames 0` /* the machine of op i was created at op i - i % per_machine */ });
    }
    if (i % 1000 === 0) opts.progress?.(i);
  }
  finish();
  return { ops: opts.ops, machines, escapes, model_errors, device_errors, frames_out, failures, wall_ms: performance.now() - t0 };
}

/* ---- the wire half ---- */

/**
 * The fuzzer's end of the wire, in-process: a `-netdev` back-end with the socket back-ends' queue,
 * counters and `~info network` line (hw/net/netdev_socket.ts: runt, overflow, no_link), fed by
 * offer() instead of a socket so that the whole run stays on the virtual clock. Frames the guest
 * sends are handed to on_frame.
 */
class FuzzWire extends SocketBackend {
  on_frame: ((f: Uint8Array) => void) | null = null;
  offer(frame: Uint8Array): void {
    this.enqueue(frame);
  }
  connected(): boolean {
    return true;
  }
  protected send(frame: Uint8Array, len: number): void {
    this.on_frame?.(frame.subarray(0, len));
  }
  start(): Promise<string | null> {
    return Promise.resolve(null);
  }
  stop(): void {}
  where(): string {
    return "fuzz wire (in-process)";
  }
}

export interface VirtioWireResult extends FrameResult {
  /** Hostile frames offered (offered also counts the liveness probes). */
  frames: number;
  model_errors: number;
  /** The virtio-net device's counters from its `~info network` line (rx_frames, rx_no_buffers, …). */
  nic: Record<string, number>;
}

interface VirtioGuest {
  world: World;
  machine: Machine;
  kernel: Kernel;
  dev: VirtioNet;
  wire: FuzzWire;
  reports: string[];
  warnings: () => number;
}

/** Boot a guest with a virtio-net on slot 3 behind a FuzzWire and the real virtio_pci + virtio_net drivers. */
function boot_virtio_guest(): VirtioGuest {
  const world = new World("virtual");
  const reports: string[] = [];
  let warnings = 0;
  let scan = "";
  const machine = world.add_machine({
    mem_size: MEM,
    name: "fuzz-virtio",
    cmdline: "",
    console_sink: (text) => {
      scan = (scan + text).slice(-4096);
      const nl = scan.lastIndexOf("\n");
      if (nl >= 0) {
        for (const m of scan.slice(0, nl).matchAll(REPORT)) if (reports.length < 100) reports.push(m[0]);
        scan = scan.slice(nl + 1);
      }
    },
    trace_sink: () => {
      warnings++;
    },
  });
  const dev = new VirtioNet(machine.clock, { mac: WIRE.guest_mac, name: "virtio-net.0" });
  machine.pci.plug(dev, 3);
  const wire = new FuzzWire("fuzz0", machine.clock, machine.tracer, () => {});
  net_connect(wire, dev);
  machine.cmdline = "quiet ip=10.0.7.1:::255.255.255.0::eth0:off";
  const kernel = start_kernel(machine.platform(), {
    initcalls: [serial8250_init],
    late_initcalls: [ip_auto_config],
    modules: MODULE_INDEX,
    default_modules: ["inet", "virtio_pci", "virtio_net"],
    programs: PROGRAMS,
    init_argv: ["init"],
  });
  set_this_kernel(kernel);
  return { world, machine, kernel, dev, wire, reports, warnings: () => warnings };
}

/**
 * What the guest and the monitor show, for the identity: the back-end's and the virtio-net's lines
 * of `~info network`, the netdev statistics, `ethtool -S` and /proc/net/snmp.
 */
export async function read_virtio_counters(machine: Machine, kernel: Kernel, ifname = "eth0"): Promise<GuestCounters> {
  const lines = monitor_command(machine, "info network").split("\n");
  const { values, drop_names } = parse_backend_line(lines.find((l) => l.includes("dropped:")) ?? "");
  const nic = parse_nic_line(lines.find((l) => l.includes("model=virtio-net-pci")) ?? "");
  const nc = with_kernel(kernel, () => net_control());
  const netdev: Record<string, Record<string, number>> = {};
  let ethtool: Record<string, number> = {};
  if (nc !== null) {
    for (const l of with_kernel(kernel, () => nc.getlinks())) netdev[l.name] = { ...(l.stats as unknown as Record<string, number>) };
    // `ethtool -S`: the request runs to completion before its first await, inside with_kernel.
    const reply = await with_kernel(kernel, () => nc.ethtool(ifname, { cmd: "stats" }));
    if (typeof reply === "object" && reply.kind === "stats") ethtool = Object.fromEntries(reply.stats);
  }
  const s = with_kernel(kernel, () => inet_control()?.snmp());
  const snmp = typeof s === "object" && s !== null ? s : {};
  return { backend: values, backend_drop_names: drop_names, ethtool, nic_model: "virtio-net", nic, netdev, snmp };
}

/** The shape of batch `b`: its size, and whether it is a storm (more than the back-end queue holds). */
function batch_plan(seed: number, b: number): { size: number; storm: boolean } {
  const r = Rng.for_op(seed, VPHASE.batch, b);
  const storm = r.chance(0.01);
  return { size: storm ? r.range(1025, 1300) : r.weighted([[60, r.range(1, 32)], [35, r.range(33, 128)], [5, r.range(129, 600)]]), storm };
}

/** Hostile frame `i`: generated frames, runts, 64 KiB frames around the device's limit, garbage; in storms ARP floods. */
function wire_frame(seed: number, i: number, storm: boolean): Uint8Array {
  const r = Rng.for_op(seed, VPHASE.wire, i);
  if (storm) return storm_frame(r, WIRE);
  return r.weighted<() => Uint8Array>([
    [70, () => gen_frame(r, WIRE).frame],
    [8, () => r.bytes(r.int(14))], // runts (the back-end drops them)
    [8, () => r.bytes(r.chance(0.5) ? 65536 : r.range(65530, 65560))], // 64 KiB frames around VIRTIO_NET_MAX_FRAME
    [14, () => r.bytes(r.int(2000))], // garbage
  ])();
}

/**
 * The wire half: `frames` hostile frames in batches through the in-process back-end into the
 * guest, a liveness probe (ARP + ping, as phase (a)) every `liveness_every` frames, then the
 * accounting identity over the guest's counters with the virtio-net layers.
 */
export async function run_virtio_wire(opts: { seed: number; frames: number; liveness_every?: number; progress?: (done: number) => void }): Promise<VirtioWireResult> {
  const t0 = performance.now();
  const failures: Failure[] = [];
  const g = boot_virtio_guest();
  const replay = (i: number): string => `--target virtio --seed ${opts.seed} --virtio-ops 0 --virtio-frames ${i + 1}`;
  let escapes = 0;
  let hangs = 0;
  let current = 0;
  const step = async (ns: number): Promise<void> => {
    const wall = performance.now() + 10_000;
    try {
      await g.world.run({ for_ns: ns, until: () => performance.now() > wall || g.machine.powered_off });
    } catch (e) {
      escapes++;
      if (failures.length < 50) failures.push({ kind: "escape", phase: "virtio-wire", index: current, what: (e as Error)?.stack ?? String(e), replay: replay(current) });
    }
    if (performance.now() > wall) {
      hangs++;
      if (failures.length < 50) failures.push({ kind: "hang", phase: "virtio-wire", index: current, what: `${ns} ns of virtual time took more than 10 s`, replay: replay(current) });
    }
  };
  const offer = (f: Uint8Array): void => {
    try {
      g.wire.offer(f);
    } catch (e) {
      escapes++;
      if (failures.length < 50) failures.push({ kind: "escape", phase: "virtio-wire", index: current, what: (e as Error)?.stack ?? String(e), replay: replay(current) });
    }
  };
  let probe_seq = 0;
  let reply_seen = false;
  let frames_from_guest = 0;
  g.wire.on_frame = (f) => {
    frames_from_guest++;
    if (!reply_seen && is_liveness_reply(f, WIRE, probe_seq)) reply_seen = true;
  };
  let offered = 0;
  let probes = 0;
  let probe_frames = 0;
  let probe_failures = 0;
  /** ARP who-has + echo request every 250 ms of virtual time (up to 8 times) until the reply comes. */
  const probe = async (): Promise<void> => {
    probes++;
    probe_seq = (probe_seq + 1) & 0xffff;
    reply_seen = false;
    for (let attempt = 0; attempt < 8 && !reply_seen; attempt++) {
      const fs = liveness_frames(WIRE, probe_seq);
      for (const f of fs) offer(f);
      offered += fs.length;
      probe_frames += fs.length;
      for (let i = 0; i < 250 && !reply_seen; i++) await step(1e6);
    }
    if (!reply_seen) {
      probe_failures++;
      if (failures.length < 50) failures.push({ kind: "hang", phase: "virtio-wire", index: current, what: `no echo reply to liveness probe ${probe_seq} (8 tries over 2 s) after frame ${current}`, replay: replay(current) });
    }
  };

  await step(3e9); // boot: modules, ip=, init; carrier and the gratuitous ARP
  const every = Math.max(1, opts.liveness_every ?? 1000);
  let since_probe = 0;
  for (let b = 0; current < opts.frames; b++) {
    const plan = batch_plan(opts.seed, b);
    const size = Math.min(plan.size, opts.frames - current);
    for (let i = 0; i < size; i++) offer(wire_frame(opts.seed, current + i, plan.storm));
    offered += size;
    current += size;
    await step(size > 600 ? 20e6 : Rng.for_op(opts.seed, VPHASE.batch, b).pick([100_000, 1_000_000, 3_000_000]));
    since_probe += size;
    if (since_probe >= every) {
      since_probe = 0;
      await probe();
    }
    opts.progress?.(current);
  }
  await probe();
  await step(1e9); // quiesce
  const counters = await read_virtio_counters(g.machine, g.kernel);
  const accounting = account(offered, counters);
  const last = Math.max(0, opts.frames - 1);
  if (accounting.unaccounted !== 0 || accounting.layers.some((l) => l[3] !== 0)) {
    failures.push({ kind: "unaccounted", phase: "virtio-wire", index: last, what: `${accounting.unaccounted} frames unaccounted; per layer: ${accounting.layers.filter((l) => l[3] !== 0).map((l) => `${l[0]}: ${l[3]}`).join("; ") || "-"}`, replay: replay(last) });
  }
  if (g.dev.model_errors !== 0) failures.push({ kind: "escape", phase: "virtio-wire", index: last, what: `model_errors=${g.dev.model_errors}`, replay: replay(last) });
  for (const rep of g.reports) failures.push({ kind: "oops", phase: "virtio-wire", index: last, what: rep, replay: replay(last) });
  return {
    frames: opts.frames,
    offered,
    sent_records: offered,
    liveness_probes: probes,
    liveness_frames: probe_frames,
    liveness_failures: probe_failures,
    hangs: hangs + probe_failures,
    escapes,
    frames_from_guest,
    accounting,
    counters,
    failures,
    wall_ms: performance.now() - t0,
    reconnects: 0,
    guest_warnings: g.warnings(),
    kernel_reports: g.reports,
    dmesg_tail: with_kernel(g.kernel, () => dmesg_text()).slice(-4000),
    model_errors: g.dev.model_errors,
    nic: counters.nic ?? {},
  };
}
