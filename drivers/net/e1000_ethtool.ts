/**
 * ethtool support for the e1000 (≈ Linux's e1000_ethtool.c): driver info, link settings with
 * Wake-on-LAN and message level, the statistics of `ethtool -S`, the register dump ethtool's
 * e1000 dumper decodes (`ethtool -d`), ring sizes (`-g`/`-G`), interrupt coalescing (`-c`/`-C`),
 * the offline self-test (`-t`, in e1000_diag.ts) and a ring inspector.
 */
import { EINVAL } from "../../include/linux/errno.ts";
import { IFF_UP, type EthtoolOps, type NetDevice } from "../../include/net/netdevice.ts";
import {
  ETH_TP_MDI,
  ETH_TP_MDI_AUTO,
  ETH_TP_MDI_INVALID,
  ETH_TP_MDI_X,
  ETHTOOL_LINK_MODE_1000baseT_Full_BIT,
  ETHTOOL_LINK_MODE_1000baseT_Half_BIT,
  ETHTOOL_LINK_MODE_100baseT_Full_BIT,
  ETHTOOL_LINK_MODE_100baseT_Half_BIT,
  ETHTOOL_LINK_MODE_10baseT_Full_BIT,
  ETHTOOL_LINK_MODE_10baseT_Half_BIT,
  ETHTOOL_LINK_MODE_Autoneg_BIT,
  ETHTOOL_LINK_MODE_TP_BIT,
  NETIF_MSG_DRV,
  NETIF_MSG_LINK,
  NETIF_MSG_PROBE,
  WAKE_BCAST,
  WAKE_MAGIC,
  WAKE_MCAST,
  WAKE_UCAST,
  type EthtoolLinkSettings,
  type EthtoolRegs,
  type EthtoolWolinfo,
} from "../../include/uapi/ethtool.ts";
import { DMA_FROM_DEVICE, DMA_TO_DEVICE } from "../../include/linux/dma-direction.ts";
import { netif_carrier_ok } from "./netdev.ts";
import { E1000Ring, e1000_removed, er32, type E1000Adapter } from "./e1000_adapter.ts";
import { e1000_down, e1000_driver_name, e1000_driver_version, e1000_up } from "./e1000.ts";
import { e1000_diag_test } from "./e1000_diag.ts";
import { valid_ring_size } from "./e1000_param.ts";
import {
  E1000_CTRL,
  E1000_DESC_SIZE,
  E1000_MANC,
  E1000_MAX_RXD,
  E1000_MAX_TXD,
  E1000_MIN_RXD,
  E1000_MIN_TXD,
  E1000_RCTL,
  E1000_RDH,
  E1000_RDLEN,
  E1000_RDT,
  E1000_RDTR,
  E1000_RXD_STAT_DD,
  E1000_RXD_STAT_EOP,
  E1000_RXD_STATUS,
  E1000_STATUS,
  E1000_STATUS_LU,
  E1000_TCTL,
  E1000_TDH,
  E1000_TDLEN,
  E1000_TDT,
  E1000_TIDV,
  E1000_TXD_CMD,
  E1000_TXD_STAT_DD,
  E1000_TXD_STATUS,
  MII_CR_AUTO_NEG_EN,
  PHY_CTRL,
} from "./e1000_hw.ts";
import { e1000_read_phy_reg, e1000_rx_filtered, e1000_update_stats } from "./e1000_mac.ts";
import { e1000_itr_to_usecs, e1000_set_itr_usecs } from "./e1000_itr.ts";
import { e1000_alloc_rx_buffers, e1000_configure_rx, e1000_free_rx_resources, e1000_setup_rx_resources } from "./e1000_rx.ts";
import { e1000_configure_tx, e1000_free_tx_resources, e1000_setup_tx_resources } from "./e1000_tx.ts";

const priv = (dev: NetDevice): E1000Adapter => dev.priv as E1000Adapter;

/** e1000_get_ethtool_stats(): fold the hardware counters in first, as Linux does, so they are current. */
function get_ethtool_stats(dev: NetDevice): [string, number][] {
  e1000_update_stats(priv(dev));
  return stats_list(dev);
}

function stats_list(dev: NetDevice): [string, number][] {
  const a = priv(dev);
  const n = dev.stats;
  const h = a.hw_stats;
  return [
    ["rx_packets", n.rx_packets],
    ["tx_packets", n.tx_packets],
    ["rx_bytes", n.rx_bytes],
    ["tx_bytes", n.tx_bytes],
    ["rx_broadcast", h.bprc],
    ["tx_broadcast", h.bptc],
    ["rx_multicast", h.mprc],
    ["tx_multicast", h.mptc],
    ["rx_errors", n.rx_errors],
    ["tx_errors", n.tx_errors],
    ["tx_dropped", n.tx_dropped],
    ["multicast", n.multicast],
    ["collisions", n.collisions],
    ["rx_length_errors", n.rx_length_errors],
    ["rx_over_errors", n.rx_over_errors],
    ["rx_crc_errors", n.rx_crc_errors],
    ["rx_frame_errors", n.rx_frame_errors],
    ["rx_no_buffer_count", h.rnbc],
    ["rx_missed_errors", n.rx_missed_errors],
    ["tx_aborted_errors", n.tx_aborted_errors],
    ["tx_carrier_errors", n.tx_carrier_errors],
    ["tx_fifo_errors", n.tx_fifo_errors],
    ["tx_heartbeat_errors", n.tx_heartbeat_errors],
    ["tx_window_errors", h.latecol],
    ["tx_abort_late_coll", h.latecol],
    ["tx_deferred_ok", h.dc],
    ["tx_single_coll_ok", h.scc],
    ["tx_multi_coll_ok", h.mcc],
    ["tx_timeout_count", a.tx_timeout_count],
    ["tx_restart_queue", a.restart_queue],
    ["rx_long_length_errors", h.roc],
    ["rx_short_length_errors", h.ruc],
    ["rx_align_errors", h.algnerrc],
    ["tx_tcp_seg_good", h.tsctc],
    ["tx_tcp_seg_failed", h.tsctfc],
    ["rx_flow_control_xon", h.xonrxc],
    ["rx_flow_control_xoff", h.xoffrxc],
    ["tx_flow_control_xon", h.xontxc],
    ["tx_flow_control_xoff", h.xofftxc],
    ["rx_long_byte_count", h.gorc],
    ["rx_csum_offload_good", a.hw_csum_good],
    ["rx_csum_offload_errors", a.hw_csum_err],
    ["alloc_rx_buff_failed", a.alloc_rx_buff_failed],
    ["tx_smbus", 0], // no manageability (SMBus) traffic on the model
    ["rx_smbus", 0],
    ["dropped_smbus", 0],
    // ringzero's own, each a reason a frame went nowhere (tx_dma_failed is e1000e's name):
    ["tx_dma_failed", a.tx_dma_failed],
    ["rx_multi_desc_dropped", a.rx_multi_desc_dropped],
    ["rx_filtered", e1000_rx_filtered(a)], // refused by the address/VLAN filter: TPR - GPRC - errors
    ["rx_nohandler", n.rx_nohandler], // no protocol for the EtherType
    ["rx_reset_dropped", a.rx_reset_dropped], // received but still in the ring at a reset/down
    ["tx_reset_dropped", a.tx_reset_dropped], // never sent: freed from the ring at a reset/down
    ["pci_bus_errors", a.pci_bus_errors],
    ["tx_csum_offload", a.tx_csum_offload], // frames sent with the hardware filling the TCP/UDP checksum
    ["tx_csum_offload_ctxt", a.tx_csum_ctxt], // checksum context descriptors written (only on a change)
    ["tx_tso", a.tx_tso], // TSO frames handed to the hardware
    ["tx_tso_ctxt", a.tx_tso_ctxt],
    ["reset_count", a.reset_count],
    ["hw_rx_total_packets", h.tpr],
    ["hw_rx_packets", h.gprc],
    ["hw_tx_packets", h.gptc],
    ["interrupts", a.irq_count],
    ["interrupts_not_ours", a.irq_none],
    ["napi_polls", a.napi?.polls ?? 0],
  ];
}

/* PHY registers (Linux's e1000_hw.h: IEEE 802.3 clause 22 and the M88E1000's own). */
const PHY_AUTONEG_ADV = 0x04;
const PHY_1000T_CTRL = 0x09;
const PHY_1000T_STATUS = 0x0a;
const M88E1000_PHY_SPEC_CTRL = 0x10;
const M88E1000_PHY_SPEC_STATUS = 0x11;
const M88E1000_RX_ERR_CNTR = 0x15;
const NWAY_AR_10T_HD_CAPS = 0x0020;
const NWAY_AR_10T_FD_CAPS = 0x0040;
const NWAY_AR_100TX_HD_CAPS = 0x0080;
const NWAY_AR_100TX_FD_CAPS = 0x0100;
const CR_1000T_HD_CAPS = 0x0100;
const CR_1000T_FD_CAPS = 0x0200;
const M88E1000_PSCR_AUTO_X_MODE = 0x0060;
const M88E1000_PSCR_MDIX_MANUAL_MODE = 0x0020;
const M88E1000_PSSR_MDIX = 0x0040;
const SR_1000T_IDLE_ERROR_CNT = 0x00ff;
/** struct e1000_hw's phy_type for the M88 PHYs of the 8254x (e1000_phy_m88 = 0). */
const E1000_PHY_M88 = 0;
/** E1000_REGS_LEN: the dump is 32 words. */
const E1000_REGS_LEN = 32;
/** Linux's hw->phy_addr: e1000 talks to its PHY at MDIO address 1 but never stores it, so reports 0. */
const E1000_REPORTED_PHY_ADDR = 0;
/** netif_msg_init(debug = -1, DEFAULT_MSG_ENABLE): the driver takes no debug= parameter, so this. */
const DEFAULT_MSG_ENABLE = NETIF_MSG_DRV | NETIF_MSG_PROBE | NETIF_MSG_LINK;

/** A PHY register, 0 when the MDIO access fails (Linux's e1000_read_phy_reg leaves phy_data 0). */
function phy(a: E1000Adapter, reg: number): number {
  const v = e1000_read_phy_reg(a, reg);
  return v < 0 ? 0 : v;
}

/**
 * e1000_get_regs(): struct ethtool_regs' version ((1 << 24) | revision << 16 | device id) and
 * the 32 words Linux's driver dumps — MAC registers, then what it reads from the M88 PHY —
 * which ethtool's e1000 dumper decodes by position.
 */
function e1000_get_regs(dev: NetDevice): EthtoolRegs {
  const a = priv(dev);
  const r = (off: number): number => er32(a, off);
  const pssr = phy(a, M88E1000_PHY_SPEC_STATUS);
  const pscr = phy(a, M88E1000_PHY_SPEC_CTRL);
  const stat1000 = phy(a, PHY_1000T_STATUS);
  const words: [string, number, number][] = [
    ["CTRL", E1000_CTRL, r(E1000_CTRL)],
    ["STATUS", E1000_STATUS, r(E1000_STATUS)],
    ["RCTL", E1000_RCTL, r(E1000_RCTL)],
    ["RDLEN", E1000_RDLEN, r(E1000_RDLEN)],
    ["RDH", E1000_RDH, r(E1000_RDH)],
    ["RDT", E1000_RDT, r(E1000_RDT)],
    ["RDTR", E1000_RDTR, r(E1000_RDTR)],
    ["TCTL", E1000_TCTL, r(E1000_TCTL)],
    ["TDLEN", E1000_TDLEN, r(E1000_TDLEN)],
    ["TDH", E1000_TDH, r(E1000_TDH)],
    ["TDT", E1000_TDT, r(E1000_TDT)],
    ["TIDV", E1000_TIDV, r(E1000_TIDV)],
    ["phy_type", -1, E1000_PHY_M88],
    ["M88 PHY specific status (cable length)", -1, pssr],
    ["dummy", -1, 0],
    ["dummy", -1, 0],
    ["dummy", -1, 0],
    ["M88 PHY specific control (extended 10BT distance)", -1, pscr],
    ["cable polarity", -1, pssr],
    ["dummy", -1, 0],
    ["polarity correction", -1, pscr],
    // Linux keeps running totals of these (phy_stats, summed by e1000_update_stats); the
    // emulated PHY counts no errors, so the registers' present values are what there is.
    ["phy idle errors", -1, stat1000 & SR_1000T_IDLE_ERROR_CNT],
    ["phy receive errors", -1, phy(a, M88E1000_RX_ERR_CNTR)],
    ["mdix mode", -1, pssr],
    ["phy local receiver status", -1, stat1000],
    ["phy remote receiver status", -1, stat1000],
    ["MANC", E1000_MANC, r(E1000_MANC)],
  ];
  while (words.length < E1000_REGS_LEN) words.push(["reserved", -1, 0]);
  const version = ((1 << 24) | (a.pdev.revision << 16) | a.pdev.device) >>> 0;
  return [["version", 0, version, ""], ...words.map(([n, off, v]): [string, number, number, string] => [n, off, v >>> 0, ""])];
}

/** The link modes the PHY advertises (Linux keeps them as hw->autoneg_advertised), as link-mode bits. */
function advertised_modes(a: E1000Adapter): number[] {
  const adv = phy(a, PHY_AUTONEG_ADV);
  const ctrl1000 = phy(a, PHY_1000T_CTRL);
  const out: number[] = [];
  if (adv & NWAY_AR_10T_HD_CAPS) out.push(ETHTOOL_LINK_MODE_10baseT_Half_BIT);
  if (adv & NWAY_AR_10T_FD_CAPS) out.push(ETHTOOL_LINK_MODE_10baseT_Full_BIT);
  if (adv & NWAY_AR_100TX_HD_CAPS) out.push(ETHTOOL_LINK_MODE_100baseT_Half_BIT);
  if (adv & NWAY_AR_100TX_FD_CAPS) out.push(ETHTOOL_LINK_MODE_100baseT_Full_BIT);
  if (ctrl1000 & CR_1000T_HD_CAPS) out.push(ETHTOOL_LINK_MODE_1000baseT_Half_BIT);
  if (ctrl1000 & CR_1000T_FD_CAPS) out.push(ETHTOOL_LINK_MODE_1000baseT_Full_BIT);
  return out;
}

/**
 * e1000_get_link_ksettings() for the copper 8254x: everything but 1000/half supported, the PHY's
 * advertisement with TP and Autoneg, speed and duplex from STATUS while the link is up, autoneg
 * from the PHY's BMCR, MDI/MDI-X from the M88's status (only with carrier) and its control mode
 * from the M88's control register. Pause is neither claimed nor advertised, as Linux's e1000 reports.
 */
function e1000_get_link_ksettings(dev: NetDevice): EthtoolLinkSettings {
  const a = priv(dev);
  const status = er32(a, E1000_STATUS);
  const link = !e1000_removed(a) && (status & E1000_STATUS_LU) !== 0;
  const autoneg = (phy(a, PHY_CTRL) & MII_CR_AUTO_NEG_EN) !== 0;
  const supported = [
    ETHTOOL_LINK_MODE_10baseT_Half_BIT,
    ETHTOOL_LINK_MODE_10baseT_Full_BIT,
    ETHTOOL_LINK_MODE_100baseT_Half_BIT,
    ETHTOOL_LINK_MODE_100baseT_Full_BIT,
    ETHTOOL_LINK_MODE_1000baseT_Full_BIT,
    ETHTOOL_LINK_MODE_Autoneg_BIT,
    ETHTOOL_LINK_MODE_TP_BIT,
  ];
  const advertising = [...(autoneg ? advertised_modes(a) : []), ...(autoneg ? [ETHTOOL_LINK_MODE_Autoneg_BIT] : []), ETHTOOL_LINK_MODE_TP_BIT].sort((x, y) => x - y);
  const pscr = phy(a, M88E1000_PHY_SPEC_CTRL) & M88E1000_PSCR_AUTO_X_MODE;
  return {
    link,
    speed: link ? ([10, 100, 1000, 1000][(status >>> 6) & 3] ?? 0) : -1,
    duplex: link ? (status & 1 ? "Full" : "Half") : "Unknown",
    autoneg,
    port: "Twisted Pair",
    supported,
    advertising,
    phy_address: E1000_REPORTED_PHY_ADDR,
    transceiver: "internal",
    eth_tp_mdix: netif_carrier_ok(dev) ? (phy(a, M88E1000_PHY_SPEC_STATUS) & M88E1000_PSSR_MDIX ? ETH_TP_MDI_X : ETH_TP_MDI) : ETH_TP_MDI_INVALID,
    // hw->mdix: 0 (auto, all modes) unless forced; the M88's control register holds the choice.
    eth_tp_mdix_ctrl: pscr === M88E1000_PSCR_AUTO_X_MODE || pscr === 0x0040 ? ETH_TP_MDI_AUTO : pscr === M88E1000_PSCR_MDIX_MANUAL_MODE ? ETH_TP_MDI_X : ETH_TP_MDI,
  };
}

/**
 * e1000_get_wol(): unicast, multicast, broadcast and magic-packet wake-ups, except on the models
 * Linux's e1000_wol_exclusion() rules out (the 82545EM copper and the other early ones); none is
 * enabled (adapter->wol from the EEPROM's APM setting is 0 on these models as QEMU gives them).
 */
function e1000_get_wol(dev: NetDevice): EthtoolWolinfo {
  const excluded = [0x1000, 0x1001, 0x1004, 0x1009, 0x101d, 0x1011, 0x100f, 0x1099, 0x108a];
  return { supported: excluded.includes(priv(dev).pdev.device) ? 0 : WAKE_UCAST | WAKE_MCAST | WAKE_BCAST | WAKE_MAGIC, wolopts: 0 };
}

/** e1000_get_msglevel(): adapter->msg_enable. */
function e1000_get_msglevel(_dev: NetDevice): number {
  return DEFAULT_MSG_ENABLE;
}

/** The ring inspector: indices, hardware head/tail and each slot's DD/EOP state. */
export function e1000_dump_rings(dev: NetDevice): string {
  const a = priv(dev);
  const dump = (name: string, ring: E1000Ring, head: number, tail: number, status_off: number, done: number, eop_of: (i: number) => boolean): string => {
    let out = `${name} ring: ${ring.count} descriptors at 0x${ring.desc?.dma_handle.toString(16) ?? "-"}\n`;
    out += `  head (hw) ${head}  tail (hw) ${tail}  next_to_use ${ring.next_to_use}  next_to_clean ${ring.next_to_clean}\n`;
    out += "  slots: D = DD set, E = DD+EOP, b = buffer held, . = empty\n";
    const v = ring.desc?.view;
    for (let row = 0; row < ring.count; row += 64) {
      let line = `  ${String(row).padStart(4)}: `;
      for (let i = row; i < Math.min(row + 64, ring.count); i++) {
        const st = v === undefined ? 0 : v.getUint8(i * E1000_DESC_SIZE + status_off);
        line += st & done ? (eop_of(i) ? "E" : "D") : ring.buffer_info[i] ? "b" : ".";
      }
      out += line + "\n";
    }
    return out;
  };
  const tv = a.tx_ring.desc?.view;
  const rv = a.rx_ring.desc?.view;
  return (
    dump("TX", a.tx_ring, er32(a, E1000_TDH), er32(a, E1000_TDT), E1000_TXD_STATUS, E1000_TXD_STAT_DD, (i) => ((tv?.getUint8(i * 16 + E1000_TXD_CMD) ?? 0) & 1) !== 0) +
    dump("RX", a.rx_ring, er32(a, E1000_RDH), er32(a, E1000_RDT), E1000_RXD_STATUS, E1000_RXD_STAT_DD, (i) => ((rv?.getUint8(i * 16 + E1000_RXD_STATUS) ?? 0) & E1000_RXD_STAT_EOP) !== 0)
  );
}

/** Resize both rings (ethtool -G): down, free, allocate at the new size, up again. */
async function set_ringparam(dev: NetDevice, rx: number, tx: number): Promise<number> {
  const a = priv(dev);
  if (!valid_ring_size(rx, E1000_MIN_RXD, E1000_MAX_RXD) || !valid_ring_size(tx, E1000_MIN_TXD, E1000_MAX_TXD)) return -EINVAL;
  const running = (dev.flags & IFF_UP) !== 0;
  if (running) await e1000_down(a);
  // New rings first; the old ones are freed only once the new ones exist, and put back if they
  // cannot be made (e1000_set_ringparam's err_setup path), so the interface keeps working.
  const old_rx = a.rx_ring;
  const old_tx = a.tx_ring;
  a.rx_ring = new E1000Ring(rx, old_rx.head_reg, old_rx.tail_reg, DMA_FROM_DEVICE);
  a.tx_ring = new E1000Ring(tx, old_tx.head_reg, old_tx.tail_reg, DMA_TO_DEVICE);
  let err = e1000_setup_tx_resources(a);
  if (err === 0) err = e1000_setup_rx_resources(a);
  const new_rx = a.rx_ring;
  const new_tx = a.tx_ring;
  if (err !== 0) {
    e1000_free_rx_resources(a);
    e1000_free_tx_resources(a);
    a.rx_ring = old_rx;
    a.tx_ring = old_tx;
  } else {
    a.rx_ring = old_rx;
    a.tx_ring = old_tx;
    e1000_free_rx_resources(a);
    e1000_free_tx_resources(a);
    a.rx_ring = new_rx;
    a.tx_ring = new_tx;
  }
  if (running) e1000_up(a);
  else {
    e1000_configure_tx(a);
    e1000_configure_rx(a);
    e1000_alloc_rx_buffers(a, a.rx_ring.count);
  }
  return err;
}

export const e1000_ethtool_ops: EthtoolOps = {
  get_drvinfo: (dev) => ({ driver: e1000_driver_name, version: e1000_driver_version, bus_info: dev.parent, n_stats: stats_list(dev).length, regdump_len: E1000_REGS_LEN * 4, eedump_len: 128 }),
  get_link: (dev) => {
    const status = er32(priv(dev), E1000_STATUS);
    return !e1000_removed(priv(dev)) && (status & E1000_STATUS_LU) !== 0;
  },
  // ETHTOOL_GWOL and ETHTOOL_GMSGLVL answers travel with the link settings until the core has
  // requests of their own for them (include/uapi/ethtool.ts).
  get_link_ksettings: (dev) => ({ ...e1000_get_link_ksettings(dev), wol: e1000_get_wol(dev), msglevel: e1000_get_msglevel(dev) }),
  get_ethtool_stats,
  get_regs: e1000_get_regs,
  // e1000_get_ringparam: the 82544 and later take 4096 descriptors a ring; no mini or jumbo rings.
  get_ringparam: (dev) => ({ rx_max_pending: E1000_MAX_RXD, tx_max_pending: E1000_MAX_TXD, rx_pending: priv(dev).rx_ring.count, tx_pending: priv(dev).tx_ring.count }),
  set_ringparam,
  // e1000_get_coalesce: rx-usecs is the InterruptThrottleRate mode (0, 1, 3, 4) or the fixed
  // interval; it is the only parameter the driver supports (supported_coalesce_params =
  // ETHTOOL_COALESCE_RX_USECS), so the only one reported.
  get_coalesce: (dev) => ({ rx_usecs: e1000_itr_to_usecs(priv(dev).itr_setting) }),
  set_coalesce: (dev, c) => {
    if (c.rx_usecs === undefined) return 0;
    return e1000_set_itr_usecs(priv(dev), c.rx_usecs) ? 0 : -EINVAL;
  },
  self_test: e1000_diag_test,
  get_eeprom: (dev) => priv(dev).eeprom,
  dump_rings: e1000_dump_rings,
};
