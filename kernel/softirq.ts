import { DEFINE_PER_KERNEL, this_kernel } from "./kernel.ts";
import { LockupKill, oops } from "./panic.ts";

/**
 * Soft interrupts (kernel/softirq.c): deferred work raised from hard-IRQ context and run on the
 * way out of it (irq_exit) or at the start of the next CPU step. Softirq context may not sleep.
 */
export const HI_SOFTIRQ = 0;
export const TIMER_SOFTIRQ = 1;
export const NET_TX_SOFTIRQ = 2;
export const NET_RX_SOFTIRQ = 3;
export const TASKLET_SOFTIRQ = 6;
export const NR_SOFTIRQS = 10;
export const SOFTIRQ_NAMES = ["HI", "TIMER", "NET_TX", "NET_RX", "BLOCK", "IRQ_POLL", "TASKLET", "SCHED", "HRTIMER", "RCU"] as const;

/** How many passes do_softirq makes before leaving the rest for the next step (MAX_SOFTIRQ_RESTART). */
export const MAX_SOFTIRQ_RESTART = 10;

class SoftirqState {
  pending = 0;
  /** Vectors of the pass in progress not yet finished (for softirq_recover). */
  in_pass = 0;
  readonly actions: ((() => void) | null)[] = new Array(NR_SOFTIRQS).fill(null);
  /** Runs per softirq, as /proc/softirqs shows them. */
  readonly counts = new Float64Array(NR_SOFTIRQS);
}
const softirq_state = DEFINE_PER_KERNEL(() => new SoftirqState());

/** kstat_softirqs_cpu(): how many times softirq `nr` has run on this CPU (/proc/softirqs, /proc/stat). */
export function kstat_softirqs_cpu(nr: number): number {
  return softirq_state.get().counts[nr] ?? 0;
}

export function open_softirq(nr: number, action: () => void): void {
  softirq_state.get().actions[nr] = action;
}

/** Mark softirq `nr` pending. Any context; it runs at irq_exit or at the next CPU step. */
export function raise_softirq(nr: number): void {
  softirq_state.get().pending |= 1 << nr;
}

export function local_softirq_pending(): number {
  return softirq_state.get().pending;
}

/** True in hard-IRQ or softirq context (where sleeping is forbidden). */
export function in_interrupt(): boolean {
  const k = this_kernel();
  return k.hardirq_count > 0 || k.softirq_count > 0;
}

export function in_hardirq(): boolean {
  return this_kernel().hardirq_count > 0;
}

export function in_softirq(): boolean {
  return this_kernel().softirq_count > 0;
}

/**
 * Run pending softirqs, at most MAX_SOFTIRQ_RESTART passes (what is still pending then waits for
 * the next step, so tasks are not starved). Does nothing when called from interrupt context.
 * Returns true if softirqs remain pending.
 */
export function do_softirq(): boolean {
  const k = this_kernel();
  if (k.hardirq_count > 0 || k.softirq_count > 0) return false;
  const st = softirq_state.get();
  for (let pass = 0; pass < MAX_SOFTIRQ_RESTART && st.pending !== 0; pass++) {
    let pending = st.pending;
    st.pending = 0;
    k.softirq_count++;
    try {
      while (pending !== 0) {
        const low = pending & -pending;
        const nr = 31 - Math.clz32(low);
        pending ^= low;
        st.counts[nr]! += 1;
        const action = st.actions[nr];
        if (action === null || action === undefined) continue;
        st.in_pass = pending | low; // this vector and the ones after it, should the pass be cut short
        try {
          action();
        } catch (e) {
          if (!(e instanceof LockupKill)) oops(`BUG: exception in ${SOFTIRQ_NAMES[nr] ?? nr} softirq`, e);
        }
      }
    } finally {
      k.softirq_count--;
      st.in_pass = 0;
    }
  }
  return st.pending !== 0;
}

/**
 * The soft-lockup recovery ended a softirq pass in the middle (kernel/watchdog.ts): the vectors the
 * pass had not reached yet are raised again, so NAPI or timers do not wait forever.
 */
export function softirq_recover(): void {
  const st = softirq_state.get();
  st.pending |= st.in_pass;
  st.in_pass = 0;
}

/**
 * /proc/softirqs (fs/proc/softirqs.c show_softirqs): a header of 20 spaces and "CPU%-8d" per
 * possible CPU (one here), then each softirq as "%12s:" and " %10u" per CPU.
 */
export function show_softirqs(): string {
  const st = softirq_state.get();
  let out = " ".repeat(20) + "CPU0".padEnd(11) + "\n";
  for (let i = 0; i < NR_SOFTIRQS; i++) {
    out += `${SOFTIRQ_NAMES[i]!.padStart(12)}: ${String(st.counts[i]).padStart(10)}\n`;
  }
  return out;
}
