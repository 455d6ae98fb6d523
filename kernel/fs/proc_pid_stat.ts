/**
 * /proc/PID/stat and /proc/PID/status (fs/proc/array.c): a task's state as procps (ps, top) and
 * people read it, in Linux 6.1's formats.
 *
 * What is printed is what the kernel knows. There is no per-process memory (programs live in the
 * host's heap), so status has no Vm… or Rss… lines (as a kernel thread's has none) and stat's memory
 * fields are 0, as Linux prints them for a task without an mm. Left out of status because they
 * would be invented: SigQ (there is no RLIMIT_SIGPENDING), the Cap* lines, NoNewPrivs, Seccomp
 * and the Speculation* lines (there is no capability, seccomp or speculation model). Everyone is
 * root (Uid/Gid 0, no supplementary groups); there is one CPU and one memory node; every task is
 * SCHED_NORMAL at nice 0 (priority 20). CPU time is the task's measured run time in the kernel
 * clock (Task.sum_exec_runtime_ns), all of it counted as utime; stime is 0.
 */
import { TASK_INTERRUPTIBLE, TASK_UNINTERRUPTIBLE } from "../../include/linux/sched.ts";
import type { SigDisposition } from "../../include/uapi/syscalls.ts";
import { find_zombie, process_info } from "../process.ts";
import { task_state_char } from "../sched/core.ts";
import type { Task } from "../sched/task.ts";
import { tty_foreground } from "../tty.ts";
import { task_vfs_if_any } from "./fs_struct.ts";

/** USER_HZ: the clock ticks /proc counts times in (sysconf(_SC_CLK_TCK)). */
export const USER_HZ = 100;
const NSEC_PER_TICK = 1e9 / USER_HZ;
/** TASK_COMM_LEN - 1: the name /proc shows is cut to 15 bytes, as comm is. */
const COMM_SHOWN = 15;
/** RLIM_INFINITY as stat's rsslim prints it. */
const RLIM_INFINITY = "18446744073709551615";
/** Debian's MAX_NUMNODES (CONFIG_NODES_SHIFT=10): Mems_allowed prints 1024 bits, node 0 set. */
const MEMS_ALLOWED = [...Array<string>(31).fill("00000000"), "00000001"].join(",");

const STATE_NAMES: Readonly<Record<string, string>> = { R: "R (running)", S: "S (sleeping)", D: "D (disk sleep)", Z: "Z (zombie)", X: "X (dead)" };

/** The state letter: a zombie (exited, not reaped) is Z. */
export function proc_task_state(t: Task): string {
  if (t.exited) return find_zombie(t.pid) === t ? "Z" : "X";
  return task_state_char(t);
}

/** The task's name as /proc shows it. */
export function proc_comm(t: Task): string {
  return t.comm.slice(0, COMM_SHOWN);
}

/** Signal set `pred` selects, as Linux's sigset_t: bit sig-1. */
function sigmask(sigs: readonly SigDisposition[] | null, pred: (d: SigDisposition, sig: number) => boolean): bigint {
  let m = 0n;
  if (sigs === null) return m;
  for (let sig = 1; sig < 32; sig++) if (pred(sigs[sig] ?? "default", sig)) m |= 1n << BigInt(sig - 1);
  return m;
}
const pending_mask = (t: Task): bigint => BigInt((t.sigpending >>> 1) >>> 0);
const ignored = (t: Task): bigint => sigmask(t.sighand, (d) => d === "ignore");
const caught = (t: Task): bigint => sigmask(t.sighand, (d) => d === "catch");
const hex16 = (m: bigint): string => m.toString(16).padStart(16, "0");

/**
 * FDSize: the size of the descriptor table Linux would have allocated for the highest descriptor
 * in use (fs/file.c: 64 in the task's own struct, then multiples of 128 rounded up to a power of
 * two); 0 for a task that has closed its table (a zombie).
 */
function fd_size(t: Task): number {
  const v = task_vfs_if_any(t);
  if (v === undefined) return t.exited ? 0 : 64;
  const used = v.files.fd.length;
  if (t.exited && used === 0) return 0;
  if (used <= 64) return 64;
  let n = 1;
  while (n < Math.floor(used / 128) + 1) n *= 2;
  return n * 128;
}

/** The process group, session, controlling terminal and its foreground group of `t` (0 0 0 -1 for a kernel thread). */
function task_ids(t: Task): { pgid: number; sid: number; tty_nr: number; tpgid: number } {
  const info = process_info(t);
  if (info === undefined) return { pgid: 0, sid: 0, tty_nr: 0, tpgid: -1 };
  // tty_get_pgrp(): the terminal's foreground group id (0 while none is set).
  return { pgid: info.pgid, sid: info.sid, tty_nr: info.tty, tpgid: info.tty === 0 ? -1 : tty_foreground() };
}

/** /proc/PID/status (proc_pid_status). */
export function proc_pid_status(t: Task): string {
  const info = process_info(t);
  const state = proc_task_state(t);
  const umask = task_vfs_if_any(t)?.fs.umask ?? 0o022;
  const pgid = info?.pgid ?? 0;
  const sid = info?.sid ?? 0;
  const lines = [
    `Name:\t${proc_comm(t)}`,
    `Umask:\t${umask.toString(8).padStart(4, "0")}`,
    `State:\t${STATE_NAMES[state] ?? state}`,
    `Tgid:\t${t.pid}`,
    `Ngid:\t0`,
    `Pid:\t${t.pid}`,
    `PPid:\t${t.ppid}`,
    `TracerPid:\t0`,
    `Uid:\t0\t0\t0\t0`,
    `Gid:\t0\t0\t0\t0`,
    `FDSize:\t${fd_size(t)}`,
    `Groups:\t `,
    `NStgid:\t${t.pid}`,
    `NSpid:\t${t.pid}`,
    `NSpgid:\t${pgid}`,
    `NSsid:\t${sid}`,
    `Threads:\t1`,
    `SigPnd:\t${hex16(pending_mask(t))}`,
    `ShdPnd:\t${hex16(0n)}`,
    `SigBlk:\t${hex16(0n)}`,
    `SigIgn:\t${hex16(ignored(t))}`,
    `SigCgt:\t${hex16(caught(t))}`,
    `Cpus_allowed:\t1`,
    `Cpus_allowed_list:\t0`,
    `Mems_allowed:\t${MEMS_ALLOWED}`,
    `Mems_allowed_list:\t0`,
    `voluntary_ctxt_switches:\t${t.sched_voluntary}`,
    `nonvoluntary_ctxt_switches:\t${t.sched_involuntary}`,
  ];
  return lines.join("\n") + "\n";
}

/**
 * /proc/PID/stat (do_task_stat): the 52 fields, space-separated, in fs/proc/array.c's order. A
 * zombie's exit_code is its wait status (exit code << 8, or the signal that ended it).
 */
export function proc_pid_stat(t: Task): string {
  const info = process_info(t);
  const ids = task_ids(t);
  const state = proc_task_state(t);
  const ticks = (ns: number): number => Math.floor(ns / NSEC_PER_TICK);
  const sleeping = (t.state & (TASK_INTERRUPTIBLE | TASK_UNINTERRUPTIBLE)) !== 0 && !t.exited;
  let exit_code = 0;
  if (t.exited && info !== undefined) exit_code = info.term_signal !== 0 ? info.term_signal : (t.exit_code & 0xff) << 8;
  const f: (string | number | bigint)[] = [
    t.pid, // 1 pid
    `(${proc_comm(t)})`, // 2 comm
    state, // 3 state
    t.ppid, // 4 ppid
    ids.pgid, // 5 pgrp
    ids.sid, // 6 session
    ids.tty_nr, // 7 tty_nr
    ids.tpgid, // 8 tpgid
    t.flags >>> 0, // 9 flags
    0, // 10 minflt: no page faults (no user memory of its own)
    0, // 11 cminflt
    0, // 12 majflt
    0, // 13 cmajflt
    ticks(t.sum_exec_runtime_ns), // 14 utime
    0, // 15 stime
    ticks(info?.cutime_ns ?? 0), // 16 cutime
    0, // 17 cstime
    20, // 18 priority
    0, // 19 nice
    1, // 20 num_threads
    0, // 21 itrealvalue
    ticks(t.start_ns), // 22 starttime
    0, // 23 vsize
    0, // 24 rss
    RLIM_INFINITY, // 25 rsslim
    0, // 26 startcode
    0, // 27 endcode
    0, // 28 startstack
    0, // 29 kstkesp
    0, // 30 kstkeip
    pending_mask(t), // 31 signal
    0, // 32 blocked
    ignored(t), // 33 sigignore
    caught(t), // 34 sigcatch
    sleeping ? 1 : 0, // 35 wchan (1 while it sleeps, as Linux ≥ 5.16 prints it)
    0, // 36 nswap
    0, // 37 cnswap
    17, // 38 exit_signal (SIGCHLD)
    0, // 39 processor
    0, // 40 rt_priority
    0, // 41 policy (SCHED_NORMAL)
    0, // 42 delayacct_blkio_ticks
    0, // 43 guest_time
    0, // 44 cguest_time
    0, // 45 start_data
    0, // 46 end_data
    0, // 47 start_brk
    0, // 48 arg_start
    0, // 49 arg_end
    0, // 50 env_start
    0, // 51 env_end
    exit_code, // 52 exit_code
  ];
  return f.join(" ") + "\n";
}
