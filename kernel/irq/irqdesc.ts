import type { IrqHandler } from "../../include/linux/interrupt.ts";
import { DEFINE_PER_KERNEL, this_kernel, type Kernel } from "../kernel.ts";

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

/**
 * The controller an interrupt comes through (struct irq_chip): its name as /proc/interrupts shows
 * it ("IO-APIC", "PCI-MSI"), and mask / unmask / EOI for one descriptor. Hard-IRQ or
 * process context; never sleeps.
 */
export interface IrqChip {
  readonly name: string;
  mask(desc: IrqDesc): void;
  unmask(desc: IrqDesc): void;
  eoi(desc: IrqDesc): void;
}

/** Per-line state (struct irq_desc). */
export class IrqDesc {
  readonly irq: number;
  /** Flow handler name as /proc/interrupts prints it: "edge" or "fasteoi" (level). */
  readonly flow: "edge" | "fasteoi";
  /** Its controller, and the number the controller knows it by (a GSI, an MSI-X table entry). */
  chip: IrqChip;
  hwirq: number;
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

  constructor(irq: number, flow: "edge" | "fasteoi", chip: IrqChip, hwirq: number) {
    this.irq = irq;
    this.flow = flow;
    this.chip = chip;
    this.hwirq = hwirq;
  }
}

/** The I/O APIC as an irq_chip: the descriptor's GSI is its redirection entry. */
function ioapic_chip(k: Kernel): IrqChip {
  const ops = k.platform.ops.irqchip;
  return {
    name: "IO-APIC",
    mask: (d) => ops.mask(d.hwirq),
    unmask: (d) => ops.unmask(d.hwirq),
    eoi: (d) => ops.eoi(d.hwirq),
  };
}

class IrqTable {
  /** Descriptors by irq number: the GSIs first (irq = GSI), then dynamically allocated ones (MSI). */
  readonly descs: (IrqDesc | undefined)[];
  /** Interrupts that arrived on a line with no descriptor or no handler ("ERR:"). */
  irq_err_count = 0;
  readonly ioapic: IrqChip;

  constructor(k: Kernel) {
    const nr = k.platform.firmware.ioapic_lines;
    const edge = k.platform.firmware.edge_gsis;
    this.ioapic = ioapic_chip(k);
    this.descs = [];
    for (let i = 0; i < nr; i++) this.descs.push(new IrqDesc(i, edge.includes(i) ? "edge" : "fasteoi", this.ioapic, i));
  }
}

const irq_table = DEFINE_PER_KERNEL((k) => new IrqTable(k));

/** The number of GSI descriptors (irq numbers below it are the I/O APIC's lines). */
function nr_legacy_irqs(): number {
  return this_kernel().platform.firmware.ioapic_lines;
}

/**
 * irq_domain_alloc_irqs, reduced: a new descriptor on `chip`, numbered after every GSI (the first
 * free number from there). Returns the irq number. Process context.
 */
export function irq_alloc_desc(chip: IrqChip, hwirq: number, flow: "edge" | "fasteoi"): number {
  const t = irq_table.get();
  let irq = nr_legacy_irqs();
  while (t.descs[irq] !== undefined) irq++;
  t.descs[irq] = new IrqDesc(irq, flow, chip, hwirq);
  return irq;
}

/** irq_free_descs(): forget a dynamically allocated descriptor (its handlers must be freed). */
export function irq_free_desc(irq: number): void {
  const t = irq_table.get();
  if (irq < nr_legacy_irqs()) return;
  t.descs[irq] = undefined;
  while (t.descs.length > nr_legacy_irqs() && t.descs[t.descs.length - 1] === undefined) t.descs.pop();
}

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

/** The chip side: mask/unmask/EOI go to the descriptor's controller. */
export function irq_chip_mask(irq: number): void {
  const d = irq_to_desc(irq);
  d?.chip.mask(d);
}

export function irq_chip_unmask(irq: number): void {
  const d = irq_to_desc(irq);
  d?.chip.unmask(d);
}

export function irq_chip_eoi(irq: number): void {
  const d = irq_to_desc(irq);
  d?.chip.eoi(d);
}
