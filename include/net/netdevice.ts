/**
 * Network devices (include/linux/netdevice.h, skbuff.h, ethtool.h, reduced): the net_device, its
 * ops tables, statistics, NAPI context and the packet buffer.
 */
import type { WaitQueueHeadLike } from "../linux/wait.ts";
import type { EthtoolChannels, EthtoolCoalesce, EthtoolDrvInfo, EthtoolLinkSettings, EthtoolRingParam, EthtoolTestResult } from "../uapi/ethtool.ts";

export const ETH_ALEN = 6;
export const ETH_HLEN = 14;
/** Shortest frame without FCS (the hardware appends 4 bytes of FCS to reach 64). */
export const ETH_ZLEN = 60;
export const ETH_DATA_LEN = 1500;
/** Longest frame without FCS at the standard MTU. */
export const ETH_FRAME_LEN = 1514;

export const ETH_P_ALL = 0x0003;
export const ETH_P_IP = 0x0800;
export const ETH_P_ARP = 0x0806;
export const ETH_P_8021Q = 0x8100;
export const ETH_P_IPV6 = 0x86dd;

/** Interface flags (include/uapi/linux/if.h). */
export const IFF_UP = 0x1;
export const IFF_BROADCAST = 0x2;
export const IFF_LOOPBACK = 0x8;
export const IFF_RUNNING = 0x40;
export const IFF_PROMISC = 0x100;
export const IFF_ALLMULTI = 0x200;
export const IFF_MULTICAST = 0x1000;
export const IFF_LOWER_UP = 0x10000;

/** ndo_start_xmit results. */
export const NETDEV_TX_OK = 0x00;
export const NETDEV_TX_BUSY = 0x10;

/** Netdevice notifier events. */
export const NETDEV_UP = "up";
export const NETDEV_DOWN = "down";
export const NETDEV_CHANGE = "change";
export const NETDEV_REGISTER = "register";
export const NETDEV_UNREGISTER = "unregister";
export type NetdevEvent = "up" | "down" | "change" | "register" | "unregister";

/**
 * Device features (include/linux/netdev_features.h), as bits of NetDevice.features / hw_features.
 * Only the ones ringzero's drivers can offer; the bit numbers are ours, the names are Linux's.
 */
export const NETIF_F_SG = 1 << 0; // Scatter/gather IO: a frame may be a head plus fragments
export const NETIF_F_IP_CSUM = 1 << 1; // Can checksum TCP/UDP over IPv4 (CHECKSUM_PARTIAL)
export const NETIF_F_HW_CSUM = 1 << 2; // Can checksum any protocol at csum_start/csum_offset
export const NETIF_F_RXCSUM = 1 << 3; // Receive checksumming offload
export const NETIF_F_TSO = 1 << 4; // TCPv4 segmentation offload
export const NETIF_F_HW_VLAN_CTAG_RX = 1 << 5; // Receive VLAN CTAG hw acceleration
export const NETIF_F_HW_VLAN_CTAG_TX = 1 << 6; // Transmit VLAN CTAG hw acceleration
export const NETIF_F_HW_VLAN_CTAG_FILTER = 1 << 7; // Receive filtering on VLAN CTAGs
export const NETIF_F_RXALL = 1 << 8; // Receive errored frames too
export const NETIF_F_RXFCS = 1 << 9; // Append FCS to received frames
export const NETIF_F_LOOPBACK = 1 << 10; // Enable loopback
export const NETIF_F_LLTX = 1 << 11; // Lockless TX (fixed on lo)
/** Any transmit checksum feature (NETIF_F_CSUM_MASK). */
export const NETIF_F_CSUM_MASK = NETIF_F_IP_CSUM | NETIF_F_HW_CSUM;
/** Segmentation offloads (NETIF_F_GSO_MASK, the ones we model). */
export const NETIF_F_GSO_MASK = NETIF_F_TSO;

/**
 * The feature names `ethtool -k` prints, in Linux's order (net/ethtool/common.c netdev_features_strings
 * and ethtool's off_flag_def): [bit, ethtool name]. ethtool(8) groups them under rx-checksumming,
 * tx-checksumming, scatter-gather and tcp-segmentation-offload.
 */
export const NETDEV_FEATURE_NAMES: readonly (readonly [number, string])[] = [
  [NETIF_F_RXCSUM, "rx-checksum"],
  [NETIF_F_IP_CSUM, "tx-checksum-ipv4"],
  [NETIF_F_HW_CSUM, "tx-checksum-ip-generic"],
  [NETIF_F_SG, "tx-scatter-gather"],
  [NETIF_F_TSO, "tx-tcp-segmentation"],
  [NETIF_F_LLTX, "tx-lockless"],
  [NETIF_F_HW_VLAN_CTAG_RX, "rx-vlan-hw-parse"],
  [NETIF_F_HW_VLAN_CTAG_TX, "tx-vlan-hw-insert"],
  [NETIF_F_HW_VLAN_CTAG_FILTER, "rx-vlan-filter"],
  [NETIF_F_LOOPBACK, "loopback"],
  [NETIF_F_RXFCS, "rx-fcs"],
  [NETIF_F_RXALL, "rx-all"],
];

/* Checksum state of a packet buffer (include/linux/skbuff.h, "Checksumming of received and sent packets"). */
/** Receive: nothing verified. Transmit: the checksum is complete in the bytes (software did it). */
export const CHECKSUM_NONE = 0;
/** Receive: the device verified the transport checksum; the stack need not. */
export const CHECKSUM_UNNECESSARY = 1;
/** Receive: `csum` holds the device's ones'-complement sum of the packet from the IP header on. */
export const CHECKSUM_COMPLETE = 2;
/**
 * Transmit: the checksum field at csum_start + csum_offset holds only the (folded, not inverted)
 * pseudo-header sum; whoever sends the frame — the NIC, or skb_checksum_help when it cannot — sums
 * from csum_start to the end and stores the complement there.
 */
export const CHECKSUM_PARTIAL = 3;

/** gso_type bits (SKB_GSO_*). */
export const SKB_GSO_TCPV4 = 1 << 0;

/** Size of every packet buffer: one frame at the standard MTU with headroom, two per page. */
export const PBUF_SIZE = 2048;
/** Room kept in front of a frame built by the stack, so headers can be prepended without copying. */
export const PBUF_HEADROOM = 64;

/**
 * A packet buffer (the seeds' pbuf, Linux's sk_buff reduced): 2 KiB of DMA-able memory holding one
 * frame at data[head .. head+len). Reference counted: pbuf_get() adds a holder, pbuf_put() drops
 * one, and the buffer goes back to the pool when the last holder drops it. Whoever holds a
 * reference may read it; only the single owner may change it.
 */
export interface PBuf {
  /** The whole 2 KiB, as the CPU sees it. */
  readonly data: Uint8Array;
  readonly view: DataView;
  /** Bus address of data[0], for descriptors. */
  readonly dma: number;
  /** Frame start within data. */
  head: number;
  len: number;
  refcnt: number;
  /** The device it arrived on (receive) or leaves by (transmit). */
  dev: NetDevice | null;
  /** EtherType, filled on receive. */
  protocol: number;
  /** Link in queues (ARP pending queue, socket receive queue); null when not queued. */
  next: PBuf | null;
  /** Kernel clock time it was received (for packet capture). */
  tstamp: number;
  /*
   * Checksum and segmentation state (sk_buff's ip_summed/csum/csum_start/csum_offset and
   * skb_shared_info's gso_*). pbuf_alloc resets them; only the buffer's owner writes them.
   */
  /** CHECKSUM_NONE / UNNECESSARY / COMPLETE / PARTIAL. */
  ip_summed: number;
  /** CHECKSUM_COMPLETE: the receive sum (16-bit ones'-complement, unfolded is fine). */
  csum: number;
  /** CHECKSUM_PARTIAL: where the sum starts, as an index into `data` (skb->head-relative, as Linux). */
  csum_start: number;
  /** CHECKSUM_PARTIAL: offset of the checksum field from csum_start (UDP 6, TCP 16, ICMP 2). */
  csum_offset: number;
  /** TSO: payload bytes per segment (0 = not a GSO frame), its SKB_GSO_* type and segment count. */
  gso_size: number;
  gso_type: number;
  gso_segs: number;
  /*
   * Scatter-gather (the frags of skb_shared_info, as a chain of buffers): the frame is this
   * buffer's data[head .. head + len - data_len) followed by each fragment's data[head .. head + len)
   * in `frag` order. `len` is the whole frame (Linux's skb->len), `data_len` the bytes in fragments
   * (0 for a linear frame). Each fragment is an ordinary packet buffer holding one reference that
   * belongs to the head: pbuf_put of the head's last reference puts the fragments too. A fragment's
   * own `frag` link continues the chain; its `data_len` is 0. Chaining allocates nothing.
   */
  data_len: number;
  frag: PBuf | null;
}

/** skb_headlen(): bytes in the head buffer. */
export function pbuf_headlen(p: PBuf): number {
  return p.len - p.data_len;
}

/**
 * A sender waiting on a stopped transmit queue without sleeping (netif_tx_wait): `fn` runs in
 * softirq context once the queue wakes. Owned by the sender, reused for its lifetime.
 */
export class TxWaiter {
  queued = false;
  readonly fn: () => void;

  constructor(fn: () => void) {
    this.fn = fn;
  }
}

/** struct net_device_stats / rtnl_link_stats64, the fields we keep. */
export class NetDeviceStats {
  rx_packets = 0;
  tx_packets = 0;
  rx_bytes = 0;
  tx_bytes = 0;
  rx_errors = 0;
  tx_errors = 0;
  rx_dropped = 0;
  tx_dropped = 0;
  multicast = 0;
  collisions = 0;
  rx_length_errors = 0;
  rx_over_errors = 0;
  rx_crc_errors = 0;
  rx_frame_errors = 0;
  rx_fifo_errors = 0;
  rx_missed_errors = 0;
  tx_aborted_errors = 0;
  /** Frames given up because the device had no carrier (the core's carrier-off drop and the NIC's TNCRS). */
  tx_carrier_errors = 0;
  tx_fifo_errors = 0;
  tx_heartbeat_errors = 0;
  tx_window_errors = 0;
  /** Frames no protocol handler wanted (unknown EtherType). */
  rx_nohandler = 0;
}

export interface NetDeviceOps {
  /** Bring the device up (ifup): program and enable the hardware. Process context. */
  ndo_open(dev: NetDevice): Promise<number> | number;
  /** Take it down (ifdown): quiesce the hardware, release what is in flight. Process context. */
  ndo_stop(dev: NetDevice): Promise<number> | number;
  /**
   * Hand one frame to the hardware. On NETDEV_TX_OK the driver owns `p` and puts it when sent;
   * on NETDEV_TX_BUSY the caller keeps it (the queue was stopped). `more` = another frame follows
   * at once, so the doorbell (TDT) may wait. Process or softirq context; never sleeps.
   */
  ndo_start_xmit(p: PBuf, dev: NetDevice, more: boolean): number;
  /** Write frames held back by `more` to the hardware. */
  ndo_flush_xmit?(dev: NetDevice): void;
  ndo_set_mac_address?(dev: NetDevice, mac: Uint8Array): number;
  ndo_set_rx_mode?(dev: NetDevice): void;
  /** Drop features the device cannot have together (called by netdev_update_features). */
  ndo_fix_features?(dev: NetDevice, features: number): number;
  /** Program the hardware for `features` (dev.features is updated by the core after 0). Process context. */
  ndo_set_features?(dev: NetDevice, features: number): Promise<number> | number;
}

export interface EthtoolOps {
  get_drvinfo(dev: NetDevice): EthtoolDrvInfo;
  get_link(dev: NetDevice): boolean;
  get_link_ksettings?(dev: NetDevice): EthtoolLinkSettings;
  get_ethtool_stats(dev: NetDevice): [string, number][];
  /** Register dump, decoded: [name, offset, value, decoded text]. */
  get_regs(dev: NetDevice): [string, number, number, string][];
  get_ringparam(dev: NetDevice): EthtoolRingParam;
  set_ringparam?(dev: NetDevice, rx: number, tx: number): Promise<number>;
  /** Queue counts (ethtool -l); absent: -EOPNOTSUPP, as for a single-queue NIC in Linux. */
  get_channels?(dev: NetDevice): EthtoolChannels;
  get_coalesce(dev: NetDevice): EthtoolCoalesce;
  set_coalesce?(dev: NetDevice, c: Partial<EthtoolCoalesce>): number;
  /** Offline self-test (ethtool -t): the interface is taken down for it and brought back. */
  self_test?(dev: NetDevice): Promise<EthtoolTestResult[]>;
  get_eeprom?(dev: NetDevice): Uint16Array;
  /** Driver-specific text dump (the ring inspector). */
  dump_rings?(dev: NetDevice): string;
}

/** struct napi_struct: a device's poll context. */
export class NapiStruct {
  readonly dev: NetDevice;
  readonly poll: (napi: NapiStruct, budget: number) => number;
  readonly weight: number;
  scheduled = false;
  enabled = false;
  /** Polls run and frames they handled. */
  polls = 0;
  work = 0;

  constructor(dev: NetDevice, poll: (napi: NapiStruct, budget: number) => number, weight: number) {
    this.dev = dev;
    this.poll = poll;
    this.weight = weight;
  }
}

/** struct net_device. */
export class NetDevice {
  name: string;
  ifindex = 0;
  readonly dev_addr = new Uint8Array(ETH_ALEN);
  readonly broadcast = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
  mtu = ETH_DATA_LEN;
  flags = IFF_BROADCAST | IFF_MULTICAST;
  /** Physical layer has carrier (netif_carrier_on/off). */
  carrier = false;
  /** "ether" or "loopback" (ARPHRD_ETHER / ARPHRD_LOOPBACK). */
  type: "ether" | "loopback" = "ether";
  readonly stats = new NetDeviceStats();
  netdev_ops: NetDeviceOps;
  ethtool_ops: EthtoolOps | null = null;
  /** The driver's private state (netdev_priv). */
  priv: unknown = null;
  /** Parent device, e.g. "0000:00:03.0", and the driver bound to it. */
  parent = "";
  driver = "";
  /**
   * sysfs directory of the parent device (SET_NETDEV_DEV), set by the driver before
   * register_netdev: /sys/devices/pci0000:00/0000:00:03.0 for a PCI NIC, …/0000:00:05.0/virtio0
   * for virtio-net. The interface's directory is <sysfs_parent>/net/<name>; "" = no parent
   * (virtual devices such as lo, under /sys/devices/virtual/net).
   */
  sysfs_parent = "";
  /** Transmit queue state: stopped by the driver when its ring is full. */
  tx_stopped = false;
  /** Senders blocked on a stopped queue (the seeds' tx_waiter). */
  tx_wait: WaitQueueHeadLike | null = null;
  /**
   * Senders that cannot sleep (TCP in softirq context) and found the queue stopped: called from
   * NET_TX_SOFTIRQ once the driver wakes the queue (netif_tx_wait, net_tx_action). Linux keeps
   * their segments in the qdisc and dequeues them then; ringzero has no qdisc, so the sender is
   * asked to send again instead.
   */
  readonly tx_blocked: TxWaiter[] = [];
  /** On the NET_TX_SOFTIRQ list (__netif_schedule). */
  tx_scheduled = false;
  /** net_tx_action is calling this device's blocked senders (they may send; others wait their turn). */
  tx_serving = false;
  napi: NapiStruct | null = null;
  registered = false;
  /** Times the queue was stopped for a full ring. */
  tx_busy = 0;
  /** Active features (NETIF_F_*): what the stack may ask of this device now. */
  features = 0;
  /** Features the user may switch (ethtool -K); the rest of `features` is [fixed]. */
  hw_features = 0;
  /** Features the user asked for (ethtool -K), before netdev_fix_features. */
  wanted_features = 0;
  /** Carrier transitions, up and down (IFLA_CARRIER_CHANGES, `ip -s -s link` "transns"). */
  carrier_changes = 0;
  /**
   * __LINK_STATE_PRESENT: false once the driver called netif_device_detach (the hardware is gone
   * or suspended); the core then hands it no more frames.
   */
  present = true;

  constructor(name: string, ops: NetDeviceOps) {
    this.name = name;
    this.netdev_ops = ops;
  }
}
