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
  RXD_STAT_DD,
  RXD_STAT_EOP,
  RXD_STAT_IXSM,
  RXD_STAT_VP,
  STAT,
} from "./e1000_regs.ts";
import { mac_str } from "./e1000_tx.ts";
import { RX_NO_LINK } from "./net_endpoint.ts";

/**
 * The longest frame (without FCS) the receiver takes in, whatever RCTL says: the 8254x handles
 * packets up to 16384 bytes (SDM 3.2.2, RCTL.LPE 13.4.22). Longer ones — which only a socket
 * back-end can deliver (QEMU allows records up to 69,632 bytes) — are counted in ROC and dropped,
 * even with RCTL.SBP set. The staging buffer is sized for this plus the FCS.
 */
export const E1000_MAX_RX_FRAME = 16384;

/** Receive state: reusable buffers for padding, VLAN stripping and the CRC (nothing per frame). */
export class RxState {
  readonly desc = new Uint8Array(DESC_SIZE);
  readonly dv = new DataView(this.desc.buffer);
  /** Write-back half of a descriptor: length, checksum, status, errors, special. */
  readonly wb = new Uint8Array(8);
  readonly wbv = new DataView(this.wb.buffer);
  /** A frame that had to be changed (padded, tag removed, CRC appended) is staged here. */
  readonly staged = new Uint8Array(E1000_MAX_RX_FRAME + 8);
  /** Software has written RDT at least once since reset. */
  rdt_written = false;
  frames = 0;
  filtered = 0;
  missed = 0;
  /** Frames lost because a receive DMA master-aborted (also in TPR, not in GPRC). */
  dma_dropped = 0;

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
 * Destination address filtering (SDM 3.2.1, 13.5): broadcast needs BAM; other multicast passes
 * with MPE or an MTA hash hit; unicast with UPE; anything matching a valid receive address passes.
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
  if (mcast && !bcast) {
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

function missed(s: E1000, why: string): void {
  s.rx.missed++;
  s.stat_inc(STAT.MPC);
  s.stat_inc(STAT.RNBC);
  s.set_ics(ICR_RXO);
  if (s.trace_on("rxerr")) s.trace("rxerr", `frame missed: ${why}`);
}

/**
 * A frame arrives from the wire (or from our own transmitter in loopback). Filter it, then DMA it
 * into the buffers of descriptors RDH.. (spanning several when it is longer than one buffer, EOP
 * on the last), write each descriptor back, advance RDH, and signal RXT0 / RXDMT0. When the ring
 * has too few free descriptors the frame is missed (MPC, RNBC, RXO); a descriptor the driver still
 * owns (at or past RDT) is never written.
 *
 * `frame[0..len)` is the caller's and is not kept; it is copied once, into guest memory.
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
  // accepted ones are the refused (filter, RCTL.EN clear, VLAN filter, DMA errors); MPC, ROC and
  // RUC name the rest (SDM 13.7).
  s.stat_inc(STAT.TPR);
  s.stat_add64(STAT.TORL, Math.max(len, 60) + 4);
  if ((rctl & RCTL_EN) === 0) {
    if (s.trace_on("rxerr")) s.trace("rxerr", "receiver disabled (RCTL.EN clear): frame dropped");
    return true;
  }
  const max = (rctl & RCTL_LPE) !== 0 ? E1000_MAX_RX_FRAME : 1518;
  if (len > E1000_MAX_RX_FRAME || (len > max && (rctl & RCTL_SBP) === 0)) {
    s.stat_inc(STAT.ROC);
    if (len > E1000_MAX_RX_FRAME) s.warn_once("rx-huge", `a frame of ${len} bytes arrived; the receiver holds at most ${E1000_MAX_RX_FRAME} (even with RCTL.SBP): dropped and counted in ROC`);
    if (s.trace_on("rxerr")) s.trace("rxerr", `oversize frame of ${len} bytes dropped (LPE ${(rctl & RCTL_LPE) !== 0 ? "set" : "clear"}, SBP ${(rctl & RCTL_SBP) !== 0 ? "set" : "clear"}): ROC`);
    return true;
  }
  if (len < 14) {
    s.stat_inc(STAT.RUC); // too short to carry even an Ethernet header
    if (s.trace_on("rxerr")) s.trace("rxerr", `runt of ${len} bytes dropped: RUC`);
    return true;
  }
  let f = frame;
  let n = len;
  const st = rx.staged;
  if (n < 60) {
    st.set(frame.subarray(0, n), 0);
    st.fill(0, n, 60); // short frames are padded to the 64-byte minimum (60 + FCS)
    f = st;
    n = 60;
  }
  const type = (f[12]! << 8) | f[13]!;
  const vlan = type === (r[REG.VET >> 2]! & 0xffff);
  if (vlan && (rctl & RCTL_VFE) !== 0) {
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
    fl.rx_no_buffers--;
    missed(s, "no receive buffers (injected)");
    return true;
  }
  const dest_mcast = (f[0]! & 1) !== 0;
  const dest_bcast = dest_mcast && f[0] === 0xff && f[1] === 0xff && f[2] === 0xff && f[3] === 0xff && f[4] === 0xff && f[5] === 0xff;
  let special = 0;
  let status = RXD_STAT_IXSM; // no IP/TCP checksum offload: "ignore checksum indication"
  if (vlan && (r[REG.CTRL >> 2]! & CTRL_VME) !== 0) {
    special = (f[14]! << 8) | f[15]!;
    if (f !== st) st.set(f.subarray(0, n), 0);
    st.copyWithin(12, 16, n);
    f = st;
    n -= 4;
    status |= RXD_STAT_VP;
  }
  const wire = n + 4;
  let total = n;
  if ((rctl & RCTL_SECRC) === 0) {
    // Without CRC stripping the four FCS bytes land in memory too.
    if (f !== st) st.set(f.subarray(0, n), 0);
    const fcs = crc32(st, 0, n);
    st[n] = fcs & 0xff;
    st[n + 1] = (fcs >>> 8) & 0xff;
    st[n + 2] = (fcs >>> 16) & 0xff;
    st[n + 3] = fcs >>> 24;
    f = st;
    total = n + 4;
  }
  const size = r[REG.RDLEN >> 2]! >>> 4;
  let head = r[REG.RDH >> 2]!;
  const tail = r[REG.RDT >> 2]!;
  if (size === 0 || head >= size || tail >= size) {
    missed(s, `no usable ring (RDLEN ${size * 16}, RDH ${head}, RDT ${tail})`);
    return true;
  }
  const bufsize = rx_buffer_size(rctl);
  const free = tail >= head ? tail - head : size - head + tail;
  if (free * bufsize < total) {
    if (!rx.rdt_written) s.warn_once("rdt", "a frame arrived but RDT was never written: the receive ring is empty (fill it and set RDT = N-1)");
    missed(s, `${free} free descriptors, ${Math.ceil(total / bufsize)} needed`);
    return true;
  }
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
      return true;
    }
    const baddr = rx.dv.getUint32(0, true) + rx.dv.getUint32(4, true) * 0x100000000;
    const chunk = total - off < bufsize ? total - off : bufsize;
    if (baddr === 0) {
      s.warn_once("rxnull", `receive descriptor ${head} has buffer address 0; its data was skipped`);
    } else if (!s.dma_write(baddr, f, off, chunk)) {
      rx.dma_dropped++;
      if (s.bus_master) s.dma_failed("RX buffer write", baddr, chunk);
      return true;
    }
    off += chunk;
    const eop = off >= total;
    wbv.setUint16(0, chunk, true); // length
    wbv.setUint16(2, 0, true); // packet checksum: not computed (IXSM)
    wb[4] = RXD_STAT_DD | (eop ? RXD_STAT_EOP | status : 0);
    wb[5] = 0; // errors
    wbv.setUint16(6, eop ? special : 0, true);
    if (!s.dma_write(daddr + 8, wb, 0, 8)) {
      rx.dma_dropped++;
      if (s.bus_master) s.dma_failed("RX descriptor write-back", daddr, DESC_SIZE);
      return true;
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
  return true;
}
