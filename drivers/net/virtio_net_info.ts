/**
 * struct virtnet_info and its counters: the virtio_net driver's state of one device, shared by the
 * receive path (virtio_net_rx.ts), the transmit path (virtio_net_tx.ts) and the netdev glue
 * (virtio_net.ts). Linux keeps all of it in drivers/net/virtio_net.c.
 */
import { PBUF_HEADROOM, type NapiStruct, type NetDevice } from "../../include/net/netdevice.ts";
import { VIRTIO_NET_HDR_SIZE } from "../../include/uapi/linux/virtio_net.ts";
import { DelayedWork, } from "../../kernel/workqueue.ts";
import { VirtnetCtrl } from "./virtio_net_ctrl.ts";
import { type VirtioDevice } from "../virtio/virtio.ts";
import { sg_alloc, sg_init_one, type Scatterlist, type VirtQueue } from "../virtio/virtio_ring.ts";

/** Fragments a frame may have (MAX_SKB_FRAGS). */
export const MAX_SKB_FRAGS = 17;

export class VirtnetStats {
  rx_kicks = 0;
  rx_drops = 0;
  rx_refill_oom = 0;
  rx_add_errors = 0;
  /** Frames that arrived in more than one buffer (num_buffers > 1), and the buffers they took. */
  rx_merged = 0;
  rx_merged_bufs = 0;
  rx_csum_valid = 0;
  tx_kicks = 0;
  tx_add_errors = 0;
  tx_needs_csum = 0;
  tx_stops = 0;
  tx_wakes = 0;
  rx_irqs = 0;
  tx_irqs = 0;
}

/** struct virtnet_info. */
export class VirtnetInfo {
  readonly vdev: VirtioDevice;
  readonly dev: NetDevice;
  rq!: VirtQueue;
  sq!: VirtQueue;
  /** The control queue and its buffer (null without CTRL_VQ). */
  ctrl: VirtnetCtrl | null = null;
  napi!: NapiStruct;
  /** Header length: 12 with VERSION_1 or MRG_RXBUF, else 10. */
  hdr_len = VIRTIO_NET_HDR_SIZE;
  mergeable_rx_bufs = false;
  /** Header and data may share a descriptor (VERSION_1 or ANY_LAYOUT); else the header goes alone. */
  any_header_sg = true;
  /** Where a receive buffer starts in its pbuf: the header, then the frame at PBUF_HEADROOM. */
  rx_buf_offset = PBUF_HEADROOM - VIRTIO_NET_HDR_SIZE;
  /** rq->mrg_avg_pkt_len (EWMA of received frame lengths). */
  mrg_avg_pkt_len = 0;
  /** Interface up (between ndo_open and ndo_stop). */
  opened = false;
  /** config status (LINK_UP) last seen. */
  status = 0;
  readonly refill: DelayedWork;
  readonly stats = new VirtnetStats();
  /** Reused for every buffer posted and every used-length read (a frame allocates nothing). */
  private readonly rx_sgl = [sg_alloc()];
  readonly tx_sgl: Scatterlist[] = Array.from({ length: 2 + MAX_SKB_FRAGS }, sg_alloc);
  readonly used = { len: 0 };
  rx_sg(buf: Uint8Array, offset: number, length: number): readonly Scatterlist[] {
    sg_init_one(this.rx_sgl[0]!, buf, offset, length);
    return this.rx_sgl;
  }

  /** `refill_work` runs try_fill_recv again after an allocation failure (virtio_net_rx.ts). */
  constructor(vdev: VirtioDevice, dev: NetDevice, refill_work: (vi: VirtnetInfo) => void) {
    this.vdev = vdev;
    this.dev = dev;
    this.refill = new DelayedWork(() => refill_work(this));
  }
}

/** netdev_priv(). */
export const priv = (dev: NetDevice): VirtnetInfo => dev.priv as VirtnetInfo;

