/**
 * Transmit side of the e1000 driver (≈ the TX half of Linux's e1000_main.c): ring set-up,
 * e1000_xmit_frame (with e1000_tx_csum, e1000_tso, e1000_tx_map and e1000_tx_queue) and
 * e1000_clean_tx_irq. Frames are sent from the packet buffers they were built in — each descriptor
 * points at a buffer's bus address (the head, then each fragment); nothing is copied.
 *
 * Offloads (SDM 3.3.5-3.3.7): a CHECKSUM_PARTIAL frame goes out as TCP/IP data descriptors with
 * POPTS.TXSM after a context descriptor that names TUCSS/TUCSO; a GSO frame (gso_size) after a TSE
 * context naming the IP and TCP checksum fields, MSS and HDRLEN, with POPTS.IXSM|TXSM. A frame
 * without either uses legacy descriptors, as before.
 */
import { netif_queue_stopped, netif_stop_queue, netif_wake_queue } from "./netdev_queue.ts";
import { CHECKSUM_PARTIAL, ETH_HLEN, ETH_P_IP, NETDEV_TX_BUSY, NETDEV_TX_OK, type NetDevice, type PBuf } from "../../include/net/netdevice.ts";
import { IPPROTO_TCP } from "../../include/uapi/in.ts";
import { csum_fold, csum_tcpudp_nofold } from "../../lib/inet_checksum.ts";
import { pbuf_put } from "../../kernel/mm/pbuf.ts";

import { DMA_TO_DEVICE } from "../../include/linux/dma-direction.ts";
import { dma_map_single, dma_mapping_error } from "../../kernel/dma/mapping.ts";
import { e1000_clean_ring, e1000_free_ring, e1000_setup_ring, e1000_unmap_slot, type E1000Ring, er32, ew32, type E1000Adapter } from "./e1000_adapter.ts";
import {
  DEFAULT_82543_TIPG_IPGR1,
  DEFAULT_82543_TIPG_IPGR2,
  DEFAULT_82543_TIPG_IPGT_COPPER,
  e1000_desc_unused,
  E1000_COLD_SHIFT,
  E1000_COLLISION_DISTANCE,
  E1000_COLLISION_THRESHOLD,
  E1000_CT_SHIFT,
  E1000_DESC_SIZE,
  E1000_TADV,
  E1000_TCTL,
  E1000_TCTL_EN,
  E1000_TCTL_PSP,
  E1000_TCTL_RTLC,
  E1000_TDBAH,
  E1000_TDBAL,
  E1000_TDH,
  E1000_TDLEN,
  E1000_TDT,
  E1000_TIDV,
  E1000_TIPG,
  E1000_TIPG_IPGR1_SHIFT,
  E1000_TIPG_IPGR2_SHIFT,
  TX_WAKE_THRESHOLD,
  E1000_TXD_STAT_DD,
  E1000_TXD_STATUS,
  E1000_CTXD_CMD_LEN,
  E1000_CTXD_HDRLEN,
  E1000_CTXD_IPCSE,
  E1000_CTXD_IPCSO,
  E1000_CTXD_IPCSS,
  E1000_CTXD_MSS,
  E1000_CTXD_STATUS,
  E1000_CTXD_TUCSE,
  E1000_CTXD_TUCSO,
  E1000_CTXD_TUCSS,
  E1000_TXD_CMD_DEXT_L,
  E1000_TXD_CMD_EOP_L,
  E1000_TXD_CMD_IDE_L,
  E1000_TXD_CMD_IFCS_L,
  E1000_TXD_CMD_IP,
  E1000_TXD_CMD_RS_L,
  E1000_TXD_CMD_TCP,
  E1000_TXD_CMD_TSE,
  E1000_TXD_DTYP_D,
  E1000_TXD_LOWER,
  E1000_TXD_POPTS_IXSM,
  E1000_TXD_POPTS_TXSM,
} from "./e1000_hw.ts";

/** TxIntDelay / TxAbsIntDelay defaults (e1000_param.c), in 1.024 us units. */
export const DEFAULT_TIDV = 8;
export const DEFAULT_TADV = 32;

/** e1000_setup_tx_resources(): the descriptor ring in coherent memory. 0 or -ENOMEM. */
export function e1000_setup_tx_resources(adapter: E1000Adapter): number {
  return e1000_setup_ring(adapter, adapter.tx_ring);
}

/**
 * Before a TX ring is emptied (down, reset, remove): every frame still in it is accounted — one
 * the hardware finished (DD) but the poll had not reclaimed yet counts as sent, any other was never
 * sent and counts in tx_dropped and tx_reset_dropped. The buffers themselves are given back by
 * e1000_clean_ring. Process context, with NAPI disabled.
 */
function e1000_account_tx_ring(adapter: E1000Adapter): void {
  const ring = adapter.tx_ring;
  const desc = ring.desc;
  if (desc === null) return;
  const stats = adapter.netdev.stats;
  for (let i = 0; i < ring.buffer_info.length; i++) {
    const p = ring.buffer_info[i];
    if (!p) continue;
    if ((desc.view.getUint8(i * E1000_DESC_SIZE + E1000_TXD_STATUS) & E1000_TXD_STAT_DD) !== 0) {
      stats.tx_packets += ring.segs[i]!;
      stats.tx_bytes += ring.bytecount[i]!;
    } else {
      stats.tx_dropped++;
      adapter.tx_reset_dropped++;
    }
  }
}

/** e1000_clean_tx_ring(): give back every frame still in the ring (each one counted) and zero the descriptors. */
export function e1000_clean_tx_ring(adapter: E1000Adapter): void {
  e1000_account_tx_ring(adapter);
  e1000_clean_ring(adapter, adapter.tx_ring);
  adapter.tx_tail_pending = false;
}

export function e1000_free_tx_resources(adapter: E1000Adapter): void {
  e1000_account_tx_ring(adapter);
  e1000_free_ring(adapter, adapter.tx_ring);
  adapter.tx_tail_pending = false;
}

/**
 * e1000_configure_tx(): program the ring (TDBAL/TDBAH/TDLEN, TDH = TDT = 0), the inter-packet gap,
 * the transmit interrupt delays and TCTL (enabled separately by e1000_up).
 */
export function e1000_configure_tx(adapter: E1000Adapter): void {
  const ring = adapter.tx_ring;
  const base = ring.desc!.dma_handle;
  ew32(adapter, E1000_TDBAL, base >>> 0);
  ew32(adapter, E1000_TDBAH, Math.floor(base / 0x100000000));
  ew32(adapter, E1000_TDLEN, ring.count * E1000_DESC_SIZE);
  ew32(adapter, E1000_TDH, 0);
  ew32(adapter, E1000_TDT, 0);
  ring.next_to_use = ring.next_to_clean = 0;
  // The hardware forgot its offload context with the reset before this: the next needs a new one.
  adapter.tx_ctx_css = adapter.tx_ctx_cso = adapter.tx_ctx_cmd = -1;
  ew32(adapter, E1000_TIPG, DEFAULT_82543_TIPG_IPGT_COPPER | (DEFAULT_82543_TIPG_IPGR1 << E1000_TIPG_IPGR1_SHIFT) | (DEFAULT_82543_TIPG_IPGR2 << E1000_TIPG_IPGR2_SHIFT));
  ew32(adapter, E1000_TIDV, DEFAULT_TIDV);
  ew32(adapter, E1000_TADV, DEFAULT_TADV);
  ew32(adapter, E1000_TCTL, E1000_TCTL_PSP | E1000_TCTL_RTLC | (E1000_COLLISION_THRESHOLD << E1000_CT_SHIFT) | (E1000_COLLISION_DISTANCE << E1000_COLD_SHIFT));
}

export function e1000_enable_tx(adapter: E1000Adapter, on: boolean): void {
  const tctl = er32(adapter, E1000_TCTL);
  ew32(adapter, E1000_TCTL, on ? tctl | E1000_TCTL_EN : tctl & ~E1000_TCTL_EN);
}

/** Write the tail for frames queued with `more` (the doorbell, once per batch). */
export function e1000_flush_tx(adapter: E1000Adapter): void {
  if (!adapter.tx_tail_pending) return;
  adapter.tx_tail_pending = false;
  ew32(adapter, E1000_TDT, adapter.tx_ring.next_to_use);
}

/** Write one 16-byte descriptor at slot `i`: address, the 32-bit command/length word, status/POPTS/special. */
function e1000_write_desc(dv: DataView, i: number, addr: number, lower: number, upper: number): void {
  const off = i * E1000_DESC_SIZE;
  dv.setUint32(off, addr >>> 0, true);
  dv.setUint32(off + 4, Math.floor(addr / 0x100000000), true);
  dv.setUint32(off + E1000_TXD_LOWER, lower >>> 0, true);
  dv.setUint32(off + E1000_TXD_STATUS, upper >>> 0, true);
}

/**
 * e1000_tso(): for a GSO frame, write the TSE context descriptor — IPCSS/IPCSO/IPCSE over the IPv4
 * header, TUCSS/TUCSO over the TCP header, MSS, HDRLEN and PAYLEN — after preparing the headers as
 * the hardware expects them: IP total length and header checksum 0, the TCP checksum seeded with the
 * pseudo-header sum without a length (the hardware adds each segment's). Returns 1 (context
 * written), 0 (not a GSO frame) or -1 (a GSO frame this hardware cannot segment: not TCP over
 * IPv4, or its headers not in the head buffer).
 */
function e1000_tso(adapter: E1000Adapter, p: PBuf): number {
  if (p.gso_size === 0) return 0;
  const d = p.data;
  const v = p.view;
  const h = p.head;
  if (((d[h + 12]! << 8) | d[h + 13]!) !== ETH_P_IP || d[h + ETH_HLEN + 9] !== IPPROTO_TCP) return -1;
  const ipcss = ETH_HLEN;
  const ihl = (d[h + ipcss]! & 0x0f) * 4;
  const tucss = ipcss + ihl;
  const hdr_len = tucss + ((d[h + tucss + 12]! >> 4) * 4);
  if (ihl < 20 || hdr_len > p.len - p.data_len || hdr_len >= p.len || hdr_len > 255) return -1;
  const iph = h + ipcss;
  v.setUint16(iph + 2, 0); // tot_len: the hardware writes each segment's
  v.setUint16(iph + 10, 0); // check: the hardware computes each segment's (IXSM)
  const seed = csum_tcpudp_nofold(v.getUint32(iph + 12), v.getUint32(iph + 16), 0, IPPROTO_TCP);
  v.setUint16(h + tucss + 16, ~csum_fold(seed) & 0xffff);
  const ring = adapter.tx_ring;
  const i = ring.next_to_use;
  const dv = ring.desc!.view;
  const off = i * E1000_DESC_SIZE;
  dv.setUint8(off + E1000_CTXD_IPCSS, ipcss);
  dv.setUint8(off + E1000_CTXD_IPCSO, ipcss + 10);
  dv.setUint16(off + E1000_CTXD_IPCSE, tucss - 1, true);
  dv.setUint8(off + E1000_CTXD_TUCSS, tucss);
  dv.setUint8(off + E1000_CTXD_TUCSO, tucss + 16);
  dv.setUint16(off + E1000_CTXD_TUCSE, 0, true);
  dv.setUint32(off + E1000_CTXD_CMD_LEN, (E1000_TXD_CMD_DEXT_L | E1000_TXD_CMD_TSE | E1000_TXD_CMD_IP | E1000_TXD_CMD_TCP | (p.len - hdr_len)) >>> 0, true);
  dv.setUint8(off + E1000_CTXD_STATUS, 0);
  dv.setUint8(off + E1000_CTXD_HDRLEN, hdr_len);
  dv.setUint16(off + E1000_CTXD_MSS, p.gso_size, true);
  ring.next_to_use = i + 1 === ring.count ? 0 : i + 1;
  p.gso_segs = Math.ceil((p.len - hdr_len) / p.gso_size);
  adapter.tx_tso_ctxt++;
  // Whether the part keeps one context or two (QEMU keeps a TSO and a checksum context apart), the
  // checksum context is not trusted after a TSO one.
  adapter.tx_ctx_css = adapter.tx_ctx_cso = adapter.tx_ctx_cmd = -1;
  return hdr_len;
}

/**
 * e1000_tx_csum(): a CHECKSUM_PARTIAL frame needs the hardware to sum from csum_start to the end and
 * store the result at csum_start + csum_offset (TUCSS, TUCSO; TUCSE 0 = to the end; no IP
 * checksum — the stack wrote it). The context is written only when it differs from the one the
 * hardware already holds (Linux's e1000 writes one for every such frame; the SDM keeps a context
 * until the next context descriptor, 3.3.6, so the repeat is not needed). Returns true when the
 * frame wants TXSM.
 */
function e1000_tx_csum(adapter: E1000Adapter, p: PBuf): boolean {
  if (p.ip_summed !== CHECKSUM_PARTIAL) return false;
  const d = p.data;
  const h = p.head;
  const css = p.csum_start - h;
  const cso = css + p.csum_offset;
  let cmd = E1000_TXD_CMD_DEXT_L;
  if (((d[h + 12]! << 8) | d[h + 13]!) === ETH_P_IP && d[h + ETH_HLEN + 9] === IPPROTO_TCP) cmd |= E1000_TXD_CMD_TCP;
  if (css === adapter.tx_ctx_css && cso === adapter.tx_ctx_cso && cmd === adapter.tx_ctx_cmd) return true;
  const ring = adapter.tx_ring;
  const i = ring.next_to_use;
  const dv = ring.desc!.view;
  const off = i * E1000_DESC_SIZE;
  dv.setUint32(off, 0, true); // IPCSS, IPCSO, IPCSE: no IP checksum
  dv.setUint8(off + E1000_CTXD_TUCSS, css);
  dv.setUint8(off + E1000_CTXD_TUCSO, cso);
  dv.setUint16(off + E1000_CTXD_TUCSE, 0, true);
  dv.setUint32(off + E1000_CTXD_CMD_LEN, cmd >>> 0, true);
  dv.setUint32(off + E1000_CTXD_STATUS, 0, true); // STA, HDRLEN, MSS
  ring.next_to_use = i + 1 === ring.count ? 0 : i + 1;
  adapter.tx_ctx_css = css;
  adapter.tx_ctx_cso = cso;
  adapter.tx_ctx_cmd = cmd;
  adapter.tx_csum_ctxt++;
  return true;
}

/** Descriptors a frame's data takes: one per non-empty piece (our buffers are below E1000_MAX_DATA_PER_TXD). */
function e1000_count_data_desc(p: PBuf): number {
  let n = p.len - p.data_len > 0 ? 1 : 0;
  for (let f = p.frag; f !== null; f = f.frag) if (f.len > 0) n++;
  return n;
}

/**
 * e1000_tx_map(): map each piece of the frame (head, then each fragment) for the device, into the
 * slots from next_to_use on: ring.dma/dma_len, one piece per descriptor. Returns the number of
 * pieces, or 0 when a mapping failed — what was mapped is unmapped again and the caller drops the
 * frame (tx_dma_failed), as Linux's e1000_tx_map does. Process or softirq context.
 */
function e1000_tx_map(adapter: E1000Adapter, p: PBuf): number {
  const ring = adapter.tx_ring;
  const pdev = adapter.pdev;
  let i = ring.next_to_use;
  let count = 0;
  const headlen = p.len - p.data_len;
  let piece: PBuf | null = headlen > 0 ? p : p.frag;
  while (piece !== null) {
    const len = piece === p ? headlen : piece.len;
    if (len > 0) {
      const dma = dma_map_single(pdev, piece.data, piece.head, len, DMA_TO_DEVICE);
      if (dma_mapping_error(pdev, dma) !== 0) {
        adapter.tx_dma_failed++;
        for (let j = ring.next_to_use; count > 0; count--, j = j + 1 === ring.count ? 0 : j + 1) e1000_unmap_slot(adapter, ring, j);
        return 0;
      }
      ring.dma[i] = dma;
      ring.dma_len[i] = len;
      i = i + 1 === ring.count ? 0 : i + 1;
      count++;
    }
    piece = piece === p ? p.frag : piece.frag;
  }
  return count;
}

/**
 * e1000_tx_queue(): one data descriptor per mapped piece (e1000_tx_map) with the command bits the
 * offload chose; the last also gets EOP, RS and IDE and holds the frame (buffer_info); the first
 * slot of the frame (its context, if any) records the EOP index.
 */
function e1000_tx_queue(adapter: E1000Adapter, p: PBuf, first: number, count: number, lower: number, popts: number, hdr_len: number): void {
  const ring = adapter.tx_ring;
  const dv = ring.desc!.view;
  const upper = popts << 8;
  let i = ring.next_to_use;
  let last = i;
  for (let n = 0; n < count; n++) {
    e1000_write_desc(dv, i, ring.dma[i]!, lower | ring.dma_len[i]!, upper);
    last = i;
    i = i + 1 === ring.count ? 0 : i + 1;
  }
  const off = last * E1000_DESC_SIZE + E1000_TXD_LOWER;
  dv.setUint32(off, (dv.getUint32(off, true) | E1000_TXD_CMD_EOP_L | E1000_TXD_CMD_RS_L | E1000_TXD_CMD_IDE_L) >>> 0, true);
  const segs = p.gso_size !== 0 ? p.gso_segs : 1;
  ring.buffer_info[last] = p;
  ring.segs[last] = segs;
  ring.bytecount[last] = p.len + (segs - 1) * hdr_len;
  ring.next_to_watch[first] = last;
  ring.next_to_use = i;
}

/**
 * e1000_xmit_frame() (ndo_start_xmit): the frame's context descriptor if its offload needs a new
 * one, then its data descriptors (legacy ones for a frame without offload). The buffers are the
 * ring's until e1000_clean_tx_irq sees DD on the frame's last descriptor. With no room for the whole
 * frame the queue is stopped and NETDEV_TX_BUSY returned (the caller keeps the frame and waits to
 * be woken). A GSO frame the hardware cannot segment is dropped and counted (tx_dropped), as
 * Linux's e1000_xmit_frame frees it. Process or softirq context.
 */
export function e1000_xmit_frame(p: PBuf, dev: NetDevice, more: boolean): number {
  const adapter = dev.priv as E1000Adapter;
  const ring = adapter.tx_ring;
  if (adapter.down || ring.desc === null) return NETDEV_TX_BUSY;
  // Data descriptors, plus one for a context (e1000_maybe_stop_tx asks for the worst case).
  const needed = e1000_count_data_desc(p) + 1;
  if (e1000_desc_unused(ring.count, ring.next_to_use, ring.next_to_clean) < needed) {
    netif_stop_queue(dev);
    e1000_flush_tx(adapter);
    return NETDEV_TX_BUSY;
  }
  const first = ring.next_to_use;
  let lower = E1000_TXD_CMD_IFCS_L;
  let popts = 0;
  const hdr_len = e1000_tso(adapter, p);
  if (hdr_len < 0) {
    dev.stats.tx_dropped++;
    pbuf_put(p);
    if (!more) e1000_flush_tx(adapter); // frames queued before this one still get their doorbell
    return NETDEV_TX_OK;
  }
  if (hdr_len > 0) {
    lower |= E1000_TXD_CMD_DEXT_L | E1000_TXD_DTYP_D | E1000_TXD_CMD_TSE;
    popts = E1000_TXD_POPTS_TXSM | E1000_TXD_POPTS_IXSM;
    adapter.tx_tso++;
  } else if (e1000_tx_csum(adapter, p)) {
    lower |= E1000_TXD_CMD_DEXT_L | E1000_TXD_DTYP_D;
    popts = E1000_TXD_POPTS_TXSM;
    adapter.tx_csum_offload++;
  }
  const count = e1000_tx_map(adapter, p);
  if (count === 0) {
    // Nothing could be mapped: the frame is dropped (and counted), its context descriptor undone.
    ring.next_to_use = first;
    adapter.tx_ctx_css = adapter.tx_ctx_cso = adapter.tx_ctx_cmd = -1;
    dev.stats.tx_dropped++;
    pbuf_put(p);
    if (!more) e1000_flush_tx(adapter);
    return NETDEV_TX_OK;
  }
  e1000_tx_queue(adapter, p, first, count, lower, popts, hdr_len);
  adapter.tx_tail_pending = true;
  if (!more) e1000_flush_tx(adapter);
  // Stop early so the next frame never has to be refused (e1000_maybe_stop_tx).
  if (e1000_desc_unused(ring.count, ring.next_to_use, ring.next_to_clean) < 2) {
    netif_stop_queue(dev);
    e1000_flush_tx(adapter);
  }
  return NETDEV_TX_OK;
}

/**
 * e1000_clean_tx_irq(): reclaim frames the hardware finished — DD on a frame's last descriptor
 * (next_to_watch) — give their buffers back, count them (a TSO frame as its segments, with the
 * replicated headers in the bytes, as Linux does), and wake the queue once TX_WAKE_THRESHOLD
 * descriptors are free. Only DD counts as sent: a frame the hardware never completed stays in the
 * ring until it completes or a reset frees it (and counts it dropped).
 * NAPI (softirq) context. Returns true when it cleaned everything that was done.
 */
export function e1000_clean_tx_irq(adapter: E1000Adapter): boolean {
  const ring: E1000Ring = adapter.tx_ring;
  const desc = ring.desc;
  if (desc === null) return true;
  const dv = desc.view;
  const stats = adapter.netdev.stats;
  let i = ring.next_to_clean;
  let cleaned = 0;
  let total_tx_bytes = 0;
  let total_tx_packets = 0;
  while (i !== ring.next_to_use && cleaned < ring.count) {
    let eop = ring.next_to_watch[i]!;
    if (eop < 0) eop = i; // not the start of a frame we queued: look at this descriptor alone
    if ((dv.getUint8(eop * E1000_DESC_SIZE + E1000_TXD_STATUS) & E1000_TXD_STAT_DD) === 0) break;
    for (;;) {
      e1000_unmap_slot(adapter, ring, i);
      const p = ring.buffer_info[i];
      if (p) {
        total_tx_packets += ring.segs[i]!;
        total_tx_bytes += ring.bytecount[i]!;
        pbuf_put(p);
        ring.buffer_info[i] = null;
      }
      ring.next_to_watch[i] = -1;
      dv.setUint8(i * E1000_DESC_SIZE + E1000_TXD_STATUS, 0);
      const done = i === eop;
      i = i + 1 === ring.count ? 0 : i + 1;
      cleaned++;
      if (done) break;
    }
  }
  ring.next_to_clean = i;
  adapter.total_tx_bytes += total_tx_bytes; // for e1000_set_itr
  adapter.total_tx_packets += total_tx_packets;
  stats.tx_packets += total_tx_packets;
  stats.tx_bytes += total_tx_bytes;
  if (cleaned > 0 && netif_queue_stopped(adapter.netdev) && e1000_desc_unused(ring.count, ring.next_to_use, ring.next_to_clean) >= TX_WAKE_THRESHOLD && !adapter.down) {
    netif_wake_queue(adapter.netdev);
    adapter.restart_queue++;
  }
  return cleaned < ring.count;
}

/** TDH as the hardware reports it (for hang detection and the ring dump). */
export function e1000_tdh(adapter: E1000Adapter): number {
  return er32(adapter, E1000_TDH);
}
