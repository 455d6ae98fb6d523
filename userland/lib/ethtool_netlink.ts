import {
  ETH_TP_MDI,
  ETH_TP_MDI_AUTO,
  ETH_TP_MDI_X,
  ETHTOOL_LINK_MODE_Asym_Pause_BIT,
  ETHTOOL_LINK_MODE_Autoneg_BIT,
  ETHTOOL_LINK_MODE_Pause_BIT,
  LINK_MODE_NAMES,
  NETIF_MSG_CLASS_NAMES,
  WAKE_ARP,
  WAKE_BCAST,
  WAKE_FILTER,
  WAKE_MAGIC,
  WAKE_MAGICSECURE,
  WAKE_MCAST,
  WAKE_PHY,
  WAKE_UCAST,
  type EthtoolCoalesce,
  type EthtoolLinkSettings,
  type EthtoolRingParam,
} from "../../include/uapi/ethtool.ts";

/**
 * What ethtool 6.1 prints for the requests it makes over netlink on a 6.1 kernel (netlink/
 * settings.c for `ethtool DEV`, rings.c for -g, coalesce.c for -c), from ringzero's replies.
 */

/** How ethtool sorts link-mode bits (settings.c link_modes[]): speed/duplex modes, ports, pause, autoneg, FEC. */
type LinkModeClass = "real" | "port" | "pause" | "autoneg" | "fec";
const SPECIAL: Readonly<Record<number, LinkModeClass>> = { 6: "autoneg", 7: "port", 8: "port", 9: "port", 10: "port", 11: "port", 13: "pause", 14: "pause", 16: "port", 49: "fec", 50: "fec", 51: "fec", 74: "fec" };
const HALF_DUPLEX = new Set([0, 2, 4]);

function mode_class(bit: number): LinkModeClass {
  return SPECIAL[bit] ?? "real";
}

function mode_name(bit: number): string {
  return LINK_MODE_NAMES[bit] ?? `BIT${bit}`;
}

/**
 * dump_link_modes(): the bits of one class after `before`, separated by `between` — or, when that
 * is null, one per line under the first, except that a full-duplex mode right after its half-duplex
 * one shares its line (ethtool's "ugly hack to preserve old output format").
 */
function dump_link_modes(bits: readonly number[], cls: LinkModeClass, before: string, between: string | null, after: string, if_none: string | null): string {
  let out = `\t${before}`;
  let first = true;
  let prev = -2;
  for (const bit of [...bits].sort((a, b) => a - b)) {
    if (mode_class(bit) !== cls) continue;
    if (first) first = false;
    else if (cls === "real" && bit === prev + 1 && HALF_DUPLEX.has(prev)) out += " ";
    else if (between !== null) out += `\t${between}`;
    else out += `\n\t${" ".repeat(before.length)}`;
    out += mode_name(bit);
    prev = bit;
  }
  if (first && if_none !== null) out += if_none;
  return out + after;
}

function dump_pause(bits: readonly number[], label: string): string {
  const pause = bits.includes(ETHTOOL_LINK_MODE_Pause_BIT);
  const asym = bits.includes(ETHTOOL_LINK_MODE_Asym_Pause_BIT);
  return `\t${label}${pause ? (asym ? "Symmetric Receive-only" : "Symmetric") : asym ? "Transmit-only" : "No"}\n`;
}

/** unparse_wolopts(): one letter per option, "d" for none. */
function wolopts(v: number): string {
  if (v === 0) return "d";
  const letters: [number, string][] = [
    [WAKE_PHY, "p"],
    [WAKE_UCAST, "u"],
    [WAKE_MCAST, "m"],
    [WAKE_BCAST, "b"],
    [WAKE_ARP, "a"],
    [WAKE_MAGIC, "g"],
    [WAKE_MAGICSECURE, "s"],
    [WAKE_FILTER, "f"],
  ];
  return letters.map(([bit, c]) => (v & bit ? c : "")).join("");
}

/** dump_mdix() */
function mdix_text(mdix: number, ctrl: number): string {
  if (ctrl === ETH_TP_MDI) return "off (forced)";
  if (ctrl === ETH_TP_MDI_X) return "on (forced)";
  const state = mdix === ETH_TP_MDI ? "off" : mdix === ETH_TP_MDI_X ? "on" : "Unknown";
  return ctrl === ETH_TP_MDI_AUTO ? `${state} (auto)` : state;
}

/**
 * nl_gset(): LINKMODES (our modes, the partner's if it advertised any, speed, duplex,
 * autonegotiation), LINKINFO (port, PHY address, transceiver, MDI-X on twisted pair), WOL,
 * DEBUG (message level) and LINKSTATE, each printed only when the driver reported it.
 */
export function ethtool_settings_text(dev: string, s: EthtoolLinkSettings): string {
  let out = `Settings for ${dev}:\n`;
  const supported = s.supported ?? [];
  const advertising = s.advertising ?? [];
  out += dump_link_modes(supported, "port", "Supported ports: [ ", " ", " ]\n", null);
  out += dump_link_modes(supported, "real", "Supported link modes:   ", null, "\n", "Not reported");
  out += dump_pause(supported, "Supported pause frame use: ");
  out += `\tSupports auto-negotiation: ${supported.includes(ETHTOOL_LINK_MODE_Autoneg_BIT) ? "Yes" : "No"}\n`;
  out += dump_link_modes(supported, "fec", "Supported FEC modes: ", " ", "\n", "Not reported");
  out += dump_link_modes(advertising, "real", "Advertised link modes:  ", null, "\n", "Not reported");
  out += dump_pause(advertising, "Advertised pause frame use: ");
  out += `\tAdvertised auto-negotiation: ${advertising.includes(ETHTOOL_LINK_MODE_Autoneg_BIT) ? "Yes" : "No"}\n`;
  out += dump_link_modes(advertising, "fec", "Advertised FEC modes: ", " ", "\n", "Not reported");
  const lp = s.lp_advertising ?? [];
  if (lp.length > 0) {
    out += dump_link_modes(lp, "real", "Link partner advertised link modes:  ", null, "\n", "Not reported");
    out += dump_pause(lp, "Link partner advertised pause frame use: ");
    out += `\tLink partner advertised auto-negotiation: ${lp.includes(ETHTOOL_LINK_MODE_Autoneg_BIT) ? "Yes" : "No"}\n`;
    out += dump_link_modes(lp, "fec", "Link partner advertised FEC modes: ", " ", "\n", "Not reported");
  }
  out += `\tSpeed: ${s.speed <= 0 || s.speed === 0xffff ? "Unknown!" : `${s.speed}Mb/s`}\n`;
  out += `\tDuplex: ${s.duplex === "Unknown" ? "Unknown! (255)" : s.duplex}\n`;
  out += `\tAuto-negotiation: ${s.autoneg ? "on" : "off"}\n`;
  out += `\tPort: ${s.port}\n`;
  if (s.phy_address !== undefined) out += `\tPHYAD: ${s.phy_address}\n`;
  if (s.transceiver !== undefined) out += `\tTransceiver: ${s.transceiver}\n`;
  if (s.port === "Twisted Pair" && s.eth_tp_mdix !== undefined && s.eth_tp_mdix_ctrl !== undefined) out += `\tMDI-X: ${mdix_text(s.eth_tp_mdix, s.eth_tp_mdix_ctrl)}\n`;
  if (s.wol !== undefined) out += `\tSupports Wake-on: ${wolopts(s.wol.supported)}\n\tWake-on: ${wolopts(s.wol.wolopts)}\n`;
  if (s.msglevel !== undefined) {
    const v = s.msglevel >>> 0;
    const names = NETIF_MSG_CLASS_NAMES.filter((_, i) => v & (1 << i));
    out += `        Current message level: 0x${v.toString(16).padStart(8, "0")} (${v})\n${" ".repeat(30)}${names.map((n) => ` ${n}`).join("")}\n`;
  }
  out += `\tLink detected: ${s.link ? "yes" : "no"}\n`;
  return out;
}

/** show_u32(): the value, or "n/a" when the kernel left the attribute out. */
function u32(label: string, v: number | undefined): string {
  return `${label}${v === undefined ? "n/a" : v >>> 0}\n`;
}

function bool(v: boolean | undefined): string {
  return v === undefined ? "n/a" : v ? "on" : "off";
}

/**
 * nl_gring() (rings.c): a ring kind with no maximum is left out by the kernel (rings_fill_reply),
 * so both its lines read n/a; TX Push is always reported.
 */
export function ethtool_rings_text(dev: string, r: EthtoolRingParam): string {
  const pair = (max: number | undefined, cur: number | undefined): [number | undefined, number | undefined] => (max ? [max, cur] : [undefined, undefined]);
  const [rx_max, rx] = pair(r.rx_max_pending, r.rx_pending);
  const [mini_max, mini] = pair(r.rx_mini_max_pending, r.rx_mini_pending);
  const [jumbo_max, jumbo] = pair(r.rx_jumbo_max_pending, r.rx_jumbo_pending);
  const [tx_max, tx] = pair(r.tx_max_pending, r.tx_pending);
  const split = r.tcp_data_split ?? 0;
  return (
    `Ring parameters for ${dev}:\nPre-set maximums:\n` +
    u32("RX:\t\t", rx_max) +
    u32("RX Mini:\t", mini_max) +
    u32("RX Jumbo:\t", jumbo_max) +
    u32("TX:\t\t", tx_max) +
    "Current hardware settings:\n" +
    u32("RX:\t\t", rx) +
    u32("RX Mini:\t", mini) +
    u32("RX Jumbo:\t", jumbo) +
    u32("TX:\t\t", tx) +
    u32("RX Buf Len:\t\t", r.rx_buf_len || undefined) +
    u32("CQE Size:\t\t", r.cqe_size || undefined) +
    `TX Push:\t${bool(r.tx_push ?? false)}\n` +
    `TCP data split:\t${split === 0 ? "n/a" : split === 1 ? "off" : split === 2 ? "on" : `unknown(${split})`}\n`
  );
}

/** nl_gcoalesce() (coalesce.c): every parameter, "n/a" for those the driver does not report. */
export function ethtool_coalesce_text(dev: string, c: EthtoolCoalesce): string {
  return (
    `Coalesce parameters for ${dev}:\n` +
    `Adaptive RX: ${bool(c.use_adaptive_rx)}  TX: ${bool(c.use_adaptive_tx)}\n` +
    u32("stats-block-usecs: ", c.stats_block_usecs) +
    u32("sample-interval: ", c.rate_sample_interval) +
    u32("pkt-rate-low: ", c.pkt_rate_low) +
    u32("pkt-rate-high: ", c.pkt_rate_high) +
    "\n" +
    u32("rx-usecs: ", c.rx_usecs) +
    u32("rx-frames: ", c.rx_max_frames) +
    u32("rx-usecs-irq: ", c.rx_usecs_irq) +
    u32("rx-frames-irq: ", c.rx_max_frames_irq) +
    "\n" +
    u32("tx-usecs: ", c.tx_usecs) +
    u32("tx-frames: ", c.tx_max_frames) +
    u32("tx-usecs-irq: ", c.tx_usecs_irq) +
    u32("tx-frames-irq: ", c.tx_max_frames_irq) +
    "\n" +
    u32("rx-usecs-low: ", c.rx_usecs_low) +
    u32("rx-frame-low: ", c.rx_max_frames_low) +
    u32("tx-usecs-low: ", c.tx_usecs_low) +
    u32("tx-frame-low: ", c.tx_max_frames_low) +
    "\n" +
    u32("rx-usecs-high: ", c.rx_usecs_high) +
    u32("rx-frame-high: ", c.rx_max_frames_high) +
    u32("tx-usecs-high: ", c.tx_usecs_high) +
    u32("tx-frame-high: ", c.tx_max_frames_high) +
    "\n" +
    `CQE mode RX: ${bool(c.use_cqe_mode_rx)}  TX: ${bool(c.use_cqe_mode_tx)}\n\n`
  );
}
