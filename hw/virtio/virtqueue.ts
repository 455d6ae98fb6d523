import {
  VRING_AVAIL_F_NO_INTERRUPT,
  VRING_AVAIL_FLAGS,
  VRING_AVAIL_IDX,
  VRING_AVAIL_RING,
  VRING_AVAIL_ALIGN,
  VRING_DESC_ALIGN,
  VRING_DESC_F_INDIRECT,
  VRING_DESC_F_NEXT,
  VRING_DESC_F_WRITE,
  VRING_DESC_SIZE,
  VRING_USED_ALIGN,
  VRING_USED_ELEM_SIZE,
  VRING_USED_F_NO_NOTIFY,
  VRING_USED_FLAGS,
  VRING_USED_IDX,
  VRING_USED_RING,
  vring_avail_event_off,
  vring_need_event,
  vring_used_event_off,
} from "../../include/uapi/linux/virtio_ring.ts";
import { VIRTIO_MSI_NO_VECTOR } from "../../include/uapi/linux/virtio_pci.ts";

/**
 * The device side of a split virtqueue (virtio 1.2 §2.7; QEMU hw/virtio/virtio.c virtqueue_pop,
 * virtqueue_fill, virtqueue_flush, virtio_should_notify, virtio_queue_set_notification).
 *
 * Everything the queue reads or writes is guest memory reached by DMA through its host (the
 * transport). The driver is not trusted: a malformed available ring or descriptor chain (an index
 * beyond the queue, a loop, a nested indirect table, a readable descriptor after a writable one, a
 * zero-length or 4 GiB-overflowing buffer, a table that is not a multiple of 16 bytes, unreadable
 * ring memory) is reported to the host with `virtio_error`, which puts the device into
 * DEVICE_NEEDS_RESET; the walk is bounded by the queue size and VIRTQUEUE_MAX_SEGS, so it can
 * neither throw nor hang. Indices are free-running u16 (`& 0xffff` everywhere).
 *
 * Nothing here allocates after construction: one scratch buffer for ring fields.
 *
 * Choices where sources differ:
 *
 * | topic                               | this model                         | QEMU 7.2 / spec                           |
 * |-------------------------------------|------------------------------------|-------------------------------------------|
 * | INDIRECT without INDIRECT_DESC      | honoured                           | honoured (measured) / driver MUST NOT     |
 * | indirect descriptor ending a direct | honoured (table walked, chain ends)| only at the head / spec allows it as the  |
 * | chain                               |                                    | last descriptor (no NEXT)                 |
 * | zero-length descriptor              | device error                       | device error / not defined                |
 * | avail_event while doorbells are off | not updated (so suppression holds) | updated on every pop                      |
 */

/** Most segments one chain may have (QEMU VIRTQUEUE_MAX_SIZE). */
export const VIRTQUEUE_MAX_SEGS = 1024;
/** Largest queue a device may offer for a split ring (virtio 1.2 §2.7). */
export const VIRTQUEUE_MAX_SIZE = 32768;

/** What pop() found. */
export const VQ_POP = { EMPTY: 0, OK: 1, ERROR: -1 } as const;
export type VqPopResult = (typeof VQ_POP)[keyof typeof VQ_POP];

/** What a queue needs from its device and transport. */
export interface VirtQueueHost {
  /** Bus-master DMA (false when refused or outside memory). */
  dma_read(addr: number, dst: Uint8Array, dst_offset: number, len: number): boolean;
  dma_write(addr: number, src: Uint8Array, src_offset: number, len: number): boolean;
  /** The driver broke the protocol: DEVICE_NEEDS_RESET, a config notification, a one-time warning. */
  virtio_error(key: string, message: string): void;
  /** Send a used-buffer notification for `vq` (ISR bit 0 + INTx, or its MSI-X vector). */
  notify_queue(vq: VirtQueue): void;
  /** VIRTIO_RING_F_EVENT_IDX was negotiated. */
  readonly event_idx: boolean;
  /** Trace channel `channel` is on (check before formatting), and emit one line on it. */
  trace_on(channel: string): boolean;
  trace(channel: string, msg: string): void;
}

/**
 * One popped buffer (QEMU VirtQueueElement): the chain's head index and its segments, the
 * device-readable ones (`out`) first, then the device-writable ones (`in`). Reused: pop() refills.
 */
export class VirtQueueElement {
  head = 0;
  out_num = 0;
  in_num = 0;
  out_bytes = 0;
  in_bytes = 0;
  /** Guest-physical address and length of segment i; out segments at [0, out_num). */
  readonly addr = new Float64Array(VIRTQUEUE_MAX_SEGS);
  readonly len = new Uint32Array(VIRTQUEUE_MAX_SEGS);
}

export class VirtQueue {
  readonly index: number;
  readonly host: VirtQueueHost;
  /** Size the device offers (queue_size after reset). */
  readonly num_max: number;
  /** queue_size: entries in the ring (a power of 2 once the driver wrote it). */
  num: number;
  /** queue_msix_vector. */
  vector: number = VIRTIO_MSI_NO_VECTOR;
  /** queue_enable: rings live, addresses fixed. */
  enabled = false;
  /** Addresses the driver wrote (queue_desc/driver/device); they take effect on queue_enable. */
  reg_desc = 0;
  reg_avail = 0;
  reg_used = 0;
  /** Addresses in use while enabled. */
  desc = 0;
  avail = 0;
  used = 0;
  /** Next available-ring slot to consume; next used-ring slot to fill (both free-running u16). */
  last_avail_idx = 0;
  used_idx = 0;
  /** used_idx at the last notification decision (EVENT_IDX: the `old` of vring_need_event). */
  private signalled_used = 0;
  private signalled_used_valid = false;
  /** Doorbells wanted (QEMU vq->notification). */
  private notification = true;
  /** Used-buffer notifications sent and suppressed, for tests and `~info`. */
  notifications = 0;
  suppressed = 0;
  private readonly scratch = new Uint8Array(16);
  private readonly sv = new DataView(this.scratch.buffer);

  constructor(host: VirtQueueHost, index: number, num_max: number) {
    this.host = host;
    this.index = index;
    this.num_max = num_max;
    this.num = num_max;
  }

  /** Device reset: disabled, size back to the maximum, addresses and indices 0. */
  reset(): void {
    this.num = this.num_max;
    this.vector = VIRTIO_MSI_NO_VECTOR;
    this.enabled = false;
    this.reg_desc = this.reg_avail = this.reg_used = 0;
    this.desc = this.avail = this.used = 0;
    this.last_avail_idx = 0;
    this.used_idx = 0;
    this.signalled_used = 0;
    this.signalled_used_valid = false;
    this.notification = true;
  }

  /**
   * queue_enable = 1 (QEMU virtio_queue_set_rings): the latched addresses take effect. Returns an
   * error message when the layout breaks the spec's alignment rules (the caller flags it).
   */
  enable(): string | null {
    if (this.num === 0 || (this.num & (this.num - 1)) !== 0) return `queue ${this.index} enabled with size ${this.num}, not a power of 2`;
    if (this.reg_desc % VRING_DESC_ALIGN !== 0 || this.reg_avail % VRING_AVAIL_ALIGN !== 0 || this.reg_used % VRING_USED_ALIGN !== 0) {
      return `queue ${this.index} enabled with misaligned rings (desc 0x${this.reg_desc.toString(16)}, driver 0x${this.reg_avail.toString(16)}, device 0x${this.reg_used.toString(16)}; need 16/2/4-byte alignment)`;
    }
    this.desc = this.reg_desc;
    this.avail = this.reg_avail;
    this.used = this.reg_used;
    this.enabled = true;
    return null;
  }

  /**
   * A legacy queue address (QEMU virtio_queue_set_addr + virtio_queue_update_rings; virtio 1.2
   * §2.7.2 "Legacy Interfaces: A Note on Virtqueue Layout"): one area at `pa` — descriptors, the
   * available ring right after them (with used_event), the used ring at the next `align` boundary —
   * live at once (legacy has no queue_enable). Returns an error message as enable() does.
   */
  set_legacy_rings(pa: number, align: number): string | null {
    this.reg_desc = pa;
    this.reg_avail = pa + VRING_DESC_SIZE * this.num;
    this.reg_used = Math.ceil((vring_used_event_off(this.num) + 2 + this.reg_avail) / align) * align;
    return this.enable();
  }

  /* ---- ring field access (little-endian, by DMA) ---- */

  /** A u16 of guest memory, or -1 when the DMA failed. */
  private read16(addr: number): number {
    if (!this.host.dma_read(addr, this.scratch, 0, 2)) return -1;
    return this.sv.getUint16(0, true);
  }

  private write16(addr: number, v: number): boolean {
    this.sv.setUint16(0, v, true);
    return this.host.dma_write(addr, this.scratch, 0, 2);
  }

  private error(key: string, msg: string): VqPopResult {
    this.host.virtio_error(`vq:${key}`, `virtqueue ${this.index}: ${msg}`);
    return VQ_POP.ERROR;
  }

  /** Buffers the driver made available and the device has not taken (-1 on a bad ring). */
  available(): number {
    if (!this.enabled) return 0;
    const idx = this.read16(this.avail + VRING_AVAIL_IDX);
    if (idx < 0) return -1;
    return (idx - this.last_avail_idx) & 0xffff;
  }

  /**
   * Take the next available buffer into `elem` (QEMU virtqueue_split_pop). EMPTY when there is
   * none, ERROR when the ring or chain is malformed (already reported via virtio_error).
   */
  pop(elem: VirtQueueElement): VqPopResult {
    if (!this.enabled) return VQ_POP.EMPTY;
    const num = this.num;
    const avail_idx = this.read16(this.avail + VRING_AVAIL_IDX);
    if (avail_idx < 0) return this.error("avail", `available ring at 0x${this.avail.toString(16)} is not readable`);
    const pending = (avail_idx - this.last_avail_idx) & 0xffff;
    if (pending === 0) return VQ_POP.EMPTY;
    if (pending > num) return this.error("avail_idx", `driver moved avail.idx from ${this.last_avail_idx} to ${avail_idx}, more than the queue size ${num}`);
    const head = this.read16(this.avail + VRING_AVAIL_RING + 2 * (this.last_avail_idx & (num - 1)));
    if (head < 0) return this.error("avail", `available ring at 0x${this.avail.toString(16)} is not readable`);
    if (head >= num) return this.error("head", `available ring names descriptor ${head}, beyond the queue size ${num}`);
    const r = this.walk(elem, head);
    if (r !== VQ_POP.OK) return r;
    this.last_avail_idx = (this.last_avail_idx + 1) & 0xffff;
    // EVENT_IDX: the device wants a doorbell once the driver passes what it has consumed.
    if (this.host.event_idx && this.notification) this.write16(this.used + vring_avail_event_off(num), this.last_avail_idx);
    return VQ_POP.OK;
  }

  /** Walk the chain at `head` (spec §2.7.5 "The Virtqueue Descriptor Table", §2.7.5.3 indirect). */
  private walk(elem: VirtQueueElement, head: number): VqPopResult {
    elem.head = head;
    elem.out_num = elem.in_num = 0;
    elem.out_bytes = elem.in_bytes = 0;
    const sv = this.sv;
    let table = this.desc;
    let max = this.num;
    let i = head;
    let steps = 0;
    let indirect = false;
    let segs = 0;
    for (;;) {
      if (++steps > max) return this.error("loop", `descriptor chain at head ${head} is longer than its table (${max} entries): a loop`);
      if (!this.host.dma_read(table + i * VRING_DESC_SIZE, this.scratch, 0, VRING_DESC_SIZE)) {
        return this.error("desc", `descriptor ${i} at 0x${(table + i * VRING_DESC_SIZE).toString(16)} is not readable`);
      }
      const addr = sv.getUint32(4, true) * 0x100000000 + sv.getUint32(0, true);
      const len = sv.getUint32(8, true);
      const flags = sv.getUint16(12, true);
      const next = sv.getUint16(14, true);
      if ((flags & VRING_DESC_F_INDIRECT) !== 0) {
        if (indirect) return this.error("nested", `indirect descriptor inside an indirect table (chain at head ${head})`);
        if ((flags & VRING_DESC_F_NEXT) !== 0) return this.error("indirect_next", `descriptor ${i} has both INDIRECT and NEXT (chain at head ${head})`);
        if (len === 0 || len % VRING_DESC_SIZE !== 0) return this.error("indirect_len", `indirect table of ${len} bytes is not a non-zero multiple of 16 (chain at head ${head})`);
        table = addr;
        max = len / VRING_DESC_SIZE;
        i = 0;
        steps = 0;
        indirect = true;
        continue;
      }
      if (len === 0) return this.error("zero_len", `descriptor ${i} of the chain at head ${head} has length 0`);
      if (segs === VIRTQUEUE_MAX_SEGS) return this.error("segs", `chain at head ${head} has more than ${VIRTQUEUE_MAX_SEGS} segments`);
      if ((flags & VRING_DESC_F_WRITE) !== 0) {
        elem.in_num++;
        elem.in_bytes += len;
      } else {
        if (elem.in_num > 0) return this.error("order", `device-readable descriptor after a device-writable one (chain at head ${head})`);
        elem.out_num++;
        elem.out_bytes += len;
      }
      if (elem.in_bytes + elem.out_bytes > 0xffffffff) return this.error("overflow", `chain at head ${head} describes 4 GiB or more`);
      elem.addr[segs] = addr;
      elem.len[segs] = len;
      segs++;
      if ((flags & VRING_DESC_F_NEXT) === 0) return VQ_POP.OK;
      if (next >= max) return this.error("next", `descriptor ${i} links to ${next}, beyond its table of ${max} (chain at head ${head})`);
      i = next;
    }
  }

  /** Give back the last `n` popped buffers untouched (QEMU virtqueue_unpop / virtqueue_rewind). */
  unpop(n: number): void {
    this.last_avail_idx = (this.last_avail_idx - n) & 0xffff;
  }

  /** Write used element `idx_offset` past used_idx (not yet visible to the driver): virtqueue_fill. */
  fill(head: number, len: number, idx_offset: number): boolean {
    const at = this.used + VRING_USED_RING + VRING_USED_ELEM_SIZE * ((this.used_idx + idx_offset) & (this.num - 1));
    this.sv.setUint32(0, head, true);
    this.sv.setUint32(4, len >>> 0, true);
    if (!this.host.dma_write(at, this.scratch, 0, VRING_USED_ELEM_SIZE)) {
      this.error("used", `used ring at 0x${this.used.toString(16)} is not writable`);
      return false;
    }
    return true;
  }

  /** Publish `count` filled elements: used.idx += count (virtqueue_flush). */
  flush(count: number): boolean {
    const old = this.used_idx;
    const now = (old + count) & 0xffff;
    // Elements and buffer data were written first; the index is the publication point (the
    // device-side write barrier of spec §2.7.13 "Supplying Buffers": a no-op here, kept in order).
    if (!this.write16(this.used + VRING_USED_IDX, now)) {
      this.error("used", `used ring at 0x${this.used.toString(16)} is not writable`);
      return false;
    }
    this.used_idx = now;
    // The index lapped the last signalled one: the event-index window is no longer meaningful.
    if (((now - this.signalled_used) & 0xffff) < ((now - old) & 0xffff)) this.signalled_used_valid = false;
    return true;
  }

  push(head: number, len: number): boolean {
    return this.fill(head, len, 0) && this.flush(1);
  }

  /**
   * Does the driver want a used-buffer notification now (virtio_split_should_notify)? With
   * EVENT_IDX: iff used_event lies in [last signalled, used_idx); without: unless avail.flags has
   * VRING_AVAIL_F_NO_INTERRUPT. Reads happen after used.idx was written (full barrier point).
   */
  should_notify(): boolean {
    if (this.host.event_idx) {
      const valid = this.signalled_used_valid;
      this.signalled_used_valid = true;
      const old = this.signalled_used;
      const now = (this.signalled_used = this.used_idx);
      if (!valid) return true;
      const ev = this.read16(this.avail + vring_used_event_off(this.num));
      return ev < 0 || vring_need_event(ev, now, old);
    }
    const flags = this.read16(this.avail + VRING_AVAIL_FLAGS);
    return flags < 0 || (flags & VRING_AVAIL_F_NO_INTERRUPT) === 0;
  }

  /** Notify the driver if it wants it (virtio_notify). */
  notify(): void {
    if (this.should_notify()) {
      this.notifications++;
      this.host.notify_queue(this);
    } else {
      this.suppressed++;
      if (this.host.trace_on("interrupt")) this.host.trace("interrupt", `queue ${this.index}: notification suppressed by the driver (${this.host.event_idx ? `used_event, used.idx ${this.used_idx}` : "avail.flags NO_INTERRUPT"})`);
    }
  }

  /**
   * Ask for doorbells (true) or tell the driver they are not needed (false): used.flags
   * NO_NOTIFY without EVENT_IDX; with it, avail_event = the current avail.idx when enabling.
   */
  set_notification(enable: boolean): void {
    this.notification = enable;
    if (!this.enabled) return;
    if (this.host.event_idx) {
      if (enable) {
        const idx = this.read16(this.avail + VRING_AVAIL_IDX);
        if (idx >= 0) this.write16(this.used + vring_avail_event_off(this.num), idx);
      }
      return;
    }
    const flags = this.read16(this.used + VRING_USED_FLAGS);
    if (flags < 0) return;
    this.write16(this.used + VRING_USED_FLAGS, enable ? flags & ~VRING_USED_F_NO_NOTIFY : flags | VRING_USED_F_NO_NOTIFY);
  }

  /* ---- element data (QEMU iov_to_buf / iov_from_buf) ---- */

  /**
   * Copy `len` bytes of the element's readable part, from byte `offset`, into dst. Returns the
   * bytes copied, or -1 when a DMA failed.
   */
  read_out(elem: VirtQueueElement, offset: number, dst: Uint8Array, dst_offset: number, len: number): number {
    return this.copy(elem, 0, elem.out_num, offset, dst, dst_offset, len, false);
  }

  /** Scatter `len` bytes of src into the element's writable part from byte `offset`. */
  write_in(elem: VirtQueueElement, offset: number, src: Uint8Array, src_offset: number, len: number): number {
    return this.copy(elem, elem.out_num, elem.out_num + elem.in_num, offset, src, src_offset, len, true);
  }

  /** The guest address of byte `offset` of the writable part, or -1 past its end. */
  in_addr_at(elem: VirtQueueElement, offset: number): number {
    for (let s = elem.out_num; s < elem.out_num + elem.in_num; s++) {
      const l = elem.len[s]!;
      if (offset < l) return elem.addr[s]! + offset;
      offset -= l;
    }
    return -1;
  }

  private copy(elem: VirtQueueElement, first: number, end: number, offset: number, buf: Uint8Array, buf_offset: number, len: number, to_guest: boolean): number {
    let done = 0;
    for (let s = first; s < end && done < len; s++) {
      const l = elem.len[s]!;
      if (offset >= l) {
        offset -= l;
        continue;
      }
      const n = Math.min(l - offset, len - done);
      const addr = elem.addr[s]! + offset;
      const ok = to_guest ? this.host.dma_write(addr, buf, buf_offset + done, n) : this.host.dma_read(addr, buf, buf_offset + done, n);
      if (!ok) return -1;
      done += n;
      offset = 0;
    }
    return done;
  }
}
