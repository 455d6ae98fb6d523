/**
 * A virtio network driver (Linux drivers/net/virtio_net.c, reduced to one queue pair): mergeable
 * receive buffers, checksum offload both ways, scatter-gather transmit over indirect descriptors,
 * the control queue (receive mode, MAC filter, MAC address) and the link status.
 *
 * - Header: 12 bytes (struct virtio_net_hdr_mrg_rxbuf) with VERSION_1 or MRG_RXBUF, else the
 *   10-byte legacy struct virtio_net_hdr (vi.hdr_len, as Linux).
 * - RX, mergeable (MRG_RXBUF): each buffer is one pbuf lent from PBUF_HEADROOM − hdr_len, sized
 *   from a moving average of received frame lengths (get_mergeable_buf_len: at least
 *   GOOD_PACKET_LEN, as Linux; at most what a pbuf holds). The device fills buffers in turn and
 *   says in the first one's num_buffers how many it used; receive_mergeable takes that many and
 *   joins them. Departure: Linux attaches the later buffers as page fragments; the stack here wants
 *   a linear frame, so they are copied behind the first (only frames longer than one buffer pay).
 * - RX, small (no MRG_RXBUF): one buffer of hdr_len + GOOD_PACKET_LEN per frame (receive_small).
 *   Either way the frame starts at PBUF_HEADROOM and goes up as it is. virtnet_poll (NAPI,
 *   softirq) → virtnet_receive → receive_buf → netdev_receive; the ring is refilled by
 *   try_fill_recv, or by refill_work when memory is short.
 * - Checksums: with CSUM the interface has NETIF_F_HW_CSUM | NETIF_F_SG, and a CHECKSUM_PARTIAL
 *   frame goes with NEEDS_CSUM, csum_start and csum_offset (the device completes it); with
 *   GUEST_CSUM, NETIF_F_RXCSUM, and a received DATA_VALID means the stack need not verify.
 * - TX: start_xmit pushes the header into the frame's headroom and posts header + head as one
 *   device-readable piece, then one piece per fragment (one indirect descriptor when the device
 *   has INDIRECT_DESC). Used buffers are freed (and counted) in start_xmit and in NAPI. The queue
 *   stops when fewer than 2 + MAX_SKB_FRAGS descriptors are free and wakes from NAPI after the TX
 *   interrupt. One NAPI context serves both queues (the netdev layer has one per device), as
 *   Linux's napi_tx mode with the TX NAPI folded into the RX one. Only the headroom in front of
 *   the frame is written, so a frame another holder (a tap) still reads is not disturbed.
 * - Control queue (CTRL_VQ): virtio_net_ctrl.ts.
 * - Link: with VIRTIO_NET_F_STATUS the config status' LINK_UP drives the carrier, re-read on the
 *   config-change interrupt (in a work item); without it the link is always up.
 *
 * Context: probe/remove/open/stop in process context; start_xmit in process or softirq context;
 * skb_recv_done / skb_xmit_done (queue callbacks) in hard-IRQ context; virtnet_poll in softirq.
 */
import { netif_start_queue, netif_stop_queue, netif_wake_queue } from "./netdev_queue.ts";
import { EINVAL, ENOMEM } from "../../include/linux/errno.ts";
import type { ModuleInfo } from "../../include/linux/module.ts";
import {
  NETIF_F_HW_CSUM,
  NETIF_F_RXCSUM,
  NETIF_F_SG,
  PBUF_HEADROOM,
  type EthtoolOps,
  type NapiStruct,
  type NetDevice,
  type NetDeviceOps,
  type PBuf,
} from "../../include/net/netdevice.ts";
import { VIRTIO_F_ANY_LAYOUT, VIRTIO_F_VERSION_1 } from "../../include/uapi/linux/virtio_config.ts";
import { VIRTIO_ID_NET } from "../../include/uapi/linux/virtio_pci.ts";
import {
  VIRTIO_NET_CFG_MAC,
  VIRTIO_NET_CFG_STATUS,
  VIRTIO_NET_F_CSUM,
  VIRTIO_NET_F_CTRL_MAC_ADDR,
  VIRTIO_NET_F_CTRL_RX,
  VIRTIO_NET_F_CTRL_VQ,
  VIRTIO_NET_F_GUEST_CSUM,
  VIRTIO_NET_F_MAC,
  VIRTIO_NET_F_MRG_RXBUF,
  VIRTIO_NET_F_STATUS,
  VIRTIO_NET_HDR_LEGACY_SIZE,
  VIRTIO_NET_HDR_SIZE,
  VIRTIO_NET_S_LINK_UP,
} from "../../include/uapi/linux/virtio_net.ts";
import { pbuf_put } from "../../kernel/mm/pbuf.ts";
import { pr_err, pr_info } from "../../kernel/printk.ts";
import { cancel_delayed_work_sync, schedule_delayed_work } from "../../kernel/workqueue.ts";
import { alloc_etherdev, napi_complete_done, napi_disable, napi_enable, napi_schedule, netif_carrier_off, netif_carrier_ok, netif_carrier_on, netif_napi_add, register_netdev, unregister_netdev } from "./netdev.ts";
import { virtnet_set_mac_address, virtnet_set_rx_mode, VirtnetCtrl } from "./virtio_net_ctrl.ts";
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
  type VqInfo,
} from "../virtio/virtio.ts";
import { virtqueue_detach_unused_buf, virtqueue_disable_cb, virtqueue_enable_cb, type VirtQueue } from "../virtio/virtio_ring.ts";

import { virtio_dev_sysfs_path } from "../virtio/virtio_sysfs.ts";
import { priv, VirtnetInfo } from "./virtio_net_info.ts";
import { refill_work, try_fill_recv, virtnet_receive } from "./virtio_net_rx.ts";
import { free_old_xmit, kick_tx, start_xmit, virtnet_poll_cleantx } from "./virtio_net_tx.ts";

export const VIRTNET_DRIVER_NAME = "virtio_net";
export const VIRTNET_DRIVER_VERSION = "1.0.0";

/* ---- NAPI ---- */

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
    pr_info("%s: link up\n", dev.name);
  } else {
    netif_carrier_off(dev);
    pr_info("%s: link down\n", dev.name);
  }
}

/** virtnet_config_changed(): from the core's config work (process context). */
function virtnet_config_changed(vdev: VirtioDevice): void {
  virtnet_update_status(vdev.priv as VirtnetInfo);
}

/* ---- ethtool ---- */

/** ethtool -S: Linux's per-queue names first (rx_queue_0_packets…), then this driver's extras. */
function virtnet_stats_list(dev: NetDevice): [string, number][] {
  const vi = priv(dev);
  const s = dev.stats;
  const list: [string, number][] = [
    ["rx_queue_0_packets", s.rx_packets],
    ["rx_queue_0_bytes", s.rx_bytes],
    ["rx_queue_0_drops", vi.stats.rx_drops],
    ["rx_queue_0_kicks", vi.stats.rx_kicks],
    ["rx_queue_0_irqs", vi.stats.rx_irqs],
    ["rx_queue_0_refill_oom", vi.stats.rx_refill_oom],
    ["rx_queue_0_merged", vi.stats.rx_merged],
    ["rx_queue_0_merged_bufs", vi.stats.rx_merged_bufs],
    ["rx_queue_0_csum_valid", vi.stats.rx_csum_valid],
    ["tx_queue_0_packets", s.tx_packets],
    ["tx_queue_0_bytes", s.tx_bytes],
    ["tx_queue_0_kicks", vi.stats.tx_kicks],
    ["tx_queue_0_irqs", vi.stats.tx_irqs],
    ["tx_queue_0_stops", vi.stats.tx_stops],
    ["tx_queue_0_wakes", vi.stats.tx_wakes],
    ["tx_queue_0_add_errors", vi.stats.tx_add_errors],
    ["tx_queue_0_needs_csum", vi.stats.tx_needs_csum],
  ];
  if (vi.ctrl !== null) list.push(["ctrl_commands", vi.ctrl.commands], ["ctrl_errors", vi.ctrl.errors]);
  return list;
}

const virtnet_ethtool_ops: EthtoolOps = {
  get_drvinfo: (dev) => ({ driver: VIRTNET_DRIVER_NAME, version: VIRTNET_DRIVER_VERSION, bus_info: priv(dev).vdev.config.bus_name(priv(dev).vdev), n_stats: virtnet_stats_list(dev).length, regdump_len: 0, eedump_len: 0 }),
  get_link: (dev) => netif_carrier_ok(dev),
  // virtnet_get_link_ksettings: no VIRTIO_NET_F_SPEED_DUPLEX, so speed and duplex unknown
  // (SPEED_UNKNOWN, DUPLEX_UNKNOWN), port Other, no link modes; phy_address and transceiver are
  // left 0 (PHYAD 0, internal), which the kernel reports all the same. No get_wol, no get_msglevel.
  get_link_ksettings: (dev) => ({ link: netif_carrier_ok(dev), speed: -1, duplex: "Unknown", autoneg: false, port: "Other", supported: [], advertising: [], phy_address: 0, transceiver: "internal" }),
  get_ethtool_stats: virtnet_stats_list,
  // No get_regs in virtio_net: an empty dump is "Operation not supported" to ethtool -d.
  get_regs: () => [],
  get_ringparam: (dev) => {
    const vi = priv(dev);
    return { rx_max_pending: vi.rq.num, tx_max_pending: vi.sq.num, rx_pending: vi.rq.num, tx_pending: vi.sq.num };
  },
  // virtnet_get_coalesce without VIRTIO_NET_F_NOTF_COAL: one interrupt per frame each way (TX
  // completions are polled by NAPI, Linux's napi_tx mode, so tx-frames is 1 too) and no delay;
  // supported_coalesce_params is ETHTOOL_COALESCE_MAX_FRAMES | ETHTOOL_COALESCE_USECS, so those
  // four are reported.
  get_coalesce: () => ({ rx_usecs: 0, rx_max_frames: 1, tx_usecs: 0, tx_max_frames: 1 }),
  // One queue pair (MQ is not negotiated): Linux's virtnet_get_channels reports it as combined.
  get_channels: () => ({ max_rx: 0, max_tx: 0, max_other: 0, max_combined: 1, rx_count: 0, tx_count: 0, other_count: 0, combined_count: 1 }),
};

const virtnet_netdev: NetDeviceOps = {
  ndo_open: virtnet_open,
  ndo_stop: virtnet_close,
  ndo_start_xmit: start_xmit,
  ndo_flush_xmit: (dev) => kick_tx(priv(dev)),
  ndo_set_rx_mode: (dev) => virtnet_set_rx_mode(priv(dev).ctrl, dev),
  ndo_set_mac_address: (dev, mac) => {
    const vi = priv(dev);
    const err = virtnet_set_mac_address(vi.ctrl, vi.vdev, mac);
    if (err === 0) dev.dev_addr.set(mac);
    return err;
  },
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
  // A command whose answer never came (a failed kick, a broken queue, a spin the watchdog ended)
  // is still posted: take it back so its mappings go before the page does.
  if (vi.ctrl !== null) while (virtqueue_detach_unused_buf(vi.ctrl.cvq) !== null);
}

/** remove_vq_common(): reset (the device lets go of every buffer), reclaim buffers, delete queues. */
async function remove_vq_common(vi: VirtnetInfo): Promise<void> {
  await virtio_reset_device(vi.vdev);
  free_old_xmit(vi);
  free_unused_bufs(vi);
  vi.vdev.config.del_vqs(vi.vdev);
  vi.ctrl?.free();
  vi.ctrl = null;
}

/** virtnet_probe(): queues, MAC, netdev, DRIVER_OK, carrier. 0 or -errno after undoing its work. */
async function virtnet_probe(vdev: VirtioDevice): Promise<number> {
  const dev = alloc_etherdev(virtnet_netdev);
  const vi = new VirtnetInfo(vdev, dev, refill_work);
  dev.priv = vi;
  dev.ethtool_ops = virtnet_ethtool_ops;
  dev.parent = vdev.config.bus_name(vdev);
  dev.sysfs_parent = virtio_dev_sysfs_path(vdev); // SET_NETDEV_DEV(dev, &vdev->dev)
  dev.driver = VIRTNET_DRIVER_NAME;
  vdev.priv = vi;

  if (virtio_has_feature(vdev, VIRTIO_NET_F_MAC)) dev.dev_addr.set(virtio_cread_bytes(vdev, VIRTIO_NET_CFG_MAC, 6));
  else {
    // eth_hw_addr_random(): locally administered, unicast.
    for (let i = 0; i < 6; i++) dev.dev_addr[i] = Math.floor(Math.random() * 256);
    dev.dev_addr[0] = (dev.dev_addr[0]! & 0xfe) | 0x02;
  }

  // Header and receive buffer layout follow the features (virtnet_probe).
  vi.mergeable_rx_bufs = virtio_has_feature(vdev, VIRTIO_NET_F_MRG_RXBUF);
  vi.hdr_len = vi.mergeable_rx_bufs || virtio_has_feature(vdev, VIRTIO_F_VERSION_1) ? VIRTIO_NET_HDR_SIZE : VIRTIO_NET_HDR_LEGACY_SIZE;
  vi.rx_buf_offset = PBUF_HEADROOM - vi.hdr_len;
  vi.any_header_sg = virtio_has_feature(vdev, VIRTIO_F_ANY_LAYOUT) || virtio_has_feature(vdev, VIRTIO_F_VERSION_1);
  if (virtio_has_feature(vdev, VIRTIO_NET_F_CSUM)) {
    dev.hw_features |= NETIF_F_HW_CSUM | NETIF_F_SG;
    dev.features |= NETIF_F_HW_CSUM | NETIF_F_SG;
  }
  if (virtio_has_feature(vdev, VIRTIO_NET_F_GUEST_CSUM)) dev.features |= NETIF_F_RXCSUM;

  // virtnet_find_vqs(): receiveq1, transmitq1, then the control queue (no callback: it is polled).
  const infos: VqInfo[] = [
    { name: "input.0", callback: skb_recv_done },
    { name: "output.0", callback: skb_xmit_done },
  ];
  const has_cvq = virtio_has_feature(vdev, VIRTIO_NET_F_CTRL_VQ);
  if (has_cvq) infos.push({ name: "control", callback: null });
  let err = await virtio_find_vqs(vdev, infos);
  if (err) {
    pr_err("%s: virtio_net: failed to find virtqueues: %d\n", vdev.name, err);
    vdev.priv = null;
    return err;
  }
  vi.rq = vdev.vqs[0]!;
  vi.sq = vdev.vqs[1]!;
  if (has_cvq) {
    vi.ctrl = VirtnetCtrl.alloc(vdev, vdev.vqs[2]!);
    if (vi.ctrl === null) {
      await remove_vq_common(vi);
      vdev.priv = null;
      return -ENOMEM;
    }
  }
  vq_owners.set(vi.rq, vi);
  vq_owners.set(vi.sq, vi);
  // Callbacks off until open (NAPI is not enabled before).
  virtqueue_disable_cb(vi.rq);
  virtqueue_disable_cb(vi.sq);
  vi.napi = netif_napi_add(dev, virtnet_poll);

  netif_carrier_off(dev);
  err = register_netdev(dev);
  if (err) {
    pr_err("%s: virtio_net: registering device failed: %d\n", vdev.name, err);
    await remove_vq_common(vi);
    vdev.priv = null;
    return err;
  }
  // DRIVER_OK before anything can open the interface (Linux does both under RTNL; here nothing
  // runs in between). From here the device may use the queues and send config changes.
  virtio_device_ready(vdev);
  // A random address the device does not know: tell it, or its filter would drop our frames
  // (Linux does this since 6.4, and fails the probe when the device refuses).
  if (!virtio_has_feature(vdev, VIRTIO_NET_F_MAC) && virtio_has_feature(vdev, VIRTIO_NET_F_CTRL_MAC_ADDR) && virtnet_set_mac_address(vi.ctrl, vdev, dev.dev_addr) !== 0) {
    pr_err("%s: virtio_net: failed to set the random MAC address\n", vdev.name);
    await unregister_netdev(dev);
    await remove_vq_common(vi);
    vdev.priv = null;
    return -EINVAL;
  }
  virtnet_update_status(vi);
  pr_info("%s: virtio_net %s (%s) %pM, features 0x%llx, %d/%d descriptors\n", dev.name, vdev.name, dev.parent, dev.dev_addr, vdev.features, vi.rq.num, vi.sq.num);
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

/**
 * Device feature bits the driver understands (transport bits — VERSION_1, EVENT_IDX,
 * INDIRECT_DESC — are the core's). Linux's list also has TSO, MQ, VLAN, ANNOUNCE, MTU…: not here.
 */
const features: readonly number[] = [
  VIRTIO_NET_F_CSUM,
  VIRTIO_NET_F_GUEST_CSUM,
  VIRTIO_NET_F_MAC,
  VIRTIO_NET_F_MRG_RXBUF,
  VIRTIO_NET_F_STATUS,
  VIRTIO_NET_F_CTRL_VQ,
  VIRTIO_NET_F_CTRL_RX,
  VIRTIO_NET_F_CTRL_MAC_ADDR,
];

/**
 * virtnet_validate(): refuse a device whose offer makes no sense (a control-queue feature without
 * the control queue), before FEATURES_OK. 0 or -EINVAL.
 */
function virtnet_validate(vdev: VirtioDevice): number {
  if (!virtio_has_feature(vdev, VIRTIO_NET_F_CTRL_VQ)) {
    for (const [f, name] of [[VIRTIO_NET_F_CTRL_RX, "VIRTIO_NET_F_CTRL_RX"], [VIRTIO_NET_F_CTRL_MAC_ADDR, "VIRTIO_NET_F_CTRL_MAC_ADDR"]] as const) {
      if (virtio_has_feature(vdev, f)) {
        pr_err("%s: device advertises feature %s but not VIRTIO_NET_F_CTRL_VQ\n", vdev.name, name);
        return -EINVAL;
      }
    }
  }
  return 0;
}

export const virtio_net_driver: VirtioDriver = {
  name: VIRTNET_DRIVER_NAME,
  id_table: [{ device: VIRTIO_ID_NET }],
  feature_table: features,
  // A legacy device (no VERSION_1) may also say that header and data can share a descriptor.
  feature_table_legacy: [...features, VIRTIO_F_ANY_LAYOUT],
  validate: virtnet_validate,
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


