import { DEFINE_PER_KERNEL } from "../kernel.ts";
import { HZ, jiffies, NSEC_PER_JIFFY } from "../time/timekeeping.ts";

/**
 * The global load average (kernel/sched/loadavg.c): every LOAD_FREQ (5 s + 1 jiffy) the number of
 * active tasks — runnable (running or on the run queue) plus uninterruptible (D state) — is folded
 * into three exponentially decaying averages, in Linux's fixed point (FSHIFT 11 bits of fraction)
 * with Linux's factors: avenrun = avenrun·e + active·(1 − e), e = 1/exp(5 s / 1, 5 and 15 min).
 *
 * When it runs: Linux samples from the tick of a busy CPU (calc_global_load from do_timer, 10
 * jiffies after the window so every CPU has folded its count), and an idle CPU stops its tick
 * (NO_HZ): the windows it slept through are caught up in bulk (calc_global_nohz, calc_load_n) with
 * the count it had when it went idle. Here the scheduler is that tick: sched_step() calls
 * calc_global_load_tick() before it picks a task, and calc_load_nohz_start() when it finds nothing
 * to run. So the load average never arms a timer and never wakes a halted CPU; whoever reads
 * /proc/loadavg runs in a step, and that step brought the averages up to date first.
 *
 * The scheduler owns the counts and passes them in (this file does not import it: no cycle).
 */

/** Bits of fraction in the fixed-point averages (include/linux/sched/loadavg.h). */
export const FSHIFT = 11;
/** 1.0 in fixed point. */
export const FIXED_1 = 1 << FSHIFT;
/** Jiffies between samples: 5 s and one tick, so samples do not beat with 5 s periodic work. */
export const LOAD_FREQ = 5 * HZ + 1;
/** 1/exp(5sec/1min), 1/exp(5sec/5min), 1/exp(5sec/15min) in fixed point. */
export const EXP_1 = 1884;
export const EXP_5 = 2014;
export const EXP_15 = 2037;
/** calc_global_load() waits this many jiffies past the window (every CPU has folded by then). */
const SAMPLE_DELAY = 10;

class LoadavgState {
  /** avenrun[]: the 1, 5 and 15 minute averages in fixed point. */
  readonly avenrun: [number, number, number] = [0, 0, 0];
  /** calc_load_update: the jiffy of the next sample window (sched_init: jiffies + LOAD_FREQ). */
  calc_load_update = jiffies() + LOAD_FREQ;
  /** The clock time the next sample is due (the window plus SAMPLE_DELAY jiffies), in ns. */
  next_sample_ns = (this.calc_load_update + SAMPLE_DELAY) * NSEC_PER_JIFFY;
  /** The CPU went idle (nothing to run) since the last step: the windows it slept through use nohz_active. */
  nohz = false;
  nohz_active = 0;
}
const loadavg = DEFINE_PER_KERNEL(() => new LoadavgState());

/** calc_load(): one step of the decay: load·exp + active·(FIXED_1 − exp), rounded up while rising. */
export function calc_load(load: number, exp: number, active: number): number {
  let newload = load * exp + active * (FIXED_1 - exp);
  if (active >= load) newload += FIXED_1 - 1;
  return Math.floor(newload / FIXED_1);
}

/** fixed_power_int(): x^n in fixed point with `frac_bits` of fraction, rounding each product. */
function fixed_power_int(x: number, frac_bits: number, n: number): number {
  let result = 2 ** frac_bits;
  const half = 2 ** (frac_bits - 1);
  while (n > 0) {
    if (n & 1) result = Math.floor((result * x + half) / 2 ** frac_bits);
    n = Math.floor(n / 2);
    if (n === 0) break;
    x = Math.floor((x * x + half) / 2 ** frac_bits);
  }
  return result;
}

/** calc_load_n(): `n` steps of the decay with the same active count, at once (exp^n). */
export function calc_load_n(load: number, exp: number, active: number, n: number): number {
  return calc_load(load, fixed_power_int(exp, FSHIFT, n), active);
}

/**
 * The scheduler's tick (calc_global_load + calc_global_nohz): if a sample window has passed, fold
 * `active` (runnable + uninterruptible tasks now) into the averages; windows that passed while the
 * CPU was idle take the count it went idle with, several at once. `now_ns` is the kernel clock.
 * Cheap when nothing is due (one comparison): called before every scheduler step.
 */
export function calc_global_load_tick(now_ns: number, active: number): void {
  const st = loadavg.get();
  if (now_ns < st.next_sample_ns) {
    st.nohz = false;
    return;
  }
  const count = st.nohz ? st.nohz_active : active;
  st.nohz = false;
  const a = count > 0 ? count * FIXED_1 : 0;
  const av = st.avenrun;
  av[0] = calc_load(av[0], EXP_1, a);
  av[1] = calc_load(av[1], EXP_5, a);
  av[2] = calc_load(av[2], EXP_15, a);
  st.calc_load_update += LOAD_FREQ;
  // calc_global_nohz(): catch up in bulk on the windows we are still behind.
  const jiffies = Math.floor(now_ns / NSEC_PER_JIFFY);
  if (jiffies >= st.calc_load_update + SAMPLE_DELAY) {
    const n = 1 + Math.floor((jiffies - st.calc_load_update - SAMPLE_DELAY) / LOAD_FREQ);
    av[0] = calc_load_n(av[0], EXP_1, a, n);
    av[1] = calc_load_n(av[1], EXP_5, a, n);
    av[2] = calc_load_n(av[2], EXP_15, a, n);
    st.calc_load_update += n * LOAD_FREQ;
  }
  st.next_sample_ns = (st.calc_load_update + SAMPLE_DELAY) * NSEC_PER_JIFFY;
}

/**
 * calc_load_nohz_start(): the CPU has nothing to run and will halt; `active` (the uninterruptible
 * sleepers: nothing is runnable) is what the windows until it runs again will sample.
 */
export function calc_load_nohz_start(active: number): void {
  const st = loadavg.get();
  st.nohz = true;
  st.nohz_active = active;
}

/**
 * get_avenrun(): the three averages in fixed point, each plus `offset` and shifted left by
 * `shift` (fs/proc/loadavg.c asks for FIXED_1/200 to round to two decimals; sysinfo() for 0 and
 * SI_LOAD_SHIFT − FSHIFT).
 */
export function get_avenrun(offset: number, shift: number): [number, number, number] {
  const av = loadavg.get().avenrun;
  const f = 2 ** shift;
  return [(av[0] + offset) * f, (av[1] + offset) * f, (av[2] + offset) * f];
}

/** LOAD_INT / LOAD_FRAC: the integer part and the hundredths of a fixed-point load. */
export function LOAD_INT(x: number): number {
  return Math.floor(x / FIXED_1);
}
export function LOAD_FRAC(x: number): number {
  return LOAD_INT((x % FIXED_1) * 100);
}
