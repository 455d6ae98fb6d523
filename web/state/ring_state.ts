/**
 * What the ring panel draws: for every NIC of a machine (e1000 and virtio-net), its descriptor
 * rings as the device and the driver see them, once per animation frame. DOM-free (tested in Node).
 *
 * Sources, all read-only:
 * - device side: the model's register file (E1000.regs: RDBAL/RDBAH/RDLEN/RDH/RDT and the TX
 *   set — the array, never the MMIO handlers, whose reads may clear registers), the virtio queue
 *   state (hw/virtio/virtqueue.ts: last_avail_idx, used_idx, ring addresses);
 * - guest memory: the descriptors themselves, at the device's view of the ring's bus address
 *   (hw/phys_mem.ts; rings are coherent memory, so on a non-coherent machine this is the single
 *   uncached copy both sides use);
 * - driver side, through the kernel (netdev_list() inside with_kernel): the e1000 adapter's
 *   next_to_use / next_to_clean (drivers/net/e1000_adapter.ts, netdev.priv), the virtio queue's
 *   avail shadow, last_used_idx and num_free (drivers/virtio/virtio_ring.ts, netdev.priv.rq/sq).
 *
 * Call only between slices of the run loop (web/panel.ts): never while kernel code runs. Nothing
 * here writes machine or kernel state. The returned array and every object in it are reused and
 * overwritten by the next call on the same WebMachine (the page calls this 60 times a second);
 * typed arrays are reallocated only when a ring's size changes.
 */
import { E1000 } from "../../hw/net/e1000.ts";
import { DESC_SIZE, REG, RXD_ERRORS, RXD_LENGTH, RXD_STAT_DD, RXD_STAT_EOP, RXD_STATUS, TXD_CMD, TXD_CMD_DEXT, TXD_CMD_EOP, TXD_LENGTH, TXD_STAT_DD, TXD_STATUS } from "../../hw/net/e1000_regs.ts";
import { TXD_DTYP_BYTE, TXD_DTYP_CONTEXT, TXD_DTYP_SHIFT } from "../../hw/net/e1000_tx_offload.ts";
import { VirtioNet } from "../../hw/net/virtio_net.ts";
import type { PciDevice } from "../../hw/pci/pci_device.ts";
import type { PhysicalMemory } from "../../hw/phys_mem.ts";
import type { VirtQueue as HwVirtQueue } from "../../hw/virtio/virtqueue.ts";
import { E1000Adapter, type E1000Ring } from "../../drivers/net/e1000_adapter.ts";
import { netdev_list } from "../../drivers/net/netdev.ts";
import { VirtnetInfo } from "../../drivers/net/virtio_net_info.ts";
import type { VirtQueue as DrvVirtQueue } from "../../drivers/virtio/virtio_ring.ts";
import type { NetDevice } from "../../include/net/netdevice.ts";
import { VRING_AVAIL_IDX, VRING_AVAIL_RING, VRING_DESC_F_INDIRECT, VRING_DESC_F_NEXT, VRING_DESC_SIZE, VRING_USED_ELEM_SIZE, VRING_USED_RING } from "../../include/uapi/linux/virtio_ring.ts";
import { with_kernel } from "../../kernel/kernel.ts";
import type { WebMachine } from "./web_machine.ts";

/** Who holds a descriptor (ring slot) now. */
export const DESC_STATE = {
  /** Driver's side, nothing pending: free (TX) or not (yet) given to the device (RX). */
  EMPTY: 0,
  /** Owned by the hardware: between HEAD and TAIL (e1000), made available and not used (virtio). */
  HW: 1,
  /** The device is done with it and the driver has not cleaned it yet: next_to_clean .. HEAD. */
  DONE: 2,
} as const;
export type DescState = (typeof DESC_STATE)[keyof typeof DESC_STATE];

/** Bits of RingSnapshot.flags, decoded from the descriptor in guest memory. */
export const DESC_F = {
  /** Status DD (e1000); used and not yet reaped (virtio). */
  DD: 0x01,
  /** RX status EOP / TX command EOP (e1000 only). */
  EOP: 0x02,
  /** A TX context descriptor (extended, DTYP 0000): no data, EOP bit means something else. */
  CTX: 0x04,
  /** RX errors byte non-zero. */
  ERR: 0x08,
} as const;

export type RingDir = "rx" | "tx" | "ctrl";

/** One ring of one NIC. Reused between calls: read it, don't keep it. */
export class RingSnapshot {
  /** "eth0-tx": the driver's interface name (the device's name while no driver is bound), "-", dir. */
  id = "";
  readonly dir: RingDir;
  /** Descriptors (e1000: RDLEN/16 as the device has it; virtio: the queue size). 0 = not set up. */
  size = 0;
  /** Bus address of the descriptors. */
  base = 0;
  /**
   * Device side. e1000: RDH/RDT (TDH/TDT). virtio: HEAD = used idx (what the device has completed),
   * TAIL = avail idx (what the driver has published), both modulo the size.
   */
  head = 0;
  tail = 0;
  /** Driver side (-1 while no driver is bound). e1000: next_to_use / next_to_clean; virtio: avail shadow / last_used_idx, modulo the size. */
  ntu = -1;
  ntc = -1;
  /** Descriptors whose DD flag is set, with EOP set, owned by the hardware, and done-not-cleaned. */
  dd = 0;
  eop = 0;
  hw_owned = 0;
  done = 0;
  /** Per descriptor: DESC_STATE, DESC_F bits and the length field (bytes). */
  state = new Uint8Array(0);
  flags = new Uint8Array(0);
  len = new Uint32Array(0);
  /**
   * Descriptors the tail, head and next_to_clean moved over, summed across calls (a movement of a
   * whole lap or more between two calls is not seen). Reset to nothing when the ring is moved or resized.
   */
  tail_advances = 0;
  head_advances = 0;
  ntc_advances = 0;
  /** Frames the device moved in this direction (its own counter, cumulative). */
  frames = 0;
  /** The driver's count of packets completed in this direction (netdev stats), -1 without a driver. */
  packets = -1;
  /** virtio only (free-running u16, -1 on e1000 or unknown): avail idx in guest memory, the device's used idx and last_avail_idx, the driver's last_used_idx and free descriptors. */
  avail_idx = -1;
  used_idx = -1;
  last_avail_idx = -1;
  last_used_idx = -1;
  num_free = -1;
  /** The descriptors could not be read (ring outside memory): state and flags are all EMPTY/0. */
  unreadable = false;
  /* Last seen, for the advance counters. */
  private seen_base = -1;
  private seen_size = -1;
  private seen_head = 0;
  private seen_tail = 0;
  private seen_ntc = -1;

  constructor(dir: RingDir) {
    this.dir = dir;
  }

  /** Make the per-descriptor arrays `size` long (reallocating only when it changes). */
  resize(size: number): void {
    this.size = size;
    if (this.state.length !== size) {
      this.state = new Uint8Array(size);
      this.flags = new Uint8Array(size);
      this.len = new Uint32Array(size);
    }
  }

  /** Fold this call's head/tail/ntc into the advance counters (after size/base/head/tail/ntc are set). */
  track(): void {
    const n = this.size;
    if (n === 0 || this.base !== this.seen_base || n !== this.seen_size) {
      this.seen_base = this.base;
      this.seen_size = n;
      this.seen_head = this.head;
      this.seen_tail = this.tail;
      this.seen_ntc = this.ntc;
      return;
    }
    this.tail_advances += (this.tail - this.seen_tail + n) % n;
    this.head_advances += (this.head - this.seen_head + n) % n;
    if (this.ntc >= 0 && this.seen_ntc >= 0) this.ntc_advances += (this.ntc - this.seen_ntc + n) % n;
    this.seen_head = this.head;
    this.seen_tail = this.tail;
    this.seen_ntc = this.ntc;
  }
}

/** One NIC and its rings. Reused between calls. */
export class NicRings {
  /** The device model (stable identity while the card is plugged). */
  readonly device: PciDevice;
  readonly model: "e1000" | "virtio-net";
  /** The interface name once a driver registered it ("eth0"), else the device's name ("e1000.0"). */
  name = "";
  /** PCI address as lspci prints it ("00:03.0"). */
  readonly pci: string;
  /** A driver is bound (driver-side fields are meaningful). */
  bound = false;
  link_up = false;
  /** e1000: [rx, tx]; virtio-net: [rx, tx, ctrl]. */
  readonly rings: readonly RingSnapshot[];

  constructor(device: PciDevice, model: "e1000" | "virtio-net") {
    this.device = device;
    this.model = model;
    const slot = (device.devfn >> 3) & 0x1f;
    this.pci = `00:${slot.toString(16).padStart(2, "0")}.${device.devfn & 7}`;
    this.rings = model === "e1000" ? [new RingSnapshot("rx"), new RingSnapshot("tx")] : [new RingSnapshot("rx"), new RingSnapshot("tx"), new RingSnapshot("ctrl")];
  }
}

/* ---- guest memory, as the device sees it ---- */

/** Host-buffer offset of bus address `addr` for a device (coherent rings: the single copy). */
function dev_off(mem: PhysicalMemory, addr: number): number {
  return mem.cache === null ? addr : mem.cache.device_offset(addr);
}

function readable(mem: PhysicalMemory, addr: number, len: number): boolean {
  return Number.isFinite(addr) && addr >= 0 && len >= 0 && addr + len <= mem.size;
}

function u8_at(mem: PhysicalMemory, addr: number): number {
  return mem.u8[dev_off(mem, addr)]!;
}

function u16_at(mem: PhysicalMemory, addr: number): number {
  return mem.view.getUint16(dev_off(mem, addr), true);
}

function u32_at(mem: PhysicalMemory, addr: number): number {
  return mem.view.getUint32(dev_off(mem, addr), true);
}

/** i in the circular half-open range [from, to) of a ring of n. */
function in_range(i: number, from: number, to: number, n: number): boolean {
  return ((i - from + n) % n) < ((to - from + n) % n);
}

/* ---- e1000 ---- */

function e1000_ring(s: RingSnapshot, nic: E1000, mem: PhysicalMemory, drv: E1000Ring | null, packets: number): void {
  const r = nic.regs;
  const rx = s.dir === "rx";
  const bal = rx ? REG.RDBAL : REG.TDBAL;
  const bah = rx ? REG.RDBAH : REG.TDBAH;
  const dlen = rx ? REG.RDLEN : REG.TDLEN;
  s.base = r[bah >> 2]! * 0x100000000 + ((r[bal >> 2]! & ~0xf) >>> 0);
  s.resize(Math.floor(r[dlen >> 2]! / DESC_SIZE));
  const n = s.size;
  s.head = r[(rx ? REG.RDH : REG.TDH) >> 2]!;
  s.tail = r[(rx ? REG.RDT : REG.TDT) >> 2]!;
  s.ntu = drv !== null ? drv.next_to_use : -1;
  s.ntc = drv !== null ? drv.next_to_clean : -1;
  s.frames = rx ? nic.rx.frames : nic.tx.frames;
  s.packets = packets;
  s.dd = s.eop = s.hw_owned = s.done = 0;
  s.unreadable = n > 0 && !readable(mem, s.base, n * DESC_SIZE);
  // Indices beyond the ring (a driver bug the device warns about) own nothing.
  const head_ok = s.head < n && s.tail < n;
  const ntc_ok = s.ntc >= 0 && s.ntc < n && head_ok;
  for (let i = 0; i < n; i++) {
    let f = 0;
    let len = 0;
    if (!s.unreadable) {
      const d = s.base + i * DESC_SIZE;
      if (rx) {
        const st = u8_at(mem, d + RXD_STATUS);
        if ((st & RXD_STAT_DD) !== 0) f |= DESC_F.DD;
        if ((st & RXD_STAT_EOP) !== 0) f |= DESC_F.EOP;
        if (u8_at(mem, d + RXD_ERRORS) !== 0) f |= DESC_F.ERR;
        len = u16_at(mem, d + RXD_LENGTH);
      } else {
        const cmd = u8_at(mem, d + TXD_CMD);
        if ((u8_at(mem, d + TXD_STATUS) & TXD_STAT_DD) !== 0) f |= DESC_F.DD;
        if ((cmd & TXD_CMD_DEXT) !== 0 && u8_at(mem, d + TXD_DTYP_BYTE) >>> TXD_DTYP_SHIFT === TXD_DTYP_CONTEXT) {
          f |= DESC_F.CTX; // TUCMD shares the byte: bit 0 is TCP here, not EOP
        } else {
          if ((cmd & TXD_CMD_EOP) !== 0) f |= DESC_F.EOP;
          // Legacy: 16-bit length at 8; extended data: DTALEN, the low 20 bits of the dword at 8.
          len = (cmd & TXD_CMD_DEXT) !== 0 ? u32_at(mem, d + TXD_LENGTH) & 0xfffff : u16_at(mem, d + TXD_LENGTH);
        }
      }
    }
    let st: DescState = DESC_STATE.EMPTY;
    if (head_ok && in_range(i, s.head, s.tail, n)) st = DESC_STATE.HW;
    else if (ntc_ok ? in_range(i, s.ntc, s.head, n) : (f & DESC_F.DD) !== 0) st = DESC_STATE.DONE;
    s.state[i] = st;
    s.flags[i] = f;
    s.len[i] = len;
    if ((f & DESC_F.DD) !== 0) s.dd++;
    if ((f & DESC_F.EOP) !== 0) s.eop++;
    if (st === DESC_STATE.HW) s.hw_owned++;
    else if (st === DESC_STATE.DONE) s.done++;
  }
  s.avail_idx = s.used_idx = s.last_avail_idx = s.last_used_idx = s.num_free = -1;
  s.track();
}

/* ---- virtio ---- */

/** The driver's last_used_idx (VirtQueue's read-only view of it). */
function drv_last_used_idx(vq: DrvVirtQueue): number {
  return vq.last_used;
}

function drv_avail_shadow(vq: DrvVirtQueue): number {
  return vq.avail_idx;
}

/** Bytes of the buffer chain starting at descriptor `head` (an indirect table counted by its entries); bounded walk. */
function chain_len(mem: PhysicalMemory, desc: number, n: number, head: number): number {
  let total = 0;
  let i = head;
  for (let hops = 0; hops < n && i < n; hops++) {
    const d = desc + i * VRING_DESC_SIZE;
    const flags = u16_at(mem, d + 12);
    const len = u32_at(mem, d + 8);
    if ((flags & VRING_DESC_F_INDIRECT) !== 0) {
      const table = u32_at(mem, d) + u32_at(mem, d + 4) * 0x100000000;
      const entries = Math.min(Math.floor(len / VRING_DESC_SIZE), 64);
      if (!readable(mem, table, entries * VRING_DESC_SIZE)) return total;
      for (let k = 0; k < entries; k++) total += u32_at(mem, table + k * VRING_DESC_SIZE + 8);
      return total;
    }
    total += len;
    if ((flags & VRING_DESC_F_NEXT) === 0) break;
    i = u16_at(mem, d + 14);
  }
  return total;
}

function virtio_ring(s: RingSnapshot, q: HwVirtQueue | undefined, mem: PhysicalMemory, drv: DrvVirtQueue | null, frames: number, packets: number): void {
  const live = q !== undefined && q.enabled;
  const n = live ? q.num : 0;
  s.base = live ? q.desc : 0;
  s.resize(n);
  s.frames = frames;
  s.packets = packets;
  s.dd = s.eop = s.hw_owned = s.done = 0;
  s.unreadable = live && !(readable(mem, q.desc, n * VRING_DESC_SIZE) && readable(mem, q.avail, VRING_AVAIL_RING + 2 * n) && readable(mem, q.used, VRING_USED_RING + VRING_USED_ELEM_SIZE * n));
  if (!live || s.unreadable) {
    s.head = s.tail = 0;
    s.ntu = s.ntc = -1;
    s.avail_idx = s.used_idx = s.last_avail_idx = s.last_used_idx = s.num_free = -1;
    s.state.fill(0);
    s.flags.fill(0);
    s.len.fill(0);
    s.track();
    return;
  }
  const avail_idx = u16_at(mem, q.avail + VRING_AVAIL_IDX);
  const used_idx = q.used_idx & 0xffff;
  // Free-running u16 indices; the driver's are meaningful only for the queue it created on these rings.
  const mine = drv !== null && drv.desc_addr === q.desc;
  const last_used = mine ? drv_last_used_idx(drv) & 0xffff : -1;
  s.avail_idx = avail_idx;
  s.used_idx = used_idx;
  s.last_avail_idx = q.last_avail_idx & 0xffff;
  s.last_used_idx = last_used;
  s.num_free = mine ? drv.num_free : -1;
  const mask = n - 1;
  s.head = used_idx & mask;
  s.tail = avail_idx & mask;
  s.ntu = mine ? drv_avail_shadow(drv) & mask : -1;
  s.ntc = last_used >= 0 ? last_used & mask : -1;
  // In index space: [used, avail) is the device's, [last_used, used) done and not reaped.
  const hw_count = (avail_idx - used_idx) & 0xffff;
  const done_count = last_used >= 0 ? (used_idx - last_used) & 0xffff : 0;
  for (let k = 0; k < n; k++) {
    // Slot k's most recent index at or below avail_idx: the ring position k holds.
    const back = (s.tail - k + n) & mask; // how far behind avail idx this slot's entry is (1..n)
    const dist = back === 0 ? n : back;
    let st: DescState = DESC_STATE.EMPTY;
    let f = 0;
    let len = 0;
    if (dist <= hw_count) {
      st = DESC_STATE.HW;
      const head = u16_at(mem, q.avail + VRING_AVAIL_RING + 2 * k);
      len = chain_len(mem, q.desc, n, head);
    } else if (dist <= hw_count + done_count || avail_idx >= n || k < avail_idx) {
      // Done, or reaped: the slot still holds its last used element (shown as the last length).
      if (dist <= hw_count + done_count) {
        st = DESC_STATE.DONE;
        f = DESC_F.DD;
      }
      const e = q.used + VRING_USED_RING + VRING_USED_ELEM_SIZE * k;
      len = u32_at(mem, e + 4);
      if (len === 0) {
        const id = u32_at(mem, e);
        if (id < n) len = chain_len(mem, q.desc, n, id); // TX completes with used len 0: show the frame's
      }
    }
    s.state[k] = st;
    s.flags[k] = f;
    s.len[k] = len;
    if (st === DESC_STATE.HW) s.hw_owned++;
    else if (st === DESC_STATE.DONE) {
      s.done++;
      s.dd++;
    }
  }
  s.track();
}

/* ---- the machine's NICs ---- */

class MachineRings {
  readonly nics = new Map<PciDevice, NicRings>();
  readonly out: NicRings[] = [];
  readonly list: () => readonly NetDevice[] = () => netdev_list();
}

const cache = new WeakMap<WebMachine, MachineRings>();

function devfn_of(dev: NetDevice): number {
  const p = dev.priv;
  if (p instanceof E1000Adapter) return p.pdev.bus === 0 ? p.pdev.devfn : -1;
  if (p instanceof VirtnetInfo) return p.vdev.dma_dev.bus === 0 ? p.vdev.dma_dev.devfn : -1;
  return -1;
}

/**
 * Every e1000 and virtio-net of `wm`'s machine, in PCI order, with its rings now. The result and
 * its objects are reused by the next call for the same machine.
 */
export function ring_snapshot(wm: WebMachine): readonly NicRings[] {
  let mc = cache.get(wm);
  if (mc === undefined) {
    mc = new MachineRings();
    cache.set(wm, mc);
  }
  const mem = wm.machine.mem;
  const netdevs = with_kernel(wm.kernel, mc.list);
  const out = mc.out;
  out.length = 0;
  for (const dev of wm.machine.pci.devices.values()) {
    const model = dev instanceof E1000 ? "e1000" : dev instanceof VirtioNet ? "virtio-net" : null;
    if (model === null) continue;
    let nic = mc.nics.get(dev);
    if (nic === undefined) {
      nic = new NicRings(dev, model);
      mc.nics.set(dev, nic);
    }
    let nd: NetDevice | null = null;
    for (const d of netdevs) {
      if (devfn_of(d) === dev.devfn) {
        nd = d;
        break;
      }
    }
    nic.bound = nd !== null;
    const name = nd !== null ? nd.name : dev.name;
    if (nic.name !== name) {
      nic.name = name;
      for (const r of nic.rings) r.id = `${name}-${r.dir}`;
    }
    if (dev instanceof E1000) {
      nic.link_up = dev.link_up;
      const a = nd !== null ? (nd.priv as E1000Adapter) : null;
      e1000_ring(nic.rings[0]!, dev, mem, a !== null && a.rx_ring.desc !== null ? a.rx_ring : null, nd !== null ? nd.stats.rx_packets : -1);
      e1000_ring(nic.rings[1]!, dev, mem, a !== null && a.tx_ring.desc !== null ? a.tx_ring : null, nd !== null ? nd.stats.tx_packets : -1);
    } else if (dev instanceof VirtioNet) {
      nic.link_up = dev.link_up;
      const vi = nd !== null ? (nd.priv as VirtnetInfo) : null;
      const st = dev.stats;
      virtio_ring(nic.rings[0]!, dev.queues[0], mem, vi?.rq ?? null, st.rx_frames, nd !== null ? nd.stats.rx_packets : -1);
      virtio_ring(nic.rings[1]!, dev.queues[1], mem, vi?.sq ?? null, st.tx_frames, nd !== null ? nd.stats.tx_packets : -1);
      virtio_ring(nic.rings[2]!, dev.queues[2], mem, vi?.ctrl?.cvq ?? null, st.ctrl_commands, vi?.ctrl?.commands ?? -1);
    }
    out.push(nic);
  }
  // Forget cards that were unplugged.
  if (mc.nics.size > out.length) for (const d of mc.nics.keys()) if (!out.some((n) => n.device === d)) mc.nics.delete(d);
  return out;
}
