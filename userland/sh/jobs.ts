/**
 * Background jobs (bash's jobs.c, reduced): `cmd &` makes a job of its processes; finished jobs are
 * reaped and reported before the next prompt ("[1]+  Done                    sleep 1"); the
 * builtins jobs, wait [PID|%N] and kill [-SIG] PID|%N. ^C never reaches a background job: it runs
 * in a process group of its own, and the tty signals only its foreground group (exec.ts).
 */
import { EAGAIN, EINTR, strerror } from "../../include/linux/errno.ts";
import { SIGINT, SIGKILL, SIGTERM } from "../../include/linux/sched.ts";
import { WNOHANG } from "../../include/uapi/syscalls.ts";
import { ShellUnwind, type Job, type ShellState } from "./state.ts";

/** Linux's signal numbers (x86-64), as `kill -l` lists them. */
export const SIGNAL_NAMES: readonly string[] = [
  "", "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2", "PIPE", "ALRM", "TERM",
  "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS",
];

/** bash's words for how a process ended (the job report's state column). */
export function job_state(status: number): string {
  if (status === 0) return "Done";
  if (status <= 128 || status >= 128 + 32) return `Exit ${status}`;
  const sig = status - 128;
  const words: Readonly<Record<number, string>> = {
    1: "Hangup", [SIGINT]: "Interrupt", 3: "Quit", 6: "Aborted", [SIGKILL]: "Killed", 11: "Segmentation fault", 13: "Broken pipe", [SIGTERM]: "Terminated", 10: "User defined signal 1", 12: "User defined signal 2",
  };
  return words[sig] ?? `Exit ${status}`;
}

/** Record a started background job; an interactive shell prints "[N] PID" as bash does. */
export async function add_job(sh: ShellState, pids: readonly number[], cmd: string): Promise<void> {
  const n = sh.jobs.length === 0 ? 1 : Math.max(...sh.jobs.map((j) => j.n)) + 1;
  sh.jobs.push({ n, pids, statuses: pids.map((p) => (p < 0 ? 127 : null)), cmd });
  const last = pids[pids.length - 1] ?? 0;
  sh.last_bg = last;
  if (sh.interactive) await sh.out(1, `[${n}] ${last}\n`);
}

function job_done(j: Job): boolean {
  return j.statuses.every((s) => s !== null);
}

function job_status(j: Job): number {
  return j.statuses[j.statuses.length - 1] ?? 0;
}

/** Reap whatever has finished without waiting (waitpid WNOHANG). */
async function poll_job(sh: ShellState, j: Job): Promise<void> {
  for (let i = 0; i < j.pids.length; i++) {
    if (j.statuses[i] !== null) continue;
    const st = await sh.sys.waitpid(j.pids[i]!, WNOHANG);
    if (st === -EAGAIN || st === -EINTR) continue;
    j.statuses[i] = st < 0 ? 127 : st;
  }
}

/** Before a prompt: report (and forget) the jobs that finished. */
export async function report_jobs(sh: ShellState): Promise<void> {
  for (const j of [...sh.jobs]) {
    await poll_job(sh, j);
    if (!job_done(j)) continue;
    sh.jobs.splice(sh.jobs.indexOf(j), 1);
    if (sh.interactive) await sh.out(1, `[${j.n}]+  ${job_state(job_status(j)).padEnd(24)}${j.cmd}\n`);
  }
}

/** `PID` or `%N` → a job, or an error message. */
function find_job(sh: ShellState, arg: string): Job | string {
  const j = arg.startsWith("%") ? sh.jobs.find((x) => x.n === Number(arg.slice(1))) : sh.jobs.find((x) => x.pids.includes(Number(arg)));
  return j ?? `${arg}: no such job`;
}

export async function jobs_builtin(sh: ShellState): Promise<number> {
  for (const j of sh.jobs) {
    await poll_job(sh, j);
    const state = job_done(j) ? job_state(job_status(j)) : "Running";
    await sh.out(1, `[${j.n}]   ${state.padEnd(24)}${j.cmd}${job_done(j) ? "" : " &"}\n`);
  }
  return 0;
}

/** wait [PID|%N]…: the status of the last one named (0 with none); ^C stops waiting (130), the jobs run on. */
export async function wait_builtin(sh: ShellState, args: readonly string[]): Promise<number> {
  const targets: Job[] = [];
  for (const a of args) {
    const j = find_job(sh, a);
    if (typeof j === "string") {
      await sh.err(`wait: ${j}`);
      return 127;
    }
    targets.push(j);
  }
  for (const j of args.length > 0 ? targets : [...sh.jobs]) {
    for (let i = 0; i < j.pids.length; i++) {
      if (j.statuses[i] !== null) continue;
      const st = await sh.sys.waitpid(j.pids[i]!);
      if (st === -EINTR) {
        // ^C stops the waiting (and what the shell was running), not the jobs: they run on.
        sh.sys.sigpending();
        throw new ShellUnwind("interrupt", 128 + SIGINT);
      }
      j.statuses[i] = st < 0 ? 127 : st;
    }
    const at = sh.jobs.indexOf(j);
    if (at >= 0) sh.jobs.splice(at, 1);
  }
  return args.length > 0 ? job_status(targets[targets.length - 1]!) : 0;
}

/** A signal by name (INT, SIGINT) or number; null if there is no such signal. */
function parse_signal(s: string): number | null {
  if (/^[0-9]+$/.test(s)) {
    const n = Number(s);
    return n >= 1 && n < SIGNAL_NAMES.length ? n : null;
  }
  const i = SIGNAL_NAMES.indexOf(s.toUpperCase().replace(/^SIG/, ""));
  return i >= 1 ? i : null;
}

/**
 * kill [-SIG | -s SIG] PID|%N… and kill -l. The kernel decides what happens: `kill 1` succeeds and
 * does nothing, as Linux drops signals to init that init has no handler for.
 */
export async function kill_builtin(sh: ShellState, argv: readonly string[]): Promise<number> {
  const args = argv.slice();
  if (args[0] === "-l" || args[0] === "-L") {
    let out = "";
    for (let i = 1; i < SIGNAL_NAMES.length; i++) out += `${String(i).padStart(2)}) ${SIGNAL_NAMES[i]}\n`;
    await sh.out(1, out);
    return 0;
  }
  let sig = SIGTERM;
  if (args[0] === "-s" || (args[0]?.startsWith("-") && args[0].length > 1 && args[0] !== "--")) {
    const spec = args[0] === "-s" ? args[1] : args[0].slice(1);
    args.splice(0, args[0] === "-s" ? 2 : 1);
    const s = spec === undefined ? null : parse_signal(spec);
    if (s === null) {
      await sh.err(`kill: ${spec ?? ""}: invalid signal specification`);
      return 1;
    }
    sig = s;
  } else if (args[0] === "--") args.shift();
  if (args.length === 0) {
    await sh.err("kill: usage: kill [-s sigspec | -signum | -sigspec] pid | jobspec ... or kill -l");
    return 2;
  }
  let status = 0;
  for (const a of args) {
    const j = a.startsWith("%") ? find_job(sh, a) : null;
    if (typeof j === "string") {
      await sh.err(`kill: ${j}`);
      status = 1;
      continue;
    }
    const pids = j !== null ? j.pids.filter((_, i) => j.statuses[i] === null) : [Number(a)];
    if (j === null && (!/^[0-9]+$/.test(a) || pids[0]! <= 0)) {
      await sh.err(`kill: ${a}: arguments must be process or job IDs`);
      status = 1;
      continue;
    }
    for (const pid of pids) {
      const r = sh.sys.kill(pid, sig);
      if (r < 0) {
        await sh.err(`kill: (${pid}) - ${strerror(r)}`);
        status = 1;
      }
    }
  }
  return status;
}
