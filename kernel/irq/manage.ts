import { EBUSY, EINVAL } from "../../include/linux/errno.ts";
import { IRQF_SHARED, type IrqHandler } from "../../include/linux/interrupt.ts";
import { WARN } from "../panic.ts";
import { irq_chip_mask, irq_chip_unmask, irq_to_desc, IrqAction } from "./irqdesc.ts";

/**
 * Registering and removing interrupt handlers (kernel/irq/manage.c). Process context.
 */

/**
 * request_irq: add `handler` to line `irq`. On a line that already has handlers, every handler
 * (old and new) must pass IRQF_SHARED, and a shared handler needs a non-null `dev_id` (the cookie
 * free_irq() uses to find it). The first handler unmasks the line.
 * Returns 0, -EINVAL (bad arguments) or -EBUSY (line taken by a non-shared handler).
 */
export function request_irq(irq: number, handler: IrqHandler, flags: number, name: string, dev_id: unknown): number {
  const desc = irq_to_desc(irq);
  if (desc === undefined || typeof handler !== "function") return -EINVAL;
  const shared = (flags & IRQF_SHARED) !== 0;
  if (shared && (dev_id === null || dev_id === undefined)) return -EINVAL;
  if (desc.actions.length > 0) {
    const all_shared = shared && desc.actions.every((a) => (a.flags & IRQF_SHARED) !== 0);
    if (!all_shared) return -EBUSY;
  }
  desc.actions.push(new IrqAction(handler, flags, name, dev_id));
  if (desc.actions.length === 1) {
    // irq_startup(): fresh spurious accounting, then unmask.
    desc.irq_count = 0;
    desc.irqs_unhandled = 0;
    desc.spurious_disabled = false;
    desc.depth = 0;
    irq_chip_unmask(irq);
  }
  return 0;
}

/**
 * free_irq: remove the handler registered with `dev_id`. The last handler's removal masks the
 * line. Returns the handler's name, or null (with a warning) if there was none.
 */
export function free_irq(irq: number, dev_id: unknown): string | null {
  const desc = irq_to_desc(irq);
  if (desc === undefined) return null;
  const i = desc.actions.findIndex((a) => a.dev_id === dev_id);
  if (i < 0) {
    WARN(true, `Trying to free already-free IRQ ${irq}`);
    return null;
  }
  const [action] = desc.actions.splice(i, 1);
  if (desc.actions.length === 0) {
    desc.depth = 1;
    irq_chip_mask(irq);
  }
  return action!.name;
}

/** disable_irq: mask the line; nests with enable_irq. */
export function disable_irq(irq: number): void {
  const desc = irq_to_desc(irq);
  if (desc === undefined) return;
  if (desc.depth++ === 0) irq_chip_mask(irq);
}

export const disable_irq_nosync = disable_irq;

/** enable_irq: undo one disable_irq; the line is unmasked when the count reaches zero. */
export function enable_irq(irq: number): void {
  const desc = irq_to_desc(irq);
  if (desc === undefined) return;
  if (WARN(desc.depth === 0, `Unbalanced enable for IRQ ${irq}`)) return;
  if (--desc.depth === 0) {
    desc.spurious_disabled = false;
    irq_chip_unmask(irq);
  }
}

/** The handlers on a line with their per-handler counts (for /proc and tests). */
export function irq_actions(irq: number): readonly IrqAction[] {
  return irq_to_desc(irq)?.actions ?? [];
}
