import { MinHeap, type HeapNode } from "../../lib/min_heap.ts";
import { DEFINE_PER_KERNEL, this_kernel } from "../kernel.ts";
import { LockupKill, oops } from "../panic.ts";
import { ktime_get_ns, NSEC_PER_JIFFY } from "./timekeeping.ts";

/**
 * Kernel timers (kernel/time/timer.c): callbacks at a jiffy on the virtual clock. The earliest
 * timer programs the clockevent device (a one-shot deadline); its interrupt raises TIMER_SOFTIRQ
 * and run_timers() calls what is due. Callbacks run in softirq context and may not sleep.
 *
 * Timer objects are owned by their user and re-armed in place (no allocation per mod_timer).
 */
export class TimerList implements HeapNode {
  function: (timer: TimerList) => void;
  /** Expiry in jiffies, as the Linux API speaks it. */
  expires = 0;
  flags: number;
  key = 0;
  seq = 0;
  index = -1;

  constructor(fn: (timer: TimerList) => void = () => {}, flags = 0) {
    this.function = fn;
    this.flags = flags;
  }
}

class TimerBase {
  readonly heap = new MinHeap<TimerList>();
  /** The deadline the clockevent device holds (0 = none). */
  programmed = 0;
  /** Timer callbacks run so far. */
  expired = 0;
}
const timer_base = DEFINE_PER_KERNEL(() => new TimerBase());

/** timer_setup(): bind a callback to a timer. Process or any context. */
export function timer_setup(timer: TimerList, fn: (timer: TimerList) => void, flags = 0): void {
  timer.function = fn;
  timer.flags = flags;
}

export function timer_pending(timer: TimerList): boolean {
  return timer.index >= 0;
}

function reprogram(base: TimerBase): void {
  const top = base.heap.peek();
  const deadline = top === undefined ? 0 : top.key;
  if (deadline !== base.programmed) {
    base.programmed = deadline;
    this_kernel().platform.ops.set_timer_deadline(deadline);
  }
}

/** Arm `timer` to fire at absolute nanosecond time `expires_ns` (the hrtimer-precision path). */
export function mod_timer_ns(timer: TimerList, expires_ns: number): number {
  const base = timer_base.get();
  const was = timer.index >= 0 ? 1 : 0;
  timer.expires = Math.ceil(expires_ns / NSEC_PER_JIFFY);
  base.heap.push(timer, expires_ns);
  reprogram(base);
  return was;
}

/** mod_timer(): (re)arm to fire at jiffy `expires`. Returns 1 if the timer was pending. Any context. */
export function mod_timer(timer: TimerList, expires: number): number {
  const r = mod_timer_ns(timer, expires * NSEC_PER_JIFFY);
  timer.expires = expires;
  return r;
}

/** add_timer(): arm at `timer.expires`. */
export function add_timer(timer: TimerList): void {
  mod_timer(timer, timer.expires);
}

/** del_timer(): disarm. Returns 1 if it was pending. Any context. */
export function del_timer(timer: TimerList): number {
  const base = timer_base.get();
  if (!base.heap.remove(timer)) return 0;
  reprogram(base);
  return 1;
}

/**
 * del_timer_sync(): disarm and be sure the callback is not running. With one CPU and callbacks
 * that cannot sleep, a callback is never "running" while another context executes, so this is
 * del_timer().
 */
export const del_timer_sync = del_timer;
export const timer_delete = del_timer;
export const timer_delete_sync = del_timer;

/** TIMER_SOFTIRQ: call every timer that is due, then program the next deadline. */
export function run_timers(): void {
  const base = timer_base.get();
  const now = ktime_get_ns();
  for (;;) {
    const t = base.heap.peek();
    if (t === undefined || t.key > now) break;
    base.heap.remove(t);
    base.expired++;
    try {
      t.function(t);
    } catch (e) {
      // A callback the soft-lockup detector unwound was reported already: it is abandoned.
      if (!(e instanceof LockupKill)) oops("BUG: exception in timer callback", e);
    }
  }
  timers_recover(); // the device fired: its deadline is spent, program the next
}

/**
 * The soft-lockup recovery ended a run_timers pass in the middle (kernel/watchdog.ts): the
 * clockevent still holds the spent deadline, so program it again for what is left.
 */
export function timers_recover(): void {
  const base = timer_base.get();
  base.programmed = -1;
  reprogram(base);
}

export function timers_pending(): number {
  return timer_base.get().heap.size;
}
