import { describe, expect, it } from "vitest";
import { ERESTARTSYS } from "../../include/linux/errno.ts";
import { SIGINT } from "../../include/linux/sched.ts";
import { kthread_create, kthread_run, kthread_should_stop, kthread_stop } from "../../kernel/kthread.ts";
import { oops_count } from "../../kernel/panic.ts";
import {
  complete,
  complete_all,
  Completion,
  wait_for_completion,
  wait_for_completion_timeout,
} from "../../kernel/sched/completion.ts";
import { find_task_by_pid, msleep, msleep_interruptible, sched_yield, send_sig, task_list } from "../../kernel/sched/core.ts";
import {
  init_waitqueue_head,
  wait_event,
  wait_event_exclusive,
  wait_event_interruptible,
  wait_event_timeout,
  wake_up,
  wake_up_all,
} from "../../kernel/sched/wait.ts";
import { jiffies, ktime_get_ns } from "../../kernel/time/timekeeping.ts";
import { del_timer, mod_timer, timer_pending, TimerList } from "../../kernel/time/timer.ts";
import { boot_test_machine } from "../helpers/boot.ts";

describe("tasks", () => {
  it("interleave at their sleeps, in FIFO order, with pids from 1", async () => {
    const tm = boot_test_machine();
    const log: string[] = [];
    const body = (name: string) => async () => {
      for (let i = 0; i < 3; i++) {
        log.push(`${name}${i}`);
        await sched_yield();
      }
    };
    const a = kthread_run(body("a"), null, "a");
    const b = kthread_run(body("b"), null, "b");
    expect(b.pid).toBe(a.pid + 1);
    await tm.run_until(() => a.exited && b.exited);
    expect(log).toEqual(["a0", "b0", "a1", "b1", "a2", "b2"]);
    expect(find_task_by_pid(a.pid)).toBeUndefined();
  });

  it("40 runnable tasks take turns round robin (the run queue grows past its first size, order kept)", async () => {
    const tm = boot_test_machine();
    const log: number[] = [];
    const tasks = Array.from({ length: 40 }, (_, n) =>
      kthread_run(async () => {
        for (let i = 0; i < 3; i++) {
          log.push(i * 100 + n);
          await sched_yield();
        }
      }, null, `t${n}`),
    );
    await tm.run_until(() => tasks.every((t) => t.exited));
    const expected = [0, 1, 2].flatMap((i) => Array.from({ length: 40 }, (_, n) => i * 100 + n));
    expect(log).toEqual(expected);
  });

  it("msleep sleeps exactly on the virtual clock, and the CPU idles meanwhile", async () => {
    const tm = boot_test_machine();
    const t = await tm.in_task(async () => {
      const t0 = ktime_get_ns();
      await msleep(250);
      return ktime_get_ns() - t0;
    });
    expect(t).toBe(250e6);
    expect(tm.kernel.idle_ns).toBeGreaterThanOrEqual(249e6);
  });

  it("an exception in a task is an oops that kills only that task", async () => {
    const tm = boot_test_machine();
    const bad = kthread_run(async () => {
      await msleep(1);
      throw new RangeError("index out of bounds in driver");
    }, null, "bad");
    const good = kthread_run(async () => {
      await msleep(5);
      return 7;
    }, null, "good");
    await tm.run_until(() => bad.exited && good.exited);
    expect(bad.exit_code).toBe(139);
    expect(good.exit_code).toBe(7);
    expect(oops_count()).toBe(1);
    expect(tm.dmesg()).toMatch(/BUG: unhandled exception in task bad \(pid \d+\); task killed\n\[ *[\d.]+\] RangeError: index out of bounds in driver/);
    expect(tm.dmesg()).toMatch(/CPU: 0 PID: \d+ Comm: bad Tainted: G {6}D/);
  });

  it("kthread_stop wakes the thread, waits for it and returns its exit code", async () => {
    const tm = boot_test_machine();
    let loops = 0;
    const worker = kthread_run(async () => {
      while (!kthread_should_stop()) {
        loops++;
        await msleep(10);
      }
      return 42;
    }, null, "worker");
    const code = await tm.in_task(async () => {
      await msleep(35);
      return kthread_stop(worker);
    });
    expect(code).toBe(42);
    expect(loops).toBe(4);
    const never = kthread_create(() => 1, null, "never");
    expect(await tm.in_task(() => kthread_stop(never))).toBe(-4); // -EINTR: never ran
    expect(task_list().map((t) => t.comm)).not.toContain("never");
  });

  it("a signal interrupts an interruptible sleep", async () => {
    const tm = boot_test_machine();
    let left = -1;
    let started = -1;
    const sleeper = kthread_run(async () => {
      started = ktime_get_ns();
      left = await msleep_interruptible(1000);
    }, null, "sleeper");
    await tm.run_for(100e6);
    const signalled = ktime_get_ns();
    send_sig(SIGINT, sleeper);
    await tm.run_until(() => sleeper.exited);
    expect(left).toBe(Math.ceil((started + 1000e6 - signalled) / 1e6)); // ~900 ms left
    expect(left).toBeGreaterThanOrEqual(900);
  });
});

describe("wait queues", () => {
  it("wake_up wakes every non-exclusive waiter but exclusive ones one at a time, FIFO", async () => {
    const tm = boot_test_machine();
    const wq = init_waitqueue_head("test");
    let go = false;
    const order: string[] = [];
    const excl = (name: string) => async () => {
      await wait_event_exclusive(wq, () => go);
      order.push(name);
    };
    const plain = (name: string) => async () => {
      await wait_event(wq, () => go);
      order.push(name);
    };
    const tasks = [kthread_run(excl("x1"), null, "x1"), kthread_run(excl("x2"), null, "x2"), kthread_run(plain("p1"), null, "p1"), kthread_run(plain("p2"), null, "p2")];
    await tm.run_for(1e6); // everyone is asleep on the queue (1 ms: each step costs CPU time)
    expect(wq.entries.length).toBe(4);
    go = true;
    expect(wake_up(wq)).toBe(3); // p2, p1 (non-exclusive: added at the head, LIFO as in Linux) and x1
    await tm.run_for(1e6);
    expect(order).toEqual(["p2", "p1", "x1"]);
    expect(wake_up(wq)).toBe(1);
    await tm.run_until(() => tasks.every((t) => t.exited));
    expect(order).toEqual(["p2", "p1", "x1", "x2"]);
  });

  it("a wake-up with the condition still false puts the waiter back to sleep", async () => {
    const tm = boot_test_machine();
    const wq = init_waitqueue_head();
    let value = 0;
    let seen = -1;
    const t = kthread_run(async () => {
      await wait_event(wq, () => value >= 3);
      seen = value;
    }, null, "waiter");
    for (let i = 1; i <= 3; i++) {
      await tm.run_for(1e6);
      expect(t.exited).toBe(false);
      value = i;
      wake_up_all(wq);
    }
    await tm.run_until(() => t.exited);
    expect(seen).toBe(3);
  });

  it("wait_event_timeout returns 0 on timeout and the jiffies left on success", async () => {
    const tm = boot_test_machine();
    const wq = init_waitqueue_head();
    let flag = false;
    const r1 = await tm.in_task(() => wait_event_timeout(wq, () => flag, 20));
    expect(r1).toBe(0);
    const r2 = await tm.in_task(async () => {
      const waker = kthread_run(async () => {
        await msleep(5);
        flag = true;
        wake_up(wq);
      }, null, "waker");
      void waker;
      return wait_event_timeout(wq, () => flag, 20);
    });
    expect(r2).toBe(15);
  });

  it("wait_event_interruptible returns -ERESTARTSYS on a signal", async () => {
    const tm = boot_test_machine();
    const wq = init_waitqueue_head();
    let r = 0;
    const t = kthread_run(async () => {
      r = await wait_event_interruptible(wq, () => false);
    }, null, "w");
    await tm.run_for(1e6);
    send_sig(SIGINT, t);
    await tm.run_until(() => t.exited);
    expect(r).toBe(-ERESTARTSYS);
  });
});

describe("completions", () => {
  it("complete lets exactly one waiter through per call, complete_all lets everyone through", async () => {
    const tm = boot_test_machine();
    const done = new Completion();
    const through: string[] = [];
    const ts = ["w1", "w2", "w3"].map((n) =>
      kthread_run(async () => {
        await wait_for_completion(done);
        through.push(n);
      }, null, n),
    );
    await tm.run_for(1e6);
    complete(done);
    await tm.run_for(1e6);
    expect(through).toEqual(["w1"]);
    complete_all(done);
    await tm.run_until(() => ts.every((t) => t.exited));
    expect(through).toEqual(["w1", "w2", "w3"]);
  });

  it("wait_for_completion_timeout returns 0 when nothing completes", async () => {
    const tm = boot_test_machine();
    const c = new Completion();
    const t0 = await tm.in_task(async () => {
      const start = jiffies();
      const r = await wait_for_completion_timeout(c, 50);
      return [r, jiffies() - start];
    });
    expect(t0).toEqual([0, 50]);
  });
});

describe("timers", () => {
  it("fire at their jiffy, can be moved and deleted", async () => {
    const tm = boot_test_machine();
    const fired: [string, number][] = [];
    const a = new TimerList(() => fired.push(["a", jiffies()]));
    const b = new TimerList(() => fired.push(["b", jiffies()]));
    const c = new TimerList(() => fired.push(["c", jiffies()]));
    mod_timer(a, jiffies() + 30);
    mod_timer(b, jiffies() + 10);
    mod_timer(c, jiffies() + 20);
    expect(mod_timer(a, jiffies() + 40)).toBe(1); // was pending: moved
    expect(del_timer(c)).toBe(1);
    expect(del_timer(c)).toBe(0);
    await tm.run_for(100e6);
    expect(fired).toEqual([["b", 10], ["a", 40]]);
    expect(timer_pending(a)).toBe(false);
  });

  it("a timer callback that tries to sleep is refused (softirq context)", async () => {
    const tm = boot_test_machine();
    const t = new TimerList(() => {
      void msleep(10);
    });
    mod_timer(t, jiffies() + 1);
    await tm.run_for(5e6);
    expect(tm.dmesg()).toMatch(/sleeping function called from invalid context[\s\S]*\(in softirq\)/);
  });
});
