/**
 * Transmit side of the e1000 driver (≈ the TX half of Linux's e1000_main.c): ring set-up,
 * e1000_xmit_frame and e1000_clean_tx_irq. Frames are sent from the packet buffer they were built
 * in — the descriptor points at the buffer's bus address; nothing is copied.
 */
import { NETDEV_TX_BUSY, NETDEV_TX_OK, type NetDevice, type PBuf } from "../../include/net/netdevice.ts";
import { pbuf_put } from "../../kernel/mm/pbuf.ts";
import { netif_queue_stopped, netif_stop_queue, netif_wake_queue } from "../net/netdev.ts";
import { e1000_clean_ring, e1000_free_ring, e1000_setup_ring, type E1000Ring, er32, ew32, type E1000Adapter } from "./e1000_adapter.ts";
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
  E1000_TX_QUEUE_WAKE,
  E1000_TXD_CMD,
  E1000_TXD_CMD_EOP,
  E1000_TXD_CMD_IDE,
  E1000_TXD_CMD_IFCS,
  E1000_TXD_CMD_RS,
  E1000_TXD_LENGTH,
  E1000_TXD_STAT_DD,
  E1000_TXD_STATUS,
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
      stats.tx_packets++;
      stats.tx_bytes += p.len;
    } else {
      stats.tx_dropped++;
      adapter.tx_reset_dropped++;
    }
  }
}

/** e1000_clean_tx_ring(): give back every frame still in the ring (each one counted) and zero the descriptors. */
export function e1000_clean_tx_ring(adapter: E1000Adapter): void {
  e1000_account_tx_ring(adapter);
  e1000_clean_ring(adapter.tx_ring);
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

/**
 * e1000_xmit_frame() (ndo_start_xmit): one frame, one descriptor — EOP | IFCS | RS (+IDE for the
 * TIDV delay) — pointing at the packet buffer itself. The buffer is the ring's until
 * e1000_clean_tx_irq sees DD. With no room the queue is stopped and NETDEV_TX_BUSY returned (the
 * caller keeps the frame and waits to be woken). Process or softirq context.
 */
export function e1000_xmit_frame(p: PBuf, dev: NetDevice, more: boolean): number {
  const adapter = dev.priv as E1000Adapter;
  const ring = adapter.tx_ring;
  if (adapter.down || ring.desc === null) return NETDEV_TX_BUSY;
  if (e1000_desc_unused(ring.count, ring.next_to_use, ring.next_to_clean) < 1) {
    netif_stop_queue(dev);
    e1000_flush_tx(adapter);
    return NETDEV_TX_BUSY;
  }
  const i = ring.next_to_use;
  const dv = ring.desc.view;
  const off = i * E1000_DESC_SIZE;
  const addr = p.dma + p.head;
  dv.setUint32(off, addr >>> 0, true);
  dv.setUint32(off + 4, Math.floor(addr / 0x100000000), true);
  dv.setUint16(off + E1000_TXD_LENGTH, p.len, true);
  dv.setUint8(off + E1000_TXD_CMD, E1000_TXD_CMD_EOP | E1000_TXD_CMD_IFCS | E1000_TXD_CMD_RS | E1000_TXD_CMD_IDE);
  dv.setUint32(off + E1000_TXD_STATUS, 0, true); // status, CSS, special
  dv.setUint8(off + 10, 0); // CSO
  ring.buffer_info[i] = p;
  ring.next_to_use = i + 1 === ring.count ? 0 : i + 1;
  adapter.tx_tail_pending = true;
  if (!more) e1000_flush_tx(adapter);
  // Stop early so the next frame never has to be refused (e1000_maybe_stop_tx).
  if (e1000_desc_unused(ring.count, ring.next_to_use, ring.next_to_clean) < 1) {
    netif_stop_queue(dev);
    e1000_flush_tx(adapter);
  }
  return NETDEV_TX_OK;
}

/**
 * e1000_clean_tx_irq(): reclaim descriptors the hardware finished (DD set), give their buffers
 * back, count the frames, and wake the queue once E1000_TX_QUEUE_WAKE descriptors are free. Only
 * DD counts as sent: a frame the hardware never completed (no link, a hang) stays in the ring until
 * it completes or a reset frees it (and counts it dropped).
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
  while (i !== ring.next_to_use && cleaned < ring.count) {
    const off = i * E1000_DESC_SIZE;
    if ((dv.getUint8(off + E1000_TXD_STATUS) & E1000_TXD_STAT_DD) === 0) break;
    const p = ring.buffer_info[i];
    if (p) {
      stats.tx_packets++;
      stats.tx_bytes += p.len;
      pbuf_put(p);
      ring.buffer_info[i] = null;
    }
    dv.setUint8(off + E1000_TXD_STATUS, 0);
    i = i + 1 === ring.count ? 0 : i + 1;
    cleaned++;
  }
  ring.next_to_clean = i;
  if (cleaned > 0 && netif_queue_stopped(adapter.netdev) && e1000_desc_unused(ring.count, ring.next_to_use, ring.next_to_clean) >= E1000_TX_QUEUE_WAKE && !adapter.down) {
    netif_wake_queue(adapter.netdev);
    adapter.restart_queue++;
  }
  return cleaned < ring.count;
}

/** TDH as the hardware reports it (for hang detection and the ring dump). */
export function e1000_tdh(adapter: E1000Adapter): number {
  return er32(adapter, E1000_TDH);
}
