/**
 * The driver side of split virtqueues, checked against the ring layout of VIRTIO 1.x §2.7: the
 * test plays the device, reading the available ring and descriptors from physical memory and
 * writing used elements back, as a device model does by DMA.
 */
import { describe, expect, it } from "vitest";
import { IRQ_HANDLED, IRQ_NONE } from "../../include/linux/interrupt.ts";
import { dma_debug_error_count, dma_debug_nr_entries } from "../../kernel/dma/debug.ts";
import { pbuf_alloc, pbuf_put } from "../../kernel/mm/pbuf.ts";
import { VRING_AVAIL_F_NO_INTERRUPT, VRING_DESC_F_INDIRECT, VRING_DESC_F_NEXT, VRING_DESC_F_WRITE, VRING_USED_F_NO_NOTIFY, vring_need_event } from "../../include/uapi/linux/virtio_ring.ts";
import {
  type VirtQueue,
  virtqueue_add_inbuf,
  virtqueue_add_outbuf,
  virtqueue_add_sgs,
  virtqueue_detach_unused_buf,
  virtqueue_disable_cb,
  virtqueue_enable_cb,
  virtqueue_get_buf,
  virtqueue_kick,
  vring_create_virtqueue,
  vring_del_virtqueue,
  vring_interrupt,
  VRING_INDIRECT_MAX,
} from "../../drivers/virtio/virtio_ring.ts";
import type { PBuf } from "../../include/net/netdevice.ts";
import { boot_test_machine, type TestMachine } from "../helpers/boot.ts";

const DEV = { name: "0000:00:06.0", driver: { name: "virtio-pci" }, devfn: 6 << 3 };

/** The device's view of a queue: it reads what the driver made available and returns used buffers. */
class FakeDevice {
  last_avail = 0;
  used_idx = 0;
  private readonly tm: TestMachine;
  private readonly vq: VirtQueue;
  constructor(tm: TestMachine, vq: VirtQueue) {
    this.tm = tm;
    this.vq = vq;
  }
  private get v(): DataView {
    return this.tm.machine.mem.view;
  }
  avail_idx(): number {
    return this.v.getUint16(this.vq.avail_addr + 2, true);
  }
  avail_flags(): number {
    return this.v.getUint16(this.vq.avail_addr, true);
  }
  used_event(): number {
    return this.v.getUint16(this.vq.avail_addr + 4 + 2 * this.vq.num, true);
  }
  /** The next available chain: its head and descriptors, or null. */
  pop(): { head: number; descs: { addr: number; len: number; flags: number }[] } | null {
    if (this.last_avail === this.avail_idx()) return null;
    const head = this.v.getUint16(this.vq.avail_addr + 4 + 2 * (this.last_avail % this.vq.num), true);
    this.last_avail = (this.last_avail + 1) & 0xffff;
    const descs: { addr: number; len: number; flags: number }[] = [];
    for (let i = head, n = 0; n < this.vq.num; n++) {
      const o = this.vq.desc_addr + 16 * i;
      const d = { addr: this.v.getUint32(o, true) + this.v.getUint32(o + 4, true) * 0x100000000, len: this.v.getUint32(o + 8, true), flags: this.v.getUint16(o + 12, true) };
      descs.push(d);
      if ((d.flags & VRING_DESC_F_NEXT) === 0) break;
      i = this.v.getUint16(o + 14, true);
    }
    return { head, descs };
  }
  push(head: number, len: number): void {
    const o = this.vq.used_addr + 4 + 8 * (this.used_idx % this.vq.num);
    this.v.setUint32(o, head, true);
    this.v.setUint32(o + 4, len, true);
    this.used_idx = (this.used_idx + 1) & 0xffff;
    this.v.setUint16(this.vq.used_addr + 2, this.used_idx, true);
  }
  set_used_flags(f: number): void {
    this.v.setUint16(this.vq.used_addr, f, true);
  }
  set_avail_event(idx: number): void {
    this.v.setUint16(this.vq.used_addr + 4 + 8 * this.vq.num, idx, true);
  }
}

function setup(num = 8, event_idx = false, indirect = false) {
  const tm = boot_test_machine();
  let kicks = 0;
  const callbacks: number[] = [];
  const vq = vring_create_virtqueue(0, num, 64, DEV, event_idx, indirect, () => (kicks++, true), (q) => callbacks.push(q.index), "input.0")!;
  const dev = new FakeDevice(tm, vq);
  return { tm, vq, dev, kicks: () => kicks, callbacks };
}

function frame(len: number, seed: number): PBuf {
  const p = pbuf_alloc()!;
  p.len = len;
  for (let i = 0; i < len; i++) p.data[p.head + i] = (i + seed) & 0xff;
  return p;
}

describe("split virtqueue, driver side", () => {
  it("lays the ring out as vring_init does and hands out a device-readable chain the device can follow", () => {
    const { tm, vq, dev } = setup(8);
    expect(vq.avail_addr - vq.desc_addr).toBe(16 * 8);
    expect((vq.used_addr - vq.desc_addr) % 64).toBe(0);
    const hdr = pbuf_alloc()!;
    const p = frame(60, 1);
    expect(virtqueue_add_outbuf(vq, [{ buf: hdr.data, offset: 0, length: 12 }, { buf: p.data, offset: p.head, length: 60 }], 2, p)).toBe(0);
    expect(vq.num_free).toBe(6);
    const chain = dev.pop()!;
    expect(chain.descs.map((d) => [d.addr, d.len, d.flags])).toEqual([
      [hdr.dma, 12, VRING_DESC_F_NEXT],
      [p.dma + p.head, 60, 0],
    ]);
    expect(tm.machine.mem.u8[chain.descs[1]!.addr + 5]).toBe(6);
    dev.push(chain.head, 0);
    expect(virtqueue_get_buf(vq)).toBe(p);
    expect(vq.num_free).toBe(8);
    expect(dma_debug_nr_entries()).toBe(1); // the ring itself; both buffers unmapped
    pbuf_put(p);
    pbuf_put(hdr);
    vring_del_virtqueue(vq);
    expect(dma_debug_nr_entries()).toBe(0);
    expect(dma_debug_error_count()).toBe(0);
  });

  it("receive buffers are device-writable; the used length says how much the device wrote", () => {
    const { tm, vq, dev } = setup(8);
    const p = pbuf_alloc()!;
    expect(virtqueue_add_inbuf(vq, [{ buf: p.data, offset: 0, length: 2048 }], 1, p)).toBe(0);
    const chain = dev.pop()!;
    expect(chain.descs[0]!.flags).toBe(VRING_DESC_F_WRITE);
    tm.machine.mem.u8.fill(0xab, chain.descs[0]!.addr, chain.descs[0]!.addr + 100);
    dev.push(chain.head, 100);
    const len = { len: 0 };
    expect(virtqueue_get_buf(vq, len)).toBe(p);
    expect(len.len).toBe(100);
    expect(p.data[99]).toBe(0xab);
    pbuf_put(p);
    expect(dma_debug_error_count()).toBe(0);
  });

  it("runs out with -ENOSPC, reuses descriptors, and keeps going past the 16-bit index wrap", () => {
    const { vq, dev } = setup(4);
    const bufs = [0, 1, 2, 3].map((i) => frame(60, i));
    for (const b of bufs) expect(virtqueue_add_outbuf(vq, [{ buf: b.data, offset: b.head, length: 60 }], 1, b)).toBe(0);
    const extra = frame(60, 9);
    expect(virtqueue_add_outbuf(vq, [{ buf: extra.data, offset: extra.head, length: 60 }], 1, extra)).toBe(-28);
    for (let round = 0; round < 70_000; round++) {
      const c = dev.pop()!;
      dev.push(c.head, 0);
      const b = virtqueue_get_buf(vq) as PBuf;
      expect(virtqueue_add_outbuf(vq, [{ buf: b.data, offset: b.head, length: 60 }], 1, b)).toBe(0);
    }
    expect(dev.avail_idx()).toBe((4 + 70_000) & 0xffff);
    while (virtqueue_detach_unused_buf(vq) !== null);
    expect(vq.num_free).toBe(4);
    expect(dma_debug_nr_entries()).toBe(1);
    for (const b of [...bufs, extra]) pbuf_put(b);
  });

  it("kicks unless the device asked not to, by flag or by event index", () => {
    const plain = setup(8);
    const p = frame(60, 0);
    virtqueue_add_outbuf(plain.vq, [{ buf: p.data, offset: p.head, length: 60 }], 1, p);
    expect(virtqueue_kick(plain.vq)).toBe(true);
    expect(plain.kicks()).toBe(1);
    plain.dev.set_used_flags(VRING_USED_F_NO_NOTIFY);
    const q = frame(60, 1);
    virtqueue_add_outbuf(plain.vq, [{ buf: q.data, offset: q.head, length: 60 }], 1, q);
    virtqueue_kick(plain.vq);
    expect(plain.kicks()).toBe(1);

    const ev = setup(8, true);
    ev.dev.set_avail_event(1); // "tell me when you make index 1 available" (i.e. after the second buffer)
    const bufs = [0, 1, 2].map((i) => frame(60, i));
    virtqueue_add_outbuf(ev.vq, [{ buf: bufs[0]!.data, offset: bufs[0]!.head, length: 60 }], 1, bufs[0]);
    virtqueue_kick(ev.vq);
    expect(ev.kicks()).toBe(0); // idx 0 → 1 does not cross event 1
    virtqueue_add_outbuf(ev.vq, [{ buf: bufs[1]!.data, offset: bufs[1]!.head, length: 60 }], 1, bufs[1]);
    virtqueue_kick(ev.vq);
    expect(ev.kicks()).toBe(1); // 1 → 2 crosses it
    expect(vring_need_event(0xffff, 0x0001, 0xfffe)).toBe(true); // across the wrap
    expect(vring_need_event(5, 5, 4)).toBe(false);
  });

  it("interrupt suppression: disable_cb / enable_cb, and enable_cb says when buffers slipped in", () => {
    const { vq, dev } = setup(8);
    const p = frame(60, 0);
    virtqueue_add_outbuf(vq, [{ buf: p.data, offset: p.head, length: 60 }], 1, p);
    virtqueue_disable_cb(vq);
    expect(dev.avail_flags() & VRING_AVAIL_F_NO_INTERRUPT).toBe(VRING_AVAIL_F_NO_INTERRUPT);
    dev.push(dev.pop()!.head, 0);
    expect(virtqueue_enable_cb(vq)).toBe(false); // one arrived meanwhile: poll again
    expect(dev.avail_flags() & VRING_AVAIL_F_NO_INTERRUPT).toBe(0);
    expect(virtqueue_get_buf(vq)).toBe(p);
    expect(virtqueue_enable_cb(vq)).toBe(true);

    const e = setup(8, true);
    const q = frame(60, 0);
    virtqueue_add_outbuf(e.vq, [{ buf: q.data, offset: q.head, length: 60 }], 1, q);
    e.dev.push(e.dev.pop()!.head, 0);
    expect(virtqueue_get_buf(e.vq)).toBe(q);
    expect(e.dev.used_event()).toBe(1); // "interrupt me after used index 1"
  });

  it("vring_interrupt runs the callback only when something was used; a bogus id breaks the queue", () => {
    const { vq, dev, callbacks } = setup(8);
    expect(vring_interrupt(40, vq)).toBe(IRQ_NONE);
    const p = frame(60, 0);
    virtqueue_add_outbuf(vq, [{ buf: p.data, offset: p.head, length: 60 }], 1, p);
    dev.push(dev.pop()!.head, 0);
    expect(vring_interrupt(40, vq)).toBe(IRQ_HANDLED);
    expect(callbacks).toEqual([0]);
    expect(virtqueue_get_buf(vq)).toBe(p);
    dev.push(7, 0); // never made available
    expect(virtqueue_get_buf(vq)).toBeNull();
    expect(vq.broken).toBe(true);
    expect(virtqueue_add_outbuf(vq, [{ buf: p.data, offset: p.head, length: 60 }], 1, p)).toBe(-5);
  });

  it("indirect descriptors: a many-piece buffer takes one ring slot pointing at a table the device can follow", () => {
    const { tm, vq, dev } = setup(4, false, true);
    const v = tm.machine.mem.view;
    const hdr = pbuf_alloc()!;
    const p = frame(60, 3);
    const ack = pbuf_alloc()!;
    const sgs = [
      { buf: hdr.data, offset: 0, length: 2 },
      { buf: p.data, offset: p.head, length: 60 },
      { buf: ack.data, offset: 0, length: 1 },
    ];
    // Four such buffers fit a 4-entry ring (12 pieces): each costs one slot.
    for (let k = 0; k < 4; k++) expect(virtqueue_add_sgs(vq, sgs, 2, 1, k + 1)).toBe(0);
    expect(vq.num_free).toBe(0);
    for (let k = 0; k < 4; k++) {
      const chain = dev.pop()!;
      expect(chain.descs).toHaveLength(1);
      const d = chain.descs[0]!;
      expect(d.flags).toBe(VRING_DESC_F_INDIRECT);
      expect(d.len).toBe(3 * 16);
      const table = [0, 1, 2].map((n) => {
        const o = d.addr + 16 * n;
        return [v.getUint32(o, true), v.getUint32(o + 8, true), v.getUint16(o + 12, true), v.getUint16(o + 14, true)];
      });
      expect(table).toEqual([
        [hdr.dma, 2, VRING_DESC_F_NEXT, 1],
        [p.dma + p.head, 60, VRING_DESC_F_NEXT, 2],
        [ack.dma, 1, VRING_DESC_F_WRITE, 0],
      ]);
      dev.push(chain.head, 1);
    }
    const got: unknown[] = [];
    let t: unknown;
    while ((t = virtqueue_get_buf(vq)) !== null) got.push(t);
    expect(got).toEqual([1, 2, 3, 4]);
    expect(vq.num_free).toBe(4);
    // One piece stays direct; more pieces than a table holds go direct too.
    expect(virtqueue_add_inbuf(vq, [{ buf: ack.data, offset: 0, length: 8 }], 1, "one")).toBe(0);
    expect(dev.pop()!.descs[0]!.flags).toBe(VRING_DESC_F_WRITE);
    const many = Array.from({ length: VRING_INDIRECT_MAX + 1 }, () => ({ buf: ack.data, offset: 0, length: 4 }));
    expect(virtqueue_add_outbuf(vq, many, many.length, "many")).toBe(-28); // -ENOSPC: 3 slots left, 17 direct pieces
    expect(virtqueue_detach_unused_buf(vq)).toBe("one");
    expect(virtqueue_detach_unused_buf(vq)).toBe(null);
    pbuf_put(p);
    pbuf_put(hdr);
    pbuf_put(ack);
    vring_del_virtqueue(vq);
    expect(dma_debug_nr_entries()).toBe(0);
    expect(dma_debug_error_count()).toBe(0);
  });

  it("indirect: a buffer never used comes back whole at detach_unused_buf; a piece that cannot be mapped unmaps the ones before it", async () => {
    const { vq } = setup(4, false, true);
    const a = pbuf_alloc()!;
    const sgs = [
      { buf: a.data, offset: 0, length: 2 },
      { buf: a.data, offset: 64, length: 100 },
      { buf: a.data, offset: 8, length: 1 },
    ];
    expect(virtqueue_add_sgs(vq, sgs, 2, 1, "cmd")).toBe(0);
    expect(dma_debug_nr_entries()).toBe(1 + 1 + 3); // ring, indirect area, three pieces
    expect(virtqueue_detach_unused_buf(vq)).toBe("cmd");
    expect(vq.num_free).toBe(4);
    expect(dma_debug_nr_entries()).toBe(2);
    // A piece outside the kernel's direct map cannot be mapped: -ENOMEM, nothing left mapped.
    const bad = [sgs[0]!, { buf: new Uint8Array(16), offset: 0, length: 16 }, sgs[2]!];
    expect(virtqueue_add_sgs(vq, bad, 2, 1, "bad")).toBe(-12);
    expect(vq.num_free).toBe(4);
    expect(dma_debug_nr_entries()).toBe(2);
    pbuf_put(a);
    vring_del_virtqueue(vq);
    expect(dma_debug_nr_entries()).toBe(0);
  });
});
