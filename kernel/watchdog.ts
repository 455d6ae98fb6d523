import { IRQ_HANDLED, type IrqReturn } from "../include/linux/interrupt.ts";
import { LOGLEVEL_EMERG, LOGLEVEL_ERR } from "../include/linux/printk.ts";
import { irq_chip_eoi, irq_to_desc, type IrqDesc } from "./irq/irqdesc.ts";
import { irq_disable_reporting } from "./irq/spurious.ts";
import { DEFINE_PER_KERNEL, this_kernel } from "./kernel.ts";
import { loaded_modules } from "./module.ts";
import { add_taint, call_trace, LockupKill, print_tainted, TAINT_SOFTLOCKUP } from "./panic.ts";
import { printk } from "./printk.ts";
import { kill_stuck_task } from "./sched/core.ts";
import { softirq_recover } from "./softirq.ts";
import { timers_recover } from "./time/timer.ts";
import { ktime_get_ns, NSEC_PER_MSEC, NSEC_PER_SEC } from "./time/timekeeping.ts";

/**
 * The lockup detectors (kernel/watchdog.c, kernel/watchdog_hld.c), for a CPU that runs cooperative
 * JavaScript.
 *
 * A ringzero CPU is "stuck" in three ways, and each has a detector:
 *
 * - **Soft lockup, in virtual time**: kernel code busy-waits (udelay/mdelay, kernel/time/delay.ts)
 *   without ever ending its step. Busy-waiting moves the clock, so the detector measures from the
 *   CPU's last kernel entry: past 2 × watchdog_thresh (20 s by default, as Linux) it prints Linux's
 *   "BUG: soft lockup" report with the stack of the code that spins.
 * - **Soft lockup, in wall time**: a JavaScript loop that never returns (no kernel call inside it,
 *   so no virtual time passes). Only the host can see it: the Node entrypoint runs a watchdog
 *   thread (boot/lockup_watchdog.ts) that notices the run loop's heartbeat stopped, takes the
 *   stuck stack through the inspector and ends the loop; then watchdog_recover_stuck_cpu() reports
 *   and cleans up.
 * - **Hard lockup / interrupt storm**: one line interrupts so often that the CPU does little else.
 *   With CPU_COST's 1 us per interrupt, STORM_IRQS_PER_SEC interrupts a second are half the CPU;
 *   a line that keeps that rate for STORM_CHUNKS × STORM_CHUNK interrupts (0.6 s) is reported. Linux's NMI detector would call this a hard LOCKUP; the report names the line and its
 *   handlers. (A line nobody claims is handled earlier by "nobody cared", kernel/irq/spurious.c.)
 *
 * What happens to the offender differs from Linux, which leaves a spinning CPU spinning: one
 * JavaScript thread cannot be preempted, so a spinner that is not unwound would hold the machine
 * forever. ringzero unwinds it as an oops does: a task is killed (SIGKILL), an interrupt handler's
 * line is disabled ("Disabling IRQ #N"), a softirq pass is abandoned. The report says which.
 */

/** watchdog_thresh (seconds): soft lockups are reported after twice this. Linux's default. */
const WATCHDOG_THRESH_DEFAULT = 10;
/** Interrupts per second on one line that count as a storm (half the CPU at CPU_COST.IRQ_NS). */
const STORM_IRQS_PER_SEC = 500_000;
/** The rate is measured over chunks of this many claimed interrupts... */
const STORM_CHUNK = 50_000;
/** ...and this many fast chunks in a row (300,000 interrupts, 0.6 s at the storm rate) make a storm. */
const STORM_CHUNKS = 6;

class WatchdogState {
  thresh_s = WATCHDOG_THRESH_DEFAULT;
  soft_lockups = 0;
  hard_lockups = 0;
}
const watchdog_state = DEFINE_PER_KERNEL(() => new WatchdogState());


export function set_watchdog_thresh(seconds: number): void {
  watchdog_state.get().thresh_s = seconds;
}

export function watchdog_thresh(): number {
  return watchdog_state.get().thresh_s;
}

/** Lockups reported so far: [soft, hard] (for /proc/sys/kernel and tests). */
export function lockup_counts(): { soft: number; hard: number } {
  const st = watchdog_state.get();
  return { soft: st.soft_lockups, hard: st.hard_lockups };
}

/** "Modules linked in:" as Linux prints it under a report. */
function modules_line(): string {
  return `Modules linked in: ${loaded_modules()
    .map((m) => m.info.name)
    .join(" ")}`;
}

/** The "[comm:pid]" of what runs now; swapper/0 in interrupt context or between tasks. */
function offender(): { comm: string; pid: number } {
  const k = this_kernel();
  const cur = k.current as { pid: number; comm: string } | null;
  if (cur === null || k.hardirq_count > 0) return { comm: "swapper/0", pid: 0 };
  return { comm: cur.comm, pid: cur.pid };
}

function context_tag(): [string, string] {
  const k = this_kernel();
  if (k.hardirq_count > 0) return [" <IRQ>", " </IRQ>"];
  if (k.softirq_count > 0) return [" <SOFTIRQ>", " </SOFTIRQ>"];
  return [" <TASK>", " </TASK>"];
}

/** Print "BUG: soft lockup - CPU#0 stuck for Ns! [comm:pid]" with the given call trace lines. */
function report_soft_lockup(stuck_s: number, trace: string[]): void {
  const st = watchdog_state.get();
  st.soft_lockups++;
  add_taint(TAINT_SOFTLOCKUP);
  const who = offender();
  const [open, close] = context_tag();
  const k = this_kernel();
  const cur = k.current as { pid: number; comm: string } | null;
  printk(
    LOGLEVEL_EMERG,
    "%s\n",
    [
      `watchdog: BUG: soft lockup - CPU#0 stuck for ${stuck_s}s! [${who.comm}:${who.pid}]`,
      modules_line(),
      `CPU: 0 PID: ${cur?.pid ?? 0} Comm: ${cur?.comm ?? "swapper/0"} ${print_tainted()}`,
      "Call Trace:",
      open,
      ...trace,
      close,
    ].join("\n"),
  );
}

/**
 * Called on the way through every busy-wait (udelay and friends): the step has run for `now -
 * entry_ns` of virtual time. Past 2 × watchdog_thresh, report and unwind the spinner. Any context.
 */
export function softlockup_check(): void {
  const k = this_kernel();
  const st = watchdog_state.get();
  if (st.thresh_s <= 0) return;
  const stuck = ktime_get_ns() - k.entry_ns;
  if (stuck <= 2 * st.thresh_s * NSEC_PER_SEC) return;
  const trace = call_trace()
    .split("\n")
    .slice(1)
    .filter((l) => !/kernel\/(watchdog|time\/delay)\.ts/.test(l));
  report_soft_lockup(Math.floor(stuck / NSEC_PER_SEC), trace);
  print_unwind_note();
  throw new LockupKill("soft lockup");
}

function print_unwind_note(): void {
  const k = this_kernel();
  const cur = k.current as { pid: number; comm: string } | null;
  let what: string;
  if (k.hardirq_count > 0) what = `disabling IRQ ${k.irq_in_progress}`;
  else if (k.softirq_count > 0) what = "abandoning the softirq pass";
  else if (cur !== null) what = `killing ${cur.comm} (pid ${cur.pid})`;
  else what = "abandoning the kernel step";
  printk(LOGLEVEL_ERR, "watchdog: a JavaScript loop cannot be preempted; %s to recover CPU#0\n", what);
}

/**
 * The line of a handler that was unwound for spinning goes off, as "nobody cared" turns off a line
 * that storms: mask it, and EOI the interrupt the handler never finished. Hard-IRQ context.
 */
export function disable_stuck_irq(desc: IrqDesc): void {
  if (desc.depth > 0) return; // already off (handlers never run on a disabled line)
  irq_disable_reporting(desc, `watchdog: irq ${desc.irq}: handler stuck`);
}

/**
 * After the host's watchdog thread ended a JavaScript loop that never returned (boot/ calls this
 * with the stack it took and how long the loop ran): report the soft lockup, then put the kernel
 * back in a state it can run from — the stuck task is killed, a stuck interrupt handler's line is
 * disabled, a stuck softirq pass is dropped. `frames` are "function (file:line)" strings, innermost
 * first.
 */
export function watchdog_recover_stuck_cpu(stuck_ms: number, frames: readonly string[]): void {
  const k = this_kernel();
  report_soft_lockup(Math.max(1, Math.round(stuck_ms / 1000)), frames.map((f) => ` ${f}`));
  print_unwind_note();
  if (k.hardirq_count > 0) {
    const desc = k.irq_in_progress >= 0 ? irq_to_desc(k.irq_in_progress) : undefined;
    if (desc !== undefined) {
      disable_stuck_irq(desc);
      irq_chip_eoi(desc.irq);
    }
  }
  if (k.softirq_count > 0) {
    // The pass was cut short: raise again what it had not finished, and reprogram the timer
    // device run_timers would have reprogrammed on its way out.
    softirq_recover();
    timers_recover();
  }
  k.hardirq_count = 0;
  k.softirq_count = 0;
  k.irq_in_progress = -1;
  const cur = k.current;
  k.current = null;
  // A task killed this way exits as if by SIGKILL; whoever waits for it is woken.
  if (cur !== null) kill_stuck_task(cur);
}

/**
 * Interrupt-storm (hard lockup) detection, run after every handled interrupt: count a line's
 * interrupts per one-second window of virtual time; a window at STORM_IRQS_PER_SEC or more is
 * reported once per storm, with the line's handlers. Hard-IRQ context.
 */
export function note_irq_storm(desc: IrqDesc, ret: IrqReturn): void {
  if (ret !== IRQ_HANDLED) return; // unclaimed storms are spurious.c's ("nobody cared")
  if (++desc.storm_count < STORM_CHUNK) return;
  // Every STORM_CHUNK claimed interrupts: was the chunk faster than the storm rate?
  const now = ktime_get_ns();
  const fast = (now - desc.storm_window_ns) * STORM_IRQS_PER_SEC <= STORM_CHUNK * NSEC_PER_SEC;
  desc.storm_count = 0;
  desc.storm_window_ns = now;
  if (!fast) {
    desc.storm_chunks = 0;
    desc.storm_reported = false; // the line calmed down: a later storm is a new one
    return;
  }
  if (desc.storm_chunks === 0) desc.storm_start_ns = now;
  if (++desc.storm_chunks < STORM_CHUNKS || desc.storm_reported) return;
  desc.storm_reported = true;
  const n = (desc.storm_chunks - 1) * STORM_CHUNK;
  const elapsed = Math.max(1, now - desc.storm_start_ns);
  const st = watchdog_state.get();
  st.hard_lockups++;
  const share = Math.min(100, Math.round((n * 1000) / Math.max(1, elapsed / 1000)) / 10);
  const handlers = desc.actions.map((a) => ` ${a.handler.name || "(anonymous)"} [${a.name}]`);
  printk(
    LOGLEVEL_EMERG,
    "%s\n",
    [
      `watchdog: Watchdog detected hard LOCKUP on cpu 0: interrupt storm on IRQ ${desc.irq}`,
      `irq ${desc.irq}: ${n} interrupts in ${(elapsed / NSEC_PER_MSEC).toFixed(0)} ms, all claimed (~${share}% of CPU#0 at 1 us each)`,
      modules_line(),
      `CPU: 0 PID: 0 Comm: swapper/0 ${print_tainted()}`,
      "Call Trace:",
      " <IRQ>",
      ...handlers,
      " handle_irq_event",
      ` handle_${desc.flow}_irq`,
      " do_IRQ",
      " </IRQ>",
    ].join("\n"),
  );
}
