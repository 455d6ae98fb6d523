/**
 * What the interrupt panel draws (DOM-free, tested in Node): every interrupt line /proc/interrupts
 * lists, with its count, and for each e1000 the interrupt throttle as the device and the driver
 * hold it.
 *
 * Sources, all read-only:
 * - the kernel's irq descriptors (kernel/irq/irqdesc.ts: nr_irqs, irq_to_desc, irq_err_count),
 *   inside with_kernel — the same table /proc/interrupts prints (kernel/irq/proc.ts
 *   show_interrupts), with the same rule for which lines appear (a handler or a non-zero count)
 *   and the handler names it joins with ", ";
 * - the e1000 model (hw/net/e1000.ts, e1000_intr.ts): the ITR register from the register file,
 *   ICR & IMS, whether INTx is asserted and whether the ITR timer is holding an assertion back;
 * - the e1000 driver (drivers/net/e1000_itr.ts via the adapter, netdev.priv): the
 *   InterruptThrottleRate mode (itr_setting) and the rate it runs at now (itr).
 *
 * Call between slices of the run loop only. The returned snapshot and the objects in it are reused
 * by the next call for the same WebMachine; a line's `names` string is rebuilt only when its
 * handlers change.
 */
import { E1000 } from "../../hw/net/e1000.ts";
import { REG } from "../../hw/net/e1000_regs.ts";
import { E1000Adapter } from "../../drivers/net/e1000_adapter.ts";
import { netdev_list } from "../../drivers/net/netdev.ts";
import type { NetDevice } from "../../include/net/netdevice.ts";
import { irq_err_count, irq_to_desc, nr_irqs, type IrqAction } from "../../kernel/irq/irqdesc.ts";
import { with_kernel } from "../../kernel/kernel.ts";
import type { WebMachine } from "./web_machine.ts";

/** One ITR register unit (SDM 13.4.18): the minimum interval between interrupts is ITR × 256 ns. */
export const ITR_UNIT_NS = 256;

/** The interrupt throttle of one e1000. */
export class ItrSnapshot {
  /** Interface name ("eth0"), or the device's name while no driver is bound. */
  name = "";
  /** The device model's name ("e1000.0"). */
  readonly device: string;
  /** The line the driver requested (pdev.irq), -1 while unbound. */
  irq = -1;
  /** The ITR register (16 bits): minimum interval in 256 ns units; 0 = not throttled. */
  reg = 0;
  /** reg × 256 ns. */
  interval_ns = 0;
  /** The most interrupts per second the register allows (0 = no limit). */
  max_per_s = 0;
  /** The driver's InterruptThrottleRate mode (itr_setting; -1 unbound) and its name. */
  mode = -1;
  mode_name = "";
  /** The rate the driver last chose (adapter.itr, interrupts/s; in mode 4 the mode number, as Linux). */
  driver_itr = -1;
  /** ICR & IMS is non-zero: the device has a cause to signal. */
  pending = false;
  /** INTx is asserted now. */
  asserted = false;
  /** A cause is pending but ITR holds the assertion back until `held_until_ns` (the ITR timer is armed). */
  throttled = false;
  held_until_ns = 0;
  /** Assertions of INTx by the device (cumulative) and interrupts the driver's handler claimed. */
  raised = 0;
  handled = -1;

  constructor(device: string) {
    this.device = device;
  }
}

/** One line as /proc/interrupts shows it. */
export class IrqLine {
  readonly irq: number;
  /** Controller, its number for the line and the flow ("IO-APIC", 11, "fasteoi"). */
  chip = "";
  hwirq = 0;
  flow = "";
  /** The handlers' names joined with ", " (the last column of /proc/interrupts). */
  names = "";
  /** Interrupts delivered (the CPU0 column). */
  count = 0;
  /** The e1000s on this line (an INTx line may be shared), empty for other lines. */
  readonly itr: ItrSnapshot[] = [];
  /** The actions array `names` was built from, and their count then (rebuilt when either changes). */
  private names_of: readonly IrqAction[] | null = null;
  private names_n = -1;

  constructor(irq: number) {
    this.irq = irq;
  }

  /** Refresh `names` from the descriptor's handlers, only when they changed. */
  set_actions(actions: readonly IrqAction[]): void {
    if (actions === this.names_of && actions.length === this.names_n) return;
    this.names_of = actions;
    this.names_n = actions.length;
    let s = "";
    for (let i = 0; i < actions.length; i++) s += (i > 0 ? ", " : "") + actions[i]!.name;
    this.names = s;
  }
}

export interface IrqSnapshot {
  /** The lines /proc/interrupts lists, in irq order. */
  readonly lines: readonly IrqLine[];
  /** Every e1000 of the machine, in PCI order, bound or not. */
  readonly itr: readonly ItrSnapshot[];
  /** Interrupts that arrived on a line nobody owned (the ERR row). */
  err: number;
  /** The machine's clock when taken. */
  now_ns: number;
}

/** InterruptThrottleRate's mode, as the driver's module-load message names it (e1000_check_itr_option). */
export function itr_mode_name(itr_setting: number): string {
  switch (itr_setting) {
    case 0:
      return "off";
    case 1:
      return "dynamic";
    case 3:
      return "dynamic conservative";
    case 4:
      return "simplified";
  }
  return itr_setting < 0 ? "" : `fixed ${itr_setting}/s`;
}

/** Interrupts per second an ITR register value allows (0 = unthrottled). */
export function itr_reg_to_rate(reg: number): number {
  return reg === 0 ? 0 : Math.floor(1e9 / (reg * ITR_UNIT_NS));
}

class MachineIrqs {
  readonly lines = new Map<number, IrqLine>();
  readonly itrs = new Map<E1000, ItrSnapshot>();
  readonly snap: { lines: IrqLine[]; itr: ItrSnapshot[]; err: number; now_ns: number } = { lines: [], itr: [], err: 0, now_ns: 0 };
  /** Filled inside the kernel: lines, the error count and the network devices. */
  netdevs: readonly NetDevice[] = [];
  readonly read_kernel = (): void => {
    const snap = this.snap;
    snap.lines.length = 0;
    const n = nr_irqs();
    for (let irq = 0; irq < n; irq++) {
      const d = irq_to_desc(irq);
      // The rule show_interrupts() uses for which lines to print.
      if (d === undefined || (d.actions.length === 0 && d.count === 0)) continue;
      let line = this.lines.get(irq);
      if (line === undefined) {
        line = new IrqLine(irq);
        this.lines.set(irq, line);
      }
      line.chip = d.chip.name;
      line.hwirq = d.hwirq;
      line.flow = d.flow;
      line.count = d.count;
      line.set_actions(d.actions);
      line.itr.length = 0;
      snap.lines.push(line);
    }
    snap.err = irq_err_count();
    this.netdevs = netdev_list();
  };
}

const cache = new WeakMap<WebMachine, MachineIrqs>();

/**
 * The interrupt lines of `wm`'s kernel with their counts, and each e1000's throttle. The result is
 * reused by the next call for the same machine.
 */
export function irq_snapshot(wm: WebMachine): IrqSnapshot {
  let mc = cache.get(wm);
  if (mc === undefined) {
    mc = new MachineIrqs();
    cache.set(wm, mc);
  }
  with_kernel(wm.kernel, mc.read_kernel);
  const snap = mc.snap;
  snap.now_ns = wm.machine.clock.now_ns();
  snap.itr.length = 0;
  for (const dev of wm.machine.pci.devices.values()) {
    if (!(dev instanceof E1000)) continue;
    let t = mc.itrs.get(dev);
    if (t === undefined) {
      t = new ItrSnapshot(dev.name);
      mc.itrs.set(dev, t);
    }
    let a: E1000Adapter | null = null;
    for (const nd of mc.netdevs) {
      const p = nd.priv;
      if (p instanceof E1000Adapter && p.pdev.bus === 0 && p.pdev.devfn === dev.devfn) {
        a = p;
        break;
      }
    }
    const r = dev.regs;
    t.name = a !== null ? a.netdev.name : dev.name;
    t.irq = a !== null ? a.pdev.irq : -1;
    t.reg = r[REG.ITR >> 2]! & 0xffff;
    t.interval_ns = t.reg * ITR_UNIT_NS;
    t.max_per_s = itr_reg_to_rate(t.reg);
    t.mode = a !== null ? a.itr_setting : -1;
    t.mode_name = itr_mode_name(t.mode);
    t.driver_itr = a !== null ? a.itr : -1;
    t.pending = (r[REG.ICR >> 2]! & r[REG.IMS >> 2]!) !== 0;
    t.asserted = dev.intr.asserted;
    // e1000_update_irq: a pending cause not yet asserted because now < next_ok_ns arms the ITR timer.
    t.throttled = t.pending && !t.asserted && dev.intr.itr_event.armed;
    t.held_until_ns = t.throttled ? dev.intr.next_ok_ns : 0;
    t.raised = dev.interrupts_raised;
    t.handled = a !== null ? a.irq_count : -1;
    snap.itr.push(t);
    if (t.irq >= 0) mc.lines.get(t.irq)?.itr.push(t);
  }
  // Forget lines that left the table, so a re-used irq number starts clean.
  if (mc.lines.size > snap.lines.length) for (const [irq, l] of mc.lines) if (!snap.lines.includes(l)) mc.lines.delete(irq);
  return snap;
}
