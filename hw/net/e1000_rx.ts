import { memcpy } from "../../lib/string.ts";
import { host_alloc, type OnchipAlloc, view_of } from "../phys_mem.ts";
import { crc32 } from "./crc32.ts";
import type { E1000 } from "./e1000.ts";
import {
  CTRL_VME,
  DESC_SIZE,
  ICR_RXDMT0,
  ICR_RXO,
  RAH_AV,
  RCTL_BAM,
  RCTL_BSEX,
  RCTL_BSIZE_MASK,
  RCTL_BSIZE_SHIFT,
  RCTL_EN,
  RCTL_LPE,
  RCTL_MO_MASK,
  RCTL_MO_SHIFT,
  RCTL_MPE,
  RCTL_RDMTS_MASK,
  RCTL_RDMTS_SHIFT,
  RCTL_SBP,
  RCTL_SECRC,
  RCTL_UPE,
  RCTL_VFE,
  REG,
  E1000_PB_KIB,
  PBA_RXA_MASK,
  RXD_STAT_DD,
  RXD_STAT_EOP,
  RXD_STAT_VP,
  STAT,
} from "./e1000_regs.ts";
import { e1000_rx_csum_bits, e1000_rx_packet_csum } from "./e1000_rx_csum.ts";
import { RX_FIFO_BYTES, RxFifo } from "./e1000_rx_fifo.ts";
import { mac_str } from "./e1000_tx.ts";
import { RX_NO_LINK } from "./net_endpoint.ts";

/**
 * The longest frame (without FCS) the receiver takes in, whatever RCTL says: the 8254x handles
 * packets up to 16384 bytes (SDM 3.2.2, RCTL.LPE 13.4.22). Longer ones — which only a socket
 * back-end can deliver (QEMU allows records up to 69,632 bytes) — are counted in ROC and dropped,
 * even with RCTL.SBP set. The staging buffers are sized for this plus the FCS.
 */
export const E1000_MAX_RX_FRAME = 16384;
/**
 * Without RCTL.SBP: the longest frame accepted, FCS not counted. SDM 13.4.22 LPE: "a long packet
 * is one longer than 1522 bytes" and 13.7 ROC count from the destination address through the CRC,
 * so 1518 + FCS with LPE clear (a full-MTU 802.1Q-tagged frame; an untagged one of the same length
 * passes too — the check is on length alone), and 16384 − 4 with LPE set. QEMU
 * (e1000x_is_oversized) uses the same two limits.
 */
export const E1000_MAX_RX_SHORT = 1518;
export const E1000_MAX_RX_LONG = E1000_MAX_RX_FRAME - 4;

/**
 * Receive state: reusable buffers for padding, VLAN stripping, the CRC and the FIFO (nothing per
 * frame), in the NIC's on-chip memory once it is realized (see TxState).
 */
export class RxState {
  readonly desc: Uint8Array;
  readonly dv: DataView;
  /** Write-back half of a descriptor: length, checksum, status, errors, special. */
  readonly wb: Uint8Array;
  readonly wbv: DataView;
  /** A frame that had to be changed (padded, tag removed, CRC appended) is staged here. */
  readonly staged: Uint8Array;
  /** The on-chip receive FIFO (e1000_rx_fifo.ts), and where its oldest frame is copied out. */
  readonly fifo: RxFifo;
  readonly fifo_out: Uint8Array;
  /** Software has written RDT at least once since reset. */
  rdt_written = false;
  frames = 0;
  filtered = 0;
  missed = 0;
  /** Frames the FIFO still held when CTRL.RST or RCTL.EN clear flushed it (also in MPC). */
  fifo_flushed = 0;
  /** Frames lost because a receive DMA master-aborted (also in TPR, not in GPRC). */
  dma_dropped = 0;

  constructor(alloc: OnchipAlloc = host_alloc) {
    this.desc = alloc(DESC_SIZE);
    this.dv = view_of(this.desc);
    this.wb = alloc(8);
    this.wbv = view_of(this.wb);
    this.staged = alloc(E1000_MAX_RX_FRAME + 8);
    this.fifo = new RxFifo(alloc(RX_FIFO_BYTES));
    this.fifo_out = alloc(E1000_MAX_RX_FRAME + 8);
  }

  reset(): void {
    this.rdt_written = false;
  }
}

/** RCTL.BSIZE/BSEX → bytes per receive buffer (SDM 13.4.22). */
export function rx_buffer_size(rctl: number): number {
  const bsize = (rctl & RCTL_BSIZE_MASK) >>> RCTL_BSIZE_SHIFT;
  if ((rctl & RCTL_BSEX) !== 0) return bsize === 1 ? 16384 : bsize === 2 ? 8192 : bsize === 3 ? 4096 : 2048;
  return bsize === 1 ? 1024 : bsize === 2 ? 512 : bsize === 3 ? 256 : 2048;
}

/** The 12-bit multicast hash of a destination address for RCTL.MO (SDM 13.5.1). */
export function mta_hash(b4: number, b5: number, mo: number): number {
  switch (mo) {
    case 0:
      return ((b4 >>> 4) | (b5 << 4)) & 0xfff;
    case 1:
      return ((b4 >>> 3) | (b5 << 5)) & 0xfff;
    case 2:
      return ((b4 >>> 2) | (b5 << 6)) & 0xfff;
    default:
      return (b4 | (b5 << 8)) & 0xfff;
  }
}

/**
 * Destination address filtering (SDM 3.2.1, 13.5; QEMU e1000x_rx_group_filter): broadcast passes
 * with BAM; other multicast with MPE; unicast with UPE; then anything matching a valid receive
 * address, then any group address — broadcast included — whose MTA hash bit is set. RCTL.BAM
 * (13.4.22): "0b = ignore broadcast (unless it matches through exact or imperfect filters)": MPE
 * is neither, so a broadcast with MPE set and BAM clear is refused, as in QEMU since 8.1.
 */
function rx_filter(s: E1000, f: Uint8Array): boolean {
  const r = s.regs;
  const rctl = r[REG.RCTL >> 2]!;
  const lo = (f[0]! | (f[1]! << 8) | (f[2]! << 16) | (f[3]! << 24)) >>> 0;
  const hi = f[4]! | (f[5]! << 8);
  const mcast = (f[0]! & 1) !== 0;
  const bcast = lo === 0xffffffff && hi === 0xffff;
  if (bcast) {
    if ((rctl & RCTL_BAM) !== 0) return true;
  } else if (mcast) {
    if ((rctl & RCTL_MPE) !== 0) return true;
  } else if ((rctl & RCTL_UPE) !== 0) {
    return true;
  }
  for (let i = 0; i < 16; i++) {
    const rah = r[(REG.RA + 8 * i + 4) >> 2]!;
    if ((rah & RAH_AV) !== 0 && r[(REG.RA + 8 * i) >> 2] === lo && (rah & 0xffff) === hi) return true;
  }
  if (mcast) {
    const h = mta_hash(f[4]!, f[5]!, (rctl & RCTL_MO_MASK) >>> RCTL_MO_SHIFT);
    if ((r[(REG.MTA >> 2) + (h >>> 5)]! & (1 << (h & 31))) !== 0) return true;
  }
  return false;
}

/** RX FIFO overrun (SDM 13.7: MPC; 13.4.17: ICR.RXO) — the injected rx_overrun fault. */
function overrun(s: E1000): void {
  s.rx.missed++;
  s.stat_inc(STAT.MPC);
  s.set_ics(ICR_RXO);
  if (s.trace_on("rxerr")) s.trace("rxerr", "frame missed: receive FIFO overrun (injected)");
}

/** No descriptors and no room left in the FIFO: the frame is missed (MPC, ICR.RXO). */
function missed(s: E1000, why: string): void {
  s.rx.missed++;
  s.stat_inc(STAT.MPC);
  s.set_ics(ICR_RXO);
  if (s.trace_on("rxerr")) s.trace("rxerr", `frame missed: ${why}`);
}

/** The frame's tag is stripped on the way to memory (CTRL.VME and an EtherType equal to VET). */
function strips_tag(s: E1000, f: Uint8Array): boolean {
  return strips_type(s, (f[12]! << 8) | f[13]!);
}

/** A frame whose EtherType field is `type` has its VLAN tag stripped (CTRL.VME and VET). */
function strips_type(s: E1000, type: number): boolean {
  const r = s.regs;
  return (r[REG.CTRL >> 2]! & CTRL_VME) !== 0 && type === (r[REG.VET >> 2]! & 0xffff);
}

/** Bytes a frame f[0..n) puts in receive buffers: the tag out if stripped, the FCS in unless SECRC. */
function rx_total(s: E1000, f: Uint8Array, n: number): number {
  return rx_total_typed(s, n, (f[12]! << 8) | f[13]!);
}

function rx_total_typed(s: E1000, n: number, type: number): number {
  return n - (strips_type(s, type) ? 4 : 0) + ((s.regs[REG.RCTL >> 2]! & RCTL_SECRC) === 0 ? 4 : 0);
}

/** The ring has enough descriptors the driver handed over (RDH up to, not including, RDT) for `total` bytes. */
function rx_has_bufs(s: E1000, total: number): boolean {
  const r = s.regs;
  const size = r[REG.RDLEN >> 2]! >>> 4;
  const head = r[REG.RDH >> 2]!;
  const tail = r[REG.RDT >> 2]!;
  if (size === 0 || head >= size || tail >= size) return false; // no usable ring: nothing handed over
  const free = tail >= head ? tail - head : size - head + tail;
  return free * rx_buffer_size(r[REG.RCTL >> 2]!) >= total;
}

/**
 * The ring, even with every descriptor handed over (one always stays with software: RDH == RDT
 * means empty), cannot hold `total` bytes. Waiting in the FIFO would block every later frame for
 * good, so such a frame is missed at once, as QEMU misses it.
 */
function rx_never_fits(s: E1000, total: number): boolean {
  const r = s.regs;
  const size = r[REG.RDLEN >> 2]! >>> 4;
  return size > 1 && (size - 1) * rx_buffer_size(r[REG.RCTL >> 2]!) < total;
}

/** Receive FIFO size in bytes: PBA.RXA KiB of the 64 KiB packet buffer (SDM 13.4.24). */
function rx_fifo_capacity(s: E1000): number {
  return Math.min(s.regs[REG.PBA >> 2]! & PBA_RXA_MASK, E1000_PB_KIB) * 1024;
}

/**
 * A frame arrives from the wire (or from our own transmitter in loopback). Check its size, filter
 * it, then DMA it into the descriptors from RDH (e1000_rx_dma) — or, when the driver has not
 * handed over enough descriptors, keep it in the on-chip FIFO (RNBC) until an RDT write returns
 * some (e1000_rx_fifo_drain); a frame the FIFO has no room for is missed (MPC, RXO). A descriptor
 * the driver still owns (at or past RDT) is never written.
 *
 * `frame[0..len)` is the caller's and is not kept; it is copied once, into guest memory or the FIFO.
 */
export function e1000_receive(s: E1000, frame: Uint8Array, len: number, loopback = false): boolean {
  const r = s.regs;
  const rx = s.rx;
  if (!loopback && !s.phy.link_up) return RX_NO_LINK; // no carrier: the PHY hears nothing; the sender counts it
  // A length the frame cannot back (a confused sender) is cut to the bytes that are there.
  if (!(len >= 0)) len = 0; // NaN too
  if (len > frame.length) len = frame.length;
  len = Math.floor(len);
  const rctl = r[REG.RCTL >> 2]!;
  // From here every frame is in TPR/TOR, and GPRC counts those that reach memory: TPR minus the
  // accepted ones are the refused (filter, RCTL.EN clear, VLAN filter, DMA errors); MPC and ROC
  // name the rest, and the FIFO holds the ones still waiting (SDM 13.7).
  s.stat_inc(STAT.TPR);
  s.stat_add64(STAT.TORL, Math.max(len, 60) + 4);
  if ((rctl & RCTL_EN) === 0) {
    if (s.trace_on("rxerr")) s.trace("rxerr", "receiver disabled (RCTL.EN clear): frame dropped");
    return true;
  }
  const max = (rctl & RCTL_LPE) !== 0 ? E1000_MAX_RX_LONG : E1000_MAX_RX_SHORT;
  if (len > E1000_MAX_RX_FRAME || (len > max && (rctl & RCTL_SBP) === 0)) {
    s.stat_inc(STAT.ROC);
    if (len > E1000_MAX_RX_FRAME) s.warn_once("rx-huge", `a frame of ${len} bytes arrived; the receiver holds at most ${E1000_MAX_RX_FRAME} (even with RCTL.SBP): dropped and counted in ROC`);
    if (s.trace_on("rxerr")) s.trace("rxerr", `oversize frame of ${len} bytes dropped (LPE ${(rctl & RCTL_LPE) !== 0 ? "set" : "clear"}, SBP ${(rctl & RCTL_SBP) !== 0 ? "set" : "clear"}): ROC`);
    return true;
  }
  let f = frame;
  let n = len;
  const st = rx.staged;
  if (n < 60) {
    // A back-end carries frames without the padding and FCS the sender's MAC puts on the wire
    // (IEEE 802.3 4.2.3.3; SDM TCTL.PSP 13.4.33): what the wire would carry is the frame padded
    // to 60 + FCS — a valid minimum-size frame, not a runt — even for one shorter than a header.
    memcpy(st, 0, frame, 0, n);
    st.fill(0, n, 60);
    f = st;
    n = 60;
  }
  const type = (f[12]! << 8) | f[13]!;
  if (type === (r[REG.VET >> 2]! & 0xffff) && (rctl & RCTL_VFE) !== 0) {
    const vid = ((f[14]! << 8) | f[15]!) & 0xfff;
    if ((r[(REG.VFTA >> 2) + (vid >>> 5)]! & (1 << (vid & 31))) === 0) {
      rx.filtered++;
      if (s.trace_on("rxfilter")) s.trace("rxfilter", `VLAN ${vid} not in VFTA: dropped`);
      return true;
    }
  }
  if (!rx_filter(s, f)) {
    rx.filtered++;
    if (s.trace_on("rxfilter")) s.trace("rxfilter", `${mac_str(f, 0)} rejected by the address filter`);
    return true;
  }
  // Injected faults (e1000_faults.ts): the frame passed the filter but finds no room.
  const fl = s.faults;
  if (fl.rx_overrun > 0) {
    fl.rx_overrun--;
    overrun(s);
    return true;
  }
  if (fl.rx_no_buffers > 0) {
    // A descriptor starvation long enough to have filled the FIFO: RNBC and MPC both count it.
    fl.rx_no_buffers--;
    s.stat_inc(STAT.RNBC);
    missed(s, "no receive buffers and the FIFO is full (injected)");
    return true;
  }
  const total = rx_total(s, f, n);
  if (rx.fifo.count === 0 && rx_has_bufs(s, total)) {
    e1000_rx_dma(s, f, n);
    return true;
  }
  if (rx_never_fits(s, total)) {
    missed(s, `a ${total}-byte frame is larger than the whole receive ring`);
    return true;
  }
  // No descriptors for it (or older frames still waiting): it waits in the FIFO (SDM 13.7 RNBC:
  // "the packet is still received if there is space in the FIFO").
  s.stat_inc(STAT.RNBC);
  if (!rx.rdt_written) s.warn_once("rdt", "a frame arrived but RDT was never written: the receive ring is empty (fill it and set RDT = N-1)");
  if (rx.fifo.push(f, n, rx_fifo_capacity(s))) {
    if (s.trace_on("rx")) s.trace("rx", `no free descriptors: frame of ${n} bytes waits in the receive FIFO (${rx.fifo.count} frames, ${rx.fifo.used} bytes)`);
    return true;
  }
  missed(s, `no free descriptors and the receive FIFO is full (${rx.fifo.count} frames, ${rx.fifo.used} of ${rx_fifo_capacity(s)} bytes)`);
  return true;
}

/**
 * Descriptors came back (RDT write, receiver enabled): DMA the frames waiting in the FIFO, oldest
 * first, for as long as the ring has room for the next one. Device context (register write).
 */
export function e1000_rx_fifo_drain(s: E1000): void {
  const rx = s.rx;
  while (rx.fifo.count > 0) {
    // Decide from the length and the EtherType; the frame is copied out only when it can go.
    const n = rx.fifo.peek_len();
    const total = rx_total_typed(s, n, rx.fifo.peek_type());
    if (rx_never_fits(s, total)) {
      // The ring was made smaller (or the buffers) while the frame waited: it can never leave.
      rx.fifo.pop();
      missed(s, `a ${total}-byte frame waiting in the FIFO is larger than the whole receive ring`);
      continue;
    }
    if (!rx_has_bufs(s, total)) return;
    rx.fifo.peek_into(rx.fifo_out);
    rx.fifo.pop();
    e1000_rx_dma(s, rx.fifo_out, n);
  }
}

/**
 * CTRL.RST or RCTL.EN cleared: the FIFO's frames are gone. They are counted in MPC (missed: SDM
 * 13.7) — after CTRL.RST has cleared the statistics, so the guest still sees them — and in
 * rx.fifo_flushed for `~info network`.
 */
export function e1000_rx_fifo_flush(s: E1000, why: string): void {
  const n = s.rx.fifo.flush();
  if (n === 0) return;
  s.rx.fifo_flushed += n;
  s.rx.missed += n;
  s.stat_inc(STAT.MPC, n);
  if (s.trace_on("rxerr")) s.trace("rxerr", `${why}: ${n} frames flushed from the receive FIFO (MPC)`);
}

/**
 * DMA a frame f[0..n) (padded, filtered; the ring known to have room) into the descriptors from
 * RDH: VLAN tag stripped to `special`, the FCS appended unless SECRC, the packet checksum and the
 * checksum offload bits on the EOP descriptor (e1000_rx_csum.ts); RDH advanced, statistics, then
 * RXT0 (or its delay timers) and RXDMT0.
 */
function e1000_rx_dma(s: E1000, frame: Uint8Array, len: number): void {
  const r = s.regs;
  const rx = s.rx;
  const rctl = r[REG.RCTL >> 2]!;
  const st = rx.staged;
  let f = frame;
  let n = len;
  const dest_mcast = (f[0]! & 1) !== 0;
  const dest_bcast = dest_mcast && f[0] === 0xff && f[1] === 0xff && f[2] === 0xff && f[3] === 0xff && f[4] === 0xff && f[5] === 0xff;
  let special = 0;
  let status = 0;
  if (strips_tag(s, f)) {
    special = (f[14]! << 8) | f[15]!;
    if (f !== st) memcpy(st, 0, f, 0, n);
    st.copyWithin(12, 16, n);
    f = st;
    n -= 4;
    status |= RXD_STAT_VP;
  }
  const rxcsum = r[REG.RXCSUM >> 2]!;
  const csum_bits = e1000_rx_csum_bits(f, n, rxcsum, r[REG.VET >> 2]! & 0xffff);
  status |= csum_bits & 0xff;
  const errors = csum_bits >>> 8;
  const wire = n + 4;
  let total = n;
  if ((rctl & RCTL_SECRC) === 0) {
    // Without CRC stripping the four FCS bytes land in memory too.
    if (f !== st) memcpy(st, 0, f, 0, n);
    const fcs = crc32(st, 0, n);
    st[n] = fcs & 0xff;
    st[n + 1] = (fcs >>> 8) & 0xff;
    st[n + 2] = (fcs >>> 16) & 0xff;
    st[n + 3] = fcs >>> 24;
    f = st;
    total = n + 4;
  }
  const pcsum = e1000_rx_packet_csum(f, total, rxcsum);
  const size = r[REG.RDLEN >> 2]! >>> 4;
  let head = r[REG.RDH >> 2]!;
  const tail = r[REG.RDT >> 2]!;
  const bufsize = rx_buffer_size(rctl);
  const base = r[REG.RDBAH >> 2]! * 0x100000000 + ((r[REG.RDBAL >> 2]! & ~0xf) >>> 0);
  const wb = rx.wb;
  const wbv = rx.wbv;
  let off = 0;
  while (off < total) {
    const daddr = base + head * DESC_SIZE;
    if (!s.dma_read(daddr, rx.desc, 0, 8)) {
      rx.dma_dropped++;
      if (s.bus_master) s.dma_failed("RX descriptor read", daddr, DESC_SIZE);
      else if (s.trace_on("rxerr")) s.trace("rxerr", "Bus Master disabled: frame dropped");
      return;
    }
    const baddr = rx.dv.getUint32(0, true) + rx.dv.getUint32(4, true) * 0x100000000;
    const chunk = total - off < bufsize ? total - off : bufsize;
    if (baddr === 0) {
      s.warn_once("rxnull", `receive descriptor ${head} has buffer address 0; its data was skipped`);
    } else if (!s.dma_write(baddr, f, off, chunk)) {
      rx.dma_dropped++;
      if (s.bus_master) s.dma_failed("RX buffer write", baddr, chunk);
      return;
    }
    off += chunk;
    const eop = off >= total;
    // Status, errors and the packet checksum are valid on the EOP descriptor only (SDM 3.2.3).
    wbv.setUint16(0, chunk, true); // length
    wbv.setUint16(2, eop ? pcsum : 0, true); // packet checksum from RXCSUM.PCSS (3.2.9)
    wb[4] = RXD_STAT_DD | (eop ? RXD_STAT_EOP | status : 0);
    wb[5] = eop ? errors : 0;
    wbv.setUint16(6, eop ? special : 0, true);
    if (!s.dma_write(daddr + 8, wb, 0, 8)) {
      rx.dma_dropped++;
      if (s.bus_master) s.dma_failed("RX descriptor write-back", daddr, DESC_SIZE);
      return;
    }
    head = head + 1 === size ? 0 : head + 1;
  }
  r[REG.RDH >> 2] = head;
  rx.frames++;
  s.stat_inc(STAT.GPRC);
  s.stat_add64(STAT.GORCL, wire);
  s.stat_inc(wire <= 64 ? STAT.PRC64 : wire <= 127 ? STAT.PRC127 : wire <= 255 ? STAT.PRC255 : wire <= 511 ? STAT.PRC511 : wire <= 1023 ? STAT.PRC1023 : STAT.PRC1522);
  if (dest_bcast) s.stat_inc(STAT.BPRC);
  else if (dest_mcast) s.stat_inc(STAT.MPRC);
  if (s.trace_on("rx")) s.trace("rx", `frame of ${n} bytes from ${mac_str(f, 6)} into descriptors up to ${head}`);
  s.rx_written();
  const left = tail >= head ? tail - head : size - head + tail;
  if (left <= size >>> (((rctl & RCTL_RDMTS_MASK) >>> RCTL_RDMTS_SHIFT) + 1)) s.set_ics(ICR_RXDMT0);
}
