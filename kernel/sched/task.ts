import { TASK_NEW } from "../../include/linux/sched.ts";
import type { SigDisposition } from "../../include/uapi/syscalls.ts";
import type { TimerList } from "../time/timer.ts";
import { WaitQueueHead } from "./wait_queue_head.ts";

/** The body of a task: runs in process context and may sleep. Its result is the exit code. */
export type TaskFn = () => Promise<number | void> | number | void;

/**
 * A task (struct task_struct): a cooperative thread of control. It runs in steps; a step ends
 * when the task sleeps (schedule()), yields, or exits.
 */
export class Task {
  readonly pid: number;
  /** Executable name as ps shows it (TASK_COMM_LEN is 16 in Linux; we keep the whole name). */
  comm: string;
  /** The parent's pid; 1 once the parent exited and init adopted the task (kernel/exit.c reparenting). */
  ppid: number;
  state: number = TASK_NEW;
  flags: number;
  readonly start_ns: number;
  exit_code = 0;
  exited = false;
  /** Steps run (each is a context switch into the task; /proc/PID/status voluntary_ctxt_switches). */
  nvcsw = 0;
  /** On the run queue now. */
  on_rq = false;
  /** Resumes the task's suspended step; set while it sleeps or waits to start. */
  resume: (() => void) | null = null;
  readonly fn: TaskFn;
  /** Woken (wake_up_all) when the task exits. */
  readonly exit_wq = new WaitQueueHead();
  /** kthread_stop() asked this thread to stop. */
  should_stop = false;
  /** Pending signals, one bit per signal number. */
  sigpending = 0;
  /**
   * Signal dispositions by number (struct sighand_struct), for user processes; null for kernel
   * threads. send_sig() drops a signal the task ignores (explicitly, or by default action).
   */
  sighand: SigDisposition[] | null = null;
  /** schedule() calls that slept (nvcsw in Linux's sense) and that only yielded the CPU (nivcsw). */
  sched_voluntary = 0;
  sched_involuntary = 0;
  /**
   * CPU time in nanoseconds of the kernel clock, measured from the start to the end of each step
   * (se.sum_exec_runtime). In the virtual clock a step takes no time inside itself (the CPU model
   * charges it afterwards), so there this stays 0; in realtime mode it is the host time steps took.
   */
  sum_exec_runtime_ns = 0;
  /**
   * Where the task is in the kernel while it sleeps, innermost function first (what
   * /proc/PID/stack prints): the system-call layer sets it for a process's calls. Empty when
   * unknown (kernel threads).
   */
  kstack: readonly string[] = [];
  /** Run when the task exits (a process's sockets are closed this way). */
  readonly on_exit: (() => void)[] = [];
  /** Hung-task detection (kernel/hung_task.ts): when and from where it last went into D state. */
  blocked_since_ns = 0;
  blocked_switch_count = 0;
  blocked_stack: Error | null = null;
  /** The timer schedule_timeout arms for this task, made on first use. */
  sleep_timer: TimerList | null = null;

  constructor(pid: number, ppid: number, comm: string, flags: number, start_ns: number, fn: TaskFn) {
    this.pid = pid;
    this.ppid = ppid;
    this.comm = comm;
    this.flags = flags;
    this.start_ns = start_ns;
    this.fn = fn;
  }
}
