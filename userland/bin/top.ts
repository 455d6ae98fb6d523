import { EINTR } from "../../include/linux/errno.ts";
import { SIGINT } from "../../include/linux/sched.ts";
import { CLOCK_REALTIME, type Syscalls } from "../../include/uapi/syscalls.ts";
import type { Command } from "../lib/command.ts";
import { fixed } from "../lib/fcvt.ts";
import { count_users, HZ, pid_length, read_loadavg, read_meminfo, read_tasks, read_uptime, user_name, type ProcTask } from "../lib/procps.ts";
import { read_text } from "../lib/stdio.ts";
import { uptime_line } from "./uptime.ts";

/**
 * top (procps-ng 4.0.2 src/top/top.c): the summary (uptime and load, task states, CPU states,
 * memory in MiB) and the task table — PID USER PR NI VIRT RES SHR S %CPU %MEM TIME+ COMMAND,
 * sorted by %CPU — every DELAY seconds. %CPU is a task's ticks over the interval since the last
 * frame (the first frame's interval starts when top starts). The %Cpu(s) line comes from
 * /proc/stat's cpu line; without one, us and sy are the tasks' own tick deltas over the interval
 * and id the rest (the kernel keeps no wait, irq or steal times, so those read 0.0). Batch mode
 * (-b) prints frame after frame; without -b each frame is redrawn on a cleared screen of
 * COLUMNS×LINES, and the interactive keys are not offered.
 */
const USAGE = `
Usage:
 top [options]

Options:
 -b, --batch-mode                run in non-interactive batch mode
 -c, --cmdline-toggle            reverse last remembered 'c' state
 -d, --delay =SECS [.TENTHS]     iterative delay as SECS [.TENTHS]
 -n, --iterations =NUMBER        exit on maximum iterations NUMBER
 -p, --pid =PIDLIST              monitor only the tasks in PIDLIST
 -w, --width [=COLUMNS]          change print width [,use COLUMNS]

 -h, --help                      display this help text, then exit

For more details see top(1).
`;

/** One frame's inputs. */
export interface TopSample {
  now_s: number;
  uptime_s: number;
  users: number;
  load: [number, number, number];
  tasks: ProcTask[];
  /** Tick deltas per pid since the previous sample, and that interval in seconds. */
  delta: Map<number, number>;
  et: number;
  mem: ReadonlyMap<string, number>;
  /** us, sy, ni, id, wa, hi, si, st in percent. */
  cpu: number[];
}

/** scale_mem(): KiB scaled into `width` (k, m, g … with one decimal past KiB). */
export function scale_mem(kib: number, width: number): string {
  let num = Math.fround(kib); // top's scale_mem() works in a float
  const sfx = "kmgtpe";
  for (let i = 0; i < 5; i++) {
    const s = i === 0 ? fixed(num, 0) : `${fixed(num, 1)}${sfx[i]}`;
    if (s.length <= width) return s;
    num = Math.fround(num / 1024);
  }
  return "?";
}

/** scale_tics(TICS_AS_SECS): "m:ss.cc", then "m:ss", "h,mm", "Dd+Hh", "Dd", "Ww+Dd", "Ww". */
export function scale_tics(tics: number, width: number): string {
  let nt = Math.floor((tics * 100) / HZ);
  const cent = nt % 100;
  const secs = (nt = Math.floor(nt / 100));
  const mins = (nt = Math.floor(nt / 60));
  const hour = (nt = Math.floor(nt / 60));
  const days = (nt = Math.floor(nt / 24));
  const week = Math.floor(nt / 7);
  const p2 = (n: number): string => String(n).padStart(2, "0");
  const tries: string[] = [];
  if (mins < 361) tries.push(`${mins}:${p2(secs % 60)}.${p2(cent)}`, `${mins}:${p2(secs % 60)}`);
  if (hour < 97) tries.push(`${hour},${p2(mins % 60)}`);
  if (days < 15) tries.push(`${days}d+${hour % 24}h`, `${days}d`);
  tries.push(`${week}w+${days % 7}d`, `${week}w`);
  return tries.find((s) => s.length <= width) ?? "?";
}

/** make_str(): cut to `width` with a "+" when it does not fit. */
function make_str(s: string, width: number): string {
  return s.length > width ? s.slice(0, width - 1) + "+" : s;
}

/** scale_pcnt(): "%#.1f", or "%*.0f" when that does not fit. */
function pcnt(v: number, width: number): string {
  const s = fixed(Math.fround(v), 1);
  return s.length <= width ? s : fixed(Math.fround(v), 0);
}

/** The whole frame (summary, blank line, header, tasks), `cols` wide, with at most `max_rows` task rows. */
export function top_frame(s: TopSample, o: { cols: number; pidlen: number; cmdline: boolean; max_rows: number; sys_users: (uid: number) => string }): string {
  const m = (k: string): number => s.mem.get(k) ?? 0;
  const total = m("MemTotal");
  let avail = m("MemAvailable") || m("MemFree");
  if (avail > total) avail = m("MemFree");
  const used = total - avail;
  const buffcache = m("Buffers") + m("Cached") + m("SReclaimable");
  const mib = (kib: number): string => `${fixed(Math.fround(kib) / 1024, 1)} `.padStart(9);
  const counts = { running: 0, sleeping: 0, stopped: 0, zombie: 0 };
  for (const t of s.tasks) {
    if (t.state === "R") counts.running++;
    else if (t.state === "T" || t.state === "t") counts.stopped++;
    else if (t.state === "Z") counts.zombie++;
    else counts.sleeping++; // S, D and the "other" states (I, P, X) as procps counts them
  }
  const n3 = (n: number): string => String(n).padStart(3);
  const f5 = (v: number): string => fixed(Math.fround(v), 1).padStart(5);
  const [us, sy, ni, id, wa, hi, si, st] = s.cpu.map(f5);
  let out = `top -${uptime_line(s.now_s, s.uptime_s, s.users, s.load)}\n`;
  out += `Tasks: ${n3(s.tasks.length)} total, ${n3(counts.running)} running, ${n3(counts.sleeping)} sleeping, ${n3(counts.stopped)} stopped, ${n3(counts.zombie)} zombie\n`;
  out += `%Cpu(s):${us} us,${sy} sy,${ni} ni,${id} id,${wa} wa,${hi} hi,${si} si,${st} st \n`;
  out += `MiB Mem : ${mib(total)}total, ${mib(m("MemFree"))}free, ${mib(used)}used, ${mib(buffcache)}buff/cache     \n`;
  out += `MiB Swap: ${mib(m("SwapTotal"))}total, ${mib(m("SwapFree"))}free, ${mib(Math.max(0, m("SwapTotal") - m("SwapFree")))}used. ${mib(avail)}avail Mem \n`;
  out += "\n";

  // Fixed columns, each padded to its width plus one space; COMMAND takes what is left.
  const fixed_w = o.pidlen + 1 + 9 + 4 + 4 + 8 + 7 + 7 + 2 + 6 + 6 + 10;
  const cmd_w = Math.max(7, o.cols - fixed_w - 1);
  const pcpu = (t: ProcTask): number => (s.et > 0 ? ((s.delta.get(t.pid) ?? 0) * 100) / (HZ * s.et) : 0);
  const row = (c: string[]): string => c.join(" ").replace(/ +$/, "") + "\n";
  out += row(["PID".padStart(o.pidlen), "USER".padEnd(8), " PR", " NI", "   VIRT", "   RES", "   SHR", "S", " %CPU", " %MEM", "    TIME+", "COMMAND"]);
  const sorted = s.tasks
    .map((t) => ({ t, cpu: pcpu(t) }))
    .sort((a, b) => b.cpu - a.cpu || a.t.pid - b.t.pid)
    .slice(0, o.max_rows);
  for (const { t, cpu } of sorted) {
    const pr = t.priority <= -100 ? "rt" : String(t.priority);
    const res = t.vm_rss_kb;
    const cmd = o.cmdline && t.cmdline.length > 0 ? t.cmdline.join(" ") : t.comm;
    out += row([
      String(t.pid).padStart(o.pidlen),
      make_str(o.sys_users(t.euid), 8).padEnd(8),
      make_str(pr, 3).padStart(3),
      make_str(String(t.nice), 3).padStart(3),
      scale_mem(t.vm_size_kb, 7).padStart(7),
      scale_mem(res, 6).padStart(6),
      scale_mem(t.shr_kb, 6).padStart(6),
      t.state,
      pcnt(cpu, 5).padStart(5),
      pcnt(total > 0 ? (res * 100) / total : 0, 5).padStart(5),
      scale_tics(t.utime + t.stime, 9).padStart(9),
      make_str(cmd, cmd_w),
    ]);
  }
  return out;
}

/** /proc/stat's first line: [user, nice, system, idle, iowait, irq, softirq, steal], or null. */
function read_cpu_line(sys: Syscalls): number[] | null {
  const t = read_text(sys, "/proc/stat");
  if (typeof t === "number") return null;
  const m = /^cpu +(.*)$/m.exec(t);
  if (m === null) return null;
  const v = m[1]!.trim().split(/\s+/).map(Number);
  while (v.length < 8) v.push(0);
  return v.slice(0, 8);
}

function parse_pids(v: string): number[] | null {
  const out = v.split(",").map((p) => (/^\d+$/.test(p.trim()) ? Number(p) : NaN));
  return out.some((n) => !Number.isInteger(n) || n <= 0) ? null : out;
}

export async function top(argv: readonly string[], sys: Syscalls): Promise<number> {
  let batch = false;
  let cmdline = false;
  let delay = 3;
  let iterations = Infinity;
  let pids: number[] | null = null;
  let width: number | null = null;
  const env_num = (name: string): number | null => {
    const v = Number(sys.environ().find((e) => e.startsWith(`${name}=`))?.slice(name.length + 1));
    return Number.isInteger(v) && v > 0 ? v : null;
  };
  const die = async (msg: string): Promise<number> => {
    await sys.write(2, `top: ${msg}\n${USAGE}`);
    return 1;
  };
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    const long: Readonly<Record<string, string>> = { "--batch-mode": "b", "--cmdline-toggle": "c", "--delay": "d", "--iterations": "n", "--pid": "p", "--width": "w", "--help": "h" };
    let flags = a;
    let val: string | undefined;
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      const c = long[eq < 0 ? a : a.slice(0, eq)];
      if (c === undefined) return die(`unrecognized option '${a}'`);
      flags = `-${c}`;
      if (eq >= 0) val = a.slice(eq + 1);
    } else if (!a.startsWith("-")) return die(`unknown option '${a}'`);
    for (let j = 1; j < flags.length; j++) {
      const c = flags[j]!;
      if (c === "b") batch = true;
      else if (c === "c") cmdline = !cmdline;
      else if (c === "h") {
        await sys.write(1, USAGE);
        return 0;
      } else if (c === "w") {
        const v = val ?? (flags.length > j + 1 ? flags.slice(j + 1) : /^\d+$/.test(argv[i + 1] ?? "") ? argv[++i] : undefined);
        width = v === undefined ? (env_num("COLUMNS") ?? 512) : Number(v);
        if (!Number.isInteger(width) || width < 1) return die(`bad width arg '${v}'`);
        break;
      } else if (c === "d" || c === "n" || c === "p") {
        const v = val ?? (flags.length > j + 1 ? flags.slice(j + 1) : argv[++i]);
        if (v === undefined) return die(`option requires an argument -- '${c}'`);
        if (c === "d") {
          delay = Number(v.replace(",", "."));
          if (!Number.isFinite(delay) || v.trim() === "") return die(`bad delay interval '${v}'`);
          if (delay < 0) return die(`delay interval must be positive`);
        } else if (c === "n") {
          iterations = Number(v);
          if (!Number.isInteger(iterations) || iterations < 1) return die(`bad iterations arg '${v}'`);
        } else {
          const p = parse_pids(v);
          if (p === null) return die(`bad pid '${v}'`);
          pids = [...(pids ?? []), ...p];
        }
        break;
      } else return die(`invalid option -- '${c}'`);
    }
  }
  const cols = Math.min(width ?? env_num("COLUMNS") ?? 80, 512);
  const rows = env_num("LINES") ?? 24;
  const pidlen = pid_length(sys);
  const users = new Map<number, string>();

  /** Each task's [utime, stime] at the previous frame. */
  let prev_ticks = new Map<number, [number, number]>();
  for (const t of read_tasks(sys)) prev_ticks.set(t.pid, [t.utime, t.stime]);
  let prev_up = read_uptime(sys)?.[0] ?? 0;
  let prev_cpu = read_cpu_line(sys);

  sys.sigaction(SIGINT, "catch");
  for (let frame = 0; frame < iterations; frame++) {
    if (frame > 0 && (await sys.nanosleep(delay * 1e9)) === -EINTR) break;
    // procs_refresh(): the interval since the last frame, 0.005 s at the least.
    const up = read_uptime(sys)?.[0] ?? 0;
    let et = up - prev_up;
    if (et < 0.01) et = 0.005;
    prev_up = up;
    const all = read_tasks(sys);
    const tasks = pids === null ? all : all.filter((t) => pids!.includes(t.pid));
    const delta = new Map<number, number>();
    const now_ticks = new Map<number, [number, number]>();
    let du = 0;
    let ds = 0;
    for (const t of all) {
      const [pu, ps] = prev_ticks.get(t.pid) ?? [0, 0];
      now_ticks.set(t.pid, [t.utime, t.stime]);
      const u = Math.max(0, t.utime - pu);
      const sy = Math.max(0, t.stime - ps);
      delta.set(t.pid, u + sy);
      du += u;
      ds += sy;
    }
    prev_ticks = now_ticks;
    const cpu_now = read_cpu_line(sys);
    let cpu: number[];
    if (cpu_now !== null && prev_cpu !== null) {
      const d = cpu_now.map((v, k) => Math.max(0, v - prev_cpu![k]!));
      let sum = d.reduce((x, y) => x + y, 0);
      // A frame with no ticks at all counts as idle (top's cpu_tics: "if (1 > tot_frme) idl_frme = tot_frme = 1").
      if (sum < 1) {
        d[3] = 1;
        sum = 1;
      }
      // [user, nice, system, idle, iowait, irq, softirq, steal] → us sy ni id wa hi si st
      cpu = [d[0]!, d[2]!, d[1]!, d[3]!, d[4]!, d[5]!, d[6]!, d[7]!].map((v) => (v * 100) / sum);
    } else {
      // No /proc/stat: the tasks' own ticks over the interval (one CPU), the rest idle.
      const us = Math.min(100, (du * 100) / (HZ * et));
      const sy = Math.min(100 - us, (ds * 100) / (HZ * et));
      cpu = [us, sy, 0, Math.max(0, 100 - us - sy), 0, 0, 0, 0];
    }
    prev_cpu = cpu_now;
    const sample: TopSample = {
      now_s: Math.floor(sys.clock_gettime(CLOCK_REALTIME) / 1e9),
      uptime_s: up,
      users: count_users(all),
      load: read_loadavg(sys)?.avg ?? [0, 0, 0],
      tasks,
      delta,
      et,
      mem: read_meminfo(sys) ?? new Map(),
      cpu,
    };
    const text = top_frame(sample, { cols, pidlen, cmdline, max_rows: batch ? Infinity : Math.max(0, rows - 7), sys_users: (uid) => user_name(sys, uid, 8, users) });
    if (batch) await sys.write(1, (frame > 0 ? "\n" : "") + text);
    else await sys.write(1, `\x1b[H\x1b[J${text.replace(/\n$/, "")}`);
  }
  if (!batch) await sys.write(1, "\n");
  return 0;
}

export const top_command: Command = {
  name: "top",
  summary: "display processes (batch mode: top -b)",
  usage: USAGE,
  main: top,
};
