/**
 * A test-only lossy wire between two NICs: frames from side A reach side B's NIC and back, each
 * one possibly dropped, duplicated, delayed or swapped with the next, decided by a seeded
 * generator, and delayed copies wait on the virtual clock (a ClockEvent), never on Node's timers.
 * A `filter` can also decide per frame, for tests that must drop one exact segment.
 *
 * Accounting: frames_in + duplicated === dropped + delivered + held.
 */
import { ClockEvent, type VirtualClock } from "../../hw/clock.ts";
import type { NetEndpoint } from "../../hw/net/net_endpoint.ts";

export type WireDir = "ab" | "ba";

/** Per-frame verdict of a filter: pass, drop, or a delay in ns. */
export type WireVerdict = "pass" | "drop" | number;

export interface LossyWireOptions {
  seed?: number;
  /** Probabilities 0..1, per frame and per direction. */
  loss?: number;
  dup?: number;
  reorder?: number;
  delay_ns?: number;
  jitter_ns?: number;
}

/** mulberry32: small, fast, the same numbers on every host. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Held {
  due: number;
  dir: WireDir;
  bytes: Uint8Array;
}

class WireEnd implements NetEndpoint {
  peer: NetEndpoint | null = null;
  private readonly wire: LossyWire;
  private readonly dir: WireDir;
  constructor(wire: LossyWire, dir: WireDir) {
    this.wire = wire;
    this.dir = dir;
  }
  receive_frame(frame: Uint8Array, len: number): boolean {
    this.wire.forward(this.dir, frame, len);
    return true;
  }
}

/** How long a frame picked for reordering waits for a follower before it goes alone. */
const REORDER_HOLD_NS = 1_000_000;

export class LossyWire {
  /** Plug machine A's NIC into `a` and machine B's into `b` (boot_host's `wires`). */
  readonly a: NetEndpoint;
  readonly b: NetEndpoint;
  opts: Required<LossyWireOptions>;
  filter: ((frame: Uint8Array, len: number, dir: WireDir) => WireVerdict) | null = null;
  /** Sees every frame entering the wire, before the filter and the impairments (a capture point). */
  tap: ((frame: Uint8Array, len: number, dir: WireDir) => void) | null = null;
  frames_in = 0;
  dropped = 0;
  duplicated = 0;
  reordered = 0;
  delivered = 0;
  private readonly rng: () => number;
  private readonly held: Held[] = [];
  private readonly waiting: { ab: Held | null; ba: Held | null } = { ab: null, ba: null };
  private readonly event: ClockEvent;
  private readonly clock: VirtualClock;

  constructor(clock: VirtualClock, opts: LossyWireOptions = {}) {
    this.clock = clock;
    this.opts = { seed: 1, loss: 0, dup: 0, reorder: 0, delay_ns: 0, jitter_ns: 0, ...opts };
    this.rng = mulberry32(this.opts.seed);
    this.a = new WireEnd(this, "ab");
    this.b = new WireEnd(this, "ba");
    this.event = new ClockEvent("lossy-wire", () => this.flush());
  }

  get pending(): number {
    return this.held.length;
  }

  private target(dir: WireDir): NetEndpoint | null {
    return (dir === "ab" ? this.b : this.a).peer;
  }

  forward(dir: WireDir, frame: Uint8Array, len: number): void {
    this.frames_in++;
    this.tap?.(frame, len, dir);
    let delay = this.opts.delay_ns;
    const v = this.filter?.(frame, len, dir) ?? "pass";
    if (v === "drop" || (this.opts.loss > 0 && this.rng() < this.opts.loss)) {
      this.dropped++;
      return;
    }
    if (typeof v === "number") delay += v;
    const copies = this.opts.dup > 0 && this.rng() < this.opts.dup ? 2 : 1;
    if (copies === 2) this.duplicated++;
    for (let c = 0; c < copies; c++) {
      let d = delay;
      if (this.opts.jitter_ns > 0) d = Math.max(0, d + Math.round((this.rng() * 2 - 1) * this.opts.jitter_ns));
      const reorder = this.opts.reorder > 0 && this.rng() < this.opts.reorder;
      this.one_copy(dir, frame, len, d, reorder);
    }
  }

  private one_copy(dir: WireDir, frame: Uint8Array, len: number, delay: number, reorder: boolean): void {
    const now = this.clock.now_ns();
    const w = this.waiting[dir];
    if (delay === 0 && !reorder && !this.held.some((h) => h.dir === dir && h !== w)) {
      this.deliver(dir, frame.subarray(0, len));
      if (w !== null) this.release_waiting(dir, now);
      return;
    }
    const h: Held = { due: now + delay, dir, bytes: frame.slice(0, len) };
    if (w !== null) {
      this.insert(h);
      this.release_waiting(dir, h.due);
    }
    if (reorder) {
      this.reordered++;
      this.waiting[dir] = h;
      h.due += REORDER_HOLD_NS;
      this.insert(h);
    } else if (w === null) this.insert(h);
    this.arm();
  }

  private release_waiting(dir: WireDir, after: number): void {
    const w = this.waiting[dir]!;
    this.waiting[dir] = null;
    const i = this.held.indexOf(w);
    if (i >= 0) this.held.splice(i, 1);
    w.due = Math.max(after, w.due - REORDER_HOLD_NS);
    this.insert(w);
    this.arm();
  }

  private insert(h: Held): void {
    let i = this.held.length;
    while (i > 0 && this.held[i - 1]!.due > h.due) i--;
    this.held.splice(i, 0, h);
  }

  private arm(): void {
    const first = this.held[0];
    if (first === undefined) this.clock.disarm(this.event);
    else this.clock.arm(this.event, first.due);
  }

  private flush(): void {
    const now = this.clock.now_ns();
    while (this.held.length > 0 && this.held[0]!.due <= now) {
      const h = this.held.shift()!;
      if (this.waiting[h.dir] === h) this.waiting[h.dir] = null;
      this.deliver(h.dir, h.bytes);
    }
    this.arm();
  }

  private deliver(dir: WireDir, bytes: Uint8Array): void {
    this.delivered++;
    this.target(dir)?.receive_frame(bytes, bytes.length);
  }
}

/* ---- frame inspection, for filters ---- */

/** The TCP header fields of an Ethernet/IPv4/TCP frame, or null for anything else. */
export function tcp_of_frame(f: Uint8Array): { sport: number; dport: number; seq: number; ack: number; flags: number; window: number; payload: number; hlen: number } | null {
  if (f.length < 54 || f[12] !== 0x08 || f[13] !== 0x00 || f[23] !== 6) return null;
  const v = new DataView(f.buffer, f.byteOffset, f.byteLength);
  const ihl = (f[14]! & 0x0f) * 4;
  const tot = v.getUint16(16);
  const o = 14 + ihl;
  const hlen = (f[o + 12]! >> 4) * 4;
  return { sport: v.getUint16(o), dport: v.getUint16(o + 2), seq: v.getUint32(o + 4), ack: v.getUint32(o + 8), flags: f[o + 13]!, window: v.getUint16(o + 14), payload: tot - ihl - hlen, hlen };
}
