import { DMA_FROM_DEVICE, DMA_TO_DEVICE } from "../../include/linux/dma-direction.ts";
import { EIO, ENOMEM, ENOSPC } from "../../include/linux/errno.ts";
import { GFP_ATOMIC } from "../../include/linux/gfp.ts";
import { IRQ_HANDLED, IRQ_NONE, type IrqReturn } from "../../include/linux/interrupt.ts";
import {
  VRING_AVAIL_F_NO_INTERRUPT,
  VRING_DESC_F_INDIRECT,
  VRING_DESC_F_NEXT,
  VRING_DESC_F_WRITE,
  VRING_USED_F_NO_NOTIFY,
  vring_need_event,
} from "../../include/uapi/linux/virtio_ring.ts";
import {
  dma_alloc_coherent,
  dma_free_coherent,
  dma_map_single,
  dma_mapping_error,
  dma_unmap_single,
  type DmaCoherent,
  type DmaDevice,
} from "../../kernel/dma/mapping.ts";

/**
 * The driver side of split virtqueues (drivers/virtio/virtio_ring.c, split ring only; VIRTIO 1.x
 * §2.7). The ring — descriptor table, available ring (driver area), used ring (device area) —
 * lives in one coherent allocation laid out as vring_init lays it out; buffers are lent to the
 * device with the streaming DMA API for as long as they are in the ring. What the driver needs of
 * a descriptor afterwards (address, length, flags, next) is kept in a private shadow (desc_extra)
 * and never read back from shared memory, which the device could have scribbled on.
 *
 * Indirect descriptors (VIRTIO_RING_F_INDIRECT_DESC, §2.7.5.3): a buffer of more than one piece
 * takes one ring descriptor pointing at a table of its pieces, so a 3-piece control command or a
 * fragmented frame costs one slot instead of several. Linux kmallocs and maps each table per add;
 * here each ring slot owns a table of VRING_INDIRECT_MAX entries in one coherent area, allocated
 * the first time the queue goes indirect (a receive queue of one-piece buffers never does), so a
 * frame allocates nothing. A buffer with more pieces than a table holds, or a queue whose area
 * could not be allocated, uses direct descriptors as Linux does when its kmalloc fails.
 *
 * Context: add/kick/get_buf from process or softirq context, vring_interrupt in hard-IRQ context;
 * one user at a time (the caller serialises, as Linux's callers hold a lock or run in NAPI).
 * Barriers (virtio_wmb/rmb/mb) mark the publish order real hardware needs; here devices run
 * between kernel steps, never concurrently, so they compile to nothing.
 */


/** One piece of a buffer (struct scatterlist, reduced: JavaScript has no pages, only views). */
export interface Scatterlist {
  buf: Uint8Array;
  offset: number;
  length: number;
}

const NO_BYTES = new Uint8Array(0);

/** Entries in one slot's indirect table (a head + 15 fragments of a frame; a control command needs 3–4). */
export const VRING_INDIRECT_MAX = 16;

/** An empty entry, to be filled with sg_init_one: a driver keeps one per queue and reuses it per frame. */
export function sg_alloc(): Scatterlist {
  return { buf: NO_BYTES, offset: 0, length: 0 };
}

/** sg_init_one(): point `sg` at `length` bytes of `buf` from `offset` (no allocation). */
export function sg_init_one(sg: Scatterlist, buf: Uint8Array, offset: number, length: number): Scatterlist {
  sg.buf = buf;
  sg.offset = offset;
  sg.length = length;
  return sg;
}

/** Barriers: no-ops here (see the file comment), kept where the publish order needs them. */
function virtio_wmb(): void {}
function virtio_rmb(): void {}
function virtio_mb(): void {}

/** vring_init's layout for `num` descriptors: byte offsets of the three parts, and the total size. */
export function vring_layout(num: number, align: number): { avail: number; used: number; size: number } {
  const avail = 16 * num;
  const used = Math.ceil((avail + 6 + 2 * num) / align) * align;
  return { avail, used, size: used + 6 + 8 * num };
}

export class VirtQueue {
  readonly index: number;
  readonly name: string;
  readonly num: number;
  /** Called from vring_interrupt when the device used buffers (the driver's queue callback). */
  readonly callback: ((vq: VirtQueue) => void) | null;
  /** Ring the device's doorbell for this queue; false when it could not (the queue is then broken). */
  readonly notify: (vq: VirtQueue) => boolean;
  /** The driver's private data for the queue (virtqueue->priv). */
  priv: unknown = null;
  num_free: number;
  broken = false;
  /* The ring in coherent memory. */
  readonly ring: DmaCoherent;
  private readonly v: DataView;
  private readonly avail_off: number;
  private readonly used_off: number;
  /** The device the buffers are mapped for (the transport's PCI function). */
  readonly dma_dev: DmaDevice;
  /** VIRTIO_RING_F_EVENT_IDX negotiated. */
  private readonly event: boolean;
  /** VIRTIO_RING_F_INDIRECT_DESC negotiated (vq->indirect). */
  readonly indirect: boolean;
  /** The slots' indirect tables (coherent; null until first needed, or while it cannot be had). */
  private indirect_area: DmaCoherent | null = null;
  /** Shadow of the indirect entries: per slot VRING_INDIRECT_MAX address/length/flags, and the count used. */
  private ind_addr: Float64Array | null = null;
  private ind_len: Uint32Array | null = null;
  private ind_flags: Uint16Array | null = null;
  private ind_count: Uint8Array | null = null;
  /* Driver-private state. */
  private free_head = 0;
  private num_added = 0;
  private last_used_idx = 0;
  private avail_idx_shadow = 0;

  /** The next used-ring index the driver will read (read-only view: the page's ring panel). */
  get last_used(): number {
    return this.last_used_idx;
  }

  /** The avail idx the driver has published. */
  get avail_idx(): number {
    return this.avail_idx_shadow;
  }
  private avail_flags_shadow = 0;
  /** The caller's token for each chain head, null when the head is free. */
  private readonly desc_state: unknown[];
  /** Shadow of each descriptor as written: address, length, flags, next. */
  private readonly extra_addr: Float64Array;
  private readonly extra_len: Uint32Array;
  private readonly extra_flags: Uint16Array;
  private readonly extra_next: Uint16Array;

  constructor(index: number, num: number, ring: DmaCoherent, align: number, dma_dev: DmaDevice, event: boolean, indirect: boolean, notify: (vq: VirtQueue) => boolean, callback: ((vq: VirtQueue) => void) | null, name: string) {
    this.index = index;
    this.num = num;
    this.ring = ring;
    this.v = ring.view;
    const layout = vring_layout(num, align);
    this.avail_off = layout.avail;
    this.used_off = layout.used;
    this.dma_dev = dma_dev;
    this.event = event;
    this.indirect = indirect;
    this.notify = notify;
    this.callback = callback;
    this.name = name;
    this.num_free = num;
    this.desc_state = new Array<unknown>(num).fill(null);
    this.extra_addr = new Float64Array(num);
    this.extra_len = new Uint32Array(num);
    this.extra_flags = new Uint16Array(num);
    this.extra_next = new Uint16Array(num);
    // The free list: 0 → 1 → … → num-1.
    for (let i = 0; i < num - 1; i++) this.extra_next[i] = i + 1;
  }

  /* ---- the shared areas, little-endian ---- */
  private write_desc(i: number, addr: number, len: number, flags: number, next: number): void {
    const o = 16 * i;
    this.v.setUint32(o, addr >>> 0, true);
    this.v.setUint32(o + 4, Math.floor(addr / 0x100000000), true);
    this.v.setUint32(o + 8, len, true);
    this.v.setUint16(o + 12, flags, true);
    this.v.setUint16(o + 14, next, true);
    // The shadow keeps address, length and flags; extra_next stays the free-list link (the chain
    // follows the free list, so it is the same index while the descriptor is in use).
    this.extra_addr[i] = addr;
    this.extra_len[i] = len;
    this.extra_flags[i] = flags;
  }
  used_idx(): number {
    return this.v.getUint16(this.used_off + 2, true);
  }
  private used_flags(): number {
    return this.v.getUint16(this.used_off, true);
  }
  private avail_event(): number {
    return this.v.getUint16(this.used_off + 4 + 8 * this.num, true);
  }
  private set_used_event(idx: number): void {
    this.v.setUint16(this.avail_off + 4 + 2 * this.num, idx & 0xffff, true);
  }
  private set_avail_flags(flags: number): void {
    this.v.setUint16(this.avail_off, flags, true);
  }

  /** Bus addresses of the three parts (for the transport's queue_desc/driver/device registers). */
  get desc_addr(): number {
    return this.ring.dma_handle;
  }
  get avail_addr(): number {
    return this.ring.dma_handle + this.avail_off;
  }
  get used_addr(): number {
    return this.ring.dma_handle + this.used_off;
  }

  /** virtqueue_add_sgs(): a buffer of `out` device-readable then `inn` device-writable pieces. */
  add(sgs: readonly Scatterlist[], out: number, inn: number, data: unknown): number {
    if (this.broken) return -EIO;
    const total = out + inn;
    if (total === 0 || data === null || data === undefined || total > sgs.length) return -EIO;
    // "If the host supports indirect descriptor tables, and we have multiple buffers, then go indirect."
    if (this.indirect && total > 1 && total <= VRING_INDIRECT_MAX && this.num_free > 0 && this.alloc_indirect()) return this.add_indirect(sgs, out, total, data);
    if (this.num_free < total) return -ENOSPC;
    const head = this.free_head;
    let i = head;
    for (let n = 0; n < total; n++) {
      const sg = sgs[n]!;
      const dir = n < out ? DMA_TO_DEVICE : DMA_FROM_DEVICE;
      const addr = dma_map_single(this.dma_dev, sg.buf, sg.offset, sg.length, dir);
      if (dma_mapping_error(this.dma_dev, addr) !== 0) {
        // Unmap what this buffer had mapped so far; the descriptors were not published.
        this.unmap_chain(head, n);
        return -ENOMEM;
      }
      const flags = (n < out ? 0 : VRING_DESC_F_WRITE) | (n < total - 1 ? VRING_DESC_F_NEXT : 0);
      const next = this.extra_next[i]!;
      this.write_desc(i, addr, sg.length, flags, flags & VRING_DESC_F_NEXT ? next : 0);
      i = next;
    }
    this.free_head = i;
    this.num_free -= total;
    this.publish(head, data);
    return 0;
  }

  /**
   * The slots' indirect tables, allocated on first use (GFP_ATOMIC: add may run in softirq). When
   * memory is short this add goes direct and the next one tries again, as Linux's per-add
   * alloc_indirect_split does.
   */
  private alloc_indirect(): boolean {
    if (this.indirect_area !== null) return true;
    const area = dma_alloc_coherent(this.dma_dev, this.num * VRING_INDIRECT_MAX * 16, GFP_ATOMIC);
    if (area === null) return false;
    this.indirect_area = area;
    this.ind_addr = new Float64Array(this.num * VRING_INDIRECT_MAX);
    this.ind_len = new Uint32Array(this.num * VRING_INDIRECT_MAX);
    this.ind_flags = new Uint16Array(this.num * VRING_INDIRECT_MAX);
    this.ind_count = new Uint8Array(this.num);
    return true;
  }

  /**
   * The indirect path of virtqueue_add_split(): the pieces go into the head slot's table (entries
   * chained by NEXT from 0, as §2.7.5.3.1 requires), and the ring descriptor says INDIRECT with the
   * table's bus address and byte length.
   */
  private add_indirect(sgs: readonly Scatterlist[], out: number, total: number, data: unknown): number {
    const head = this.free_head;
    const area = this.indirect_area!;
    const tv = area.view;
    const base = head * VRING_INDIRECT_MAX;
    for (let n = 0; n < total; n++) {
      const sg = sgs[n]!;
      const dir = n < out ? DMA_TO_DEVICE : DMA_FROM_DEVICE;
      const addr = dma_map_single(this.dma_dev, sg.buf, sg.offset, sg.length, dir);
      if (dma_mapping_error(this.dma_dev, addr) !== 0) {
        this.ind_count![head] = n;
        this.unmap_indirect(head);
        return -ENOMEM;
      }
      const flags = (n < out ? 0 : VRING_DESC_F_WRITE) | (n < total - 1 ? VRING_DESC_F_NEXT : 0);
      const o = (base + n) * 16;
      tv.setUint32(o, addr >>> 0, true);
      tv.setUint32(o + 4, Math.floor(addr / 0x100000000), true);
      tv.setUint32(o + 8, sg.length, true);
      tv.setUint16(o + 12, flags, true);
      tv.setUint16(o + 14, flags & VRING_DESC_F_NEXT ? n + 1 : 0, true);
      this.ind_addr![base + n] = addr;
      this.ind_len![base + n] = sg.length;
      this.ind_flags![base + n] = flags;
    }
    this.ind_count![head] = total;
    // The table is written before the descriptor that points at it is published (publish's wmb).
    this.write_desc(head, area.dma_handle + base * 16, total * 16, VRING_DESC_F_INDIRECT, 0);
    this.free_head = this.extra_next[head]!;
    this.num_free -= 1;
    this.publish(head, data);
    return 0;
  }

  /** Unmap the pieces of the indirect table of slot `head` (its count says how many were mapped). */
  private unmap_indirect(head: number): void {
    const base = head * VRING_INDIRECT_MAX;
    const n = this.ind_count![head]!;
    for (let k = 0; k < n; k++) {
      const dir = (this.ind_flags![base + k]! & VRING_DESC_F_WRITE) !== 0 ? DMA_FROM_DEVICE : DMA_TO_DEVICE;
      dma_unmap_single(this.dma_dev, this.ind_addr![base + k]!, this.ind_len![base + k]!, dir);
    }
    this.ind_count![head] = 0;
  }

  /** Put the chain head in the available ring, then publish the new index (the end of virtqueue_add_split). */
  private publish(head: number, data: unknown): void {
    this.desc_state[head] = data;
    const slot = this.avail_idx_shadow & (this.num - 1);
    this.v.setUint16(this.avail_off + 4 + 2 * slot, head, true);
    virtio_wmb();
    this.avail_idx_shadow = (this.avail_idx_shadow + 1) & 0xffff;
    this.v.setUint16(this.avail_off + 2, this.avail_idx_shadow, true);
    this.num_added++;
  }

  /** Unmap the first `n` descriptors of the chain at `head` (an add that failed half way). */
  private unmap_chain(head: number, n: number): void {
    let i = head;
    for (let k = 0; k < n; k++) {
      dma_unmap_single(this.dma_dev, this.extra_addr[i]!, this.extra_len[i]!, (this.extra_flags[i]! & VRING_DESC_F_WRITE) !== 0 ? DMA_FROM_DEVICE : DMA_TO_DEVICE);
      i = this.extra_next[i]!;
    }
  }

  /** virtqueue_kick_prepare(): should the device be told about what was added? */
  kick_prepare(): boolean {
    virtio_mb();
    const new_idx = this.avail_idx_shadow;
    const old = (new_idx - this.num_added) & 0xffff;
    this.num_added = 0;
    if (this.event) return vring_need_event(this.avail_event(), new_idx, old);
    return (this.used_flags() & VRING_USED_F_NO_NOTIFY) === 0;
  }

  /** more_used(): has the device used a buffer we have not reaped? */
  more_used(): boolean {
    return this.last_used_idx !== this.used_idx();
  }

  /** virtqueue_get_buf(): the next used buffer's token and the bytes the device wrote, or null. */
  get_buf(len_out?: { len: number }): unknown {
    if (this.broken || !this.more_used()) return null;
    virtio_rmb();
    const slot = this.last_used_idx & (this.num - 1);
    const id = this.v.getUint32(this.used_off + 4 + 8 * slot, true);
    const len = this.v.getUint32(this.used_off + 4 + 8 * slot + 4, true);
    if (id >= this.num || this.desc_state[id] === null) {
      // BAD_RING(): the device returned a descriptor it was never given.
      this.broken = true;
      return null;
    }
    const data = this.desc_state[id];
    this.detach_buf(id);
    this.last_used_idx = (this.last_used_idx + 1) & 0xffff;
    // With interrupts on, tell the device where we are (used_event) so it interrupts for the next.
    if (this.event && (this.avail_flags_shadow & VRING_AVAIL_F_NO_INTERRUPT) === 0) {
      this.set_used_event(this.last_used_idx);
      virtio_mb();
    }
    if (len_out !== undefined) len_out.len = len;
    return data;
  }

  /** detach_buf_split(): unmap the chain at `head` and give its descriptors back. */
  private detach_buf(head: number): void {
    this.desc_state[head] = null;
    if ((this.extra_flags[head]! & VRING_DESC_F_INDIRECT) !== 0) {
      // One ring slot; its table lives in the coherent area (nothing to unmap but the pieces).
      this.unmap_indirect(head);
      this.extra_flags[head] = 0;
      this.extra_next[head] = this.free_head;
      this.free_head = head;
      this.num_free += 1;
      return;
    }
    let i = head;
    let n = 1;
    while ((this.extra_flags[i]! & VRING_DESC_F_NEXT) !== 0 && n <= this.num) {
      this.unmap_one(i);
      i = this.extra_next[i]!;
      n++;
    }
    this.unmap_one(i);
    this.extra_next[i] = this.free_head;
    this.free_head = head;
    this.num_free += n;
  }

  private unmap_one(i: number): void {
    const dir = (this.extra_flags[i]! & VRING_DESC_F_WRITE) !== 0 ? DMA_FROM_DEVICE : DMA_TO_DEVICE;
    dma_unmap_single(this.dma_dev, this.extra_addr[i]!, this.extra_len[i]!, dir);
    this.extra_flags[i] = 0;
  }

  /** virtqueue_disable_cb(): ask the device not to interrupt (a hint: it may still). */
  disable_cb(): void {
    if ((this.avail_flags_shadow & VRING_AVAIL_F_NO_INTERRUPT) !== 0) return;
    this.avail_flags_shadow |= VRING_AVAIL_F_NO_INTERRUPT;
    if (this.event) this.set_used_event(0); // a far-away index
    else this.set_avail_flags(this.avail_flags_shadow);
  }

  /** virtqueue_enable_cb_prepare(): interrupts on again; returns the index to poll with. */
  enable_cb_prepare(): number {
    if ((this.avail_flags_shadow & VRING_AVAIL_F_NO_INTERRUPT) !== 0) {
      this.avail_flags_shadow &= ~VRING_AVAIL_F_NO_INTERRUPT;
      if (!this.event) this.set_avail_flags(this.avail_flags_shadow);
    }
    this.set_used_event(this.last_used_idx);
    return this.last_used_idx;
  }

  /** virtqueue_poll(): did the device use buffers since `last`? */
  poll(last: number): boolean {
    virtio_mb();
    return last !== this.used_idx();
  }

  /**
   * virtqueue_enable_cb(): interrupts on; false when buffers arrived meanwhile — the caller must
   * poll again rather than wait for an interrupt that may never come.
   */
  enable_cb(): boolean {
    return !this.poll(this.enable_cb_prepare());
  }

  /** Give the indirect area back (vring_del_virtqueue). */
  free_indirect(): void {
    if (this.indirect_area === null) return;
    dma_free_coherent(this.dma_dev, this.indirect_area.size, this.indirect_area);
    this.indirect_area = null;
  }

  /** virtqueue_detach_unused_buf(): after a reset, take back a buffer the device never used. */
  detach_unused_buf(): unknown {
    for (let i = 0; i < this.num; i++) {
      const data = this.desc_state[i];
      if (data === null) continue;
      this.detach_buf(i);
      this.avail_idx_shadow = (this.avail_idx_shadow - 1) & 0xffff;
      this.v.setUint16(this.avail_off + 2, this.avail_idx_shadow, true);
      return data;
    }
    return null;
  }
}

/**
 * vring_create_virtqueue(): a queue of `num` entries (a power of two) in one coherent allocation
 * for `dma_dev`, the device the transport found. Null when memory is short or `num` is invalid.
 */
export function vring_create_virtqueue(
  index: number,
  num: number,
  vring_align: number,
  dma_dev: DmaDevice,
  event_idx: boolean,
  indirect: boolean,
  notify: (vq: VirtQueue) => boolean,
  callback: ((vq: VirtQueue) => void) | null,
  name: string,
): VirtQueue | null {
  if (num === 0 || (num & (num - 1)) !== 0 || num > 32768) return null;
  const ring = dma_alloc_coherent(dma_dev, vring_layout(num, vring_align).size);
  if (ring === null) return null;
  return new VirtQueue(index, num, ring, vring_align, dma_dev, event_idx, indirect, notify, callback, name);
}

/** vring_del_virtqueue(): free the ring (every buffer must have been detached). */
export function vring_del_virtqueue(vq: VirtQueue): void {
  vq.free_indirect();
  dma_free_coherent(vq.dma_dev, vq.ring.size, vq.ring);
}

/* Linux's free functions over the queue, for drivers that read like virtio_net.c. */
export const virtqueue_add_sgs = (vq: VirtQueue, sgs: readonly Scatterlist[], out: number, inn: number, data: unknown): number => vq.add(sgs, out, inn, data);
/** virtqueue_add_outbuf(): the first `num` entries of `sgs`, device-readable. */
export const virtqueue_add_outbuf = (vq: VirtQueue, sgs: readonly Scatterlist[], num: number, data: unknown): number => vq.add(sgs, num, 0, data);
/** virtqueue_add_inbuf(): the first `num` entries of `sgs`, device-writable. */
export const virtqueue_add_inbuf = (vq: VirtQueue, sgs: readonly Scatterlist[], num: number, data: unknown): number => vq.add(sgs, 0, num, data);
export const virtqueue_kick_prepare = (vq: VirtQueue): boolean => vq.kick_prepare();
/** virtqueue_notify(): ring the doorbell; a failure breaks the queue. */
export function virtqueue_notify(vq: VirtQueue): boolean {
  if (vq.broken) return false;
  if (!vq.notify(vq)) {
    vq.broken = true;
    return false;
  }
  return true;
}
/** virtqueue_kick(): kick_prepare, then notify if the device wants it. */
export function virtqueue_kick(vq: VirtQueue): boolean {
  return vq.kick_prepare() ? virtqueue_notify(vq) : true;
}
export const virtqueue_get_buf = (vq: VirtQueue, len_out?: { len: number }): unknown => vq.get_buf(len_out);
export const virtqueue_disable_cb = (vq: VirtQueue): void => vq.disable_cb();
export const virtqueue_enable_cb = (vq: VirtQueue): boolean => vq.enable_cb();
export const virtqueue_detach_unused_buf = (vq: VirtQueue): unknown => vq.detach_unused_buf();
export const virtqueue_get_vring_size = (vq: VirtQueue): number => vq.num;

/** vring_interrupt(): the device said "used buffers" — run the queue's callback if it has any. Hard-IRQ context. */
export function vring_interrupt(_irq: number, vq: VirtQueue): IrqReturn {
  if (!vq.more_used()) return IRQ_NONE;
  if (vq.broken) return IRQ_HANDLED;
  vq.callback?.(vq);
  return IRQ_HANDLED;
}
