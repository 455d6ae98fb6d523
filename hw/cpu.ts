import type { CpuEntry } from "../include/asm/platform.ts";
import type { IoApic } from "./ioapic.ts";
import type { LocalApic } from "./lapic.ts";

/**
 * The CPU: it takes interrupts at instruction boundaries and otherwise runs the kernel.
 *
 * For cooperative JavaScript the "instruction boundary" is the gap between two kernel steps: a
 * slice first delivers every pending interrupt line (each at most once, so a line that storms
 * cannot starve the kernel), then lets the kernel run one step. Interrupts are never delivered
 * inside a step.
 */
/**
 * The CPU cost model: what kernel work costs in virtual time. Without it a CPU that never halts
 * (an interrupt storm, a task polling with sched_yield) would stop the clock, and with it every
 * timer, watchdog and device event. The figures are round numbers of the order a 2020s x86 core
 * takes, not measurements of the host:
 *
 * | work                                                     | charge  |
 * |----------------------------------------------------------|---------|
 * | one interrupt taken (entry, flow handler, handlers, EOI) | 1000 ns |
 * | one kernel step (a softirq pass or one task step)        |  250 ns |
 * | one system call that did not sleep (entry, work, exit)   | 1000 ns |
 *
 * The run loop adds a slice's charge to the clock after the slice in `virtual` mode, so runs stay
 * deterministic. In `realtime` mode the clock follows the wall clock, and the host's own time spent
 * running the slice is the cost. Work inside one step is not split: a step that runs for long is
 * charged once (a step that spins forever is the lockup detectors' business).
 */
export const CPU_COST = {
  IRQ_NS: 1000,
  STEP_NS: 250,
  /** Charged by the kernel (platform op charge_ns) when it preempts a task at return to user mode. */
  SYSCALL_NS: 1000,
} as const;

export class Cpu {
  private entry: CpuEntry | null = null;
  private readonly apic: IoApic;
  /** Slices run, and slices in which the kernel had nothing to do (it executed `hlt`). */
  slices = 0;
  halts = 0;
  /** Virtual nanoseconds of work charged since the run loop last took them (see CPU_COST). */
  charge_ns = 0;

  /** The local APIC: message-signalled interrupts arrive here as vectors (hw/lapic.ts). */
  private readonly lapic: LocalApic | null;

  constructor(apic: IoApic, lapic: LocalApic | null = null) {
    this.apic = apic;
    this.lapic = lapic;
  }

  set_entry(entry: CpuEntry): void {
    this.entry = entry;
  }

  /** Interrupts delivered in the slice whose step is still running (one step at a time). */
  private delivered_in_step = 0;

  /** Hand the accumulated charge to the run loop (which moves the clock by it). */
  take_charge(): number {
    const c = this.charge_ns;
    this.charge_ns = 0;
    return c;
  }

  get booted(): boolean {
    return this.entry !== null;
  }

  /**
   * Deliver pending interrupts without running a kernel step. Returns the number delivered.
   * Used by run_slice and by anything that needs "interrupts now" semantics (the IRQ bench).
   */
  deliver_interrupts(): number {
    const entry = this.entry;
    if (entry === null) return 0;
    let pending = this.apic.pending();
    let n = 0;
    while (pending !== 0) {
      const low = pending & -pending;
      const gsi = 31 - Math.clz32(low);
      pending ^= low;
      this.apic.ack(gsi);
      entry.interrupt(gsi);
      n++;
    }
    // Then the message-signalled vectors, highest first (each taken once per slice at most).
    const lapic = this.lapic;
    if (lapic !== null && lapic.has_pending()) {
      for (let v = lapic.ack(); v >= 0; v = lapic.ack()) {
        entry.vector_interrupt(v);
        n++;
      }
    }
    this.charge_ns += n * CPU_COST.IRQ_NS;
    return n;
  }

  /**
   * One slice. Returns false when the CPU is idle (nothing was delivered and the kernel had nothing
   * to run), true when it was busy. A kernel step that suspends (a task's step runs in promise jobs)
   * comes back as its promise: the run loop awaits it and hands what it resolved to to
   * finish_slice(), so a slice allocates nothing beyond the step's own promise.
   */
  run_slice(): boolean | Promise<boolean> {
    const entry = this.entry;
    if (entry === null) return false;
    this.slices++;
    const delivered = this.deliver_interrupts();
    const r = entry.step();
    if (typeof r === "boolean") return this.end_slice(r, delivered);
    this.delivered_in_step = delivered;
    return r;
  }

  /** The end of a slice whose step was a promise that resolved to `busy`. Returns whether the slice was busy. */
  finish_slice(busy: boolean): boolean {
    return this.end_slice(busy, this.delivered_in_step);
  }

  private end_slice(busy: boolean, delivered: number): boolean {
    if (busy) this.charge_ns += CPU_COST.STEP_NS;
    else if (delivered === 0) this.halts++;
    return busy || delivered > 0;
  }
}
