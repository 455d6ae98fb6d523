/**
 * Register-level conformance of the 82540EM model with Intel's 8254x SDM (and QEMU's e1000 where
 * the two agree): the register file (reset value, write mask, reserved bits reading 0, side
 * effects), MDIC on read-only PHY registers, receive size limits, short frames, broadcast
 * filtering and the on-chip receive FIFO. No driver: registers and descriptors only.
 */
import { describe, expect, it } from "vitest";
import { make_frame, MAC_A, MAC_B, BROADCAST, wired } from "../helpers/nic_harness.ts";
import { ICR_RXDMT0, ICR_RXO, MDIC_ERROR, MDIC_OP_READ, MDIC_OP_WRITE, MDIC_READY, RCTL_BAM, RCTL_EN, RCTL_LPE, RCTL_MPE, RCTL_SECRC, REG, STAT } from "../../hw/net/e1000_regs.ts";
import { mta_hash } from "../../hw/net/e1000_rx.ts";

/**
 * Plain read/write registers, from the SDM's register descriptions (section): offset, reset
 * value, the bits software can write (the rest are reserved and read 0).
 */
const RW_TABLE: [string, number, number, number][] = [
  ["CTRL_EXT 13.4.6", 0x00018, 0, 0x00e29fff],
  ["MANC 13.8", 0x05820, 0x00222300, 0x01ffffff],
  ["FCAL 13.4.8", 0x00028, 0, 0xffffffff],
  ["FCAH 13.4.9", 0x0002c, 0, 0x0000ffff],
  ["FCT 13.4.10", 0x00030, 0, 0x0000ffff],
  ["VET 13.4.11", 0x00038, 0x8100, 0x0000ffff],
  ["ITR 13.4.18", 0x000c4, 0, 0x0000ffff],
  ["FCTTV 13.4.12", 0x00170, 0, 0x0000ffff],
  ["TXCW 13.4.14", 0x00178, 0, 0xc000ffff],
  ["TIPG 13.4.34", 0x00410, 0, 0x3fffffff],
  ["AIT 13.4.35 (31:16 reserved)", 0x00458, 0, 0x0000ffff],
  ["LEDCTL 13.4.16", 0x00e00, 0x00000602, 0xcfcfcfcf],
  ["FCRTL 13.4.25", 0x02160, 0, 0x8000fff8],
  ["FCRTH 13.4.26", 0x02168, 0, 0x0000fff8],
  ["RDFH", 0x02410, 0, 0x1fff],
  ["RDFPC", 0x02430, 0, 0x1fff],
  ["RDBAL 13.4.27", 0x02800, 0, 0xfffffff0],
  ["RDBAH 13.4.28", 0x02804, 0, 0xffffffff],
  ["RDLEN 13.4.29", 0x02808, 0, 0x000fff80],
  ["RDTR 13.4.32 (FPD write-only)", 0x02820, 0, 0x0000ffff],
  ["RXDCTL 13.4.42", 0x02828, 0, 0x013f3f3f],
  ["RADV 13.4.40", 0x0282c, 0, 0x0000ffff],
  ["RSRPD 13.4.41", 0x02c00, 0, 0x00000fff],
  ["TDFH", 0x03410, 0, 0x7ff],
  ["TDFPC", 0x03430, 0, 0x1fff],
  ["TDBAL 13.4.36", 0x03800, 0, 0xfffffff0],
  ["TDBAH 13.4.37", 0x03804, 0, 0xffffffff],
  ["TDLEN 13.4.38", 0x03808, 0, 0x000fff80],
  ["TIDV 13.4.41", 0x03820, 0, 0x0000ffff],
  ["TXDCTL 13.4.43", 0x03828, 0, 0xff3f3f3f],
  ["TADV 13.4.44", 0x0382c, 0, 0x0000ffff],
  ["TSPMT 13.4.45", 0x03830, 0, 0xffffffff],
  ["RXCSUM 13.4.46", 0x05000, 0, 0x000003ff],
  ["MTA[0] 13.5.1", 0x05200, 0, 0xffffffff],
  ["MTA[127]", 0x053fc, 0, 0xffffffff],
  ["RAL[1] 13.5.2", 0x05408, 0, 0xffffffff],
  ["RAH[1] 13.5.2", 0x0540c, 0, 0x8003ffff],
  ["RAH[15]", 0x0547c, 0, 0x8003ffff],
  ["VFTA[5] 13.5.3", 0x05614, 0, 0xffffffff],
  ["WUC 13.6.1", 0x05800, 0, 0x0000000f],
  ["WUFC 13.6.2", 0x05808, 0, 0x000f00ff],
  ["IPAV 13.6.4", 0x05838, 0, 0x0001000f],
  ["IP4AT[0] 13.6.5", 0x05840, 0, 0xffffffff],
  ["IP4AT[3]", 0x05858, 0, 0xffffffff],
  ["IP6AT[0] 13.6.6", 0x05880, 0, 0xffffffff],
  ["IP6AT[3]", 0x0588c, 0, 0xffffffff],
  ["FFLT[0] 13.6.9", 0x05f00, 0, 0x000007ff],
  ["FFLT[3]", 0x05f18, 0, 0x000007ff],
  ["FFMT[0] 13.6.10", 0x09000, 0, 0x0000000f],
  ["FFMT[127]", 0x093f8, 0, 0x0000000f],
  ["FFVT[0] 13.6.11", 0x09800, 0, 0xffffffff],
  ["FFVT[127]", 0x09bf8, 0, 0xffffffff],
  ["PBM", 0x10000, 0, 0xffffffff],
  ["PBM end", 0x1fffc, 0, 0xffffffff],
];

/** Read-only registers: offset and the value they read after reset, whatever is written. */
const RO_TABLE: [string, number, number][] = [
  ["RXCW 13.4.15", 0x00180, 0],
  ["WUPL 13.6.7", 0x05900, 0],
  ["WUPM[0] 13.6.8", 0x05a00, 0],
];

/** Offsets the 82540EM does not decode: read 0, writes ignored, reported on `unknown`. */
const UNKNOWN = [0x00004, 0x0001c /* FLA: 82541/82547 only */, 0x05844 /* between IP4AT entries */, 0x05f04, 0x09004, 0x0fffc];

describe("e1000 register file (SDM 13.4-13.8)", () => {
  it("every plain register resets to its value and stores only its writable bits", () => {
    const { nic } = wired();
    for (const [name, off, reset, mask] of RW_TABLE) {
      expect(nic.rd(off) >>> 0, `${name} reset`).toBe(reset >>> 0);
      nic.wr(off, 0xffffffff);
      expect(nic.rd(off) >>> 0, `${name} all ones`).toBe(mask >>> 0);
      nic.wr(off, 0xa5a5a5a5);
      expect(nic.rd(off) >>> 0, `${name} pattern`).toBe((0xa5a5a5a5 & mask) >>> 0);
      nic.wr(off, 0);
      expect(nic.rd(off), `${name} zero`).toBe(0);
    }
  });

  it("read-only registers ignore writes; unknown offsets read 0 and are traced", () => {
    const { nic, m } = wired();
    for (const [name, off, v] of RO_TABLE) {
      nic.wr(off, 0xffffffff);
      expect(nic.rd(off) >>> 0, name).toBe(v);
    }
    m.tracer.enable("unknown");
    for (const off of UNKNOWN) {
      nic.wr(off, 0xffffffff);
      expect(nic.rd(off), `0x${off.toString(16)}`).toBe(0);
    }
    expect(m.tracer.history.filter((l) => /unknown register/.test(l)).length).toBe(2 * UNKNOWN.length);
  });

  it("reserved bits of CTRL, RCTL and TCTL read 0 (13.4.1, 13.4.22, 13.4.33)", () => {
    const { nic } = wired();
    nic.wr(REG.CTRL, 0x00140240 | 0x20000016 | 0x03000000); // reserved 1, 2, 4, 24, 25, 29
    expect(nic.rd(REG.CTRL) >>> 0).toBe(0x00140240);
    nic.wr(REG.RCTL, 0xffffffff);
    expect(nic.rd(REG.RCTL) >>> 0).toBe(0x06dfb3fe);
    nic.wr(REG.RCTL, 0);
    nic.wr(REG.TCTL, 0xffffffff);
    expect(nic.rd(REG.TCTL) >>> 0).toBe(0x017ffffa);
  });

  it("PBA: RXA is written, TXA reads what is left of 64 KiB (13.4.24)", () => {
    const { nic } = wired();
    expect(nic.rd(REG.PBA) >>> 0).toBe(0x00100030); // 48 KiB RX, 16 KiB TX
    nic.wr(REG.PBA, 0xffff0020);
    expect(nic.rd(REG.PBA) >>> 0).toBe(0x00200020);
    nic.wr(REG.PBA, 0x0000ffff);
    expect(nic.rd(REG.PBA) >>> 0).toBe(0x0000ffff);
  });

  it("WUS is write-1-to-clear (13.6.3); CTRL.RST brings every register back to its reset value", () => {
    const { nic } = wired();
    nic.dev.regs[REG.WUS >> 2] = 0x00010003; // wake events (LNKC, MAG, FLX0)
    nic.wr(REG.WUS, 0x00000001);
    expect(nic.rd(REG.WUS)).toBe(0x00010002);
    for (const [, off, , mask] of RW_TABLE) nic.wr(off, mask);
    nic.wr(REG.CTRL, 0x04000000);
    for (const [name, off, reset] of RW_TABLE) expect(nic.rd(off) >>> 0, name).toBe(reset >>> 0);
    expect(nic.rd(REG.WUS)).toBe(0);
  });
});

describe("MDIC (13.4.7) and the PHY's read-only registers", () => {
  const mdic = (op: number, reg: number, data = 0): number => op | (1 << 21) | (reg << 16) | data;

  it("a write to BMSR, PHYID1/2 or LPA sets MDIC.E and leaves the register alone (as QEMU's phy_regcap)", () => {
    const { nic } = wired();
    for (const [reg, v] of [[1, 0x794d], [2, 0x0141], [3, 0x0c20], [5, 0x01e0]] as const) {
      nic.wr(REG.MDIC, mdic(MDIC_OP_WRITE, reg, 0x1234));
      const out = nic.rd(REG.MDIC);
      expect(out & MDIC_READY).toBe(MDIC_READY);
      expect(out & MDIC_ERROR, `reg ${reg}`).toBe(MDIC_ERROR);
      nic.wr(REG.MDIC, mdic(MDIC_OP_READ, reg));
      expect(nic.rd(REG.MDIC) & 0xffff).toBe(v);
      expect(nic.rd(REG.MDIC) & MDIC_ERROR).toBe(0);
    }
  });

  it("a write to a writable register (ANAR) completes without E and is stored", () => {
    const { nic } = wired();
    nic.wr(REG.MDIC, mdic(MDIC_OP_WRITE, 4, 0x01e1));
    expect(nic.rd(REG.MDIC) & MDIC_ERROR).toBe(0);
    nic.wr(REG.MDIC, mdic(MDIC_OP_READ, 4));
    expect(nic.rd(REG.MDIC) & 0xffff).toBe(0x01e1);
  });
});

const RX = RCTL_EN | RCTL_BAM | RCTL_SECRC;

/** A frame of exactly `len` bytes (no FCS) to MAC_A, optionally with an 802.1Q tag. */
function sized(len: number, tagged: boolean): Uint8Array {
  const f = make_frame(MAC_A, MAC_B, len - 14, tagged ? 0x8100 : 0x0800);
  if (tagged) {
    f[14] = 0x00; // VID 5
    f[15] = 0x05;
    f[16] = 0x08;
    f[17] = 0x00;
  }
  return f;
}

describe("receive size limits with LPE clear (13.4.22 LPE, 13.7 ROC)", () => {
  it("1518 bytes + FCS (1522 on the wire) pass, tagged or not; 1519-1522 are oversize (ROC)", () => {
    const { nic, sink } = wired();
    nic.setup_rx(32, RX | (1 << 25) | (3 << 16)); // 4 KiB buffers: one descriptor each
    for (const tagged of [false, true]) {
      for (const len of [1514, 1518, 1519, 1520, 1521, 1522]) sink.inject(sized(len, tagged));
    }
    expect(nic.rd(STAT.GPRC)).toBe(4);
    expect(nic.rd(STAT.ROC)).toBe(8);
    expect(nic.rd(STAT.PRC1522)).toBe(4);
    expect([0, 1, 2, 3].map((i) => nic.rx_desc(i).len)).toEqual([1514, 1518, 1514, 1518]);
  });

  it("LPE set: up to 16380 bytes + FCS pass; 16381 is oversize", () => {
    const { nic, sink } = wired();
    nic.setup_rx(32, RX | RCTL_LPE);
    sink.inject(sized(16380, false));
    sink.inject(sized(16381, false));
    expect(nic.rd(STAT.GPRC)).toBe(1);
    expect(nic.rd(STAT.ROC)).toBe(1);
  });
});

describe("short frames from a back-end (no padding, no FCS)", () => {
  it("a 13-byte frame is padded to 60 and delivered, not counted as a runt", () => {
    const { nic, sink } = wired();
    nic.setup_rx(8, RX);
    const f = make_frame(MAC_A, MAC_B, 0).subarray(0, 13);
    sink.inject(f);
    expect(nic.rd(STAT.GPRC)).toBe(1);
    expect(nic.rd(STAT.RUC)).toBe(0);
    const d = nic.rx_desc(0);
    expect(d.len).toBe(60);
    expect(d.data.subarray(0, 13)).toEqual(f);
    expect(d.data.subarray(13).every((b) => b === 0)).toBe(true);
    expect(nic.rd(STAT.PRC64)).toBe(1); // 60 + FCS
  });
});

describe("broadcast filtering (13.4.22 BAM/MPE, 13.5.1 MTA)", () => {
  it("MPE without BAM refuses broadcast; BAM, or the broadcast's MTA hash bit, accepts it (BPRC)", () => {
    const { nic, sink } = wired();
    nic.setup_rx(8, RCTL_EN | RCTL_MPE | RCTL_SECRC);
    sink.inject(make_frame(BROADCAST, MAC_B, 50));
    expect(nic.rd(STAT.GPRC)).toBe(0);
    expect(nic.dev.rx.filtered).toBe(1);
    sink.inject(make_frame(Uint8Array.of(0x01, 0, 0x5e, 0, 0, 1), MAC_B, 50)); // other multicast: MPE passes it
    expect(nic.rd(STAT.MPRC)).toBe(1);
    const h = mta_hash(0xff, 0xff, 0);
    nic.wr(REG.MTA + (h >>> 5) * 4, 1 << (h & 31));
    sink.inject(make_frame(BROADCAST, MAC_B, 50));
    nic.wr(REG.MTA + (h >>> 5) * 4, 0);
    nic.wr(REG.RCTL, RCTL_EN | RCTL_BAM | RCTL_SECRC);
    sink.inject(make_frame(BROADCAST, MAC_B, 50));
    expect(nic.rd(STAT.BPRC)).toBe(2);
  });
});

describe("the receive FIFO (3.2, 13.4.24 PBA, 13.7 RNBC/MPC)", () => {
  it("with no descriptors frames wait (RNBC, no RXO), are DMA'd in order on RDT, and only a full FIFO misses (MPC, RXO)", () => {
    const { nic, sink, m } = wired();
    nic.setup_rx(8, RX);
    nic.wr(REG.RDT, 0); // RDH == RDT: nothing handed over
    nic.wr(REG.IMS, ICR_RXO | ICR_RXDMT0);
    // 1000-byte frames cost 1008 bytes: 48 KiB holds 48 of them.
    for (let i = 0; i < 50; i++) sink.inject(make_frame(MAC_A, MAC_B, 986, 0x88b5, i));
    expect(nic.rd(STAT.RNBC)).toBe(50);
    expect(nic.rd(STAT.MPC)).toBe(2);
    expect(nic.rd(REG.ICR) & ICR_RXO).toBe(ICR_RXO);
    expect(nic.dev.rx.fifo.count).toBe(48);
    expect(nic.rd(STAT.GPRC)).toBe(0);
    // Hand over 7 descriptors: 7 frames come out, oldest first.
    nic.wr(REG.RDT, 7);
    expect(nic.rd(STAT.GPRC)).toBe(7);
    expect([0, 1, 2, 3, 4, 5, 6].map((i) => nic.rx_desc(i).data[14])).toEqual([0, 1, 2, 3, 4, 5, 6]);
    // The driver keeps returning descriptors: everything held arrives; nothing else is missed.
    let delivered = 7;
    for (let round = 0; round < 10 && nic.dev.rx.fifo.count > 0; round++) {
      for (let i = 0; i < 8; i++) m.mem.view.setUint8(nic.rx_ring + i * 16 + 12, 0);
      const rdh = nic.rd(REG.RDH);
      nic.wr(REG.RDT, (rdh + 7) % 8);
      delivered = nic.dev.rx.frames;
    }
    expect(delivered).toBe(48);
    expect(nic.rd(STAT.MPC)).toBe(0); // read above: cleared
    expect(nic.rd(STAT.TPR)).toBe(50);
  });

  it("PBA.RXA sizes the FIFO: 1 KiB holds one 1000-byte frame", () => {
    const { nic, sink } = wired();
    nic.wr(REG.PBA, 1);
    nic.setup_rx(8, RX);
    nic.wr(REG.RDT, 0);
    for (let i = 0; i < 3; i++) sink.inject(make_frame(MAC_A, MAC_B, 986, 0x88b5, i));
    expect(nic.rd(STAT.MPC)).toBe(2);
    expect(nic.dev.rx.fifo.count).toBe(1);
  });

  it("RCTL.EN clear and CTRL.RST flush the FIFO into MPC", () => {
    const { nic, sink } = wired();
    nic.setup_rx(8, RX);
    nic.wr(REG.RDT, 0);
    for (let i = 0; i < 5; i++) sink.inject(make_frame(MAC_A, MAC_B, 100, 0x88b5, i));
    nic.wr(REG.RCTL, RX & ~RCTL_EN);
    expect(nic.dev.rx.fifo.count).toBe(0);
    expect(nic.rd(STAT.MPC)).toBe(5);
    nic.wr(REG.RCTL, RX);
    for (let i = 0; i < 3; i++) sink.inject(make_frame(MAC_A, MAC_B, 100, 0x88b5, i));
    nic.wr(REG.CTRL, 0x04000000);
    expect(nic.rd(STAT.MPC)).toBe(3); // statistics were reset; the flushed frames are still counted
    expect(nic.dev.rx.fifo_flushed).toBe(8);
  });

  it("a frame larger than the whole ring is missed at once instead of blocking the FIFO for good", () => {
    const { nic, sink, m } = wired();
    nic.setup_rx(8, RX | RCTL_LPE); // 8 descriptors of 2 KiB: at most 7 × 2048 bytes per frame
    sink.inject(make_frame(MAC_A, MAC_B, 15000 - 14));
    expect(nic.dev.rx.fifo.count).toBe(0);
    expect(nic.rd(STAT.MPC)).toBe(1);
    // Frames after it flow as descriptors come back.
    let delivered = 0;
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 3; i++) sink.inject(make_frame(MAC_A, MAC_B, 100));
      const rdh = nic.rd(REG.RDH);
      for (let i = 0; i < 8; i++) m.mem.view.setUint8(nic.rx_ring + i * 16 + 12, 0);
      nic.wr(REG.RDT, (rdh + 7) % 8);
      delivered += nic.rd(STAT.GPRC);
    }
    expect(delivered).toBe(15);
    expect(nic.dev.rx.fifo.count).toBe(0);
  });
});
