/**
 * Phase (a): hostile frames through a real socket back-end. The guest's e1000 is attached to a
 * `-netdev stream,server=on,addr.type=inet` back-end on 127.0.0.1; the fuzzer is the peer on the
 * TCP socket and writes QEMU-framed records (4-byte length + frame). Every `liveness_every`
 * frames it ARPs for the guest and pings it, and counts a missing reply as a hang. At the end the
 * guest's own counters must account for every frame offered (fuzz/accounting.ts).
 *
 * Determinism: frame i is generated from Rng.for_op(seed, frames, i) and batch b's plan from
 * Rng.for_op(seed, batch, b); the machine runs only after a whole batch has been read by the
 * back-end, on the virtual clock, so a run is reproducible from its seed.
 */
import { createServer, connect, type Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { StreamBackend } from "../hw/net/netdev_stream.ts";
import { net_connect, RX_NO_LINK, type NetEndpoint } from "../hw/net/net_endpoint.ts";
import { monitor_command } from "../boot/monitor.ts";
import { with_kernel } from "../kernel/kernel.ts";
import { dmesg_text } from "../kernel/printk.ts";
import { inet_control, net_control } from "../kernel/net_control.ts";
import { account, parse_backend_line, type Accounting, type GuestCounters } from "./accounting.ts";
import { gen_frame, is_liveness_reply, liveness_frames, MAX_RECORD, storm_frame, type WireIds } from "./frame_gen.ts";
import { boot_guest, type Guest } from "./machine.ts";
import { PHASE, Rng } from "./rng.ts";

export const WIRE: WireIds = {
  guest_mac: Uint8Array.of(0x52, 0x54, 0, 0x12, 0x34, 0x56),
  peer_mac: Uint8Array.of(0x02, 0, 0, 0, 0, 0x77),
  guest_ip: 0x0a000701,
  peer_ip: 0x0a000702,
};

export interface Failure {
  kind: "escape" | "hang" | "oops" | "unaccounted";
  phase: string;
  index: number;
  what: string;
  replay: string;
}

export interface FrameResult {
  offered: number;
  sent_records: number;
  liveness_probes: number;
  /** Frames the probes put on the wire (ARP + echo per try). */
  liveness_frames: number;
  liveness_failures: number;
  /** Liveness failures, plus a link that never came up or a back-end that stopped reading. */
  hangs: number;
  escapes: number;
  frames_from_guest: number;
  accounting: Accounting;
  counters: GuestCounters;
  failures: Failure[];
  wall_ms: number;
  reconnects: number;
  guest_warnings: number;
  kernel_reports: string[];
  /** The end of the kernel log, for diagnosis. */
  dmesg_tail: string;
}

/** The StreamBackend as boot/netdevs.ts makes it, counting the records it has parsed. */
class CountingStream extends StreamBackend {
  records = 0;
  protected override enqueue(frame: Uint8Array): void {
    this.records++;
    super.enqueue(frame);
  }
}

/**
 * A patch cable between the back-end and the NIC: passes everything through unchanged (frames,
 * carrier, the monitor's description) and remembers which frame was being delivered when an
 * exception came out of the NIC, so the failure names the frame's index. The exception goes on.
 */
class Cable implements NetEndpoint {
  peer: NetEndpoint | null = null;
  other: NetEndpoint | null = null;
  /** The batch being delivered and the index of its first frame. */
  batch: Uint8Array[] = [];
  batch_first = 0;
  culprit = -1;

  private readonly from_backend: boolean;

  constructor(from_backend: boolean) {
    this.from_backend = from_backend;
  }

  /** What the far end answers (RX_NO_LINK when its PHY is down) goes back to the sender. */
  receive_frame(frame: Uint8Array, len: number): boolean {
    try {
      return this.other === null ? RX_NO_LINK : this.other.receive_frame(frame, len) !== RX_NO_LINK;
    } catch (e) {
      if (this.from_backend) this.culprit = this.find(frame, len);
      throw e;
    }
  }

  peer_link_changed(up: boolean): void {
    this.other?.peer_link_changed?.(up);
  }

  describe(): string {
    return this.other?.describe?.() ?? "connected";
  }

  private find(frame: Uint8Array, len: number): number {
    outer: for (let i = 0; i < this.batch.length; i++) {
      const f = this.batch[i]!;
      if (f.length !== len) continue;
      for (let j = 0; j < len; j++) if (f[j] !== frame[j]) continue outer;
      return this.batch_first + i;
    }
    return -1;
  }
}

/** Join back-end and NIC through a pair of cable ends. */
function cable(backend: NetEndpoint, nic: NetEndpoint): Cable {
  const a = new Cable(true); // faces the back-end: frames from it go to the NIC
  const b = new Cable(false); // faces the NIC: frames from it go to the back-end
  a.other = nic;
  b.other = backend;
  net_connect(backend, a);
  net_connect(b, nic);
  return a;
}

/** A plan entry: what the fuzzer puts on the wire for one frame index. */
type Op = { t: "frame" } | { t: "storm" } | { t: "close-oversize" } | { t: "close-truncated" };

/** The plan of batch `b`: how many frame indices it uses and what ends it. */
function batch_plan(seed: number, b: number): { size: number; storm: boolean; close: Op["t"] | null } {
  const r = Rng.for_op(seed, PHASE.batch, b);
  const storm = r.chance(0.01);
  const size = storm ? r.range(1025, 1300) : r.weighted([[60, r.range(1, 32)], [35, r.range(33, 128)], [5, r.range(129, 600)]]);
  const close = r.chance(0.003) ? (r.chance(0.5) ? "close-oversize" : "close-truncated") : null;
  return { size, storm, close };
}

function frame_for(seed: number, idx: number, storm: boolean): Uint8Array {
  const r = Rng.for_op(seed, PHASE.frames, idx);
  return storm ? storm_frame(r, WIRE) : gen_frame(r, WIRE).frame;
}

async function free_port(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      const port = typeof a === "object" && a !== null ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** The fuzzer's end of the wire: writes records, reassembles the guest's records. */
class Peer {
  sock: Socket | null = null;
  private buf: Buffer = Buffer.alloc(0);
  received = 0;
  closed = false;
  on_frame: ((f: Uint8Array) => void) | null = null;

  async open(port: number): Promise<void> {
    this.closed = false;
    this.buf = Buffer.alloc(0);
    await new Promise<void>((resolve, reject) => {
      const s = connect(port, "127.0.0.1", () => resolve());
      s.once("error", reject);
      s.on("data", (d: Buffer) => this.input(d));
      s.on("close", () => {
        this.closed = true;
      });
      s.on("error", () => {});
      s.setNoDelay(true);
      this.sock = s;
    });
  }

  private input(d: Buffer): void {
    this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
    let i = 0;
    while (this.buf.length - i >= 4) {
      const n = this.buf.readUInt32BE(i);
      if (this.buf.length - i - 4 < n) break;
      this.received++;
      this.on_frame?.(this.buf.subarray(i + 4, i + 4 + n));
      i += 4 + n;
    }
    this.buf = this.buf.subarray(i);
  }

  write_records(frames: Uint8Array[], tail: Uint8Array | null = null): void {
    let total = tail?.length ?? 0;
    for (const f of frames) total += 4 + f.length;
    const b = Buffer.allocUnsafe(total);
    let o = 0;
    for (const f of frames) {
      b.writeUInt32BE(f.length, o);
      b.set(f, o + 4);
      o += 4 + f.length;
    }
    if (tail !== null) b.set(tail, o);
    this.sock!.write(b);
  }
}

/** Read the guest's counters the way the guest shows them. */
export async function read_counters(g: Guest, ifname = "eth0"): Promise<GuestCounters> {
  const info = monitor_command(g.machine, "info network");
  const line = info.split("\n").find((l) => l.includes("dropped:")) ?? "";
  const { values, drop_names } = parse_backend_line(line);
  const nc = with_kernel(g.kernel, () => net_control());
  const netdev: Record<string, Record<string, number>> = {};
  let ethtool: Record<string, number> = {};
  if (nc !== null) {
    for (const l of with_kernel(g.kernel, () => nc.getlinks())) netdev[l.name] = { ...(l.stats as unknown as Record<string, number>) };
    // `ethtool -S`: the request runs to completion before its first await, inside with_kernel.
    const reply = await with_kernel(g.kernel, () => nc.ethtool(ifname, { cmd: "stats" }));
    if (typeof reply === "object" && reply.kind === "stats") ethtool = Object.fromEntries(reply.stats);
  }
  const s = with_kernel(g.kernel, () => inet_control()?.snmp());
  const snmp = typeof s === "object" && s !== null ? s : {};
  return { backend: values, backend_drop_names: drop_names, ethtool, netdev, snmp };
}

export interface FrameOptions {
  seed: number;
  frames: number;
  liveness_every: number;
  /** Only this frame index (and a liveness probe): --replay. */
  replay?: number;
  /** Called with progress (frames offered so far). */
  progress?: (done: number) => void;
  /** Memory sampling hook after warm-up and at the end. */
  on_warm?: () => void;
}

export async function run_frames(opts: FrameOptions): Promise<FrameResult> {
  const t0 = performance.now();
  const port = await free_port();
  let backend: CountingStream | null = null;
  let wire: Cable | null = null;
  const g = boot_guest({
    mac: WIRE.guest_mac,
    ip: "10.0.7.1/24",
    setup: (m, nic) => {
      backend = new CountingStream("n0", m.clock, m.tracer, () => {}, true, { type: "inet", host: "127.0.0.1", port }, 1000);
      wire = cable(backend, nic);
    },
  });
  const be = backend! as CountingStream;
  const tap = wire! as Cable;
  const failures: Failure[] = [];
  let escapes = 0;
  const replay = (idx: number): string => `--seed ${opts.seed} --replay ${idx}   (or the prefix: --seed ${opts.seed} --frames ${idx + 1} --ops 0 --shell 0)`;
  const on_uncaught = (e: unknown): void => {
    escapes++;
    if (failures.length < 50) failures.push({ kind: "escape", phase: "frames", index: current, what: `uncaught in host callback: ${(e as Error)?.stack ?? String(e)}`, replay: replay(current) });
  };
  process.on("uncaughtException", on_uncaught);
  let current = 0;
  const escape_kinds = new Map<string, number>();

  /** Run the machine for `ns` of virtual time; an exception out of it is an escape. */
  const run = async (ns: number, until?: () => boolean): Promise<boolean> => {
    const wall_deadline = performance.now() + 20_000;
    let wall_out = false;
    try {
      await g.world.run({ for_ns: ns, until: () => (performance.now() > wall_deadline ? (wall_out = true) : (until?.() ?? false)) });
    } catch (e) {
      escapes++;
      const at = tap.culprit >= 0 ? tap.culprit : current;
      tap.culprit = -1;
      const what = (e as Error)?.stack ?? String(e);
      const key = what.split("\n").slice(0, 2).join("|");
      const seen = escape_kinds.get(key) ?? 0;
      escape_kinds.set(key, seen + 1);
      if (seen < 3 && failures.length < 50) failures.push({ kind: "escape", phase: "frames", index: at, what, replay: replay(at) });
    }
    return !wall_out;
  };

  const err = await be.start();
  if (err !== null) throw new Error(err);
  await run(1e9); // boot: modules, ip=, init
  const peer = new Peer();
  let probe_seq = 0;
  let reply_seen = false;
  let frames_from_guest = 0;
  peer.on_frame = (f) => {
    frames_from_guest++;
    if (!reply_seen && is_liveness_reply(f, WIRE, probe_seq)) reply_seen = true;
  };
  let reconnects = 0;
  let other_hangs = 0;
  let records_expected = 0;
  /** Connect and wait (on the virtual clock) for the guest's link to come up. */
  const attach = async (): Promise<void> => {
    await peer.open(port);
    const wall = performance.now() + 10_000;
    while (!g.nic.link_up && performance.now() < wall) {
      await tick();
      await run(10e6);
    }
    if (!g.nic.link_up) {
      other_hangs++;
      failures.push({ kind: "hang", phase: "frames", index: current, what: "guest link did not come up after (re)connecting", replay: replay(current) });
    }
  };
  await attach();
  await run(3e9); // carrier seen by the watchdog, gratuitous ARP sent

  let offered = 0;
  let sent_records = 0;
  let probes = 0;
  let probe_frames = 0;
  let probe_failures = 0;
  let since_probe = 0;
  let warm_done = false;

  /** Wait until the back-end has parsed every record written so far (host only, no machine time). */
  const wait_records = async (): Promise<boolean> => {
    const wall = performance.now() + 15_000;
    while (be.records < records_expected) {
      if (performance.now() > wall || peer.closed) return false;
      await tick();
    }
    return true;
  };

  /**
   * A liveness probe, as a pinger does it: ARP who-has + echo request, sent again every 250 ms of
   * virtual time (up to 8 times) until the echo reply comes back over the socket.
   */
  const probe = async (): Promise<void> => {
    probes++;
    probe_seq = (probe_seq + 1) & 0xffff;
    reply_seen = false;
    const wall = performance.now() + 10_000;
    for (let attempt = 0; attempt < 8 && !reply_seen && performance.now() < wall; attempt++) {
      const fs = liveness_frames(WIRE, probe_seq);
      peer.write_records(fs);
      records_expected += fs.length;
      offered += fs.length;
      probe_frames += fs.length;
      sent_records += fs.length;
      await wait_records();
      for (let i = 0; i < 250 && !reply_seen && performance.now() < wall; i++) {
        await run(1e6);
        await tick();
      }
    }
    for (let i = 0; i < 200 && !reply_seen; i++) await tick();
    if (!reply_seen) {
      probe_failures++;
      if (failures.length < 50) failures.push({ kind: "hang", phase: "frames", index: current, what: `no echo reply to liveness probe ${probe_seq} (8 tries over 2 s) after frame ${current}`, replay: replay(current) });
    }
  };

  const send_batch = async (frames: Uint8Array[], close: string | null): Promise<void> => {
    let tail: Uint8Array | null = null;
    if (close === "close-oversize") {
      tail = new Uint8Array(8);
      new DataView(tail.buffer).setUint32(0, MAX_RECORD + 1 + (current % 1000));
    } else if (close === "close-truncated") {
      tail = Uint8Array.of(0, 0, 0, 100, 1, 2, 3);
    }
    tap.batch = frames;
    tap.batch_first = current;
    peer.write_records(frames, tail);
    records_expected += frames.length;
    sent_records += frames.length + (tail !== null ? 1 : 0);
    if (!(await wait_records())) {
      other_hangs++;
      if (failures.length < 50) failures.push({ kind: "hang", phase: "frames", index: current, what: `the back-end did not read the batch (${be.records}/${records_expected} records)`, replay: replay(current) });
      records_expected = be.records;
    }
    await run(frames.length > 600 ? 20e6 : 3e6);
    if (tail !== null) {
      // The back-end closes the connection (oversize) or sees it cut mid-record (truncated).
      if (close === "close-truncated") peer.sock!.end();
      const wall = performance.now() + 10_000;
      while (!peer.closed && performance.now() < wall) await tick();
      if (close === "close-oversize") peer.sock?.destroy();
      for (let i = 0; i < 20; i++) await tick();
      reconnects++;
      await run(1e6);
      await attach();
    }
  };

  if (opts.replay !== undefined) {
    // Find what index `replay` was in the plan, send it alone.
    let b = 0;
    let first = 0;
    for (;;) {
      const plan = batch_plan(opts.seed, b);
      if (opts.replay < first + plan.size) {
        current = opts.replay;
        const f = frame_for(opts.seed, opts.replay, plan.storm);
        process.stdout.write(`replaying frame ${opts.replay} (${f.length} bytes${plan.storm ? ", storm" : ""}): ${Buffer.from(f.subarray(0, 64)).toString("hex")}${f.length > 64 ? "…" : ""}\n`);
        await send_batch([f], null);
        offered += 1;
        break;
      }
      first += plan.size;
      b++;
    }
    await probe();
  } else {
    let b = 0;
    while (offered < opts.frames) {
      const plan = batch_plan(opts.seed, b++);
      const size = Math.min(plan.size, opts.frames - offered);
      const frames: Uint8Array[] = [];
      const first = current;
      for (let i = 0; i < size; i++) frames.push(frame_for(opts.seed, first + i, plan.storm));
      const close = plan.close !== null && offered + size < opts.frames ? plan.close : null;
      await send_batch(frames, close);
      offered += size + (close !== null ? 1 : 0);
      current = first + size;
      since_probe += size;
      if (since_probe >= opts.liveness_every) {
        since_probe = 0;
        await probe();
      }
      opts.progress?.(offered);
      if (!warm_done && offered >= Math.min(20_000, opts.frames / 10)) {
        warm_done = true;
        opts.on_warm?.();
      }
    }
    await probe();
  }
  // Quiesce, then let the driver's watchdog fold the hardware statistics (every 2 s).
  await run(2.5e9);
  const counters = await read_counters(g);
  const accounting = account(offered, counters);
  if (accounting.unaccounted !== 0) {
    failures.push({ kind: "unaccounted", phase: "frames", index: current, what: `${accounting.unaccounted} frames unaccounted; per layer: ${accounting.layers.filter((l) => l[3] !== 0).map((l) => `${l[0]}: ${l[3]}`).join("; ") || "-"}`, replay: `--seed ${opts.seed} --frames ${offered}` });
  }
  for (const r of g.reports) failures.push({ kind: "oops", phase: "frames", index: current, what: r, replay: `--seed ${opts.seed} --frames ${offered}` });
  process.off("uncaughtException", on_uncaught);
  peer.sock?.destroy();
  be.stop();
  await g.world.run({ for_ns: 1e6 }).catch(() => {});
  return {
    offered,
    sent_records,
    liveness_probes: probes,
    liveness_frames: probe_frames,
    liveness_failures: probe_failures,
    hangs: probe_failures + other_hangs,
    escapes,
    frames_from_guest,
    accounting,
    counters,
    failures,
    wall_ms: performance.now() - t0,
    reconnects,
    guest_warnings: g.warnings,
    kernel_reports: g.reports,
    dmesg_tail: with_kernel(g.kernel, () => dmesg_text()).slice(-4000),
  };
}
