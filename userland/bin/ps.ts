import type { Syscalls } from "../../include/uapi/syscalls.ts";
import { CLOCK_REALTIME } from "../../include/uapi/syscalls.ts";
import type { Command } from "../lib/command.ts";
import { boot_time, HZ, PAGE_KB, pid_length, read_meminfo, read_self, read_tasks, read_uptime, task_args, tty_name, user_name, type ProcTask } from "../lib/procps.ts";
import { localtime, strftime } from "../lib/time.ts";

/**
 * ps (procps-ng 4.0.2, src/ps): the process selection (the default "same user, same terminal",
 * -e/-A, -a, -d, -N, BSD a/x, -p, -C), the standard formats (default, -f, -l, BSD u, the BSD
 * default) and -o lists, laid out by procps's show_one_proc() column algorithm. The numbers come
 * from /proc/PID/stat, status and cmdline; a column whose number the kernel does not report (wchan,
 * addr) shows "-".
 */
const USAGE = `
Usage:
 ps [options]

Basic options:
 -A, -e               all processes
 -a                   all with tty, except session leaders
  a                   all with tty, including other users
 -d                   all except session leaders
 -N, --deselect       negate selection
  r                   only running processes
  x                   processes without controlling ttys

Selection by list:
 -C <command>         command name
 -p, p, --pid <PID>   process id

Output formats:
 -f                   full-format, including command lines
 -l                   long format
 -o, o, --format <format>
                      user-defined format
  u                   user-oriented format
     --no-headers     do not print header at all
  w                   unlimited output width

For more details see ps(1).
`;

/** What a column needs to print one task. */
interface Ctx {
  sys: Syscalls;
  now_s: number;
  uptime_s: number;
  btime: number;
  mem_total_kb: number;
  users: Map<number, string>;
}

type Just = "RIGHT" | "LEFT" | "USER" | "UNLIMITED";
interface Spec {
  head: string;
  width: number;
  just: Just;
  pidmax?: boolean;
  pr: (t: ProcTask, c: Ctx) => string;
}

const total_ticks = (t: ProcTask): number => t.utime + t.stime;
const elapsed_s = (t: ProcTask, c: Ctx): number => Math.max(0, c.uptime_s - t.starttime / HZ);

function pr_time(t: ProcTask): string {
  let s = Math.floor(total_ticks(t) / HZ);
  const ss = s % 60;
  s = Math.floor(s / 60);
  const mm = s % 60;
  s = Math.floor(s / 60);
  const hh = s % 24;
  const dd = Math.floor(s / 24);
  const p2 = (n: number): string => String(n).padStart(2, "0");
  return `${dd > 0 ? `${dd}-` : ""}${p2(hh)}:${p2(mm)}:${p2(ss)}`;
}

function pr_etime(t: ProcTask, c: Ctx): string {
  let s = Math.floor(elapsed_s(t, c));
  const ss = s % 60;
  s = Math.floor(s / 60);
  const mm = s % 60;
  s = Math.floor(s / 60);
  const hh = s % 24;
  const dd = Math.floor(s / 24);
  const p2 = (n: number): string => String(n).padStart(2, "0");
  return `${dd > 0 ? `${dd}-` : ""}${dd > 0 || hh > 0 ? `${p2(hh)}:` : ""}${p2(mm)}:${p2(ss)}`;
}

function pr_pcpu(t: ProcTask, c: Ctx): string {
  const jiffies = elapsed_s(t, c) * HZ;
  const pcpu = jiffies > 0 ? Math.floor((total_ticks(t) * 1000) / jiffies) : 0;
  return pcpu > 999 ? String(Math.floor(pcpu / 10)) : `${Math.floor(pcpu / 10)}.${pcpu % 10}`;
}

function pr_c(t: ProcTask, c: Ctx): string {
  const jiffies = elapsed_s(t, c) * HZ;
  const pcpu = Math.min(99, jiffies > 0 ? Math.floor((total_ticks(t) * 100) / jiffies) : 0);
  return String(pcpu).padStart(2);
}

function pr_pmem(t: ProcTask, c: Ctx): string {
  const pmem = c.mem_total_kb > 0 ? Math.min(999, Math.floor((t.vm_rss_kb * 1000) / c.mem_total_kb)) : 0;
  return `${String(Math.floor(pmem / 10)).padStart(2)}.${pmem % 10}`;
}

/** STIME/START: HH:MM today, MonDD this year, else the year. */
function pr_stime(t: ProcTask, c: Ctx): string {
  const now = localtime(c.now_s);
  const start = localtime(c.btime + Math.floor(t.starttime / HZ));
  if (now === null || start === null) return "";
  let fmt = "%H:%M";
  if (now.tm_yday !== start.tm_yday) fmt = "%b%d";
  if (now.tm_year !== start.tm_year) fmt = "%Y";
  return strftime(fmt, start);
}

/** STARTED: ctime's clock within a day, else "  Mon DD". */
function pr_start(t: ProcTask, c: Ctx): string {
  const s = c.btime + Math.floor(t.starttime / HZ);
  const tm = localtime(s);
  if (tm === null) return "";
  if (s + 86400 > c.now_s) return strftime("%H:%M:%S", tm);
  return `  ${strftime("%b %d", tm)}`;
}

/** BSD STAT: state, then < N L s l + as procps adds them. */
function pr_stat(t: ProcTask): string {
  let s = t.state;
  if (t.nice < 0) s += "<";
  if (t.nice > 0) s += "N";
  if (t.vm_lck_kb > 0) s += "L";
  if (t.session === t.pid && t.session !== 0) s += "s";
  if (t.num_threads > 1) s += "l";
  if (t.tpgid !== -1 && t.pgrp === t.tpgid && t.tty_nr !== 0) s += "+";
  return s;
}

const SPECS: Readonly<Record<string, Spec>> = {
  "%cpu": { head: "%CPU", width: 4, just: "RIGHT", pr: pr_pcpu },
  pcpu: { head: "%CPU", width: 4, just: "RIGHT", pr: pr_pcpu },
  "%mem": { head: "%MEM", width: 4, just: "RIGHT", pr: pr_pmem },
  pmem: { head: "%MEM", width: 4, just: "RIGHT", pr: pr_pmem },
  addr: { head: "ADDR", width: 4, just: "RIGHT", pr: () => "-" },
  addr_1: { head: "ADDR", width: 1, just: "LEFT", pr: () => "-" },
  args: { head: "COMMAND", width: 27, just: "UNLIMITED", pr: (t) => task_args(t) },
  cmd: { head: "CMD", width: 27, just: "UNLIMITED", pr: (t) => task_args(t) },
  command: { head: "COMMAND", width: 27, just: "UNLIMITED", pr: (t) => task_args(t) },
  comm: { head: "COMMAND", width: 15, just: "UNLIMITED", pr: (t) => t.comm },
  ucmd: { head: "CMD", width: 15, just: "UNLIMITED", pr: (t) => t.comm },
  bsdtime: {
    head: "TIME",
    width: 6,
    just: "RIGHT",
    pr: (t) => {
      const u = Math.floor(total_ticks(t) / HZ);
      return `${String(Math.floor(u / 60)).padStart(3)}:${String(u % 60).padStart(2, "0")}`;
    },
  },
  c: { head: "C", width: 2, just: "RIGHT", pr: pr_c },
  cputime: { head: "TIME", width: 8, just: "RIGHT", pr: pr_time },
  time: { head: "TIME", width: 8, just: "RIGHT", pr: pr_time },
  etime: { head: "ELAPSED", width: 11, just: "RIGHT", pr: pr_etime },
  etimes: { head: "ELAPSED", width: 7, just: "RIGHT", pr: (t, c) => String(Math.floor(elapsed_s(t, c))) },
  euid: { head: "EUID", width: 5, just: "RIGHT", pr: (t) => String(t.euid) },
  uid: { head: "UID", width: 5, just: "RIGHT", pr: (t) => String(t.euid) },
  euser: { head: "EUSER", width: 8, just: "USER", pr: (t, c) => user_name(c.sys, t.euid, 8, c.users) },
  user: { head: "USER", width: 8, just: "USER", pr: (t, c) => user_name(c.sys, t.euid, 8, c.users) },
  uname: { head: "USER", width: 8, just: "USER", pr: (t, c) => user_name(c.sys, t.euid, 8, c.users) },
  uid_hack: { head: "UID", width: 8, just: "USER", pr: (t, c) => user_name(c.sys, t.euid, 8, c.users) },
  f: { head: "F", width: 1, just: "RIGHT", pr: (t) => ((t.flags >>> 6) & 7).toString(8) },
  flags: { head: "F", width: 1, just: "RIGHT", pr: (t) => ((t.flags >>> 6) & 7).toString(8) },
  ni: { head: "NI", width: 3, just: "RIGHT", pr: (t) => String(t.nice) },
  nice: { head: "NI", width: 3, just: "RIGHT", pr: (t) => String(t.nice) },
  nlwp: { head: "NLWP", width: 4, just: "RIGHT", pr: (t) => String(t.num_threads) },
  opri: { head: "PRI", width: 3, just: "RIGHT", pr: (t) => String(60 + t.priority) },
  pri: { head: "PRI", width: 3, just: "RIGHT", pr: (t) => String(39 - t.priority) },
  pid: { head: "PID", width: 5, just: "RIGHT", pidmax: true, pr: (t) => String(t.pid) },
  tgid: { head: "TGID", width: 5, just: "RIGHT", pidmax: true, pr: (t) => String(t.pid) },
  ppid: { head: "PPID", width: 5, just: "RIGHT", pidmax: true, pr: (t) => String(t.ppid) },
  pgid: { head: "PGID", width: 5, just: "RIGHT", pidmax: true, pr: (t) => String(t.pgrp) },
  pgrp: { head: "PGRP", width: 5, just: "RIGHT", pidmax: true, pr: (t) => String(t.pgrp) },
  sid: { head: "SID", width: 5, just: "RIGHT", pidmax: true, pr: (t) => String(t.session) },
  sess: { head: "SESS", width: 5, just: "RIGHT", pidmax: true, pr: (t) => String(t.session) },
  tpgid: { head: "TPGID", width: 5, just: "RIGHT", pidmax: true, pr: (t) => String(t.tpgid) },
  rss: { head: "RSS", width: 5, just: "RIGHT", pr: (t) => String(t.vm_rss_kb) },
  rssize: { head: "RSS", width: 5, just: "RIGHT", pr: (t) => String(t.vm_rss_kb) },
  vsz: { head: "VSZ", width: 6, just: "RIGHT", pr: (t) => String(t.vm_size_kb) },
  vsize: { head: "VSZ", width: 6, just: "RIGHT", pr: (t) => String(t.vm_size_kb) },
  sz: { head: "SZ", width: 5, just: "RIGHT", pr: (t) => String(Math.floor(t.vm_size_kb / PAGE_KB)) },
  s: { head: "S", width: 1, just: "LEFT", pr: (t) => t.state },
  state: { head: "S", width: 1, just: "LEFT", pr: (t) => t.state },
  stat: { head: "STAT", width: 4, just: "LEFT", pr: pr_stat },
  start: { head: "STARTED", width: 8, just: "RIGHT", pr: pr_start },
  start_time: { head: "START", width: 5, just: "RIGHT", pr: pr_stime },
  stime: { head: "STIME", width: 5, just: "RIGHT", pr: pr_stime },
  tname: { head: "TTY", width: 8, just: "LEFT", pr: (t) => tty_name(t.tty_nr) },
  tt: { head: "TT", width: 8, just: "LEFT", pr: (t) => tty_name(t.tty_nr) },
  tty: { head: "TT", width: 8, just: "LEFT", pr: (t) => tty_name(t.tty_nr) },
  wchan: { head: "WCHAN", width: 6, just: "LEFT", pr: () => "-" },
};

/** The formats ps builds when no -o is given (procps's macros and generate_sysv_list()). */
const FORMATS = {
  sysv: "pid,tname,time,ucmd",
  sysv_f: "uid_hack,pid,ppid,c,stime,tname,time,cmd",
  sysv_l: "f,s,uid,pid,ppid,c,opri,ni,addr_1,sz,wchan,tname,time,ucmd",
  sysv_fl: "f,s,uid_hack,pid,ppid,c,opri,ni,addr_1,sz,wchan,stime,tname,time,cmd",
  bsd: "pid,tname,stat,bsdtime,args",
  bsd_u: "user,pid,pcpu,pmem,vsz,rss,tname,stat,start_time,bsdtime,args",
} as const;

interface Column {
  spec: Spec;
  head: string;
  width: number;
}

/**
 * Parse -o lists ("pid,user=WHO" …) into columns. A "=" renames the column, and the new header is
 * the rest of that argument, commas and all (procps: "ps -o pid=X,comm=Y" has one column). An
 * unknown name is procps's error text.
 */
export function parse_format(lists: readonly string[], pidlen: number): Column[] | string {
  const cols: Column[] = [];
  for (const list of lists) {
    let rest = list;
    while (rest !== "") {
      const m = /^[\s,]*([^\s,=]+)(=?)/.exec(rest);
      if (m === null) break;
      const name = m[1]!;
      const spec = Object.prototype.hasOwnProperty.call(SPECS, name) ? SPECS[name] : undefined;
      if (spec === undefined) return `error: unknown user-defined format specifier "${name}"`;
      let width = spec.pidmax === true ? Math.max(pidlen, spec.head.length) : spec.width;
      let head = spec.head;
      if (m[2] === "=") {
        head = rest.slice(m[0].length);
        width = Math.max(width, head.length);
        rest = "";
      } else rest = rest.slice(m[0].length);
      cols.push({ spec, head, width });
    }
  }
  return cols.length > 0 ? cols : "error: improper list";
}

/** show_one_proc(): one row (or the header when `t` is null), procps's spacing and overflow rules. */
export function show_one_proc(cols: readonly Column[], t: ProcTask | null, c: Ctx, active_cols: number): string {
  let correct = 0;
  let actual = 0;
  let dospace = 0;
  let line = "";
  for (let i = 0; i < cols.length; i++) {
    const col = cols[i]!;
    const last = i === cols.length - 1;
    let max_rightward: number;
    let tmpspace = 0;
    if (!last) max_rightward = col.width;
    else {
      tmpspace = correct - actual;
      if (tmpspace < 1) {
        tmpspace = dospace;
        max_rightward = active_cols - actual - tmpspace;
      } else max_rightward = active_cols - Math.max(correct, actual);
    }
    max_rightward = Math.max(0, max_rightward);
    let text = t === null ? col.head : col.spec.pr(t, c);
    if (t !== null && col.spec.just === "UNLIMITED") text = text.slice(0, max_rightward);
    let leftpad = 0;
    if (col.spec.just === "RIGHT") leftpad = Math.max(0, col.width - text.length);
    else if (col.spec.just === "UNLIMITED" && active_cols - actual - tmpspace < 1) text = text.slice(0, 1);
    let space = correct - actual + leftpad;
    if (space < 1) space = dospace;
    space = Math.min(space, 144);
    line += " ".repeat(space) + text;
    if (last) break;
    actual += space + text.length;
    correct += col.width + 1;
    dospace = 1;
  }
  return line + "\n";
}

/** The PIDs/commands -p/-C name, and the simple selection's flags. */
interface Selection {
  all: boolean;
  unix_a: boolean;
  unix_d: boolean;
  bsd_a: boolean;
  bsd_x: boolean;
  bsd_g: boolean;
  negate: boolean;
  running: boolean;
  pids: number[] | null;
  cmds: string[] | null;
}

/** want_this_proc(): the select_bits table over (our euid, session leader, no tty, our tty). */
function want(s: Selection, t: ProcTask, self: ProcTask | null): boolean {
  let ok: boolean;
  const listed = s.pids !== null || s.cmds !== null;
  const simple = s.unix_a || s.unix_d || s.bsd_a || s.bsd_x;
  if (s.all) ok = true;
  else {
    ok = false;
    if (simple || !listed) {
      let bits: number;
      if (!simple) bits = 0xaa00;
      else if (s.unix_a && s.unix_d) bits = 0x3f3f;
      else if (s.unix_a) bits = 0x0303;
      else if (s.unix_d) bits = 0x3333;
      else if (s.bsd_a && s.bsd_x) bits = 0xffff;
      else if (s.bsd_x) bits = 0xaaaa;
      else bits = 0x0f0f;
      const idx = (t.euid === (self?.euid ?? 0) ? 1 : 0) | (t.session === t.pid ? 2 : 0) | (t.tty_nr === 0 ? 4 : 0) | (t.tty_nr === (self?.tty_nr ?? 0) ? 8 : 0);
      ok = (bits & (1 << idx)) !== 0;
    }
    if (!ok && s.pids?.includes(t.pid)) ok = true;
    if (!ok && s.cmds?.includes(t.comm)) ok = true;
  }
  if (s.running && !(t.state === "R" || t.state === "D")) ok = false;
  return s.negate ? !ok : ok;
}

function parse_pids(v: string): number[] | null {
  const out: number[] = [];
  for (const p of v.split(/[\s,]+/).filter((x) => x !== "")) {
    if (!/^\d+$/.test(p) || Number(p) <= 0) return null;
    out.push(Number(p));
  }
  return out.length > 0 ? out : null;
}

async function fail_usage(sys: Syscalls, msg: string): Promise<number> {
  await sys.write(2, `error: ${msg}\n${USAGE}`);
  return 1;
}

export async function ps(argv: readonly string[], sys: Syscalls): Promise<number> {
  const sel: Selection = { all: false, unix_a: false, unix_d: false, bsd_a: false, bsd_x: false, bsd_g: false, negate: false, running: false, pids: null, cmds: null };
  let uf = false;
  let ul = false;
  let bu = false;
  let bsd = false;
  let o: string[] | null = null;
  let headers = true;
  let w = 0;
  const add_pids = (v: string | undefined): boolean => {
    const p = v === undefined ? null : parse_pids(v);
    if (p === null) return false;
    sel.pids = [...(sel.pids ?? []), ...p];
    return true;
  };
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith("--")) {
      const [name, val] = a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
      if (name === "--no-headers" || name === "--no-heading") headers = false;
      else if (name === "--deselect") sel.negate = true;
      else if (name === "--pid") {
        if (!add_pids(val ?? argv[++i])) return fail_usage(sys, "process ID list syntax error");
      } else if (name === "--format") {
        o = [...(o ?? []), val ?? argv[++i] ?? ""];
      } else return fail_usage(sys, `unknown gnu long option`);
      continue;
    }
    if (a.startsWith("-")) {
      for (let j = 1; j < a.length; j++) {
        const ch = a[j]!;
        const rest = (): string | undefined => (a.length > j + 1 ? a.slice(j + 1) : argv[++i]);
        if (ch === "e" || ch === "A") sel.all = true;
        else if (ch === "a") sel.unix_a = true;
        else if (ch === "d") sel.unix_d = true;
        else if (ch === "N") sel.negate = true;
        else if (ch === "f") uf = true;
        else if (ch === "l") ul = true;
        else if (ch === "p" || ch === "q") {
          if (!add_pids(rest())) return fail_usage(sys, "process ID list syntax error");
          break;
        } else if (ch === "C") {
          const v = rest();
          if (v === undefined) return fail_usage(sys, "list of command names must follow -C");
          sel.cmds = [...(sel.cmds ?? []), ...v.split(",")];
          break;
        } else if (ch === "o") {
          const v = rest();
          if (v === undefined) return fail_usage(sys, "format specification must follow -o");
          o = [...(o ?? []), v];
          break;
        } else return fail_usage(sys, `unsupported SysV option`);
      }
      continue;
    }
    // BSD options: letters without a dash.
    bsd = true;
    for (let j = 0; j < a.length; j++) {
      const ch = a[j]!;
      if (ch === "a") sel.bsd_a = true;
      else if (ch === "x") sel.bsd_x = true;
      else if (ch === "u") bu = true;
      else if (ch === "w") w++;
      else if (ch === "r") sel.running = true;
      else if (ch === "g") sel.bsd_g = true;
      else if (ch === "p") {
        if (!add_pids(a.length > j + 1 ? a.slice(j + 1) : argv[++i])) return fail_usage(sys, "process ID list syntax error");
        break;
      } else if (ch === "o") {
        const v = a.length > j + 1 ? a.slice(j + 1) : argv[++i];
        if (v === undefined) return fail_usage(sys, "format specification must follow o");
        o = [...(o ?? []), v];
        break;
      } else if (/^\d+$/.test(a)) {
        if (!add_pids(a)) return fail_usage(sys, "process ID list syntax error");
        break;
      } else return fail_usage(sys, "unsupported option (BSD syntax)");
    }
  }
  if (sel.bsd_a && sel.bsd_x) sel.all = true;
  if (o !== null && (uf || ul || bu)) return fail_usage(sys, "conflicting format options");
  if (bu && (uf || ul)) return fail_usage(sys, "conflicting format options");

  const pidlen = pid_length(sys);
  const spec = o ?? [bu ? FORMATS.bsd_u : uf && ul ? FORMATS.sysv_fl : uf ? FORMATS.sysv_f : ul ? FORMATS.sysv_l : bsd ? FORMATS.bsd : FORMATS.sysv];
  const cols = parse_format(spec, pidlen);
  if (typeof cols === "string") {
    await sys.write(2, `${cols}\n${USAGE}`);
    return 1;
  }

  const env_cols = Number(sys.environ().find((e) => e.startsWith("COLUMNS="))?.slice(8));
  let screen = sys.isatty(1) === 1 ? 80 : 128 * 1024;
  if (Number.isInteger(env_cols) && env_cols > 0) screen = env_cols;
  if (w > 0 && screen < 132) screen = 132;
  if (w > 1) screen = 128 * 1024;

  const ctx: Ctx = {
    sys,
    now_s: Math.floor(sys.clock_gettime(CLOCK_REALTIME) / 1e9),
    uptime_s: read_uptime(sys)?.[0] ?? 0,
    btime: boot_time(sys),
    mem_total_kb: read_meminfo(sys)?.get("MemTotal") ?? 0,
    users: new Map(),
  };
  const self = read_self(sys);
  const rows = read_tasks(sys).filter((t) => want(sel, t, self));
  // No header line when every header was renamed to nothing (ps -o pid= -o comm=).
  let out = headers && cols.some((c) => c.head !== "") ? show_one_proc(cols, null, ctx, screen) : "";
  for (const t of rows) out += show_one_proc(cols, t, ctx, screen);
  await sys.write(1, out);
  // procps exits 1 when no process matched (the header alone).
  return rows.length > 0 ? 0 : 1;
}

export const ps_command: Command = {
  name: "ps",
  summary: "report a snapshot of the current processes",
  usage: USAGE,
  main: ps,
};
