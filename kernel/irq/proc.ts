import { irq_err_count, irq_to_desc, nr_irqs } from "./irqdesc.ts";

/**
 * /proc/interrupts in Linux's layout (kernel/irq/proc.c show_interrupts + arch_show_interrupts):
 *
 *            CPU0
 *   0:         42   IO-APIC   0-edge      timer
 *  11:       1234   IO-APIC  11-fasteoi   eth0
 *  24:        567   PCI-MSIX-0000:00:05.0 0-edge      virtio0-input.0
 * ERR:          0
 *
 * Lines with no handler and no count are left out, as in Linux.
 */
export function show_interrupts(): string {
  let out = "           CPU0       \n";
  for (let irq = 0; irq < nr_irqs(); irq++) {
    const d = irq_to_desc(irq);
    if (d === undefined || (d.actions.length === 0 && d.count === 0)) continue;
    const names = d.actions.map((a) => a.name).join(", ");
    const hw = `${String(d.hwirq).padStart(d.chip.name === "IO-APIC" ? 3 : 1)}-${d.flow}`;
    out += `${String(irq).padStart(3)}: ${String(d.count).padStart(10)}   ${d.chip.name} ${hw.padEnd(12)} ${names}`.trimEnd() + "\n";
  }
  out += `ERR: ${String(irq_err_count()).padStart(10)}\n`;
  return out;
}

/** /proc/irq/N/spurious (Linux prints count, unhandled and last_unhandled). */
export function show_irq_spurious(irq: number): string | null {
  const d = irq_to_desc(irq);
  if (d === undefined) return null;
  return `count ${d.irq_count}\nunhandled ${d.unhandled_total}\nlast_unhandled ${Math.floor(d.last_unhandled_ns / 1e6)} ms\n`;
}

/**
 * /proc/irq/N/handlers (ringzero): one line per handler with the interrupts it claimed and
 * declined, which Linux keeps only in aggregate.
 */
export function show_irq_handlers(irq: number): string | null {
  const d = irq_to_desc(irq);
  if (d === undefined) return null;
  let out = "";
  for (const a of d.actions) out += `${a.name} handled ${a.handled} declined ${a.declined}\n`;
  return out;
}
