/** The driver's register map (drivers/net/e1000_hw.ts) and the device model's (hw/net/e1000_regs.ts) must agree. */
import { describe, expect, it } from "vitest";
import * as drv from "../../drivers/net/e1000_hw.ts";
import * as dev from "../../hw/net/e1000_regs.ts";

describe("e1000 register constants", () => {
  it("register offsets agree between driver and device model", () => {
    const pairs: [number, number][] = [];
    for (const [name, off] of Object.entries(dev.REG)) {
      const d = (drv as Record<string, unknown>)[`E1000_${name}`];
      if (typeof d === "number") pairs.push([d, off]);
    }
    for (const [name, off] of Object.entries(dev.STAT)) {
      const d = (drv as Record<string, unknown>)[`E1000_${name}`];
      if (typeof d === "number") pairs.push([d, off]);
    }
    expect(pairs.length).toBeGreaterThan(60);
    for (const [d, m] of pairs) expect(d).toBe(m);
  });

  it("bits and descriptor layouts agree", () => {
    const same: [number, number][] = [
      [drv.E1000_CTRL_RST, dev.CTRL_RST],
      [drv.E1000_CTRL_SLU, dev.CTRL_SLU],
      [drv.E1000_STATUS_LU, dev.STATUS_LU],
      [drv.E1000_EEPROM_RW_REG_START, dev.EERD_START],
      [drv.E1000_EEPROM_RW_REG_DONE, dev.EERD_DONE],
      [drv.E1000_EEPROM_RW_ADDR_SHIFT, dev.EERD_ADDR_SHIFT],
      [drv.E1000_MDIC_OP_READ, dev.MDIC_OP_READ],
      [drv.E1000_MDIC_READY, dev.MDIC_READY],
      [drv.E1000_ICR_TXDW, dev.ICR_TXDW],
      [drv.E1000_ICR_LSC, dev.ICR_LSC],
      [drv.E1000_ICR_RXO, dev.ICR_RXO],
      [drv.E1000_ICR_RXT0, dev.ICR_RXT0],
      [drv.E1000_RCTL_EN, dev.RCTL_EN],
      [drv.E1000_RCTL_BAM, dev.RCTL_BAM],
      [drv.E1000_RCTL_SECRC, dev.RCTL_SECRC],
      [drv.E1000_RCTL_LBM_MAC, dev.RCTL_LBM_MAC],
      [drv.E1000_TCTL_EN, dev.TCTL_EN],
      [drv.E1000_TCTL_PSP, dev.TCTL_PSP],
      [drv.E1000_RAH_AV, dev.RAH_AV],
      [drv.E1000_TXD_CMD, dev.TXD_CMD],
      [drv.E1000_TXD_STATUS, dev.TXD_STATUS],
      [drv.E1000_TXD_CMD_EOP, dev.TXD_CMD_EOP],
      [drv.E1000_TXD_CMD_RS, dev.TXD_CMD_RS],
      [drv.E1000_TXD_CMD_IFCS, dev.TXD_CMD_IFCS],
      [drv.E1000_TXD_STAT_DD, dev.TXD_STAT_DD],
      [drv.E1000_RXD_STATUS, dev.RXD_STATUS],
      [drv.E1000_RXD_LENGTH, dev.RXD_LENGTH],
      [drv.E1000_RXD_STAT_DD, dev.RXD_STAT_DD],
      [drv.E1000_RXD_STAT_EOP, dev.RXD_STAT_EOP],
      [drv.E1000_DESC_SIZE, dev.DESC_SIZE],
      [drv.MII_CR_POWER_DOWN, dev.BMCR_PDOWN],
    ];
    for (const [d, m] of same) expect(d).toBe(m);
  });

  it("masks stay unsigned", () => {
    for (const [name, v] of Object.entries(drv)) if (typeof v === "number") expect(v, name).toBeGreaterThanOrEqual(0);
  });
});
