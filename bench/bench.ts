/**
 * npm run bench [-- --json]
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
import { EAGAIN } from "../include/linux/errno.ts";
import type { NetDevice } from "../include/net/netdevice.ts";
import { E1000 } from "../hw/net/e1000.ts";
import { Hub } from "../hw/net/hub.ts";
import { net_connect } from "../hw/net/net_endpoint.ts";
import netdev_module, { dev_add_pack, dev_open, dev_queue_xmit, netdev_list, netdev_transmit } from "../drivers/net/netdev.ts";
import e1000_module from "../drivers/net/e1000.ts";
import { kstat_irqs } from "../kernel/irq/irqdesc.ts";
import { kthread_run } from "../kernel/kthread.ts";
import { pbuf_alloc, pbuf_put } from "../kernel/mm/pbuf.ts";
import { load_module } from "../kernel/module.ts";
import { msleep, sched_yield } from "../kernel/sched/core.ts";
import { start_lockup_watchdog } from "../boot/lockup_watchdog.ts";
import { set_features } from "../drivers/net/netdev_features.ts";
import { CHECKSUM_PARTIAL } from "../include/net/netdevice.ts";
import { csum_fold, csum_tcpudp_nofold, ip_compute_csum } from "../lib/inet_checksum.ts";

interface Figure {
  name: string;
  value: number;
  unit: string;
  target?: string;
  met?: boolean;
  note?: string;
}

const ROUNDS = 7;
const ENTRY = join(import.meta.dirname, "..", "boot", "start.mjs");

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

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

/** Wall time from spawning the entrypoint (what `npm start` runs, without npm itself) to the prompt. */
function boot_once(): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [ENTRY, "--clock", "virtual"], { stdio: ["pipe", "pipe", "inherit"] });
    let out = "";
    let t_prompt = -1;
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (t_prompt < 0 && out.includes("ringzero:/# ")) {
        t_prompt = performance.now() - t0;
        child.stdin.end("poweroff\n");
      }
    });
    child.on("error", reject);
    child.on("close", () => (t_prompt < 0 ? reject(new Error("no prompt")) : resolve(t_prompt)));
  });
}

async function bench_boot(figures: Figure[]): Promise<void> {
  await boot_once(); // builds the bundle if a source changed
  const samples: number[] = [];
  for (let i = 0; i < ROUNDS; i++) samples.push(await boot_once());
  const ms = median(samples);
  figures.push({ name: "boot to shell prompt (process start -> prompt)", value: ms, unit: "ms", target: "<= 250 ms", met: ms <= 250, note: "node boot/start.mjs, bundle cached; xv6 in QEMU (TCG) ~250 ms" });
}

/**
 * Full path: netdev transmit on eth0 → e1000 TX ring → model → hub → model → eth1 RX ring →
 * interrupt → NAPI poll → netdev_receive → a protocol handler, on the virtual clock, with frames
 * sent in batches of 64 (one doorbell per batch). Returns frames per wall-clock second and
 * interrupts per frame on the receiving NIC.
 */
/**
 * What the frames carry: raw frames of a local EtherType, or IPv4/UDP datagrams whose checksum is
 * left to the NIC (CHECKSUM_PARTIAL with TX checksum offload on) or finished by the CPU in the
 * core's validate_xmit (the same frames with the offload switched off, as `ethtool -K eth0 tx off`).
 */
type Payload = "raw" | "udp-hw-csum" | "udp-sw-csum";

async function full_path(frame_len: number, total: number, watchdog = false, payload: Payload = "raw"): Promise<{ pps: number; irq_per_frame: number }> {
  const world = new World("virtual");
  const wd = watchdog ? start_lockup_watchdog(world, 2000, () => {}) : null;
  const hub = new Hub();
  const machine = world.add_machine({ mem_size: 64 << 20, cmdline: "quiet" });
  for (let i = 0; i < 2; i++) {
    const nic = new E1000(machine.clock, { mac: Uint8Array.of(0x52, 0x54, 0, 0x12, 0x34, 0x56 + i), name: `e1000.${i}` });
    machine.pci.plug(nic, 3 + i);
    net_connect(hub.port(), nic);
  }
  const modules = new Map([
    ["netdev", { load: async () => netdev_module, size: 0 }],
    ["e1000", { load: async () => e1000_module, size: 0 }],
  ]);
  const kernel = start_kernel(machine.platform(), { modules });
  set_this_kernel(kernel);
  let ready = false;
  kthread_run(async () => {
    await load_module("e1000", {}, true);
    for (const d of netdev_list()) await dev_open(d);
    await msleep(600);
    ready = true;
  }, null, "setup");
  await world.run({ until: () => ready });
  set_this_kernel(kernel);
  const [eth0, eth1] = netdev_list().filter((d) => d.type === "ether") as [NetDevice, NetDevice];
  let received = 0;
  dev_add_pack(payload === "raw" ? 0x88b5 : 0x0800, (p) => {
    received++;
    pbuf_put(p);
  });
  if (payload === "udp-sw-csum") {
    let err = 0;
    kthread_run(async () => {
      err = await set_features(eth0, { "tx-checksum-ip-generic": false });
    }, null, "ethtool");
    await world.run({ for_ns: 1e6 });
    set_this_kernel(kernel);
    if (err !== 0) throw new Error(`ethtool -K eth0 tx off: ${err}`);
  }
  // The IPv4/UDP header every datagram starts with (10.0.0.1:9 -> 10.0.0.2:9), built once.
  const hdr = new Uint8Array(42);
  const hv = new DataView(hdr.buffer);
  hdr.set(eth1.dev_addr, 0);
  hdr.set(eth0.dev_addr, 6);
  hv.setUint16(12, 0x0800);
  hv.setUint8(14, 0x45);
  hv.setUint16(16, frame_len - 14);
  hv.setUint8(22, 64);
  hv.setUint8(23, 17);
  hv.setUint32(26, 0x0a000001);
  hv.setUint32(30, 0x0a000002);
  hv.setUint16(24, ip_compute_csum(hdr, 14, 20));
  hv.setUint16(34, 9);
  hv.setUint16(36, 9);
  hv.setUint16(38, frame_len - 34);
  // CHECKSUM_PARTIAL: the UDP checksum field holds the folded pseudo-header sum.
  hv.setUint16(40, ~csum_fold(csum_tcpudp_nofold(0x0a000001, 0x0a000002, frame_len - 34, 17)) & 0xffff);
  const rx_irq_before = kstat_irqs(10);
  const send = async (count: number): Promise<void> => {
    let sent = 0;
    while (sent < count) {
      const batch = Math.min(64, count - sent);
      for (let i = 0; i < batch; i++) {
        const p = pbuf_alloc()!;
        if (payload === "raw") {
          p.data.set(eth1.dev_addr, p.head);
          p.data.set(eth0.dev_addr, p.head + 6);
          p.data[p.head + 12] = 0x88;
          p.data[p.head + 13] = 0xb5;
        } else {
          p.data.set(hdr, p.head);
          p.ip_summed = CHECKSUM_PARTIAL;
          p.csum_start = p.head + 34;
          p.csum_offset = 6;
        }
        p.len = frame_len;
        const r = dev_queue_xmit(eth0, p, i < batch - 1);
        if (r === -EAGAIN) {
          eth0.netdev_ops.ndo_flush_xmit?.(eth0);
          if ((await netdev_transmit(eth0, p)) !== 0) throw new Error("transmit failed");
        } else if (r !== 0) throw new Error(`transmit failed: ${r}`);
      }
      sent += batch;
      await sched_yield(); // let NAPI run between batches, as a real sender would be preempted
    }
  };
  // Warm up the JIT on the same path, then measure.
  kthread_run(() => send(20_000), null, "warmup");
  await world.run({ until: () => received >= 20_000 });
  set_this_kernel(kernel);
  received = 0;
  const irq0 = kstat_irqs(10);
  const t0 = performance.now();
  kthread_run(() => send(total), null, "sender");
  await world.run({ until: () => received >= total });
  const secs = (performance.now() - t0) / 1000;
  set_this_kernel(kernel);
  void rx_irq_before;
  wd?.stop();
  return { pps: total / secs, irq_per_frame: (kstat_irqs(10) - irq0) / total };
}

async function bench_full_path(figures: Figure[]): Promise<void> {
  for (const [len, target] of [[60, 1_488_095], [1514, 812_743]] as const) {
    const runs: { pps: number; irq_per_frame: number }[] = [];
    for (let r = 0; r < 3; r++) runs.push(await full_path(len, 200_000));
    runs.sort((a, b) => a.pps - b.pps);
    const mid = runs[1]!;
    const wire = len + 4;
    figures.push({
      name: `full path, ${wire}-byte frames (eth0 -> hub -> eth1 handler)`,
      value: mid.pps / 1000,
      unit: "kpps",
      target: `>= ${Math.round(target / 1000)} kpps`,
      met: mid.pps >= target,
      note: `${mid.irq_per_frame.toFixed(4)} RX interrupts/frame (target <= 1/32 = 0.0313)`,
    });
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

async function main(): Promise<void> {
  const json = process.argv.includes("--json");
  if (process.argv.includes("--only-csum")) {
    const f: Figure[] = [];
    await bench_csum_offload(f);
    console.log(f);
    return;
  }
  if (process.argv.includes("--only-full-path")) {
    // For profiling: `--only-full-path [--len N]` (default 60 bytes without FCS).
    const i = process.argv.indexOf("--len");
    console.log(await full_path(i > 0 ? Number(process.argv[i + 1]) : 60, 300_000));
    return;
  }
  const figures: Figure[] = [];
  bench_page_alloc(figures);
  bench_irq(figures);
  await bench_full_path(figures);
  await bench_watchdog(figures);
  await bench_csum_offload(figures);
  await bench_boot(figures);
  await bench_ping(figures);
  await bench_two_machines(figures);
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
