/** Interrupt handler return values and request_irq flags (include/linux/irqreturn.h, interrupt.h). */
export const IRQ_NONE = 0 as const;
export const IRQ_HANDLED = 1 as const;
export const IRQ_WAKE_THREAD = 2 as const;
export type IrqReturn = typeof IRQ_NONE | typeof IRQ_HANDLED | typeof IRQ_WAKE_THREAD;

/**
 * A hard-IRQ handler. Runs in interrupt context: it must not sleep, should acknowledge its device,
 * and returns IRQ_NONE when the interrupt was not its device's (shared lines).
 */
export type IrqHandler = (irq: number, dev_id: unknown) => IrqReturn;

export const IRQF_TRIGGER_NONE = 0x00000000;
export const IRQF_TRIGGER_RISING = 0x00000001;
export const IRQF_TRIGGER_FALLING = 0x00000002;
export const IRQF_TRIGGER_HIGH = 0x00000004;
export const IRQF_TRIGGER_LOW = 0x00000008;
/** Allow sharing the line among several devices. */
export const IRQF_SHARED = 0x00000080;
export const IRQF_NO_THREAD = 0x00010000;
export const IRQF_TIMER = 0x00000200;
