/**
 * Network devices in sysfs (net/core/net-sysfs.c): /sys/class/net/NAME links to the interface's
 * directory below its parent device (NetDevice.sysfs_parent, set by the driver as SET_NETDEV_DEV
 * does) — /sys/devices/pci0000:00/0000:00:03.0/net/eth0 for the e1000, …/0000:00:05.0/virtio0/
 * net/eth0 for virtio-net, /sys/devices/virtual/net/lo for the loopback — with address,
 * broadcast, addr_len, type, mtu, ifindex, iflink, tx_queue_len, flags, carrier,
 * carrier_changes, operstate, speed, duplex, uevent, statistics/ and the links device and
 * subsystem. Files are computed when read; carrier, speed and duplex fail with -EINVAL while the
 * interface is down, as Linux's do.
 */
import { EINVAL } from "../../include/linux/errno.ts";
import { IFF_LOWER_UP, IFF_RUNNING, IFF_UP, type NetDevice } from "../../include/net/netdevice.ts";
import type { EthtoolLinkSettings } from "../../include/uapi/ethtool.ts";
import { kernfs_create, kernfs_create_link, kernfs_get_target_path, kernfs_remove } from "../../kernel/fs/kernfs.ts";
import { mac_to_string, operstate } from "./netdev.ts";

/** Hardware types shown in /sys/class/net/DEV/type (include/uapi/linux/if_arp.h). */
const ARPHRD_ETHER = 1;
const ARPHRD_LOOPBACK = 772;
/** /sys/class/net/DEV/tx_queue_len: Linux's default qdisc length (DEFAULT_TX_QUEUE_LEN); no qdisc is modelled. */
const DEFAULT_TX_QUEUE_LEN = 1000;

/** The interface's own sysfs directory: <parent device>/net/<name>, or /sys/devices/virtual/net/<name>. */
function netdev_sysfs_dir(dev: NetDevice): string {
  return `${dev.sysfs_parent === "" ? "/sys/devices/virtual" : dev.sysfs_parent}/net/${dev.name}`;
}

/** The link speed for /sys/class/net/DEV/{speed,duplex}: null (read fails -EINVAL) unless running with link settings. */
function link_settings(dev: NetDevice): EthtoolLinkSettings | null {
  const get = dev.ethtool_ops?.get_link_ksettings;
  if ((dev.flags & IFF_UP) === 0 || !dev.present || get === undefined) return null;
  return get(dev);
}

/**
 * netdev_register_kobject(): the interface's directory under its parent device with Linux's
 * attributes and statistics/, the /sys/class/net/NAME link to it, and the `device` link back to
 * the parent (when there is one) and `subsystem` link to the class. Called by register_netdev.
 */
export function netdev_register_kobject(dev: NetDevice): void {
  const base = netdev_sysfs_dir(dev);
  kernfs_create(`${base}/address`, { show: () => mac_to_string(dev.dev_addr) + "\n" });
  kernfs_create(`${base}/broadcast`, { show: () => mac_to_string(dev.broadcast) + "\n" });
  kernfs_create(`${base}/addr_len`, { show: () => `${dev.dev_addr.length}\n` });
  kernfs_create(`${base}/type`, { show: () => `${dev.type === "loopback" ? ARPHRD_LOOPBACK : ARPHRD_ETHER}\n` });
  kernfs_create(`${base}/mtu`, { show: () => `${dev.mtu}\n` });
  kernfs_create(`${base}/ifindex`, { show: () => `${dev.ifindex}\n` });
  kernfs_create(`${base}/iflink`, { show: () => `${dev.ifindex}\n` });
  kernfs_create(`${base}/tx_queue_len`, { show: () => `${DEFAULT_TX_QUEUE_LEN}\n` });
  // dev->flags: IFF_RUNNING and IFF_LOWER_UP are operational state (dev_get_flags adds them), not flags.
  kernfs_create(`${base}/flags`, { show: () => `0x${(dev.flags & ~(IFF_RUNNING | IFF_LOWER_UP)).toString(16)}\n` });
  kernfs_create(`${base}/carrier`, { show: () => ((dev.flags & IFF_UP) === 0 ? -EINVAL : `${dev.carrier ? 1 : 0}\n`) });
  kernfs_create(`${base}/carrier_changes`, { show: () => `${dev.carrier_changes}\n` });
  kernfs_create(`${base}/operstate`, { show: () => `${operstate(dev).toLowerCase()}\n` });
  kernfs_create(`${base}/speed`, {
    show: () => {
      const s = link_settings(dev);
      return s === null ? -EINVAL : `${s.link ? s.speed : -1}\n`;
    },
  });
  kernfs_create(`${base}/duplex`, {
    show: () => {
      const s = link_settings(dev);
      return s === null ? -EINVAL : `${s.link && s.duplex !== "Unknown" ? s.duplex.toLowerCase() : "unknown"}\n`;
    },
  });
  kernfs_create(`${base}/uevent`, { show: () => `INTERFACE=${dev.name}\nIFINDEX=${dev.ifindex}\n` });
  for (const key of Object.keys(dev.stats) as (keyof typeof dev.stats)[]) {
    kernfs_create(`${base}/statistics/${key}`, { show: () => `${dev.stats[key]}\n` });
  }
  if (dev.sysfs_parent !== "") kernfs_create_link(`${base}/device`, kernfs_get_target_path(`${base}/device`, dev.sysfs_parent));
  kernfs_create_link(`${base}/subsystem`, kernfs_get_target_path(`${base}/subsystem`, "/sys/class/net"));
  const cls = `/sys/class/net/${dev.name}`;
  kernfs_create_link(cls, kernfs_get_target_path(cls, base));
}

/** netdev_unregister_kobject(): the class link and the interface's directory. Called by unregister_netdev. */
export function netdev_unregister_kobject(dev: NetDevice): void {
  kernfs_remove(`/sys/class/net/${dev.name}`);
  kernfs_remove(netdev_sysfs_dir(dev));
}
