/** ethtool requests and replies (include/uapi/linux/ethtool.h, reduced to what ringzero answers). */
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

export interface EthtoolRingParam {
  rx_max_pending: number;
  tx_max_pending: number;
  rx_pending: number;
  tx_pending: number;
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

export interface EthtoolCoalesce {
  /** Minimum gap between interrupts, in microseconds (0 = no throttling). */
  rx_usecs: number;
  tx_usecs: number;
}

export interface EthtoolTestResult {
  name: string;
  /** 0 = pass. */
  result: number;
  detail: string;
}

export interface EthtoolLinkSettings {
  link: boolean;
  speed: number;
  duplex: "Full" | "Half" | "Unknown";
  autoneg: boolean;
  port: string;
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

export type EthtoolReply =
  | { kind: "drvinfo"; info: EthtoolDrvInfo }
  | { kind: "link"; settings: EthtoolLinkSettings }
  | { kind: "stats"; stats: [string, number][] }
  | { kind: "regs"; regs: [string, number, number, string][] }
  | { kind: "text"; text: string }
  | { kind: "ring"; ring: EthtoolRingParam }
  | { kind: "channels"; channels: EthtoolChannels }
  | { kind: "coalesce"; coalesce: EthtoolCoalesce }
  | { kind: "test"; results: EthtoolTestResult[] }
  | { kind: "features"; features: EthtoolFeature[] }
  | { kind: "ok" };
