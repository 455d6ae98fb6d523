import { DEFINE_PER_KERNEL, this_kernel } from "../kernel.ts";

/** Timer interrupt frequency: one jiffy is 1 ms (CONFIG_HZ_1000). */
export const HZ = 1000;
export const NSEC_PER_SEC = 1_000_000_000;
export const NSEC_PER_MSEC = 1_000_000;
export const NSEC_PER_USEC = 1_000;
export const NSEC_PER_JIFFY = NSEC_PER_SEC / HZ;

/** ktime_get_ns(): monotonic nanoseconds since boot, read from the clocksource. Any context. */
export function ktime_get_ns(): number {
  return this_kernel().platform.ops.read_clock_ns();
}

/**
 * ktime_get_real_ns(): wall-clock nanoseconds since the epoch. timekeeping reads the persistent
 * clock (the RTC) once per kernel and runs on from the clocksource, as Linux's does after
 * read_persistent_clock64 at boot. Any context.
 */
export function ktime_get_real_ns(): number {
  return realtime_base.get().offset_ns + ktime_get_ns();
}

const realtime_base = DEFINE_PER_KERNEL(() => ({ offset_ns: this_kernel().platform.ops.read_persistent_clock_ns() - ktime_get_ns() }));

/** The jiffies counter, derived from the clocksource (never drifts from it). */
export function jiffies(): number {
  return Math.floor(ktime_get_ns() / NSEC_PER_JIFFY);
}

export function msecs_to_jiffies(ms: number): number {
  return Math.ceil((ms * NSEC_PER_MSEC) / NSEC_PER_JIFFY);
}

export function usecs_to_jiffies(us: number): number {
  return Math.ceil((us * NSEC_PER_USEC) / NSEC_PER_JIFFY);
}

export function jiffies_to_msecs(j: number): number {
  return (j * NSEC_PER_JIFFY) / NSEC_PER_MSEC;
}

export function jiffies_to_nsecs(j: number): number {
  return j * NSEC_PER_JIFFY;
}

/** time_after(a, b): true if jiffy value a is after b. */
export function time_after(a: number, b: number): boolean {
  return a > b;
}

export function time_before(a: number, b: number): boolean {
  return a < b;
}
