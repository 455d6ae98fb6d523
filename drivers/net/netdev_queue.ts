/**
 * The transmit queue's state (net/core/dev.c, include/linux/netdevice.h): a driver stops its queue
 * when the ring is full and wakes it when the ring drains. Senders that can sleep wait on
 * `dev.tx_wait` (netdev_transmit); senders that cannot (TCP in softirq context) leave a TxWaiter
 * and are called back from NET_TX_SOFTIRQ (net_tx_action), where Linux would dequeue its qdisc.
 */
import { IFF_UP, type NetDevice, type TxWaiter } from "../../include/net/netdevice.ts";
import { DEFINE_PER_KERNEL } from "../../kernel/kernel.ts";
import { wake_up_all, type WaitQueueHead } from "../../kernel/sched/wait.ts";
import { NET_TX_SOFTIRQ, raise_softirq } from "../../kernel/softirq.ts";

/** Devices with blocked senders to call from NET_TX_SOFTIRQ (softnet_data.output_queue). */
const tx_sched = DEFINE_PER_KERNEL((): NetDevice[] => []);
/** TxWaiters queued on any device: while 0, senders need not look up their device's queue. */
const tx_waiting = DEFINE_PER_KERNEL(() => ({ n: 0 }));

/** netif_stop_queue(): the driver's ring is full; senders wait. Any context. */
export function netif_stop_queue(dev: NetDevice): void {
  if (!dev.tx_stopped) dev.tx_busy++;
  dev.tx_stopped = true;
}

export function netif_start_queue(dev: NetDevice): void {
  dev.tx_stopped = false;
  if (dev.tx_blocked.length > 0) __netif_schedule(dev);
}

/** netif_wake_queue(): room again; wake blocked senders. Any context. */
export function netif_wake_queue(dev: NetDevice): void {
  if (!dev.tx_stopped) return;
  dev.tx_stopped = false;
  if (dev.tx_wait !== null) wake_up_all(dev.tx_wait as WaitQueueHead);
  if (dev.tx_blocked.length > 0) __netif_schedule(dev);
}

/**
 * netif_tx_wait(): `w`'s sender found `dev`'s queue stopped (dev_queue_xmit said -EAGAIN) and
 * cannot sleep: run `w.fn` from NET_TX_SOFTIRQ when the queue wakes — at once (next softirq) if it
 * is already running again. Any context.
 */
export function netif_tx_wait(dev: NetDevice, w: TxWaiter): void {
  if (w.queued) return;
  w.queued = true;
  dev.tx_blocked.push(w);
  tx_waiting.get().n++;
  if (!dev.tx_stopped) __netif_schedule(dev);
}

/** Are senders waiting on any device's queue? A cheap test before netif_tx_must_wait. Any context. */
export function netif_tx_any_waiting(): boolean {
  return tx_waiting.get().n > 0;
}

/**
 * netif_tx_must_wait(): the queue is stopped, or senders are waiting their turn on `dev` and this
 * is not their turn (a qdisc would put a new segment behind theirs). A sender that cannot sleep
 * should netif_tx_wait() instead of sending. Any context.
 */
export function netif_tx_must_wait(dev: NetDevice): boolean {
  return dev.tx_stopped || (dev.tx_blocked.length > 0 && !dev.tx_serving);
}

/** __netif_schedule(): put `dev` on the NET_TX_SOFTIRQ list. Any context. */
export function __netif_schedule(dev: NetDevice): void {
  if (dev.tx_scheduled) return;
  dev.tx_scheduled = true;
  tx_sched.get().push(dev);
  raise_softirq(NET_TX_SOFTIRQ);
}

/**
 * net_tx_action(): NET_TX_SOFTIRQ. Each scheduled device whose queue runs gets its blocked senders
 * called, oldest first; one that blocks again queues itself anew (behind the others) and a device
 * stopped again mid-way keeps the rest for its next wake. Softirq context.
 */
export function net_tx_action(): void {
  const sched = tx_sched.get();
  const n_dev = sched.length;
  for (let d = 0; d < n_dev; d++) {
    const dev = sched[d]!;
    dev.tx_scheduled = false;
    const ws = dev.tx_blocked;
    const n = ws.length;
    let i = 0;
    dev.tx_serving = true;
    // A queue that runs, or a device that is down or gone (the sender's next try fails at once).
    while (i < n && (!dev.tx_stopped || (dev.flags & IFF_UP) === 0 || !dev.present || !dev.registered)) {
      const w = ws[i++]!;
      w.queued = false;
      w.fn();
    }
    dev.tx_serving = false;
    ws.copyWithin(0, i);
    ws.length -= i;
    tx_waiting.get().n -= i;
  }
  sched.copyWithin(0, n_dev);
  sched.length -= n_dev;
}

export function netif_queue_stopped(dev: NetDevice): boolean {
  return dev.tx_stopped;
}

