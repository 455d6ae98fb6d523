import { ClockEvent, type VirtualClock } from "./clock.ts";
import type { IrqPin } from "./ioapic.ts";

/**
 * The clockevent device: a one-shot timer armed with an absolute deadline (the local APIC timer in
 * TSC-deadline mode). When the virtual clock reaches the deadline it pulses its interrupt line.
 * Writing a new deadline replaces the old one; a deadline of 0 disarms it.
 */
export class LapicTimer {
  private readonly clock: VirtualClock;
  private readonly pin: IrqPin;
  private readonly event: ClockEvent;
  fired = 0;

  constructor(clock: VirtualClock, pin: IrqPin) {
    this.clock = clock;
    this.pin = pin;
    this.event = new ClockEvent("lapic-timer", () => {
      this.fired++;
      this.pin.pulse();
    });
  }

  set_deadline(deadline_ns: number): void {
    if (deadline_ns <= 0) this.clock.disarm(this.event);
    else this.clock.arm(this.event, deadline_ns);
  }

  get deadline(): number {
    return this.event.armed ? this.event.when : 0;
  }
}
