import { MinHeap, type HeapNode } from "../lib/min_heap.ts";

/**
 * The machine's clock: virtual nanoseconds and an event queue.
 *
 * Device timers (interrupt throttling, autonegotiation, the local timer) are ClockEvents owned by
 * their device and re-armed in place, so arming a timer allocates nothing. Time only moves when
 * the run loop advances it: to the next event when every CPU is idle (`virtual` mode), or to the
 * wall clock (`realtime` mode). Nothing here uses setTimeout.
 */
export class ClockEvent implements HeapNode {
  readonly name: string;
  readonly fn: (now_ns: number) => void;
  /** Absolute expiry time, valid while armed. */
  key = 0;
  seq = 0;
  index = -1;

  constructor(name: string, fn: (now_ns: number) => void) {
    this.name = name;
    this.fn = fn;
  }

  get armed(): boolean {
    return this.index >= 0;
  }

  get when(): number {
    return this.key;
  }
}

export class VirtualClock {
  private now = 0;
  private readonly heap = new MinHeap<ClockEvent>();
  /** Events fired so far. */
  fired = 0;

  now_ns(): number {
    return this.now;
  }

  /** Arm (or re-arm) `ev` to fire at absolute time `when_ns` (clamped to now). */
  arm(ev: ClockEvent, when_ns: number): void {
    this.heap.push(ev, when_ns < this.now ? this.now : when_ns);
  }

  /** Arm `ev` to fire `delay_ns` from now. */
  arm_in(ev: ClockEvent, delay_ns: number): void {
    this.arm(ev, this.now + delay_ns);
  }

  disarm(ev: ClockEvent): void {
    this.heap.remove(ev);
  }

  /** The earliest armed event's time, or Infinity. */
  next_deadline(): number {
    const top = this.heap.peek();
    return top === undefined ? Infinity : top.key;
  }

  pending_events(): number {
    return this.heap.size;
  }

  /**
   * Move time forward to `t_ns`, firing every event due on the way in time order; the clock reads
   * each event's own time while it runs. Returns the number of events fired.
   */
  advance_to(t_ns: number): number {
    let n = 0;
    for (;;) {
      const top = this.heap.peek();
      if (top === undefined || top.key > t_ns) break;
      this.heap.remove(top);
      if (top.key > this.now) this.now = top.key;
      n++;
      this.fired++;
      top.fn(this.now);
    }
    if (t_ns > this.now) this.now = t_ns;
    return n;
  }

  /** Fire the earliest event (and any others due at the same instant). False when nothing is armed. */
  advance_to_next(): boolean {
    const t = this.next_deadline();
    if (t === Infinity) return false;
    this.advance_to(t);
    return true;
  }
}
