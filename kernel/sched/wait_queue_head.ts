import type { Task } from "./task.ts";

/** One sleeper on a wait queue (struct wait_queue_entry). */
export class WaitQueueEntry {
  readonly task: Task;
  exclusive: boolean;
  queued = false;
  constructor(task: Task, exclusive: boolean) {
    this.task = task;
    this.exclusive = exclusive;
  }
}

/**
 * A wait queue (struct wait_queue_head). As in Linux, non-exclusive waiters are added at the head
 * and exclusive waiters at the tail; wake_up() walks from the head, waking every non-exclusive
 * waiter and the first `nr` exclusive ones.
 */
export class WaitQueueHead {
  readonly entries: WaitQueueEntry[] = [];
  readonly name: string;
  constructor(name = "") {
    this.name = name;
  }
}
