/**
 * Hostile input against the 82540EM model, at register level: frames longer than the receiver can
 * hold (the 17,000-byte RCTL.SBP frame that used to throw a RangeError), runts, rings programmed to
 * point anywhere, and the bus boundary that turns an exception inside a model into device state.
 * Nothing here may throw out of the machine.
 */
import { describe, expect, it, vi } from "vitest";
import { MEMORY_MAP } from "../../hw/firmware.ts";
import { PCI_STATUS_SIG_TARGET_ABORT } from "../../hw/pci/pci_device.ts";
import {
  CTRL_RST,
  RCTL_BAM,
  RCTL_EN,
  RCTL_LPE,
  RCTL_SBP,
  RCTL_SECRC,
  RCTL_UPE,
  REG,
  RXD_STAT_EOP,
  STAT,
  TCTL_EN,
} from "../../hw/net/e1000_regs.ts";
import { E1000_MAX_RX_FRAME } from "../../hw/net/e1000_rx.ts";
import { net_connect } from "../../hw/net/net_endpoint.ts";
import { BROADCAST, MAC_A, MAC_B, make_frame, nic_machine, wired } from "../helpers/nic_harness.ts";


/** A small deterministic PRNG (mulberry32): every failure replays from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("e1000 oversize and undersize frames", () => {
  it("a 17,000-byte frame with SBP set and SECRC clear is counted in ROC and dropped, not thrown", () => {
    const { nic, m } = wired();
    nic.setup_rx(16, RCTL_EN | RCTL_BAM | RCTL_SBP | RCTL_LPE); // SECRC clear: the FCS goes to memory too
    for (const len of [17_000, 65_536, 69_632]) {
      expect(nic.dev.receive_frame(make_frame(MAC_A, MAC_B, len - 14), len)).toBe(true); // heard: counted by the model
    }
    expect(nic.rd(STAT.ROC)).toBe(3);
    expect(nic.rd(STAT.TPR)).toBe(3);
    expect(nic.rd(STAT.GPRC)).toBe(0);
    expect(nic.rd(REG.RDH)).toBe(0); // nothing reached memory
    expect(nic.dev.model_errors).toBe(0);
    const warnings = m.tracer.history.filter((l) => /receiver holds at most 16384/.test(l));
    expect(warnings.length).toBe(1); // one-time
    expect(warnings[0]).toMatch(/a frame of 17000 bytes arrived/);
  });

  it("without SBP the same frame is ROC too; with SBP clear and LPE clear anything over 1518 is", () => {
    const { nic, sink } = wired();
    nic.setup_rx(16, RCTL_EN | RCTL_BAM);
    sink.inject(make_frame(MAC_A, MAC_B, 17_000 - 14));
    sink.inject(make_frame(MAC_A, MAC_B, 1519 - 14));
    expect(nic.rd(STAT.ROC)).toBe(2);
  });

  it("the largest frame the receiver holds (16384 bytes, SBP, CRC kept) spans nine 2 KiB buffers", () => {
    const { nic, sink } = wired();
    nic.setup_rx(16, RCTL_EN | RCTL_BAM | RCTL_SBP | RCTL_LPE);
    const f = make_frame(MAC_A, MAC_B, E1000_MAX_RX_FRAME - 14);
    sink.inject(f);
    expect(nic.rd(STAT.GPRC)).toBe(1);
    expect(nic.rd(REG.RDH)).toBe(9); // 16384 + 4 FCS bytes = 8 × 2048 + 4
    expect(nic.rx_desc(8).len).toBe(4);
    expect(nic.rx_desc(8).status & RXD_STAT_EOP).toBe(RXD_STAT_EOP);
    expect(nic.rx_desc(0).data).toEqual(f.subarray(0, 2048));
  });

  it("frames under 14 bytes are padded to 60 like any short frame (the sender's MAC pads on a real wire); a length longer than the buffer is cut, not trusted", () => {
    const { nic, sink } = wired();
    nic.setup_rx(8, RCTL_EN | RCTL_BAM | RCTL_SECRC);
    for (let n = 0; n < 14; n++) sink.peer!.receive_frame(new Uint8Array(n), n);
    expect(nic.rd(STAT.RUC)).toBe(0);
    expect(nic.dev.rx.filtered).toBe(14); // padded with zeros: addressed to 00:00:00:00:00:00
    const f = make_frame(BROADCAST, MAC_B, 46);
    expect(() => nic.dev.receive_frame(f, 100_000)).not.toThrow(); // claims more than it has
    expect(() => nic.dev.receive_frame(f, -5)).not.toThrow();
    expect(() => nic.dev.receive_frame(f, Number.NaN)).not.toThrow();
    expect(nic.rd(STAT.GPRC)).toBe(1);
    expect(nic.rx_desc(0).len).toBe(60);
    expect(nic.dev.rx.filtered).toBe(16); // -5 and NaN became empty frames, padded and refused
  });

  it("TPR/TOR count the frames the address filter refuses; GPRC only those it accepts", () => {
    const { nic, sink } = wired();
    nic.setup_rx(8, RCTL_EN | RCTL_BAM | RCTL_SECRC);
    const other = Uint8Array.of(0x52, 0x54, 0, 0x99, 0x99, 0x99);
    for (let i = 0; i < 5; i++) sink.inject(make_frame(other, MAC_B, 100));
    sink.inject(make_frame(MAC_A, MAC_B, 100));
    expect(nic.rd(STAT.TPR)).toBe(6);
    expect(nic.rd(STAT.GPRC)).toBe(1);
    expect(nic.rd(STAT.TORL)).toBe(6 * 118);
    expect(nic.dev.rx.filtered).toBe(5);
    nic.wr(REG.RCTL, RCTL_EN | RCTL_BAM | RCTL_SECRC | RCTL_UPE); // promiscuous: now they pass
    sink.inject(make_frame(other, MAC_B, 100));
    expect(nic.rd(STAT.GPRC)).toBe(1);
  });
});

describe("e1000 hostile ring programming", () => {
  it("rings anywhere: beyond 4 GiB, in holes, over MMIO, unaligned lengths, head and tail past the end", () => {
    const { nic, sink, m } = wired();
    const bases: [number, number][] = [
      [0xfffffff0, 0], // the top of the 32-bit space
      [0, 1], // just past 4 GiB
      [0xffffffff, 0xffffffff], // the last address of 64 bits
      [MEMORY_MAP.ECAM_BASE, 0], // the config window
      [nic.bar, 0], // our own registers
      [(m.mem.size - 16) >>> 0, 0], // the ring runs off the end of RAM
    ];
    for (const [lo, hi] of bases) {
      for (const len of [0, 1, 127, 128, 0x7fff_ffff, 0xffffffff]) {
        for (const [h, t] of [[0, 1], [5, 3], [0xffff, 0], [7, 0xffffffff]] as const) {
          expect(() => {
            nic.wr(REG.RDBAL, lo);
            nic.wr(REG.RDBAH, hi);
            nic.wr(REG.RDLEN, len);
            nic.wr(REG.RDH, h);
            nic.wr(REG.RDT, t);
            nic.wr(REG.RCTL, RCTL_EN | RCTL_BAM | RCTL_SBP | RCTL_LPE);
            nic.wr(REG.TDBAL, lo);
            nic.wr(REG.TDBAH, hi);
            nic.wr(REG.TDLEN, len);
            nic.wr(REG.TDH, h);
            nic.wr(REG.TCTL, TCTL_EN);
            nic.wr(REG.TDT, t);
            sink.inject(make_frame(BROADCAST, MAC_B, 3000));
            nic.drain();
          }).not.toThrow();
        }
      }
    }
    expect(nic.dev.model_errors).toBe(0);
    expect(nic.dev.dma_errors).toBeGreaterThan(0);
    // Reset and program sane rings: the device works again.
    nic.wr(REG.CTRL, CTRL_RST);
    nic.setup_rx(8, RCTL_EN | RCTL_BAM | RCTL_SECRC);
    nic.setup_tx(8, TCTL_EN);
    sink.inject(make_frame(MAC_A, MAC_B, 100));
    nic.send(make_frame(MAC_B, MAC_A, 100));
    expect(nic.rd(STAT.GPRC)).toBe(1);
    expect(sink.frames.length).toBeGreaterThan(0);
  });

  it("10,000 random register writes and frames (seeded) never throw and leave no model error", () => {
    const { nic, sink } = wired();
    const seed = 0x5eed;
    const rnd = prng(seed);
    const regs = [REG.CTRL, REG.RCTL, REG.TCTL, REG.RDBAL, REG.RDBAH, REG.RDLEN, REG.RDH, REG.RDT, REG.TDBAL, REG.TDBAH, REG.TDLEN, REG.TDH, REG.TDT, REG.ICS, REG.IMS, REG.ITR, REG.RDTR, REG.RADV, REG.TIDV, REG.TADV, REG.MDIC, REG.EECD, REG.EERD, REG.VET];
    // Memory the rings may point at is full of random descriptors.
    const u8 = nic.m.mem.u8;
    for (let a = nic.rx_ring; a < nic.rx_ring + 0x2000; a++) u8[a] = (rnd() * 256) | 0;
    for (let op = 0; op < 10_000; op++) {
      const r = rnd();
      try {
        if (r < 0.6) {
          const reg = regs[(rnd() * regs.length) | 0]!;
          const v = rnd() < 0.3 ? [0, 0xffffffff, 0x80000000, nic.rx_ring, nic.tx_ring, 1 << 20][(rnd() * 6) | 0]! : (rnd() * 2 ** 32) >>> 0;
          nic.wr(reg === REG.CTRL ? reg : reg, reg === REG.CTRL ? v & ~CTRL_RST : v);
        } else if (r < 0.7) {
          nic.wr((((rnd() * 0x20000) | 0) & ~3) >>> 0, (rnd() * 2 ** 32) >>> 0);
        } else if (r < 0.95) {
          const len = rnd() < 0.1 ? (rnd() * 70_000) | 0 : (rnd() * 1600) | 0;
          const f = new Uint8Array(len);
          for (let i = 0; i < Math.min(len, 64); i++) f[i] = (rnd() * 256) | 0;
          if (rnd() < 0.5 && len >= 6) f.set(MAC_A, 0);
          sink.inject(f);
        } else {
          nic.m.clock.advance_to(nic.m.clock.now_ns() + ((rnd() * 1e6) | 0));
        }
      } catch (e) {
        throw new Error(`seed 0x${seed.toString(16)} op ${op}: ${(e as Error).stack}`);
      }
    }
    expect(nic.dev.model_errors).toBe(0);
  });
});

describe("the bus boundary around a device model", () => {
  it("an exception inside the model is caught where the bus enters it: counted, one warning, Target Abort", () => {
    const { nic, m, sink } = wired();
    const dev = nic.dev;
    const spy = vi.spyOn(dev, "reg_write").mockImplementation(() => {
      throw new RangeError("offset is out of bounds");
    });
    expect(() => nic.wr(REG.RDT, 5)).not.toThrow();
    expect(() => nic.wr(REG.RDT, 6)).not.toThrow();
    expect(dev.model_errors).toBe(2);
    const lines = m.tracer.history.filter((l) => /device model error/.test(l));
    expect(lines.length).toBe(1);
    expect(lines[0]).toMatch(/MMIO write of 0x5 to RDT \(0x02818\): RangeError: offset is out of bounds/);
    expect(dev.config_read(0x06, 2) & PCI_STATUS_SIG_TARGET_ABORT).toBe(PCI_STATUS_SIG_TARGET_ABORT);
    spy.mockRestore();

    vi.spyOn(dev, "reg_read").mockImplementation(() => {
      throw new TypeError("boom");
    });
    expect(nic.rd(REG.STATUS)).toBe(0xffffffff); // an aborted read returns all ones
    vi.restoreAllMocks();

    vi.spyOn(dev, "stat_inc").mockImplementation(() => {
      throw new Error("inside the receive path");
    });
    nic.setup_rx(8, RCTL_EN | RCTL_BAM | RCTL_SECRC);
    expect(() => sink.inject(make_frame(MAC_A, MAC_B, 100))).not.toThrow();
    vi.restoreAllMocks();

    vi.spyOn(dev, "config_read").mockImplementation(() => {
      throw new Error("config");
    });
    expect(m.mmio.read(MEMORY_MAP.ECAM_BASE + (dev.devfn << 12), 4)).toBe(0xffffffff);
    vi.restoreAllMocks();
    expect(dev.model_errors).toBe(5);
    expect(nic.rd(REG.STATUS) & 2).toBe(2); // and it still works
  });
});

describe("link down: nothing sent, nothing heard, everything counted", () => {
  it("with the link down the transmitter stops (no DD, no TPT); it resumes when the link returns", () => {
    const { nic, sink } = wired();
    nic.setup_tx(8, TCTL_EN);
    nic.dev.set_link(false);
    const i = nic.send(make_frame(MAC_B, MAC_A, 100));
    expect(nic.tx_status(i) & 1).toBe(0);
    expect(nic.rd(REG.TDH)).toBe(0);
    expect(nic.rd(STAT.TPT)).toBe(0);
    expect(sink.frames.length).toBe(0);
    nic.dev.set_link(true); // autonegotiation, then the link is up and the transmitter goes on
    nic.m.clock.advance_to(nic.m.clock.now_ns() + 600e6);
    expect(nic.tx_status(i) & 1).toBe(1);
    expect(nic.rd(STAT.TPT)).toBe(1);
    expect(sink.frames.length).toBe(1);
  });

  it("MAC loopback forces the link for the transmitter", () => {
    const { nic } = wired();
    nic.setup_rx(8, RCTL_EN | RCTL_BAM | RCTL_SECRC | 0x40 /* LBM MAC */);
    nic.setup_tx(8, TCTL_EN);
    nic.dev.set_link(false);
    nic.send(make_frame(MAC_A, MAC_A, 100));
    expect(nic.rd(STAT.GPRC)).toBe(1);
  });

  it("a frame reaching a NIC whose PHY is down is refused, and the hub counts it on that port", async () => {
    const { Hub } = await import("../../hw/net/hub.ts");
    const { nics } = nic_machine([MAC_A, MAC_B]);
    const [a, b] = nics as [(typeof nics)[0], (typeof nics)[0]];
    const hub = new Hub();
    net_connect(hub.port(), a.dev);
    net_connect(hub.port(), b.dev);
    a.setup_tx(8, TCTL_EN);
    b.setup_rx(8, RCTL_EN | RCTL_BAM | RCTL_SECRC);
    b.dev.set_link(false);
    for (let i = 0; i < 3; i++) a.send(make_frame(MAC_B, MAC_A, 100));
    expect(b.rd(STAT.TPR)).toBe(0);
    expect(hub.ports[1]!.dropped_no_link).toBe(3);
    expect(hub.ports[1]!.describe()).toMatch(/dropped_no_link=3/);
  });
});

describe("socket back-ends and a NIC without link", () => {
  it("frames from outside that reach a NIC whose PHY is down are counted dropped_no_link, never rx", async () => {
    const { SocketBackend } = await import("../../hw/net/netdev_socket.ts");
    class TestBackend extends SocketBackend {
      connected(): boolean {
        return true;
      }
      protected send(): void {}
      start(): Promise<string | null> {
        return Promise.resolve(null);
      }
      stop(): void {}
      where(): string {
        return "test";
      }
      push(f: Uint8Array): void {
        this.enqueue(f);
      }
    }
    const { nic, m } = (() => {
      const env = nic_machine();
      return { nic: env.nics[0]!, m: env.m };
    })();
    const b = new TestBackend("t0", m.clock, m.tracer, () => {});
    net_connect(b, nic.dev);
    nic.setup_rx(8, RCTL_EN | RCTL_BAM | RCTL_SECRC);
    b.push(make_frame(MAC_A, MAC_B, 100));
    m.clock.advance_to(m.clock.now_ns() + 1000);
    nic.dev.set_link(false);
    for (let i = 0; i < 4; i++) b.push(make_frame(MAC_A, MAC_B, 100));
    b.push(make_frame(MAC_A, MAC_B, 69_632 - 14)); // the largest record QEMU's framing allows
    m.clock.advance_to(m.clock.now_ns() + 1000);
    expect(b.stats.rx_frames).toBe(1);
    expect(b.stats.dropped_no_link).toBe(5);
    expect(b.describe()).toMatch(/no_link=5/);
    nic.dev.set_link(true);
    m.clock.advance_to(m.clock.now_ns() + 600e6);
    b.push(make_frame(MAC_A, MAC_B, 69_632 - 14));
    m.clock.advance_to(m.clock.now_ns() + 1000);
    expect(b.stats.rx_frames).toBe(2);
    expect(nic.rd(STAT.ROC)).toBe(1); // heard, too long: the model counts it
    expect(nic.rd(STAT.GPRC)).toBe(1);
  });
});
