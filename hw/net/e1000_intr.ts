import { ClockEvent, type VirtualClock } from "../clock.ts";
import type { E1000 } from "./e1000.ts";
import { ICR_RXT0, ICR_TXDW, ICR_VALID_MASK, REG } from "./e1000_regs.ts";

/**
 * Interrupts of the 82540EM (QEMU: set_ics, set_interrupt_cause, the mit/delay timers). The INTx
 * level follows ICR & IMS (SDM 13.4.17-13.4.21); ITR throttles assertions (13.4.18); RDTR/RADV
 * delay RXT0 (3.2.7) and TIDV/TADV delay TXDW for descriptors with IDE (3.4). All timers run on
 * the virtual clock. The functions take the device; they run in whatever entered the model (a
 * register access, a frame from the wire, a timer) and allocate nothing.
 */
export class IntrState {
  /** The INTx line is asserted (as last driven through set_irq). */
  asserted = false;
  /** With ITR non-zero: no new assertion before this time. */
  next_ok_ns = 0;
  readonly itr_event: ClockEvent;
  readonly rdtr_event: ClockEvent;
  readonly radv_event: ClockEvent;
  readonly tidv_event: ClockEvent;
  readonly tadv_event: ClockEvent;

  /** `guard` runs a timer callback so that an exception becomes a model error (E1000.guarded). */
  constructor(s: E1000, guard: (where: string, fn: () => void) => void) {
    // The inner callbacks are made once: these events fire per interrupt and must not allocate.
    const update = (): void => e1000_update_irq(s);
    const rx_fired = (): void => e1000_rx_timer_fired(s);
    const tx_fired = (): void => e1000_tx_timer_fired(s);
    this.itr_event = new ClockEvent(`${s.name}-itr`, () => guard("ITR timer", update));
    this.rdtr_event = new ClockEvent(`${s.name}-rdtr`, () => guard("RDTR timer", rx_fired));
    this.radv_event = new ClockEvent(`${s.name}-radv`, () => guard("RADV timer", rx_fired));
    this.tidv_event = new ClockEvent(`${s.name}-tidv`, () => guard("TIDV timer", tx_fired));
    this.tadv_event = new ClockEvent(`${s.name}-tadv`, () => guard("TADV timer", tx_fired));
  }

  /** Stop the ITR and delay timers. */
  disarm(clock: VirtualClock): void {
    clock.disarm(this.itr_event);
    clock.disarm(this.rdtr_event);
    clock.disarm(this.radv_event);
    clock.disarm(this.tidv_event);
    clock.disarm(this.tadv_event);
  }
}

/** Raise interrupt causes (ICS, or the device itself). */
export function e1000_set_ics(s: E1000, causes: number): void {
  s.regs[REG.ICR >> 2] = (s.regs[REG.ICR >> 2]! | (causes & ICR_VALID_MASK)) >>> 0;
  s.update_irq();
}

/**
 * The INTx level follows ICR & IMS. With ITR non-zero, a new assertion waits until ITR × 256 ns
 * have passed since the previous one (SDM 13.4.18).
 */
export function e1000_update_irq(s: E1000): void {
  const r = s.regs;
  const intr = s.intr;
  const pending = (r[REG.ICR >> 2]! & r[REG.IMS >> 2]!) !== 0;
  if (!pending) {
    if (intr.asserted) {
      intr.asserted = false;
      s.set_irq(false);
    }
    return;
  }
  if (intr.asserted) return;
  const now = s.clock.now_ns();
  if (now < intr.next_ok_ns) {
    if (!intr.itr_event.armed) s.clock.arm(intr.itr_event, intr.next_ok_ns);
    return;
  }
  intr.asserted = true;
  s.interrupts_raised++;
  const itr = r[REG.ITR >> 2]! & 0xffff;
  if (itr !== 0) intr.next_ok_ns = now + itr * 256;
  if (s.trace_on("interrupt")) s.trace("interrupt", `assert INTx: ICR 0x${r[REG.ICR >> 2]!.toString(16)} IMS 0x${r[REG.IMS >> 2]!.toString(16)}`);
  s.set_irq(true);
}

/**
 * The packet and absolute delay timers, one pair per direction (SDM 3.2.7 RDTR/RADV, 3.4
 * TIDV/TADV): the packet timer restarts on every completion, the absolute one runs from the first;
 * whichever expires first raises `cause`. A zero packet delay (or `now`) raises it at once.
 */
function delay_timers(s: E1000, pkt_reg: number, abs_reg: number, pkt: ClockEvent, abs: ClockEvent, cause: number, now: boolean): void {
  const pkt_delay = s.regs[pkt_reg >> 2]! & 0xffff;
  if (now || pkt_delay === 0) {
    s.set_ics(cause);
    return;
  }
  s.clock.arm_in(pkt, pkt_delay * 1024);
  const abs_delay = s.regs[abs_reg >> 2]! & 0xffff;
  if (abs_delay !== 0 && !abs.armed) s.clock.arm_in(abs, abs_delay * 1024);
}

/** A receive descriptor was written back: RXT0 now, or after RDTR/RADV. */
export function e1000_rx_written(s: E1000): void {
  delay_timers(s, REG.RDTR, REG.RADV, s.intr.rdtr_event, s.intr.radv_event, ICR_RXT0, false);
}

/** RDTR or RADV expired, or RDTR.FPD flushed them: RXT0. */
export function e1000_rx_timer_fired(s: E1000): void {
  s.clock.disarm(s.intr.rdtr_event);
  s.clock.disarm(s.intr.radv_event);
  s.set_ics(ICR_RXT0);
}

/** A transmit descriptor with RS was written back: TXDW now, or delayed for IDE (SDM 3.4). */
export function e1000_tx_written(s: E1000, ide: boolean): void {
  delay_timers(s, REG.TIDV, REG.TADV, s.intr.tidv_event, s.intr.tadv_event, ICR_TXDW, !ide);
}

/** TIDV or TADV expired: TXDW. */
export function e1000_tx_timer_fired(s: E1000): void {
  s.clock.disarm(s.intr.tidv_event);
  s.clock.disarm(s.intr.tadv_event);
  s.set_ics(ICR_TXDW);
}
