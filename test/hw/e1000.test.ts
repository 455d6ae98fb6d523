/**
 * The 82540EM model, driven straight through config space, MMIO and descriptors in physical memory
 * (no kernel, no driver), in the spirit of QEMU's qtest and Linux's ethtool self-test.
 */
import { describe, expect, it } from "vitest";
import { E1000 } from "../../hw/net/e1000.ts";
import { AUTONEG_NS } from "../../hw/net/e1000_phy.ts";
import { TX_BURST_NS } from "../../hw/net/e1000_tx.ts";
import {
  BMCR_ANENABLE,
  BMCR_ANRESTART,
  CTRL_RST,
  EECD_CS,
  EECD_DI,
  EECD_DO,
  EECD_SK,
  EERD_DONE,
  EERD_START,
  ICR_LSC,
  ICR_RXO,
  ICR_RXT0,
  ICR_TXDW,
  ICR_TXQE,
  MDIC_OP_READ,
  MDIC_OP_WRITE,
  MDIC_READY,
  RCTL_BAM,
  RCTL_EN,
  RCTL_LBM_MAC,
  RCTL_LPE,
  RCTL_MPE,
  RCTL_SECRC,
  RCTL_UPE,
  REG,
  RXD_STAT_DD,
  RXD_STAT_EOP,
  STAT,
  STATUS_LU,
  TCTL_EN,
  TCTL_PSP,
  TXD_CMD_EOP,
  TXD_CMD_IFCS,
  TXD_STAT_DD,
} from "../../hw/net/e1000_regs.ts";
import { crc32 } from "../../hw/net/crc32.ts";
import { Hub } from "../../hw/net/hub.ts";
import { net_connect } from "../../hw/net/net_endpoint.ts";
import { BROADCAST, MAC_A, MAC_B, make_frame, nic_machine, wired } from "../helpers/nic_harness.ts";

const RX_BASIC = RCTL_EN | RCTL_BAM | RCTL_SECRC;


describe("e1000 PCI identity", () => {
  it("is 8086:100E rev 03, Ethernet class, INTA#, 128 KiB MMIO BAR0 and an I/O BAR1", () => {
    const { nic } = wired();
    const c = nic.dev.config;
    expect(nic.dev.config_read(0, 4)).toBe(0x100e8086);
    expect(c[8]).toBe(0x03);
    expect(nic.dev.config_read(0x08, 4) >>> 8).toBe(0x020000);
    expect(c[0x3d]).toBe(1);
    nic.dev.config_write(0x10, 4, 0xffffffff);
    expect(nic.dev.config_read(0x10, 4)).toBe(0xfffe0000);
    nic.dev.config_write(0x14, 4, 0xffffffff);
    expect(nic.dev.config_read(0x14, 4)).toBe(0xfffffff9); // 8 bytes of I/O, as on the real part
  });
});

describe("e1000 interrupts", () => {
  it("ICR clears on read; ICS sets causes; the line follows ICR & IMS", () => {
    const { nic } = wired();
    nic.wr(REG.ICS, ICR_TXDW | ICR_RXT0);
    expect(nic.irq_asserted).toBe(false); // masked
    nic.wr(REG.IMS, ICR_RXT0);
    expect(nic.irq_asserted).toBe(true);
    expect(nic.rd(REG.IMS)).toBe(ICR_RXT0);
    nic.wr(REG.IMC, ICR_RXT0);
    expect(nic.irq_asserted).toBe(false);
    expect(nic.rd(REG.IMC)).toBe(0);
    nic.wr(REG.IMS, ICR_TXDW);
    expect(nic.irq_asserted).toBe(true);
    expect(nic.rd(REG.ICR)).toBe(ICR_TXDW | ICR_RXT0);
    expect(nic.irq_asserted).toBe(false);
    expect(nic.rd(REG.ICR)).toBe(0);
  });

  it("writing 1s to ICR clears just those causes", () => {
    const { nic } = wired();
    nic.wr(REG.ICS, ICR_TXDW | ICR_LSC);
    nic.wr(REG.ICR, ICR_TXDW);
    expect(nic.rd(REG.ICR)).toBe(ICR_LSC);
  });

  it("INTx Disable in the command register keeps the line low", () => {
    const { nic } = wired();
    nic.wr(REG.IMS, ICR_TXDW);
    nic.cfg_write16(0x04, 0x0406); // MEM | MASTER | INTX_DISABLE
    nic.wr(REG.ICS, ICR_TXDW);
    expect(nic.irq_asserted).toBe(false);
    expect(nic.dev.config[0x06]! & 0x08).toBe(0x08); // Status: interrupt pending
    nic.cfg_write16(0x04, 0x0006);
    expect(nic.irq_asserted).toBe(true);
  });

  it("ITR spaces assertions by ITR x 256 ns on the virtual clock", async () => {
    const { nic, world } = wired();
    nic.wr(REG.ITR, 1000); // 256 us
    nic.wr(REG.IMS, ICR_TXDW);
    nic.wr(REG.ICS, ICR_TXDW);
    expect(nic.irq_asserted).toBe(true);
    nic.rd(REG.ICR);
    nic.wr(REG.ICS, ICR_TXDW); // too soon: held back
    expect(nic.irq_asserted).toBe(false);
    world.clock.advance_to(255_999);
    expect(nic.irq_asserted).toBe(false);
    world.clock.advance_to(256_000);
    expect(nic.irq_asserted).toBe(true);
  });
});

describe("e1000 EEPROM and PHY", () => {
  it("EERD returns the MAC in words 0-2 and the 64 words sum to 0xBABA", () => {
    const { nic } = wired();
    const words: number[] = [];
    for (let a = 0; a < 64; a++) {
      nic.wr(REG.EERD, (a << 8) | EERD_START);
      const v = nic.rd(REG.EERD);
      expect(v & EERD_DONE).toBe(EERD_DONE);
      words.push(v >>> 16);
    }
    expect(words.slice(0, 3)).toEqual([0x5452, 0x1200, 0x5634]);
    expect(words.reduce((s, w) => (s + w) & 0xffff, 0)).toBe(0xbaba);
  });

  it("EECD bit-banging (Microwire READ) returns the same words", () => {
    const { nic } = wired();
    const read_word = (addr: number): number => {
      let eecd = EECD_CS;
      nic.wr(REG.EECD, eecd);
      const bits = (0b110 << 6) | addr; // start bit, READ opcode, 6 address bits
      for (let i = 8; i >= 0; i--) {
        const di = (bits >> i) & 1 ? EECD_DI : 0;
        nic.wr(REG.EECD, eecd | di);
        nic.wr(REG.EECD, eecd | di | EECD_SK);
        nic.wr(REG.EECD, eecd | di);
      }
      let w = 0;
      for (let i = 0; i < 16; i++) {
        nic.wr(REG.EECD, eecd | EECD_SK);
        w = (w << 1) | (nic.rd(REG.EECD) & EECD_DO ? 1 : 0);
        nic.wr(REG.EECD, eecd);
      }
      eecd = 0;
      nic.wr(REG.EECD, eecd);
      return w;
    };
    expect([read_word(0), read_word(1), read_word(2), read_word(0x0e)]).toEqual([0x5452, 0x1200, 0x5634, 0x8086]);
  });

  it("MDIC reads the PHY ID at address 1 and errors elsewhere", () => {
    const { nic } = wired();
    nic.wr(REG.MDIC, MDIC_OP_READ | (1 << 21) | (2 << 16));
    expect(nic.rd(REG.MDIC) & 0xffff).toBe(0x0141);
    expect(nic.rd(REG.MDIC) & MDIC_READY).toBe(MDIC_READY);
    nic.wr(REG.MDIC, MDIC_OP_READ | (1 << 21) | (3 << 16));
    expect(nic.rd(REG.MDIC) & 0xffff).toBe(0x0c20);
    nic.wr(REG.MDIC, MDIC_OP_READ | (2 << 21) | (2 << 16));
    expect(nic.rd(REG.MDIC) & 0x40000000).toBe(0x40000000);
  });

  it("restarting autonegotiation drops the link and brings it back 500 ms later with LSC", () => {
    const { nic, world } = wired();
    expect(nic.rd(REG.STATUS) & STATUS_LU).toBe(STATUS_LU);
    nic.wr(REG.IMS, ICR_LSC);
    nic.wr(REG.MDIC, MDIC_OP_WRITE | (1 << 21) | (0 << 16) | BMCR_ANENABLE | BMCR_ANRESTART);
    expect(nic.rd(REG.STATUS) & STATUS_LU).toBe(0);
    expect(nic.rd(REG.ICR) & ICR_LSC).toBe(ICR_LSC); // the down edge
    world.clock.advance_to(AUTONEG_NS - 1);
    expect(nic.rd(REG.STATUS) & STATUS_LU).toBe(0);
    world.clock.advance_to(AUTONEG_NS);
    expect(nic.rd(REG.STATUS) & STATUS_LU).toBe(STATUS_LU);
    expect(nic.irq_asserted).toBe(true);
    expect(nic.rd(REG.ICR) & ICR_LSC).toBe(ICR_LSC);
    nic.wr(REG.MDIC, MDIC_OP_READ | (1 << 21) | (1 << 16));
    expect(nic.rd(REG.MDIC) & 0x20).toBe(0x20); // BMSR: autonegotiation complete
  });

  it("a pulled cable clears STATUS.LU and raises LSC; plugging it back renegotiates", () => {
    const { nic, world, sink } = wired();
    nic.wr(REG.IMS, ICR_LSC);
    nic.dev.set_link(false);
    expect(nic.rd(REG.STATUS) & STATUS_LU).toBe(0);
    expect(nic.rd(REG.ICR)).toBe(ICR_LSC);
    // No carrier: nothing is received.
    nic.setup_rx(8, RX_BASIC);
    sink.inject(make_frame(MAC_A, MAC_B, 50));
    expect(nic.rd(REG.RDH)).toBe(0);
    nic.dev.set_link(true);
    world.clock.advance_to(world.clock.now_ns() + AUTONEG_NS);
    expect(nic.rd(REG.STATUS) & STATUS_LU).toBe(STATUS_LU);
    expect(nic.rd(REG.ICR) & ICR_LSC).toBe(ICR_LSC);
  });
});

describe("e1000 reset and unknown registers", () => {
  it("CTRL.RST restores reset values, self-clears and reloads RA[0] from the EEPROM", () => {
    const { nic } = wired();
    const reset_values = [REG.CTRL, REG.RCTL, REG.TCTL, REG.IMS, REG.RDLEN, REG.TDT, REG.PBA, REG.VET, REG.RA, REG.RA + 4].map((r) => nic.rd(r));
    nic.wr(REG.RCTL, RX_BASIC);
    nic.wr(REG.TCTL, TCTL_EN);
    nic.wr(REG.IMS, 0x1ffff);
    nic.wr(REG.RDLEN, 4096);
    nic.wr(REG.RA, 0x11111111);
    nic.wr(REG.RA + 4, 0x80002222);
    nic.wr(REG.CTRL, nic.rd(REG.CTRL) | CTRL_RST);
    expect(nic.rd(REG.CTRL) & CTRL_RST).toBe(0);
    expect([REG.CTRL, REG.RCTL, REG.TCTL, REG.IMS, REG.RDLEN, REG.TDT, REG.PBA, REG.VET, REG.RA, REG.RA + 4].map((r) => nic.rd(r))).toEqual(reset_values);
    expect(nic.rd(REG.RA)).toBe(0x12005452);
    expect(nic.rd(REG.RA + 4)).toBe(0x80005634);
  });

  it("reaches every register through the I/O BAR (IOADDR/IODATA)", () => {
    const { nic, m } = wired();
    const io = nic.dev.bar_address(1);
    nic.cfg_write16(0x04, 0x0007); // I/O decode on as well
    m.io.write(io, 4, REG.RA);
    expect(m.io.read(io + 4, 4)).toBe(0x12005452);
    m.io.write(io, 4, REG.ITR);
    m.io.write(io + 4, 4, 1234);
    expect(nic.rd(REG.ITR)).toBe(1234);
  });

  it("unknown registers read 0, ignore writes and are reported on the 'unknown' channel", () => {
    const { nic, m } = wired();
    m.tracer.enable("unknown");
    nic.wr(0x0f00, 0xdeadbeef);
    expect(nic.rd(0x0f00)).toBe(0);
    expect(m.tracer.history.filter((l) => l.startsWith("unknown:"))).toEqual([
      "unknown: e1000.0: write of 0xdeadbeef to unknown register 0xf00",
      "unknown: e1000.0: read of unknown register 0xf00",
    ]);
  });
});

describe("e1000 transmit", () => {
  it("sends frames from TDH to TDT, wraps the ring, and writes DD back only where RS asks", () => {
    const { nic, sink } = wired();
    nic.setup_tx(8, TCTL_EN | TCTL_PSP);
    nic.wr(REG.IMS, ICR_TXDW | ICR_TXQE);
    const frames = Array.from({ length: 12 }, (_, i) => make_frame(MAC_B, MAC_A, 60 + i, 0x88b5, i));
    for (let i = 0; i < 12; i++) {
      const cmd = TXD_CMD_EOP | TXD_CMD_IFCS | (i % 2 === 0 ? 0x08 : 0); // RS on even frames
      const slot = nic.send(frames[i]!, cmd);
      expect(nic.tx_status(slot) & TXD_STAT_DD).toBe(i % 2 === 0 ? TXD_STAT_DD : 0);
    }
    expect(sink.frames).toEqual(frames);
    expect(nic.rd(REG.TDH)).toBe(12 % 8);
    expect(nic.rd(REG.ICR)).toBe(ICR_TXDW | ICR_TXQE);
    expect(nic.rd(STAT.TPT)).toBe(12);
    expect(nic.rd(STAT.TPT)).toBe(0); // clear on read
  });

  it("gathers a frame from several descriptors and sends it at EOP; pads short frames with PSP", () => {
    const { nic, sink } = wired();
    nic.setup_tx(8, TCTL_EN | TCTL_PSP);
    const f = make_frame(MAC_B, MAC_A, 100);
    nic.queue_tx(f.subarray(0, 40), TXD_CMD_IFCS);
    nic.queue_tx(f.subarray(40), TXD_CMD_IFCS | TXD_CMD_EOP);
    nic.wr(REG.TDT, nic.tx_tail);
    nic.drain();
    expect(sink.frames).toEqual([f]);
    nic.send(make_frame(MAC_B, MAC_A, 10));
    expect(sink.frames[1]!.length).toBe(60);
  });

  it("does nothing while TCTL.EN is clear, then catches up when enabled", () => {
    const { nic, sink } = wired();
    nic.setup_tx(8, 0);
    nic.send(make_frame(MAC_B, MAC_A, 50));
    expect(sink.frames.length).toBe(0);
    nic.wr(REG.TCTL, TCTL_EN);
    expect(sink.frames.length).toBe(1);
  });

  it("sends at line rate: the DMA runs ahead of the wire in bursts, never a frame more than TX_BURST_NS early", () => {
    const { nic, sink, world } = wired();
    const at: number[] = [];
    const record = sink.receive_frame.bind(sink);
    sink.receive_frame = (f, len) => {
      at.push(world.clock.now_ns());
      record(f, len);
    };
    nic.setup_tx(512, TCTL_EN | TCTL_PSP);
    const n = 500;
    for (let i = 0; i < n; i++) nic.queue_tx(make_frame(MAC_B, MAC_A, 46, 0x88b5, i));
    const t0 = world.clock.now_ns();
    nic.wr(REG.TDT, nic.tx_tail);
    // Frame i holds the wire from t0 + 672 i; a burst of TX_BURST_NS of wire time leaves at once.
    const window = TX_BURST_NS;
    const events0 = world.clock.fired;
    expect(sink.frames.length).toBe(Math.floor(window / 672) + 1);
    expect(nic.rd(REG.TDH)).toBe(sink.frames.length); // descriptors complete as frames enter the FIFO
    world.clock.advance_to(t0 + window / 2 - 1);
    expect(sink.frames.length).toBe(Math.floor(window / 672) + 1); // nothing until half has drained
    world.clock.advance_to(t0 + 672 * n);
    expect(sink.frames.length).toBe(n);
    for (let i = 0; i < n; i++) {
      expect(at[i]!).toBeGreaterThanOrEqual(t0 + 672 * i - window); // never more than a FIFO early
      expect(at[i]!).toBeLessThanOrEqual(Math.max(t0, t0 + 672 * i - window / 2)); // refilled at half
    }
    // The wire carried exactly line rate: the next frame's slot is the 501st.
    const t1 = world.clock.now_ns();
    nic.send(make_frame(MAC_B, MAC_A, 46, 0x88b5, n));
    expect(at[n]).toBe(Math.max(t1, t0 + 672 * n - window));
    // Refills are bursts: one clock event per half window (~12 frames), not one per frame.
    expect(world.clock.fired - events0).toBeLessThanOrEqual(Math.ceil((672 * n) / (window / 2)) + 1);
  });

  it("with no TX FIFO (PBA.RXA = 64 KiB) every 64-byte frame waits for its own 672 ns slot", () => {
    const { nic, sink, world } = wired();
    nic.wr(REG.PBA, 64);
    nic.setup_tx(64, TCTL_EN | TCTL_PSP);
    for (let i = 0; i < 10; i++) nic.queue_tx(make_frame(MAC_B, MAC_A, 46, 0x88b5, i));
    const t0 = world.clock.now_ns();
    nic.wr(REG.TDT, nic.tx_tail);
    expect(sink.frames.length).toBe(1); // the wire was free: the first frame leaves at once
    world.clock.advance_to(t0 + 672 * 5);
    expect(sink.frames.length).toBe(6);
    world.clock.advance_to(t0 + 672 * 9);
    expect(sink.frames.length).toBe(10);
    expect(nic.rd(REG.TDH)).toBe(10);
  });
});

describe("e1000 receive", () => {
  it("delivers a unicast frame by DMA with DD|EOP and the right length, then RXT0", () => {
    const { nic, sink } = wired();
    nic.setup_rx(8, RX_BASIC);
    nic.wr(REG.IMS, ICR_RXT0);
    const f = make_frame(MAC_A, MAC_B, 200);
    sink.inject(f);
    const d = nic.rx_desc(0);
    expect(d.status & (RXD_STAT_DD | RXD_STAT_EOP)).toBe(RXD_STAT_DD | RXD_STAT_EOP);
    expect(d.len).toBe(214);
    expect(d.data).toEqual(f);
    expect(nic.rd(REG.RDH)).toBe(1);
    expect(nic.irq_asserted).toBe(true);
    expect(nic.rd(STAT.GPRC)).toBe(1);
    expect(nic.rd(STAT.GORCL)).toBe(218); // with the FCS
  });

  it("filters: own unicast and broadcast (BAM) pass, others' unicast and multicast are dropped", () => {
    const { nic, sink } = wired();
    nic.setup_rx(16, RX_BASIC);
    const other = Uint8Array.of(0x52, 0x54, 0, 9, 9, 9);
    const mcast = Uint8Array.of(0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb);
    sink.inject(make_frame(other, MAC_B, 50));
    sink.inject(make_frame(mcast, MAC_B, 50));
    expect(nic.rd(REG.RDH)).toBe(0);
    sink.inject(make_frame(BROADCAST, MAC_B, 50));
    sink.inject(make_frame(MAC_A, MAC_B, 50));
    expect(nic.rd(REG.RDH)).toBe(2);
    expect(nic.rd(STAT.BPRC)).toBe(1);
    expect(nic.rd(STAT.TPR)).toBe(4); // every frame the MAC saw
  });

  it("drops broadcasts with BAM clear", () => {
    const { nic, sink } = wired();
    nic.setup_rx(8, RCTL_EN | RCTL_SECRC);
    sink.inject(make_frame(BROADCAST, MAC_B, 50));
    expect(nic.rd(REG.RDH)).toBe(0);
  });

  it("accepts multicast through the MTA hash or MPE, and everything with UPE", () => {
    const { nic, sink } = wired();
    nic.setup_rx(16, RX_BASIC);
    const mcast = Uint8Array.of(0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb);
    const hash = ((mcast[4]! >> 4) | (mcast[5]! << 4)) & 0xfff; // MO = 0
    nic.wr(REG.MTA + 4 * (hash >>> 5), 1 << (hash & 31));
    sink.inject(make_frame(mcast, MAC_B, 50));
    expect(nic.rd(REG.RDH)).toBe(1);
    expect(nic.rd(STAT.MPRC)).toBe(1);
    sink.inject(make_frame(Uint8Array.of(0x33, 0x33, 0, 0, 0, 1), MAC_B, 50));
    expect(nic.rd(REG.RDH)).toBe(1);
    nic.wr(REG.RCTL, RX_BASIC | RCTL_MPE);
    sink.inject(make_frame(Uint8Array.of(0x33, 0x33, 0, 0, 0, 1), MAC_B, 50));
    expect(nic.rd(REG.RDH)).toBe(2);
    nic.wr(REG.RCTL, RX_BASIC | RCTL_UPE);
    sink.inject(make_frame(Uint8Array.of(0x02, 0, 0, 0, 0, 7), MAC_B, 50));
    expect(nic.rd(REG.RDH)).toBe(3);
  });

  it("pads short frames to 60 bytes", () => {
    const { nic, sink } = wired();
    nic.setup_rx(8, RX_BASIC);
    sink.inject(make_frame(MAC_A, MAC_B, 28)); // a 42-byte ARP-sized frame
    const d = nic.rx_desc(0);
    expect(d.len).toBe(60);
    expect([...d.data.subarray(42)].every((b) => b === 0)).toBe(true);
  });

  it("spreads a frame larger than a buffer over several descriptors, EOP on the last", () => {
    const { nic, sink } = wired();
    nic.setup_rx(8, RX_BASIC | (3 << 16)); // BSIZE 256
    const f = make_frame(MAC_A, MAC_B, 586); // 600 bytes: 256 + 256 + 88
    sink.inject(f);
    const ds = [0, 1, 2].map((i) => nic.rx_desc(i));
    expect(ds.map((d) => d.len)).toEqual([256, 256, 88]);
    expect(ds.map((d) => d.status & RXD_STAT_EOP)).toEqual([0, 0, RXD_STAT_EOP]);
    expect(ds.every((d) => d.status & RXD_STAT_DD)).toBe(true);
    const joined = new Uint8Array(600);
    joined.set(ds[0]!.data, 0);
    joined.set(ds[1]!.data, 256);
    joined.set(ds[2]!.data, 512);
    expect(joined).toEqual(f);
  });

  it("drops frames over 1518 bytes unless LPE is set, counting ROC", () => {
    const { nic, sink } = wired();
    nic.setup_rx(16, RX_BASIC | (1 << 25) | (3 << 16)); // BSEX + BSIZE 3: 4 KiB buffers
    sink.inject(make_frame(MAC_A, MAC_B, 1600));
    expect(nic.rd(REG.RDH)).toBe(0);
    expect(nic.rd(STAT.ROC)).toBe(1);
    nic.wr(REG.RCTL, RX_BASIC | RCTL_LPE | (1 << 25) | (3 << 16));
    sink.inject(make_frame(MAC_A, MAC_B, 1600));
    expect(nic.rd(REG.RDH)).toBe(1);
  });

  it("writes the real CRC-32 after the data when CRC stripping is off", () => {
    const { nic, sink } = wired();
    nic.setup_rx(8, RCTL_EN | RCTL_BAM);
    const f = make_frame(MAC_A, MAC_B, 100);
    sink.inject(f);
    const d = nic.rx_desc(0);
    expect(d.len).toBe(118);
    const fcs = crc32(f, 0, f.length);
    expect([...d.data.subarray(114)]).toEqual([fcs & 0xff, (fcs >>> 8) & 0xff, (fcs >>> 16) & 0xff, fcs >>> 24]);
  });

  it("a full ring holds frames in the RX FIFO (RNBC, no MPC/RXO), never writes a descriptor the driver owns, and delivers them on RDT", () => {
    const { nic, sink, m } = wired();
    nic.setup_rx(8, RX_BASIC); // RDT = 7: descriptors 0-6 belong to the device
    nic.wr(REG.IMS, ICR_RXO);
    const owned = m.mem.u8.slice(nic.rx_ring + 7 * 16, nic.rx_ring + 8 * 16);
    const owned_buf = m.mem.u8.slice(nic.rx_bufs + 7 * 2048, nic.rx_bufs + 8 * 2048);
    for (let i = 0; i < 10; i++) sink.inject(make_frame(MAC_A, MAC_B, 100, 0x88b5, i));
    expect(nic.rd(REG.RDH)).toBe(7);
    expect(nic.rd(STAT.MPC)).toBe(0); // the 48 KiB FIFO holds the other 3 (SDM 13.7 RNBC)
    expect(nic.rd(STAT.RNBC)).toBe(3);
    expect(nic.rd(REG.ICR) & ICR_RXO).toBe(0);
    expect(m.mem.u8.slice(nic.rx_ring + 7 * 16, nic.rx_ring + 8 * 16)).toEqual(owned);
    expect(m.mem.u8.slice(nic.rx_bufs + 7 * 2048, nic.rx_bufs + 8 * 2048)).toEqual(owned_buf);
    // The driver hands back descriptors 7, 0, 1, 2: the waiting frames come out in order, then a new one.
    for (let i = 0; i < 3; i++) nic.m.mem.view.setUint8(nic.rx_ring + i * 16 + 12, 0);
    nic.wr(REG.RDT, 3);
    expect(nic.rd(REG.RDH)).toBe(2);
    expect([7, 0, 1].map((i) => nic.rx_desc(i).data[14])).toEqual([7, 8, 9]); // payload byte 0 is the seed
    sink.inject(make_frame(MAC_A, MAC_B, 100, 0x88b5, 99));
    expect(nic.rd(REG.RDH)).toBe(3);
    expect(nic.rx_desc(2).data[14]).toBe(99);
    expect(nic.rd(STAT.GPRC)).toBe(11);
  });

  it("warns once when a frame arrives and RDT was never advanced", () => {
    const { nic, sink, m } = wired();
    nic.wr(REG.RDBAL, nic.rx_ring);
    nic.wr(REG.RDLEN, 128);
    nic.wr(REG.RCTL, RX_BASIC);
    sink.inject(make_frame(MAC_A, MAC_B, 50));
    sink.inject(make_frame(MAC_A, MAC_B, 50));
    expect(m.tracer.history.filter((l) => /RDT was never written/.test(l)).length).toBe(1);
  });

  it("warns about classic set-up mistakes: ring length, BAM", () => {
    const { nic, m } = wired();
    nic.wr(REG.RDLEN, 100);
    nic.wr(REG.RCTL, RCTL_EN);
    const w = m.tracer.history.join("\n");
    expect(w).toMatch(/RDLEN=100 is not a multiple of 128/);
    expect(w).toMatch(/RCTL.BAM clear: broadcast frames \(ARP, DHCP\) will be dropped/);
    expect(nic.rd(REG.RDLEN)).toBe(0);
  });
});

describe("e1000 loopback, DMA rules and the wire", () => {
  it("MAC loopback (RCTL.LBM) returns exactly the bytes sent", () => {
    const { nic, sink } = wired();
    nic.setup_rx(16, RX_BASIC | RCTL_LBM_MAC);
    nic.setup_tx(16, TCTL_EN);
    const frames = [60, 61, 500, 1514].map((n, i) => make_frame(MAC_A, MAC_A, n - 14, 0x88b5, i));
    for (const f of frames) nic.send(f);
    nic.drain();
    expect(frames.map((_, i) => nic.rx_desc(i).data)).toEqual(frames);
    expect(sink.frames.length).toBe(0); // nothing went to the wire
  });

  it("with Bus Master off, neither transmits nor receives, and says why once", () => {
    const { nic, sink, m } = wired();
    nic.setup_rx(8, RX_BASIC);
    nic.setup_tx(8, TCTL_EN);
    nic.cfg_write16(0x04, 0x0002); // MEM only
    nic.send(make_frame(MAC_B, MAC_A, 50));
    sink.inject(make_frame(MAC_A, MAC_B, 50));
    expect(sink.frames.length).toBe(0);
    expect(nic.rd(REG.TDH)).toBe(0);
    expect(nic.rd(REG.RDH)).toBe(0);
    expect(m.tracer.history.filter((l) => /Bus Master disabled/.test(l)).length).toBe(1);
    nic.cfg_write16(0x04, 0x0006);
    nic.wr(REG.TDT, nic.tx_tail);
    nic.drain();
    expect(sink.frames.length).toBe(1);
  });

  it("reports DMA to addresses outside memory as a master abort and keeps working", () => {
    const { nic, sink, m } = wired();
    nic.setup_tx(8, TCTL_EN);
    nic.wr(REG.TDBAL, 0xf0000000); // no RAM there
    expect(() => nic.send(make_frame(MAC_B, MAC_A, 50))).not.toThrow();
    expect(nic.dev.dma_errors).toBe(1);
    expect(nic.dev.config[0x07]! & 0x20).toBe(0x20); // PCI Status: Received Master Abort
    expect(m.mem.bus_errors).toBe(1);
    expect(m.tracer.history.join("\n")).toMatch(/TX descriptor read at 0xf0000000 is outside physical memory/);
    nic.setup_tx(8, TCTL_EN);
    nic.send(make_frame(MAC_B, MAC_A, 50));
    expect(sink.frames.length).toBe(1);
  });

  it("statistics clear on read; 64-bit octet counters clear when the high half is read", () => {
    const { nic, sink } = wired();
    nic.setup_rx(8, RX_BASIC);
    sink.inject(make_frame(MAC_A, MAC_B, 100));
    expect(nic.rd(STAT.GORCL)).toBe(118);
    expect(nic.rd(STAT.GORCL)).toBe(118); // low half alone does not clear
    expect(nic.rd(STAT.GORCH)).toBe(0);
    expect(nic.rd(STAT.GORCL)).toBe(0);
    expect(nic.rd(STAT.PRC127)).toBe(1);
    expect(nic.rd(STAT.PRC127)).toBe(0);
  });

  it("two NICs on a hub exchange frames, programmed only through registers and descriptors", () => {
    const { nics } = nic_machine([MAC_A, MAC_B]);
    const [a, b] = nics as [typeof nics[0], typeof nics[0]];
    const hub = new Hub();
    net_connect(hub.port(), a.dev);
    net_connect(hub.port(), b.dev);
    for (const n of [a, b]) {
      n.setup_rx(32, RX_BASIC);
      n.setup_tx(32, TCTL_EN | TCTL_PSP);
      n.wr(REG.IMS, ICR_RXT0);
    }
    const ab = Array.from({ length: 20 }, (_, i) => make_frame(MAC_B, MAC_A, 46 + i * 50, 0x88b5, i));
    const ba = Array.from({ length: 20 }, (_, i) => make_frame(MAC_A, MAC_B, 1500 - i * 50, 0x88b5, 100 + i));
    for (let i = 0; i < 20; i++) {
      a.queue_tx(ab[i]!);
      b.queue_tx(ba[i]!);
    }
    a.wr(REG.TDT, a.tx_tail);
    b.wr(REG.TDT, b.tx_tail);
    a.drain();
    expect(b.irq_asserted && a.irq_asserted).toBe(true);
    expect(Array.from({ length: 20 }, (_, i) => b.rx_desc(i).data)).toEqual(ab);
    expect(Array.from({ length: 20 }, (_, i) => a.rx_desc(i).data)).toEqual(ba);
    expect(a.rd(STAT.GPTC)).toBe(20);
    expect(b.rd(STAT.GPRC)).toBe(20);
  });
});

describe("e1000 construction", () => {
  it("keeps its MAC in the EEPROM and RA[0] for any address", () => {
    const { m } = nic_machine([]);
    const dev = new E1000(m.clock, { mac: Uint8Array.of(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee) });
    expect(dev.reg_read(REG.RA)).toBe(0xccbbaa02);
    expect(dev.reg_read(REG.RA + 4)).toBe(0x8000eedd);
  });
});
