import { EINTR } from "../include/linux/errno.ts";
import { PF_KTHREAD, TASK_NEW } from "../include/linux/sched.ts";
import { abort_new_task, create_task, get_current, wake_up_process } from "./sched/core.ts";
import type { Task } from "./sched/task.ts";
import { wait_event } from "./sched/wait.ts";

/**
 * Kernel threads (kernel/kthread.c). A kthread is a task that runs kernel code only; it shows up in
 * ps as [name]. It should check kthread_should_stop() whenever it wakes.
 */

/** kthread_create(): make the thread; it does not run until wake_up_process(). */
export function kthread_create<D>(threadfn: (data: D) => Promise<number | void> | number | void, data: D, name: string): Task {
  return create_task(() => threadfn(data), name, PF_KTHREAD);
}

/** kthread_run(): create and start. */
export function kthread_run<D>(threadfn: (data: D) => Promise<number | void> | number | void, data: D, name: string): Task {
  const t = kthread_create(threadfn, data, name);
  wake_up_process(t);
  return t;
}

/** kthread_should_stop(): kthread_stop() has been called on the current thread. */
export function kthread_should_stop(): boolean {
  return get_current()?.should_stop ?? false;
}

/**
 * kthread_stop(): ask `t` to stop, wake it, and wait for it to exit. Returns its exit code, or
 * -EINTR if it never started. Process context.
 */
export async function kthread_stop(t: Task): Promise<number> {
  t.should_stop = true;
  if (t.state === TASK_NEW) {
    // Never woken: Linux returns -EINTR without running threadfn.
    abort_new_task(t, -EINTR);
  } else {
    wake_up_process(t);
  }
  await wait_event(t.exit_wq, () => t.exited);
  return t.exit_code;
}
