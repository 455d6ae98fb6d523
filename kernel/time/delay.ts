import { this_kernel } from "../kernel.ts";
import { softlockup_check } from "../watchdog.ts";

/**
 * Busy-wait delays (include/linux/delay.h, arch/x86/lib/delay.c): the CPU spins for the given
 * time without sleeping, so they may be used in any context, and nothing else runs meanwhile —
 * no task, no interrupt handler (interrupts are taken when the current step ends). The clock moves
 * and devices make progress, exactly as a register a driver polls changes while it spins.
 *
 * Use them for the short waits datasheets ask for (EEPROM clocking, a PHY reset pulse); anything
 * longer than a few milliseconds belongs in msleep(), which lets the CPU do other work. A loop
 * that busy-waits forever is a soft lockup: softlockup_check() reports it after 2 × watchdog_thresh
 * and unwinds the spinner.
 */

export function ndelay(ns: number): void {
  if (!(ns > 0)) return;
  this_kernel().platform.ops.delay_ns(Math.ceil(ns));
  softlockup_check();
}

export function udelay(us: number): void {
  ndelay(us * 1000);
}

/** mdelay(): milliseconds of spinning, as Linux splits it into udelay(1000) calls. */
export function mdelay(ms: number): void {
  for (let i = 0; i < ms; i++) udelay(1000);
}
