/**
 * A virtio network driver (Linux drivers/net/virtio_net.c, reduced): one queue pair, small receive
 * buffers (no MRG_RXBUF, no offloads, no control queue), the 12-byte modern virtio_net_hdr.
 *
 * - RX: each receive buffer is one pbuf lent to the device from PBUF_HEADROOM − 12 to its end: the
 *   device writes the header in front of the frame, so the frame starts at PBUF_HEADROOM and goes
 *   up as it is (no copy). virtnet_poll (NAPI, softirq) → virtnet_receive → receive_buf →
 *   netdev_receive; the ring is refilled by try_fill_recv, or by refill_work when memory is short.
 * - TX: start_xmit pushes a zero header into the frame's headroom and posts header + frame as one
 *   device-readable buffer; used buffers are freed (and counted) in start_xmit and in NAPI. The
 *   queue stops when fewer than 2 + MAX_SKB_FRAGS descriptors are free and wakes from NAPI after
 *   the TX interrupt. One NAPI context serves both queues (the netdev layer has one per device), as
 *   Linux's napi_tx mode with the TX NAPI folded into the RX one. Only the headroom in front of
 *   the frame is written, so a frame another holder (a tap) still reads is not disturbed.
 * - Link: with VIRTIO_NET_F_STATUS the config status' LINK_UP drives the carrier, re-read on the
 *   config-change interrupt (in a work item); without it the link is always up.
 *
 * Context: probe/remove/open/stop in process context; start_xmit in process or softirq context;
 * skb_recv_done / skb_xmit_done (queue callbacks) in hard-IRQ context; virtnet_poll in softirq.
 */
import { ktime_get_ns } from "../../kernel/time/timekeeping.ts";
import { ENOMEM } from "../../include/linux/errno.ts";
import type { ModuleInfo } from "../../include/linux/module.ts";
import { ETH_HLEN, NETDEV_TX_OK, PBUF_HEADROOM, PBUF_SIZE, type NapiStruct, type NetDevice, type NetDeviceOps, type PBuf, type EthtoolOps } from "../../include/net/netdevice.ts";
import { VIRTIO_ID_NET } from "../../include/uapi/linux/virtio_pci.ts";
import { VIRTIO_NET_CFG_MAC, VIRTIO_NET_CFG_STATUS, VIRTIO_NET_F_MAC, VIRTIO_NET_F_STATUS, VIRTIO_NET_HDR_SIZE, VIRTIO_NET_S_LINK_UP } from "../../include/uapi/linux/virtio_net.ts";
import { pbuf_alloc, pbuf_put } from "../../kernel/mm/pbuf.ts";
import { pr_err, pr_info } from "../../kernel/printk.ts";
import { cancel_delayed_work_sync, DelayedWork, schedule_delayed_work } from "../../kernel/workqueue.ts";
import { HZ } from "../../kernel/time/timekeeping.ts";
import {
  alloc_etherdev,
  mac_to_string,
  napi_complete_done,
  napi_disable,
  napi_enable,
  napi_schedule,
  netdev_receive,
  netif_carrier_off,
  netif_carrier_ok,
  netif_carrier_on,
  netif_napi_add,
  netif_queue_stopped,
  netif_start_queue,
  netif_stop_queue,
  netif_wake_queue,
  register_netdev,
  unregister_netdev,
} from "./netdev.ts";
import {
  register_virtio_driver,
  unregister_virtio_driver,
  virtio_cread16,
  virtio_cread_bytes,
  virtio_device_ready,
  virtio_find_vqs,
  virtio_has_feature,
  virtio_reset_device,
  type VirtioDevice,
  type VirtioDriver,
} from "../virtio/virtio.ts";
import {
  sg_alloc,
  sg_init_one,
  type Scatterlist,
  virtqueue_add_inbuf,
  virtqueue_add_outbuf,
  virtqueue_detach_unused_buf,
  virtqueue_disable_cb,
  virtqueue_enable_cb,
  virtqueue_get_buf,
  virtqueue_get_vring_size,
  virtqueue_kick_prepare,
  virtqueue_notify,
  type VirtQueue,
} from "../virtio/virtio_ring.ts";

export const VIRTNET_DRIVER_NAME = "virtio_net";
export const VIRTNET_DRIVER_VERSION = "1.0.0";
/** Descriptors a worst-case frame needs (Linux: 2 + MAX_SKB_FRAGS): below this the queue stops. */
const VIRTNET_TX_STOP_THRESH = 2 + 17;
/** Where a receive buffer starts in its pbuf: the header, then the frame at PBUF_HEADROOM. */
const RX_BUF_OFFSET = PBUF_HEADROOM - VIRTIO_NET_HDR_SIZE;

/** Per-queue counters (ethtool -S), besides the netdev's generic ones. */
class VirtnetStats {
  rx_kicks = 0;
  rx_refill_oom = 0;
  rx_add_errors = 0;
  tx_kicks = 0;
  tx_add_errors = 0;
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
  napi!: NapiStruct;
  /** Interface up (between ndo_open and ndo_stop). */
  opened = false;
  /** config status (LINK_UP) last seen. */
  status = 0;
  readonly refill: DelayedWork;
  readonly stats = new VirtnetStats();
  /** One-entry scatterlists reused for every buffer posted (a frame allocates no list). */
  private readonly rx_sgl = [sg_alloc()];
  private readonly tx_sgl = [sg_alloc()];
  rx_sg(buf: Uint8Array, offset: number, length: number): readonly Scatterlist[] {
    sg_init_one(this.rx_sgl[0]!, buf, offset, length);
    return this.rx_sgl;
  }
  tx_sg(buf: Uint8Array, offset: number, length: number): readonly Scatterlist[] {
    sg_init_one(this.tx_sgl[0]!, buf, offset, length);
    return this.tx_sgl;
  }

  constructor(vdev: VirtioDevice, dev: NetDevice) {
    this.vdev = vdev;
    this.dev = dev;
    this.refill = new DelayedWork(() => refill_work(this));
  }
}

const priv = (dev: NetDevice): VirtnetInfo => dev.priv as VirtnetInfo;

/* ---- receive ---- */

/** add_recvbuf_small(): lend one pbuf to the device. 0 or -errno (-ENOMEM: no pbuf; else the ring's error). */
function add_recvbuf_small(vi: VirtnetInfo): number {
  const p = pbuf_alloc();
  if (p === null) return -ENOMEM;
  const err = virtqueue_add_inbuf(vi.rq, vi.rx_sg(p.data, RX_BUF_OFFSET, PBUF_SIZE - RX_BUF_OFFSET), p);
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
function try_fill_recv(vi: VirtnetInfo): boolean {
  let oom = false;
  let added = 0;
  while (vi.rq.num_free > 0) {
    const err = add_recvbuf_small(vi);
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
function refill_work(vi: VirtnetInfo): void {
  if (!vi.opened) return;
  napi_disable(vi.napi);
  const ok = try_fill_recv(vi);
  napi_enable(vi.napi);
  // Poll once: buffers may have been used while NAPI was off.
  virtqueue_disable_cb(vi.rq);
  napi_schedule(vi.napi);
  if (!ok) schedule_delayed_work(vi.refill, HZ / 2);
}

/** receive_buf(): one used receive buffer of `len` bytes (header + frame) goes up the stack. */
function receive_buf(vi: VirtnetInfo, p: PBuf, len: number): void {
  const dev = vi.dev;
  if (len < VIRTIO_NET_HDR_SIZE + ETH_HLEN || len > PBUF_SIZE - RX_BUF_OFFSET) {
    pr_err(`${dev.name}: rx error: len ${len} too small or too large`);
    dev.stats.rx_length_errors++;
    dev.stats.rx_errors++;
    pbuf_put(p);
    return;
  }
  // The header (flags 0, GSO_NONE: no offloads were negotiated) is skipped; the frame is in place.
  p.head = PBUF_HEADROOM;
  p.len = len - VIRTIO_NET_HDR_SIZE;
  p.tstamp = ktime_get_ns(); // the receive timestamp (SO_TIMESTAMP, ping's RTT)
  dev.stats.rx_packets++;
  dev.stats.rx_bytes += p.len;
  if (p.data[p.head]! & 1) dev.stats.multicast++;
  netdev_receive(dev, p);
}

/** virtnet_receive(): up to `budget` frames; refill when half the ring is empty. Softirq. */
function virtnet_receive(vi: VirtnetInfo, budget: number): number {
  const len = { len: 0 };
  let received = 0;
  while (received < budget) {
    const p = virtqueue_get_buf(vi.rq, len) as PBuf | null;
    if (p === null) break;
    receive_buf(vi, p, len.len);
    received++;
  }
  if (vi.rq.num_free > Math.min(budget, virtqueue_get_vring_size(vi.rq)) / 2) {
    if (!try_fill_recv(vi)) schedule_delayed_work(vi.refill, 0);
  }
  return received;
}

/* ---- transmit ---- */

/** free_old_xmit(): reap frames the device has sent; count them. Softirq or process context. */
function free_old_xmit(vi: VirtnetInfo): void {
  const dev = vi.dev;
  let p: PBuf | null;
  while ((p = virtqueue_get_buf(vi.sq) as PBuf | null) !== null) {
    dev.stats.tx_packets++;
    dev.stats.tx_bytes += p.len;
    pbuf_put(p);
  }
}

/** virtnet_poll_cleantx(): reap TX and wake the queue if there is room again. */
function virtnet_poll_cleantx(vi: VirtnetInfo): void {
  free_old_xmit(vi);
  if (netif_queue_stopped(vi.dev) && vi.sq.num_free >= VIRTNET_TX_STOP_THRESH) {
    vi.stats.tx_wakes++;
    netif_wake_queue(vi.dev);
  }
}

/**
 * virtnet_poll(): NAPI for both queues. Interrupts stay off until the work is done; re-enabling
 * them reports used buffers that raced in (virtqueue_enable_cb false), and then we stay scheduled
 * instead of completing — the next poll picks them up.
 */
function virtnet_poll(napi: NapiStruct, budget: number): number {
  const vi = priv(napi.dev);
  virtnet_poll_cleantx(vi);
  const received = virtnet_receive(vi, budget);
  if (received < budget) {
    const rx_idle = virtqueue_enable_cb(vi.rq);
    const tx_idle = virtqueue_enable_cb(vi.sq);
    if (rx_idle && tx_idle) napi_complete_done(napi, received);
    else {
      virtqueue_disable_cb(vi.rq);
      virtqueue_disable_cb(vi.sq);
    }
  }
  return received;
}

/** xmit_skb(): push the 12-byte header in front of the frame and post it. 0 or the ring's -errno. */
function xmit_skb(vi: VirtnetInfo, p: PBuf): number {
  if (p.head < VIRTIO_NET_HDR_SIZE) {
    // No headroom for the header: move the frame up (the buffer is ours until the device has it).
    if (PBUF_HEADROOM + p.len > PBUF_SIZE) return -ENOMEM;
    p.data.copyWithin(PBUF_HEADROOM, p.head, p.head + p.len);
    p.head = PBUF_HEADROOM;
  }
  const hdr = p.head - VIRTIO_NET_HDR_SIZE;
  // flags 0, gso_type GSO_NONE, hdr_len/gso_size/csum_* 0, num_buffers 0 (TX).
  p.data.fill(0, hdr, p.head);
  return virtqueue_add_outbuf(vi.sq, vi.tx_sg(p.data, hdr, VIRTIO_NET_HDR_SIZE + p.len), p);
}

/** ndo_start_xmit. Owns `p` on NETDEV_TX_OK (always: a frame the ring refuses is dropped, counted). */
function start_xmit(p: PBuf, dev: NetDevice, more: boolean): number {
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

function kick_tx(vi: VirtnetInfo): void {
  if (virtqueue_kick_prepare(vi.sq)) {
    virtqueue_notify(vi.sq);
    vi.stats.tx_kicks++;
  }
}

/* ---- queue callbacks (hard-IRQ context) ---- */

/** skb_recv_done(): used receive buffers: no more interrupts, poll. */
function skb_recv_done(vq: VirtQueue): void {
  const vi = vq_owner(vq);
  vi.stats.rx_irqs++;
  virtqueue_disable_cb(vq);
  napi_schedule(vi.napi);
}

/** skb_xmit_done(): sent frames: reap them (and wake the queue) from NAPI. */
function skb_xmit_done(vq: VirtQueue): void {
  const vi = vq_owner(vq);
  vi.stats.tx_irqs++;
  virtqueue_disable_cb(vq);
  napi_schedule(vi.napi);
}

/**
 * The driver's state of the device a queue belongs to (Linux: vq->vdev->priv). VirtQueue.priv is
 * the transport's (its doorbell address), so the driver keeps its own map, keyed by the queue.
 */
const vq_owners = new WeakMap<VirtQueue, VirtnetInfo>();
function vq_owner(vq: VirtQueue): VirtnetInfo {
  return vq_owners.get(vq)!;
}

/* ---- open / stop ---- */

function virtnet_open(dev: NetDevice): number {
  const vi = priv(dev);
  vi.opened = true;
  if (!try_fill_recv(vi)) schedule_delayed_work(vi.refill, 0);
  napi_enable(vi.napi);
  // Interrupts on; anything that completed while we were down is polled now.
  if (!virtqueue_enable_cb(vi.rq) || !virtqueue_enable_cb(vi.sq)) {
    virtqueue_disable_cb(vi.rq);
    virtqueue_disable_cb(vi.sq);
    napi_schedule(vi.napi);
  }
  netif_start_queue(dev);
  // The netdev core drops the carrier at ifdown: take it from the device's status again.
  virtnet_update_status(vi);
  return 0;
}

/** ndo_stop: NAPI off; posted receive buffers stay in the ring until remove (as Linux). */
async function virtnet_close(dev: NetDevice): Promise<number> {
  const vi = priv(dev);
  vi.opened = false;
  await cancel_delayed_work_sync(vi.refill);
  napi_disable(vi.napi);
  netif_stop_queue(dev);
  free_old_xmit(vi);
  return 0;
}

/* ---- link ---- */

/** virtnet_update_status(): read config status and set the carrier. Process context (probe, config work). */
function virtnet_update_status(vi: VirtnetInfo): void {
  const dev = vi.dev;
  const v = virtio_has_feature(vi.vdev, VIRTIO_NET_F_STATUS) ? virtio_cread16(vi.vdev, VIRTIO_NET_CFG_STATUS) : VIRTIO_NET_S_LINK_UP;
  // Ignore unknown (future) status bits, as Linux.
  const status = v & VIRTIO_NET_S_LINK_UP;
  if (vi.status === status && (netif_carrier_ok(dev) === (status !== 0))) return;
  vi.status = status;
  if (status & VIRTIO_NET_S_LINK_UP) {
    netif_carrier_on(dev);
    if (vi.opened) netif_wake_queue(dev);
    pr_info(`${dev.name}: link up`);
  } else {
    netif_carrier_off(dev);
    pr_info(`${dev.name}: link down`);
  }
}

/** virtnet_config_changed(): from the core's config work (process context). */
function virtnet_config_changed(vdev: VirtioDevice): void {
  virtnet_update_status(vdev.priv as VirtnetInfo);
}

/* ---- ethtool ---- */

function virtnet_stats_list(dev: NetDevice): [string, number][] {
  const vi = priv(dev);
  const s = dev.stats;
  return [
    ["rx_queue_0_packets", s.rx_packets],
    ["rx_queue_0_bytes", s.rx_bytes],
    ["rx_queue_0_kicks", vi.stats.rx_kicks],
    ["rx_queue_0_irqs", vi.stats.rx_irqs],
    ["rx_queue_0_refill_oom", vi.stats.rx_refill_oom],
    ["tx_queue_0_packets", s.tx_packets],
    ["tx_queue_0_bytes", s.tx_bytes],
    ["tx_queue_0_kicks", vi.stats.tx_kicks],
    ["tx_queue_0_irqs", vi.stats.tx_irqs],
    ["tx_queue_0_stops", vi.stats.tx_stops],
    ["tx_queue_0_wakes", vi.stats.tx_wakes],
    ["tx_queue_0_add_errors", vi.stats.tx_add_errors],
  ];
}

const virtnet_ethtool_ops: EthtoolOps = {
  get_drvinfo: (dev) => ({ driver: VIRTNET_DRIVER_NAME, version: VIRTNET_DRIVER_VERSION, bus_info: priv(dev).vdev.config.bus_name(priv(dev).vdev), n_stats: virtnet_stats_list(dev).length, regdump_len: 0, eedump_len: 0 }),
  get_link: (dev) => netif_carrier_ok(dev),
  get_ethtool_stats: virtnet_stats_list,
  get_regs: () => [],
  get_ringparam: (dev) => {
    const vi = priv(dev);
    return { rx_max_pending: vi.rq.num, tx_max_pending: vi.sq.num, rx_pending: vi.rq.num, tx_pending: vi.sq.num };
  },
  get_coalesce: () => ({ rx_usecs: 0, tx_usecs: 0 }),
};

const virtnet_netdev: NetDeviceOps = {
  ndo_open: virtnet_open,
  ndo_stop: virtnet_close,
  ndo_start_xmit: start_xmit,
  ndo_flush_xmit: (dev) => kick_tx(priv(dev)),
};

/* ---- probe / remove ---- */

/** free_unused_bufs(): after a reset, take back every buffer still in the rings (unmapped by the ring). */
function free_unused_bufs(vi: VirtnetInfo): void {
  let p: unknown;
  while ((p = virtqueue_detach_unused_buf(vi.sq)) !== null) {
    vi.dev.stats.tx_dropped++;
    pbuf_put(p as PBuf);
  }
  while ((p = virtqueue_detach_unused_buf(vi.rq)) !== null) pbuf_put(p as PBuf);
}

/** remove_vq_common(): reset (the device lets go of every buffer), reclaim buffers, delete queues. */
async function remove_vq_common(vi: VirtnetInfo): Promise<void> {
  await virtio_reset_device(vi.vdev);
  free_old_xmit(vi);
  free_unused_bufs(vi);
  vi.vdev.config.del_vqs(vi.vdev);
}

/** virtnet_probe(): queues, MAC, netdev, DRIVER_OK, carrier. 0 or -errno after undoing its work. */
async function virtnet_probe(vdev: VirtioDevice): Promise<number> {
  const dev = alloc_etherdev(virtnet_netdev);
  const vi = new VirtnetInfo(vdev, dev);
  dev.priv = vi;
  dev.ethtool_ops = virtnet_ethtool_ops;
  dev.parent = vdev.config.bus_name(vdev);
  dev.driver = VIRTNET_DRIVER_NAME;
  vdev.priv = vi;

  if (virtio_has_feature(vdev, VIRTIO_NET_F_MAC)) dev.dev_addr.set(virtio_cread_bytes(vdev, VIRTIO_NET_CFG_MAC, 6));
  else {
    // eth_hw_addr_random(): locally administered, unicast.
    for (let i = 0; i < 6; i++) dev.dev_addr[i] = Math.floor(Math.random() * 256);
    dev.dev_addr[0] = (dev.dev_addr[0]! & 0xfe) | 0x02;
  }

  let err = await virtio_find_vqs(vdev, [
    { name: "input.0", callback: skb_recv_done },
    { name: "output.0", callback: skb_xmit_done },
  ]);
  if (err) {
    pr_err(`${vdev.name}: virtio_net: failed to find virtqueues: ${err}`);
    vdev.priv = null;
    return err;
  }
  vi.rq = vdev.vqs[0]!;
  vi.sq = vdev.vqs[1]!;
  vq_owners.set(vi.rq, vi);
  vq_owners.set(vi.sq, vi);
  // Callbacks off until open (NAPI is not enabled before).
  virtqueue_disable_cb(vi.rq);
  virtqueue_disable_cb(vi.sq);
  vi.napi = netif_napi_add(dev, virtnet_poll);

  netif_carrier_off(dev);
  err = register_netdev(dev);
  if (err) {
    pr_err(`${vdev.name}: virtio_net: registering device failed: ${err}`);
    await remove_vq_common(vi);
    vdev.priv = null;
    return err;
  }
  // DRIVER_OK before anything can open the interface (Linux does both under RTNL; here nothing
  // runs in between). From here the device may use the queues and send config changes.
  virtio_device_ready(vdev);
  virtnet_update_status(vi);
  pr_info(`${dev.name}: virtio_net ${vdev.name} (${dev.parent}) ${mac_to_string(dev.dev_addr)}, features 0x${vdev.features.toString(16)}, ${vi.rq.num}/${vi.sq.num} descriptors`);
  return 0;
}

/** virtnet_remove(): unregister (closes the interface), reset, reclaim, delete queues. */
async function virtnet_remove(vdev: VirtioDevice): Promise<void> {
  const vi = vdev.priv as VirtnetInfo;
  await cancel_delayed_work_sync(vi.refill);
  await unregister_netdev(vi.dev);
  await cancel_delayed_work_sync(vi.refill);
  await remove_vq_common(vi);
}

/** Device feature bits the driver understands (transport bits — VERSION_1, EVENT_IDX — are the core's). */
const features: readonly number[] = [VIRTIO_NET_F_MAC, VIRTIO_NET_F_STATUS];

export const virtio_net_driver: VirtioDriver = {
  name: VIRTNET_DRIVER_NAME,
  id_table: [{ device: VIRTIO_ID_NET }],
  feature_table: features,
  probe: virtnet_probe,
  remove: virtnet_remove,
  config_changed: virtnet_config_changed,
};

const virtio_net_module: ModuleInfo = {
  name: "virtio_net",
  description: "Virtio network driver",
  license: "GPL-compatible (MIT)",
  depends: ["netdev", "virtio"],
  init: () => register_virtio_driver(virtio_net_driver),
  exit: () => unregister_virtio_driver(virtio_net_driver),
};
export default virtio_net_module;


