/**
 * Time moves while the CPU works, and the lockup detectors see what a stuck CPU does: an
 * interrupt storm (claimed or not), a busy-wait that never ends, a task blocked in D state.
 */
import { describe, expect, it } from "vitest";
import { IRQ_HANDLED, IRQ_NONE } from "../../include/linux/interrupt.ts";
import { TASK_UNINTERRUPTIBLE } from "../../include/linux/sched.ts";
import { irq_to_desc } from "../../kernel/irq/irqdesc.ts";
import { request_irq } from "../../kernel/irq/manage.ts";
import { hung_task_reports } from "../../kernel/hung_task.ts";
import { kthread_run } from "../../kernel/kthread.ts";
import { schedule, set_current_state, msleep } from "../../kernel/sched/core.ts";
import { mdelay, udelay } from "../../kernel/time/delay.ts";
import { ktime_get_ns } from "../../kernel/time/timekeeping.ts";
import { mod_timer_ns, TimerList } from "../../kernel/time/timer.ts";
import { lockup_counts } from "../../kernel/watchdog.ts";
import { boot_test_machine } from "../helpers/boot.ts";

describe("virtual time under load", () => {
  it("a level line that storms with a handler that claims it: timers still fire, the storm is reported once", async () => {
    const tm = boot_test_machine();
    const pin = tm.machine.ioapic.pin(9);
    let calls = 0;
    // The handler claims the interrupt but never quiets the device: the line stays asserted.
    expect(request_irq(9, () => (calls++, IRQ_HANDLED), 0, "stormy", null)).toBe(0);
    let fired_at = -1;
    const t0 = ktime_get_ns();
    mod_timer_ns(new TimerList(() => (fired_at = ktime_get_ns())), t0 + 100e6);
    pin.raise();
    const why = await tm.world.run({ for_ns: 1e9 }); // before CPU work cost time, this never returned
    expect(why).toBe("deadline");
    expect(fired_at).toBeGreaterThanOrEqual(t0 + 100e6);
    expect(fired_at).toBeLessThan(t0 + 101e6);
    expect(calls).toBeGreaterThan(500_000); // about one per microsecond of CPU
    const log = tm.dmesg();
    expect(log).toContain("watchdog: Watchdog detected hard LOCKUP on cpu 0: interrupt storm on IRQ 9");
    expect(log).toMatch(/irq 9: \d+ interrupts in \d+ ms, all claimed/);
    expect(log.match(/hard LOCKUP/g)).toHaveLength(1);
    expect(lockup_counts().hard).toBe(1);
  });

  it("an unclaimed storm is 'nobody cared': the line is disabled and the machine goes idle", async () => {
    const tm = boot_test_machine();
    const pin = tm.machine.ioapic.pin(9);
    expect(request_irq(9, () => IRQ_NONE, 0, "deaf", null)).toBe(0);
    pin.raise();
    await tm.run_for(2e9);
    expect(tm.dmesg()).toContain("irq 9: nobody cared");
    expect(tm.dmesg()).toContain("Disabling IRQ #9");
    expect(irq_to_desc(9)!.spurious_disabled).toBe(true);
    const count = irq_to_desc(9)!.count;
    await tm.run_for(1e9);
    expect(irq_to_desc(9)!.count).toBe(count); // masked: no more deliveries
  });

  it("a task that polls with cond_resched-style yields lets virtual time pass", async () => {
    const tm = boot_test_machine();
    const t0 = ktime_get_ns();
    let spins = 0;
    const seen = await tm.in_task(async () => {
      const { sched_yield } = await import("../../kernel/sched/core.ts");
      while (ktime_get_ns() < t0 + 1e6) {
        spins++;
        await sched_yield();
      }
      return ktime_get_ns();
    });
    expect(seen).toBeGreaterThanOrEqual(t0 + 1e6);
    expect(spins).toBeGreaterThan(100);
  });
});

describe("soft lockup (busy-waiting in virtual time)", () => {
  it("udelay moves the clock and lets devices progress, without running interrupt handlers", async () => {
    const tm = boot_test_machine();
    let fired = 0;
    request_irq(9, () => (fired++, IRQ_HANDLED), 0, "probe", null);
    const pin = tm.machine.ioapic.pin(9);
    const dt = await tm.in_task(() => {
      const t0 = ktime_get_ns();
      pin.raise();
      udelay(50);
      const during = fired;
      pin.lower();
      return [ktime_get_ns() - t0, during];
    });
    expect(dt[0]).toBe(50_000);
    expect(dt[1]).toBe(0); // interrupts are taken when the step ends
  });

  it("a task stuck in mdelay for more than 2 x watchdog_thresh is reported with its stack and killed", async () => {
    const tm = boot_test_machine();
    const t = kthread_run(
      function stuck_polling_a_register() {
        for (;;) mdelay(1);
      },
      null,
      "poller",
    );
    await tm.run_until(() => t.exited, 60e9);
    expect(t.exited).toBe(true);
    const log = tm.dmesg();
    expect(log).toMatch(/watchdog: BUG: soft lockup - CPU#0 stuck for 2[0-9]s! \[poller:\d+\]/);
    expect(log).toContain("stuck_polling_a_register");
    expect(log).toContain("killing poller");
    expect(lockup_counts().soft).toBe(1);
    // The machine goes on: a later task runs normally.
    expect(await tm.in_task(async () => (await msleep(5), 7))).toBe(7);
  });
});

describe("hung tasks", () => {
  it("a task in D state for more than 120 s is reported once per check with the stack it slept from", async () => {
    const tm = boot_test_machine();
    kthread_run(
      async function waits_for_a_completion_nobody_signals() {
        set_current_state(TASK_UNINTERRUPTIBLE);
        await schedule();
      },
      null,
      "stuckd",
    );
    await tm.run_for(119e9);
    expect(tm.dmesg()).not.toContain("blocked for more than");
    await tm.run_for(2e9);
    const log = tm.dmesg();
    expect(log).toMatch(/INFO: task stuckd:\d+ blocked for more than 120 seconds\./);
    expect(log).toContain('"echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.');
    expect(log).toContain("waits_for_a_completion_nobody_signals");
    expect(hung_task_reports()).toBe(1);
    await tm.run_for(120e9);
    expect(hung_task_reports()).toBe(2);
  });

  it("a short uninterruptible sleep leaves no timer behind: the machine still goes idle", async () => {
    const tm = boot_test_machine();
    await tm.in_task(() => msleep(10));
    expect(await tm.world.run()).toBe("idle");
    expect(hung_task_reports()).toBe(0);
  });
});
