/**
 * What procps's library (libproc2: readproc.c, sysinfo.c, uptime.c, meminfo.c, devname.c) reads
 * from /proc for ps, top, uptime, free and watch: the tasks (/proc/PID/stat, status, cmdline), the
 * uptime and load, the memory counters and the terminal names. A file the kernel does not have
 * reads as absent (null) rather than as made-up numbers; the tools say what they cannot show.
 */
import type { Syscalls } from "../../include/uapi/syscalls.ts";
import { CLOCK_REALTIME } from "../../include/uapi/syscalls.ts";
import { getpwuid } from "./pwd.ts";
import { read_text } from "./stdio.ts";

/** USER_HZ: the unit of the tick counts in /proc/PID/stat and /proc/stat (sysconf(_SC_CLK_TCK)). */
export const HZ = 100;
/** The page size /proc/PID/stat's rss counts in. */
export const PAGE_KB = 4;
/** PF_KTHREAD in /proc/PID/stat's flags (include/linux/sched.h). */
export const PF_KTHREAD = 0x00200000;

/** One task as procps's proc_t holds it (the fields our tools show). Times in ticks of HZ. */
export interface ProcTask {
  pid: number;
  /** The command name (comm): at most 15 characters in Linux. */
  comm: string;
  /** R, S, D, Z, T, t, X, I … */
  state: string;
  ppid: number;
  pgrp: number;
  session: number;
  /** The controlling terminal's device number (0: none). */
  tty_nr: number;
  /** The terminal's foreground process group (-1: none). */
  tpgid: number;
  flags: number;
  utime: number;
  stime: number;
  cutime: number;
  cstime: number;
  priority: number;
  nice: number;
  num_threads: number;
  /** Ticks after boot when the task started. */
  starttime: number;
  /** Virtual size in bytes and resident set in pages (/proc/PID/stat). */
  vsize: number;
  rss: number;
  /** VmSize and VmRSS (kB) from status, as procps 4 shows VSZ, RSS and %MEM; stat's numbers without them. */
  vm_size_kb: number;
  vm_rss_kb: number;
  /** Effective user id (the Uid line's second field). */
  euid: number;
  /** Locked memory (VmLck, kB): STAT's 'L'. */
  vm_lck_kb: number;
  /** Shared resident memory (RssFile + RssShmem, kB): top's SHR. */
  shr_kb: number;
  /** argv; empty for a kernel thread (procps shows "[comm]"). */
  cmdline: string[];
}

/** The numeric /proc entries, in pid order. */
export function proc_pids(sys: Syscalls): number[] {
  const names = sys.readdir("/proc");
  if (typeof names === "number") return [];
  return names
    .filter((n) => /^\d+$/.test(n))
    .map(Number)
    .sort((a, b) => a - b);
}

/** "Key:\tvalue" lines (/proc/PID/status, /proc/meminfo) as a map. */
export function parse_colon_lines(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split("\n")) {
    const i = line.indexOf(":");
    if (i > 0) m.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  return m;
}

/** The fields of /proc/PID/stat after "pid (comm)": index 0 is field 3 (state). */
function parse_stat(text: string): { pid: number; comm: string; rest: string[] } | null {
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  if (open < 0 || close < open) return null;
  return { pid: Number(text.slice(0, open).trim()), comm: text.slice(open + 1, close), rest: text.slice(close + 2).trim().split(/\s+/) };
}

/**
 * readproc() of one pid: /proc/PID/stat for the numbers, status for the owner and memory,
 * cmdline for argv. Without a stat file (an older kernel) the status file gives what it can and the
 * rest reads 0. Null when the task is gone.
 */
export function read_task(sys: Syscalls, pid: number): ProcTask | null {
  const status_text = read_text(sys, `/proc/${pid}/status`);
  const stat_text = read_text(sys, `/proc/${pid}/stat`);
  if (typeof status_text === "number" && typeof stat_text === "number") return null;
  const st = typeof status_text === "string" ? parse_colon_lines(status_text) : new Map<string, string>();
  const stat = typeof stat_text === "string" ? parse_stat(stat_text) : null;
  const f = (i: number): number => Number(stat?.rest[i - 3] ?? 0) || 0;
  const kb = (key: string): number => Number(/^(\d+)/.exec(st.get(key) ?? "")?.[1] ?? 0);
  const cmd = read_text(sys, `/proc/${pid}/cmdline`);
  const argv = typeof cmd === "string" && cmd !== "" ? cmd.replace(/\0$/, "").split("\0") : [];
  const uid_line = (st.get("Uid") ?? "0 0").split(/\s+/);
  return {
    pid,
    comm: stat?.comm ?? st.get("Name") ?? "",
    state: stat?.rest[0] ?? (st.get("State") ?? "?").charAt(0),
    ppid: stat !== null ? f(4) : Number(st.get("PPid") ?? 0),
    pgrp: f(5),
    session: f(6),
    tty_nr: f(7),
    tpgid: stat !== null ? f(8) : -1,
    flags: f(9),
    utime: f(14),
    stime: f(15),
    cutime: f(16),
    cstime: f(17),
    priority: stat !== null ? f(18) : 20,
    nice: f(19),
    num_threads: stat !== null ? f(20) : Number(st.get("Threads") ?? 1),
    starttime: f(22),
    vsize: stat !== null ? f(23) : kb("VmSize") * 1024,
    rss: stat !== null ? f(24) : kb("VmRSS") / PAGE_KB,
    vm_size_kb: st.has("VmSize") ? kb("VmSize") : Math.floor(f(23) / 1024),
    vm_rss_kb: st.has("VmRSS") ? kb("VmRSS") : f(24) * PAGE_KB,
    euid: Number(uid_line[1] ?? uid_line[0] ?? 0) || 0,
    vm_lck_kb: kb("VmLck"),
    shr_kb: kb("RssFile") + kb("RssShmem"),
    cmdline: argv,
  };
}

/** Every task, in pid order (those that exit while being read are skipped). */
export function read_tasks(sys: Syscalls): ProcTask[] {
  const out: ProcTask[] = [];
  for (const pid of proc_pids(sys)) {
    const t = read_task(sys, pid);
    if (t !== null) out.push(t);
  }
  return out;
}

/** The task running this code. */
export function read_self(sys: Syscalls): ProcTask | null {
  return read_task(sys, sys.getpid());
}

/** /proc/uptime: [seconds up, idle seconds], or null. */
export function read_uptime(sys: Syscalls): [number, number] | null {
  const t = read_text(sys, "/proc/uptime");
  if (typeof t === "number") return null;
  const [up, idle] = t.trim().split(/\s+/).map(Number);
  return up === undefined || !Number.isFinite(up) ? null : [up, idle ?? 0];
}

/** /proc/loadavg: the 1, 5 and 15 minute averages, running/total tasks, last pid — or null without one. */
export function read_loadavg(sys: Syscalls): { avg: [number, number, number]; running: number; total: number } | null {
  const t = read_text(sys, "/proc/loadavg");
  if (typeof t === "number") return null;
  const f = t.trim().split(/\s+/);
  const rt = (f[3] ?? "0/0").split("/").map(Number);
  const avg = [Number(f[0]), Number(f[1]), Number(f[2])];
  if (avg.some((v) => !Number.isFinite(v))) return null;
  return { avg: avg as [number, number, number], running: rt[0] ?? 0, total: rt[1] ?? 0 };
}

/** /proc/meminfo in kB, by key. */
export function read_meminfo(sys: Syscalls): Map<string, number> | null {
  const t = read_text(sys, "/proc/meminfo");
  if (typeof t === "number") return null;
  const m = new Map<string, number>();
  for (const [k, v] of parse_colon_lines(t)) m.set(k, Number(/^(\d+)/.exec(v)?.[1] ?? 0));
  return m;
}

/**
 * boot_time(): /proc/stat's btime, else now minus the uptime (procps's fallback), in seconds since
 * the epoch.
 */
export function boot_time(sys: Syscalls): number {
  const t = read_text(sys, "/proc/stat");
  if (typeof t === "string") {
    const m = /^btime (\d+)/m.exec(t);
    if (m !== null) return Number(m[1]);
  }
  const up = read_uptime(sys)?.[0] ?? 0;
  return Math.floor(sys.clock_gettime(CLOCK_REALTIME) / 1e9 - up);
}

/** dev_to_tty(): the name of a terminal device number (tty_nr), "?" for none. */
export function tty_name(tty_nr: number): string {
  if (tty_nr === 0) return "?";
  const major = (tty_nr >>> 8) & 0xfff;
  const minor = (tty_nr & 0xff) | ((tty_nr >>> 12) & 0xfff00);
  if (major === 4) return minor < 64 ? `tty${minor}` : `ttyS${minor - 64}`;
  if (major === 5) return (["tty", "console", "ptmx"] as const)[minor] ?? `${major},${minor}`;
  if (major >= 136 && major <= 143) return `pts/${(major - 136) * 256 + minor}`;
  return `${major},${minor}`;
}

/** A user id as procps prints it: the name when it fits in `width`, else the number. */
export function user_name(sys: Syscalls, uid: number, width = 8, cache?: Map<number, string>): string {
  const hit = cache?.get(uid);
  if (hit !== undefined) return hit;
  const name = getpwuid(sys, uid);
  const s = name !== null && name.length <= width ? name : String(uid);
  cache?.set(uid, s);
  return s;
}

/** The command as ps's args/cmd show it: argv joined, or "[comm]" for a task without one. */
export function task_args(t: ProcTask): string {
  return t.cmdline.length > 0 ? t.cmdline.join(" ") : `[${t.comm}]`;
}

/** /proc/sys/kernel/pid_max's length (procps_pid_length; 5 when the file is absent). */
export function pid_length(sys: Syscalls): number {
  const t = read_text(sys, "/proc/sys/kernel/pid_max");
  if (typeof t === "number") return 5;
  return t.replace(/\n$/, "").length || 5;
}

/** The processes with a login shell on a terminal: children of init that have one (no utmp here). */
export function count_users(tasks: readonly ProcTask[]): number {
  return tasks.filter((t) => t.ppid === 1 && t.tty_nr !== 0 && t.session === t.pid).length;
}
