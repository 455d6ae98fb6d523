import { describe, expect, it } from "vitest";
import { msleep, task_list } from "../../kernel/sched/core.ts";
import { jiffies } from "../../kernel/time/timekeeping.ts";
import {
  alloc_workqueue,
  cancel_delayed_work,
  cancel_delayed_work_sync,
  cancel_work_sync,
  DelayedWork,
  destroy_workqueue,
  flush_work,
  flush_workqueue,
  mod_delayed_work,
  queue_delayed_work,
  queue_work,
  schedule_work,
  WorkStruct,
} from "../../kernel/workqueue.ts";
import { oops_count } from "../../kernel/panic.ts";
import { boot_test_machine } from "../helpers/boot.ts";

describe("workqueues", () => {
  it("a work item queued twice before it runs runs once", async () => {
    const tm = boot_test_machine();
    let runs = 0;
    const work = new WorkStruct(() => {
      runs++;
    });
    expect(schedule_work(work)).toBe(true);
    expect(schedule_work(work)).toBe(false);
    await tm.run_for(1e6);
    expect(runs).toBe(1);
    // Once it has started, it may be queued again.
    expect(schedule_work(work)).toBe(true);
    await tm.run_for(1e6);
    expect(runs).toBe(2);
  });

  it("runs items in queue order in a kworker thread visible in ps, where they may sleep", async () => {
    const tm = boot_test_machine();
    const wq = alloc_workqueue("e1000_reset", 0, 1)!;
    const log: string[] = [];
    const slow = new WorkStruct(async () => {
      log.push("slow start");
      await msleep(20);
      log.push("slow end");
    });
    const fast = new WorkStruct(() => {
      log.push("fast");
    });
    queue_work(wq, slow);
    queue_work(wq, fast);
    expect(task_list().some((t) => t.comm === "kworker/0:1-e1000_reset")).toBe(true);
    await tm.run_for(100e6);
    expect(log).toEqual(["slow start", "slow end", "fast"]);
    expect(wq.executed).toBe(2);
  });

  it("delayed work runs after its delay and cancel stops it", async () => {
    const tm = boot_test_machine();
    let ran_at = -1;
    const dw = new DelayedWork(() => {
      ran_at = jiffies();
    });
    const wq = alloc_workqueue("test")!;
    expect(queue_delayed_work(wq, dw, 50)).toBe(true);
    expect(queue_delayed_work(wq, dw, 10)).toBe(false); // already pending
    await tm.run_for(100e6);
    expect(ran_at).toBe(50);

    ran_at = -1;
    queue_delayed_work(wq, dw, 30);
    await tm.run_for(10e6);
    expect(cancel_delayed_work(dw)).toBe(true);
    expect(cancel_delayed_work(dw)).toBe(false);
    await tm.run_for(100e6);
    expect(ran_at).toBe(-1);
  });

  it("mod_delayed_work moves the deadline of a pending item", async () => {
    const tm = boot_test_machine();
    const wq = alloc_workqueue("test")!;
    let ran_at = -1;
    const dw = new DelayedWork(() => {
      ran_at = jiffies();
    });
    queue_delayed_work(wq, dw, 100);
    expect(mod_delayed_work(wq, dw, 5)).toBe(true);
    await tm.run_for(200e6);
    expect(ran_at).toBe(5);
  });

  it("cancel_work_sync waits for a running item to finish", async () => {
    const tm = boot_test_machine();
    const wq = alloc_workqueue("test")!;
    let finished = false;
    const work = new WorkStruct(async () => {
      await msleep(40);
      finished = true;
    });
    queue_work(wq, work);
    const seen = await tm.in_task(async () => {
      await msleep(10); // the item is now running and asleep
      await cancel_work_sync(work);
      return finished;
    });
    expect(seen).toBe(true);
  });

  it("cancel_delayed_work_sync on a pending item stops it before it runs", async () => {
    const tm = boot_test_machine();
    const wq = alloc_workqueue("test")!;
    let runs = 0;
    const dw = new DelayedWork(() => {
      runs++;
    });
    queue_delayed_work(wq, dw, 10);
    expect(await tm.in_task(() => cancel_delayed_work_sync(dw))).toBe(true);
    await tm.run_for(50e6);
    expect(runs).toBe(0);
  });

  it("flush_work and flush_workqueue wait for what was queued before them", async () => {
    const tm = boot_test_machine();
    const wq = alloc_workqueue("test")!;
    const done: number[] = [];
    const items = [1, 2, 3].map((i) => new WorkStruct(async () => {
      await msleep(10);
      done.push(i);
    }));
    for (const w of items) queue_work(wq, w);
    const after_flush_work = await tm.in_task(async () => {
      await flush_work(items[1]!);
      return [...done];
    });
    expect(after_flush_work).toEqual([1, 2]);
    for (const w of items) queue_work(wq, w);
    const after_flush_wq = await tm.in_task(async () => {
      await flush_workqueue(wq);
      return [...done];
    });
    expect(after_flush_wq).toEqual([1, 2, 3, 1, 2, 3]);
  });

  it("a work function that throws is an oops; the worker carries on", async () => {
    const tm = boot_test_machine();
    let after = false;
    schedule_work(new WorkStruct(function broken_reset() {
      throw new Error("boom");
    }));
    schedule_work(new WorkStruct(() => {
      after = true;
    }));
    await tm.run_for(1e6);
    expect(after).toBe(true);
    expect(oops_count()).toBe(1);
    expect(tm.dmesg()).toMatch(/workqueue events: exception in work function broken_reset/);
  });

  it("destroy_workqueue drains it and its worker leaves ps", async () => {
    const tm = boot_test_machine();
    const wq = alloc_workqueue("doomed")!;
    let ran = false;
    queue_work(wq, new WorkStruct(async () => {
      await msleep(5);
      ran = true;
    }));
    await tm.in_task(() => destroy_workqueue(wq));
    expect(ran).toBe(true);
    expect(task_list().some((t) => t.comm.endsWith("-doomed"))).toBe(false);
    expect(queue_work(wq, new WorkStruct())).toBe(false);
  });
});
