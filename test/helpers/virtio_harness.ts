/**
 * Bare-metal access to a virtio-net model for register-level tests: no kernel, no driver — config
 * space through ECAM, the modern BAR's structures by MMIO, and split rings written straight into
 * physical memory, as a qtest (QEMU's libqos virtio-pci) does.
 */
import { PCI_COMMAND, PCI_COMMAND_MASTER, PCI_COMMAND_MEMORY } from "../../include/kernel/pci.ts";
import {
  VIRTIO_CONFIG_S_ACKNOWLEDGE,
  VIRTIO_CONFIG_S_DRIVER,
  VIRTIO_CONFIG_S_DRIVER_OK,
  VIRTIO_CONFIG_S_FEATURES_OK,
} from "../../include/uapi/linux/virtio_config.ts";
import * as C from "../../include/uapi/linux/virtio_pci.ts";
import { VIRTIO_NET_F_MAC, VIRTIO_NET_F_STATUS } from "../../include/uapi/linux/virtio_net.ts";
import { VRING_DESC_F_NEXT, VRING_DESC_F_WRITE } from "../../include/uapi/linux/virtio_ring.ts";
import { MEMORY_MAP } from "../../hw/firmware.ts";
import type { Machine } from "../../hw/machine.ts";
import { net_connect } from "../../hw/net/net_endpoint.ts";
import { VirtioNet } from "../../hw/net/virtio_net.ts";
import { World } from "../../hw/world.ts";
import { MAC_A, Sink } from "./nic_harness.ts";

/** One buffer segment of a chain the test posts. */
export interface Seg {
  addr: number;
  len: number;
  write?: boolean;
}

/** The driver side of one split ring in physical memory (desc, then avail, then used 4 KiB on). */
export class DrvRing {
  readonly m: Machine;
  readonly num: number;
  readonly desc: number;
  readonly avail: number;
  readonly used: number;
  avail_idx = 0;
  last_used = 0;
  next_desc = 0;

  constructor(m: Machine, base: number, num: number) {
    this.m = m;
    this.num = num;
    this.desc = base;
    this.avail = base + 16 * num;
    this.used = (this.avail + 6 + 2 * num + 0xfff) & ~0xfff;
    m.mem.u8.fill(0, base, this.used + 6 + 8 * num);
  }

  private get v(): DataView {
    return this.m.mem.view;
  }

  /** Write descriptor `i` raw. */
  set_desc(i: number, addr: number, len: number, flags: number, next: number, table = this.desc): void {
    const d = table + 16 * i;
    this.v.setUint32(d, addr % 0x100000000, true);
    this.v.setUint32(d + 4, Math.floor(addr / 0x100000000), true);
    this.v.setUint32(d + 8, len, true);
    this.v.setUint16(d + 12, flags, true);
    this.v.setUint16(d + 14, next, true);
  }

  /** Chain `segs` through fresh descriptors and return the head (not yet made available). */
  chain(segs: Seg[]): number {
    const head = this.next_desc;
    segs.forEach((s, k) => {
      const i = (head + k) % this.num;
      const last = k === segs.length - 1;
      this.set_desc(i, s.addr, s.len, (s.write ? VRING_DESC_F_WRITE : 0) | (last ? 0 : VRING_DESC_F_NEXT), last ? 0 : (i + 1) % this.num);
    });
    this.next_desc = (head + segs.length) % this.num;
    return head;
  }

  /** Put `head` in the available ring and publish avail.idx. */
  make_available(head: number): void {
    this.v.setUint16(this.avail + 4 + 2 * (this.avail_idx % this.num), head, true);
    this.avail_idx = (this.avail_idx + 1) & 0xffff;
    this.v.setUint16(this.avail + 2, this.avail_idx, true);
  }

  add(segs: Seg[]): number {
    const head = this.chain(segs);
    this.make_available(head);
    return head;
  }

  get used_idx(): number {
    return this.v.getUint16(this.used + 2, true);
  }

  get used_flags(): number {
    return this.v.getUint16(this.used, true);
  }

  get avail_event(): number {
    return this.v.getUint16(this.used + 4 + 8 * this.num, true);
  }

  set used_event(v: number) {
    this.v.setUint16(this.avail + 4 + 2 * this.num, v, true);
  }

  set avail_flags(v: number) {
    this.v.setUint16(this.avail, v, true);
  }

  /** Used elements published since the last call. */
  reap(): { id: number; len: number }[] {
    const out: { id: number; len: number }[] = [];
    while (this.last_used !== this.used_idx) {
      const e = this.used + 4 + 8 * (this.last_used % this.num);
      out.push({ id: this.v.getUint32(e, true), len: this.v.getUint32(e + 4, true) });
      this.last_used = (this.last_used + 1) & 0xffff;
    }
    return out;
  }
}

export class VirtioDrv {
  readonly m: Machine;
  readonly dev: VirtioNet;
  readonly bar4: number;
  readonly bar1: number;
  readonly ecam: number;

  constructor(m: Machine, dev: VirtioNet) {
    this.m = m;
    this.dev = dev;
    this.bar4 = dev.bar_address(4);
    this.bar1 = dev.bar_address(1);
    this.ecam = MEMORY_MAP.ECAM_BASE + (dev.devfn << 12);
  }

  cfg_read(off: number, w: 1 | 2 | 4): number {
    return this.m.mmio.read(this.ecam + off, w);
  }
  cfg_write(off: number, w: 1 | 2 | 4, v: number): void {
    this.m.mmio.write(this.ecam + off, w, v >>> 0);
  }
  rd(off: number, w: 1 | 2 | 4 = 4): number {
    return this.m.mmio.read(this.bar4 + off, w);
  }
  wr(off: number, w: 1 | 2 | 4, v: number): void {
    this.m.mmio.write(this.bar4 + off, w, v >>> 0);
  }
  get status(): number {
    return this.rd(C.VIRTIO_PCI_COMMON_STATUS, 1);
  }
  set_status(v: number): void {
    this.wr(C.VIRTIO_PCI_COMMON_STATUS, 1, v);
  }
  isr(): number {
    return this.rd(0x1000, 1);
  }
  net_cfg(off: number, w: 1 | 2 | 4): number {
    return this.rd(0x2000 + off, w);
  }
  kick(q: number): void {
    this.wr(0x3000 + 4 * q, 2, q);
  }
  get irq_level(): boolean {
    return this.dev.irq_pin!.level;
  }

  device_features(): [number, number] {
    this.wr(C.VIRTIO_PCI_COMMON_DFSELECT, 4, 0);
    const lo = this.rd(C.VIRTIO_PCI_COMMON_DF);
    this.wr(C.VIRTIO_PCI_COMMON_DFSELECT, 4, 1);
    return [lo, this.rd(C.VIRTIO_PCI_COMMON_DF)];
  }

  /** Reset, ACK, DRIVER, write features, FEATURES_OK; returns the status read back. */
  negotiate(lo: number, hi = 1): number {
    this.set_status(0);
    this.set_status(VIRTIO_CONFIG_S_ACKNOWLEDGE);
    this.set_status(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
    this.wr(C.VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
    this.wr(C.VIRTIO_PCI_COMMON_GF, 4, lo);
    this.wr(C.VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
    this.wr(C.VIRTIO_PCI_COMMON_GF, 4, hi);
    this.set_status(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK);
    return this.status;
  }

  /** Program queue `q` with `num` entries at `base` and enable it. */
  setup_queue(q: number, base: number, num = 256, vector?: number): DrvRing {
    const r = new DrvRing(this.m, base, num);
    this.wr(C.VIRTIO_PCI_COMMON_Q_SELECT, 2, q);
    if (num !== this.rd(C.VIRTIO_PCI_COMMON_Q_SIZE, 2)) this.wr(C.VIRTIO_PCI_COMMON_Q_SIZE, 2, num);
    this.wr(C.VIRTIO_PCI_COMMON_Q_DESCLO, 4, r.desc);
    this.wr(C.VIRTIO_PCI_COMMON_Q_DESCHI, 4, 0);
    this.wr(C.VIRTIO_PCI_COMMON_Q_AVAILLO, 4, r.avail);
    this.wr(C.VIRTIO_PCI_COMMON_Q_AVAILHI, 4, 0);
    this.wr(C.VIRTIO_PCI_COMMON_Q_USEDLO, 4, r.used);
    this.wr(C.VIRTIO_PCI_COMMON_Q_USEDHI, 4, 0);
    if (vector !== undefined) this.wr(C.VIRTIO_PCI_COMMON_Q_MSIX, 2, vector);
    this.wr(C.VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
    return r;
  }

  driver_ok(): void {
    this.set_status(this.status | VIRTIO_CONFIG_S_DRIVER_OK);
  }

  /** Negotiate, set up rx (queue 0) and tx (queue 1), DRIVER_OK. */
  bring_up(lo: number): { rx: DrvRing; tx: DrvRing } {
    this.negotiate(lo);
    const rx = this.setup_queue(0, RX_RING);
    const tx = this.setup_queue(1, TX_RING);
    this.driver_ok();
    return { rx, tx };
  }

  /** Let `ns` of virtual time pass (TX bursts continue on the clock). */
  run(ns = 1_000_000): void {
    this.m.clock.advance_to(this.m.clock.now_ns() + ns);
  }
}

/** Physical memory map the tests use. */
export const RX_RING = 0x400000;
export const TX_RING = 0x410000;
export const RX_BUFS = 0x500000;
export const TX_BUFS = 0x600000;
export const SCRATCH = 0x700000;

/** One machine with one virtio-net at slot 3, firmware run, decode + bus master on, wired to a Sink. */
export function virtio_machine(opts: { withhold?: number } = {}): { m: Machine; dev: VirtioNet; drv: VirtioDrv; sink: Sink } {
  const world = new World();
  const m = world.add_machine({ mem_size: 64 << 20 });
  const dev = new VirtioNet(m.clock, { mac: MAC_A, name: "virtio-net.0", withhold: opts.withhold });
  m.pci.plug(dev, 3);
  m.platform();
  const drv = new VirtioDrv(m, dev);
  drv.cfg_write(PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
  m.ioapic.unmask(dev.irq_pin!.gsi);
  const sink = new Sink();
  net_connect(sink, dev);
  return { m, dev, drv, sink };
}

export const bit = (b: number): number => (1 << b) >>> 0;
/** The minimal feature set a driver accepts (VERSION_1 goes in the high word). */
export const BASIC = bit(VIRTIO_NET_F_MAC) | bit(VIRTIO_NET_F_STATUS);
export const HDR = 12;
export const S_NEGOTIATED = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK;

/** Post `frame` behind a 12-byte header `hdr` (zeros by default) as one or two descriptors. */
export function post_tx(drv: VirtioDrv, tx: DrvRing, frame: Uint8Array, slot: number, opts: { split?: boolean; hdr?: Uint8Array } = {}): number {
  const buf = TX_BUFS + slot * 0x1000;
  const u8 = drv.m.mem.u8;
  u8.set(opts.hdr ?? new Uint8Array(HDR), buf);
  u8.set(frame, buf + HDR);
  return opts.split ? tx.add([{ addr: buf, len: HDR }, { addr: buf + HDR, len: frame.length }]) : tx.add([{ addr: buf, len: HDR + frame.length }]);
}

/** Post one device-writable receive buffer of `len` bytes in slot `slot`. */
export function post_rx(rx: DrvRing, slot: number, len: number): number {
  return rx.add([{ addr: RX_BUFS + slot * 0x1000, len, write: true }]);
}

/** The first `len` bytes of receive slot `slot`. */
export function rx_buf(drv: VirtioDrv, slot: number, len: number): Uint8Array {
  return drv.m.mem.u8.slice(RX_BUFS + slot * 0x1000, RX_BUFS + slot * 0x1000 + len);
}
