/**
 * Receive side of the e1000 driver (≈ the RX half of Linux's e1000_main.c): ring set-up,
 * e1000_alloc_rx_buffers and e1000_clean_rx_irq. Every descriptor owns one 2 KiB packet buffer,
 * mapped DMA_FROM_DEVICE while it is posted. A received frame longer than copybreak goes up the
 * stack in its own buffer (unmapped first) and a fresh one takes its place; a shorter one is synced
 * for the CPU and copied out, and its buffer stays posted.
 */
import { CHECKSUM_NONE, CHECKSUM_UNNECESSARY, IFF_ALLMULTI, IFF_PROMISC, PBUF_SIZE, type PBuf } from "../../include/net/netdevice.ts";
import { pbuf_alloc, pbuf_put } from "../../kernel/mm/pbuf.ts";
import { ktime_get_ns } from "../../kernel/time/timekeeping.ts";
import { netdev_receive } from "../net/netdev.ts";
import { DMA_FROM_DEVICE } from "../../include/linux/dma-direction.ts";
import { dma_map_single, dma_mapping_error, dma_sync_single_for_cpu } from "../../kernel/dma/mapping.ts";
import { pr_err_once } from "../../kernel/printk.ts";
import { memcpy } from "../../lib/string.ts";
import { e1000_clean_ring, e1000_free_ring, e1000_setup_ring, e1000_unmap_slot, type E1000Ring, er32, ew32, type E1000Adapter } from "./e1000_adapter.ts";
import {
  E1000_DESC_SIZE,
  E1000_RADV,
  E1000_RCTL,
  E1000_RCTL_BAM,
  E1000_RCTL_EN,
  E1000_RCTL_MPE,
  E1000_RCTL_UPE,
  E1000_RCTL_LBM_NO,
  E1000_RCTL_MO_0,
  E1000_RCTL_RDMTS_HALF,
  E1000_RCTL_SECRC,
  E1000_RCTL_SZ_2048,
  E1000_RDBAH,
  E1000_RDBAL,
  E1000_RDH,
  E1000_RDLEN,
  E1000_RDT,
  E1000_RDTR,
  E1000_RX_BUFFER_WRITE,
  E1000_RXD_ERR_FRAME_ERR_MASK,
  E1000_RXD_ERRORS,
  E1000_RXD_LENGTH,
  E1000_RXD_STAT_DD,
  E1000_RXD_STAT_EOP,
  E1000_RXD_STATUS,
  E1000_RXCSUM,
  E1000_RXCSUM_IPOFL,
  E1000_RXCSUM_TUOFL,
  E1000_RXD_ERR_IPE,
  E1000_RXD_ERR_TCPE,
  E1000_RXD_STAT_IXSM,
  E1000_RXD_STAT_TCPCS,
  E1000_RXD_STAT_UDPCS,
} from "./e1000_hw.ts";

/** RxIntDelay / RxAbsIntDelay defaults (e1000_param.c): no packet timer, 8.192 us absolute. */
export const DEFAULT_RDTR = 0;
export const DEFAULT_RADV = 8;
/** The receive control word: broadcast on, CRC stripped, 2 KiB buffers, RXDMT0 at half the ring. */
export const E1000_RCTL_DEFAULT = E1000_RCTL_BAM | E1000_RCTL_SECRC | E1000_RCTL_SZ_2048 | E1000_RCTL_RDMTS_HALF | E1000_RCTL_LBM_NO | E1000_RCTL_MO_0;

export function e1000_setup_rx_resources(adapter: E1000Adapter): number {
  return e1000_setup_ring(adapter, adapter.rx_ring);
}

/**
 * Before an RX ring is emptied: a frame the hardware wrote back (DD + EOP) that the poll never
 * handed up was received and is now lost — count it in rx_dropped (and rx_reset_dropped). Empty
 * posted buffers are not frames. Process context, NAPI disabled.
 */
function e1000_account_rx_ring(adapter: E1000Adapter): void {
  const ring = adapter.rx_ring;
  const desc = ring.desc;
  if (desc === null) return;
  const stats = adapter.netdev.stats;
  const want = E1000_RXD_STAT_DD | E1000_RXD_STAT_EOP;
  for (let i = 0; i < ring.buffer_info.length; i++) {
    if (!ring.buffer_info[i]) continue;
    if ((desc.view.getUint8(i * E1000_DESC_SIZE + E1000_RXD_STATUS) & want) === want) {
      stats.rx_dropped++;
      adapter.rx_reset_dropped++;
    }
  }
}

/** e1000_clean_rx_ring(): take every posted buffer back (unreceived frames counted) and zero the descriptors. */
export function e1000_clean_rx_ring(adapter: E1000Adapter): void {
  e1000_account_rx_ring(adapter);
  e1000_clean_ring(adapter, adapter.rx_ring);
  adapter.rx_discarding = false;
}

export function e1000_free_rx_resources(adapter: E1000Adapter): void {
  e1000_account_rx_ring(adapter);
  e1000_free_ring(adapter, adapter.rx_ring);
  adapter.rx_discarding = false;
}

/** e1000_configure_rx(): program the ring (RDT stays 0 until buffers are posted) and the delays. */
export function e1000_configure_rx(adapter: E1000Adapter): void {
  const ring = adapter.rx_ring;
  const base = ring.desc!.dma_handle;
  ew32(adapter, E1000_RCTL, 0);
  ew32(adapter, E1000_RDTR, DEFAULT_RDTR);
  ew32(adapter, E1000_RADV, DEFAULT_RADV);
  ew32(adapter, E1000_RDBAL, base >>> 0);
  ew32(adapter, E1000_RDBAH, Math.floor(base / 0x100000000));
  ew32(adapter, E1000_RDLEN, ring.count * E1000_DESC_SIZE);
  ew32(adapter, E1000_RDH, 0);
  ew32(adapter, E1000_RDT, 0);
  ring.next_to_use = ring.next_to_clean = 0;
  // Receive checksum offload (13.4.46), written while the receiver is off as the SDM asks: TCP/UDP
  // and IPv4 header checks with NETIF_F_RXCSUM, none without. (Linux's e1000 switches only TUOFL.)
  const rxcsum = er32(adapter, E1000_RXCSUM);
  const offl = E1000_RXCSUM_TUOFL | E1000_RXCSUM_IPOFL;
  ew32(adapter, E1000_RXCSUM, (adapter.rx_csum ? rxcsum | offl : rxcsum & ~offl) >>> 0);
  ew32(adapter, E1000_RCTL, E1000_RCTL_DEFAULT);
  // A reset (ethtool -G, the TX-timeout reset) keeps the receive mode, as e1000_configure does.
  e1000_set_rx_mode(adapter);
}

/**
 * e1000_set_rx_mode() (ndo_set_rx_mode): the receive filter from the interface flags — RCTL.UPE
 * and MPE for IFF_PROMISC, MPE alone for IFF_ALLMULTI (SDM 13.4.22). The multicast table array
 * keeps what reset left (there are no address lists to hash into it). Any context.
 */
export function e1000_set_rx_mode(adapter: E1000Adapter): void {
  const flags = adapter.netdev.flags;
  let rctl = er32(adapter, E1000_RCTL) & ~(E1000_RCTL_UPE | E1000_RCTL_MPE);
  if ((flags & IFF_PROMISC) !== 0) rctl |= E1000_RCTL_UPE | E1000_RCTL_MPE;
  else if ((flags & IFF_ALLMULTI) !== 0) rctl |= E1000_RCTL_MPE;
  ew32(adapter, E1000_RCTL, rctl >>> 0);
}

export function e1000_enable_rx(adapter: E1000Adapter, on: boolean): void {
  const rctl = er32(adapter, E1000_RCTL);
  ew32(adapter, E1000_RCTL, on ? rctl | E1000_RCTL_EN : rctl & ~E1000_RCTL_EN);
}

/**
 * e1000_alloc_rx_buffers(): post up to `count` buffers from next_to_use on, then hand them to
 * the hardware by writing RDT (one behind next_to_use: a full ring keeps one slot empty). Returns
 * how many were posted; a shortage is counted (alloc_rx_buff_failed) and retried at the next poll.
 */
export function e1000_alloc_rx_buffers(adapter: E1000Adapter, count: number): number {
  const ring = adapter.rx_ring;
  const desc = ring.desc;
  if (desc === null) return 0;
  const dv = desc.view;
  let i = ring.next_to_use;
  let posted = 0;
  while (posted < count) {
    // A slot that still holds its mapped buffer (copybreak kept it, or the ring is being re-armed
    // after e1000_configure_rx) is posted again as it is; an empty one gets a fresh buffer, mapped.
    let p = ring.buffer_info[i] ?? null;
    if (p === null) {
      p = pbuf_alloc();
      if (p === null) {
        adapter.alloc_rx_buff_failed++;
        break;
      }
      // The whole buffer belongs to the device until the frame comes back (RCTL.BSIZE = 2048).
      const dma = dma_map_single(adapter.pdev, p.data, 0, PBUF_SIZE, DMA_FROM_DEVICE);
      if (dma_mapping_error(adapter.pdev, dma) !== 0) {
        pr_err_once("e1000 %s: RX DMA map failed\n", adapter.pdev.name);
        pbuf_put(p);
        adapter.alloc_rx_buff_failed++;
        break;
      }
      ring.buffer_info[i] = p;
      ring.dma[i] = dma;
      ring.dma_len[i] = PBUF_SIZE;
    }
    const off = i * E1000_DESC_SIZE;
    const dma = ring.dma[i]!;
    dv.setUint32(off, dma >>> 0, true);
    dv.setUint32(off + 4, Math.floor(dma / 0x100000000), true);
    dv.setUint32(off + 8, 0, true);
    dv.setUint32(off + 12, 0, true);
    i = i + 1 === ring.count ? 0 : i + 1;
    posted++;
    // Leave one slot empty: RDT must not catch up with RDH.
    if ((i + 1) % ring.count === ring.next_to_clean) break;
  }
  if (posted > 0) {
    ring.next_to_use = i;
    ew32(adapter, E1000_RDT, i === 0 ? ring.count - 1 : i - 1);
  }
  return posted;
}

/**
 * e1000_rx_checksum(): tell the stack what the hardware checked (3.2.3.1, 3.2.3.2). IXSM (or
 * NETIF_F_RXCSUM off) means nothing was checked. A TCP/UDP or IP checksum error is counted
 * (hw_csum_err) and the frame goes up as CHECKSUM_NONE, so the stack checks it again and counts it
 * where it belongs (Udp InCsumErrors …) — as e1000e does; Linux's e1000 looks at TCPE only. A frame
 * whose TCP/UDP checksum was verified goes up as CHECKSUM_UNNECESSARY (hw_csum_good). NAPI context.
 */
function e1000_rx_checksum(adapter: E1000Adapter, status: number, errors: number, p: PBuf): void {
  p.ip_summed = CHECKSUM_NONE;
  if (!adapter.rx_csum || (status & E1000_RXD_STAT_IXSM) !== 0) return;
  if ((errors & (E1000_RXD_ERR_TCPE | E1000_RXD_ERR_IPE)) !== 0) {
    adapter.hw_csum_err++;
    return;
  }
  if ((status & (E1000_RXD_STAT_TCPCS | E1000_RXD_STAT_UDPCS)) === 0) return;
  p.ip_summed = CHECKSUM_UNNECESSARY;
  adapter.hw_csum_good++;
}

/**
 * e1000_copybreak(): copy a received frame of `len` bytes into a fresh buffer so that the mapped
 * one can stay in its slot. The device wrote the frame: the bytes are synced for the CPU before it
 * reads them. Returns the copy, or null when no buffer is free (then the frame goes up in its own
 * buffer). NAPI context.
 */
function e1000_copybreak(adapter: E1000Adapter, ring: E1000Ring, slot: number, p: PBuf, len: number): PBuf | null {
  const copy = pbuf_alloc();
  if (copy === null) return null;
  dma_sync_single_for_cpu(adapter.pdev, ring.dma[slot]!, len, DMA_FROM_DEVICE);
  memcpy(copy.data, 0, p.data, 0, len);
  return copy;
}

/**
 * e1000_clean_rx_irq(): hand received frames up the stack, at most `budget` of them. A descriptor
 * with DD belongs to us again; frames with error bits are dropped and counted; a frame that spans
 * descriptors (longer than our 2 KiB buffers) is dropped up to its EOP and counted. Buffers are
 * replaced in batches of E1000_RX_BUFFER_WRITE. NAPI (softirq) context. Returns frames handled.
 */
export function e1000_clean_rx_irq(adapter: E1000Adapter, budget: number): number {
  const ring = adapter.rx_ring;
  const desc = ring.desc;
  if (desc === null) return 0;
  const dv = desc.view;
  const netdev = adapter.netdev;
  const stats = netdev.stats;
  const now = ktime_get_ns();
  let i = ring.next_to_clean;
  let work = 0;
  let cleaned = 0;
  let total_rx_bytes = 0;
  let total_rx_packets = 0;
  while (work < budget) {
    const off = i * E1000_DESC_SIZE;
    const status = dv.getUint8(off + E1000_RXD_STATUS);
    if ((status & E1000_RXD_STAT_DD) === 0) break;
    const slot = i;
    let p = ring.buffer_info[i] ?? null;
    const len = dv.getUint16(off + E1000_RXD_LENGTH, true);
    const errors = dv.getUint8(off + E1000_RXD_ERRORS);
    dv.setUint8(off + E1000_RXD_STATUS, 0);
    i = i + 1 === ring.count ? 0 : i + 1;
    cleaned++;
    work++;
    if (p === null) continue;
    const good = (status & E1000_RXD_STAT_EOP) !== 0 && !adapter.rx_discarding && (errors & E1000_RXD_ERR_FRAME_ERR_MASK) === 0;
    if (good && len <= adapter.copybreak) {
      // e1000_copybreak(): a small frame is copied out — the CPU may look at it only after syncing
      // the bytes for the CPU — and the buffer stays mapped in its slot for the next frame.
      const copy = e1000_copybreak(adapter, ring, slot, p, len);
      if (copy !== null) p = copy;
      else ring.buffer_info[slot] = null;
    } else {
      ring.buffer_info[slot] = null;
    }
    // A buffer leaving the ring goes back to the CPU: unmapping makes the device's bytes visible.
    if (ring.buffer_info[slot] === null) e1000_unmap_slot(adapter, ring, slot);
    if ((status & E1000_RXD_STAT_EOP) === 0) {
      // Longer than one buffer: this driver does not chain buffers; drop through the EOP.
      adapter.rx_discarding = true;
      pbuf_put(p);
      continue;
    }
    if (adapter.rx_discarding) {
      adapter.rx_discarding = false;
      adapter.rx_multi_desc_dropped++;
      stats.rx_length_errors++;
      stats.rx_dropped++;
      pbuf_put(p);
      continue;
    }
    if ((errors & E1000_RXD_ERR_FRAME_ERR_MASK) !== 0) {
      stats.rx_errors++;
      pbuf_put(p);
      continue;
    }
    p.head = 0;
    p.len = len;
    p.tstamp = now;
    e1000_rx_checksum(adapter, status, errors, p);
    total_rx_packets++;
    total_rx_bytes += len;
    netdev_receive(netdev, p);
    if (cleaned >= E1000_RX_BUFFER_WRITE) {
      ring.next_to_clean = i;
      e1000_alloc_rx_buffers(adapter, cleaned);
      cleaned = 0;
    }
  }
  ring.next_to_clean = i;
  if (cleaned > 0) e1000_alloc_rx_buffers(adapter, cleaned);
  adapter.total_rx_packets += total_rx_packets; // for e1000_set_itr
  adapter.total_rx_bytes += total_rx_bytes;
  stats.rx_packets += total_rx_packets;
  stats.rx_bytes += total_rx_bytes;
  return work;
}

/** RDH as the hardware reports it. */
export function e1000_rdh(adapter: E1000Adapter): number {
  return er32(adapter, E1000_RDH);
}

export function e1000_rdt(adapter: E1000Adapter): number {
  return er32(adapter, E1000_RDT);
}
