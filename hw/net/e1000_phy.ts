import { ClockEvent, type VirtualClock } from "../clock.ts";
import type { E1000 } from "./e1000.ts";
import {
  BMCR_ANENABLE,
  BMCR_ANRESTART,
  BMCR_LOOPBACK,
  BMCR_PDOWN,
  BMCR_RESET,
  BMSR_ANEGCOMPLETE,
  BMSR_LSTATUS,
  ICR_MDAC,
  LPA_LPACK,
  M88_EXT_PHY_SPEC_CTRL,
  M88_PHY_SPEC_CTRL,
  M88_PHY_SPEC_STATUS,
  M88_RX_ERR_CNTR,
  MDIC_DATA_MASK,
  MDIC_ERROR,
  MDIC_INT_EN,
  MDIC_OP_READ,
  MDIC_OP_WRITE,
  MDIC_PHY_SHIFT,
  MDIC_READY,
  MDIC_REG_SHIFT,
  MII_ADVERTISE,
  MII_BMCR,
  MII_BMSR,
  MII_CTRL1000,
  MII_EXPANSION,
  MII_LPA,
  MII_PHYSID1,
  MII_PHYSID2,
  MII_STAT1000,
  PHY_ADDR,
  REG,
} from "./e1000_regs.ts";

/** How long autonegotiation takes (QEMU's value; a real M88 PHY takes up to a few seconds). */
export const AUTONEG_NS = 500_000_000;

/** Registers the PHY implements: reset value and whether software may write it. */
const PHY_REGS: readonly [number, number, boolean][] = [
  [MII_BMCR, 0x1140, true], // 1000 Mb/s, full duplex, autonegotiation enabled
  [MII_BMSR, 0x794d, false], // capabilities, link up, autonegotiation not yet complete
  [MII_PHYSID1, 0x0141, false], // Marvell OUI
  [MII_PHYSID2, 0x0c20, false], // 88E1011 (Linux: M88E1011_I_PHY_ID 0x01410C20)
  [MII_ADVERTISE, 0x0de1, true],
  [MII_LPA, 0x01e0, false],
  [MII_EXPANSION, 0x0000, false],
  [MII_CTRL1000, 0x0e00, true],
  [MII_STAT1000, 0x3c00, false],
  [M88_PHY_SPEC_CTRL, 0x0360, true],
  [M88_PHY_SPEC_STATUS, 0xac00, false],
  [M88_EXT_PHY_SPEC_CTRL, 0x0d60, true],
  [M88_RX_ERR_CNTR, 0x0000, false],
];

/**
 * The internal copper PHY at MDIO address 1 (SDM 13.3; IEEE 802.3 clause 22 registers). Writing
 * BMCR with AN enable + restart drops the link and completes autonegotiation AUTONEG_NS later
 * on the virtual clock; `on_link` reports each link transition so the MAC can raise LSC.
 */
export class E1000Phy {
  readonly regs = new Uint16Array(32);
  private readonly writable = new Uint8Array(32);
  private readonly implemented = new Uint8Array(32);
  private readonly clock: VirtualClock;
  private readonly an_done: ClockEvent;
  /** The cable (or back-end) has carrier. */
  cable = true;
  /** Fault injection (autoneg_fail): autonegotiation never completes; a PHY reset clears it. */
  autoneg_blocked = false;
  private readonly on_link: (up: boolean) => void;

  constructor(clock: VirtualClock, on_link: (up: boolean) => void) {
    this.clock = clock;
    this.on_link = on_link;
    this.an_done = new ClockEvent("e1000-autoneg", () => this.autoneg_complete());
    for (const [r, , w] of PHY_REGS) {
      this.implemented[r] = 1;
      this.writable[r] = w ? 1 : 0;
    }
    this.reset();
  }

  /** Power-on values. As in QEMU, the link is up from reset (autonegotiation not yet run). */
  reset(): void {
    this.clock.disarm(this.an_done);
    this.autoneg_blocked = false;
    this.regs.fill(0);
    for (const [r, v] of PHY_REGS) this.regs[r] = v;
    if (!this.cable) this.regs[MII_BMSR]! &= ~BMSR_LSTATUS;
  }

  get link_up(): boolean {
    return (this.regs[MII_BMSR]! & BMSR_LSTATUS) !== 0;
  }

  get powered_down(): boolean {
    return (this.regs[MII_BMCR]! & BMCR_PDOWN) !== 0;
  }

  get loopback(): boolean {
    return (this.regs[MII_BMCR]! & BMCR_LOOPBACK) !== 0;
  }

  /** MDIC read: the value, or -1 for a register the PHY does not implement. */
  read(reg: number): number {
    return this.implemented[reg] ? this.regs[reg]! : -1;
  }

  /**
   * MDIC write: false (MDIC.E) for a register the PHY does not implement or that is read-only
   * (BMSR, PHYID, LPA…): QEMU's phy_regcap refuses both; the register keeps its value.
   */
  write(reg: number, value: number): boolean {
    if (!this.implemented[reg] || !this.writable[reg]) return false;
    if (reg === MII_BMCR) {
      if (value & BMCR_RESET) {
        this.reset();
        return true;
      }
      const was_down = this.powered_down;
      this.regs[MII_BMCR] = value & ~(BMCR_RESET | BMCR_ANRESTART | 0x3f);
      if (this.powered_down) {
        // Power down: the link drops and stays down until software powers the PHY up again.
        this.clock.disarm(this.an_done);
        this.regs[MII_BMSR]! &= ~BMSR_ANEGCOMPLETE;
        this.set_link(false);
      } else if (was_down || (value & (BMCR_ANENABLE | BMCR_ANRESTART)) === (BMCR_ANENABLE | BMCR_ANRESTART)) {
        this.restart_autoneg();
      }
      return true;
    }
    this.regs[reg] = value;
    return true;
  }

  private set_link(up: boolean): void {
    const was = this.link_up;
    if (up) this.regs[MII_BMSR]! |= BMSR_LSTATUS;
    else this.regs[MII_BMSR]! &= ~BMSR_LSTATUS;
    if (was !== up) this.on_link(up);
  }

  /** Link goes down; autonegotiation completes later if a cable is there. */
  restart_autoneg(): void {
    this.regs[MII_BMSR]! &= ~BMSR_ANEGCOMPLETE;
    this.regs[MII_LPA]! &= ~LPA_LPACK;
    this.set_link(false);
    if (this.cable) this.clock.arm_in(this.an_done, AUTONEG_NS);
  }

  private autoneg_complete(): void {
    if (!this.cable || this.powered_down || this.autoneg_blocked) return;
    this.regs[MII_BMSR]! |= BMSR_ANEGCOMPLETE;
    this.regs[MII_LPA]! |= LPA_LPACK;
    this.set_link(true);
  }

  /** Cable plugged or pulled (or the back-end's carrier changed). */
  set_cable(up: boolean): void {
    if (up === this.cable) return;
    this.cable = up;
    if (!up) {
      this.clock.disarm(this.an_done);
      this.regs[MII_BMSR]! &= ~BMSR_ANEGCOMPLETE;
      this.set_link(false);
    } else if (this.powered_down) {
      // stays down until powered up
    } else if (this.regs[MII_BMCR]! & BMCR_ANENABLE) {
      this.restart_autoneg();
    } else {
      this.set_link(true);
    }
  }
}

/**
 * MDIC write (QEMU: set_mdic): PHY register access through the MAC; completes at once (READY),
 * ERROR for a bad PHY address or register (SDM 13.4.7); MDAC when INT_EN asks for it.
 */
export function e1000_set_mdic(s: E1000, val: number): void {
  const phy = (val >>> MDIC_PHY_SHIFT) & 0x1f;
  const reg = (val >>> MDIC_REG_SHIFT) & 0x1f;
  let out = (val & ~(MDIC_READY | MDIC_ERROR)) >>> 0;
  if (phy !== PHY_ADDR) {
    out |= MDIC_ERROR;
  } else if (val & MDIC_OP_READ) {
    const v = s.phy.read(reg);
    if (v < 0) out |= MDIC_ERROR;
    else out = ((out & ~MDIC_DATA_MASK) | v) >>> 0;
  } else if (val & MDIC_OP_WRITE) {
    // A register the PHY does not implement, or a read-only one (BMSR, PHYID…): E, as QEMU's
    // phy_regcap check does; the register keeps its value.
    if (!s.phy.write(reg, val & MDIC_DATA_MASK)) out |= MDIC_ERROR;
  }
  s.regs[REG.MDIC >> 2] = (out | MDIC_READY) >>> 0;
  if (val & MDIC_INT_EN) s.set_ics(ICR_MDAC);
}
