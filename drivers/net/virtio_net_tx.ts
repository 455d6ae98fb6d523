/**
 * virtio_net's transmit path (drivers/net/virtio_net.c: free_old_xmit_skbs, xmit_skb, start_xmit).
 * Context: process or softirq; never sleeps.
 */
import { netif_queue_stopped, netif_start_queue, netif_stop_queue, netif_wake_queue } from "./netdev_queue.ts";
import { ENOMEM } from "../../include/linux/errno.ts";
import {
  CHECKSUM_PARTIAL,
  NETDEV_TX_OK,
  PBUF_HEADROOM,
  PBUF_SIZE,
  pbuf_headlen,
  type NetDevice,
  type PBuf,
} from "../../include/net/netdevice.ts";
import {
  VIRTIO_NET_HDR_CSUM_OFFSET,
  VIRTIO_NET_HDR_CSUM_START,
  VIRTIO_NET_HDR_F_NEEDS_CSUM,
  VIRTIO_NET_HDR_FLAGS,
} from "../../include/uapi/linux/virtio_net.ts";
import { pbuf_put } from "../../kernel/mm/pbuf.ts";
import { sg_init_one, virtqueue_add_outbuf, virtqueue_get_buf, virtqueue_kick_prepare, virtqueue_notify } from "../virtio/virtio_ring.ts";

import { MAX_SKB_FRAGS, priv, type VirtnetInfo } from "./virtio_net_info.ts";

/** Descriptors a worst-case frame needs (Linux: 2 + MAX_SKB_FRAGS): below this the queue stops. */
const VIRTNET_TX_STOP_THRESH = 2 + MAX_SKB_FRAGS;

/** free_old_xmit(): reap frames the device has sent; count them. Softirq or process context. */
export function free_old_xmit(vi: VirtnetInfo): void {
  const dev = vi.dev;
  let p: PBuf | null;
  while ((p = virtqueue_get_buf(vi.sq) as PBuf | null) !== null) {
    dev.stats.tx_packets++;
    dev.stats.tx_bytes += p.len;
    pbuf_put(p);
  }
}

/** virtnet_poll_cleantx(): reap TX and wake the queue if there is room again. */
export function virtnet_poll_cleantx(vi: VirtnetInfo): void {
  free_old_xmit(vi);
  if (netif_queue_stopped(vi.dev) && vi.sq.num_free >= VIRTNET_TX_STOP_THRESH) {
    vi.stats.tx_wakes++;
    netif_wake_queue(vi.dev);
  }
}

/**
 * xmit_skb(): push the header in front of the frame (virtio_net_hdr_from_skb) and post header +
 * head, then each fragment. 0 or the ring's -errno.
 */
function xmit_skb(vi: VirtnetInfo, p: PBuf): number {
  const hdr_len = vi.hdr_len;
  if (p.head < hdr_len) {
    // No headroom for the header: move the head up (the buffer is ours until the device has it).
    const headlen = pbuf_headlen(p);
    if (PBUF_HEADROOM + headlen > PBUF_SIZE) return -ENOMEM;
    if (p.ip_summed === CHECKSUM_PARTIAL) p.csum_start += PBUF_HEADROOM - p.head;
    p.data.copyWithin(PBUF_HEADROOM, p.head, p.head + headlen);
    p.head = PBUF_HEADROOM;
  }
  const hdr = p.head - hdr_len;
  // flags, gso_type GSO_NONE (no TSO negotiated), hdr_len/gso_size 0, num_buffers 0 (TX).
  p.data.fill(0, hdr, p.head);
  if (p.ip_summed === CHECKSUM_PARTIAL) {
    p.data[hdr + VIRTIO_NET_HDR_FLAGS] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
    p.view.setUint16(hdr + VIRTIO_NET_HDR_CSUM_START, p.csum_start - p.head, true);
    p.view.setUint16(hdr + VIRTIO_NET_HDR_CSUM_OFFSET, p.csum_offset, true);
    vi.stats.tx_needs_csum++;
  }
  const sg = vi.tx_sgl;
  let n = 0;
  if (vi.any_header_sg) sg_init_one(sg[n++]!, p.data, hdr, hdr_len + pbuf_headlen(p));
  else {
    // A legacy device without ANY_LAYOUT wants the header in a descriptor of its own.
    sg_init_one(sg[n++]!, p.data, hdr, hdr_len);
    sg_init_one(sg[n++]!, p.data, p.head, pbuf_headlen(p));
  }
  for (let f = p.frag; f !== null; f = f.frag) {
    if (n === sg.length) return -ENOMEM; // more fragments than MAX_SKB_FRAGS: the core should have linearized
    sg_init_one(sg[n++]!, f.data, f.head, f.len);
  }
  return virtqueue_add_outbuf(vi.sq, sg, n, p);
}

/** ndo_start_xmit. Owns `p` on NETDEV_TX_OK (always: a frame the ring refuses is dropped, counted). */
export function start_xmit(p: PBuf, dev: NetDevice, more: boolean): number {
  const vi = priv(dev);
  free_old_xmit(vi);
  const err = xmit_skb(vi, p);
  if (err) {
    vi.stats.tx_add_errors++;
    dev.stats.tx_fifo_errors++;
    dev.stats.tx_dropped++;
    pbuf_put(p);
    if (!more) kick_tx(vi);
    return NETDEV_TX_OK;
  }
  if (vi.sq.num_free < VIRTNET_TX_STOP_THRESH) {
    netif_stop_queue(dev);
    vi.stats.tx_stops++;
    dev.tx_busy++;
    // The TX interrupt wakes us; reap now in case the device finished meanwhile.
    free_old_xmit(vi);
    if (vi.sq.num_free >= VIRTNET_TX_STOP_THRESH) {
      netif_start_queue(dev);
      vi.stats.tx_wakes++;
    }
  }
  if (!more || netif_queue_stopped(dev)) kick_tx(vi);
  return NETDEV_TX_OK;
}

export function kick_tx(vi: VirtnetInfo): void {
  if (virtqueue_kick_prepare(vi.sq)) {
    virtqueue_notify(vi.sq);
    vi.stats.tx_kicks++;
  }
}

