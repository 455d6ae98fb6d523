import { IRQ_HANDLED, IRQ_NONE, type IrqReturn } from "../../include/linux/interrupt.ts";
import { this_kernel } from "../kernel.ts";
import { oops } from "../panic.ts";
import { do_softirq, local_softirq_pending } from "../softirq.ts";
import { irq_err_inc, irq_to_desc, type IrqDesc } from "./irqdesc.ts";
import { note_interrupt } from "./spurious.ts";
import { vector_to_irq } from "./vector.ts";
import { disable_stuck_irq, note_irq_storm } from "../watchdog.ts";
import { LockupKill } from "../panic.ts";

/**
 * Interrupt entry and flow handling (kernel/irq/handle.c, chip.c). Runs in hard-IRQ context.
 */

/** Call every handler on the line; a handler that throws is reported and counts as IRQ_NONE. */
function handle_irq_event(desc: IrqDesc): IrqReturn {
  let ret: IrqReturn = IRQ_NONE;
  const actions = desc.actions;
  for (let i = 0; i < actions.length; i++) {
    const a = actions[i]!;
    let r: IrqReturn;
    try {
      r = a.handler(desc.irq, a.dev_id);
    } catch (e) {
      // A handler the soft-lockup detector unwound has been reported already; its line goes off.
      if (e instanceof LockupKill) disable_stuck_irq(desc);
      else oops(`BUG: exception in interrupt handler for irq ${desc.irq} (${a.name})`, e);
      r = IRQ_NONE;
    }
    if (r === IRQ_HANDLED) {
      a.handled++;
      ret = IRQ_HANDLED;
    } else {
      a.declined++;
    }
  }
  return ret;
}

/**
 * handle_fasteoi_irq / handle_edge_irq: count, run the handlers unless the line is disabled,
 * feed the spurious detector, then EOI so the I/O APIC may deliver the line again.
 */
function handle_irq(desc: IrqDesc): void {
  const chip = desc.chip;
  desc.count++;
  if (desc.depth > 0 || desc.actions.length === 0) {
    // Disabled or nobody registered: mask it so it cannot storm, as Linux's flow handlers do.
    if (desc.actions.length === 0) irq_err_inc();
    chip.mask(desc);
    chip.eoi(desc);
    return;
  }
  const ret = handle_irq_event(desc);
  note_interrupt(desc, ret);
  note_irq_storm(desc, ret);
  chip.eoi(desc);
}

/**
 * do_IRQ: the CPU's interrupt entry. irq_enter, flow handler, irq_exit (which runs pending
 * softirqs on the way out, as Linux does when not nested).
 */
export function do_IRQ(irq: number): void {
  const k = this_kernel();
  const desc = irq_to_desc(irq);
  if (desc === undefined) {
    irq_err_inc();
    k.platform.ops.irqchip.eoi(irq);
    return;
  }
  // Handlers run inside handle_irq_event's try/catch, so nothing below can leave hardirq_count raised.
  k.hardirq_count++;
  k.irq_in_progress = irq;
  handle_irq(desc);
  k.irq_in_progress = -1;
  k.hardirq_count--;
  if (k.hardirq_count === 0 && local_softirq_pending() !== 0) do_softirq();
}

/**
 * The entry for a vector the local APIC delivered (common_interrupt on a vector_irq[] slot): the
 * irq the vector was allocated to runs as any other; a vector nobody owns is counted ("ERR:") and
 * EOI'd, as Linux's "No irq handler for vector" path does.
 */
export function do_IRQ_vector(vector: number): void {
  const irq = vector_to_irq(vector);
  if (irq < 0) {
    irq_err_inc();
    this_kernel().platform.ops.lapic_eoi();
    return;
  }
  do_IRQ(irq);
}
