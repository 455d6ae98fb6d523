import { KernelBug } from "./panic.ts";
import { ECHILD, EINTR, EINVAL, ENOENT, EPERM, ERESTARTSYS, ESRCH } from "../include/linux/errno.ts";
import { PF_KTHREAD, SIGCHLD, SIGKILL, sig_default_action } from "../include/linux/sched.ts";
import type { Program, SigDisposition, SpawnAttr } from "../include/uapi/syscalls.ts";
import { DEFINE_PER_KERNEL } from "./kernel.ts";
import { pr_info } from "./printk.ts";
import { abort_new_task, create_task, find_task_by_pid, get_current, send_sig, task_list, wake_up_process } from "./sched/core.ts";
import type { Task } from "./sched/task.ts";
import { init_waitqueue_head, wait_event_interruptible, wake_up_all, type WaitQueueHead } from "./sched/wait.ts";
import { syscalls_for } from "./syscalls.ts";

/**
 * User processes (kernel/fork.c, fs/exec.c, kernel/exit.c, kernel/signal.c, reduced): a process is a
 * task running a Program from /bin with its own system-call object, environment, process group and
 * session, a parent that waits for it, and signal dispositions.
 *
 * Exit (exit_notify): the process's children go to init (forget_original_parent), it stays a
 * zombie until its parent reaps it with wait, and the parent gets SIGCHLD (dropped unless caught:
 * its default action is to ignore). A parent that set SIGCHLD to "ignore" has its children reaped
 * at once (POSIX's SA_NOCLDWAIT behaviour of SIG_IGN), and a process whose parent is a kernel
 * thread (a test, the kernel's own helpers) is reaped at once too.
 */

/** Thrown out of a system call when the process ends there (a fatal signal, poweroff). */
export class ProcessExit extends Error {
  readonly code: number;
  constructor(code: number) {
    super(`process exit ${code}`);
    this.code = code;
  }
}

export interface ProcessInfo {
  readonly argv: readonly string[];
  /** Children not yet reaped (running, or zombies), by pid. */
  readonly children: Map<number, Task>;
  /** Dispositions by signal number: the task's sighand (one array, shared with the Task). */
  readonly disposition: SigDisposition[];
  /** The environment ("NAME=value"): libc's `environ`, the process's own array. */
  readonly env: string[];
  /** The environment as exec gave it (what /proc/PID/environ shows: later changes are the program's). */
  readonly env_at_exec: readonly string[];
  /** The signal that ended the process (0: it exited), for its wait status in /proc/PID/stat. */
  term_signal: number;
  /** Process group and session (setpgid/setsid; inherited over spawn). */
  pgid: number;
  sid: number;
  /** The session's controlling terminal as a device number (0: none). */
  tty: number;
  /** Woken when a child exits (signal->wait_chldexit). */
  readonly wait_chldexit: WaitQueueHead;
  /**
   * The exit status the process is ending with once a fatal signal was acted on (or it powered
   * the machine off): every later system call ends it again, so a program that catches the
   * ProcessExit or does not await the call that raised it still goes.
   */
  exit_pending: number | null;
  /**
   * The system-call layer's queue of asynchronous calls (kernel/syscalls.ts): the last one still in
   * flight, and how many are. A call made while an earlier one has not settled waits behind it.
   */
  inflight: Promise<unknown> | null;
  inflight_count: number;
  /**
   * Calls made since the task last gave up the CPU, and its context-switch count then: a process
   * whose calls never sleep is preempted at return to user mode every SYSCALLS_PER_SLICE calls
   * (kernel/syscalls.ts), as the scheduler tick would preempt it on Linux.
   */
  slice_calls: number;
  slice_switches: number;
  /** CPU time and context switches of the children it reaped, theirs included (signal->cutime, cnvcsw, cnivcsw). */
  cutime_ns: number;
  cnvcsw: number;
  cnivcsw: number;
}

const processes = DEFINE_PER_KERNEL(() => new WeakMap<Task, ProcessInfo>());
const programs = DEFINE_PER_KERNEL(() => new Map<string, Program>());
/** Exited processes their parent has not reaped yet (shown as Z in /proc), by pid. */
const zombies = DEFINE_PER_KERNEL(() => new Map<number, Task>());
/** release_task() of a zombie: it leaves the zombie table (and with it /proc). */
function release_zombie(pid: number): void {
  zombies.get().delete(pid);
}

/**
 * init's environment. HOME=/ and TERM=linux are what the kernel passes to init (init/main.c
 * envp_init); PATH, SHELL, USER and LOGNAME are what login(1) sets for root (PATH as busybox's
 * login puts the root directories first, /bin before /sbin here); PWD is what a shell exports for
 * its starting directory. init hands a copy to the shell and every process inherits from there.
 */
export const INIT_ENV: readonly string[] = ["HOME=/", "PATH=/bin:/sbin:/usr/bin:/usr/sbin", "TERM=linux", "SHELL=/bin/sh", "USER=root", "LOGNAME=root", "PWD=/"];
/** The environment of a process the kernel itself starts (call_usermodehelper's, kernel/umh.c). */
const UMH_ENV: readonly string[] = ["HOME=/", "TERM=linux", "PATH=/sbin:/usr/sbin:/bin:/usr/bin"];

/** The initramfs: the programs /bin holds. */
export function set_program_table(table: ReadonlyMap<string, Program>): void {
  const p = programs.get();
  p.clear();
  for (const [k, v] of table) p.set(k, v);
}

export function program_names(): string[] {
  return [...programs.get().keys()].sort();
}

export function process_info(t: Task): ProcessInfo | undefined {
  return processes.get().get(t);
}

/** The program for `name` (for pid 1, which execs in place). */
export function find_program(name: string): Program | undefined {
  return programs.get().get(name);
}

/** A zombie by pid (an exited process not yet reaped), for /proc. */
export function find_zombie(pid: number): Task | undefined {
  return zombies.get().get(pid);
}

export function zombie_list(): Task[] {
  return [...zombies.get().values()];
}

function new_info(t: Task, argv: readonly string[], env: string[], pgid: number, sid: number, tty: number): ProcessInfo {
  const disposition = new Array<SigDisposition>(32).fill("default");
  t.sighand = disposition;
  const info: ProcessInfo = {
    argv,
    children: new Map(),
    disposition,
    env,
    env_at_exec: [...env],
    term_signal: 0,
    pgid,
    sid,
    tty,
    wait_chldexit: init_waitqueue_head("wait_chldexit"),
    exit_pending: null,
    inflight: null,
    inflight_count: 0,
    slice_calls: 0,
    slice_switches: 0,
    cutime_ns: 0,
    cnvcsw: 0,
    cnivcsw: 0,
  };
  processes.get().set(t, info);
  return info;
}

/**
 * Run `prog` as task `t` (the body of an exec'd process). A thrown exception is a segfault. When
 * the program returns, system calls it did not await are finished first (as exit() flushes
 * stdio): their bytes reach the pipe or file before the descriptors close.
 */
export async function run_program(t: Task, prog: Program, argv: readonly string[]): Promise<number> {
  // pid 1 execs in place: it is the session leader and process group 1, with no terminal
  // (/dev/console never becomes a controlling tty: drivers/tty/tty_io.c).
  const info = process_info(t) ?? new_info(t, argv, [...INIT_ENV], t.pid, t.pid, 0);
  t.comm = argv[0] ?? t.comm;
  try {
    const code = await prog(argv, syscalls_for(t));
    if (info.inflight !== null) await info.inflight.catch(() => undefined);
    return info.exit_pending ?? code;
  } catch (e) {
    if (e instanceof ProcessExit) return info.exit_pending ?? e.code;
    // A kernel BUG or lockup inside a system call was reported already; the task dies of it.
    if (e instanceof KernelBug) throw e;
    const what = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    pr_info("%s[%d]: segfault (%s)\n", t.comm, t.pid, what);
    return 128 + 11;
  }
}

/**
 * fork + execve (posix_spawn): start `argv[0]` from /bin as a child of `parent`. `setup` prepares
 * the child before it runs (its descriptors and file actions); if it fails, the child is gone
 * without having run and its errno is returned. The environment is attr.envp, else a copy of the
 * parent's; attr.setsid makes the child a session (and group) leader, attr.pgroup puts it in a
 * process group (0: its own). Returns the pid, -ENOENT, or setup's errno.
 */
export function do_spawn(parent: Task | null, argv: readonly string[], attr: SpawnAttr, setup: (child: Task) => number): number {
  const name = argv[0];
  if (name === undefined) return -EINVAL;
  const prog = programs.get().get(name);
  if (prog === undefined) return -ENOENT;
  const pinfo = parent === null ? undefined : process_info(parent);
  if (attr.pgroup !== undefined && attr.pgroup !== 0 && !process_in_group(attr.pgroup, pinfo?.sid ?? 0)) return -EPERM;
  const t: Task = create_task(() => run_program(t, prog, argv), name, 0, parent);
  const env = attr.envp !== undefined ? [...attr.envp] : [...(pinfo?.env ?? UMH_ENV)];
  const info = new_info(t, argv, env, pinfo?.pgid ?? 0, pinfo?.sid ?? 0, pinfo?.tty ?? 0);
  if (attr.setsid === true) {
    info.sid = info.pgid = t.pid;
    info.tty = 0;
  } else if (attr.pgroup !== undefined) info.pgid = attr.pgroup === 0 ? t.pid : attr.pgroup;
  const r = setup(t);
  if (r < 0) {
    abort_new_task(t, 127);
    return r;
  }
  t.on_exit.push(() => exit_notify(t));
  if (pinfo !== undefined) pinfo.children.set(t.pid, t);
  wake_up_process(t);
  return t.pid;
}

/** fork+execve from kernel code (tests): a child of the current task, with no file setup. */
export function do_execve(argv: readonly string[]): number {
  return do_spawn(get_current(), argv, {}, () => 0);
}

/** A live process in group `pgid` of session `sid` (setpgid may only join such a group). */
function process_in_group(pgid: number, sid: number): boolean {
  for (const t of task_list()) {
    const i = process_info(t);
    if (i !== undefined && i.pgid === pgid && i.sid === sid) return true;
  }
  return false;
}

/**
 * Is there a process group `pgid`, or a live process with that pid (find_vpid: the id is in use)?
 * What tcsetpgrp checks before making it the terminal's foreground group.
 */
export function process_group_exists(pgid: number): boolean {
  for (const t of task_list()) {
    const i = process_info(t);
    if (i !== undefined && (i.pgid === pgid || t.pid === pgid)) return true;
  }
  return false;
}

/** Every live process (tasks with a ProcessInfo), by pid. */
export function process_list(): Task[] {
  return task_list().filter((t) => process_info(t) !== undefined);
}

/** setpgid(2): put `pid` (0: the caller) into group `pgid` (0: its own pid) within its session. */
export function do_setpgid(caller: Task, pid: number, pgid: number): number {
  if (pgid < 0) return -EINVAL;
  const cinfo = process_info(caller);
  const t = pid === 0 ? caller : find_task_by_pid(pid);
  const info = t === undefined ? undefined : process_info(t);
  if (t === undefined || info === undefined || cinfo === undefined) return -ESRCH;
  if (t !== caller && (t.ppid !== caller.pid || !cinfo.children.has(t.pid))) return -ESRCH;
  if (info.sid === t.pid || info.sid !== cinfo.sid) return -EPERM; // a session leader stays where it is
  const target = pgid === 0 ? t.pid : pgid;
  if (target !== t.pid && !process_in_group(target, info.sid)) return -EPERM;
  info.pgid = target;
  return 0;
}

/** setsid(2): a new session and group led by the caller, with no terminal; -EPERM for a group leader. */
export function do_setsid(caller: Task): number {
  const info = process_info(caller);
  if (info === undefined) return -EPERM;
  if (info.pgid === caller.pid || process_in_group(caller.pid, info.sid)) return -EPERM;
  info.sid = info.pgid = caller.pid;
  info.tty = 0;
  return caller.pid;
}

/**
 * forget_original_parent() (kernel/exit.c): `t` is exiting; its children become init's. A zombie
 * among them is reported to init at once (SIGCHLD and the wait queue), so init reaps it. Without
 * an init process (a test machine whose pid 1 finished) nobody will wait: they are let go.
 */
function forget_original_parent(t: Task, info: ProcessInfo): void {
  if (info.children.size === 0) return;
  const reaper = find_task_by_pid(1);
  const rinfo = reaper === undefined || reaper === t ? undefined : process_info(reaper);
  for (const [pid, c] of info.children) {
    info.children.delete(pid);
    c.ppid = rinfo === undefined ? 0 : 1;
    if (rinfo === undefined || reaper === undefined) {
      release_zombie(pid);
      continue;
    }
    if (c.exited && rinfo.disposition[SIGCHLD] === "ignore") {
      release_zombie(pid);
      continue;
    }
    rinfo.children.set(pid, c);
    if (c.exited) {
      send_sig(SIGCHLD, reaper);
      wake_up_all(rinfo.wait_chldexit);
    }
  }
}

/** exit_notify() (kernel/exit.c): run as the process's exit hook, after its files are closed. */
function exit_notify(t: Task): void {
  const info = process_info(t);
  if (info === undefined) return;
  forget_original_parent(t, info);
  const parent = find_task_by_pid(t.ppid);
  const pinfo = parent === undefined ? undefined : process_info(parent);
  if (parent === undefined || pinfo === undefined || !pinfo.children.has(t.pid)) return;
  if (pinfo.disposition[SIGCHLD] === "ignore") pinfo.children.delete(t.pid);
  else {
    zombies.get().set(t.pid, t);
    send_sig(SIGCHLD, parent);
  }
  wake_up_all(pinfo.wait_chldexit);
}

/**
 * do_wait() (kernel/exit.c): wait for a child to exit and reap it. `pid` > 0 names one child, -1
 * any child, 0 any in the caller's process group, < -1 any in group -pid. Returns the child's pid
 * and exit status (128+signal when a signal ended it); with `nohang`, 0 while matching children
 * still run; -ECHILD when there is no matching child; -ERESTARTSYS on a signal.
 */
export async function do_wait(t: Task, pid: number, nohang: boolean): Promise<{ pid: number; status: number } | number> {
  const info = process_info(t);
  if (info === undefined) return -ECHILD;
  const own_group = info.pgid;
  const matches = (c: Task): boolean => {
    if (pid > 0) return c.pid === pid;
    if (pid === -1) return true;
    return process_info(c)?.pgid === (pid === 0 ? own_group : -pid);
  };
  const found: { child: Task | null; any: boolean } = { child: null, any: false };
  const scan = (): boolean => {
    found.child = null;
    found.any = false;
    for (const c of info.children.values()) {
      if (!matches(c)) continue;
      found.any = true;
      if (c.exited) {
        found.child = c;
        return true;
      }
    }
    return !found.any;
  };
  if (!scan()) {
    if (nohang) return 0;
    t.kstack = ["do_wait", "kernel_wait4", "__do_sys_wait4", "do_syscall_64", "entry_SYSCALL_64_after_hwframe"];
    const r = await wait_event_interruptible(info.wait_chldexit, scan);
    if (r < 0) return r;
  }
  const c = found.child;
  if (c === null) return -ECHILD;
  info.children.delete(c.pid);
  release_zombie(c.pid);
  const ci = process_info(c);
  info.cutime_ns += c.sum_exec_runtime_ns + (ci?.cutime_ns ?? 0);
  info.cnvcsw += c.sched_voluntary + (ci?.cnvcsw ?? 0);
  info.cnivcsw += c.sched_involuntary + (ci?.cnivcsw ?? 0);
  return { pid: c.pid, status: c.exit_code };
}

/** Deliver `sig` to one task as root may: init takes only what it catches, kernel threads nothing. */
function send_to(t: Task, sig: number): void {
  if (sig === 0) return;
  if ((t.flags & PF_KTHREAD) !== 0) return; // kernel threads ignore signals from user space
  const info = process_info(t);
  // init is unkillable (SIGNAL_UNKILLABLE): signals it has no handler for, SIGKILL included, are
  // dropped, as Linux's sig_task_ignored() does for the namespace's init.
  if (t.pid === 1 && (info === undefined || info.disposition[sig] !== "catch")) return;
  send_sig(sig, t);
}

/** kill_pgrp(): `sig` to every process in group `pgid`; -ESRCH when there is none. */
export function kill_pgrp(pgid: number, sig: number): number {
  let found = false;
  for (const t of process_list()) {
    if (process_info(t)!.pgid !== pgid) continue;
    found = true;
    send_to(t, sig);
  }
  return found ? 0 : -ESRCH;
}

/**
 * kill(2) (kill_something_info): `pid` > 0 one process, 0 the caller's process group, -1 every
 * process but init and the caller, < -1 group -pid. Signal 0 only checks that the target exists.
 * Everyone is root, so permission is never refused; init and kernel threads drop what they do not
 * catch, and the call still returns 0, as Linux does for root.
 */
export function do_kill(caller: Task | null, pid: number, sig: number): number {
  if (!Number.isInteger(sig) || sig < 0 || sig >= 32) return -EINVAL;
  if (pid > 0) {
    const t = find_task_by_pid(pid);
    if (t === undefined) return zombies.get().has(pid) ? 0 : -ESRCH;
    send_to(t, sig);
    return 0;
  }
  const cinfo = caller === null ? undefined : process_info(caller);
  if (pid === 0) return cinfo === undefined ? -ESRCH : kill_pgrp(cinfo.pgid, sig);
  if (pid === -1) {
    let found = false;
    for (const t of process_list()) {
      if (t.pid === 1 || t === caller) continue;
      found = true;
      send_to(t, sig);
    }
    return found ? 0 : -ESRCH;
  }
  return kill_pgrp(-pid, sig);
}

/** kill of one pid from kernel code (tests, kernel helpers); the tty's ^C is kill_pgrp's. */
export function kill_pid(pid: number, sig: number): number {
  return pid > 0 ? do_kill(null, pid, sig) : -ESRCH;
}

/**
 * The lowest pending signal whose action now is to end the process (a default action of
 * "terminate", or SIGKILL), clearing it; 0 when there is none. Pending signals that are ignored
 * now are dropped on the way; caught ones stay pending.
 */
function dequeue_fatal_signal(t: Task): number {
  const info = process_info(t);
  for (let sig = 1; sig < 32; sig++) {
    if ((t.sigpending & (1 << sig)) === 0) continue;
    const d = info?.disposition[sig] ?? "default";
    if (d === "catch" && sig !== SIGKILL) continue;
    t.sigpending &= ~(1 << sig);
    if (sig === SIGKILL || (d === "default" && sig_default_action(sig) === "terminate")) return sig;
  }
  return 0;
}

/**
 * The process is ending with status `code` (the first such decision stands). A status of 129…159
 * is a signal's (128+signal: every ProcessExit but poweroff's comes from one).
 */
export function process_exiting(info: ProcessInfo, code: number): void {
  if (info.exit_pending !== null) return;
  info.exit_pending = code;
  if (code > 128 && code < 128 + 32) info.term_signal = code - 128;
}

/** End the process by signal `sig`: recorded, then thrown out of the system call. */
function process_exit(t: Task, code: number): never {
  const info = process_info(t);
  if (info !== undefined) process_exiting(info, code);
  throw new ProcessExit(info?.exit_pending ?? code);
}

/**
 * After an interruptible sleep ended early: act on pending signals. Ignored ones are dropped; a
 * default-action signal ends the process (throws ProcessExit); a caught one makes the call return
 * -EINTR. Returns the errno to return.
 */
export function handle_signal(t: Task, ret: number): number {
  if (ret !== -ERESTARTSYS) return ret;
  const sig = dequeue_fatal_signal(t);
  if (sig !== 0) process_exit(t, 128 + sig);
  return -EINTR;
}

/**
 * exit_to_user_mode() (kernel/entry/common.c): every system call of a process ends here. A
 * pending signal whose action is to end the process ends it now (ProcessExit), as Linux delivers
 * signals on the way back to user space; a process already ending ends again.
 */
export function exit_to_user_mode(t: Task, info: ProcessInfo): void {
  if (info.exit_pending !== null) throw new ProcessExit(info.exit_pending);
  if (t.sigpending === 0) return;
  const sig = dequeue_fatal_signal(t);
  if (sig !== 0) process_exit(t, 128 + sig);
}
