import { ERESTARTSYS } from "../../include/linux/errno.ts";
import { MAX_SCHEDULE_TIMEOUT, TASK_INTERRUPTIBLE, TASK_NORMAL, TASK_RUNNING, TASK_UNINTERRUPTIBLE } from "../../include/linux/sched.ts";
import { ktime_get_ns, NSEC_PER_JIFFY } from "../time/timekeeping.ts";
import { get_current, might_sleep, schedule, schedule_hrtimeout_ns, set_current_state, wake_up_state } from "./core.ts";
import { WaitQueueEntry, WaitQueueHead } from "./wait_queue_head.ts";

export { WaitQueueEntry, WaitQueueHead };

/**
 * Wait queues (kernel/sched/wait.c, include/linux/wait.h). Sleepers queue themselves and call
 * schedule(); wakers call wake_up*() from any context (IRQ included).
 */

export function init_waitqueue_head(name = ""): WaitQueueHead {
  return new WaitQueueHead(name);
}

/** Take entry `i` out of the queue in place (splice would allocate the array of removed entries). */
function remove_entry_at(entries: WaitQueueEntry[], i: number): void {
  for (let j = i + 1; j < entries.length; j++) entries[j - 1] = entries[j]!;
  entries.pop();
}

function enqueue(wq: WaitQueueHead, w: WaitQueueEntry): void {
  if (w.queued) return;
  w.queued = true;
  if (w.exclusive) wq.entries.push(w);
  else wq.entries.unshift(w);
}

/** prepare_to_wait(): queue `w` (non-exclusive, at the head) and set the sleeping state. */
export function prepare_to_wait(wq: WaitQueueHead, w: WaitQueueEntry, state: number): void {
  w.exclusive = false;
  enqueue(wq, w);
  set_current_state(state);
}

/** prepare_to_wait_exclusive(): queue `w` exclusive (at the tail: woken one at a time, FIFO). */
export function prepare_to_wait_exclusive(wq: WaitQueueHead, w: WaitQueueEntry, state: number): void {
  w.exclusive = true;
  enqueue(wq, w);
  set_current_state(state);
}

/** finish_wait(): back to TASK_RUNNING and off the queue. */
export function finish_wait(wq: WaitQueueHead, w: WaitQueueEntry): void {
  set_current_state(TASK_RUNNING);
  if (!w.queued) return;
  const i = wq.entries.indexOf(w);
  if (i >= 0) remove_entry_at(wq.entries, i);
  w.queued = false;
}

/**
 * __wake_up(): walk the queue from the head, waking sleepers in `mode`; stop after `nr_exclusive`
 * exclusive waiters have been woken (0 = wake everyone). Woken entries leave the queue
 * (autoremove_wake_function). Any context. Returns the number of tasks woken.
 */
export function __wake_up(wq: WaitQueueHead, mode: number, nr_exclusive: number): number {
  const entries = wq.entries;
  let woken = 0;
  let i = 0;
  while (i < entries.length) {
    const w = entries[i]!;
    if (!wake_up_state(w.task, mode)) {
      i++;
      continue;
    }
    remove_entry_at(entries, i);
    w.queued = false;
    woken++;
    if (w.exclusive && nr_exclusive > 0 && --nr_exclusive === 0) break;
  }
  return woken;
}

/** wake_up(): every non-exclusive sleeper and one exclusive one. */
export function wake_up(wq: WaitQueueHead): number {
  return __wake_up(wq, TASK_NORMAL, 1);
}

export function wake_up_nr(wq: WaitQueueHead, nr: number): number {
  return __wake_up(wq, TASK_NORMAL, nr);
}

export function wake_up_all(wq: WaitQueueHead): number {
  return __wake_up(wq, TASK_NORMAL, 0);
}

export function wake_up_interruptible(wq: WaitQueueHead): number {
  return __wake_up(wq, TASK_INTERRUPTIBLE, 1);
}

export function waitqueue_active(wq: WaitQueueHead): boolean {
  return wq.entries.length > 0;
}

/**
 * The common loop behind wait_event*: sleep in `state` until `cond()` holds, a signal arrives
 * (interruptible only) or the absolute deadline passes. Returns 0 when the condition held,
 * -ERESTARTSYS on a signal, 1 on timeout.
 */
async function wait_loop(wq: WaitQueueHead, cond: () => boolean, state: number, exclusive: boolean, deadline_ns: number): Promise<number> {
  const t = get_current()!;
  const w = new WaitQueueEntry(t, exclusive);
  let ret = 0;
  for (;;) {
    if (exclusive) prepare_to_wait_exclusive(wq, w, state);
    else prepare_to_wait(wq, w, state);
    if (cond()) break;
    if (state === TASK_INTERRUPTIBLE && t.sigpending !== 0) {
      ret = -ERESTARTSYS;
      break;
    }
    if (deadline_ns === Infinity) await schedule();
    else if ((await schedule_hrtimeout_ns(deadline_ns)) === 0 && !cond()) {
      ret = 1;
      break;
    }
  }
  finish_wait(wq, w);
  return ret;
}

/** wait_event(): sleep uninterruptibly until `cond()` is true. Process context. */
export async function wait_event(wq: WaitQueueHead, cond: () => boolean): Promise<void> {
  if (cond() || !might_sleep()) return;
  await wait_loop(wq, cond, TASK_UNINTERRUPTIBLE, false, Infinity);
}

/** wait_event_interruptible(): 0 when `cond()` became true, -ERESTARTSYS if a signal came first. */
export async function wait_event_interruptible(wq: WaitQueueHead, cond: () => boolean): Promise<number> {
  if (cond()) return 0;
  if (!might_sleep()) return -ERESTARTSYS;
  return wait_loop(wq, cond, TASK_INTERRUPTIBLE, false, Infinity);
}

/** Jiffies left until `deadline_ns`, at least 1 (wait_event_timeout's success value). */
function jiffies_left(deadline_ns: number): number {
  return Math.max(1, Math.ceil((deadline_ns - ktime_get_ns()) / NSEC_PER_JIFFY));
}

function deadline_of(timeout: number): number {
  return timeout >= MAX_SCHEDULE_TIMEOUT ? Infinity : ktime_get_ns() + Math.max(0, timeout) * NSEC_PER_JIFFY;
}

/**
 * wait_event_timeout(): sleep until `cond()` or `timeout` jiffies. Returns 0 if the time ran out
 * with the condition still false, else the jiffies left (at least 1).
 */
export async function wait_event_timeout(wq: WaitQueueHead, cond: () => boolean, timeout: number): Promise<number> {
  const deadline = deadline_of(timeout);
  if (cond()) return jiffies_left(deadline);
  if (!might_sleep()) return 0;
  const r = await wait_loop(wq, cond, TASK_UNINTERRUPTIBLE, false, deadline);
  return r === 1 ? 0 : jiffies_left(deadline);
}

/** wait_event_interruptible_timeout(): as above, or -ERESTARTSYS on a signal. */
export async function wait_event_interruptible_timeout(wq: WaitQueueHead, cond: () => boolean, timeout: number): Promise<number> {
  const deadline = deadline_of(timeout);
  if (cond()) return jiffies_left(deadline);
  if (!might_sleep()) return 0;
  const r = await wait_loop(wq, cond, TASK_INTERRUPTIBLE, false, deadline);
  return r === 1 ? 0 : r < 0 ? r : jiffies_left(deadline);
}

/** wait_event_exclusive (wait_event_interruptible_exclusive without signals): one waker per wake_up. */
export async function wait_event_exclusive(wq: WaitQueueHead, cond: () => boolean): Promise<void> {
  if (cond() || !might_sleep()) return;
  await wait_loop(wq, cond, TASK_UNINTERRUPTIBLE, true, Infinity);
}

/** The core loop, for completion.ts and others that need exclusive timed waits. */
export { wait_loop as __wait_event };
