import { PF_WQ_WORKER } from "../include/linux/sched.ts";
import { WQ_MAX_ACTIVE } from "../include/linux/workqueue.ts";
import { DEFINE_PER_KERNEL } from "./kernel.ts";
import { kthread_run, kthread_should_stop, kthread_stop } from "./kthread.ts";
import { oops } from "./panic.ts";
import type { Task } from "./sched/task.ts";
import { wait_event, wait_event_interruptible, wake_up, wake_up_all, WaitQueueHead } from "./sched/wait.ts";
import { jiffies } from "./time/timekeeping.ts";
import { del_timer, mod_timer, TimerList } from "./time/timer.ts";

/**
 * Work queues (kernel/workqueue.c): deferred work that runs in process context, so it may sleep,
 * wait for hardware and take as long as it needs. Each workqueue here has one worker kthread
 * (`kworker/0:N-name` in ps), so items on one queue run one at a time in the order queued —
 * Linux's alloc_ordered_workqueue() behaviour; max_active is accepted and recorded.
 */

export type WorkFunc = (work: WorkStruct) => Promise<void> | void;

/** struct work_struct. Owned by its user; queued by reference, never copied. */
export class WorkStruct {
  func: WorkFunc;
  /** Queued (or, for delayed work, its timer armed) and not yet started. */
  pending = false;
  /** The queue it was last queued on. */
  wq: Workqueue | null = null;
  /** Queue generation when it was queued (flush_workqueue waits for generations up to its mark). */
  gen = 0;

  constructor(func: WorkFunc = () => {}) {
    this.func = func;
  }
}

/** struct delayed_work: a work item plus the timer that queues it. */
export class DelayedWork extends WorkStruct {
  readonly timer: TimerList;

  constructor(func: WorkFunc = () => {}) {
    super(func);
    this.timer = new TimerList(() => {
      const wq = this.wq;
      if (wq !== null) insert_work(wq, this);
    });
  }
}

export class Workqueue {
  readonly name: string;
  readonly flags: number;
  readonly max_active: number;
  readonly worklist: WorkStruct[] = [];
  /** The worker sleeps here until there is work. */
  readonly more_work = new WaitQueueHead("more_work");
  /** Flushers and cancellers sleep here until an item finishes. */
  readonly done = new WaitQueueHead("work_done");
  worker: Task | null = null;
  current_work: WorkStruct | null = null;
  current_gen = 0;
  gen = 0;
  /** Items run so far. */
  executed = 0;
  dying = false;

  constructor(name: string, flags: number, max_active: number) {
    this.name = name;
    this.flags = flags;
    this.max_active = max_active;
  }
}

class WorkqueueState {
  readonly queues: Workqueue[] = [];
  next_worker_id = 0;
  system_wq: Workqueue | null = null;
}
const wq_state = DEFINE_PER_KERNEL(() => new WorkqueueState());

export function INIT_WORK(work: WorkStruct, func: WorkFunc): void {
  work.func = func;
  work.pending = false;
}

export function INIT_DELAYED_WORK(dwork: DelayedWork, func: WorkFunc): void {
  INIT_WORK(dwork, func);
}

async function worker_thread(wq: Workqueue): Promise<number> {
  for (;;) {
    await wait_event_interruptible(wq.more_work, () => wq.worklist.length > 0 || kthread_should_stop());
    const work = wq.worklist.shift();
    if (work === undefined) {
      if (kthread_should_stop()) return 0;
      continue;
    }
    // Clear PENDING before calling the function, so the item may queue itself again.
    work.pending = false;
    wq.current_work = work;
    wq.current_gen = work.gen;
    try {
      await work.func(work);
    } catch (e) {
      oops(`BUG: workqueue ${wq.name}: exception in work function ${work.func.name || "(anonymous)"}`, e);
    }
    wq.current_work = null;
    wq.executed++;
    wake_up_all(wq.done);
  }
}

/**
 * alloc_workqueue(): a new queue with its own worker thread. `max_active` must be 1…512.
 * Returns null on bad arguments. Process or boot context.
 */
export function alloc_workqueue(name: string, flags = 0, max_active = 1): Workqueue | null {
  if (name.length === 0 || max_active < 0 || max_active > WQ_MAX_ACTIVE) return null;
  const st = wq_state.get();
  const wq = new Workqueue(name, flags, max_active === 0 ? 1 : max_active);
  const worker = kthread_run(worker_thread, wq, `kworker/0:${st.next_worker_id++}-${name}`);
  worker.flags |= PF_WQ_WORKER;
  wq.worker = worker;
  st.queues.push(wq);
  return wq;
}

export const alloc_ordered_workqueue = (name: string, flags = 0): Workqueue | null => alloc_workqueue(name, flags, 1);

/** The system workqueue ("events"), created at boot. */
export function system_wq(): Workqueue {
  const st = wq_state.get();
  if (st.system_wq === null) {
    const wq = alloc_workqueue("events", 0, 1);
    if (wq === null) throw new Error("cannot create the system workqueue");
    st.system_wq = wq;
  }
  return st.system_wq;
}

function insert_work(wq: Workqueue, work: WorkStruct): void {
  work.wq = wq;
  work.gen = ++wq.gen;
  wq.worklist.push(work);
  wake_up(wq.more_work);
}

/**
 * queue_work(): queue `work` on `wq`. Returns false (and does nothing) if it is already pending:
 * a work item queued twice before it runs runs once. Any context.
 */
export function queue_work(wq: Workqueue, work: WorkStruct): boolean {
  if (work.pending || wq.dying) return false;
  work.pending = true;
  insert_work(wq, work);
  return true;
}

/** queue_delayed_work(): queue after `delay` jiffies. False if already pending. Any context. */
export function queue_delayed_work(wq: Workqueue, dwork: DelayedWork, delay: number): boolean {
  if (dwork.pending || wq.dying) return false;
  dwork.pending = true;
  if (delay <= 0) {
    insert_work(wq, dwork);
  } else {
    dwork.wq = wq;
    mod_timer(dwork.timer, jiffies() + delay);
  }
  return true;
}

/** Take a pending item back (off its timer or the worklist). Returns whether it was pending. */
function grab_pending(work: WorkStruct): boolean {
  if (!work.pending) return false;
  if (work instanceof DelayedWork) del_timer(work.timer);
  const wq = work.wq;
  if (wq !== null) {
    const i = wq.worklist.indexOf(work);
    if (i >= 0) wq.worklist.splice(i, 1);
    wake_up_all(wq.done);
  }
  work.pending = false;
  return true;
}

/** mod_delayed_work(): (re)queue with a new delay whether or not it was pending. Returns whether it was. */
export function mod_delayed_work(wq: Workqueue, dwork: DelayedWork, delay: number): boolean {
  const was = grab_pending(dwork);
  queue_delayed_work(wq, dwork, delay);
  return was;
}

export function schedule_work(work: WorkStruct): boolean {
  return queue_work(system_wq(), work);
}

export function schedule_delayed_work(dwork: DelayedWork, delay: number): boolean {
  return queue_delayed_work(system_wq(), dwork, delay);
}

export function work_pending(work: WorkStruct): boolean {
  return work.pending;
}

function work_running(work: WorkStruct): boolean {
  return work.wq !== null && work.wq.current_work === work;
}

/** cancel_work(): take it off the queue if pending; does not wait. Returns whether it was pending. */
export function cancel_work(work: WorkStruct): boolean {
  return grab_pending(work);
}

/** cancel_delayed_work(): disarm the timer or dequeue. Returns whether it was pending. Any context. */
export function cancel_delayed_work(dwork: DelayedWork): boolean {
  return grab_pending(dwork);
}

/**
 * cancel_work_sync(): cancel, then wait until the function is not running. On return the item is
 * neither pending nor running (unless someone queues it again). Process context.
 */
export async function cancel_work_sync(work: WorkStruct): Promise<boolean> {
  const was = grab_pending(work);
  const wq = work.wq;
  if (wq !== null && work_running(work)) await wait_event(wq.done, () => !work_running(work));
  // The function may have re-queued itself while we waited.
  return grab_pending(work) || was;
}

export const cancel_delayed_work_sync = cancel_work_sync;

/**
 * flush_work(): wait until `work`, if pending or running, has finished executing. Returns true
 * if it had to wait. Process context.
 */
export async function flush_work(work: WorkStruct): Promise<boolean> {
  const wq = work.wq;
  if (wq === null || (!work.pending && !work_running(work))) return false;
  const gen = work.pending ? work.gen : wq.current_gen;
  await wait_event(wq.done, () => !(work.pending && work.gen <= gen) && !(work_running(work) && wq.current_gen <= gen));
  return true;
}

/** flush_delayed_work(): queue it now if its timer is armed, then flush_work. */
export async function flush_delayed_work(dwork: DelayedWork): Promise<boolean> {
  if (dwork.pending && dwork.wq !== null && del_timer(dwork.timer) === 1) insert_work(dwork.wq, dwork);
  return flush_work(dwork);
}

/** flush_workqueue(): wait for every item queued before the call to finish. Process context. */
export async function flush_workqueue(wq: Workqueue): Promise<void> {
  const mark = wq.gen;
  await wait_event(
    wq.done,
    () => !wq.worklist.some((w) => w.gen <= mark) && !(wq.current_work !== null && wq.current_gen <= mark),
  );
}

/** destroy_workqueue(): drain it, stop its worker and forget it. Process context. */
export async function destroy_workqueue(wq: Workqueue): Promise<void> {
  await flush_workqueue(wq);
  wq.dying = true;
  if (wq.worker !== null) await kthread_stop(wq.worker);
  const st = wq_state.get();
  const i = st.queues.indexOf(wq);
  if (i >= 0) st.queues.splice(i, 1);
}

export function workqueues(): readonly Workqueue[] {
  return wq_state.get().queues;
}
