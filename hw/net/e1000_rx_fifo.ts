import { memcpy } from "../../lib/string.ts";
import { E1000_PB_KIB } from "./e1000_regs.ts";

/**
 * The 82540EM's on-chip receive packet buffer (SDM 3.2: "the receive FIFO"; its size is PBA.RXA
 * KiB out of the 64 KiB packet buffer, 13.4.24, default 48 KiB). A frame that passed the filters
 * but finds too few receive descriptors waits here (RNBC counts it, 13.7) and is DMA'd as soon as
 * the driver returns descriptors (an RDT write); only a frame that does not fit in what is left of
 * the FIFO is missed (MPC, ICR.RXO — 13.7, 13.4.17).
 *
 * Frames are held by value in one preallocated byte ring, with their lengths in a preallocated
 * record ring: nothing is allocated per frame. Each frame occupies its length plus the 4 FCS
 * bytes, rounded up to 8 (the FIFO's line size) — an approximation of the real part's layout,
 * which the SDM does not document beyond "packets are stored with their status".
 *
 * Device context only (receive from the wire, register writes); owned by RxState.
 */
export const RX_FIFO_BYTES = E1000_PB_KIB * 1024;
/** At most this many frames fit (64 bytes is the smallest frame on the wire). */
export const RX_FIFO_FRAMES = RX_FIFO_BYTES / 64;

/** Bytes of packet buffer a frame of `n` bytes (without FCS) takes. */
export function rx_fifo_cost(n: number): number {
  return (n + 4 + 7) & ~7;
}

export class RxFifo {
  /** RX_FIFO_BYTES of on-chip memory. */
  private readonly data: Uint8Array;
  private readonly starts = new Uint32Array(RX_FIFO_FRAMES);
  private readonly lens = new Uint32Array(RX_FIFO_FRAMES);
  /** Index of the oldest record, and how many records are held. */
  private first = 0;
  count = 0;
  /** Where the next frame's bytes go, and the bytes charged to the frames held. */
  private wr = 0;
  used = 0;
  /** Frames that ever waited here, and the most bytes ever used (for `~info network`). */
  held_total = 0;
  high_water = 0;

  constructor(data: Uint8Array) {
    this.data = data;
  }

  /** Store `frame[0..n)` if `capacity` bytes leave room for it; false (nothing stored) if not. */
  push(frame: Uint8Array, n: number, capacity: number): boolean {
    const cost = rx_fifo_cost(n);
    if (this.count >= RX_FIFO_FRAMES || this.used + cost > Math.min(capacity, RX_FIFO_BYTES)) return false;
    const rec = (this.first + this.count) % RX_FIFO_FRAMES;
    this.starts[rec] = this.wr;
    this.lens[rec] = n;
    const head = Math.min(n, RX_FIFO_BYTES - this.wr);
    memcpy(this.data, this.wr, frame, 0, head);
    if (head < n) memcpy(this.data, 0, frame, head, n - head);
    this.wr = (this.wr + cost) % RX_FIFO_BYTES;
    this.used += cost;
    this.count++;
    this.held_total++;
    if (this.used > this.high_water) this.high_water = this.used;
    return true;
  }

  /** Length of the oldest frame (the FIFO must not be empty). */
  peek_len(): number {
    return this.lens[this.first]!;
  }

  /** EtherType field (bytes 12-13) of the oldest frame, without copying it out. */
  peek_type(): number {
    const start = this.starts[this.first]!;
    return (this.data[(start + 12) % RX_FIFO_BYTES]! << 8) | this.data[(start + 13) % RX_FIFO_BYTES]!;
  }

  /** Copy the oldest frame to `dst` (at least peek_len() bytes) without removing it. */
  peek_into(dst: Uint8Array): number {
    const n = this.lens[this.first]!;
    const start = this.starts[this.first]!;
    const head = Math.min(n, RX_FIFO_BYTES - start);
    memcpy(dst, 0, this.data, start, head);
    if (head < n) memcpy(dst, head, this.data, 0, n - head);
    return n;
  }

  /** Forget the oldest frame. */
  pop(): void {
    this.used -= rx_fifo_cost(this.lens[this.first]!);
    this.first = (this.first + 1) % RX_FIFO_FRAMES;
    this.count--;
    if (this.count === 0) {
      this.first = 0;
      this.wr = 0;
      this.used = 0;
    }
  }

  /** Drop everything; returns how many frames were held. */
  flush(): number {
    const n = this.count;
    this.first = 0;
    this.count = 0;
    this.wr = 0;
    this.used = 0;
    return n;
  }
}
