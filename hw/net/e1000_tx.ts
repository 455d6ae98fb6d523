import type { E1000 } from "./e1000.ts";
import { e1000_receive } from "./e1000_rx.ts";
import { RX_NO_LINK } from "./net_endpoint.ts";
import {
  CTRL_VME,
  DESC_SIZE,
  ICR_TXQE,
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

/** Transmit state: the frame being assembled and reusable buffers (nothing is allocated per frame). */
export class TxState {
  readonly desc = new Uint8Array(DESC_SIZE);
  readonly dv = new DataView(this.desc.buffer);
  /** Room for the largest packet plus an inserted VLAN tag. */
  readonly frame = new Uint8Array(MAX_TX_PACKET + 4);
  frame_len = 0;
  /** The packet being assembled hit an error and is dropped at EOP. */
  frame_bad = false;
  frames = 0;
  /** Virtual time at which the wire is free for the next frame. */
  wire_free_at = 0;
  /** Frames waiting for the wire: the transmitter resumes at wire_free_at. */
  waiting = false;
  /** Frames sent with the link up but nothing plugged into the NIC (QEMU's NIC without netdev). */
  no_peer = 0;
  /** Frames sent to a peer that did not hear them (a NIC wired straight to this one, its PHY down). */
  peer_no_link = 0;
  /** Times the transmitter found the link down and stopped (it resumes on link up). */
  link_stalls = 0;
  /** A DMA master abort stopped the transmit DMA engine; CTRL.RST, a TCTL or TDH write restarts it. */
  halted = false;
  unsupported = 0;

  reset(): void {
    this.frame_len = 0;
    this.frame_bad = false;
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

/** Legacy checksum insertion (CMD.IC): one's complement sum from CSS to the end, stored at CSO. */
function insert_checksum(f: Uint8Array, len: number, css: number, cso: number): void {
  if (css >= len || cso >= len - 1) return; // SDM: ignored when out of range
  let sum = 0;
  for (let i = css; i < len; i += 2) sum += (f[i]! << 8) | (i + 1 < len ? f[i + 1]! : 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  const c = ~sum & 0xffff;
  f[cso] = c >>> 8;
  f[cso + 1] = c & 0xff;
}

/** The EOP descriptor closed a packet: finish it (VLAN, checksum, padding) and put it on the wire. */
function transmit_frame(s: E1000, cmd: number): void {
  const tx = s.tx;
  const f = tx.frame;
  let len = tx.frame_len;
  if ((cmd & TXD_CMD_IFCS) === 0) s.warn_once("ifcs", "transmit descriptor without IFCS: real hardware would send the frame with no FCS (set E1000_TXD_CMD_IFCS); sent anyway");
  if ((cmd & TXD_CMD_IC) !== 0) insert_checksum(f, len, tx.desc[TXD_CSS]!, tx.desc[TXD_CSO]!);
  if ((cmd & TXD_CMD_VLE) !== 0 && (s.regs[REG.CTRL >> 2]! & CTRL_VME) !== 0 && len >= 12) {
    f.copyWithin(16, 12, len);
    const vet = s.regs[REG.VET >> 2]! & 0xffff;
    f[12] = vet >>> 8;
    f[13] = vet & 0xff;
    f[14] = tx.desc[TXD_SPECIAL + 1]!; // the tag goes on the wire big-endian
    f[15] = tx.desc[TXD_SPECIAL]!;
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
  s.tx.frame_len = 0;
  s.tx.frame_bad = false;
  if (s.trace_on("txerr")) s.trace("txerr", `${what} master-aborted: transmit DMA stopped until reset`);
}

export function mac_str(b: Uint8Array, off: number): string {
  let s = "";
  for (let i = 0; i < 6; i++) s += (i ? ":" : "") + b[off + i]!.toString(16).padStart(2, "0");
  return s;
}

/**
 * Run the transmitter (SDM 3.3): on a TDT or TCTL write, process descriptors from TDH towards TDT,
 * gathering buffers by DMA until EOP, writing DD back only where RS (or RPS) asks, then TXDW
 * (possibly delayed, see tx_written) and TXQE once the queue is empty.
 *
 * Frames leave at line rate: a new frame starts only when the wire is free (wire_time_ns after the
 * previous one started); until then the transmitter stops and resumes from a clock event, so the
 * ring drains at 1 Gb/s on the virtual clock however fast software fills it.
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
  let done = 0;
  const now = s.clock.now_ns();
  tx.waiting = false;
  while (head !== tail) {
    if (tx.frame_len === 0 && now < tx.wire_free_at) {
      tx.waiting = true;
      s.tx_wait_for_wire(tx.wire_free_at);
      break;
    }
    const daddr = base + head * DESC_SIZE;
    if (!s.dma_read(daddr, desc, 0, DESC_SIZE)) {
      if (s.bus_master && !s.removed) tx_dma_abort(s, "TX descriptor read", daddr, DESC_SIZE);
      break; // the head stays where it is: nothing was processed
    }
    const cmd = desc[TXD_CMD]!;
    if ((cmd & TXD_CMD_DEXT) !== 0) {
      tx.unsupported++;
      tx.frame_bad = true;
      s.warn_once("dext", "extended transmit descriptors (DEXT: context/data, checksum and TSO offload) are not modelled; they complete without sending");
      if (s.trace_on("txerr")) s.trace("txerr", `descriptor ${head}: DEXT descriptor not supported`);
    } else {
      const len = dv.getUint16(TXD_LENGTH, true);
      const addr = dv.getUint32(0, true) + dv.getUint32(4, true) * 0x100000000;
      if (len > 0 && !tx.frame_bad) {
        if (addr === 0) {
          s.warn_once("txnull", `transmit descriptor ${head} has buffer address 0; no data taken`);
        } else if (tx.frame_len + len > MAX_TX_PACKET) {
          tx.frame_bad = true;
          if (s.trace_on("txerr")) s.trace("txerr", `packet longer than ${MAX_TX_PACKET} bytes: dropped`);
        } else if (!s.dma_read(addr, tx.frame, tx.frame_len, len)) {
          if (!s.bus_master || s.removed) break;
          tx_dma_abort(s, "TX buffer read", addr, len);
          break; // this descriptor is not completed: the head stays on it
        } else {
          tx.frame_len += len;
        }
      }
    }
    if ((cmd & TXD_CMD_EOP) !== 0 || (cmd & TXD_CMD_DEXT) !== 0) {
      if (!tx.frame_bad && (cmd & TXD_CMD_DEXT) === 0) transmit_frame(s, cmd);
      tx.frame_len = 0;
      tx.frame_bad = false;
    }
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
