/**
 * ethtool requests and replies (include/uapi/linux/ethtool.h and the ethtool netlink attributes,
 * reduced to what ringzero answers). A request names what `ethtool` asks for; the reply carries
 * the kernel's structure with Linux's field names.
 */
export interface EthtoolDrvInfo {
  driver: string;
  version: string;
  bus_info: string;
  n_stats: number;
  regdump_len: number;
  eedump_len: number;
  /** Self-test results the driver reports (the core fills it: 0 without a self_test op). */
  testinfo_len?: number;
}

/**
 * struct ethtool_ringparam with kernel_ethtool_ringparam (ETHTOOL_MSG_RINGS_GET). A ring kind
 * whose maximum is 0 (or absent) is one the device does not have: the kernel leaves it out of the
 * reply and ethtool prints "n/a". rx_buf_len, cqe_size and tcp_data_split likewise when 0 or
 * absent; tx_push is always reported (off unless a driver turns it on).
 */
export interface EthtoolRingParam {
  rx_max_pending: number;
  rx_mini_max_pending?: number;
  rx_jumbo_max_pending?: number;
  tx_max_pending: number;
  rx_pending: number;
  rx_mini_pending?: number;
  rx_jumbo_pending?: number;
  tx_pending: number;
  rx_buf_len?: number;
  cqe_size?: number;
  tx_push?: boolean;
  /** ETHTOOL_TCP_DATA_SPLIT_*: 0 unknown, 1 disabled, 2 enabled. */
  tcp_data_split?: number;
}

/** struct ethtool_channels (ethtool -l): queue counts by kind; 0 = not applicable ("n/a"). */
export interface EthtoolChannels {
  max_rx: number;
  max_tx: number;
  max_other: number;
  max_combined: number;
  rx_count: number;
  tx_count: number;
  other_count: number;
  combined_count: number;
}

/**
 * struct ethtool_coalesce as ETHTOOL_MSG_COALESCE_GET reports it: a parameter is present when the
 * driver supports it (its supported_coalesce_params) or its value is not 0, as the kernel's
 * coalesce_fill_reply puts attributes; an absent one is printed "n/a". Times in microseconds.
 */
export interface EthtoolCoalesce {
  rx_usecs?: number;
  rx_max_frames?: number;
  rx_usecs_irq?: number;
  rx_max_frames_irq?: number;
  tx_usecs?: number;
  tx_max_frames?: number;
  tx_usecs_irq?: number;
  tx_max_frames_irq?: number;
  stats_block_usecs?: number;
  use_adaptive_rx?: boolean;
  use_adaptive_tx?: boolean;
  pkt_rate_low?: number;
  rx_usecs_low?: number;
  rx_max_frames_low?: number;
  tx_usecs_low?: number;
  tx_max_frames_low?: number;
  pkt_rate_high?: number;
  rx_usecs_high?: number;
  rx_max_frames_high?: number;
  tx_usecs_high?: number;
  tx_max_frames_high?: number;
  rate_sample_interval?: number;
  use_cqe_mode_rx?: boolean;
  use_cqe_mode_tx?: boolean;
}

export interface EthtoolTestResult {
  /** The test's string (ETH_SS_TEST), e.g. "Register test  (offline)". */
  name: string;
  /** The driver's result word for it: 0 = pass. */
  result: number;
  /** What the driver found (it also logs failures to the kernel log); not shown by ethtool. */
  detail: string;
}

/* ETHTOOL_LINK_MODE_*_BIT (include/uapi/linux/ethtool.h): bit numbers in the link-mode bitmaps. */
export const ETHTOOL_LINK_MODE_10baseT_Half_BIT = 0;
export const ETHTOOL_LINK_MODE_10baseT_Full_BIT = 1;
export const ETHTOOL_LINK_MODE_100baseT_Half_BIT = 2;
export const ETHTOOL_LINK_MODE_100baseT_Full_BIT = 3;
export const ETHTOOL_LINK_MODE_1000baseT_Half_BIT = 4;
export const ETHTOOL_LINK_MODE_1000baseT_Full_BIT = 5;
export const ETHTOOL_LINK_MODE_Autoneg_BIT = 6;
export const ETHTOOL_LINK_MODE_TP_BIT = 7;
export const ETHTOOL_LINK_MODE_FIBRE_BIT = 10;
export const ETHTOOL_LINK_MODE_Pause_BIT = 13;
export const ETHTOOL_LINK_MODE_Asym_Pause_BIT = 14;

/** The kernel's link-mode names (net/ethtool/common.c link_mode_names), by bit, as ethtool prints them. */
export const LINK_MODE_NAMES: readonly string[] = [
  "10baseT/Half",
  "10baseT/Full",
  "100baseT/Half",
  "100baseT/Full",
  "1000baseT/Half",
  "1000baseT/Full",
  "Autoneg",
  "TP",
  "AUI",
  "MII",
  "FIBRE",
  "BNC",
  "10000baseT/Full",
  "Pause",
  "Asym_Pause",
  "2500baseX/Full",
  "Backplane",
  "1000baseKX/Full",
  "10000baseKX4/Full",
  "10000baseKR/Full",
  "10000baseR_FEC",
  "20000baseMLD2/Full",
  "20000baseKR2/Full",
  "40000baseKR4/Full",
  "40000baseCR4/Full",
  "40000baseSR4/Full",
  "40000baseLR4/Full",
  "56000baseKR4/Full",
  "56000baseCR4/Full",
  "56000baseSR4/Full",
  "56000baseLR4/Full",
  "25000baseCR/Full",
];

/* Ethernet twisted-pair MDI(-X) state and control (ETH_TP_MDI*). */
export const ETH_TP_MDI_INVALID = 0;
export const ETH_TP_MDI = 1;
export const ETH_TP_MDI_X = 2;
export const ETH_TP_MDI_AUTO = 3;

/* Wake-on-LAN options (WAKE_*), as struct ethtool_wolinfo's supported and wolopts carry them. */
export const WAKE_PHY = 1 << 0;
export const WAKE_UCAST = 1 << 1;
export const WAKE_MCAST = 1 << 2;
export const WAKE_BCAST = 1 << 3;
export const WAKE_ARP = 1 << 4;
export const WAKE_MAGIC = 1 << 5;
export const WAKE_MAGICSECURE = 1 << 6;
export const WAKE_FILTER = 1 << 7;

/** struct ethtool_wolinfo (ETHTOOL_GWOL). */
export interface EthtoolWolinfo {
  supported: number;
  wolopts: number;
}

/* Message classes (NETIF_MSG_*): the bits of a driver's message level (ETHTOOL_GMSGLVL). */
export const NETIF_MSG_DRV = 0x0001;
export const NETIF_MSG_PROBE = 0x0002;
export const NETIF_MSG_LINK = 0x0004;
/** Their names, by bit (net/ethtool/common.c netif_msg_class_names). */
export const NETIF_MSG_CLASS_NAMES: readonly string[] = ["drv", "probe", "link", "timer", "ifdown", "ifup", "rx_err", "tx_err", "tx_queued", "intr", "tx_done", "rx_status", "pktdata", "hw", "wol"];

/**
 * What `ethtool DEV` shows (struct ethtool_link_ksettings, the link state, and — while the core
 * has no requests of their own for them — the driver's Wake-on-LAN settings and message level,
 * which ethtool asks for alongside). Absent optional fields are ones the driver does not report:
 * ethtool then prints "Not reported" for link modes and leaves out PHYAD, Transceiver, MDI-X,
 * Wake-on and the message level (a driver without get_wol / get_msglevel, as virtio_net).
 */
export interface EthtoolLinkSettings {
  link: boolean;
  /** Mb/s; -1 (SPEED_UNKNOWN) without link. */
  speed: number;
  duplex: "Full" | "Half" | "Unknown";
  autoneg: boolean;
  /** The port as ethtool names it: "Twisted Pair", "FIBRE", "Other", … */
  port: string;
  /** ETHTOOL_LINK_MODE_*_BIT numbers the device supports, advertises, and its link partner advertised. */
  supported?: readonly number[];
  advertising?: readonly number[];
  lp_advertising?: readonly number[];
  phy_address?: number;
  transceiver?: "internal" | "external";
  /** ETH_TP_MDI_*: the current crossover state and how it is controlled (twisted pair only). */
  eth_tp_mdix?: number;
  eth_tp_mdix_ctrl?: number;
  wol?: EthtoolWolinfo;
  msglevel?: number;
}

export type EthtoolCmd =
  | { cmd: "drvinfo" }
  | { cmd: "link" }
  | { cmd: "stats" }
  | { cmd: "regs" }
  | { cmd: "rings_dump" }
  | { cmd: "ring" }
  | { cmd: "channels" }
  | { cmd: "set_ring"; rx?: number; tx?: number }
  | { cmd: "coalesce" }
  | { cmd: "set_coalesce"; rx_usecs?: number }
  | { cmd: "test" }
  /** ETHTOOL_GFEATURES (ethtool -k). */
  | { cmd: "features" }
  /** ETHTOOL_SFEATURES (ethtool -K): feature name (NETDEV_FEATURE_NAMES) → on/off. */
  | { cmd: "set_features"; changes: Record<string, boolean> };

/** One feature as ethtool -k shows it: [name, active, changeable (not [fixed]), requested]. */
export type EthtoolFeature = [string, boolean, boolean, boolean];

/**
 * ETHTOOL_GREGS: struct ethtool_regs' version first, as ["version", 0, version, ""], then one
 * entry per 32-bit word of the driver's dump, in its order: [what the word holds, the register
 * offset it was read from (-1 for a word that is not a register), value, ""]. ethtool's
 * per-driver dumpers read the words by position, as they read regs->data. An empty list is a
 * driver without a register dump (no get_regs in Linux): ethtool reports -EOPNOTSUPP.
 */
export type EthtoolRegs = [string, number, number, string][];

export type EthtoolReply =
  | { kind: "drvinfo"; info: EthtoolDrvInfo }
  | { kind: "link"; settings: EthtoolLinkSettings }
  | { kind: "stats"; stats: [string, number][] }
  | { kind: "regs"; regs: EthtoolRegs }
  | { kind: "text"; text: string }
  | { kind: "ring"; ring: EthtoolRingParam }
  | { kind: "channels"; channels: EthtoolChannels }
  | { kind: "coalesce"; coalesce: EthtoolCoalesce }
  | { kind: "test"; results: EthtoolTestResult[] }
  | { kind: "features"; features: EthtoolFeature[] }
  | { kind: "ok" };
