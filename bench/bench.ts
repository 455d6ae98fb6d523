/**
 * npm run bench [-- --json] [-- --only full_path,virtio,alloc,nic_memory,dma,boot,flood,tcp,page,...]
 *
 * Figures, never assertions: each is the median of several timed rounds after a warm-up, measured
 * in this process on this machine. Targets are printed beside the figures and the verdict is
 * computed, not written by hand.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EventEmitter } from "eventemitter3";
import { IRQ_HANDLED } from "../include/linux/interrupt.ts";
import { GFP_KERNEL } from "../include/linux/gfp.ts";
import { World } from "../hw/world.ts";
import { start_kernel } from "../kernel/main.ts";
import { set_this_kernel } from "../kernel/kernel.ts";
import { request_irq } from "../kernel/irq/manage.ts";
import { alloc_pages, free_pages } from "../kernel/mm/page_alloc.ts";
import { median, type Figure } from "./figure.ts";
import { bench_boot } from "./boot_parts.ts";
import { bench_nic_memory } from "./nic_memory.ts";
import { flood } from "./flood.ts";
import { full_path, type AllocStats } from "./full_path.ts";
import { tcp_bulk, tcp_connect_rate, type BulkResult } from "./tcp.ts";
import { bench_page_panels } from "./page_panels.ts";


const ROUNDS = 7;
const ENTRY = join(import.meta.dirname, "..", "boot", "start.mjs");


/** ns per iteration of `body(n)`, which runs n iterations. */
function time_ns_per_op(n: number, body: (n: number) => void): number {
  body(Math.min(n, 10_000)); // warm up the JIT
  const samples: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    body(n);
    samples.push(Number(process.hrtime.bigint() - t0) / n);
  }
  return median(samples);
}

/** Two bodies timed in alternating rounds: [ns/op of a, ns/op of b]. */
function time_pair_ns_per_op(n: number, a: (n: number) => void, b: (n: number) => void): [number, number] {
  a(10_000);
  b(10_000);
  const sa: number[] = [];
  const sb: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    let t0 = process.hrtime.bigint();
    a(n);
    sa.push(Number(process.hrtime.bigint() - t0) / n);
    t0 = process.hrtime.bigint();
    b(n);
    sb.push(Number(process.hrtime.bigint() - t0) / n);
  }
  return [median(sa), median(sb)];
}

function boot(mem_mib = 128) {
  const world = new World("virtual");
  const machine = world.add_machine({ mem_size: mem_mib * 1024 * 1024, cmdline: "quiet" });
  const kernel = start_kernel(machine.platform());
  set_this_kernel(kernel);
  return { world, machine, kernel };
}

function bench_page_alloc(figures: Figure[]): void {
  boot(128);
  const pair = time_ns_per_op(2_000_000, (n) => {
    for (let i = 0; i < n; i++) {
      const pfn = alloc_pages(GFP_KERNEL, 0);
      free_pages(pfn, 0);
    }
  });
  figures.push({ name: "order-0 alloc+free pair", value: pair, unit: "ns", target: "<= 50 ns", met: pair <= 50, note: "128 MiB, fully merged heap: each pair splits and re-merges a 4 MiB block" });
  const batch = new Int32Array(4096);
  const amortized = time_ns_per_op(4096 * 200, (n) => {
    for (let done = 0; done < n; done += 4096) {
      for (let i = 0; i < 4096; i++) batch[i] = alloc_pages(GFP_KERNEL, 0);
      for (let i = 0; i < 4096; i++) free_pages(batch[i]!, 0);
    }
  });
  figures.push({ name: "order-0 alloc+free, 4096 then 4096", value: amortized, unit: "ns/page" });
}

function bench_irq(figures: Figure[]): void {
  const { machine } = boot(32);
  const pin = machine.ioapic.pin(11);
  let handled = 0;
  request_irq(11, () => {
    // What a driver's handler minimally does: acknowledge the device (lower its line).
    pin.lower();
    handled++;
    return IRQ_HANDLED;
  }, 0, "bench", null);
  const ee = new EventEmitter();
  let emitted = 0;
  ee.on("irq", () => {
    emitted++;
  });
  const run_irq = (n: number): void => {
    for (let i = 0; i < n; i++) {
      pin.raise();
      machine.cpu.deliver_interrupts();
    }
  };
  const run_emit = (n: number): void => {
    for (let i = 0; i < n; i++) ee.emit("irq");
  };
  // Interleave the two so that machine noise hits both alike; compare medians.
  const [delivery, emit] = time_pair_ns_per_op(1_000_000, run_irq, run_emit);
  if (handled === 0 || emitted === 0) throw new Error("interrupt bench delivered nothing");
  const ratio = delivery / emit;
  figures.push({ name: "interrupt delivery (raise -> handler -> EOI)", value: delivery, unit: "ns", target: "<= 3x emit", met: ratio <= 3, note: `${ratio.toFixed(2)}x the eventemitter3 emit` });
  figures.push({ name: "eventemitter3 emit, one listener", value: emit, unit: "ns" });
}

/** ns for two copies of a len-byte frame (into the model and out of it), typed-array copyWithin. */
function memcpy_bound_ns(len: number): number {
  const buf = new Uint8Array(64 * 2048);
  let k = 0;
  return time_ns_per_op(2_000_000, (n) => {
    for (let i = 0; i < n; i++) {
      // Rotate over 32 slots so that the copies do not hit one cache line pair only.
      const src = (k & 31) * 2048;
      buf.copyWithin(65536 + src, src, src + len);
      buf.copyWithin(src, 65536 + src, 65536 + src + len);
      k++;
    }
  });
}

/** 1 Gb/s line rate in frames/s: frame + FCS + preamble/SFD (8) + inter-frame gap (12). */
function line_rate_pps(len_with_fcs: number): number {
  return 1e9 / ((len_with_fcs + 20) * 8);
}

let full_path_pps_64 = 0;

async function bench_full_path(figures: Figure[]): Promise<void> {
  for (const [len, rt_goal, irq_goal] of [[60, 1, 64], [1514, 10, 20]] as const) {
    const runs: Awaited<ReturnType<typeof full_path>>[] = [];
    for (let r = 0; r < 3; r++) runs.push(await full_path(len, 200_000));
    runs.sort((a, b) => a.pps - b.pps);
    const mid = runs[1]!;
    if (len === 60) full_path_pps_64 = mid.pps;
    const wire = len + 4;
    const line = line_rate_pps(wire);
    const ns = 1e9 / mid.pps;
    const bound = memcpy_bound_ns(len);
    const ratio = bound / ns;
    const rtf = mid.pps / line;
    figures.push({
      name: `full path, ${wire}-byte frames (eth0 -> hub -> eth1 handler)`,
      value: mid.pps / 1000,
      unit: "kpps",
      target: `>= ${Math.round((line * rt_goal) / 1000)} kpps`,
      met: rtf >= rt_goal,
      note: "median of 3 runs of 200k frames, virtual clock",
    });
    figures.push({ name: `  RX interrupts per frame at saturation, ${wire} B`, value: mid.irq_per_frame, unit: "", target: `<= 1/${irq_goal} = ${(1 / irq_goal).toFixed(4)}`, met: mid.irq_per_frame <= 1 / irq_goal, note: "driver default InterruptThrottleRate" });
    figures.push({ name: `  ns per frame, ${wire} B`, value: ns, unit: "ns" });
    figures.push({
      name: `  clock events / task steps per frame, ${wire} B`,
      value: mid.events_per_frame,
      unit: "events",
      note: `${mid.steps_per_frame.toFixed(4)} task steps per frame; the transmitter runs up to TX_BURST_NS ahead of the wire, one event per burst`,
    });
    figures.push({ name: `  memcpy bound, ${wire} B (2 copies, copyWithin)`, value: bound, unit: "ns", note: "two copies of the frame, as it crosses the model twice; same process" });
    figures.push({ name: `  path / memcpy bound, ${wire} B`, value: ratio * 100, unit: "%", target: ">= 15 %", met: ratio >= 0.15 });
    figures.push({ name: `  real-time factor vs 1 Gb/s, ${wire} B`, value: rtf, unit: "x", target: `>= ${rt_goal}`, met: rtf >= rt_goal, note: `line rate ${(line / 1000).toFixed(1)} kpps` });
  }
}

/**
 * The same full path with virtio-net-pci on both ends (virtio, virtio_pci, virtio_net; MSI-X, one
 * vector per queue), alternating with the e1000 in the same run. Interrupts per frame are those of
 * eth1's receive queue vector ("virtio1-input.0" in /proc/interrupts). No targets.
 *
 * What differs per frame, in the code: the e1000 model paces its transmitter at 1 Gb/s (a clock
 * event per wire burst; two per 1518-byte frame) and its RX interrupts go through the ITR
 * throttle; the virtio-net model has no wire time (one event per TX_BURST of 64 chains) and
 * interrupts whenever used_event says so (EVENT_IDX), here once per 64-frame batch because the
 * receiver's NAPI poll keeps callbacks off while it drains the batch. The e1000 model also writes
 * back every descriptor (DD, length, the RX packet checksum it sums over each frame) and the driver
 * reads them back; the virtio device writes one used-ring element per buffer and the driver keeps
 * its own shadow of the descriptors. A 400k-frame CPU profile at 64 B (--cpu-prof) put ~20 % of the
 * samples in the device's virtqueue.ts (copy, walk, pop, push) for virtio, and for the e1000 the
 * descriptor DMA (dma_read/dma_write, e1000_rx_dma) and csum_partial on top; at 1518 B the
 * e1000's csum_partial (~8 % of the whole process) and its clock and run loop (clock.ts, world.ts,
 * ~7 %: the wire events) are what virtio does not pay.
 */
async function bench_virtio(figures: Figure[]): Promise<void> {
  const N = 200_000;
  for (const len of [60, 1514] as const) {
    const vio: Awaited<ReturnType<typeof full_path>>[] = [];
    const e1k: Awaited<ReturnType<typeof full_path>>[] = [];
    for (let r = 0; r < 3; r++) {
      vio.push(await full_path(len, N, false, "raw", undefined, { nic: "virtio" }));
      e1k.push(await full_path(len, N, false, "raw", undefined, { nic: "e1000" }));
    }
    const mid = (runs: typeof vio) => [...runs].sort((a, b) => a.pps - b.pps)[1]!;
    const v = mid(vio);
    const e = mid(e1k);
    const wire = len + 4;
    figures.push({
      name: `virtio-net full path, ${wire}-byte frames (eth0 -> hub -> eth1 handler)`,
      value: v.pps / 1000,
      unit: "kpps",
      note: `${(v.pps / e.pps).toFixed(2)}x the e1000 (${(e.pps / 1000).toFixed(0)} kpps, same run, alternating); median of 3 runs of ${N / 1000}k frames, virtual clock`,
    });
    figures.push({
      name: `  virtio RX interrupts per frame, ${wire} B`,
      value: v.irq_per_frame,
      unit: "",
      note: `input.0 MSI-X vector, EVENT_IDX; e1000 ${e.irq_per_frame.toFixed(4)} (ITR); clock events/frame ${v.events_per_frame.toFixed(4)} vs e1000 ${e.events_per_frame.toFixed(4)}`,
    });
  }
}

/**
 * Bytes allocated per frame in steady state: the 64-byte full path over 10 M frames (fewer if that
 * would take over ~45 s at the rate measured above), after the usual 20 k-frame warm-up.
 */
async function bench_alloc(figures: Figure[]): Promise<void> {
  const want = 10_000_000;
  const frames = full_path_pps_64 > 0 ? Math.min(want, Math.max(1_000_000, Math.round((full_path_pps_64 * 45) / 1e6) * 1e6)) : 2_000_000;
  let a: AllocStats = { bytes: NaN, gcs: 0, pause_ms: 0 };
  const t0 = performance.now();
  await full_path(60, frames, false, "raw", (x) => (a = x));
  const secs = (performance.now() - t0) / 1000;
  const per = a.bytes / frames;
  figures.push({
    name: "bytes allocated per frame, 64 B full path",
    value: per,
    unit: "B/frame",
    target: "0",
    met: per < 0.5,
    note:
      `${(frames / 1e6).toFixed(0)} M frames in ${secs.toFixed(0)} s${frames < want ? " (fewer than 10 M: 10 M would take over ~45 s here)" : ""}; ` +
      `${a.gcs} GCs, ${a.pause_ms.toFixed(1)} ms pause in all; includes the sender's one sched_yield per 64 frames`,
  });
}

/**
 * bench/flood.ts against a spawned ringzero (realtime clock) on a `-netdev stream` UNIX socket:
 * ICMP echo replies/s with a window of 32 for 10 s, then the sequential echo RTT.
 */
async function bench_flood(figures: Figure[]): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "rz-flood-"));
  const path = join(dir, "flood.sock");
  const run = flood({ unix: path, guest: "10.0.9.1", ip: "10.0.9.2", window: 32, seconds: 10, count: 1000, payload: 56, connect_timeout_ms: 20_000 });
  const guest = spawn(process.execPath, [ENTRY, "--clock", "realtime", "-nodefaults", "-netdev", `stream,id=n0,server=off,addr.type=unix,addr.path=${path}`, "-device", "e1000,netdev=n0", "--ip", "10.0.9.1/24"], { stdio: ["pipe", "ignore", "ignore"] });
  try {
    const r = await run;
    figures.push({ name: "ICMP echo flood over -netdev stream (window 32, 10 s)", value: r.replies_per_s / 1000, unit: "k replies/s", note: `bench/flood.ts -> ringzero realtime; ${r.sent} sent, ${r.received} replies; Linux 6.1 in QEMU TCG e1000 ~22 k/s (issue 12)` });
    figures.push({ name: "sequential echo RTT over -netdev stream", value: r.rtt.avg * 1000, unit: "us avg", note: `min/max/mdev ${(r.rtt.min * 1000).toFixed(0)}/${(r.rtt.max * 1000).toFixed(0)}/${(r.rtt.mdev * 1000).toFixed(0)} us over ${r.rtt.n}, measured by the flooder` });
  } catch (e) {
    figures.push({ name: "ICMP echo flood over -netdev stream (window 32, 10 s)", value: NaN, unit: "", note: `failed: ${(e as Error).message}` });
  } finally {
    guest.stdin.end("poweroff\n");
    setTimeout(() => guest.kill("SIGKILL"), 2000).unref();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** TX checksum offload: 1518-byte UDP frames with the NIC finishing each checksum, or the CPU. */
async function bench_csum_offload(figures: Figure[]): Promise<void> {
  const hw: number[] = [];
  const sw: number[] = [];
  for (let r = 0; r < 3; r++) {
    hw.push((await full_path(1514, 100_000, false, "udp-hw-csum")).pps);
    sw.push((await full_path(1514, 100_000, false, "udp-sw-csum")).pps);
  }
  const a = median(hw);
  const b = median(sw);
  figures.push({ name: "full path, 1518-byte UDP, TX checksum offload on", value: a / 1000, unit: "kpps", note: `${(a / b).toFixed(2)}x the same frames with offload off (${(b / 1000).toFixed(0)} kpps, checksum by the CPU, same run)` });
}

/**
 * What the lockup watchdog (boot/lockup_watchdog.ts) costs the run loop: the 64-byte full path
 * with and without its heartbeat, in alternating runs.
 */
async function bench_watchdog(figures: Figure[]): Promise<void> {
  const off: number[] = [];
  const on: number[] = [];
  for (let r = 0; r < 3; r++) {
    off.push((await full_path(60, 200_000, false)).pps);
    on.push((await full_path(60, 200_000, true)).pps);
  }
  const a = median(off);
  const b = median(on);
  figures.push({
    name: "full path, 64-byte frames, lockup watchdog on",
    value: b / 1000,
    unit: "kpps",
    note: `${((b / a) * 100).toFixed(1)}% of the same path with the watchdog off (${(a / 1000).toFixed(0)} kpps, same run)`,
  });
}

/**
 * What DMA coherence and DMA-API debugging cost the full path. Per frame size, coherent (x86) and
 * non-coherent (`-machine dma-coherent=off`) machines in alternating runs; then the coherent
 * 64-byte path with `dma_debug=on` and off, alternating. Medians of 5 runs of 200k frames each; the
 * notes give the ratio of the medians and the spread of the ratios of the alternating pairs (the
 * machine is shared, and one run can land on a busy moment). The dma_debug runs must end with
 * error_count 0.
 *
 * The cache maintenance a frame costs on the non-coherent machine: TX, the frame's lines cleaned at
 * dma_map_single (nothing at unmap: DMA_TO_DEVICE); RX at 64 B, copybreak — the frame's line
 * invalidated by dma_sync_single_for_cpu, the buffer stays mapped; RX at 1518 B, the 2048-byte
 * buffer (32 lines) cleaned when mapped and invalidated when unmapped.
 */
async function bench_dma(figures: Figure[]): Promise<void> {
  const N = 200_000;
  const RUNS = 5;
  /** "lo–hi" of b[i]/a[i] over the alternating pairs. */
  const spread = (a: number[], b: number[]): string => {
    const r = a.map((x, i) => b[i]! / x);
    return `${Math.min(...r).toFixed(2)}–${Math.max(...r).toFixed(2)}`;
  };
  for (const len of [60, 1514] as const) {
    const coh: number[] = [];
    const non: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      coh.push((await full_path(len, N)).pps);
      non.push((await full_path(len, N, false, "raw", undefined, { dma_coherent: false })).pps);
    }
    const a = median(coh);
    const b = median(non);
    const wire = len + 4;
    figures.push({ name: `full path, ${wire} B, coherent machine (x86, dma-coherent=on)`, value: a / 1000, unit: "kpps", note: `median of ${RUNS} runs of ${N / 1000}k frames, alternating with the next line` });
    figures.push({
      name: `full path, ${wire} B, non-coherent machine (dma-coherent=off)`,
      value: b / 1000,
      unit: "kpps",
      note: `${(b / a).toFixed(2)}x the coherent machine, same run (pairs ${spread(coh, non)}); ${len === 60 ? "TX clean at map, RX copybreak invalidates the frame's line" : "TX clean at map, RX buffers cleaned at map and invalidated at unmap (32 lines each)"}`,
    });
  }
  const off: number[] = [];
  const on: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    off.push((await full_path(60, N)).pps);
    const d = await full_path(60, N, false, "raw", undefined, { dma_debug: true });
    if (d.dma_errors !== 0) throw new Error(`dma_debug=on: ${d.dma_errors} DMA-API errors on the full path`);
    on.push(d.pps);
  }
  const a = median(off);
  const b = median(on);
  figures.push({
    name: "full path, 64 B, coherent, dma_debug=on",
    value: b / 1000,
    unit: "kpps",
    note: `${(b / a).toFixed(2)}x the same path with dma_debug off (${(a / 1000).toFixed(0)} kpps, same run; pairs ${spread(off, on)}); 0 DMA-API errors`,
  });
}

/** rtt avg (ms) from a ping run's summary line, or null. */
function rtt_avg(out: string): number | null {
  const m = /rtt min\/avg\/max\/mdev = [\d.]+\/([\d.]+)\//.exec(out);
  return m === null ? null : Number(m[1]);
}

function run_capture(cmd: string, args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.on("error", () => resolve({ code: null, out }));
    child.on("close", (code) => resolve({ code, out }));
  });
}

/**
 * ping RTT in realtime mode (wall-clock paced), `ping -c 20 -i 0.2 10.0.2.2` at the ringzero
 * prompt, beside the host's `ping -c 20 -i 0.2 127.0.0.1` when the host has ping.
 */
async function bench_ping(figures: Figure[]): Promise<void> {
  const rz = await run_capture(process.execPath, [ENTRY, "--clock", "realtime", "-c", "ping -c 20 -i 0.2 10.0.2.2"]);
  const avg = rtt_avg(rz.out);
  const host = await run_capture("ping", ["-c", "20", "-i", "0.2", "127.0.0.1"]);
  const host_avg = host.code === 0 ? rtt_avg(host.out) : null;
  figures.push({
    name: "ping RTT, realtime (ping -c 20 -i 0.2 10.0.2.2)",
    value: avg ?? NaN,
    unit: "ms avg",
    note: host_avg === null ? "host ping not available on this machine for comparison" : `host ping -c 20 -i 0.2 127.0.0.1: ${host_avg.toFixed(3)} ms avg`,
  });
}

/**
 * ping RTT between two ringzero processes on one wire made of a real socket: `-netdev stream` over
 * a UNIX socket (server and client) and `-netdev dgram` over UDP on 127.0.0.1. The pinger runs
 * `ping -q -c 50 -i 0.02 10.0.9.1` after its link is up.
 */
async function bench_two_machines(figures: Figure[]): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "rz-bench-"));
  const wires: [string, string, string][] = [
    ["stream, UNIX socket", `stream,id=n0,server=on,addr.type=unix,addr.path=${join(dir, "w.sock")}`, `stream,id=n0,server=off,addr.type=unix,addr.path=${join(dir, "w.sock")},reconnect-ms=50`],
    ["dgram, UDP 127.0.0.1", "dgram,id=n0,local.type=inet,local.host=127.0.0.1,local.port=47101,remote.type=inet,remote.host=127.0.0.1,remote.port=47102", "dgram,id=n0,local.type=inet,local.host=127.0.0.1,local.port=47102,remote.type=inet,remote.host=127.0.0.1,remote.port=47101"],
  ];
  try {
    for (const [name, a, b] of wires) {
      const responder = spawn(process.execPath, [ENTRY, "-nodefaults", "-netdev", a, "-device", "e1000,netdev=n0,mac=52:54:00:00:00:01", "--ip", "10.0.9.1/24"], { stdio: ["pipe", "ignore", "ignore"] });
      await new Promise((r) => setTimeout(r, 700)); // host time: let the responder bind before the client starts
      const pinger = await run_capture(process.execPath, [ENTRY, "-nodefaults", "-netdev", b, "-device", "e1000,netdev=n0,mac=52:54:00:00:00:02", "--ip", "10.0.9.2/24", "-c", "sleep 1; ping -q -c 50 -i 0.02 10.0.9.1"]);
      responder.kill("SIGKILL");
      figures.push({ name: `ping RTT, two processes over ${name}`, value: rtt_avg(pinger.out) ?? NaN, unit: "ms avg", note: /(\d+) received/.exec(pinger.out)?.[0] ?? "no replies" });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * TCP between two in-process hosts over e1000 (bench/tcp.ts): one bulk connection of 64 MiB with
 * TSO on and with `ethtool -K eth0 tso off` on both hosts, alternating, 5 runs each (median by wall
 * time); goodput is application bytes delivered per second of wall time and of virtual time (the
 * e1000 model paces its wire at 1 Gb/s, so the virtual figure is bounded by line rate: 1448 payload
 * bytes per 1538 on the wire is 941.5 Mbit/s; the wall-clock figure exceeds it when the simulation
 * runs faster than real time). Then 2,000 sequential connections
 * (connect + accept + close on both ends).
 */
async function bench_tcp(figures: Figure[]): Promise<void> {
  const BYTES = 64 << 20;
  const RUNS = 5;
  const on: BulkResult[] = [];
  const off: BulkResult[] = [];
  // One discarded run of each first: the process's first bulk run is JIT-cold (~40 % slower here).
  await tcp_bulk(16 << 20, true);
  await tcp_bulk(16 << 20, false);
  for (let r = 0; r < RUNS; r++) {
    on.push(await tcp_bulk(BYTES, true));
    off.push(await tcp_bulk(BYTES, false));
  }
  const mid = (runs: BulkResult[]): BulkResult => [...runs].sort((a, b) => a.wall_s - b.wall_s)[RUNS >> 1]!;
  const a = mid(on);
  const b = mid(off);
  const mbit = (r: BulkResult, s: number): number => (r.bytes * 8) / s / 1e6;
  const goal = 940;
  const spread = (runs: BulkResult[]): string => runs.map((r) => mbit(r, r.wall_s).toFixed(0)).join("/");
  figures.push({
    name: "TCP goodput, one connection, e1000, TSO on (wall clock)",
    value: mbit(a, a.wall_s),
    unit: "Mbit/s",
    target: `>= ${goal} Mbit/s`,
    met: mbit(a, a.wall_s) >= goal,
    note: `${(mbit(a, a.wall_s) / mbit(b, b.wall_s)).toFixed(2)}x tso off (same run, alternating); median of ${RUNS} x ${BYTES >> 20} MiB, runs ${spread(on)} Mbit/s; ${(a.frames / (a.bytes / 1448)).toFixed(2)} wire frames (both ways) per 1448 B of data`,
  });
  figures.push({ name: "  TCP goodput, TSO on (virtual clock)", value: mbit(a, a.virt_s), unit: "Mbit/s", note: `${a.virt_s.toFixed(3)} s virtual for ${a.wall_s.toFixed(2)} s wall: real-time factor ${(a.virt_s / a.wall_s).toFixed(2)}x; wire limit 941.5 Mbit/s at MSS 1448` });
  figures.push({
    name: "TCP goodput, one connection, e1000, tso off (wall clock)",
    value: mbit(b, b.wall_s),
    unit: "Mbit/s",
    target: `>= ${goal} Mbit/s`,
    met: mbit(b, b.wall_s) >= goal,
    note: `ethtool -K eth0 tso off on both hosts; median of ${RUNS} x ${BYTES >> 20} MiB, runs ${spread(off)} Mbit/s`,
  });
  figures.push({ name: "  TCP goodput, tso off (virtual clock)", value: mbit(b, b.virt_s), unit: "Mbit/s", note: `${b.virt_s.toFixed(3)} s virtual for ${b.wall_s.toFixed(2)} s wall: real-time factor ${(b.virt_s / b.wall_s).toFixed(2)}x` });
  const N = 2000;
  const c = await tcp_connect_rate(N);
  figures.push({ name: "TCP connection set-up rate (connect+accept+close)", value: c.per_wall_s, unit: "conn/s", note: `${N} sequential connections, wall clock (after 200 warm-up); ${c.per_virt_s.toFixed(0)} conn/s of virtual time` });
}

async function main(): Promise<void> {
  const json = process.argv.includes("--json");
  if (process.argv.includes("--only-csum")) {
    const f: Figure[] = [];
    await bench_csum_offload(f);
    console.log(f);
    return;
  }
  if (process.argv.includes("--only-full-path")) {
    // For profiling: `--only-full-path [--len N] [--nic e1000|virtio]` (default 60 bytes without FCS, e1000).
    const i = process.argv.indexOf("--len");
    const k = process.argv.indexOf("--nic");
    const nic = k > 0 && process.argv[k + 1] === "virtio" ? "virtio" : "e1000";
    console.log(await full_path(i > 0 ? Number(process.argv[i + 1]) : 60, 300_000, false, "raw", undefined, { nic }));
    return;
  }
  // `--only a,b` runs just those parts (names as below), e.g. `--only full_path,alloc`.
  const oi = process.argv.indexOf("--only");
  const only = oi > 0 ? new Set(process.argv[oi + 1]!.split(",")) : null;
  const figures: Figure[] = [];
  const parts: [string, () => void | Promise<void>][] = [
    ["page_alloc", () => bench_page_alloc(figures)],
    ["irq", () => bench_irq(figures)],
    ["full_path", () => bench_full_path(figures)],
    ["virtio", () => bench_virtio(figures)],
    ["alloc", () => bench_alloc(figures)],
    ["nic_memory", () => bench_nic_memory(figures)],
    ["watchdog", () => bench_watchdog(figures)],
    ["csum", () => bench_csum_offload(figures)],
    ["dma", () => bench_dma(figures)],
    ["boot", () => bench_boot(figures, ROUNDS)],
    ["flood", () => bench_flood(figures)],
    ["ping", () => bench_ping(figures)],
    ["two_machines", () => bench_two_machines(figures)],
    ["tcp", () => bench_tcp(figures)],
    ["page", () => bench_page_panels(figures, ROUNDS)],
  ];
  for (const [name, run] of parts) if (only === null || only.has(name)) await run();
  if (json) {
    console.log(JSON.stringify({ node: process.version, date: new Date().toISOString(), figures }, null, 2));
    return;
  }
  const rows = figures.map((f) => [
    f.name,
    Number.isNaN(f.value) ? "n/a" : `${f.value < 10 ? f.value.toFixed(3) : f.value.toFixed(1)} ${f.unit}`,
    f.target ?? "",
    f.met === undefined ? "" : f.met ? "met" : "NOT met",
    f.note ?? "",
  ]);
  const head = ["figure", "value", "target", "", "note"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  console.log(line(head));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of rows) console.log(line(r));
}

await main();
