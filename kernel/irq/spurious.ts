import { IRQ_NONE, type IrqReturn } from "../../include/linux/interrupt.ts";
import { LOGLEVEL_ERR } from "../../include/linux/printk.ts";
import { printk } from "../printk.ts";
import { ktime_get_ns, NSEC_PER_SEC } from "../time/timekeeping.ts";
import { irq_chip_mask, type IrqDesc } from "./irqdesc.ts";

/**
 * Detection of interrupts nobody claims (kernel/irq/spurious.c): out of every 100,000
 * interrupts on a line, if more than 99,900 went unclaimed, the line is stuck asserted by a device
 * no driver acknowledges. Linux then prints "nobody cared", lists the handlers and disables the
 * line; so do we. An unclaimed interrupt more than 1/10 s after the previous one restarts the count.
 */
export const SPURIOUS_WINDOW = 100_000;
export const SPURIOUS_LIMIT = 99_900;

export function note_interrupt(desc: IrqDesc, ret: IrqReturn): void {
  if (ret === IRQ_NONE) {
    const now = ktime_get_ns();
    if (now - desc.last_unhandled_ns > NSEC_PER_SEC / 10) desc.irqs_unhandled = 1;
    else desc.irqs_unhandled++;
    desc.last_unhandled_ns = now;
    desc.unhandled_total++;
  }
  desc.irq_count++;
  if (desc.irq_count < SPURIOUS_WINDOW) return;
  desc.irq_count = 0;
  if (desc.irqs_unhandled > SPURIOUS_LIMIT) {
    irq_disable_reporting(desc, `irq ${desc.irq}: nobody cared (try booting with the "irqpoll" option)`);
    desc.spurious_disabled = true;
  }
  desc.irqs_unhandled = 0;
}

/**
 * Turn a misbehaving line off for good (until its handlers are requested again) and say why, with
 * the handlers on it, as __report_bad_irq does: "nobody cared", or a handler the soft-lockup
 * detector unwound (kernel/watchdog.ts). Hard-IRQ context.
 */
export function irq_disable_reporting(desc: IrqDesc, headline: string): void {
  desc.depth++;
  irq_chip_mask(desc.irq);
  const lines = [headline, "handlers:"];
  for (const a of desc.actions) lines.push(`[<${a.name}>] ${a.handler.name || "(anonymous)"}`);
  lines.push(`Disabling IRQ #${desc.irq}`);
  printk(LOGLEVEL_ERR, "%s\n", lines.join("\n"));
}
