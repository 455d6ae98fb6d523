/**
 * The interrupt controller: an I/O APIC-like block of input lines (GSIs), each with a mask bit,
 * a trigger mode and an in-service bit that EOI clears.
 *
 * - Level-triggered lines (PCI INTx) are asserted while any source on the line holds it high:
 *   several devices may share a line, each through its own IrqPin.
 * - Edge-triggered lines latch a rising edge until it is delivered.
 * - A line is delivered when it is asserted (or latched), unmasked and not in service. The CPU
 *   acknowledges it (in service), the kernel runs its handlers and EOIs it; if a level source is
 *   still asserted at that point, it will be delivered again — which is how a device that nobody
 *   acknowledges turns into an interrupt storm.
 *
 * All state is bitmasks over at most 32 lines, so the CPU's "anything pending?" is one AND.
 */
import type { IrqChipOps } from "../include/asm/platform.ts";

export const IOAPIC_NR_LINES = 24;

/** A device's connection to one interrupt line. */
export class IrqPin {
  readonly gsi: number;
  private readonly apic: IoApic;
  level = false;

  constructor(apic: IoApic, gsi: number) {
    this.apic = apic;
    this.gsi = gsi;
  }

  /** Drive the pin to `level`. Repeating the current level is a no-op. */
  set(level: boolean): void {
    if (level === this.level) return;
    this.level = level;
    this.apic.source_changed(this.gsi, level);
  }

  raise(): void {
    this.set(true);
  }

  lower(): void {
    this.set(false);
  }

  /** A rising edge followed by a fall (an edge-triggered source such as a timer). */
  pulse(): void {
    this.set(true);
    this.set(false);
  }
}

/**
 * The I/O APIC is its own IrqChipOps: the kernel's mask/unmask/eoi calls land directly on it, as
 * writes to its redirection table and EOI register would.
 */
export class IoApic implements IrqChipOps {
  readonly nr_lines: number;
  /** Sources currently holding each line high. */
  private readonly holders: Uint16Array;
  /** Level lines with at least one holder. */
  private asserted = 0;
  /** Edge lines with an undelivered rising edge. */
  private latched = 0;
  private masked: number;
  private edge = 0;
  private in_service = 0;
  /** Called when a line becomes deliverable (the run loop uses it to wake from a wall-clock wait). */
  on_deliverable: (() => void) | null = null;

  constructor(nr_lines = IOAPIC_NR_LINES) {
    if (nr_lines < 1 || nr_lines > 32) throw new RangeError("the I/O APIC model supports 1 to 32 lines");
    this.nr_lines = nr_lines;
    this.holders = new Uint16Array(nr_lines);
    // Every redirection entry is masked at reset (82093AA datasheet, 3.2.4).
    this.masked = nr_lines === 32 ? 0xffffffff : (1 << nr_lines) - 1;
  }

  /** A new source on line `gsi`. */
  pin(gsi: number): IrqPin {
    this.check(gsi);
    return new IrqPin(this, gsi);
  }

  set_edge(gsi: number, edge: boolean): void {
    this.check(gsi);
    const bit = 1 << gsi;
    this.edge = edge ? this.edge | bit : this.edge & ~bit;
  }

  mask(gsi: number): void {
    this.check(gsi);
    this.masked |= 1 << gsi;
  }

  unmask(gsi: number): void {
    this.check(gsi);
    this.masked &= ~(1 << gsi);
    this.notify();
  }

  is_masked(gsi: number): boolean {
    return (this.masked & (1 << gsi)) !== 0;
  }

  is_asserted(gsi: number): boolean {
    return ((this.asserted | this.latched) & (1 << gsi)) !== 0;
  }

  /** Lines the CPU should take now, as a bitmask. */
  pending(): number {
    return (this.asserted | this.latched) & ~this.masked & ~this.in_service;
  }

  /** The CPU takes line `gsi`: it is in service until EOI. */
  ack(gsi: number): void {
    const bit = 1 << gsi;
    this.in_service |= bit;
    this.latched &= ~bit;
  }

  eoi(gsi: number): void {
    const bit = 1 << gsi;
    if ((this.in_service & bit) === 0) return; // nothing in service on that line (or no such line)
    this.in_service &= ~bit;
    if ((this.asserted & bit) !== 0 && (this.masked & bit) === 0) this.notify();
  }

  /** Called by IrqPin. */
  source_changed(gsi: number, level: boolean): void {
    const bit = 1 << gsi;
    const holders = this.holders[gsi]! + (level ? 1 : -1);
    this.holders[gsi] = holders;
    if ((this.edge & bit) !== 0) {
      if (level) {
        this.latched |= bit;
        this.notify();
      }
      return;
    }
    if (holders > 0) {
      this.asserted |= bit;
      this.notify();
    } else {
      this.asserted &= ~bit;
    }
  }

  private notify(): void {
    if (this.on_deliverable !== null && this.pending() !== 0) this.on_deliverable();
  }

  private check(gsi: number): void {
    if (!Number.isInteger(gsi) || gsi < 0 || gsi >= this.nr_lines) {
      throw new RangeError(`no interrupt line ${gsi} (the I/O APIC has ${this.nr_lines})`);
    }
  }
}
