/**
 * Phase (b): register-level fuzzing of the e1000 model. Most operations drive a bare model (no
 * kernel, no driver, as test/hw/e1000.test.ts and QEMU's qtest do): random and targeted MMIO and
 * I/O-BAR accesses of every width, config-space writes (COMMAND, BARs moved, status), descriptors
 * with buffers pointing anywhere (0, holes, MMIO, past RAM, 64-bit), doorbells, frames of any
 * length from the wire, clock jumps, resets, cable pulls. A share of the operations hit a NIC
 * whose driver is loaded and running (the rogue-writer case: the kernel must survive it).
 *
 * Any exception out of the model (or out of the machine's run loop) is an escape, recorded with
 * the seed and operation index that replays it; a run that does not come back within the wall
 * budget is a hang.
 */
import { performance } from "node:perf_hooks";
import { PCI_COMMAND, PCI_COMMAND_MASTER, PCI_COMMAND_MEMORY } from "../include/kernel/pci.ts";
import { MEMORY_MAP } from "../hw/firmware.ts";
import type { Machine } from "../hw/machine.ts";
import { E1000 } from "../hw/net/e1000.ts";
import { REG, STAT } from "../hw/net/e1000_regs.ts";
import { net_connect, type NetEndpoint } from "../hw/net/net_endpoint.ts";
import { World } from "../hw/world.ts";
import type { Failure } from "./frames.ts";
import { MAX_RECORD } from "./frame_gen.ts";
import { boot_guest, type Guest } from "./machine.ts";
import { PHASE, Rng } from "./rng.ts";

const MEM = 64 << 20;
const MAC = Uint8Array.of(0x52, 0x54, 0, 0x12, 0x34, 0x56);

/** A wire end that swallows what the NIC sends and can inject frames. */
class Sink implements NetEndpoint {
  peer: NetEndpoint | null = null;
  frames = 0;
  receive_frame(_f: Uint8Array, _len: number): boolean {
    this.frames++;
    return true;
  }
}

const REGS = Object.values(REG).filter((o) => o < 0x20000);
const STATS = Object.values(STAT);
/** Interesting values for any register. */
function value(r: Rng): number {
  return r.weighted<() => number>([
    [30, () => r.u32()],
    [10, () => 0],
    [10, () => 0xffffffff],
    [10, () => 1 << r.int(32)],
    [10, () => r.int(4096)],
    [10, () => (0xffffffff ^ (1 << r.int(32))) >>> 0],
    [10, () => r.int(65536)],
    [10, () => r.pick([0x8000, 0x80, 0x7fff, 0x10000, 0xfff80, 0x4000000])],
  ])();
}

/** An address a descriptor may point at. */
function dma_addr(r: Rng, ring_region: number): number {
  return r.weighted<() => number>([
    [30, () => ring_region + r.int(0x200000)],
    [10, () => 0],
    [10, () => r.int(MEM)],
    [10, () => MEM - r.int(64)], // straddling the end of RAM
    [10, () => MEMORY_MAP.LOW_RAM_END + r.int(MEMORY_MAP.HIGH_RAM_START - MEMORY_MAP.LOW_RAM_END)], // the legacy hole
    [10, () => MEMORY_MAP.PCI_MMIO_BASE + r.int(0x100000)], // device MMIO
    [5, () => r.u32()],
    [5, () => r.u32() * 0x100000000 + r.u32()], // 64-bit
  ])();
}

interface Bare {
  world: World;
  m: Machine;
  nic: E1000;
  sink: Sink;
  bar: number;
  io: number;
  cfg: number;
  region: number;
}

function bare(): Bare {
  const world = new World("virtual");
  const m = world.add_machine({ mem_size: MEM, trace_sink: () => {} });
  const nic = new E1000(m.clock, { mac: MAC, name: "e1000.0" });
  m.pci.plug(nic, 3);
  m.platform();
  const cfg = MEMORY_MAP.ECAM_BASE + (nic.devfn << 12);
  m.mmio.write(cfg + PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | 1);
  m.ioapic.unmask(nic.irq_pin!.gsi);
  const sink = new Sink();
  net_connect(sink, nic);
  return { world, m, nic, sink, bar: nic.bar_address(0), io: nic.bar_address(1), cfg, region: 0x400000 };
}

/** One operation on the bare model. */
function bare_op(b: Bare, r: Rng): string {
  const { m, nic } = b;
  const kind = r.weighted([[30, "reg"], [8, "narrow"], [10, "read"], [6, "cfg"], [4, "io"], [12, "desc"], [8, "doorbell"], [10, "frame"], [6, "clock"], [2, "reset"], [2, "link"], [2, "ring"]] as const);
  switch (kind) {
    case "reg": {
      const off = r.chance(0.85) ? r.pick(REGS) : r.chance(0.5) ? r.int(0x20000) & ~3 : 0x5200 + r.int(0x600) * 4;
      m.mmio.write(b.bar + off, 4, value(r));
      return `${kind} 0x${off.toString(16)}`;
    }
    case "narrow": {
      const off = (r.chance(0.7) ? r.pick(REGS) : r.int(0x20000)) + r.int(4);
      const w = r.pick([1, 2, 4] as const);
      m.mmio.write(b.bar + Math.min(off, 0x20000 - w), w, value(r) & (w === 4 ? 0xffffffff : (1 << (w * 8)) - 1));
      return `${kind} 0x${off.toString(16)}/${w}`;
    }
    case "read": {
      const off = r.chance(0.5) ? r.pick(REGS) : r.chance(0.5) ? r.pick(STATS) : r.int(0x20000 - 4);
      m.mmio.read(b.bar + off, r.pick([1, 2, 4] as const));
      return `${kind} 0x${off.toString(16)}`;
    }
    case "cfg": {
      // COMMAND (decode and bus master on and off), BARs (moved or sized), status, anything.
      const off = r.weighted([[40, PCI_COMMAND], [20, 0x10], [10, 0x14], [10, 0x06], [10, 0x3c], [10, r.int(0x100)]]);
      const w = off === 0x10 || off === 0x14 ? 4 : r.pick([1, 2, 4] as const);
      let v = value(r);
      if (off === PCI_COMMAND && r.chance(0.6)) v = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | 1; // mostly back on
      if (off === 0x10 && r.chance(0.5)) v = b.bar; // and back home
      m.mmio.write(b.cfg + Math.min(off, 0x100 - w), w as 1 | 2 | 4, v);
      return `${kind} 0x${off.toString(16)}`;
    }
    case "io": {
      m.io.write(b.io + (r.chance(0.5) ? 0 : 4), 4, r.chance(0.5) ? r.pick(REGS) : value(r));
      if (r.chance(0.5)) m.io.read(b.io + r.int(8), 4);
      return kind;
    }
    case "desc": {
      // Fill descriptors wherever the rings are (if in RAM), with buffers pointing anywhere.
      const base = r.chance(0.5) ? nic.regs[REG.RDBAL >> 2]! : nic.regs[REG.TDBAL >> 2]!;
      const n = r.range(1, 16);
      for (let i = 0; i < n; i++) {
        const d = (base + r.int(256) * 16) >>> 0;
        if (d + 16 > MEM) continue;
        const a = dma_addr(r, b.region);
        m.mem.view.setUint32(d, a >>> 0, true);
        m.mem.view.setUint32(d + 4, Math.floor(a / 0x100000000) >>> 0, true);
        m.mem.view.setUint32(d + 8, r.chance(0.5) ? r.int(16384) | (r.int(256) << 24) : r.u32(), true);
        m.mem.view.setUint32(d + 12, r.u32(), true);
      }
      return kind;
    }
    case "doorbell": {
      const reg = r.pick([REG.TDT, REG.RDT, REG.TDH, REG.RDH]);
      m.mmio.write(b.bar + reg, 4, r.chance(0.8) ? r.int(300) : value(r));
      return `${kind} 0x${reg.toString(16)}`;
    }
    case "frame": {
      const len = r.weighted([[50, r.range(0, 1600)], [20, r.range(1600, 16400)], [20, r.range(16400, 17100)], [10, r.range(17100, MAX_RECORD)]]);
      const f = r.bytes(len);
      if (len >= 6 && r.chance(0.5)) f.set(r.chance(0.5) ? MAC : [255, 255, 255, 255, 255, 255], 0);
      if (len >= 16 && r.chance(0.2)) (f[12] = 0x81), (f[13] = 0);
      // Receive configurations that matter: SBP, LPE, SECRC, UPE/MPE, VFE, loopback.
      if (r.chance(0.3)) m.mmio.write(b.bar + REG.RCTL, 4, (r.u32() & 0x0c00fffe) | 2);
      nic.receive_frame(f, len);
      return `${kind} ${len}`;
    }
    case "clock": {
      m.clock.advance_to(m.clock.now_ns() + r.weighted([[50, r.int(10_000)], [40, r.int(2_000_000)], [10, r.int(2_000_000_000)]]));
      return kind;
    }
    case "reset":
      if (r.chance(0.5)) m.mmio.write(b.bar + REG.CTRL, 4, 0x04000000);
      else nic.reset();
      return kind;
    case "link":
      nic.set_link(r.chance(0.5));
      return kind;
    case "ring": {
      // A plausible ring in RAM, so the data paths run a long way before something breaks.
      const rd = b.region;
      const td = b.region + 0x1000;
      for (let i = 0; i < 64; i++) {
        m.mem.view.setUint32(rd + i * 16, b.region + 0x10000 + i * 2048, true);
        m.mem.view.setUint32(rd + i * 16 + 4, 0, true);
        m.mem.view.setUint32(td + i * 16, b.region + 0x100000 + i * 2048, true);
        m.mem.view.setUint32(td + i * 16 + 4, 0, true);
        m.mem.view.setUint32(td + i * 16 + 8, r.int(2048) | ((r.u32() & 0xff) << 24), true);
      }
      for (const [reg, v] of [[REG.RDBAL, rd], [REG.RDBAH, 0], [REG.RDLEN, 64 * 16], [REG.RDH, 0], [REG.RDT, r.int(64)], [REG.TDBAL, td], [REG.TDBAH, 0], [REG.TDLEN, 64 * 16], [REG.TDH, 0], [REG.TCTL, 0x0103f0fa], [REG.TDT, r.int(64)], [REG.IMS, 0xffff]] as const) m.mmio.write(b.bar + reg, 4, v);
      return kind;
    }
  }
}

export interface MmioResult {
  ops: number;
  driver_ops: number;
  escapes: number;
  hangs: number;
  failures: Failure[];
  wall_ms: number;
  dma_errors: number;
  kernel_reports: string[];
}

/** One operation against a NIC whose driver is loaded (a rogue writer; the kernel must cope). */
function driver_op(g: Guest, r: Rng): string {
  const nic = g.nic;
  const m = g.machine;
  const bar = nic.bar_address(0);
  const cfg = MEMORY_MAP.ECAM_BASE + (nic.devfn << 12);
  const kind = r.weighted([[40, "reg"], [15, "cfg"], [15, "frame"], [10, "ics"], [10, "link"], [10, "read"]] as const);
  switch (kind) {
    case "reg": {
      const off = r.pick(REGS);
      if (bar !== 0 && bar < 0xfec00000) m.mmio.write(bar + off, 4, value(r));
      return `${kind} 0x${off.toString(16)}`;
    }
    case "read":
      if (bar !== 0 && bar < 0xfec00000) m.mmio.read(bar + r.pick(REGS), 4);
      return kind;
    case "cfg": {
      // Decode off (the function looks gone: reads return all ones), then usually back on.
      const v = r.chance(0.5) ? 0 : r.chance(0.5) ? PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | 1 : r.int(65536);
      m.mmio.write(cfg + PCI_COMMAND, 2, v);
      return `${kind} COMMAND=0x${v.toString(16)}`;
    }
    case "frame": {
      const len = r.range(0, 17000);
      const f = r.bytes(len);
      if (len >= 6) f.set(r.chance(0.5) ? MAC : [255, 255, 255, 255, 255, 255], 0);
      nic.receive_frame(f, len);
      return `${kind} ${len}`;
    }
    case "ics":
      if (bar !== 0 && bar < 0xfec00000) m.mmio.write(bar + REG.ICS, 4, 1 << r.int(17));
      return kind;
    case "link":
      nic.set_link(r.chance(0.7));
      return kind;
  }
}

export async function run_mmio(opts: { seed: number; ops: number; driver_share?: number; progress?: (done: number) => void }): Promise<MmioResult> {
  const t0 = performance.now();
  const failures: Failure[] = [];
  const kinds = new Map<string, number>();
  let escapes = 0;
  let hangs = 0;
  let dma_errors = 0;
  const replay = (i: number): string => `--seed ${opts.seed} --phase mmio --replay ${i}   (or the prefix: --seed ${opts.seed} --frames 0 --ops ${i + 1} --shell 0)`;
  const escape = (i: number, what: string, e: unknown): void => {
    escapes++;
    const stack = (e as Error)?.stack ?? String(e);
    const key = stack.split("\n").slice(0, 2).join("|");
    const n = kinds.get(key) ?? 0;
    kinds.set(key, n + 1);
    if (n < 3 && failures.length < 50) failures.push({ kind: "escape", phase: "mmio", index: i, what: `${what}: ${stack}`, replay: replay(i) });
  };
  // Every 1000 operations the bare machine is rebuilt (a fresh power-on), as a qtest would.
  let b: Bare | null = null;
  let g: Guest | null = null;
  const share = opts.driver_share ?? 0.01;
  let driver_ops = 0;
  const old_reports: string[] = [];
  for (let i = 0; i < opts.ops; i++) {
    const r = Rng.for_op(opts.seed, PHASE.mmio, i);
    const on_driver = r.chance(share);
    if (!on_driver) {
      if (b === null || i % 1000 === 0) {
        if (b !== null) dma_errors += b.nic.dma_errors;
        b = bare();
      }
      let what = "?";
      const w0 = performance.now();
      try {
        what = bare_op(b, r);
      } catch (e) {
        escape(i, what, e);
        if (b !== null) dma_errors += b.nic.dma_errors;
        b = null; // the model's state is suspect after an escape: power-cycle it
      }
      if (performance.now() - w0 > 2000) {
        hangs++;
        failures.push({ kind: "hang", phase: "mmio", index: i, what: `operation ${what} took ${Math.round(performance.now() - w0)} ms`, replay: replay(i) });
      }
    } else {
      driver_ops++;
      if (g === null || driver_ops % 200 === 0) {
        if (g !== null) old_reports.push(...g.reports);
        g = boot_guest({ mac: MAC, ip: "10.0.9.1/24", setup: (_m, nic) => net_connect(new Sink(), nic) });
        await g.world.run({ for_ns: 3e9 }).catch((e: unknown) => escape(i, "boot", e));
      }
      let what = "?";
      try {
        what = driver_op(g, r);
      } catch (e) {
        escape(i, what, e);
      }
      // Let the driver react: interrupt, watchdog, reset. It must come back within the budget.
      const wall = performance.now() + 5000;
      let out = false;
      try {
        await g.world.run({ for_ns: r.chance(0.1) ? 3e9 : 2e6, until: () => (performance.now() > wall ? (out = true) : false) });
      } catch (e) {
        escape(i, `${what} (machine run)`, e);
      }
      if (out) {
        hangs++;
        failures.push({ kind: "hang", phase: "mmio", index: i, what: `driver-loaded machine did not finish 2 ms of virtual time within 5 s after ${what} (virtual clock at ${g.world.clock.now_ns()} ns)`, replay: replay(i) });
        old_reports.push(...g.reports);
        g = null;
      }
    }
    if (i % 10000 === 0) opts.progress?.(i);
  }
  if (b !== null) dma_errors += b.nic.dma_errors;
  const reports = [...old_reports, ...(g?.reports ?? [])];
  for (const rep of reports) failures.push({ kind: "oops", phase: "mmio", index: opts.ops - 1, what: rep, replay: replay(opts.ops - 1) });
  return { ops: opts.ops, driver_ops, escapes, hangs, failures, wall_ms: performance.now() - t0, dma_errors, kernel_reports: reports };
}

/** Replay one operation of the bare model on a fresh model: what it did and what it threw. */
export function replay_mmio(seed: number, index: number): string {
  const b = bare();
  const r = Rng.for_op(seed, PHASE.mmio, index);
  try {
    return `operation ${index}: ${bare_op(b, r)}: no exception on a fresh model (try the prefix)`;
  } catch (e) {
    return `operation ${index} threw: ${(e as Error)?.stack ?? String(e)}`;
  }
}
