/**
 * `npm run fuzz -- [--target all|e1000|virtio] [--frames N] [--ops N] [--shell N] [--virtio-ops N] [--virtio-frames N] [--seed S] [--liveness K]`
 * `npm run fuzz -- --seed S --replay IDX [--phase frames|mmio]`
 *
 * Runs (a) hostile frames through a real socket back-end with liveness pings, (b) random and
 * targeted register/config-space operations on the e1000 model (bare, and a share with the driver
 * loaded), (c) random shell input on the console; prints what happened to every frame by the
 * guest's own counters, escapes, hangs, memory growth and rates; (d) virtio-net: a misbehaving
 * driver against the model, and hostile frames into a guest running the virtio_net driver, with
 * liveness pings and the same wire → stack accounting table as (a). Exit status 1 when any frame
 * is unaccounted, any exception escaped or anything hung. Every failure line carries the seed and
 * operation index that replays it.
 */
import v8 from "node:v8";
import vm from "node:vm";
import { performance } from "node:perf_hooks";
import { run_frames, type Failure, type FrameResult } from "./frames.ts";
import { replay_mmio, run_mmio, type MmioResult } from "./mmio.ts";
import { run_shell, type ShellResult } from "./shell.ts";
import { run_virtio_driver, run_virtio_wire, type VirtioDriverResult, type VirtioWireResult } from "./virtio_net.ts";

const USAGE = `usage: npm run fuzz -- [--target all|e1000|virtio] [--frames N] [--ops N] [--shell N] [--virtio-ops N] [--virtio-frames N] [--seed S] [--liveness K]
       npm run fuzz -- --seed S --replay IDX [--phase frames|mmio]
  --frames N    hostile frames through -netdev stream on 127.0.0.1 (default 20000)
  --ops N       e1000 register/config-space operations (default 100000; 1% with the driver loaded)
  --shell N     random shell inputs, each followed by 'echo alive' (default 100)
  --virtio-ops N     hostile-driver operations on the virtio-net model (default 20000)
  --virtio-frames N  hostile frames into a guest with the virtio_net driver up (default 5000;
                     accounted wire → stack as in (a), liveness pings every --liveness frames)
  --target T    all (default), e1000 (phases a-c only) or virtio (phase d only)
  --seed S      the run's seed (default 1)
  --liveness K  ping the guest every K frames (default 1000)
  --replay IDX  run only operation IDX of --phase (frames: the frame alone, then a ping)
`;

interface Args {
  frames: number;
  ops: number;
  shell: number;
  seed: number;
  liveness: number;
  replay: number | null;
  phase: "frames" | "mmio";
  virtio_ops: number;
  virtio_frames: number;
  target: "all" | "e1000" | "virtio";
}

function parse(argv: string[]): Args | string {
  const a: Args = { frames: 20000, ops: 100000, shell: 100, seed: 1, liveness: 1000, replay: null, phase: "frames", virtio_ops: 20000, virtio_frames: 5000, target: "all" };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    const v = argv[i + 1];
    const num = (): number | string => {
      i++;
      const n = Number(v);
      return v === undefined || !Number.isInteger(n) || n < 0 ? `${k}: expected a non-negative integer (got '${v ?? ""}')` : n;
    };
    switch (k) {
      case "--frames":
      case "--ops":
      case "--shell":
      case "--seed":
      case "--liveness":
      case "--replay":
      case "--virtio-ops":
      case "--virtio-frames": {
        const n = num();
        if (typeof n === "string") return n;
        if (k === "--replay") a.replay = n;
        else if (k === "--virtio-ops") a.virtio_ops = n;
        else if (k === "--virtio-frames") a.virtio_frames = n;
        else a[k.slice(2) as "frames" | "ops" | "shell" | "seed" | "liveness"] = n;
        break;
      }
      case "--phase":
        i++;
        if (v !== "frames" && v !== "mmio") return `--phase: frames or mmio (got '${v ?? ""}')`;
        a.phase = v;
        break;
      case "--target":
        i++;
        if (v !== "all" && v !== "e1000" && v !== "virtio") return `--target: all, e1000 or virtio (got '${v ?? ""}')`;
        a.target = v;
        break;
      case "-h":
      case "--help":
        return "";
      default:
        return `unknown option '${k}'`;
    }
  }
  if (a.liveness < 1) a.liveness = 1;
  if (a.target === "virtio") a.frames = a.ops = a.shell = 0;
  if (a.target === "e1000") a.virtio_ops = a.virtio_frames = 0;
  return a;
}

/** gc() when the host allows it (the flag can be set at run time; the function comes from a new context). */
function get_gc(): (() => void) | null {
  const g = (globalThis as { gc?: () => void }).gc;
  if (typeof g === "function") return g;
  try {
    v8.setFlagsFromString("--expose-gc");
    return vm.runInNewContext("gc") as () => void;
  } catch {
    return null;
  }
}

const MB = (n: number): string => `${(n / 1048576).toFixed(1)} MB`;
const row = (name: string, value: string | number, indent = 2): string => `${" ".repeat(indent)}${name.padEnd(44 - indent)} ${String(value).padStart(12)}\n`;

const FRAMES_TITLE = "(a) hostile frames → -netdev stream (tcp 127.0.0.1) → e1000 → driver → stack";
const VIRTIO_WIRE_TITLE = "(d) hostile frames → in-process back-end (virtual clock) → virtio-net → virtio_net → stack";

/** The wire phases' report: what happened to every frame, by the guest's counters, and layer by layer. */
function frames_table(r: FrameResult, title = FRAMES_TITLE): string {
  const a = r.accounting;
  let s = `${title}\n`;
  s += row("frames offered by the wire", a.offered_wire);
  s += row("  of which liveness probes (ARP + ping)", r.liveness_frames);
  s += row("frames the guest looped back to itself (lo)", a.offered_lo);
  s += "  delivered to a protocol / socket:\n";
  for (const [k, v] of a.delivered) s += row(k, v, 4);
  s += row("delivered total", a.delivered_total, 4);
  s += title === FRAMES_TITLE ? "  dropped, by guest-visible counter:\n" : "  dropped, by counter (virtio-net: the device's, from ~info network; the rest the guest's):\n";
  for (const [k, v] of a.drops) s += row(k, v, 4);
  s += row("dropped total", a.drops_total, 4);
  s += row("UNACCOUNTED (offered - delivered - dropped)", a.unaccounted);
  s += "  per-layer balance (in, counted out, lost):\n";
  for (const [k, i, o, d] of a.layers) s += `    ${k.padEnd(40)} ${String(i).padStart(10)} ${String(o).padStart(10)} ${String(d).padStart(8)}\n`;
  s += row("liveness probes / failed", `${r.liveness_probes} / ${r.liveness_failures}`);
  s += row("hangs (probes failed, link or back-end stuck)", r.hangs);
  s += row("exceptions escaped", r.escapes);
  s += row("frames sent by the guest", r.frames_from_guest);
  s += row("reconnects (oversize / truncated records)", r.reconnects);
  s += row("model/back-end warnings (trace lines)", r.guest_warnings);
  s += row("kernel reports (Oops/BUG/WARNING/lockup)", r.kernel_reports.length);
  s += row("wall time", `${(r.wall_ms / 1000).toFixed(1)} s`);
  s += row("rate", `${Math.round(a.offered_wire / (r.wall_ms / 1000))} frames/s`);
  return s;
}

function mmio_table(r: MmioResult): string {
  let s = "(b) e1000 registers, config space, descriptors, wire (bare model; a share with the driver loaded)\n";
  s += row("operations", r.ops);
  s += row("  of which against a driver-loaded NIC", r.driver_ops);
  s += row("exceptions escaped", r.escapes);
  s += row("hangs", r.hangs);
  s += row("DMA master aborts reported by the model", r.dma_errors);
  s += row("kernel reports (Oops/BUG/WARNING/lockup)", r.kernel_reports.length);
  s += row("wall time", `${(r.wall_ms / 1000).toFixed(1)} s`);
  s += row("rate", `${Math.round(r.ops / (r.wall_ms / 1000))} ops/s`);
  return s;
}

function shell_table(r: ShellResult): string {
  let s = "(c) random shell input on the console, each followed by ^C and 'echo alive_N'\n";
  s += row("inputs", r.ops);
  s += row("hangs (no alive_N)", r.hangs);
  s += row("exceptions escaped", r.escapes);
  s += row("power-offs (exit, ^D, poweroff) → reboot", r.reboots);
  s += row("kernel reports (Oops/BUG/WARNING/lockup)", r.kernel_reports.length);
  s += row("wall time", `${(r.wall_ms / 1000).toFixed(1)} s`);
  s += row("rate", `${(r.ops / (r.wall_ms / 1000)).toFixed(1)} inputs/s`);
  return s;
}

function virtio_driver_table(d: VirtioDriverResult): string {
  let s = "(d) virtio-net: a misbehaving driver against the bare model\n";
  s += row("driver operations", d.ops);
  s += row("  fresh machines", d.machines);
  s += row("  device errors (DEVICE_NEEDS_RESET)", d.device_errors);
  s += row("  frames the model transmitted", d.frames_out);
  s += row("  exceptions escaped", d.escapes);
  s += row("  model errors (caught exceptions)", d.model_errors);
  s += row("  wall time / rate", `${(d.wall_ms / 1000).toFixed(1)} s, ${Math.round(d.ops / (d.wall_ms / 1000))} ops/s`);
  return s;
}

function virtio_wire_table(w: VirtioWireResult): string {
  let s = frames_table(w, VIRTIO_WIRE_TITLE);
  s += row("hostile frames (offered without the probes)", w.frames);
  s += row("virtio-net model errors (caught exceptions)", w.model_errors);
  return s;
}

async function main(): Promise<number> {
  const args = parse(process.argv.slice(2));
  if (typeof args === "string") {
    process.stderr.write((args === "" ? "" : `fuzz: ${args}\n`) + USAGE);
    return args === "" ? 0 : 2;
  }
  const out = (s: string): boolean => process.stdout.write(s);
  if (args.replay !== null) {
    if (args.phase === "mmio") {
      out(replay_mmio(args.seed, args.replay) + "\n");
      return 0;
    }
    const r = await run_frames({ seed: args.seed, frames: 1, liveness_every: 1, replay: args.replay });
    out(frames_table(r));
    for (const f of r.failures) out(`FAIL ${f.kind} [${f.phase} #${f.index}] ${f.what}\n`);
    return r.failures.length > 0 ? 1 : 0;
  }
  const gc = get_gc();
  const mem = (): NodeJS.MemoryUsage => {
    gc?.();
    return process.memoryUsage();
  };
  const t0 = performance.now();
  out(`ringzero fuzz: seed ${args.seed}, ${args.frames} frames, ${args.ops} register operations, ${args.shell} shell inputs, ${args.virtio_ops} virtio driver operations, ${args.virtio_frames} virtio frames${gc ? "" : " (no gc(): memory figures include garbage)"}\n`);
  const failures: Failure[] = [];
  let warm: NodeJS.MemoryUsage | null = null;
  const rss_samples: number[] = [];
  let unaccounted = 0;
  let escapes = 0;
  let hangs = 0;
  let reports = 0;
  const progress = (what: string, total: number) => (n: number) => {
    if (process.stderr.isTTY) process.stderr.write(`\r${what} ${n}/${total}   `);
  };
  let fr: FrameResult | null = null;
  if (args.frames > 0) {
    // RSS at each tenth of the frames phase: growth that levels off is warm-up (JIT code, socket
    // buffers, allocator pools), growth that keeps going is a leak.
    const tick = progress("frames", args.frames);
    let next_sample = args.frames / 10;
    const on_progress = (n: number): void => {
      tick(n);
      if (n >= next_sample) {
        next_sample += args.frames / 10;
        rss_samples.push(mem().rss);
      }
    };
    fr = await run_frames({ seed: args.seed, frames: args.frames, liveness_every: args.liveness, progress: on_progress, on_warm: () => (warm = mem()) });
    if (process.stderr.isTTY) process.stderr.write("\r\x1b[K");
    out(frames_table(fr));
    unaccounted += Math.abs(fr.accounting.unaccounted);
    escapes += fr.escapes;
    hangs += fr.hangs;
    reports += fr.kernel_reports.length;
    failures.push(...fr.failures);
  }
  let after_frames = mem();
  warm ??= after_frames;
  if (args.ops > 0) {
    const r = await run_mmio({ seed: args.seed, ops: args.ops, progress: progress("ops", args.ops) });
    if (process.stderr.isTTY) process.stderr.write("\r\x1b[K");
    out(mmio_table(r));
    escapes += r.escapes;
    hangs += r.hangs;
    reports += r.kernel_reports.length;
    failures.push(...r.failures);
  }
  if (args.shell > 0) {
    const r = await run_shell({ seed: args.seed, ops: args.shell, progress: progress("shell", args.shell) });
    if (process.stderr.isTTY) process.stderr.write("\r\x1b[K");
    out(shell_table(r));
    escapes += r.escapes;
    hangs += r.hangs;
    reports += r.kernel_reports.length;
    failures.push(...r.failures);
  }
  let virtio_failed = 0;
  if (args.virtio_ops > 0 || args.virtio_frames > 0) {
    const d = args.virtio_ops > 0 ? run_virtio_driver({ seed: args.seed, ops: args.virtio_ops, progress: progress("virtio ops", args.virtio_ops) }) : null;
    if (process.stderr.isTTY) process.stderr.write("\r\x1b[K");
    if (d !== null) out(virtio_driver_table(d));
    const w = args.virtio_frames > 0 ? await run_virtio_wire({ seed: args.seed, frames: args.virtio_frames, liveness_every: args.liveness, progress: progress("virtio frames", args.virtio_frames) }) : null;
    if (process.stderr.isTTY) process.stderr.write("\r\x1b[K");
    if (w !== null) out(virtio_wire_table(w));
    for (const r of [d, w]) {
      if (r === null) continue;
      escapes += r.escapes;
      virtio_failed += r.failures.filter((f) => f.kind !== "oops").length;
      failures.push(...r.failures);
    }
    if (w !== null) {
      hangs += w.hangs;
      unaccounted += Math.abs(w.accounting.unaccounted);
      reports += w.kernel_reports.length;
    }
  }
  const end = mem();
  if (fr === null) after_frames = end;
  out("memory (after warm-up → end of the frames phase → end of run)\n");
  out(row("RSS", `${MB(warm.rss)} → ${MB(after_frames.rss)} → ${MB(end.rss)}`));
  out(row("RSS growth over the frames phase", MB(after_frames.rss - warm.rss)));
  if (rss_samples.length >= 4) {
    out(row("RSS at each tenth of the frames", rss_samples.map((b) => (b / 1048576).toFixed(0)).join(" ") + " MB"));
    const half = rss_samples[Math.floor(rss_samples.length / 2) - 1]!;
    out(row("RSS growth over the second half", MB(rss_samples[rss_samples.length - 1]! - half)));
  }
  out(row("heap used", `${MB(warm.heapUsed)} → ${MB(after_frames.heapUsed)} → ${MB(end.heapUsed)}`));
  out(row("heap growth over the frames phase", MB(after_frames.heapUsed - warm.heapUsed)));
  out(row("array buffers (external)", `${MB(warm.arrayBuffers)} → ${MB(after_frames.arrayBuffers)} → ${MB(end.arrayBuffers)}`));
  out(row("total wall time", `${((performance.now() - t0) / 1000).toFixed(1)} s`));
  const real = failures.filter((f) => f.kind !== "oops");
  const reported = failures.filter((f) => f.kind === "oops");
  const print = (f: Failure): void => {
    out(`  ${f.kind === "oops" ? "REPORT" : "FAIL"} ${f.kind} [${f.phase} #${f.index}] ${f.what.split("\n").slice(0, 6).join("\n      ")}\n      replay: npm run fuzz -- ${f.replay}\n`);
  };
  if (real.length > 0) {
    out(`failures (${real.length}${real.length >= 50 ? ", first ones" : ""}):\n`);
    for (const f of real) print(f);
  }
  if (reported.length > 0) {
    // Kernel reports are not failures by themselves: "nobody cared" is Linux's answer when a rogue
    // register write turns off a NIC's decode under its driver. Identical ones are printed once.
    out(`kernel reports (${reported.length}; a failure only if nothing rogue explains them):\n`);
    const seen = new Map<string, number>();
    for (const f of reported) {
      const key = `${f.phase}: ${f.what.split("\n")[0]}`;
      const n = seen.get(key) ?? 0;
      seen.set(key, n + 1);
      if (n === 0) print(f);
    }
    for (const [key, n] of seen) if (n > 1) out(`  (the report "${key}" came ${n} times)\n`);
  }
  const ok = unaccounted === 0 && escapes === 0 && hangs === 0 && virtio_failed === 0;
  out(`RESULT: unaccounted=${unaccounted} escapes=${escapes} hangs=${hangs} virtio_failures=${virtio_failed} kernel_reports=${reports} → ${ok ? "PASS" : "FAIL"}\n`);
  return ok ? 0 : 1;
}

process.exitCode = await main();
// Sockets and timers of the guests are closed; exit even if a stray handle remains.
setImmediate(() => process.exit(process.exitCode));
