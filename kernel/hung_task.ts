import { TASK_UNINTERRUPTIBLE } from "../include/linux/sched.ts";
import { LOGLEVEL_ERR } from "../include/linux/printk.ts";
import { DEFINE_PER_KERNEL } from "./kernel.ts";
import { call_trace, print_tainted } from "./panic.ts";
import { printk } from "./printk.ts";
import type { Task } from "./sched/task.ts";
import { ktime_get_ns, NSEC_PER_SEC } from "./time/timekeeping.ts";
import { del_timer, mod_timer_ns, TimerList, timer_pending } from "./time/timer.ts";
import { RINGZERO_VERSION } from "./version.ts";

/**
 * The hung-task detector (kernel/hung_task.c): a task that has sat in uninterruptible sleep (D
 * state) for more than hung_task_timeout_secs without being scheduled is reported with the stack
 * it went to sleep from — the usual sign of a completion a device never signals or a lost wake-up.
 *
 * Linux runs khungtaskd every timeout; here the check is a kernel timer that is armed only while
 * some task sleeps in D state, so a machine with nothing blocked still goes idle. Like Linux, at
 * most hung_task_warnings (10) reports are printed in the kernel's life; a task is reported again
 * at each check for as long as it stays blocked.
 */
export const HUNG_TASK_TIMEOUT_SECS_DEFAULT = 120;
export const HUNG_TASK_WARNINGS_DEFAULT = 10;

class HungTaskState {
  timeout_s = HUNG_TASK_TIMEOUT_SECS_DEFAULT;
  warnings = HUNG_TASK_WARNINGS_DEFAULT;
  reported = 0;
  readonly blocked = new Set<Task>();
  readonly timer = new TimerList(() => check_hung_uninterruptible_tasks());
}
const hung_task = DEFINE_PER_KERNEL(() => new HungTaskState());

export function set_hung_task_timeout_secs(s: number): void {
  hung_task.get().timeout_s = s;
}

export function hung_task_timeout_secs(): number {
  return hung_task.get().timeout_s;
}

/** Reports printed so far. */
export function hung_task_reports(): number {
  return hung_task.get().reported;
}

/**
 * The scheduler calls this when `t` goes to sleep in D state: remember when and from where (the
 * stack is kept unformatted; V8 renders it only if a report needs it). Process context.
 */
export function hung_task_note_sleep(t: Task, switch_count: number): void {
  const st = hung_task.get();
  if (st.timeout_s <= 0 || st.warnings <= 0) return;
  t.blocked_since_ns = ktime_get_ns();
  t.blocked_switch_count = switch_count;
  t.blocked_stack = new Error("hung task");
  st.blocked.add(t);
  if (!timer_pending(st.timer)) mod_timer_ns(st.timer, t.blocked_since_ns + st.timeout_s * NSEC_PER_SEC);
}

/** `t` runs again: it is no longer blocked; with nobody else in D state the check timer goes. */
export function hung_task_note_wake(t: Task): void {
  const st = hung_task.get();
  t.blocked_stack = null;
  st.blocked.delete(t);
  if (st.blocked.size === 0) del_timer(st.timer);
}

/** khungtaskd's pass: report every task still in D state past the timeout. Softirq context. */
function check_hung_uninterruptible_tasks(): void {
  const st = hung_task.get();
  const now = ktime_get_ns();
  const limit = st.timeout_s * NSEC_PER_SEC;
  let earliest = Infinity;
  for (const t of st.blocked) {
    const still = !t.exited && (t.state & TASK_UNINTERRUPTIBLE) !== 0 && t.nvcsw === t.blocked_switch_count;
    if (!still) {
      st.blocked.delete(t);
      continue;
    }
    if (now - t.blocked_since_ns >= limit) {
      if (st.warnings > 0) {
        st.warnings--;
        st.reported++;
        report_hung_task(t);
      }
      t.blocked_since_ns = now; // next report one timeout later, as khungtaskd's next pass
    }
    earliest = Math.min(earliest, t.blocked_since_ns + limit);
  }
  if (st.blocked.size > 0 && st.warnings > 0 && st.timeout_s > 0 && earliest !== Infinity) mod_timer_ns(st.timer, earliest);
}

function report_hung_task(t: Task): void {
  const trace = call_trace(t.blocked_stack ?? undefined)
    .split("\n")
    .slice(1)
    .filter((l) => !/kernel\/(hung_task|sched\/core)\.ts/.test(l));
  printk(
    LOGLEVEL_ERR,
    "%s\n",
    [
      `INFO: task ${t.comm}:${t.pid} blocked for more than ${hung_task.get().timeout_s} seconds.`,
      `      ${print_tainted()} ${RINGZERO_VERSION} #1`,
      `"echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.`,
      `task:${t.comm.padEnd(15)} state:D stack:0     pid:${String(t.pid).padEnd(5)} ppid:${String(t.ppid).padEnd(6)} flags:0x${t.flags.toString(16).padStart(8, "0")}`,
      "Call Trace:",
      " <TASK>",
      ...trace,
      " </TASK>",
    ].join("\n"),
  );
}
