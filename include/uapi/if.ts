/** Network interfaces as userland sees them (the RTM_GETLINK / SIOCGIF* view, reduced). */
export interface IfStats {
  rx_packets: number;
  tx_packets: number;
  rx_bytes: number;
  tx_bytes: number;
  rx_errors: number;
  tx_errors: number;
  rx_dropped: number;
  tx_dropped: number;
  multicast: number;
  collisions: number;
  rx_missed_errors: number;
  rx_crc_errors: number;
  rx_over_errors: number;
  rx_length_errors: number;
  rx_frame_errors: number;
  rx_fifo_errors: number;
  tx_aborted_errors: number;
  tx_carrier_errors: number;
  tx_fifo_errors: number;
  tx_heartbeat_errors: number;
  tx_window_errors: number;
  rx_nohandler: number;
}

export interface IfInfo {
  ifindex: number;
  name: string;
  /** IFF_* flags (include/net/netdevice.ts has the constants). */
  flags: number;
  mtu: number;
  /** "52:54:00:12:34:56" */
  mac: string;
  carrier: boolean;
  type: "ether" | "loopback";
  driver: string;
  parent: string;
  tx_queue_stopped: boolean;
  /** Carrier up/down transitions (IFLA_CARRIER_CHANGES). */
  carrier_changes: number;
  stats: IfStats;
}

/** What `ip link set` may change. */
export interface IfChange {
  up?: boolean;
  mtu?: number;
  mac?: string;
  /** IFF_PROMISC / IFF_ALLMULTI (`ip link set DEV promisc|allmulticast on|off`). */
  promisc?: boolean;
  allmulti?: boolean;
}
