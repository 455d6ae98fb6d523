import { csum_fold, csum_partial } from "../../lib/inet_checksum.ts";
/**
 * Transmit offloads of the 82540EM (8254x SDM 3.3.5-3.3.7 descriptors, 3.5 TCP segmentation): the
 * two offload contexts a TCP/IP context descriptor loads, checksum insertion (IP and TCP/UDP), and
 * the per-segment header rewrite of TCP segmentation (TSE). Pure frame arithmetic on the model's
 * preallocated transmit buffer: nothing here does DMA, touches registers or allocates per frame.
 * The descriptor walk that calls it is e1000_start_xmit in e1000_tx.ts (QEMU: process_tx_desc,
 * xmit_seg, putsum in hw/net/e1000.c; e1000x_read_tx_ctx_descr in hw/net/e1000x_common.c).
 *
 * Contract with the driver (what Linux's e1000_tso / e1000_tx_csum / e1000_tx_queue send):
 *  - A context descriptor (DEXT=1, DTYP=0000) carries no data. With TUCMD.TSE it loads the
 *    segmentation context, without it the checksum context: the model keeps both, as QEMU does,
 *    and a data descriptor uses the segmentation context when its DCMD.TSE is set, the checksum
 *    context otherwise. Contexts persist until the next context descriptor of the same kind (or
 *    CTRL.RST): a driver need only send one when the parameters change.
 *  - Offsets count from the first byte of the packet as DMA'd (the destination MAC address),
 *    without any VLAN tag the device inserts. Checksum ends (IPCSE, TUCSE) are inclusive; 0 means
 *    "to the end of the packet" (3.3.6). The sum covers [start, end] including the checksum field
 *    as the driver left it, so the driver seeds it: 0 for the IPv4 header checksum, the
 *    pseudo-header sum for TCP/UDP (with the length for plain checksum offload, without it for
 *    TSE: the hardware adds each segment's TCP length, 3.5.8 / figure 3-13).
 */

/* ---- descriptor layout (SDM 3.3.6 table 3-13, 3.3.7 table 3-17); bytes of the 16-byte descriptor ---- */
/** Context: IP checksum start/offset (1 byte each), end (2 bytes LE). */
export const TXD_CTX_IPCSS = 0;
export const TXD_CTX_IPCSO = 1;
export const TXD_CTX_IPCSE = 2;
/** Context: TCP/UDP checksum start/offset (1 byte each), end (2 bytes LE). */
export const TXD_CTX_TUCSS = 4;
export const TXD_CTX_TUCSO = 5;
export const TXD_CTX_TUCSE = 6;
/** Context: dword 2 = PAYLEN 19:0 | DTYP 23:20 | TUCMD 31:24; data: DTALEN 19:0 | DTYP | DCMD. */
export const TXD_CMD_AND_LENGTH = 8;
export const TXD_LEN_MASK = 0x000fffff;
/** Byte 10, high nibble: descriptor type (0000 context, 0001 data) when DEXT is set. */
export const TXD_DTYP_BYTE = 10;
export const TXD_DTYP_SHIFT = 4;
export const TXD_DTYP_CONTEXT = 0x0;
export const TXD_DTYP_DATA = 0x1;
/** Context: header length (TSE prototype header, 1 byte) and MSS (2 bytes LE). */
export const TXD_CTX_HDRLEN = 13;
export const TXD_CTX_MSS = 14;
/** Data: packet options byte (3.3.7.2 table 3-20). */
export const TXD_POPTS = 13;
export const TXD_POPTS_IXSM = 0x01; // insert the IP checksum
export const TXD_POPTS_TXSM = 0x02; // insert the TCP/UDP checksum

/** TUCMD (3.3.6.1 table 3-15) and DCMD (3.3.7.1 table 3-19), as bits of descriptor byte 11. */
export const TXD_TUCMD_TCP = 0x01; // TCP (1) or UDP (0): for TSE header updates
export const TXD_TUCMD_IP = 0x02; // IPv4 (1) or IPv6 (0): for TSE header updates
export const TXD_CMD_TSE = 0x04; // TUCMD: this is the segmentation context; DCMD: segment this packet

/** TCP header flags byte (offset 13 of the TCP header): PSH and FIN, cleared on all but the last segment. */
const TCP_FLAGS_OFF = 13;
const TCP_FLAG_FIN = 0x01;
const TCP_FLAG_PSH = 0x08;

/** The largest TSE prototype header: HDRLEN is one byte (3.3.6; the on-chip header buffer is 240 bytes, 3.5.9). */
export const TSO_MAX_HDR = 255;

/** One offload context: the fields of a TCP/IP context descriptor (QEMU e1000x_txd_props). */
export class TxOffloadContext {
  ipcss = 0;
  ipcso = 0;
  ipcse = 0;
  tucss = 0;
  tucso = 0;
  tucse = 0;
  paylen = 0;
  hdr_len = 0;
  mss = 0;
  /** TUCMD.IP: IPv4 (total length and ID are rewritten per segment) or IPv6. */
  ip = false;
  /** TUCMD.TCP: TCP (sequence number and flags per segment) or UDP (length per segment). */
  tcp = false;

  clear(): void {
    this.ipcss = this.ipcso = this.ipcse = 0;
    this.tucss = this.tucso = this.tucse = 0;
    this.paylen = this.hdr_len = this.mss = 0;
    this.ip = this.tcp = false;
  }

  copy_from(o: TxOffloadContext): void {
    this.ipcss = o.ipcss;
    this.ipcso = o.ipcso;
    this.ipcse = o.ipcse;
    this.tucss = o.tucss;
    this.tucso = o.tucso;
    this.tucse = o.tucse;
    this.paylen = o.paylen;
    this.hdr_len = o.hdr_len;
    this.mss = o.mss;
    this.ip = o.ip;
    this.tcp = o.tcp;
  }
}

/** Load a context descriptor (SDM 3.3.6; QEMU e1000x_read_tx_ctx_descr). */
export function e1000_read_tx_ctx_descr(d: Uint8Array, ctx: TxOffloadContext): void {
  ctx.ipcss = d[TXD_CTX_IPCSS]!;
  ctx.ipcso = d[TXD_CTX_IPCSO]!;
  ctx.ipcse = d[TXD_CTX_IPCSE]! | (d[TXD_CTX_IPCSE + 1]! << 8);
  ctx.tucss = d[TXD_CTX_TUCSS]!;
  ctx.tucso = d[TXD_CTX_TUCSO]!;
  ctx.tucse = d[TXD_CTX_TUCSE]! | (d[TXD_CTX_TUCSE + 1]! << 8);
  ctx.paylen = (d[8]! | (d[9]! << 8) | (d[10]! << 16)) & TXD_LEN_MASK;
  const tucmd = d[11]!;
  ctx.ip = (tucmd & TXD_TUCMD_IP) !== 0;
  ctx.tcp = (tucmd & TXD_TUCMD_TCP) !== 0;
  ctx.hdr_len = d[TXD_CTX_HDRLEN]!;
  ctx.mss = d[TXD_CTX_MSS]! | (d[TXD_CTX_MSS + 1]! << 8);
}

/**
 * Offload state of the transmitter: both contexts, the options of the packet being assembled
 * (latched from its first data descriptor) and, for a TSE packet, the prototype header and how far
 * segmentation has got. Owned by TxState; touched only from e1000_start_xmit (device context).
 */
export class TxOffloadState {
  /** Loaded by a context descriptor without TUCMD.TSE: used by data descriptors without DCMD.TSE. */
  readonly csum = new TxOffloadContext();
  /** Loaded by a context descriptor with TUCMD.TSE: used by data descriptors with DCMD.TSE. */
  readonly tso = new TxOffloadContext();
  /** The segmentation context as it was when the current TSE packet started. */
  readonly cur = new TxOffloadContext();
  /** The TSE prototype header (3.5.9: fetched once, rewritten for every segment). */
  readonly hdr = new Uint8Array(TSO_MAX_HDR);

  /* The packet being assembled. */
  /** A descriptor of the packet has been taken (POPTS/TSE come from its first data descriptor). */
  started = false;
  /** POPTS IXSM/TXSM of the first data descriptor (0 for a legacy packet). */
  sum_needed = 0;
  /** The packet is a TCP segmentation (first data descriptor had DCMD.TSE). */
  tse = false;
  /** For TSE: DCMD (IFCS, VLE) and the VLAN tag of the first data descriptor, for every segment. */
  tse_cmd = 0;
  tse_special = 0;
  /** For TSE: segments sent and payload bytes they carried. */
  seg = 0;
  sent_payload = 0;
  /** For TSE: the descriptors supplied more payload than PAYLEN (the excess is not sent). */
  overrun = false;

  /* Counters (never cleared except by the constructor; shown by ~info network). */
  /** Data descriptors with TSE whose segmentation context is unusable (packet dropped). */
  tso_bad_context = 0;
  /** TSE packets whose data did not match PAYLEN or ended inside the header (TSCTFC). */
  tso_failed = 0;
  /** Checksums not inserted because an offset lies outside the packet (3.3.6: "not inserted"). */
  csum_out_of_range = 0;

  /** Forget the packet being assembled (EOP, DMA abort, reset). */
  end_packet(): void {
    this.started = false;
    this.sum_needed = 0;
    this.tse = false;
    this.tse_cmd = 0;
    this.tse_special = 0;
    this.seg = 0;
    this.sent_payload = 0;
    this.overrun = false;
  }

  /** CTRL.RST: contexts are forgotten along with the packet. */
  reset(): void {
    this.end_packet();
    this.csum.clear();
    this.tso.clear();
    this.cur.clear();
  }
}

/**
 * Why a segmentation context cannot segment, or null if it can: the prototype header must hold the
 * fields the hardware rewrites (3.5.9), and one segment must fit the transmit buffer (3.3.6 note 2:
 * HDRLEN + MSS at least 80 bytes below the TX FIFO; the model's buffer is `max_frame`).
 */
export function tso_context_problem(c: TxOffloadContext, max_frame: number): string | null {
  if (c.hdr_len === 0 || c.mss === 0) return "HDRLEN or MSS is 0";
  if (c.hdr_len + c.mss > max_frame) return "HDRLEN + MSS exceeds the transmit buffer";
  if (c.ipcss + 6 > c.hdr_len) return "the IP header (IPCSS) lies outside HDRLEN"; // length and ID fields
  if (c.tucss + (c.tcp ? TCP_FLAGS_OFF + 1 : 6) > c.hdr_len) return "the TCP/UDP header (TUCSS) lies outside HDRLEN";
  if (c.tucso + 2 > c.hdr_len) return "TUCSO lies outside HDRLEN";
  return null;
}

/**
 * Insert a checksum (SDM 3.3.6 IPCSx/TUCSx, 3.5.8; QEMU putsum): the complement of the one's
 * complement sum of [css, cse] (cse 0: to the end of the packet), including the checksum field's
 * current contents, stored big-endian at `sloc`. A result of 0 is stored as 0xFFFF (QEMU's
 * net_checksum_finish_nozero; the same value in one's complement, and the only valid one for UDP,
 * where 0 means "no checksum"). Returns false, inserting nothing, when the offsets lie outside the
 * packet (the SDM: "the checksum is not inserted").
 */
export function tx_putsum(f: Uint8Array, len: number, sloc: number, css: number, cse: number): boolean {
  let n = len;
  if (cse !== 0 && cse < n) n = cse + 1;
  if (sloc + 1 >= n || css >= n) return false;
  let c = csum_fold(csum_partial(f, css, n - css));
  if (c === 0) c = 0xffff;
  f[sloc] = c >>> 8;
  f[sloc + 1] = c & 0xff;
  return true;
}

function get16(f: Uint8Array, o: number): number {
  return (f[o]! << 8) | f[o + 1]!;
}

function put16(f: Uint8Array, o: number, v: number): void {
  f[o] = (v >>> 8) & 0xff;
  f[o + 1] = v & 0xff;
}

/**
 * Rewrite the headers of TSE segment number `seg` (0-based) of `len` bytes in f (SDM 3.5.9.1-3;
 * QEMU xmit_seg): IPv4 total length and ID (+seg: the prototype's ID is incremented once per
 * segment, wrapping), IPv6 payload length; TCP sequence number (+seg*MSS), PSH and FIN cleared
 * unless `last`; UDP length; with TXSM, this segment's TCP/UDP length added into the pseudo-header
 * sum the driver seeded at TUCSO. The checksums themselves are inserted afterwards (tx_checksums).
 * `f` holds the prototype header fresh for every segment, so each field starts from the driver's value.
 */
export function tso_fix_segment(f: Uint8Array, len: number, c: TxOffloadContext, seg: number, last: boolean, sum_needed: number): void {
  const ipcss = c.ipcss;
  if (c.ip) {
    put16(f, ipcss + 2, len - ipcss);
    put16(f, ipcss + 4, get16(f, ipcss + 4) + seg);
  } else {
    put16(f, ipcss + 4, len - ipcss);
  }
  const tucss = c.tucss;
  const l4len = len - tucss;
  if (c.tcp) {
    const o = tucss + 4;
    const seq = (((f[o]! << 24) | (f[o + 1]! << 16) | (f[o + 2]! << 8) | f[o + 3]!) >>> 0) + seg * c.mss;
    f[o] = (seq >>> 24) & 0xff;
    f[o + 1] = (seq >>> 16) & 0xff;
    f[o + 2] = (seq >>> 8) & 0xff;
    f[o + 3] = seq & 0xff;
    if (!last) f[tucss + TCP_FLAGS_OFF] = f[tucss + TCP_FLAGS_OFF]! & ~(TCP_FLAG_PSH | TCP_FLAG_FIN);
  } else {
    put16(f, tucss + 4, l4len);
  }
  if ((sum_needed & TXD_POPTS_TXSM) !== 0) {
    const p = get16(f, c.tucso) + l4len;
    put16(f, c.tucso, (p >>> 16) + (p & 0xffff));
  }
}

/**
 * Insert the checksums POPTS asked for, TCP/UDP first then IP (QEMU's order), from context `c`.
 * Returns how many requested checksums could not be inserted (offsets outside the packet).
 */
export function tx_checksums(f: Uint8Array, len: number, c: TxOffloadContext, sum_needed: number): number {
  let skipped = 0;
  if ((sum_needed & TXD_POPTS_TXSM) !== 0 && !tx_putsum(f, len, c.tucso, c.tucss, c.tucse)) skipped++;
  if ((sum_needed & TXD_POPTS_IXSM) !== 0 && !tx_putsum(f, len, c.ipcso, c.ipcss, c.ipcse)) skipped++;
  return skipped;
}
