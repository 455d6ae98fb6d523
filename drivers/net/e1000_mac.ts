/**
 * Hardware routines (≈ Linux's e1000_hw.c, the OS-independent part): reset, EEPROM, PHY access,
 * MAC address and multicast table set-up, statistics. Process context unless noted.
 */
import { EIO, ENODEV } from "../../include/linux/errno.ts";
import { msleep } from "../../kernel/sched/core.ts";
import { e1000_removed, e1000_write_flush, er32, ew32, type E1000Adapter } from "./e1000_adapter.ts";
import { e1000_write_itr } from "./e1000_itr.ts";
import {
  E1000_ALGNERRC,
  E1000_BPRC,
  E1000_BPTC,
  E1000_TSCTC,
  E1000_TSCTFC,
  E1000_CEXTERR,
  E1000_COLC,
  E1000_CRCERRS,
  E1000_CTRL,
  E1000_CTRL_FRCDPLX,
  E1000_CTRL_FRCSPD,
  E1000_CTRL_RST,
  E1000_CTRL_SLU,
  E1000_DC,
  E1000_ECOL,
  E1000_EEPROM_RW_ADDR_SHIFT,
  E1000_EEPROM_RW_REG_DATA,
  E1000_EEPROM_RW_REG_DONE,
  E1000_EEPROM_RW_REG_START,
  E1000_EERD,
  E1000_FCRUC,
  E1000_GORCH,
  E1000_GORCL,
  E1000_GOTCH,
  E1000_GOTCL,
  E1000_GPRC,
  E1000_GPTC,
  E1000_ICR,
  E1000_IMC,
  E1000_LATECOL,
  E1000_MCC,
  E1000_MDIC,
  E1000_MDIC_ERROR,
  E1000_MDIC_OP_READ,
  E1000_MDIC_OP_WRITE,
  E1000_MDIC_PHY_SHIFT,
  E1000_MDIC_READY,
  E1000_MDIC_REG_SHIFT,
  E1000_MPC,
  E1000_MPRC,
  E1000_MPTC,
  E1000_MTA,
  E1000_PHY_ADDR,
  E1000_RA,
  E1000_RAH_AV,
  E1000_RCTL,
  E1000_RFC,
  E1000_RJC,
  E1000_RLEC,
  E1000_RNBC,
  E1000_ROC,
  E1000_RUC,
  E1000_RXERRC,
  E1000_SCC,
  E1000_SEC,
  E1000_SYMERRS,
  E1000_TCTL,
  E1000_TCTL_PSP,
  E1000_TNCRS,
  E1000_TORH,
  E1000_TORL,
  E1000_TOTH,
  E1000_TOTL,
  E1000_TPR,
  E1000_TPT,
  E1000_XOFFRXC,
  E1000_XOFFTXC,
  E1000_XONRXC,
  E1000_XONTXC,
  EEPROM_SUM,
  EEPROM_WORD_SIZE,
  MII_CR_POWER_DOWN,
  PHY_CTRL,
} from "./e1000_hw.ts";

/** Register polls give up after this many reads (EERD and MDIC complete in microseconds). */
const POLL_LIMIT = 1000;

/**
 * e1000_reset_hw(): mask interrupts, stop receive and transmit, let in-flight DMA finish, issue
 * CTRL.RST and wait (up to 10 ms) for it to clear, then mask and acknowledge again.
 */
export async function e1000_reset_hw(adapter: E1000Adapter): Promise<number> {
  if (e1000_removed(adapter)) return -ENODEV;
  ew32(adapter, E1000_IMC, 0xffffffff);
  ew32(adapter, E1000_RCTL, 0);
  ew32(adapter, E1000_TCTL, E1000_TCTL_PSP);
  e1000_write_flush(adapter);
  await msleep(10); // let pending bus-master transactions drain (SDM 14.9)
  ew32(adapter, E1000_CTRL, er32(adapter, E1000_CTRL) | E1000_CTRL_RST);
  let done = false;
  for (let i = 0; i < 10 && !done; i++) {
    await msleep(1);
    done = (er32(adapter, E1000_CTRL) & E1000_CTRL_RST) === 0;
  }
  if (!done) return -EIO;
  ew32(adapter, E1000_IMC, 0xffffffff);
  er32(adapter, E1000_ICR);
  return 0;
}

/** e1000_read_eeprom() through EERD: the word, or -EIO if the read never completes. Any context. */
export function e1000_read_eeprom(adapter: E1000Adapter, offset: number): number {
  ew32(adapter, E1000_EERD, (offset << E1000_EEPROM_RW_ADDR_SHIFT) | E1000_EEPROM_RW_REG_START);
  for (let i = 0; i < POLL_LIMIT; i++) {
    const v = er32(adapter, E1000_EERD);
    if (v & E1000_EEPROM_RW_REG_DONE) return v >>> E1000_EEPROM_RW_REG_DATA;
  }
  return -EIO;
}

/** Read all 64 words into adapter.eeprom and check that they sum to 0xBABA. 0 or -EIO. */
export function e1000_validate_eeprom_checksum(adapter: E1000Adapter): number {
  let sum = 0;
  for (let i = 0; i < EEPROM_WORD_SIZE; i++) {
    const w = e1000_read_eeprom(adapter, i);
    if (w < 0) return w;
    adapter.eeprom[i] = w;
    sum = (sum + w) & 0xffff;
  }
  return sum === EEPROM_SUM ? 0 : -EIO;
}

/** The station address from EEPROM words 0-2 (after validate_eeprom_checksum). */
export function e1000_read_mac_addr(adapter: E1000Adapter): Uint8Array {
  const mac = new Uint8Array(6);
  for (let i = 0; i < 3; i++) {
    const w = adapter.eeprom[i]!;
    mac[2 * i] = w & 0xff;
    mac[2 * i + 1] = w >>> 8;
  }
  return mac;
}

function mdic(adapter: E1000Adapter, cmd: number): number {
  ew32(adapter, E1000_MDIC, cmd);
  for (let i = 0; i < POLL_LIMIT; i++) {
    const v = er32(adapter, E1000_MDIC);
    if (v & E1000_MDIC_READY) return v & E1000_MDIC_ERROR ? -EIO : v & 0xffff;
  }
  return -EIO;
}

/** e1000_read_phy_reg(): MII register of the internal PHY, or -EIO. Any context. */
export function e1000_read_phy_reg(adapter: E1000Adapter, reg: number): number {
  return mdic(adapter, E1000_MDIC_OP_READ | (E1000_PHY_ADDR << E1000_MDIC_PHY_SHIFT) | (reg << E1000_MDIC_REG_SHIFT));
}

export function e1000_write_phy_reg(adapter: E1000Adapter, reg: number, value: number): number {
  const r = mdic(adapter, E1000_MDIC_OP_WRITE | (E1000_PHY_ADDR << E1000_MDIC_PHY_SHIFT) | (reg << E1000_MDIC_REG_SHIFT) | (value & 0xffff));
  return r < 0 ? r : 0;
}

/** Power the PHY up (link negotiates again) or down (link drops): ifup / ifdown. */
export function e1000_power_phy(adapter: E1000Adapter, up: boolean): number {
  const bmcr = e1000_read_phy_reg(adapter, PHY_CTRL);
  if (bmcr < 0) return bmcr;
  const want = up ? bmcr & ~MII_CR_POWER_DOWN : bmcr | MII_CR_POWER_DOWN;
  return want === bmcr ? 0 : e1000_write_phy_reg(adapter, PHY_CTRL, want);
}

/** Program RA[0] with `mac` and mark it valid. */
export function e1000_rar_set(adapter: E1000Adapter, mac: Uint8Array, index = 0): void {
  const lo = (mac[0]! | (mac[1]! << 8) | (mac[2]! << 16) | (mac[3]! << 24)) >>> 0;
  const hi = (mac[4]! | (mac[5]! << 8) | E1000_RAH_AV) >>> 0;
  ew32(adapter, E1000_RA + 8 * index, lo);
  ew32(adapter, E1000_RA + 8 * index + 4, hi);
  e1000_write_flush(adapter);
}

/**
 * e1000_init_hw(): set link up (internal copper PHY: SLU, no forced speed/duplex), clear the 128
 * multicast table entries, program the station address and the interrupt throttle.
 */
export function e1000_init_hw(adapter: E1000Adapter): void {
  const ctrl = er32(adapter, E1000_CTRL);
  ew32(adapter, E1000_CTRL, (ctrl | E1000_CTRL_SLU) & ~(E1000_CTRL_FRCSPD | E1000_CTRL_FRCDPLX));
  for (let i = 0; i < 128; i++) ew32(adapter, E1000_MTA + 4 * i, 0);
  e1000_rar_set(adapter, adapter.netdev.dev_addr);
  e1000_write_itr(adapter);
}

/**
 * e1000_update_stats(): fold the clear-on-read counters into adapter.hw_stats and add what they
 * counted since the last call to the netdev error counters (Linux's e1000_update_stats mapping).
 * The netdev counters are added to, never assigned: the core and the driver count into the same
 * fields (tx_carrier_errors from the carrier-off drop, rx_length_errors from dropped multi-
 * descriptor frames, rx_errors from descriptor errors). Process context (watchdog, down). A device
 * that is gone is not read.
 */
export function e1000_update_stats(adapter: E1000Adapter): void {
  if (e1000_removed(adapter)) return;
  const s = adapter.hw_stats;
  const r = (reg: number): number => er32(adapter, reg);
  const r64 = (lo: number, hi: number): number => {
    const l = r(lo);
    return r(hi) * 0x100000000 + l; // low first: reading the high half clears the pair
  };
  const crcerrs = r(E1000_CRCERRS);
  const algnerrc = r(E1000_ALGNERRC);
  const rxerrc = r(E1000_RXERRC);
  const mpc = r(E1000_MPC);
  const ecol = r(E1000_ECOL);
  const latecol = r(E1000_LATECOL);
  const colc = r(E1000_COLC);
  const tncrs = r(E1000_TNCRS);
  const cexterr = r(E1000_CEXTERR);
  const mprc = r(E1000_MPRC);
  const ruc = r(E1000_RUC);
  const roc = r(E1000_ROC);
  if (e1000_removed(adapter)) return; // every read was ~0: the device went away under us
  s.crcerrs += crcerrs;
  s.algnerrc += algnerrc;
  s.symerrs += r(E1000_SYMERRS);
  s.rxerrc += rxerrc;
  s.mpc += mpc;
  s.scc += r(E1000_SCC);
  s.ecol += ecol;
  s.mcc += r(E1000_MCC);
  s.latecol += latecol;
  s.colc += colc;
  s.dc += r(E1000_DC);
  s.tncrs += tncrs;
  s.sec += r(E1000_SEC);
  s.cexterr += cexterr;
  s.rlec += r(E1000_RLEC);
  s.xonrxc += r(E1000_XONRXC);
  s.xontxc += r(E1000_XONTXC);
  s.xoffrxc += r(E1000_XOFFRXC);
  s.xofftxc += r(E1000_XOFFTXC);
  s.fcruc += r(E1000_FCRUC);
  s.gprc += r(E1000_GPRC);
  s.bprc += r(E1000_BPRC);
  s.mprc += mprc;
  s.gptc += r(E1000_GPTC);
  adapter.gorcl = r64(E1000_GORCL, E1000_GORCH);
  adapter.gotcl = r64(E1000_GOTCL, E1000_GOTCH);
  s.gorc += adapter.gorcl;
  s.gotc += adapter.gotcl;
  s.rnbc += r(E1000_RNBC);
  s.ruc += ruc;
  s.rfc += r(E1000_RFC);
  s.roc += roc;
  s.rjc += r(E1000_RJC);
  s.tor += r64(E1000_TORL, E1000_TORH);
  s.tot += r64(E1000_TOTL, E1000_TOTH);
  s.tpr += r(E1000_TPR);
  s.tpt += r(E1000_TPT);
  s.mptc += r(E1000_MPTC);
  s.bptc += r(E1000_BPTC);
  s.tsctc += r(E1000_TSCTC);
  s.tsctfc += r(E1000_TSCTFC);
  const n = adapter.netdev.stats;
  n.multicast += mprc;
  n.collisions += colc;
  n.rx_crc_errors += crcerrs;
  n.rx_frame_errors += algnerrc;
  n.rx_length_errors += ruc + roc;
  n.rx_missed_errors += mpc;
  n.rx_over_errors += mpc;
  n.rx_errors += rxerrc + crcerrs + algnerrc + ruc + roc + cexterr;
  n.tx_aborted_errors += ecol;
  n.tx_window_errors += latecol;
  n.tx_carrier_errors += tncrs;
  n.tx_errors += ecol + latecol;
}

/**
 * Frames the receive address/VLAN filters refused: the SDM counts every frame the MAC sees in TPR
 * (13.7) but only accepted ones in GPRC; the rest are missed (MPC), malformed (RUC, ROC, RFC, RJC,
 * CRCERRS) or filtered. No register counts the filter's refusals, so they are the difference.
 */
export function e1000_rx_filtered(adapter: E1000Adapter): number {
  const s = adapter.hw_stats;
  return Math.max(0, s.tpr - s.gprc - s.mpc - s.ruc - s.roc - s.rfc - s.rjc - s.crcerrs);
}
