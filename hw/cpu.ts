import type { CpuEntry } from "../include/asm/platform.ts";
import type { IoApic } from "./ioapic.ts";

/**
 * The CPU: it takes interrupts at instruction boundaries and otherwise runs the kernel.
 *
 * For cooperative JavaScript the "instruction boundary" is the gap between two kernel steps: a
 * slice first delivers every pending interrupt line (each at most once, so a line that storms
 * cannot starve the kernel), then lets the kernel run one step. Interrupts are never delivered
 * inside a step.
 */
export class Cpu {
  private entry: CpuEntry | null = null;
  private readonly apic: IoApic;
  /** Slices run, and slices in which the kernel had nothing to do (it executed `hlt`). */
  slices = 0;
  halts = 0;

  constructor(apic: IoApic) {
    this.apic = apic;
  }

  set_entry(entry: CpuEntry): void {
    this.entry = entry;
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
    return n;
  }

  /**
   * One slice. Returns (or resolves to) false when the CPU is idle: nothing was delivered and
   * the kernel had nothing to run.
   */
  run_slice(): boolean | Promise<boolean> {
    const entry = this.entry;
    if (entry === null) return false;
    this.slices++;
    const delivered = this.deliver_interrupts();
    const r = entry.step();
    if (typeof r === "boolean") {
      if (!r && delivered === 0) this.halts++;
      return r || delivered > 0;
    }
    return r.then((busy) => {
      if (!busy && delivered === 0) this.halts++;
      return busy || delivered > 0;
    });
  }
}
