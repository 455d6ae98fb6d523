import { this_kernel } from "../kernel.ts";
import { irq_err_count, irq_to_desc, nr_irqs } from "./irqdesc.ts";

/**
 * /proc/interrupts in Linux 6.1's layout (kernel/irq/proc.c show_interrupts, then
 * arch/x86/kernel/irq.c arch_show_interrupts), one CPU:
 *
 *              CPU0
 *     0:         42   IO-APIC   0-edge      timer
 *    11:       1234   IO-APIC  11-fasteoi   eth0
 *    25:        567   PCI-MSI 16385-edge      virtio0-input.0
 *   NMI:          0   Non-maskable interrupts
 *   LOC:         42   Local timer interrupts
 *   …
 *   ERR:          0
 *   MIS:          0
 *   PIN:          0   Posted-interrupt notification event
 *
 * A line with no handler and no count is left out, as in Linux. The per-line columns are Linux's
 * formats: "%*d: " (prec 3, wider once there are 1000 irqs), "%10u " per CPU, " %8s" chip,
 * " %*lu" hwirq, "-%-8s" flow, "  name[, name…]".
 *
 * The summary rows are those of a Debian 12 (6.1, x86_64, CONFIG_SMP, X86_MCE(_AMD/_INTEL),
 * HAVE_KVM) guest, in its order. LOC counts this kernel's clock-event interrupts: its
 * lapic-deadline timer is delivered on the timer GSI, so LOC equals that line's count (which
 * /proc/interrupts also shows as irq 0 "timer"). ERR counts interrupts nobody owned. The others
 * are 0 because this single-CPU machine has no source for them (no NMIs, IPIs, TLB shootdowns,
 * perf counters, thermal or machine-check events, posted interrupts), as on a real one-CPU guest.
 * Left out, as Linux leaves them out when their vector is not set up: PLT (no platform IPI
 * callback), HYP (no hypervisor callback vector: no Xen/Hyper-V, no KVM async-PF interrupts),
 * HRE and HVS (not on Hyper-V).
 */
const ARCH_ROWS: readonly [string, string][] = [
  ["NMI", "Non-maskable interrupts"],
  ["LOC", "Local timer interrupts"],
  ["SPU", "Spurious interrupts"],
  ["PMI", "Performance monitoring interrupts"],
  ["IWI", "IRQ work interrupts"],
  ["RTR", "APIC ICR read retries"],
  ["RES", "Rescheduling interrupts"],
  ["CAL", "Function call interrupts"],
  ["TLB", "TLB shootdowns"],
  ["TRM", "Thermal event interrupts"],
  ["THR", "Threshold APIC interrupts"],
  ["DFR", "Deferred Error APIC interrupts"],
  ["MCE", "Machine check exceptions"],
  ["MCP", "Machine check polls"],
];
/** Rows after ERR and MIS (CONFIG_HAVE_KVM). */
const KVM_ROWS: readonly [string, string][] = [
  ["PIN", "Posted-interrupt notification event"],
  ["NPI", "Nested posted-interrupt event"],
  ["PIW", "Posted-interrupt wakeup event"],
];

/** The online CPUs (one: ringzero's machine has a single CPU). */
const NR_CPUS = 1;

/** arch_show_interrupts(): the x86 summary rows. */
function arch_show_interrupts(prec: number): string {
  const timer = irq_to_desc(this_kernel().platform.firmware.timer_gsi)?.count ?? 0;
  const value = (name: string): number => (name === "LOC" ? timer : 0);
  const row = ([name, what]: readonly [string, string]): string => `${name.padStart(prec)}: ${`${String(value(name)).padStart(10)} `.repeat(NR_CPUS)}  ${what}\n`;
  let out = ARCH_ROWS.map(row).join("");
  out += `${"ERR".padStart(prec)}: ${String(irq_err_count()).padStart(10)}\n`;
  // MIS: level-triggered interrupts the I/O APIC mis-delivered (an 82093AA erratum); none here.
  out += `${"MIS".padStart(prec)}: ${String(0).padStart(10)}\n`;
  out += KVM_ROWS.map(row).join("");
  return out;
}

export function show_interrupts(): string {
  const n = nr_irqs();
  let prec = 3;
  for (let j = 1000; prec < 10 && j <= n; prec++) j *= 10;
  let out = " ".repeat(prec + 8);
  for (let cpu = 0; cpu < NR_CPUS; cpu++) out += `CPU${String(cpu).padEnd(8)}`;
  out += "\n";
  for (let irq = 0; irq < n; irq++) {
    const d = irq_to_desc(irq);
    if (d === undefined || (d.actions.length === 0 && d.count === 0)) continue;
    out += `${String(irq).padStart(prec)}: ${`${String(d.count).padStart(10)} `.repeat(NR_CPUS)}`;
    out += ` ${d.chip.name.padStart(8)} ${String(d.hwirq).padStart(prec)}-${d.flow.padEnd(8)}`;
    if (d.actions.length > 0) out += `  ${d.actions.map((a) => a.name).join(", ")}`;
    out += "\n";
  }
  return out + arch_show_interrupts(prec);
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
