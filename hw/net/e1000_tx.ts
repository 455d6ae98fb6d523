import { host_alloc, type OnchipAlloc, view_of } from "../phys_mem.ts";
import type { E1000 } from "./e1000.ts";
import { e1000_receive } from "./e1000_rx.ts";
import { RX_NO_LINK } from "./net_endpoint.ts";
import {
  CTRL_VME,
  DESC_SIZE,
  E1000_PB_KIB,
  ICR_TXQE,
  PBA_RXA_MASK,
  RCTL_LBM_MASK,
  REG,
  STAT,
  TCTL_EN,
  TCTL_PSP,
  TXD_CMD,
  TXD_CMD_DEXT,
  TXD_CMD_EOP,
  TXD_CMD_IC,
  TXD_CMD_IDE,
  TXD_CMD_IFCS,
  TXD_CMD_RPS,
  TXD_CMD_RS,
  TXD_CMD_VLE,
  TXD_CSO,
  TXD_CSS,
  TXD_LENGTH,
  TXD_SPECIAL,
  TXD_STAT_DD,
  TXD_STATUS,
} from "./e1000_regs.ts";
import {
  e1000_read_tx_ctx_descr,
  TXD_CMD_AND_LENGTH,
  TXD_CMD_TSE,
  TXD_DTYP_BYTE,
  TXD_DTYP_CONTEXT,
  TXD_DTYP_DATA,
  TXD_DTYP_SHIFT,
  TXD_LEN_MASK,
  TXD_POPTS,
  TXD_POPTS_IXSM,
  TXD_POPTS_TXSM,
  tso_context_problem,
  tso_fix_segment,
  tx_checksums,
  tx_putsum,
  TxOffloadState,
} from "./e1000_tx_offload.ts";

/** The largest packet a descriptor chain may carry (SDM 3.3.3: 16288 bytes). */
export const MAX_TX_PACKET = 16288;

/**
 * Time a frame of `len` bytes (without FCS) holds a 1000 Mb/s wire: the frame padded to 60, the
 * FCS, the 8-byte preamble and the 12-byte inter-frame gap, at 8 ns a byte (672 ns for a minimum
 * frame: 1.488 Mpps line rate).
 */
export function wire_time_ns(len: number): number {
  return ((len < 60 ? 60 : len) + 4 + 8 + 12) * 8;
}

/**
 * The longest a frame may reach the peer before its slot on the wire, in ns (a model quantum, not
 * a hardware figure; see tx_fifo_window_ns).
 */
export const TX_BURST_NS = 16_000;

/**
 * How far (in ns of wire time) the transmitter may run ahead of the wire.
 *
 * The DMA engine fetches packets into the on-chip transmit FIFO (PBA.TXA KiB = 64 − RXA: 16 KiB at
 * reset, SDM 13.4.24) while earlier frames are still leaving, so descriptors complete (DD, TXDW)
 * ahead of the wire. The model reserves each frame's slot on the wire (tx.wire_free_at) and hands
 * the frame to the peer as it enters the FIFO; it stops fetching once the reserved slots reach the
 * FIFO's drain time (8 ns a byte) or TX_BURST_NS ahead of now, whichever is less, and resumes when
 * half of that has drained. So the wire carries exactly line rate, one clock event serves a burst
 * (12 minimum-size frames) instead of one each, and a frame reaches the peer at most TX_BURST_NS
 * before its slot: a departure listed in e1000.ts. With PBA.RXA = 64 (no TX FIFO) every frame
 * waits for its own slot.
 */
export function tx_fifo_window_ns(s: E1000): number {
  const rxa = s.regs[REG.PBA >> 2]! & PBA_RXA_MASK;
  const fifo_ns = rxa < E1000_PB_KIB ? (E1000_PB_KIB - rxa) * 1024 * 8 : 0;
  return fifo_ns < TX_BURST_NS ? fifo_ns : TX_BURST_NS;
}

/**
 * Transmit state: the frame being assembled and reusable buffers (nothing is allocated per frame).
 * The buffers are the NIC's on-chip memory: made again from the machine's when it is realized.
 */
export class TxState {
  readonly desc: Uint8Array;
  readonly dv: DataView;
  /** Room for the largest packet plus an inserted VLAN tag. */
  readonly frame: Uint8Array;
  frame_len = 0;
  /** The packet being assembled hit an error and is dropped at EOP. */
  frame_bad = false;
  /** Offload contexts, the current packet's options and TSE progress (e1000_tx_offload.ts). */
  readonly off = new TxOffloadState();
  /** Bytes of the descriptor at TDH already taken when a TSE packet paused for the wire. */
  desc_off = 0;
  frames = 0;
  /** Virtual time at which the wire is free for the next frame (booked as frames enter the TX FIFO). */
  wire_free_at = 0;
  /** The TX FIFO is full: the transmitter resumes when half of it has drained (tx_fifo_window_ns). */
  waiting = false;
  /** Frames sent with the link up but nothing plugged into the NIC (QEMU's NIC without netdev). */
  no_peer = 0;
  /** Frames sent to a peer that did not hear them (a NIC wired straight to this one, its PHY down). */
  peer_no_link = 0;
  /** Times the transmitter found the link down and stopped (it resumes on link up). */
  link_stalls = 0;
  /** A DMA master abort stopped the transmit DMA engine; CTRL.RST, a TCTL or TDH write restarts it. */
  halted = false;
  /** Packets that carried no data (zero-length descriptors up to EOP): completed, nothing sent. */
  empty_packets = 0;
  /** Packets longer than MAX_TX_PACKET (TSE excepted): completed, dropped. */
  too_long = 0;
  /** Extended descriptors of a reserved type (DTYP not 0000/0001): their packet is dropped. */
  bad_desc = 0;

  constructor(alloc: OnchipAlloc = host_alloc) {
    this.desc = alloc(DESC_SIZE);
    this.dv = view_of(this.desc);
    this.frame = alloc(MAX_TX_PACKET + 4);
  }

  /** Forget the packet being assembled. */
  end_packet(): void {
    this.frame_len = 0;
    this.frame_bad = false;
    this.desc_off = 0;
    this.off.end_packet();
  }

  reset(): void {
    this.end_packet();
    this.off.reset();
    this.wire_free_at = 0;
    this.waiting = false;
    this.halted = false;
  }
}

const BROADCAST_LO = 0xffffffff;

/** Count a transmitted frame of `len` bytes (without FCS) in the statistics registers. */
function tx_stats(s: E1000, f: Uint8Array, len: number): void {
  const wire = len + 4; // counted from DA through FCS
  s.stat_inc(STAT.TPT);
  s.stat_inc(STAT.GPTC);
  s.stat_add64(STAT.TOTL, wire);
  s.stat_add64(STAT.GOTCL, wire);
  s.stat_inc(wire <= 64 ? STAT.PTC64 : wire <= 127 ? STAT.PTC127 : wire <= 255 ? STAT.PTC255 : wire <= 511 ? STAT.PTC511 : wire <= 1023 ? STAT.PTC1023 : STAT.PTC1522);
  if ((f[0]! & 1) !== 0) {
    const bcast = ((f[0]! | (f[1]! << 8) | (f[2]! << 16) | (f[3]! << 24)) >>> 0) === BROADCAST_LO && f[4] === 0xff && f[5] === 0xff;
    s.stat_inc(bcast ? STAT.BPTC : STAT.MPTC);
  }
}

/**
 * Put a finished frame of `len` bytes from tx.frame on the wire: VLAN tag (VLE with CTRL.VME),
 * PSP padding, statistics, line-rate bookkeeping. `cmd` supplies IFCS and VLE, `special` the tag.
 * tx.frame may be rewritten (tag insertion, padding): a TSE caller restores its header afterwards.
 */
function transmit_frame(s: E1000, len: number, cmd: number, special: number): void {
  const tx = s.tx;
  const f = tx.frame;
  if ((cmd & TXD_CMD_IFCS) === 0) s.warn_once("ifcs", "transmit descriptor without IFCS: real hardware would send the frame with no FCS (set E1000_TXD_CMD_IFCS); sent anyway");
  if ((cmd & TXD_CMD_VLE) !== 0 && (s.regs[REG.CTRL >> 2]! & CTRL_VME) !== 0 && len >= 12) {
    f.copyWithin(16, 12, len);
    const vet = s.regs[REG.VET >> 2]! & 0xffff;
    f[12] = vet >>> 8;
    f[13] = vet & 0xff;
    f[14] = (special >>> 8) & 0xff; // the tag goes on the wire big-endian
    f[15] = special & 0xff;
    len += 4;
  }
  if ((s.regs[REG.TCTL >> 2]! & TCTL_PSP) !== 0 && len < 60) {
    f.fill(0, len, 60);
    len = 60;
  }
  tx.frames++;
  const now = s.clock.now_ns();
  tx.wire_free_at = (tx.wire_free_at > now ? tx.wire_free_at : now) + wire_time_ns(len);
  tx_stats(s, f, len);
  if (s.trace_on("tx")) s.trace("tx", `frame of ${len} bytes to ${mac_str(f, 0)} type 0x${((f[12]! << 8) | f[13]!).toString(16).padStart(4, "0")}`);
  if (tx_loopback(s)) {
    e1000_receive(s, f, len, true);
  } else if (s.peer === null) {
    tx.no_peer++;
    if (s.trace_on("txerr")) s.trace("txerr", `nothing plugged in: frame of ${len} bytes sent into the void`);
  } else if (s.peer.receive_frame(f, len) === RX_NO_LINK) {
    tx.peer_no_link++;
    if (s.trace_on("txerr")) s.trace("txerr", `the peer has no link: frame of ${len} bytes not heard`);
  }
}

/** MAC loopback (RCTL.LBM) or PHY loopback (BMCR bit 14): frames never reach the wire. */
export function tx_loopback(s: E1000): boolean {
  return (s.regs[REG.RCTL >> 2]! & RCTL_LBM_MASK) !== 0 || s.phy.loopback;
}

/**
 * A transmit DMA hit nothing (master abort): the DMA engine stops where it is, without completing
 * the descriptor, until software resets the controller (or rewrites TCTL / TDH) — the driver's watchdog sees Received
 * Master Abort in PCI Status and resets, freeing (and counting) what was queued.
 */
function tx_dma_abort(s: E1000, what: string, addr: number, len: number): void {
  s.dma_failed(what, addr, len);
  s.tx.halted = true;
  s.tx.end_packet();
  if (s.trace_on("txerr")) s.trace("txerr", `${what} master-aborted: transmit DMA stopped until reset`);
}

export function mac_str(b: Uint8Array, off: number): string {
  let s = "";
  for (let i = 0; i < 6; i++) s += (i ? ":" : "") + b[off + i]!.toString(16).padStart(2, "0");
  return s;
}

/** What taking a descriptor's data did (tx_take / tso_take). */
const TAKE_OK = 0;
/** DMA failed: the descriptor is not completed and the head stays on it. */
const TAKE_STOP = 1;
/** A TSE packet waits for the wire between segments; tx.desc_off says where to resume. */
const TAKE_PAUSE = 2;

/** A DMA read of packet data failed: abort (master abort) unless bus mastering is simply off. */
function take_failed(s: E1000, addr: number, len: number): number {
  if (s.bus_master && !s.removed) tx_dma_abort(s, "TX buffer read", addr, len);
  return TAKE_STOP;
}

/** Append a descriptor's buffer to the packet (legacy, and data descriptors without TSE). */
function tx_take(s: E1000, head: number, addr: number, len: number): number {
  const tx = s.tx;
  if (len === 0 || tx.frame_bad) return TAKE_OK; // SDM 3.3.3: zero length transfers no data
  if (addr === 0) {
    s.warn_once("txnull", `transmit descriptor ${head} has buffer address 0; no data taken`);
  } else if (tx.frame_len + len > MAX_TX_PACKET) {
    tx.frame_bad = true;
    tx.too_long++;
    if (s.trace_on("txerr")) s.trace("txerr", `packet longer than ${MAX_TX_PACKET} bytes: dropped`);
  } else if (!s.dma_read(addr, tx.frame, tx.frame_len, len)) {
    return take_failed(s, addr, len);
  } else {
    tx.frame_len += len;
  }
  return TAKE_OK;
}

/**
 * Send the TSE segment in tx.frame (SDM 3.5.9): rewrite its headers, insert checksums, send it,
 * then put the prototype header back for the next segment.
 */
function tso_emit(s: E1000, last: boolean): void {
  const tx = s.tx;
  const o = tx.off;
  const c = o.cur;
  const f = tx.frame;
  const len = tx.frame_len;
  tso_fix_segment(f, len, c, o.seg, last, o.sum_needed);
  o.csum_out_of_range += tx_checksums(f, len, c, o.sum_needed);
  o.seg++;
  o.sent_payload += len - c.hdr_len;
  transmit_frame(s, len, o.tse_cmd, o.tse_special);
  const h = o.hdr;
  for (let i = 0; i < c.hdr_len; i++) f[i] = h[i]!;
  tx.frame_len = c.hdr_len;
}

/**
 * Take a TSE data descriptor's buffer (SDM 3.5; QEMU process_tx_desc with cptse): the first HDRLEN
 * bytes of the packet are the prototype header, kept aside; then payload fills segments of
 * HDRLEN + MSS bytes, each sent as soon as it is complete. PAYLEN bounds the payload fetched
 * (3.3.6): a segment is the last when it completes PAYLEN, data beyond PAYLEN is not sent
 * (counted at EOP, TSCTFC). Between segments the packet waits for the wire like any frame.
 */
function tso_take(s: E1000, head: number, addr: number, len: number): number {
  const tx = s.tx;
  const o = tx.off;
  const c = o.cur;
  if (len === 0 || tx.frame_bad) return TAKE_OK;
  if (addr === 0) {
    s.warn_once("txnull", `transmit descriptor ${head} has buffer address 0; no data taken`);
    return TAKE_OK;
  }
  let done = tx.desc_off < len ? tx.desc_off : len; // resuming after a pause
  const hdr_len = c.hdr_len;
  while (done < len) {
    let target: number; // the frame length that completes the header or the current segment
    if (tx.frame_len < hdr_len) {
      target = hdr_len;
    } else {
      const left = c.paylen - o.sent_payload; // payload PAYLEN still allows
      if (left <= 0) {
        o.overrun = true; // more data than PAYLEN: not fetched
        break;
      }
      if (tx.frame_len === hdr_len && o.seg > 0 && tx.wire_free_at > s.clock.now_ns() + tx_fifo_window_ns(s)) {
        tx.desc_off = done;
        return TAKE_PAUSE;
      }
      target = hdr_len + (left < c.mss ? left : c.mss);
    }
    const want = target - tx.frame_len;
    const take = len - done < want ? len - done : want;
    if (!s.dma_read(addr + done, tx.frame, tx.frame_len, take)) return take_failed(s, addr + done, take);
    tx.frame_len += take;
    done += take;
    if (tx.frame_len !== target) continue;
    if (target === hdr_len) {
      const f = tx.frame;
      const h = o.hdr;
      for (let i = 0; i < hdr_len; i++) h[i] = f[i]!;
    } else {
      tso_emit(s, o.sent_payload + (target - hdr_len) === c.paylen);
    }
  }
  tx.desc_off = 0;
  return TAKE_OK;
}

/** The first data descriptor of an extended packet: latch POPTS, TSE and, for TSE, the context. */
function tx_start_ext_packet(s: E1000, cmd: number): void {
  const tx = s.tx;
  const o = tx.off;
  const d = tx.desc;
  o.sum_needed = d[TXD_POPTS]! & (TXD_POPTS_IXSM | TXD_POPTS_TXSM);
  if ((cmd & TXD_CMD_TSE) === 0) return;
  o.tse = true;
  o.cur.copy_from(o.tso);
  o.tse_cmd = cmd;
  o.tse_special = d[TXD_SPECIAL]! | (d[TXD_SPECIAL + 1]! << 8);
  const problem = tso_context_problem(o.cur, MAX_TX_PACKET);
  if (problem !== null) {
    tx.frame_bad = true;
    o.tso_bad_context++;
    s.warn_once("tso-ctx", `TCP segmentation with an unusable context (${problem}): packet dropped`);
    if (s.trace_on("txerr")) s.trace("txerr", `TSE packet dropped: ${problem}`);
  }
}

/** A TSE packet reached EOP: send the last segment, count the context (TSCTC or TSCTFC, 13.7.53-54). */
function tso_end_packet(s: E1000): void {
  const tx = s.tx;
  const o = tx.off;
  const c = o.cur;
  let ok = false;
  if (tx.frame_bad) {
    // unusable context: already counted in tso_bad_context
  } else if (tx.frame_len < c.hdr_len) {
    s.warn_once("tso-short", `TSE packet ended inside its ${c.hdr_len}-byte header: nothing sent`);
  } else {
    // Payload still pending (data ran out before PAYLEN), or a header-only packet: one last segment.
    if (tx.frame_len > c.hdr_len || o.seg === 0) tso_emit(s, true);
    ok = o.sent_payload === c.paylen && !o.overrun;
    if (!ok) s.warn_once("tso-paylen", `TSE packet carried ${o.sent_payload} payload bytes${o.overrun ? " (more were supplied)" : ""} but PAYLEN is ${c.paylen}`);
  }
  if (ok) {
    s.stat_inc(STAT.TSCTC);
  } else {
    s.stat_inc(STAT.TSCTFC);
    o.tso_failed++;
    if (s.trace_on("txerr")) s.trace("txerr", `TCP segmentation context failed after ${o.seg} segments`);
  }
}

/** The EOP descriptor (`cmd`, in tx.desc) closed a packet: finish it and put it on the wire. */
function tx_end_packet(s: E1000, cmd: number): void {
  const tx = s.tx;
  const o = tx.off;
  if (o.tse) {
    tso_end_packet(s);
  } else if (tx.frame_bad) {
    // dropped: counted where it went bad (too_long, bad_desc)
  } else if (tx.frame_len === 0) {
    // SDM 3.3.3: zero-length descriptors transfer no data; a packet of none is no frame (QEMU
    // sends a 0-byte frame the net layer discards). Completed (DD if RS), nothing on the wire.
    tx.empty_packets++;
    s.warn_once("txempty", "a transmit packet of zero bytes (zero-length descriptors up to EOP): nothing sent");
    if (s.trace_on("txerr")) s.trace("txerr", "empty packet: completed, nothing sent");
  } else {
    if ((cmd & TXD_CMD_DEXT) === 0 && (cmd & TXD_CMD_IC) !== 0) tx_putsum(tx.frame, tx.frame_len, tx.desc[TXD_CSO]!, tx.desc[TXD_CSS]!, 0);
    if (o.sum_needed !== 0) o.csum_out_of_range += tx_checksums(tx.frame, tx.frame_len, o.csum, o.sum_needed);
    transmit_frame(s, tx.frame_len, cmd, tx.desc[TXD_SPECIAL]! | (tx.desc[TXD_SPECIAL + 1]! << 8));
  }
  tx.end_packet();
}

/**
 * Run the transmitter (SDM 3.3): on a TDT or TCTL write, process descriptors from TDH towards TDT,
 * gathering buffers by DMA until EOP, writing DD back only where RS (or RPS) asks, then TXDW
 * (possibly delayed, see tx_written) and TXQE once the queue is empty.
 *
 * Descriptors: legacy (3.3.3), TCP/IP context (3.3.6: loads an offload context, no data) and
 * TCP/IP data (3.3.7: like legacy plus POPTS checksum insertion and TSE segmentation); a packet
 * may span any number of data descriptors (scatter-gather).
 *
 * Frames leave at line rate: each books the wire for wire_time_ns after the previous one, and the
 * transmitter runs ahead of the wire by at most the TX FIFO's drain time (tx_fifo_window_ns); then
 * it stops and resumes from a clock event, so the ring drains at 1 Gb/s on the virtual clock
 * however fast software fills it. TSE segments are paced the same way, the transmitter pausing
 * inside the descriptor (tx.desc_off).
 */
export function e1000_start_xmit(s: E1000): void {
  const r = s.regs;
  if ((r[REG.TCTL >> 2]! & TCTL_EN) === 0) return;
  const tx = s.tx;
  // A stopped DMA engine (master abort, injected tx_hang) fetches nothing until reset.
  if (tx.halted || s.faults.tx_hang) return;
  // No link, no transmit DMA (SDM 3.3; Linux e1000_watchdog: "We've lost link, so the controller
  // stops DMA"): descriptors stay unprocessed — no DD, nothing in TPT/GPTC — until the link comes
  // back (E1000.link_changed restarts us). Loopback forces the link for the transmitter.
  if (!s.phy.link_up && !tx_loopback(s)) {
    if (r[REG.TDH >> 2] !== r[REG.TDT >> 2]) {
      tx.link_stalls++;
      if (s.trace_on("txerr")) s.trace("txerr", "link down: transmitter stopped until the link is back");
    }
    return;
  }
  const size = r[REG.TDLEN >> 2]! >>> 4;
  if (size === 0) return;
  let head = r[REG.TDH >> 2]!;
  const tail = r[REG.TDT >> 2]!;
  if (head >= size || tail >= size) {
    s.warn_once("tdt-range", `TDH=${head} / TDT=${tail} lie beyond the ${size}-descriptor transmit ring: nothing sent`);
    return;
  }
  const base = r[REG.TDBAH >> 2]! * 0x100000000 + ((r[REG.TDBAL >> 2]! & ~0xf) >>> 0);
  const desc = tx.desc;
  const dv = tx.dv;
  const off = tx.off;
  let done = 0;
  const now = s.clock.now_ns();
  // The FIFO is full when the wire is booked more than a FIFO's drain time ahead (tx_fifo_window_ns).
  const window = tx_fifo_window_ns(s);
  const fifo_full_at = now + window;
  tx.waiting = false;
  while (head !== tail) {
    if (!off.started && tx.wire_free_at > fifo_full_at) {
      tx.waiting = true;
      s.tx_wait_for_wire(tx.wire_free_at - window / 2);
      break;
    }
    const daddr = base + head * DESC_SIZE;
    if (!s.dma_read(daddr, desc, 0, DESC_SIZE)) {
      if (s.bus_master && !s.removed) tx_dma_abort(s, "TX descriptor read", daddr, DESC_SIZE);
      break; // the head stays where it is: nothing was processed
    }
    const cmd = desc[TXD_CMD]!;
    const addr = dv.getUint32(0, true) + dv.getUint32(4, true) * 0x100000000;
    let eop = false;
    let took = TAKE_OK;
    if ((cmd & TXD_CMD_DEXT) === 0) {
      off.started = true;
      took = tx_take(s, head, addr, dv.getUint16(TXD_LENGTH, true));
      eop = (cmd & TXD_CMD_EOP) !== 0;
    } else {
      const dtyp = desc[TXD_DTYP_BYTE]! >>> TXD_DTYP_SHIFT;
      if (dtyp === TXD_DTYP_CONTEXT) {
        // TUCMD shares byte 11 with DCMD: bit 0 is TCP here, not EOP. No data, ends nothing.
        e1000_read_tx_ctx_descr(desc, (cmd & TXD_CMD_TSE) !== 0 ? off.tso : off.csum);
        if (s.trace_on("tx")) s.trace("tx", `descriptor ${head}: ${(cmd & TXD_CMD_TSE) !== 0 ? "segmentation" : "checksum"} context loaded`);
      } else if (dtyp === TXD_DTYP_DATA) {
        if (!off.started) {
          off.started = true;
          tx_start_ext_packet(s, cmd);
        }
        const len = dv.getUint32(TXD_CMD_AND_LENGTH, true) & TXD_LEN_MASK;
        took = off.tse ? tso_take(s, head, addr, len) : tx_take(s, head, addr, len);
        eop = (cmd & TXD_CMD_EOP) !== 0;
      } else {
        off.started = true;
        tx.frame_bad = true;
        tx.bad_desc++;
        s.warn_once("dtyp", `extended transmit descriptor of reserved type DTYP=${dtyp}: its packet is dropped`);
        if (s.trace_on("txerr")) s.trace("txerr", `descriptor ${head}: reserved DTYP ${dtyp}`);
        eop = (cmd & TXD_CMD_EOP) !== 0;
      }
    }
    if (took === TAKE_STOP) break; // the descriptor is not completed: the head stays on it
    if (took === TAKE_PAUSE) {
      tx.waiting = true;
      s.tx_wait_for_wire(tx.wire_free_at - window / 2);
      break;
    }
    if (eop) tx_end_packet(s, cmd);
    if ((cmd & (TXD_CMD_RS | TXD_CMD_RPS)) !== 0) {
      desc[TXD_STATUS] = (desc[TXD_STATUS]! & 0xf0) | TXD_STAT_DD;
      if (!s.dma_write(daddr + TXD_STATUS, desc, TXD_STATUS, 1)) {
        if (s.bus_master && !s.removed) tx_dma_abort(s, "TX descriptor write-back", daddr, DESC_SIZE);
        head = head + 1 === size ? 0 : head + 1; // the frame did leave; its DD never arrives
        done++;
        break;
      }
      s.tx_written((cmd & TXD_CMD_IDE) !== 0);
    }
    head = head + 1 === size ? 0 : head + 1;
    done++;
  }
  r[REG.TDH >> 2] = head;
  if (done > 0 && head === tail) s.set_ics(ICR_TXQE);
}
