import { MinHeap, type HeapNode } from "../../lib/min_heap.ts";
import { ClockEvent, type VirtualClock } from "../clock.ts";

/**
 * A lossy wire for the in-process hub, after Linux's netem qdisc (sch_netem.c): every frame that
 * enters the hub may be lost, duplicated, delayed (with jitter) or reordered, with rates drawn from
 * a seeded generator, so a run replays exactly. Held frames wait on the machine's virtual clock
 * (a ClockEvent), never on Node's timers.
 *
 * Decisions are made once per frame entering the hub, in this order:
 *   loss      the frame reaches no port (counted in `lost`);
 *   duplicate a second copy follows (counted in `duplicated`); each copy draws its own delay;
 *   delay     delay ± jitter (uniform, clamped at 0); copies with a delay wait in time order, so
 *             jitter reorders frames, as netem's tfifo does;
 *   reorder   the copy is held back until the next frame entering the hub has been scheduled and
 *             then goes out right after it — a neighbour swap — or, if nothing follows within
 *             REORDER_HOLD_NS past its own due time, on its own. (netem instead sends a reordered
 *             packet *immediately*, ahead of delayed ones, which does nothing without a delay;
 *             the swap reorders at any delay.)
 *   limit     at most `limit` copies are held; one more is dropped (counted in `overlimit`), as
 *             netem's `limit` (default 1000).
 * A copy with no delay and nothing held ahead of it is delivered synchronously, without a copy of
 * its bytes.
 *
 * Accounting (the hub's invariant, checked by tests): frames entering the hub (Hub.forwarded) +
 * duplicated === lost + overlimit + sent + held + discarded, where `sent` counts copies handed to
 * the hub's ports (which account for them per port) and `discarded` counts copies still held when
 * the hub was stopped (stop()). `held` is shown with the counters, so frames in flight are seen.
 */
export interface HubNetemConfig {
  /** Probability (0..1) that a frame is lost. */
  loss: number;
  /** Base delay, ns. */
  delay_ns: number;
  /** Uniform jitter around the delay, ns (the delay is clamped at 0). */
  jitter_ns: number;
  /** Probability (0..1) that a frame is duplicated. */
  dup: number;
  /** Probability (0..1) that a frame swaps places with the next one. */
  reorder: number;
  /** Seed of the generator (same seed, same decisions). */
  seed: number;
  /** Most copies held at once. */
  limit: number;
}

export const HUB_NETEM_DEFAULTS: HubNetemConfig = { loss: 0, delay_ns: 0, jitter_ns: 0, dup: 0, reorder: 0, seed: 1, limit: 1000 };

/** A reordered frame with no follower goes out this long after its own due time. */
export const REORDER_HOLD_NS = 1_000_000;

/** The -netdev hubport keys that configure the lossy wire (boot/netdevs.ts). */
export const HUB_NETEM_KEYS = ["loss", "delay", "jitter", "dup", "reorder", "seed", "limit"] as const;

/** A percentage as tc spells it: "1%", "0.1%" or a bare "1" (also percent) → 0..1, or null. */
export function parse_percent(s: string): number | null {
  const m = /^(\d+(?:\.\d+)?|\.\d+)%?$/.exec(s);
  if (m === null) return null;
  const v = Number(m[1]) / 100;
  return v >= 0 && v <= 1 ? v : null;
}

/** "2ms", "500us", "100ns", "1s", or a bare number of milliseconds → ns (0 allowed), or null. */
export function parse_time_ns(s: string): number | null {
  const m = /^(\d+(?:\.\d+)?)(ns|us|ms|s)?$/.exec(s);
  if (m === null) return null;
  const v = Math.round(Number(m[1]) * { ns: 1, us: 1e3, ms: 1e6, s: 1e9 }[(m[2] ?? "ms") as "ns" | "us" | "ms" | "s"]);
  return v >= 0 && v <= 60e9 ? v : null;
}

/**
 * The lossy-wire keys of a `-netdev hubport` spec → a partial config, or a one-line error.
 * Keys that are not lossy-wire keys are ignored here (the caller checks them).
 */
export function parse_hub_netem(props: ReadonlyMap<string, string>): Partial<HubNetemConfig> | string {
  const cfg: Partial<HubNetemConfig> = {};
  for (const [k, v] of props) {
    switch (k) {
      case "loss":
      case "dup":
      case "reorder": {
        const p = parse_percent(v);
        if (p === null) return `hubport: bad ${k} '${v}' (a percentage such as 1% or 0.1%)`;
        cfg[k] = p;
        break;
      }
      case "delay":
      case "jitter": {
        const t = parse_time_ns(v);
        if (t === null) return `hubport: bad ${k} '${v}' (a time such as 2ms, 500us or 100ns, at most 60s)`;
        cfg[k === "delay" ? "delay_ns" : "jitter_ns"] = t;
        break;
      }
      case "seed":
      case "limit": {
        const n = /^\d+$/.test(v) ? Number(v) : NaN;
        if (!(n <= 0xffffffff) || (k === "limit" && (n < 1 || n > 1_000_000))) return `hubport: bad ${k} '${v}' (${k === "seed" ? "an integer 0..4294967295" : "an integer 1..1000000"})`;
        cfg[k] = n;
        break;
      }
    }
  }
  return cfg;
}

function pct(p: number): string {
  return `${Number((p * 100).toPrecision(6))}%`;
}

function time_text(ns: number): string {
  if (ns % 1e6 === 0) return `${ns / 1e6}ms`;
  if (ns % 1e3 === 0) return `${ns / 1e3}us`;
  return `${ns}ns`;
}

/** The configuration in the command line's spelling: "loss=1% delay=2ms …" (only what is set). */
export function describe_netem(c: HubNetemConfig): string {
  const parts: string[] = [];
  if (c.loss) parts.push(`loss=${pct(c.loss)}`);
  if (c.delay_ns) parts.push(`delay=${time_text(c.delay_ns)}`);
  if (c.jitter_ns) parts.push(`jitter=${time_text(c.jitter_ns)}`);
  if (c.dup) parts.push(`dup=${pct(c.dup)}`);
  if (c.reorder) parts.push(`reorder=${pct(c.reorder)}`);
  parts.push(`seed=${c.seed}`, `limit=${c.limit}`);
  return parts.join(" ");
}

/**
 * The generator: a Weyl sequence through a 32-bit avalanche mix (the murmur3 finalizer). Good
 * enough for rates, cheap, and the same numbers on every host.
 */
export class NetemRandom {
  private s: number;

  constructor(seed: number) {
    this.s = seed | 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.s = (this.s + 0x9e3779b9) | 0;
    let z = this.s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return ((z ^ (z >>> 16)) >>> 0) / 4294967296;
  }
}

/** One held copy: its bytes (a reusable buffer), where it came from, and when it is due. */
class HeldFrame<P> implements HeapNode {
  key = 0;
  seq = 0;
  index = -1;
  buf: Uint8Array;
  len = 0;
  from: P | null = null;
  /** Its own due time (before a reorder swap moved it). */
  due = 0;

  constructor(size: number) {
    this.buf = new Uint8Array(size);
  }
}

/**
 * The impairment stage in front of a hub's ports. `release(from, frame, len)` hands a copy to the
 * ports; the frame is valid only during that call (net_endpoint.ts's ownership rule).
 */
export class HubNetem<P> {
  readonly cfg: HubNetemConfig;
  private readonly clock: VirtualClock;
  private readonly release: (from: P, frame: Uint8Array, len: number) => void;
  private readonly rng: NetemRandom;
  private readonly queue = new MinHeap<HeldFrame<P>>();
  private readonly free: HeldFrame<P>[] = [];
  private readonly event: ClockEvent;
  /** A reordered copy waiting for the next frame to pass it (it is also in `queue`, keyed by its timeout). */
  private waiting: HeldFrame<P> | null = null;
  lost = 0;
  duplicated = 0;
  /** Copies held because their delay was above zero. */
  delayed = 0;
  reordered = 0;
  overlimit = 0;
  /** Copies handed to the ports. */
  sent = 0;
  /** Copies still held when stop() was called. */
  discarded = 0;

  constructor(clock: VirtualClock, cfg: Partial<HubNetemConfig>, release: (from: P, frame: Uint8Array, len: number) => void, name = "hub") {
    this.cfg = { ...HUB_NETEM_DEFAULTS, ...cfg };
    this.clock = clock;
    this.release = release;
    this.rng = new NetemRandom(this.cfg.seed);
    this.event = new ClockEvent(`${name}-netem`, () => this.flush());
  }

  /** Copies held now (delayed or waiting to be reordered). */
  get held(): number {
    return this.queue.size;
  }

  describe(): string {
    return `netem ${describe_netem(this.cfg)}: lost=${this.lost} duplicated=${this.duplicated} delayed=${this.delayed} reordered=${this.reordered} overlimit=${this.overlimit} sent=${this.sent} held=${this.held} discarded=${this.discarded}`;
  }

  /** A frame entered the hub through `from`. */
  enqueue(from: P, frame: Uint8Array, len: number): void {
    const c = this.cfg;
    const rng = this.rng;
    if (c.loss > 0 && rng.next() < c.loss) {
      this.lost++;
      return;
    }
    let copies = 1;
    if (c.dup > 0 && rng.next() < c.dup) {
      this.duplicated++;
      copies = 2;
    }
    for (let n = 0; n < copies; n++) this.one_copy(from, frame, len);
  }

  private one_copy(from: P, frame: Uint8Array, len: number): void {
    const c = this.cfg;
    const now = this.clock.now_ns();
    let delay = c.delay_ns;
    if (c.jitter_ns > 0) {
      delay += Math.round((this.rng.next() * 2 - 1) * c.jitter_ns);
      if (delay < 0) delay = 0;
    }
    const reorder = c.reorder > 0 && this.rng.next() < c.reorder;
    const due = now + delay;
    const w = this.waiting;
    // Nothing held is due before this copy: it can go now, without being copied.
    if (delay === 0 && !reorder && this.next_key() > now) {
      this.sent++;
      this.release(from, frame, len);
      if (w !== null) this.pass_waiting(now);
      return;
    }
    if (this.queue.size >= c.limit) {
      this.overlimit++;
      return;
    }
    const h = this.take(len);
    h.buf.set(frame.subarray(0, len));
    h.len = len;
    h.from = from;
    h.due = due;
    if (delay > 0) this.delayed++;
    // The copy waiting to be reordered goes right after this one.
    if (w !== null) {
      this.queue.push(h, due);
      this.pass_waiting(due);
    }
    if (reorder) {
      this.reordered++;
      this.waiting = h;
      this.queue.push(h, due + REORDER_HOLD_NS);
    } else if (w === null) this.queue.push(h, due);
    this.arm();
  }

  /** The waiting reordered copy has been passed by a copy due at `after`: it follows it. */
  private pass_waiting(after: number): void {
    const w = this.waiting!;
    this.waiting = null;
    this.queue.push(w, after > w.due ? after : w.due);
    this.arm();
  }

  private next_key(): number {
    return this.queue.peek()?.key ?? Infinity;
  }

  private take(len: number): HeldFrame<P> {
    const h = this.free.pop();
    if (h === undefined) return new HeldFrame<P>(Math.max(len, 1536));
    if (h.buf.length < len) h.buf = new Uint8Array(len);
    return h;
  }

  private arm(): void {
    const t = this.next_key();
    if (t === Infinity) this.clock.disarm(this.event);
    else if (!this.event.armed || this.event.when !== t) this.clock.arm(this.event, t);
  }

  private flush(): void {
    const now = this.clock.now_ns();
    for (;;) {
      const h = this.queue.peek();
      if (h === undefined || h.key > now) break;
      this.queue.remove(h);
      if (h === this.waiting) this.waiting = null;
      this.sent++;
      const from = h.from!;
      h.from = null;
      this.release(from, h.buf, h.len);
      this.free.push(h);
    }
    this.arm();
  }

  /**
   * The wire is taken down (the machine stops): every held copy is discarded and counted in
   * `discarded`, so none vanishes uncounted.
   */
  stop(): void {
    for (let h = this.queue.pop(); h !== undefined; h = this.queue.pop()) {
      this.discarded++;
      h.from = null;
      this.free.push(h);
    }
    this.waiting = null;
    this.clock.disarm(this.event);
  }
}
