import { strerror } from "../../include/linux/errno.ts";
import { O_APPEND, O_CLOEXEC, O_CREAT, O_TRUNC, O_WRONLY } from "../../include/uapi/fcntl.ts";
import { CLOCK_MONOTONIC, RUSAGE_CHILDREN, type Rusage, type Syscalls } from "../../include/uapi/syscalls.ts";
import type { Command } from "../lib/command.ts";
import { spawn_or_report, wait_forwarding_sigint } from "../lib/spawn_wait.ts";

/**
 * time [-pa] [-f FMT] [-o FILE] PROG ARGS (busybox miscutils/time.c): run PROG, then report on
 * stderr (or FILE) "real\t0m 1.00s\nuser\t0m 0.00s\nsys\t0m 0.00s". Real time is CLOCK_MONOTONIC;
 * user and system time are what getrusage(RUSAGE_CHILDREN) says PROG and its children used — the
 * kernel counts all CPU time as user time, so sys is 0. Resource counts the kernel does not keep
 * (memory, page faults, I/O) print as "?X", as busybox prints a conversion it does not know.
 * Exit status: PROG's (127 if it could not be run).
 */
const USAGE = `Usage: time [-pa] [-f FMT] [-o FILE] PROG ARGS

Run PROG, display resource usage when it exits

	-p	POSIX output format
	-f FMT	Custom format
	-o FILE	Write result to FILE
	-a	Append (else overwrite)

User time is all the CPU time the kernel counts; system time is 0.
`;

const DEFAULT_FORMAT = "real\t%E\nuser\t%u\nsys\t%T";
const POSIX_FORMAT = "real %e\nuser %U\nsys %S";

/** What summarize() needs: the command, its exit status, wall and CPU time. */
export interface TimeResult {
  command: readonly string[];
  status: number;
  elapsed_ms: number;
  utime_ns: number;
  stime_ns: number;
  nvcsw: number;
  nivcsw: number;
}

/** "%um %u.%02us" (or "%uh %um %02us" past an hour) of a time. */
function min_sec(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds >= 3600) return `${Math.floor(seconds / 3600)}h ${Math.floor((seconds % 3600) / 60)}m ${String(seconds % 60).padStart(2, "0")}s`;
  return `${Math.floor(seconds / 60)}m ${seconds % 60}.${String(Math.floor(ms / 10) % 100).padStart(2, "0")}s`;
}

/** "%u.%02u" of a time. */
function sec_cs(ms: number): string {
  return `${Math.floor(ms / 1000)}.${String(Math.floor(ms / 10) % 100).padStart(2, "0")}`;
}

/** summarize(): the report for `fmt`, with busybox's status line first. */
export function summarize(fmt: string, r: TimeResult): string {
  let out = "";
  if (r.status !== 0) out += `Command exited with non-zero status ${r.status}\n`;
  const u_ms = Math.floor(r.utime_ns / 1e6);
  const s_ms = Math.floor(r.stime_ns / 1e6);
  for (let i = 0; i < fmt.length; i++) {
    const ch = fmt[i]!;
    if (ch !== "%" && ch !== "\\") {
      out += ch;
      continue;
    }
    const c = fmt[++i];
    if (ch === "\\") {
      if (c === "t") out += "\t";
      else if (c === "n") out += "\n";
      else if (c === "\\") out += "\\";
      else if (c === undefined) return `${out}?\\${r.command[0] ?? ""}\n`;
      else out += `?\\${c}`;
      continue;
    }
    switch (c) {
      case undefined:
        return `${out}?`; // a trailing '%': no newline either
      case "%":
        out += "%";
        break;
      case "C":
        out += r.command.join(" ");
        break;
      case "E":
        out += min_sec(r.elapsed_ms);
        break;
      case "e":
        out += sec_cs(r.elapsed_ms);
        break;
      case "U":
        out += sec_cs(u_ms);
        break;
      case "u":
        out += min_sec(u_ms);
        break;
      case "S":
        out += sec_cs(s_ms);
        break;
      case "T":
        out += min_sec(s_ms);
        break;
      case "P":
        out += r.elapsed_ms > 0 ? `${Math.floor(((u_ms + s_ms) * 100) / r.elapsed_ms)}%` : "?%";
        break;
      case "w":
        out += String(r.nvcsw);
        break;
      case "c":
        out += String(r.nivcsw);
        break;
      case "x":
        out += String(r.status);
        break;
      case "Z":
        out += "4096";
        break;
      default:
        out += `?${c}`;
    }
  }
  return out + "\n";
}

export async function time(argv: readonly string[], sys: Syscalls): Promise<number> {
  const env_fmt = sys.environ().find((e) => e.startsWith("TIME="))?.slice(5);
  let fmt = env_fmt ?? DEFAULT_FORMAT;
  let posix = false;
  let append = false;
  let outfile: string | null = null;
  let i = 1;
  // "+": options stop at the first operand (PROG's own options are its own).
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") {
      i++;
      break;
    }
    if (!a.startsWith("-") || a === "-") break;
    let done = false;
    for (let j = 1; j < a.length && !done; j++) {
      const c = a[j]!;
      if (c === "p") posix = true;
      else if (c === "a") append = true;
      else if (c === "o" || c === "f") {
        const v = a.length > j + 1 ? a.slice(j + 1) : argv[++i];
        if (v === undefined) return usage_error(sys, `option requires an argument -- '${c}'`);
        if (c === "o") outfile = v;
        else fmt = v;
        done = true;
      } else return usage_error(sys, `invalid option -- '${c}'`);
    }
  }
  if (posix) fmt = POSIX_FORMAT;
  const command = argv.slice(i);
  if (command.length === 0) return usage_error(sys, null);
  let out_fd = 2;
  if (outfile !== null) {
    out_fd = sys.open(outfile, O_CREAT | O_WRONLY | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0o666);
    if (out_fd < 0) {
      await sys.write(2, `time: can't open '${outfile}': ${strerror(out_fd)}\n`);
      return 1;
    }
  }
  const before = sys.getrusage(RUSAGE_CHILDREN);
  const start = sys.clock_gettime(CLOCK_MONOTONIC);
  const pid = await spawn_or_report(sys, "time", command);
  const status = pid < 0 ? -pid : await wait_forwarding_sigint(sys, pid);
  const elapsed_ms = Math.floor((sys.clock_gettime(CLOCK_MONOTONIC) - start) / 1e6);
  const after = sys.getrusage(RUSAGE_CHILDREN);
  const zero: Rusage = { ru_utime_ns: 0, ru_stime_ns: 0, ru_nvcsw: 0, ru_nivcsw: 0 };
  const b = typeof before === "number" ? zero : before;
  const a = typeof after === "number" ? zero : after;
  const st = status < 0 ? 1 : status;
  const report = summarize(fmt, {
    command,
    status: st,
    elapsed_ms,
    utime_ns: a.ru_utime_ns - b.ru_utime_ns,
    stime_ns: a.ru_stime_ns - b.ru_stime_ns,
    nvcsw: a.ru_nvcsw - b.ru_nvcsw,
    nivcsw: a.ru_nivcsw - b.ru_nivcsw,
  });
  await sys.write(out_fd, report);
  if (out_fd !== 2) sys.close(out_fd);
  return st;
}

async function usage_error(sys: Syscalls, msg: string | null): Promise<number> {
  await sys.write(2, `${msg === null ? "" : `time: ${msg}\n`}${USAGE}`);
  return 1;
}

export const time_command: Command = {
  name: "time",
  summary: "run a program and report the time it took",
  usage: USAGE,
  main: time,
};
