import { KernelBug } from "./panic.ts";
import { EAGAIN, ECHILD, EINTR, EINVAL, ENOENT, ERESTARTSYS, ESRCH } from "../include/linux/errno.ts";
import { SIGKILL } from "../include/linux/sched.ts";
import type { Program, SigDisposition } from "../include/uapi/syscalls.ts";
import { DEFINE_PER_KERNEL } from "./kernel.ts";
import { pr_info } from "./printk.ts";
import { create_task, find_task_by_pid, get_current, send_sig, wake_up_process } from "./sched/core.ts";
import type { Task } from "./sched/task.ts";
import { wait_event_interruptible } from "./sched/wait.ts";
import { syscalls_for } from "./syscalls.ts";

/**
 * User processes (kernel/fork.c, fs/exec.c, kernel/exit.c, kernel/signal.c, reduced): a process is a
 * task running a Program from /bin with its own system-call object, a parent that waits for it,
 * and signal dispositions.
 */

/** Thrown out of a system call when a signal's default action ends the process. */
export class ProcessExit extends Error {
  readonly code: number;
  constructor(code: number) {
    super(`process exit ${code}`);
    this.code = code;
  }
}

export interface ProcessInfo {
  readonly argv: readonly string[];
  readonly children: Map<number, Task>;
  readonly disposition: SigDisposition[];
}

const processes = DEFINE_PER_KERNEL(() => new WeakMap<Task, ProcessInfo>());
const programs = DEFINE_PER_KERNEL(() => new Map<string, Program>());

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

function new_info(argv: readonly string[]): ProcessInfo {
  return { argv, children: new Map(), disposition: new Array<SigDisposition>(32).fill("default") };
}

/** Run `prog` as task `t` (the body of an exec'd process). A thrown exception is a segfault. */
export async function run_program(t: Task, prog: Program, argv: readonly string[]): Promise<number> {
  if (!processes.get().has(t)) processes.get().set(t, new_info(argv));
  t.comm = argv[0] ?? t.comm;
  try {
    return await prog(argv, syscalls_for(t));
  } catch (e) {
    if (e instanceof ProcessExit) return e.code;
    // A kernel BUG or lockup inside a system call was reported already; the task dies of it.
    if (e instanceof KernelBug) throw e;
    const what = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    pr_info(`${t.comm}[${t.pid}]: segfault (${what})`);
    return 128 + 11;
  }
}

/** fork+execve: start `argv[0]` from /bin as a child of the current task. Returns its pid or -ENOENT. */
export function do_execve(argv: readonly string[]): number {
  const name = argv[0];
  if (name === undefined) return -EINVAL;
  const prog = programs.get().get(name);
  if (prog === undefined) return -ENOENT;
  const parent = get_current();
  const t: Task = create_task(() => run_program(t, prog, argv), name, 0);
  processes.get().set(t, new_info(argv));
  if (parent !== null) process_info(parent)?.children.set(t.pid, t);
  wake_up_process(t);
  return t.pid;
}

/** The program for `name` (for pid 1, which execs in place). */
export function find_program(name: string): Program | undefined {
  return programs.get().get(name);
}

/**
 * waitpid: wait for child `pid` to exit and reap it. -ECHILD if it is not our child; with
 * `nohang`, -EAGAIN instead of waiting while it runs.
 */
export async function do_wait(pid: number, nohang = false): Promise<number> {
  const self = get_current();
  const info = self === null ? undefined : process_info(self);
  const child = info?.children.get(pid);
  if (info === undefined || child === undefined) return -ECHILD;
  if (nohang && !child.exited) return -EAGAIN;
  const r = await wait_event_interruptible(child.exit_wq, () => child.exited);
  if (r < 0) return r;
  info.children.delete(pid);
  return child.exit_code;
}

/** kill: deliver `sig` to `pid` unless the process ignores it. */
export function kill_pid(pid: number, sig: number): number {
  const t = find_task_by_pid(pid);
  if (t === undefined) return -ESRCH;
  const info = process_info(t);
  if (info !== undefined && info.disposition[sig] === "ignore" && sig !== SIGKILL) return 0;
  // init is unkillable (SIGNAL_UNKILLABLE): signals it has no handler for, SIGKILL included, are
  // dropped, as Linux's sig_task_ignored() does for the namespace's init.
  if (t.pid === 1 && (info === undefined || info.disposition[sig] === "default" || sig === SIGKILL)) return 0;
  send_sig(sig, t);
  return 0;
}

/**
 * After an interruptible sleep ended early: act on pending signals. Ignored ones are dropped; a
 * default-action signal ends the process (throws ProcessExit); a caught one makes the call return
 * -EINTR. Returns the errno to return.
 */
export function handle_signal(t: Task, ret: number): number {
  if (ret !== -ERESTARTSYS) return ret;
  const info = process_info(t);
  for (let sig = 1; sig < 32; sig++) {
    if ((t.sigpending & (1 << sig)) === 0) continue;
    const d = info?.disposition[sig] ?? "default";
    if (d === "ignore") t.sigpending &= ~(1 << sig);
    else if (d === "default") {
      t.sigpending &= ~(1 << sig);
      throw new ProcessExit(128 + sig);
    }
  }
  return -EINTR;
}
