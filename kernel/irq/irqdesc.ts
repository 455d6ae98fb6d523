import type { IrqHandler } from "../../include/linux/interrupt.ts";
import { DEFINE_PER_KERNEL, this_kernel } from "../kernel.ts";

/** One registered handler on a line (struct irqaction). */
export class IrqAction {
  readonly handler: IrqHandler;
  readonly flags: number;
  readonly name: string;
  readonly dev_id: unknown;
  /** Interrupts this handler claimed (returned IRQ_HANDLED for). */
  handled = 0;
  /** Interrupts this handler was called for and declined (IRQ_NONE). */
  declined = 0;

  constructor(handler: IrqHandler, flags: number, name: string, dev_id: unknown) {
    this.handler = handler;
    this.flags = flags;
    this.name = name;
    this.dev_id = dev_id;
  }
}

/** Per-line state (struct irq_desc). */
export class IrqDesc {
  readonly irq: number;
  /** Flow handler name as /proc/interrupts prints it: "edge" or "fasteoi" (level). */
  readonly flow: "edge" | "fasteoi";
  actions: IrqAction[] = [];
  /** disable_irq() nesting; the line is masked while > 0. */
  depth = 1;
  /** Interrupts delivered on this line (the per-CPU count of /proc/interrupts). */
  count = 0;
  /** note_interrupt() bookkeeping (kernel/irq/spurious.c). */
  irq_count = 0;
  irqs_unhandled = 0;
  last_unhandled_ns = 0;
  /** Total unhandled ever, for /proc/irq/N/spurious. */
  unhandled_total = 0;
  /** Set when the line was disabled for storming unclaimed ("nobody cared"). */
  spurious_disabled = false;
  /** Interrupt-storm detection (kernel/watchdog.ts): claimed interrupts since the window began. */
  storm_count = 0;
  storm_window_ns = 0;
  storm_chunks = 0;
  storm_start_ns = 0;
  storm_reported = false;

  constructor(irq: number, flow: "edge" | "fasteoi") {
    this.irq = irq;
    this.flow = flow;
  }
}

class IrqTable {
  readonly descs: IrqDesc[];
  /** Interrupts that arrived on a line with no descriptor or no handler ("ERR:"). */
  irq_err_count = 0;

  constructor(nr: number, edge: readonly number[]) {
    this.descs = [];
    for (let i = 0; i < nr; i++) this.descs.push(new IrqDesc(i, edge.includes(i) ? "edge" : "fasteoi"));
  }
}

const irq_table = DEFINE_PER_KERNEL((k) => new IrqTable(k.platform.firmware.ioapic_lines, k.platform.firmware.edge_gsis));

export function nr_irqs(): number {
  return irq_table.get().descs.length;
}

export function irq_to_desc(irq: number): IrqDesc | undefined {
  return irq_table.get().descs[irq];
}

export function irq_err_inc(): void {
  irq_table.get().irq_err_count++;
}

export function irq_err_count(): number {
  return irq_table.get().irq_err_count;
}

/** kstat_irqs(): interrupts delivered on `irq`. */
export function kstat_irqs(irq: number): number {
  return irq_to_desc(irq)?.count ?? 0;
}

/** The chip side: mask/unmask/EOI go to the I/O APIC. */
export function irq_chip_mask(irq: number): void {
  this_kernel().platform.ops.irqchip.mask(irq);
}

export function irq_chip_unmask(irq: number): void {
  this_kernel().platform.ops.irqchip.unmask(irq);
}

export function irq_chip_eoi(irq: number): void {
  this_kernel().platform.ops.irqchip.eoi(irq);
}
