/**
 * virtio_net's receive path (drivers/net/virtio_net.c: add_recvbuf_*, try_fill_recv, refill_work,
 * receive_small / receive_mergeable, receive_buf, virtnet_receive). See virtio_net.ts for the
 * buffer layout. Context: softirq (NAPI) or process (open, refill_work).
 */
import { ktime_get_ns } from "../../kernel/time/timekeeping.ts";
import { ENOMEM } from "../../include/linux/errno.ts";
import { CHECKSUM_UNNECESSARY, ETH_HLEN, NETIF_F_RXCSUM, PBUF_HEADROOM, PBUF_SIZE, type PBuf } from "../../include/net/netdevice.ts";
import {
  VIRTIO_NET_HDR_CSUM_OFFSET,
  VIRTIO_NET_HDR_CSUM_START,
  VIRTIO_NET_HDR_F_DATA_VALID,
  VIRTIO_NET_HDR_F_NEEDS_CSUM,
  VIRTIO_NET_HDR_FLAGS,
  VIRTIO_NET_HDR_GSO_NONE,
  VIRTIO_NET_HDR_GSO_TYPE,
  VIRTIO_NET_HDR_NUM_BUFFERS,
} from "../../include/uapi/linux/virtio_net.ts";
import { pbuf_alloc, pbuf_put } from "../../kernel/mm/pbuf.ts";
import { memcpy } from "../../lib/string.ts";
import { pr_debug, } from "../../kernel/printk.ts";
import { schedule_delayed_work } from "../../kernel/workqueue.ts";
import { HZ } from "../../kernel/time/timekeeping.ts";
import { napi_disable, napi_enable, napi_schedule, netdev_receive } from "./netdev.ts";
import {
  virtqueue_add_inbuf,
  virtqueue_disable_cb,
  virtqueue_get_buf,
  virtqueue_get_vring_size,
  virtqueue_kick_prepare,
  virtqueue_notify,
} from "../virtio/virtio_ring.ts";

import { type VirtnetInfo } from "./virtio_net_info.ts";

/** ETH_HLEN + VLAN_HLEN + ETH_DATA_LEN: the smallest receive buffer (Linux GOOD_PACKET_LEN). */
const GOOD_PACKET_LEN = 14 + 4 + 1500;
/** Receive buffer lengths are multiples of this (L1_CACHE_BYTES). */
const L1_CACHE_BYTES = 64;
/** The moving average of received lengths: weight 1/64 (DECLARE_EWMA(pkt_len, 0, 64)). */
const EWMA_WEIGHT_SHIFT = 6;

/**
 * get_mergeable_buf_len(): the next buffer's length — header plus the average frame, at least
 * GOOD_PACKET_LEN, rounded up to L1_CACHE_BYTES, at most what fits a pbuf behind rx_buf_offset.
 */
function get_mergeable_buf_len(vi: VirtnetInfo): number {
  const max = Math.floor((PBUF_SIZE - vi.rx_buf_offset) / L1_CACHE_BYTES) * L1_CACHE_BYTES;
  const avg = Math.max(vi.mrg_avg_pkt_len, GOOD_PACKET_LEN);
  const len = Math.ceil((vi.hdr_len + avg) / L1_CACHE_BYTES) * L1_CACHE_BYTES;
  return Math.min(len, max);
}

/** ewma_pkt_len_add(): fold one received length into the average (integer, as Linux's ewma). */
function ewma_pkt_len_add(vi: VirtnetInfo, len: number): void {
  const a = vi.mrg_avg_pkt_len;
  vi.mrg_avg_pkt_len = a === 0 ? len : (((a << EWMA_WEIGHT_SHIFT) - a + len) >> EWMA_WEIGHT_SHIFT);
}

/**
 * add_recvbuf_small() / add_recvbuf_mergeable(): lend one pbuf to the device. Its `len` records
 * the bytes lent (Linux's truesize, kept as the buffer's ctx) until it comes back. 0 or -errno
 * (-ENOMEM: no pbuf; else the ring's error). Header and frame share the one descriptor even on a
 * legacy device without ANY_LAYOUT, which §5.1.6.7 says it must not; Linux 6.1's
 * add_recvbuf_small does the same, and devices (QEMU, this model) accept it.
 */
function add_recvbuf(vi: VirtnetInfo): number {
  const p = pbuf_alloc();
  if (p === null) return -ENOMEM;
  const len = vi.mergeable_rx_bufs ? get_mergeable_buf_len(vi) : vi.hdr_len + GOOD_PACKET_LEN;
  p.len = len;
  const err = virtqueue_add_inbuf(vi.rq, vi.rx_sg(p.data, vi.rx_buf_offset, len), 1, p);
  if (err) {
    vi.stats.rx_add_errors++;
    pbuf_put(p);
  }
  return err;
}

/**
 * try_fill_recv(): post receive buffers until the ring is full; kick if any were added. Returns
 * false when memory ran out (the caller schedules refill_work). Softirq or process context.
 */
export function try_fill_recv(vi: VirtnetInfo): boolean {
  let oom = false;
  let added = 0;
  while (vi.rq.num_free > 0) {
    const err = add_recvbuf(vi);
    if (err) {
      oom = err === -ENOMEM;
      if (oom) vi.stats.rx_refill_oom++;
      break;
    }
    added++;
  }
  if (added > 0 && virtqueue_kick_prepare(vi.rq)) {
    virtqueue_notify(vi.rq);
    vi.stats.rx_kicks++;
  }
  return !oom;
}

/** refill_work(): retry try_fill_recv after an allocation failure (process context, NAPI off meanwhile). */
export function refill_work(vi: VirtnetInfo): void {
  if (!vi.opened) return;
  napi_disable(vi.napi);
  const ok = try_fill_recv(vi);
  napi_enable(vi.napi);
  // Poll once: buffers may have been used while NAPI was off.
  virtqueue_disable_cb(vi.rq);
  napi_schedule(vi.napi);
  if (!ok) schedule_delayed_work(vi.refill, HZ / 2);
}

/**
 * A received frame the driver cannot use: its buffer returned, counted in rx_dropped (Linux's
 * rq->stats.drops, which virtnet_stats reports as rx_dropped) with rx_length_errors as the
 * detail. Linux counts a short packet only in rx_length_errors; here it is a drop as well, so
 * every frame the device completes ends in exactly one of rx_packets and rx_dropped.
 */
function rx_length_error(vi: VirtnetInfo, p: PBuf, why: string): void {
  pr_debug("%s: rx error: %s\n", vi.dev.name, why);
  vi.dev.stats.rx_length_errors++;
  vi.dev.stats.rx_dropped++;
  vi.stats.rx_drops++;
  pbuf_put(p);
}

/** A header the driver refuses (virtio_net_hdr_to_skb failed): Linux's frame_err path. */
function rx_frame_error(vi: VirtnetInfo, p: PBuf, why: string): void {
  pr_debug("%s: %s\n", vi.dev.name, why);
  vi.dev.stats.rx_frame_errors++;
  vi.dev.stats.rx_dropped++;
  vi.stats.rx_drops++;
  pbuf_put(p);
}

/**
 * receive_mergeable(): the first buffer holds the header and the frame's start; num_buffers − 1
 * more follow in the used ring, each holding frame bytes from its start. They are copied behind
 * the first (see the file comment). Returns the frame's length in `p`, or −1 when it was dropped
 * (every buffer it used has been taken back and counted).
 */
function receive_mergeable(vi: VirtnetInfo, p: PBuf, len: number): number {
  const num_buf = p.view.getUint16(vi.rx_buf_offset + VIRTIO_NET_HDR_NUM_BUFFERS, true);
  let frame_len = len - vi.hdr_len;
  let ok = num_buf >= 1;
  if (!ok) pr_debug("%s: rx error: num_buffers 0\n", vi.dev.name);
  // Checked here, not before, so the frame's other buffers are taken back too (Linux: err_skb).
  if (len > p.len) {
    pr_debug("%s: rx error: len %d exceeds truesize %d\n", vi.dev.name, len, p.len);
    ok = false;
  }
  for (let k = 1; k < num_buf; k++) {
    const q = virtqueue_get_buf(vi.rq, vi.used) as PBuf | null;
    if (q === null) {
      rx_length_error(vi, p, `${num_buf - k} buffers out of ${num_buf} missing`);
      return -1;
    }
    const l = vi.used.len;
    vi.stats.rx_merged_bufs++;
    if (l > q.len) {
      pr_debug("%s: rx error: len %d exceeds truesize %d\n", vi.dev.name, l, q.len);
      ok = false;
    } else if (ok && PBUF_HEADROOM + frame_len + l > PBUF_SIZE) {
      pr_debug("%s: rx error: frame of %d+ bytes does not fit a buffer\n", vi.dev.name, frame_len + l);
      ok = false;
    } else if (ok) {
      memcpy(p.data, PBUF_HEADROOM + frame_len, q.data, vi.rx_buf_offset, l);
      frame_len += l;
    }
    pbuf_put(q);
  }
  if (!ok || frame_len < ETH_HLEN) {
    rx_length_error(vi, p, `frame dropped (${num_buf} buffers, ${frame_len} bytes)`);
    return -1;
  }
  if (num_buf > 1) vi.stats.rx_merged++;
  ewma_pkt_len_add(vi, frame_len);
  return frame_len;
}

/** receive_buf(): one used receive buffer of `len` bytes (header + frame start) goes up the stack. */
export function receive_buf(vi: VirtnetInfo, p: PBuf, len: number): void {
  const dev = vi.dev;
  if (len < vi.hdr_len + ETH_HLEN && !(vi.mergeable_rx_bufs && len >= vi.hdr_len)) {
    // Linux: "short packet". With a whole mergeable header the frame's other buffers are known
    // and receive_mergeable takes them back; shorter, they will be found (and counted) orphaned.
    rx_length_error(vi, p, `short packet ${len}`);
    return;
  }
  if (!vi.mergeable_rx_bufs && len > p.len) {
    rx_length_error(vi, p, `len ${len} exceeds max size ${p.len}`);
    return;
  }
  const frame_len = vi.mergeable_rx_bufs ? receive_mergeable(vi, p, len) : len - vi.hdr_len;
  if (frame_len < 0) return;
  const h = vi.rx_buf_offset;
  const flags = p.data[h + VIRTIO_NET_HDR_FLAGS]!;
  if (p.data[h + VIRTIO_NET_HDR_GSO_TYPE]! !== VIRTIO_NET_HDR_GSO_NONE) {
    // No GUEST_TSO was negotiated: virtio_net_hdr_to_skb() refuses it ("bad gso").
    rx_frame_error(vi, p, `bad gso: type: ${p.data[h + VIRTIO_NET_HDR_GSO_TYPE]}`);
    return;
  }
  p.head = PBUF_HEADROOM;
  p.len = frame_len;
  if ((flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) !== 0) {
    // A frame from a local peer that left its checksum to us: Linux keeps CHECKSUM_PARTIAL, which
    // its receive paths count as verified; ours check CHECKSUM_UNNECESSARY. That is right only
    // because nothing is forwarded (a forwarded frame would need the sum completed). The offsets
    // must lie inside the frame (virtio_net_hdr_to_skb → skb_partial_csum_set).
    const start = p.view.getUint16(h + VIRTIO_NET_HDR_CSUM_START, true);
    const off = p.view.getUint16(h + VIRTIO_NET_HDR_CSUM_OFFSET, true);
    if (start + off + 2 > frame_len) {
      rx_frame_error(vi, p, `bad csum offsets ${start}+${off} for a ${frame_len}-byte frame`);
      return;
    }
    p.ip_summed = CHECKSUM_UNNECESSARY;
  } else if ((flags & VIRTIO_NET_HDR_F_DATA_VALID) !== 0 && (dev.features & NETIF_F_RXCSUM) !== 0) {
    p.ip_summed = CHECKSUM_UNNECESSARY;
    vi.stats.rx_csum_valid++;
  }
  p.tstamp = ktime_get_ns(); // the receive timestamp (SO_TIMESTAMP, ping's RTT)
  dev.stats.rx_packets++;
  dev.stats.rx_bytes += p.len;
  if (p.data[p.head]! & 1) dev.stats.multicast++;
  netdev_receive(dev, p);
}

/** virtnet_receive(): up to `budget` frames; refill when half the ring is empty. Softirq. */
export function virtnet_receive(vi: VirtnetInfo, budget: number): number {
  let received = 0;
  while (received < budget) {
    const p = virtqueue_get_buf(vi.rq, vi.used) as PBuf | null;
    if (p === null) break;
    receive_buf(vi, p, vi.used.len);
    received++;
  }
  if (vi.rq.num_free > Math.min(budget, virtqueue_get_vring_size(vi.rq)) / 2) {
    if (!try_fill_recv(vi)) schedule_delayed_work(vi.refill, 0);
  }
  return received;
}

