import {
  EXIT_DEAD,
  MAX_SCHEDULE_TIMEOUT,
  PF_EXITING,
  TASK_INTERRUPTIBLE,
  TASK_NEW,
  TASK_NORMAL,
  TASK_RUNNING,
  TASK_UNINTERRUPTIBLE,
  SIGKILL,
  SIGSTOP,
  sig_default_action,
} from "../../include/linux/sched.ts";
import { DEFINE_PER_KERNEL, this_kernel } from "../kernel.ts";
import { KernelBug, LockupKill, oops } from "../panic.ts";
import { ktime_get_ns, NSEC_PER_JIFFY, NSEC_PER_MSEC, NSEC_PER_USEC } from "../time/timekeeping.ts";
import { del_timer, mod_timer_ns, TimerList } from "../time/timer.ts";
import { Task, type TaskFn } from "./task.ts";
import { __wake_up } from "./wait.ts";
import { hung_task_note_sleep, hung_task_note_wake } from "../hung_task.ts";
import { calc_global_load_tick, calc_load_nohz_start } from "./loadavg.ts";

/**
 * The scheduler (kernel/sched/core.c): cooperative tasks on one CPU, run in FIFO order.
 *
 * A task runs until it sleeps, yields or exits; that span is one *step*. The CPU gives the kernel
 * one step per slice and delivers interrupts between steps, never inside one. Sleeping means
 * `await schedule()` (or a helper built on it: msleep, wait_event, wait_for_completion…), and is
 * only allowed in process context: from an interrupt or softirq it is reported as a kernel bug
 * and refused (the call returns at once).
 *
 * A task must only await kernel primitives. Awaiting a host promise (a file, a socket) would stall
 * the whole machine until it settles; host I/O belongs in hw/ devices.
 */
class RunQueue {
  /** The runnable tasks: a ring that doubles when full and never shrinks (no allocation per step). */
  private ring: (Task | null)[] = new Array<Task | null>(16).fill(null);
  private head = 0;
  private count = 0;
  readonly tasks = new Map<number, Task>();
  next_pid = 1;
  nr_switches = 0;
  /** Tasks created since boot (total_forks: /proc/stat "processes"). */
  total_forks = 0;
  /** CPU time of every step run since boot, in ns (the tasks' sum_exec_runtime, the dead ones' too). */
  exec_ns_total = 0;
  /**
   * Tasks asleep in TASK_UNINTERRUPTIBLE (rq->nr_uninterruptible, kept as a set): they count in
   * the load average. Entered in schedule(), left on wake-up.
   */
  readonly uninterruptible = new Set<Task>();
  /** The task whose step is running, and what ends that step (it reached schedule() or exited). */
  stepping: Task | null = null;
  /** The kernel clock when the running step began (its length is added to the task's CPU time). */
  step_start_ns = 0;
  step_done: ((busy: Promise<boolean>) => void) | null = null;
  /** The executor of each step's promise, made once so that a step allocates only the promise. */
  readonly capture_step_done = (resolve: (busy: Promise<boolean>) => void): void => {
    this.step_done = resolve;
  };

  enqueue(t: Task): void {
    t.on_rq = true;
    let ring = this.ring;
    if (this.count === ring.length) {
      const bigger = new Array<Task | null>(ring.length * 2).fill(null);
      for (let i = 0; i < this.count; i++) bigger[i] = ring[(this.head + i) % ring.length]!;
      this.ring = ring = bigger;
      this.head = 0;
    }
    ring[(this.head + this.count) % ring.length] = t;
    this.count++;
  }

  dequeue(): Task | null {
    if (this.count === 0) return null;
    const ring = this.ring;
    const t = ring[this.head]!;
    ring[this.head] = null;
    this.head = this.head + 1 === ring.length ? 0 : this.head + 1;
    this.count--;
    t.on_rq = false;
    return t;
  }

  get nr_running(): number {
    return this.count;
  }
}

const runqueue = DEFINE_PER_KERNEL(() => new RunQueue());
const RESOLVED: Promise<void> = Promise.resolve();
/** What a step's promise is resolved with (end_step). */
const STEP_ENDED: Promise<boolean> = Promise.resolve(true);

/** `current`: the task whose step is running, or null outside process context. */
export function get_current(): Task | null {
  return this_kernel().current as Task | null;
}

/** set_current_state(): the state the task will be in once it calls schedule(). */
export function set_current_state(state: number): void {
  const t = get_current();
  if (t !== null) t.state = state;
}

/**
 * might_sleep(): check that sleeping is allowed here. In interrupt context, in a softirq or
 * outside any task it reports "BUG: sleeping function called from invalid context" with a stack
 * and returns false; the caller must then not sleep.
 */
export function might_sleep(): boolean {
  const k = this_kernel();
  if (k.hardirq_count === 0 && k.softirq_count === 0 && k.current !== null) return true;
  const t = k.current as Task | null;
  oops(
    `BUG: sleeping function called from invalid context\n` +
      `in_atomic(): 1, irqs_disabled(): ${k.hardirq_count > 0 ? 1 : 0}, non_block: 0, pid: ${t?.pid ?? 0}, name: ${t?.comm ?? "swapper/0"}`,
  );
  return false;
}

/**
 * schedule(): give up the CPU. A task still TASK_RUNNING goes to the back of the run queue (a
 * yield); a task that set a sleeping state stays off it until wake_up_process().
 */
export function schedule(): Promise<void> {
  if (!might_sleep()) return RESOLVED;
  const t = get_current()!;
  const rq = runqueue.get();
  if (t.state === TASK_RUNNING) {
    t.sched_involuntary++;
    rq.enqueue(t);
  } else {
    t.sched_voluntary++;
    if ((t.state & TASK_UNINTERRUPTIBLE) !== 0) {
      rq.uninterruptible.add(t);
      hung_task_note_sleep(t, t.nvcsw);
    }
  }
  return new Promise<void>(park_current);
}

/** schedule()'s promise executor, one function for every sleep: a sleep allocates only its promise. */
function park_current(resolve: () => void): void {
  get_current()!.resume = resolve;
  end_step(runqueue.get());
}

/**
 * The running step is over (its task reached schedule() or exited): leave process context, and
 * tell the run loop a few promise jobs later. The task may still have jobs queued behind this point —
 * an async function that returns a promise wires itself to it in a job — and they must run before
 * the next slice: a lockup caught there ends the loop with Runtime.terminateExecution, which drops
 * every queued job, and a task whose wiring was dropped would never wake again.
 */
function end_step(rq: RunQueue): void {
  const t = rq.stepping;
  rq.stepping = null;
  if (t !== null) {
    const k = this_kernel();
    if (k.current === t) k.current = null;
    const ran = ktime_get_ns() - rq.step_start_ns;
    t.sum_exec_runtime_ns += ran;
    rq.exec_ns_total += ran;
  }
  const done = rq.step_done;
  rq.step_done = null;
  // Resolving with a settled promise takes a job and a reaction before the loop's await resumes:
  // behind the task's own jobs (queueMicrotask would do too, but Node wraps each in an async
  // context object).
  done?.(STEP_ENDED);
}

/** sched_yield() / cond_resched(): let every other runnable task have a step first. */
export function sched_yield(): Promise<void> {
  set_current_state(TASK_RUNNING);
  return schedule();
}
export const cond_resched = sched_yield;

/**
 * wake_up_process(): make a sleeping (or new) task runnable. Returns false if it was already
 * running or has exited. Any context.
 */
export function wake_up_state(t: Task, state_mask: number): boolean {
  if ((t.state & state_mask) === 0) return false;
  if ((t.state & TASK_UNINTERRUPTIBLE) !== 0) runqueue.get().uninterruptible.delete(t);
  t.state = TASK_RUNNING;
  if (!t.on_rq && t !== this_kernel().current) runqueue.get().enqueue(t);
  return true;
}

export function wake_up_process(t: Task): boolean {
  return wake_up_state(t, TASK_NORMAL | TASK_NEW);
}

/**
 * Create a task (not yet runnable: wake_up_process() starts it). Used by kthread_create and by
 * the process layer, which names the parent itself (a system call may run while its task is
 * between steps, when `current` is not set).
 */
export function create_task(fn: TaskFn, comm: string, flags: number, parent: Task | null = get_current()): Task {
  const rq = runqueue.get();
  const t = new Task(rq.next_pid++, parent?.pid ?? 0, comm, flags, ktime_get_ns(), fn);
  rq.total_forks++;
  t.resume = () => {
    t.resume = null;
    void run_task_body(t);
  };
  rq.tasks.set(t.pid, t);
  return t;
}

/** Run a task's body to completion across its steps; an exception is an oops that kills it. */
async function run_task_body(t: Task): Promise<void> {
  let code = 0;
  try {
    const r = await t.fn();
    if (typeof r === "number") code = r;
  } catch (e) {
    if (!(e instanceof KernelBug)) oops(`BUG: unhandled exception in task ${t.comm} (pid ${t.pid}); task killed`, e);
    // Killed as if by SIGSEGV, as an oops kills the task that caused it; the soft-lockup
    // detector's kill is a SIGKILL.
    code = e instanceof LockupKill ? 128 + 9 : 128 + 11;
  }
  do_exit(t, code);
}

/** Task exit: record the code, wake whoever waits for it, leave the task table. */
function do_exit(t: Task, code: number): void {
  const rq = runqueue.get();
  t.flags |= PF_EXITING;
  t.exit_code = code;
  t.exited = true;
  t.state = EXIT_DEAD;
  if (t.sleep_timer !== null) del_timer(t.sleep_timer);
  rq.uninterruptible.delete(t);
  for (const fn of t.on_exit.splice(0)) {
    try {
      fn();
    } catch (e) {
      oops(`BUG: exception in an exit hook of ${t.comm}`, e);
    }
  }
  rq.tasks.delete(t.pid);
  __wake_up(t.exit_wq, TASK_NORMAL, 0);
  end_step(rq);
}

/**
 * The soft-lockup detector unwound `t` in the middle of a step (kernel/watchdog.ts): its body will
 * never continue, so it exits here as if by SIGKILL and the step it was running is over.
 */
export function kill_stuck_task(t: object): void {
  const task = t as Task;
  const rq = runqueue.get();
  if (task.exited) return;
  task.resume = null;
  // The step that ran it is gone with the loop that awaited it: do not let do_exit finish it (a
  // stale continuation would run after the next step has begun).
  rq.step_done = null;
  rq.stepping = null;
  do_exit(task, 128 + 9);
}

/**
 * A task that was created but never woken goes away without running (kthread_stop on it, a spawn
 * whose file actions failed). What was set up for it (its exit hooks: descriptors …) is given back.
 */
export function abort_new_task(t: Task, code: number): void {
  if (t.state !== TASK_NEW) return;
  t.resume = null;
  t.exit_code = code;
  t.exited = true;
  t.state = EXIT_DEAD;
  for (const fn of t.on_exit.splice(0)) {
    try {
      fn();
    } catch (e) {
      oops(`BUG: exception in an exit hook of ${t.comm}`, e);
    }
  }
  runqueue.get().tasks.delete(t.pid);
  __wake_up(t.exit_wq, TASK_NORMAL, 0);
}

/**
 * Run one step of the next runnable task. Returns false (synchronously) when nothing is runnable,
 * true when the task had nothing to resume, else a promise that resolves (to true) when the step
 * ends — the one object a step allocates: the task runs in promise jobs, so only a promise can say
 * when it reached schedule() again.
 */
export function sched_step(): boolean | Promise<boolean> {
  const rq = runqueue.get();
  const now = ktime_get_ns();
  // The scheduler tick's load-average sample (kernel/sched/loadavg.ts): runnable + D-state tasks.
  calc_global_load_tick(now, rq.nr_running + rq.uninterruptible.size);
  const t = rq.dequeue();
  if (t === null) {
    calc_load_nohz_start(rq.uninterruptible.size); // the CPU goes idle: its tick stops
    return false;
  }
  const resume = t.resume;
  if (resume === null) return true; // woken twice before it ran: nothing to resume
  t.resume = null;
  if (t.blocked_stack !== null) hung_task_note_wake(t);
  this_kernel().current = t;
  t.nvcsw++;
  rq.nr_switches++;
  const done = new Promise<boolean>(rq.capture_step_done);
  rq.stepping = t;
  rq.step_start_ns = now;
  resume();
  return done;
}

/** nr_running(): tasks running or runnable — the queue and the task whose step runs now. */
export function nr_running(): number {
  const rq = runqueue.get();
  return rq.nr_running + (rq.stepping !== null ? 1 : 0);
}

/** Live tasks (nr_threads, less the zombies, which the process layer keeps). */
export function nr_threads(): number {
  return runqueue.get().tasks.size;
}

/** The last pid handed out (the pid namespace's idr cursor − 1: /proc/loadavg's last field). */
export function last_pid(): number {
  return runqueue.get().next_pid - 1;
}

/** Tasks created since boot (total_forks). */
export function nr_processes(): number {
  return runqueue.get().total_forks;
}

export function nr_context_switches(): number {
  return runqueue.get().nr_switches;
}

/**
 * CPU time of all task steps since boot, in ns: the tasks' sum_exec_runtime (exited ones
 * included) and what the step running now has taken so far.
 */
export function task_cputime_total_ns(): number {
  const rq = runqueue.get();
  return rq.exec_ns_total + (rq.stepping !== null ? ktime_get_ns() - rq.step_start_ns : 0);
}

export function find_task_by_pid(pid: number): Task | undefined {
  return runqueue.get().tasks.get(pid);
}

/** Every live task, by pid (for ps and /proc). */
export function task_list(): Task[] {
  return [...runqueue.get().tasks.values()].sort((a, b) => a.pid - b.pid);
}

/**
 * The state letter of /proc/PID/stat and ps (fs/proc/array.c task_state_array): R running or
 * runnable (a new task waiting for its first step too: TASK_NEW is not a reported state), S
 * interruptible sleep, D uninterruptible sleep, X dead. Zombies ("Z") are the process layer's.
 */
export function task_state_char(t: Task): string {
  if (t.exited) return "X";
  if (t.state & TASK_INTERRUPTIBLE) return "S";
  if (t.state & TASK_UNINTERRUPTIBLE) return "D";
  return "R";
}

/** The per-task timer behind schedule_timeout (Linux keeps it on the sleeper's stack). */
class SleepTimer extends TimerList {
  readonly task: Task;
  constructor(task: Task) {
    super((timer) => {
      wake_up_process((timer as SleepTimer).task);
    });
    this.task = task;
  }
}

/**
 * schedule_timeout(): sleep for up to `timeout` jiffies in the state the caller set. Returns the
 * jiffies left (0 when the time ran out). The caller sets TASK_(UN)INTERRUPTIBLE first.
 */
export async function schedule_timeout(timeout: number): Promise<number> {
  if (timeout >= MAX_SCHEDULE_TIMEOUT) {
    await schedule();
    return timeout;
  }
  const expire = ktime_get_ns() + Math.max(0, timeout) * NSEC_PER_JIFFY;
  return schedule_hrtimeout_ns(expire);
}

/** Sleep until absolute time `expire_ns` or a wake-up; returns jiffies left (0 = expired). */
export async function schedule_hrtimeout_ns(expire_ns: number): Promise<number> {
  if (!might_sleep()) return 0;
  const t = get_current()!;
  let timer = t.sleep_timer;
  if (timer === null) {
    timer = new SleepTimer(t);
    t.sleep_timer = timer;
  }
  mod_timer_ns(timer, expire_ns);
  await schedule();
  del_timer(timer);
  const left = expire_ns - ktime_get_ns();
  return left <= 0 ? 0 : Math.ceil(left / NSEC_PER_JIFFY);
}

export function schedule_timeout_uninterruptible(timeout: number): Promise<number> {
  set_current_state(TASK_UNINTERRUPTIBLE);
  return schedule_timeout(timeout);
}

export function schedule_timeout_interruptible(timeout: number): Promise<number> {
  set_current_state(TASK_INTERRUPTIBLE);
  return schedule_timeout(timeout);
}

/** Sleep (uninterruptibly) until `ns` nanoseconds from now have passed. */
async function sleep_ns(ns: number): Promise<void> {
  if (!might_sleep()) return;
  const expire = ktime_get_ns() + ns;
  while (ktime_get_ns() < expire) {
    set_current_state(TASK_UNINTERRUPTIBLE);
    await schedule_hrtimeout_ns(expire);
  }
}

/** msleep(): sleep at least `ms` milliseconds. Process context only. */
export function msleep(ms: number): Promise<void> {
  return sleep_ns(ms * NSEC_PER_MSEC);
}

export function ssleep(s: number): Promise<void> {
  return sleep_ns(s * 1000 * NSEC_PER_MSEC);
}

/** usleep_range(): sleep between min and max microseconds (we sleep exactly min). */
export function usleep_range(min_us: number, _max_us: number): Promise<void> {
  return sleep_ns(min_us * NSEC_PER_USEC);
}

/**
 * Sleep up to `ns` nanoseconds, returning early when a signal is pending. Returns the nanoseconds
 * left (0 when the whole time passed). Process context.
 */
export async function sleep_interruptible_ns(ns: number): Promise<number> {
  if (!might_sleep()) return ns;
  const t = get_current()!;
  const expire = ktime_get_ns() + ns;
  while (ktime_get_ns() < expire && t.sigpending === 0) {
    set_current_state(TASK_INTERRUPTIBLE);
    await schedule_hrtimeout_ns(expire);
  }
  return Math.max(0, expire - ktime_get_ns());
}

/** msleep_interruptible(): sleep up to `ms`, early on a signal. Returns the milliseconds left. */
export async function msleep_interruptible(ms: number): Promise<number> {
  return Math.ceil((await sleep_interruptible_ns(ms * NSEC_PER_MSEC)) / NSEC_PER_MSEC);
}

/** signal_pending(): the task has a signal to handle. */
export function signal_pending(t: Task): boolean {
  return t.sigpending !== 0;
}

/**
 * sig_ignored() (kernel/signal.c): a signal the task ignores — explicitly, or by its default
 * action (SIGCHLD, SIGCONT, SIGURG, SIGWINCH) — is dropped when sent, as Linux discards it at
 * generation. Stop signals with the default action are dropped too: there is no stopped state
 * (job control) yet. SIGKILL and SIGSTOP cannot be ignored. Kernel threads (no sighand) take every
 * signal as pending, as the kernel's own users of send_sig expect.
 */
export function sig_ignored(t: Task, sig: number): boolean {
  if (sig === SIGKILL) return false;
  const d = t.sighand?.[sig] ?? "default";
  if (sig === SIGSTOP) return t.sighand !== null;
  if (d === "ignore") return true;
  if (d !== "default" || t.sighand === null) return false;
  return sig_default_action(sig) !== "terminate";
}

/** send_sig(): post signal `sig` to `t` and wake it from an interruptible sleep (unless it ignores it). */
export function send_sig(sig: number, t: Task): void {
  if (sig <= 0 || sig >= 32 || sig_ignored(t, sig)) return;
  t.sigpending |= 1 << sig;
  wake_up_state(t, TASK_INTERRUPTIBLE);
}

export function flush_signals(t: Task): void {
  t.sigpending = 0;
}
