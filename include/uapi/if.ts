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

/* ---- addresses: what RTM_GETADDR tells beyond IfAddr (include/uapi/linux/if_addr.h) ---- */

/** ifa_flags. */
export const IFA_F_SECONDARY = 0x01;
export const IFA_F_DEPRECATED = 0x20;
export const IFA_F_PERMANENT = 0x80;
/** A lifetime that never runs out (ifa_cacheinfo's INFINITY_LIFE_TIME). */
export const INFINITY_LIFE_TIME = 0xffffffff;
/** rtm_scope / ifa_scope values (include/uapi/linux/rtnetlink.h). */
export const RT_SCOPE_UNIVERSE = 0;
export const RT_SCOPE_LINK = 253;
export const RT_SCOPE_HOST = 254;

/**
 * The rest of an address's RTM_NEWADDR message: the kernel's addr_list() entries (IfAddr in
 * in.ts) carry these too. An address without IFA_F_PERMANENT has lifetimes (a DHCP lease); they
 * are seconds left now, or INFINITY_LIFE_TIME. `broadcast` of the IfAddr is 0 when the address has
 * none (IFA_BROADCAST absent).
 */
export interface IfAddrInfo {
  flags: number;
  scope: number;
  valid_lft: number;
  preferred_lft: number;
}

/* ---- neighbours: RTM_NEWNEIGH / RTM_DELNEIGH / RTM_GETNEIGH (include/uapi/linux/neighbour.h) ---- */

/** ndm_state bits. */
export const NUD_INCOMPLETE = 0x01;
export const NUD_REACHABLE = 0x02;
export const NUD_STALE = 0x04;
export const NUD_DELAY = 0x08;
export const NUD_PROBE = 0x10;
export const NUD_FAILED = 0x20;
export const NUD_NOARP = 0x40;
export const NUD_PERMANENT = 0x80;
export const NUD_NONE = 0x00;

/** nlmsg_flags of an RTM_NEWNEIGH request: create if absent, fail if present, replace if present. */
export const NLM_F_REPLACE = 0x100;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;

/**
 * One neighbour entry as an RTM_GETNEIGH dump reports it, NDA_CACHEINFO and NDA_PROBES included.
 * `lladdr` ("" when the entry has none: NDA_LLADDR is sent only for NUD_VALID states). The ages
 * are in USER_HZ ticks (1/100 s), as nda_cacheinfo carries them.
 */
export interface NeighInfo {
  addr: number;
  ifname: string;
  lladdr: string;
  /** NUD_* */
  state: number;
  /** ndm_refcnt: references beyond the table's own. */
  refcnt: number;
  used: number;
  confirmed: number;
  updated: number;
  probes: number;
}

/**
 * The neighbour table calls (rtnetlink's RTM_*NEIGH, as `ip neigh` uses them). neigh_add:
 * `flags` NLM_F_CREATE | NLM_F_EXCL for `add`, NLM_F_CREATE | NLM_F_REPLACE for `replace`,
 * NLM_F_REPLACE for `change`; `lladdr` null when none was given; `state` a NUD_* value. Returns
 * 0, -ENODEV, -EEXIST (add of an existing entry), -ENOENT (change of a missing one), -EINVAL (no
 * link-layer address to use, or a state the table does not keep). neigh_del: 0, -ENODEV or -ENOENT.
 */
export interface NeighSyscalls {
  neigh_dump(): NeighInfo[] | number;
  neigh_add(ifname: string, addr: number, lladdr: string | null, state: number, flags: number): number;
  neigh_del(ifname: string, addr: number): number;
}
