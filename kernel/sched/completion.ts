import { ERESTARTSYS } from "../../include/linux/errno.ts";
import { MAX_SCHEDULE_TIMEOUT, TASK_INTERRUPTIBLE, TASK_NORMAL, TASK_UNINTERRUPTIBLE } from "../../include/linux/sched.ts";
import { ktime_get_ns, NSEC_PER_JIFFY } from "../time/timekeeping.ts";
import { might_sleep } from "./core.ts";
import { __wait_event, __wake_up } from "./wait.ts";
import { WaitQueueHead } from "./wait_queue_head.ts";

/** complete_all() sets done to this: every later wait returns at once (UINT_MAX in Linux). */
const COMPLETE_ALL = 0xffffffff;

/**
 * Completions (kernel/sched/completion.c): "this thing happened", counted. complete() lets one
 * waiter through (FIFO), complete_all() lets everyone through until reinit_completion().
 */
export class Completion {
  done = 0;
  readonly wait = new WaitQueueHead("completion");
}

export function init_completion(x: Completion = new Completion()): Completion {
  x.done = 0;
  return x;
}

export function reinit_completion(x: Completion): void {
  x.done = 0;
}

/** complete(): wake one waiter. Any context. */
export function complete(x: Completion): void {
  if (x.done !== COMPLETE_ALL) x.done++;
  __wake_up(x.wait, TASK_NORMAL, 1);
}

/** complete_all(): wake every waiter, now and later. Any context. */
export function complete_all(x: Completion): void {
  x.done = COMPLETE_ALL;
  __wake_up(x.wait, TASK_NORMAL, 0);
}

function consume(x: Completion): boolean {
  if (x.done === 0) return false;
  if (x.done !== COMPLETE_ALL) x.done--;
  return true;
}

/** try_wait_for_completion(): take a completion without sleeping; false if none is there. */
export function try_wait_for_completion(x: Completion): boolean {
  return consume(x);
}

export function completion_done(x: Completion): boolean {
  return x.done !== 0;
}

async function do_wait(x: Completion, state: number, timeout: number): Promise<number> {
  if (consume(x)) return Math.max(1, timeout);
  if (!might_sleep()) return 0;
  const deadline = timeout >= MAX_SCHEDULE_TIMEOUT ? Infinity : ktime_get_ns() + timeout * NSEC_PER_JIFFY;
  const r = await __wait_event(x.wait, () => x.done !== 0, state, true, deadline);
  if (r < 0) return r;
  if (!consume(x)) return 0;
  return deadline === Infinity ? timeout : Math.max(1, Math.ceil((deadline - ktime_get_ns()) / NSEC_PER_JIFFY));
}

/** wait_for_completion(): sleep until complete(). Process context. */
export async function wait_for_completion(x: Completion): Promise<void> {
  await do_wait(x, TASK_UNINTERRUPTIBLE, MAX_SCHEDULE_TIMEOUT);
}

/** wait_for_completion_timeout(): 0 on timeout, else the jiffies left (at least 1). */
export function wait_for_completion_timeout(x: Completion, timeout: number): Promise<number> {
  return do_wait(x, TASK_UNINTERRUPTIBLE, timeout);
}

/** wait_for_completion_interruptible(): 0, or -ERESTARTSYS if a signal came first. */
export async function wait_for_completion_interruptible(x: Completion): Promise<number> {
  const r = await do_wait(x, TASK_INTERRUPTIBLE, MAX_SCHEDULE_TIMEOUT);
  return r === -ERESTARTSYS ? r : 0;
}
