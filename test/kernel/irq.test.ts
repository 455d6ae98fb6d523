import { describe, expect, it } from "vitest";
import { EBUSY, EINVAL } from "../../include/linux/errno.ts";
import { IRQ_HANDLED, IRQ_NONE, IRQF_SHARED } from "../../include/linux/interrupt.ts";
import { proc_read } from "../../kernel/fs/proc.ts";
import { irq_to_desc } from "../../kernel/irq/irqdesc.ts";
import { free_irq, irq_actions, request_irq } from "../../kernel/irq/manage.ts";
import { oops_count } from "../../kernel/panic.ts";
import { msleep } from "../../kernel/sched/core.ts";
import { ktime_get_ns } from "../../kernel/time/timekeeping.ts";
import { boot_test_machine } from "../helpers/boot.ts";

describe("request_irq / free_irq", () => {
  it("shares a level line: the handler that declines returns IRQ_NONE, the owner claims it", async () => {
    const tm = boot_test_machine();
    const pin_a = tm.machine.ioapic.pin(11);
    const pin_b = tm.machine.ioapic.pin(11);
    const dev_a = { name: "a" };
    const dev_b = { name: "b" };
    // Each "device" claims the interrupt only if its own pin is asserted, and acknowledges it.
    const handler = (pin: typeof pin_a) => () => {
      if (!pin.level) return IRQ_NONE;
      pin.lower();
      return IRQ_HANDLED;
    };
    expect(request_irq(11, handler(pin_a), IRQF_SHARED, "eth0", dev_a)).toBe(0);
    expect(request_irq(11, handler(pin_b), IRQF_SHARED, "eth1", dev_b)).toBe(0);
    pin_b.raise();
    await tm.run_for(1000);
    const [a, b] = irq_actions(11);
    expect(irq_to_desc(11)!.count).toBe(1);
    expect(a!.declined).toBe(1);
    expect(a!.handled).toBe(0);
    expect(b!.handled).toBe(1);
    pin_a.raise();
    pin_b.raise();
    await tm.run_for(1000);
    expect(irq_to_desc(11)!.count).toBe(2); // one delivery served both
    expect(a!.handled).toBe(1);
    expect(b!.handled).toBe(2);
    expect(proc_read("interrupts")).toMatch(/^ 11: +2 +IO-APIC +11-fasteoi +eth0, eth1$/m);
    expect(proc_read("irq/11/handlers")).toBe("eth0 handled 1 declined 1\neth1 handled 2 declined 0\n");
  });

  it("refuses to share with a non-shared handler and validates arguments", () => {
    boot_test_machine();
    const h = () => IRQ_HANDLED;
    expect(request_irq(5, h, 0, "solo", null)).toBe(0);
    expect(request_irq(5, h, IRQF_SHARED, "other", {})).toBe(-EBUSY);
    expect(request_irq(6, h, IRQF_SHARED, "nocookie", null)).toBe(-EINVAL);
    expect(request_irq(99, h, 0, "nosuchline", null)).toBe(-EINVAL);
  });

  it("free_irq removes only the handler with that dev_id and masks the line after the last", async () => {
    const tm = boot_test_machine();
    const d1 = {};
    const d2 = {};
    request_irq(9, () => IRQ_NONE, IRQF_SHARED, "one", d1);
    request_irq(9, () => IRQ_NONE, IRQF_SHARED, "two", d2);
    expect(free_irq(9, d1)).toBe("one");
    expect(irq_actions(9).map((a) => a.name)).toEqual(["two"]);
    expect(tm.machine.ioapic.is_masked(9)).toBe(false);
    expect(free_irq(9, d2)).toBe("two");
    expect(tm.machine.ioapic.is_masked(9)).toBe(true);
    expect(free_irq(9, d2)).toBeNull();
    expect(tm.dmesg()).toMatch(/Trying to free already-free IRQ 9/);
  });

  it("disables a line that storms with nobody claiming it, with Linux's 'nobody cared'", async () => {
    const tm = boot_test_machine();
    const pin = tm.machine.ioapic.pin(7);
    request_irq(7, () => IRQ_NONE, IRQF_SHARED, "deaf", {});
    pin.raise(); // asserted forever: no handler acknowledges the device
    const ok = await tm.run_until(() => tm.machine.ioapic.is_masked(7), 1e9);
    expect(ok).toBe(true);
    const desc = irq_to_desc(7)!;
    expect(desc.spurious_disabled).toBe(true);
    expect(desc.count).toBe(100_000);
    const log = tm.dmesg();
    expect(log).toMatch(/irq 7: nobody cared \(try booting with the "irqpoll" option\)/);
    expect(log).toMatch(/Disabling IRQ #7/);
    expect(proc_read("irq/7/spurious")).toMatch(/unhandled 100000/);
    // The kernel keeps running: a timer-driven sleep still completes.
    const t0 = await tm.in_task(async () => {
      const start = ktime_get_ns();
      await msleep(5);
      return ktime_get_ns() - start;
    });
    expect(t0).toBeGreaterThanOrEqual(5e6);
  });

  it("reports an exception in a handler as an oops and survives", async () => {
    const tm = boot_test_machine();
    const pin = tm.machine.ioapic.pin(4);
    request_irq(4, () => {
      pin.lower();
      throw new TypeError("driver bug");
    }, 0, "buggy", null);
    pin.raise();
    await tm.run_for(1000);
    expect(oops_count()).toBe(1);
    expect(tm.dmesg()).toMatch(/BUG: exception in interrupt handler for irq 4 \(buggy\)\n\[ *[\d.]+\] TypeError: driver bug/);
    expect(irq_to_desc(4)!.count).toBe(1);
  });

  it("refuses to sleep in interrupt context and reports it as a bug", async () => {
    const tm = boot_test_machine();
    const pin = tm.machine.ioapic.pin(3);
    let returned_at = -1;
    let raised_at = -1;
    request_irq(3, () => {
      pin.lower();
      raised_at = ktime_get_ns();
      void msleep(100).then(() => {
        returned_at = ktime_get_ns();
      });
      return IRQ_HANDLED;
    }, 0, "sleepy", null);
    pin.raise();
    await tm.run_for(1e6);
    expect(tm.dmesg()).toMatch(/BUG: sleeping function called from invalid context/);
    expect(tm.dmesg()).toMatch(/in_atomic\(\): 1, irqs_disabled\(\): 1/);
    expect(returned_at).toBe(raised_at); // did not sleep
  });

  it("counts the timer interrupt in /proc/interrupts", async () => {
    const tm = boot_test_machine();
    await tm.in_task(() => msleep(3));
    expect(proc_read("interrupts")).toMatch(/^ {2}0: +[1-9]\d* +IO-APIC +0-edge +timer$/m);
  });
});
