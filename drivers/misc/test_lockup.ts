import { IRQ_NONE, IRQF_SHARED, type IrqReturn } from "../../include/linux/interrupt.ts";
import type { ModuleInfo } from "../../include/linux/module.ts";
import { EINVAL, ENODEV } from "../../include/linux/errno.ts";
import { PCI_VENDOR_ID_QEMU } from "../../include/kernel/pci.ts";
import { PCI_DEVICE, type PciDriver } from "../../include/linux/pci.ts";
import { pci_register_driver, pci_unregister_driver } from "../../kernel/pci/pci_driver.ts";
import { TASK_UNINTERRUPTIBLE } from "../../include/linux/sched.ts";
import { free_irq, request_irq } from "../../kernel/irq/manage.ts";
import { DEFINE_PER_KERNEL } from "../../kernel/kernel.ts";
import { pr_err, pr_info, pr_notice } from "../../kernel/printk.ts";
import { schedule, schedule_timeout, set_current_state } from "../../kernel/sched/core.ts";
import { mdelay } from "../../kernel/time/delay.ts";
import { ktime_get_ns, msecs_to_jiffies, NSEC_PER_SEC } from "../../kernel/time/timekeeping.ts";
import { del_timer, mod_timer_ns, TimerList } from "../../kernel/time/timer.ts";

/**
 * test_lockup: make the CPU lock up on purpose, to see the lockup detectors work (after Linux's
 * lib/test_lockup.c, with fewer knobs). It is the misbehaving driver you load to watch what
 * ringzero does with one:
 *
 *   insmod test_lockup                          module init spins in a JavaScript loop forever
 *   rmmod edu; insmod test_lockup context=probe a PCI driver whose probe spins (it binds the edu
 *                                               device, 1234:11e8, once edu has let it go)
 *   insmod test_lockup how=delay                init busy-waits with mdelay(): soft lockup after
 *                                               2 × watchdog_thresh of virtual time
 *   insmod test_lockup how=dstate time_secs=200 init sleeps uninterruptibly: hung-task report
 *   insmod test_lockup context=irq irq=11       the next interrupt on line 11 spins in its handler
 *   insmod test_lockup context=timer            a timer callback (softirq) spins
 *
 * time_secs=0 (the default) means forever; otherwise the lockup ends by itself after that long
 * (virtual seconds for delay and dstate, wall seconds for loop).
 */

const CONTEXTS = ["init", "probe", "irq", "timer"] as const;
const HOWS = ["loop", "delay", "dstate"] as const;

class LockupState {
  /** The line our handler is on, or -1. */
  line = -1;
  fired = false;
  how = "loop";
  time_secs = 0;
  timer: TimerList | null = null;
  driver: PciDriver | null = null;
}
const lockup_state = DEFINE_PER_KERNEL(() => new LockupState());

/** The lockup itself. Never sleeps: callable from any context. */
function test_lockup_spin(how: string, time_secs: number): void {
  if (how === "delay") {
    const end = time_secs > 0 ? ktime_get_ns() + time_secs * NSEC_PER_SEC : Infinity;
    while (ktime_get_ns() < end) mdelay(1);
    return;
  }
  // A loop that never calls the kernel: no virtual time passes, only the host can see it.
  const end = time_secs > 0 ? performance.now() + time_secs * 1000 : Infinity;
  let spins = 0;
  while (performance.now() < end) spins++;
  pr_info("test_lockup: spun %d times\n", spins);
}

function test_lockup_irq(_irq: number, dev: unknown): IrqReturn {
  const st = dev as LockupState;
  if (!st.fired) {
    st.fired = true; // once is enough to make the point
    test_lockup_spin(st.how, st.time_secs);
  }
  return IRQ_NONE; // the interrupt belongs to the line's real device
}

function int_param(params: Readonly<Record<string, string>>, name: string, dflt: number): number {
  const v = params[name];
  if (v === undefined) return dflt;
  return /^\d+$/.test(v) ? Number(v) : NaN;
}

const test_lockup: ModuleInfo = {
  name: "test_lockup",
  description: "Test module to generate lockups",
  license: "GPL",
  params: {
    context: "where to lock up: init, probe (binds the edu device), irq or timer (default init)",
    how: "loop (a JavaScript loop), delay (mdelay busy-wait) or dstate (uninterruptible sleep, init only)",
    time_secs: "how long the lockup lasts, 0 = forever (default 0)",
    irq: "interrupt line for context=irq (shared with its device; default 11)",
  },
  param_types: { time_secs: "uint", irq: "uint" },
  async init(params): Promise<number> {
    const context = params["context"] ?? "init";
    const how = params["how"] ?? "loop";
    const time_secs = int_param(params, "time_secs", 0);
    const irq = int_param(params, "irq", 11);
    if (!(CONTEXTS as readonly string[]).includes(context) || !(HOWS as readonly string[]).includes(how) || Number.isNaN(time_secs) || Number.isNaN(irq)) {
      pr_err("test_lockup: context=%s how=%s time_secs=N irq=N\n", CONTEXTS.join("|"), HOWS.join("|"));
      return -EINVAL;
    }
    if (how === "dstate" && context !== "init") {
      pr_err("test_lockup: how=dstate sleeps, which only process context (context=init) may do\n");
      return -EINVAL;
    }
    pr_notice("test_lockup: context=%s how=%s time_secs=%d%s\n", context, how, time_secs, context === "irq" ? ` irq=${irq}` : "");
    switch (context) {
      case "init":
        if (how === "dstate") {
          set_current_state(TASK_UNINTERRUPTIBLE);
          if (time_secs > 0) await schedule_timeout(msecs_to_jiffies(time_secs * 1000));
          else await schedule(); // nobody will ever wake us
          return 0;
        }
        test_lockup_spin(how, time_secs);
        return 0;
      case "probe": {
        const st = lockup_state.get();
        st.driver = {
          name: "test_lockup",
          id_table: [PCI_DEVICE(PCI_VENDOR_ID_QEMU, 0x11e8)],
          probe: function test_lockup_probe(): number {
            test_lockup_spin(how === "dstate" ? "loop" : how, time_secs);
            return -ENODEV; // bind nothing: the device goes back to whoever wants it
          },
          remove: () => {},
        };
        const err = await pci_register_driver(st.driver);
        if (err !== 0) st.driver = null;
        return err;
      }
      case "irq": {
        const st = lockup_state.get();
        st.how = how;
        st.time_secs = time_secs;
        st.fired = false;
        const err = request_irq(irq, test_lockup_irq, IRQF_SHARED, "test_lockup", st);
        if (err !== 0) return err;
        st.line = irq;
        return 0;
      }
      default: {
        const timer = new TimerList(() => test_lockup_spin(how, time_secs));
        lockup_state.get().timer = timer;
        mod_timer_ns(timer, ktime_get_ns() + 1_000_000);
        return 0;
      }
    }
  },
  exit(): void {
    const st = lockup_state.get();
    if (st.line >= 0) free_irq(st.line, st);
    if (st.timer !== null) del_timer(st.timer);
    if (st.driver !== null) void pci_unregister_driver(st.driver);
    st.driver = null;
    st.line = -1;
    st.timer = null;
  },
};
export default test_lockup;
