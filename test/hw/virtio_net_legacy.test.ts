/**
 * The transitional and legacy-only virtio-net-pci, register level: the legacy header is driven
 * only through config space, I/O-port accesses to BAR0 and rings in physical memory, as a legacy
 * driver (Linux virtio_pci_legacy) would (virtio 1.2 §4.1.4.8, §2.7.2; QEMU virtio_ioport_*).
 */
import { describe, expect, it } from "vitest";
import {
  PCI_CAP_ID_MSIX,
  PCI_CAPABILITY_LIST,
  PCI_COMMAND,
  PCI_COMMAND_IO,
  PCI_COMMAND_MASTER,
  PCI_COMMAND_MEMORY,
  PCI_MSIX_FLAGS,
  PCI_MSIX_FLAGS_ENABLE,
} from "../../include/kernel/pci.ts";
import {
  VIRTIO_CONFIG_S_ACKNOWLEDGE,
  VIRTIO_CONFIG_S_DRIVER,
  VIRTIO_CONFIG_S_DRIVER_OK,
  VIRTIO_CONFIG_S_FEATURES_OK,
  VIRTIO_F_ANY_LAYOUT,
  VIRTIO_RING_F_EVENT_IDX,
  VIRTIO_RING_F_INDIRECT_DESC,
} from "../../include/uapi/linux/virtio_config.ts";
import * as C from "../../include/uapi/linux/virtio_pci.ts";
import { VIRTIO_NET_F_CTRL_MAC_ADDR, VIRTIO_NET_F_MAC, VIRTIO_NET_F_MRG_RXBUF, VIRTIO_NET_F_STATUS } from "../../include/uapi/linux/virtio_net.ts";
import { plug_device } from "../../boot/board.ts";
import { MEMORY_MAP } from "../../hw/firmware.ts";
import type { Machine } from "../../hw/machine.ts";
import { net_connect } from "../../hw/net/net_endpoint.ts";
import { VirtioNet } from "../../hw/net/virtio_net.ts";
import * as L from "../../include/uapi/linux/virtio_pci.ts";
import { World } from "../../hw/world.ts";
import { MAC_A, MAC_B, make_frame, Sink } from "../helpers/nic_harness.ts";
import { bit, DrvRing, RX_BUFS, TX_BUFS } from "../helpers/virtio_harness.ts";

const S_ACK_DRIVER = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;
const LEGACY_BASIC = bit(VIRTIO_NET_F_MAC) | bit(VIRTIO_NET_F_STATUS);
const RING0 = 0x400000;
const RING1 = 0x410000;

/** A legacy driver's view: config space by ECAM, the header by port I/O, rings by memory. */
class LegacyDrv {
  readonly m: Machine;
  readonly dev: VirtioNet;
  readonly io: number;
  readonly ecam: number;
  constructor(m: Machine, dev: VirtioNet) {
    this.m = m;
    this.dev = dev;
    this.io = dev.bar_address(0);
    this.ecam = MEMORY_MAP.ECAM_BASE + (dev.devfn << 12);
  }
  cfg_read(off: number, w: 1 | 2 | 4): number {
    return this.m.mmio.read(this.ecam + off, w);
  }
  cfg_write(off: number, w: 1 | 2 | 4, v: number): void {
    this.m.mmio.write(this.ecam + off, w, v >>> 0);
  }
  in(off: number, w: 1 | 2 | 4): number {
    return this.m.io.read(this.io + off, w);
  }
  out(off: number, w: 1 | 2 | 4, v: number): void {
    this.m.io.write(this.io + off, w, v >>> 0);
  }
  get status(): number {
    return this.in(L.VIRTIO_PCI_STATUS, 1);
  }
  /** Reset, ACK, DRIVER, guest features (no FEATURES_OK: legacy). */
  negotiate(features: number): void {
    this.out(L.VIRTIO_PCI_STATUS, 1, 0);
    this.out(L.VIRTIO_PCI_STATUS, 1, VIRTIO_CONFIG_S_ACKNOWLEDGE);
    this.out(L.VIRTIO_PCI_STATUS, 1, S_ACK_DRIVER);
    this.out(L.VIRTIO_PCI_GUEST_FEATURES, 4, features);
  }
  /** Select queue `q`, read its fixed size, lay its ring out at `base` (legacy layout) and write the PFN. */
  setup_queue(q: number, base: number): DrvRing {
    this.out(L.VIRTIO_PCI_QUEUE_SEL, 2, q);
    const num = this.in(L.VIRTIO_PCI_QUEUE_NUM, 2);
    const r = new DrvRing(this.m, base, num); // desc, avail, used at the next 4 KiB: the legacy layout
    this.out(L.VIRTIO_PCI_QUEUE_PFN, 4, base / 4096);
    return r;
  }
  driver_ok(): void {
    this.out(L.VIRTIO_PCI_STATUS, 1, S_ACK_DRIVER | VIRTIO_CONFIG_S_DRIVER_OK);
  }
  bring_up(features: number): { rx: DrvRing; tx: DrvRing } {
    this.negotiate(features);
    const rx = this.setup_queue(0, RING0);
    const tx = this.setup_queue(1, RING1);
    this.driver_ok();
    return { rx, tx };
  }
  kick(q: number): void {
    this.out(L.VIRTIO_PCI_QUEUE_NOTIFY, 2, q);
  }
  /** Device config byte `off` at the offset the MSI-X state says (20, or 24 with MSI-X on). */
  cfg_byte(off: number): number {
    const msix = (this.cfg_read(0x98 + PCI_MSIX_FLAGS, 2) & PCI_MSIX_FLAGS_ENABLE) !== 0;
    return this.in(L.VIRTIO_PCI_CONFIG_OFF(msix) + off, 1);
  }
}

function legacy_machine(opts: { disable_modern?: boolean } = {}): { m: Machine; dev: VirtioNet; drv: LegacyDrv; sink: Sink } {
  const world = new World();
  const m = world.add_machine({ mem_size: 64 << 20 });
  const dev = new VirtioNet(m.clock, { mac: MAC_A, name: "virtio-net.0", disable_legacy: false, disable_modern: opts.disable_modern ?? false });
  m.pci.plug(dev, 3);
  m.platform();
  const drv = new LegacyDrv(m, dev);
  drv.cfg_write(PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
  m.ioapic.unmask(dev.irq_pin!.gsi);
  const sink = new Sink();
  net_connect(sink, dev);
  return { m, dev, drv, sink };
}

function caps(drv: LegacyDrv): number[][] {
  const out: number[][] = [];
  for (let p = drv.cfg_read(PCI_CAPABILITY_LIST, 1); p !== 0; p = drv.cfg_read(p + 1, 1)) out.push([p, drv.cfg_read(p, 1)]);
  return out;
}

/** Post `frame` behind a zero header of `hdr` bytes, as one descriptor. */
function post_tx(drv: LegacyDrv, tx: DrvRing, frame: Uint8Array, hdr: number, slot = 0): number {
  const buf = TX_BUFS + slot * 0x1000;
  drv.m.mem.u8.fill(0, buf, buf + hdr);
  drv.m.mem.u8.set(frame, buf + hdr);
  return tx.add([{ addr: buf, len: hdr + frame.length }]);
}

function rx_bytes(drv: LegacyDrv, slot: number, len: number): Uint8Array {
  return drv.m.mem.u8.slice(RX_BUFS + slot * 0x1000, RX_BUFS + slot * 0x1000 + len);
}

describe("transitional virtio-net-pci: identity", () => {
  it("is 1AF4:1000 rev 0, subsystem 1AF4:0001, BAR0 an I/O BAR of 64 bytes, with the modern capabilities and BARs as the modern device has them", () => {
    const { drv, dev } = legacy_machine();
    expect(drv.cfg_read(0, 4)).toBe(0x10001af4);
    expect(drv.cfg_read(8, 4)).toBe(0x02000000); // class 020000, revision 0
    expect(drv.cfg_read(0x2c, 4)).toBe(0x00011af4);
    expect(drv.cfg_read(0x10, 4) & 1).toBe(1); // I/O space indicator
    drv.cfg_write(PCI_COMMAND, 2, 0);
    const saved = drv.cfg_read(0x10, 4);
    drv.cfg_write(0x10, 4, 0xffffffff);
    expect(drv.cfg_read(0x10, 4) >>> 0).toBe(0xffffffc1); // 64 bytes: 24 of header + 10 of config, rounded up
    drv.cfg_write(0x10, 4, saved);
    expect(caps(drv)).toEqual([
      [0x98, PCI_CAP_ID_MSIX],
      [0x84, 0x09],
      [0x70, 0x09],
      [0x60, 0x09],
      [0x50, 0x09],
      [0x40, 0x09],
    ]);
    expect(dev.bar_address(4)).not.toBe(0);
    expect(drv.cfg_read(0x20, 4) & 0xf).toBe(0xc); // BAR4: 64-bit prefetchable, as modern
  });

  it("disable_modern: the legacy-only function has no vendor capabilities and no BAR4", () => {
    const { drv, dev } = legacy_machine({ disable_modern: true });
    expect(drv.cfg_read(0, 4)).toBe(0x10001af4);
    expect(caps(drv)).toEqual([[0x40, PCI_CAP_ID_MSIX]]);
    expect(dev.bars[4]).toBeUndefined();
    expect(drv.cfg_read(0x20, 4)).toBe(0);
  });

  it("the default stays the modern-only 1AF4:1041 rev 1 with no I/O BAR", () => {
    const world = new World();
    const m = world.add_machine({ mem_size: 16 << 20 });
    const dev = new VirtioNet(m.clock, { mac: MAC_A });
    m.pci.plug(dev, 3);
    expect(dev.config_read(0, 4)).toBe(0x10411af4);
    expect(dev.config_read(8, 1)).toBe(1);
    expect(dev.bars[0]).toBeUndefined();
  });
});

describe("legacy header: features, queues, status", () => {
  it("host features are bits 0–31 of the offer plus ANY_LAYOUT, never VERSION_1; guest features read back as accepted", () => {
    const { drv, dev, m } = legacy_machine();
    const host = drv.in(L.VIRTIO_PCI_HOST_FEATURES, 4);
    expect(host >>> 0).toBe((dev.host_features[0]! | bit(VIRTIO_F_ANY_LAYOUT)) >>> 0);
    expect(host & bit(VIRTIO_RING_F_EVENT_IDX)).not.toBe(0);
    drv.negotiate(LEGACY_BASIC | bit(VIRTIO_F_ANY_LAYOUT) | bit(22) /* MQ: not offered */);
    expect(drv.in(L.VIRTIO_PCI_GUEST_FEATURES, 4)).toBe((LEGACY_BASIC | bit(VIRTIO_F_ANY_LAYOUT)) >>> 0);
    expect(dev.has_feature(VIRTIO_NET_F_MAC)).toBe(true);
    expect(dev.features[1]).toBe(0);
    expect(dev.legacy_in_use).toBe(true);
    expect(m.tracer.history.join("\n")).toMatch(/legacy guest features 0x[0-9a-f]+ include bits the device did not offer \(0x400000; dropped/);
    // No FEATURES_OK step: DRIVER_OK sticks with ACK|DRIVER, and the status reads back as written.
    drv.driver_ok();
    expect(drv.status).toBe(S_ACK_DRIVER | VIRTIO_CONFIG_S_DRIVER_OK);
    expect(drv.status & VIRTIO_CONFIG_S_FEATURES_OK).toBe(0);
  });

  it("queue PFN: the ring is desc at PFN × 4096, avail right after, used at the next 4096; the size is read-only", () => {
    const { drv, dev, m } = legacy_machine();
    drv.negotiate(LEGACY_BASIC);
    drv.out(L.VIRTIO_PCI_QUEUE_SEL, 2, 0);
    expect(drv.in(L.VIRTIO_PCI_QUEUE_NUM, 2)).toBe(256);
    m.tracer.enable("unknown");
    drv.out(L.VIRTIO_PCI_QUEUE_NUM, 2, 128); // read-only: ignored
    expect(drv.in(L.VIRTIO_PCI_QUEUE_NUM, 2)).toBe(256);
    expect(m.tracer.history.join("\n")).toMatch(/write of 0x80 to legacy header \+0xc/);
    expect(drv.in(L.VIRTIO_PCI_QUEUE_PFN, 4)).toBe(0);
    drv.out(L.VIRTIO_PCI_QUEUE_PFN, 4, RING0 / 4096);
    expect(drv.in(L.VIRTIO_PCI_QUEUE_PFN, 4)).toBe(RING0 / 4096);
    const q0 = dev.queues[0]!;
    expect([q0.enabled, q0.desc, q0.avail, q0.used]).toEqual([true, RING0, RING0 + 4096, RING0 + 8192]);
    // The 64-entry control queue: avail at +1024, used at the next page.
    drv.out(L.VIRTIO_PCI_QUEUE_SEL, 2, 2);
    expect(drv.in(L.VIRTIO_PCI_QUEUE_NUM, 2)).toBe(64);
    drv.out(L.VIRTIO_PCI_QUEUE_PFN, 4, 0x420);
    const q2 = dev.queues[2]!;
    expect([q2.desc, q2.avail, q2.used]).toEqual([0x420000, 0x420400, 0x421000]);
    // No such queue: size 0.
    drv.out(L.VIRTIO_PCI_QUEUE_SEL, 2, 3);
    expect(drv.in(L.VIRTIO_PCI_QUEUE_NUM, 2)).toBe(0);
  });

  it("writing 0 to status resets: status, features, queues and vectors; so does a queue PFN of 0 (as QEMU)", () => {
    const { drv, dev } = legacy_machine();
    drv.bring_up(LEGACY_BASIC);
    expect(dev.queues[0]!.enabled).toBe(true);
    drv.out(L.VIRTIO_PCI_STATUS, 1, 0);
    expect(drv.status).toBe(0);
    expect(drv.in(L.VIRTIO_PCI_GUEST_FEATURES, 4)).toBe(0);
    drv.out(L.VIRTIO_PCI_QUEUE_SEL, 2, 0);
    expect(drv.in(L.VIRTIO_PCI_QUEUE_PFN, 4)).toBe(0);
    expect(dev.queues.every((q) => !q.enabled)).toBe(true);
    expect(dev.legacy_in_use).toBe(false);
    drv.bring_up(LEGACY_BASIC);
    drv.out(L.VIRTIO_PCI_QUEUE_SEL, 2, 1);
    drv.out(L.VIRTIO_PCI_QUEUE_PFN, 4, 0);
    expect(drv.status).toBe(0);
    expect(dev.queues.every((q) => !q.enabled)).toBe(true);
  });
});

describe("legacy header: frames and headers", () => {
  it("without MRG_RXBUF the header is the 10-byte virtio_net_hdr, both ways", () => {
    const { drv, dev, sink } = legacy_machine();
    const { rx, tx } = drv.bring_up(LEGACY_BASIC);
    expect(dev.guest_hdr_len).toBe(10);
    // TX: 10-byte header + frame; the wire gets exactly the frame.
    const out = make_frame(MAC_B, MAC_A, 100);
    post_tx(drv, tx, out, 10);
    drv.kick(1);
    expect(sink.frames).toEqual([out]);
    expect(tx.reap()).toEqual([{ id: 0, len: 0 }]);
    // RX: 10 bytes of header, the frame right after them, used len 10 + frame.
    drv.m.mem.u8.fill(0xee, RX_BUFS, RX_BUFS + 0x1000);
    rx.add([{ addr: RX_BUFS, len: 1524, write: true }]);
    drv.kick(0);
    const f = make_frame(MAC_A, MAC_B, 64);
    sink.inject(f);
    expect(rx.reap()).toEqual([{ id: 0, len: 10 + f.length }]);
    const got = rx_bytes(drv, 0, 10 + f.length + 2);
    expect(Array.from(got.subarray(0, 10))).toEqual(new Array(10).fill(0));
    expect(got.subarray(10, 10 + f.length)).toEqual(f);
    expect(Array.from(got.subarray(10 + f.length))).toEqual([0xee, 0xee]); // nothing past the used length
  });

  it("with MRG_RXBUF the header is 12 bytes, num_buffers 1 in the received one", () => {
    const { drv, dev, sink } = legacy_machine();
    const { rx, tx } = drv.bring_up(LEGACY_BASIC | bit(VIRTIO_NET_F_MRG_RXBUF));
    expect(dev.guest_hdr_len).toBe(12);
    const out = make_frame(MAC_B, MAC_A, 100);
    post_tx(drv, tx, out, 12);
    drv.kick(1);
    expect(sink.frames).toEqual([out]);
    rx.add([{ addr: RX_BUFS, len: 2048, write: true }]);
    const f = make_frame(MAC_A, MAC_B, 64);
    sink.inject(f);
    expect(rx.reap()).toEqual([{ id: 0, len: 12 + f.length }]);
    const got = rx_bytes(drv, 0, 12 + f.length);
    expect(got[10]! | (got[11]! << 8)).toBe(1);
    expect(got.subarray(12)).toEqual(f);
  });

  it("a legacy driver without CTRL_MAC_ADDR sets the MAC through device config; a modern one cannot", () => {
    const { drv, dev, m } = legacy_machine();
    drv.negotiate(LEGACY_BASIC);
    for (let i = 0; i < 6; i++) drv.out(L.VIRTIO_PCI_CONFIG_OFF(false) + i, 1, MAC_B[i]!);
    expect(Array.from(dev.mac)).toEqual(Array.from(MAC_B));
    expect(drv.cfg_byte(5)).toBe(MAC_B[5]);
    drv.negotiate(LEGACY_BASIC | bit(VIRTIO_NET_F_CTRL_MAC_ADDR)); // reset restores the configured MAC
    expect(Array.from(dev.mac)).toEqual(Array.from(MAC_A));
    drv.out(L.VIRTIO_PCI_CONFIG_OFF(false), 1, 0x02);
    expect(dev.mac[0]).toBe(MAC_A[0]);
    expect(m.tracer.history.join("\n")).toMatch(/write to device configuration \+0x0 ignored/);
  });
});

describe("legacy header: interrupts", () => {
  it("ISR: set with INTx on a used buffer, cleared by reading it, which lowers INTx", () => {
    const { drv, dev, sink } = legacy_machine();
    const { rx } = drv.bring_up(LEGACY_BASIC);
    rx.add([{ addr: RX_BUFS, len: 1524, write: true }]);
    expect(dev.irq_pin!.level).toBe(false);
    sink.inject(make_frame(MAC_A, MAC_B, 46));
    expect(dev.irq_pin!.level).toBe(true);
    expect(drv.in(L.VIRTIO_PCI_ISR, 1)).toBe(1);
    expect(dev.irq_pin!.level).toBe(false);
    expect(drv.in(L.VIRTIO_PCI_ISR, 1)).toBe(0);
    // A config change: ISR 0x3 and INTx again.
    dev.set_link(false);
    expect(dev.irq_pin!.level).toBe(true);
    expect(drv.in(L.VIRTIO_PCI_ISR, 1)).toBe(3);
    expect(drv.cfg_byte(6)).toBe(0); // status: link down
  });

  it("with MSI-X enabled the vector registers appear at 0x14/0x16 and device config moves from 0x14 to 0x18", () => {
    const { drv, m, sink } = legacy_machine();
    const bar1 = drv.dev.bar_address(1);
    for (const [n, vec] of [
      [0, 0x51],
      [1, 0x52],
    ] as const) {
      m.mmio.write(bar1 + 16 * n, 4, 0xfee00000);
      m.mmio.write(bar1 + 16 * n + 8, 4, vec);
      m.mmio.write(bar1 + 16 * n + 12, 4, 0);
    }
    expect(drv.in(0x14, 1)).toBe(MAC_A[0]); // MSI-X off: config at 0x14
    expect(drv.in(0x14 + 4, 1)).toBe(MAC_A[4]);
    drv.cfg_write(0x98 + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);
    expect(drv.in(L.VIRTIO_MSI_CONFIG_VECTOR, 2)).toBe(C.VIRTIO_MSI_NO_VECTOR);
    expect(drv.in(0x18, 1)).toBe(MAC_A[0]); // config now at 0x18
    drv.negotiate(LEGACY_BASIC);
    drv.out(L.VIRTIO_MSI_CONFIG_VECTOR, 2, 0);
    expect(drv.in(L.VIRTIO_MSI_CONFIG_VECTOR, 2)).toBe(0);
    drv.out(L.VIRTIO_PCI_QUEUE_SEL, 2, 0);
    drv.out(L.VIRTIO_MSI_QUEUE_VECTOR, 2, 9); // beyond the 4-entry table
    expect(drv.in(L.VIRTIO_MSI_QUEUE_VECTOR, 2)).toBe(C.VIRTIO_MSI_NO_VECTOR);
    drv.out(L.VIRTIO_MSI_QUEUE_VECTOR, 2, 1);
    expect(drv.in(L.VIRTIO_MSI_QUEUE_VECTOR, 2)).toBe(1);
    const rx = drv.setup_queue(0, RING0);
    drv.setup_queue(1, RING1);
    drv.driver_ok();
    rx.add([{ addr: RX_BUFS, len: 1524, write: true }]);
    sink.inject(make_frame(MAC_A, MAC_B, 46));
    expect(m.lapic.is_pending(0x52)).toBe(true);
    expect(drv.dev.irq_pin!.level).toBe(false); // no INTx under MSI-X
    drv.dev.set_link(false);
    expect(m.lapic.is_pending(0x51)).toBe(true);
  });
});

describe("legacy header: misuse", () => {
  it("mixing the legacy and modern interfaces is a one-time warning, not a crash", () => {
    const { drv, dev, m } = legacy_machine();
    drv.negotiate(LEGACY_BASIC);
    const bar4 = dev.bar_address(4);
    m.mmio.write(bar4 + C.VIRTIO_PCI_COMMON_STATUS, 1, S_ACK_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK);
    m.mmio.write(bar4 + C.VIRTIO_PCI_COMMON_GF, 4, 0);
    const warns = m.tracer.history.filter((l) => /mixes the legacy and modern interfaces/.test(l));
    expect(warns).toHaveLength(1);
    expect(warns[0]).toMatch(/started with the legacy one, now touched the modern one/);
    expect(dev.model_errors).toBe(0);
    // After a reset the driver may pick the other interface freely.
    m.mmio.write(bar4 + C.VIRTIO_PCI_COMMON_STATUS, 1, 0);
    m.mmio.write(bar4 + C.VIRTIO_PCI_COMMON_STATUS, 1, VIRTIO_CONFIG_S_ACKNOWLEDGE);
    expect(dev.legacy_in_use).toBe(false);
  });

  it("a modern driver on the transitional function must still take VERSION_1 (with a hint about the legacy interface)", () => {
    const { dev, m } = legacy_machine();
    const bar4 = dev.bar_address(4);
    m.mmio.write(bar4 + C.VIRTIO_PCI_COMMON_STATUS, 1, 0);
    m.mmio.write(bar4 + C.VIRTIO_PCI_COMMON_STATUS, 1, S_ACK_DRIVER);
    m.mmio.write(bar4 + C.VIRTIO_PCI_COMMON_GF, 4, LEGACY_BASIC);
    m.mmio.write(bar4 + C.VIRTIO_PCI_COMMON_STATUS, 1, S_ACK_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK);
    expect(m.mmio.read(bar4 + C.VIRTIO_PCI_COMMON_STATUS, 1)).toBe(S_ACK_DRIVER);
    expect(m.tracer.history.join("\n")).toMatch(/VERSION_1 not accepted \(a legacy driver must use the legacy interface\)/);
  });

  it("odd widths and offsets: acted on by start offset as QEMU, warned once; unknown offsets read all ones", () => {
    const { drv, m } = legacy_machine();
    expect(drv.in(L.VIRTIO_PCI_HOST_FEATURES, 1)).toBe(drv.in(L.VIRTIO_PCI_HOST_FEATURES, 4) & 0xff);
    expect(m.tracer.history.filter((l) => /legacy host features \(0x0\) accessed with 1 bytes/.test(l))).toHaveLength(1);
    expect(drv.in(0x01, 1)).toBe(0xff);
    expect(drv.in(0x11, 2)).toBe(0xffff);
    drv.out(0x03, 1, 0x12); // nothing there: ignored
    drv.out(L.VIRTIO_PCI_QUEUE_NOTIFY, 2, 7); // no such queue
    expect(drv.in(L.VIRTIO_PCI_QUEUE_NOTIFY, 2)).toBe(0xffff); // write-only
    expect(drv.dev.model_errors).toBe(0);
    expect(drv.dev.device_errors).toBe(0);
  });

  it("a ring written while live is ignored with a warning; notify before a PFN is warned and ignored", () => {
    const { drv, dev, m } = legacy_machine();
    drv.negotiate(LEGACY_BASIC | bit(VIRTIO_RING_F_INDIRECT_DESC));
    drv.driver_ok();
    drv.kick(0);
    expect(m.tracer.history.join("\n")).toMatch(/doorbell for queue 0 whose queue PFN is 0 \(ignored\)/);
    drv.setup_queue(0, RING0);
    drv.out(L.VIRTIO_PCI_QUEUE_PFN, 4, RING1 / 4096);
    expect(dev.queues[0]!.desc).toBe(RING0);
    expect(m.tracer.history.join("\n")).toMatch(/queue PFN of queue 0 written while the queue is live \(ignored/);
  });
});

describe("-device virtio-net-pci: disable-legacy / disable-modern as QEMU spells them", () => {
  const plug = (spec: string): { err: string | null; dev: VirtioNet | undefined } => {
    const m = new World().add_machine({ mem_size: 16 << 20 });
    const err = plug_device(m, spec);
    return { err, dev: [...m.pci.devices.values()].find((d): d is VirtioNet => d instanceof VirtioNet) };
  };
  const id = (dev: VirtioNet | undefined): string => `${dev!.config_read(0, 4).toString(16)} rev ${dev!.config_read(8, 1)}${dev!.bars[0] ? " io" : ""}${dev!.bars[4] ? " modern" : ""}`;

  it("builds modern (the default, and disable-legacy=on), transitional (off, auto) and legacy-only (disable-modern=on)", () => {
    expect(id(plug("virtio-net-pci").dev)).toBe("10411af4 rev 1 modern");
    expect(id(plug("virtio-net-pci,disable-legacy=on").dev)).toBe("10411af4 rev 1 modern");
    expect(id(plug("virtio-net-pci,disable-legacy=off").dev)).toBe("10001af4 rev 0 io modern");
    expect(id(plug("virtio-net-pci,disable-legacy=auto").dev)).toBe("10001af4 rev 0 io modern"); // conventional PCI: legacy stays
    expect(id(plug("virtio-net-pci,disable-legacy=off,disable-modern=off").dev)).toBe("10001af4 rev 0 io modern");
    expect(id(plug("virtio-net-pci,disable-legacy=off,disable-modern=on").dev)).toBe("10001af4 rev 0 io");
    expect(id(plug("virtio-net-pci,disable-modern=yes").dev)).toBe("10001af4 rev 0 io");
    expect(id(plug("virtio-net-pci-non-transitional").dev)).toBe("10411af4 rev 1 modern");
  });

  it("refuses bad values and the shape with neither interface, in one QEMU-style line each", () => {
    expect(plug("virtio-net-pci,disable-legacy=maybe").err).toBe("-device virtio-net-pci,disable-legacy=maybe: Parameter 'disable-legacy' does not accept value 'maybe'");
    expect(plug("virtio-net-pci,disable-legacy=yes").err).toBe("-device virtio-net-pci,disable-legacy=yes: Parameter 'disable-legacy' does not accept value 'yes'");
    expect(plug("virtio-net-pci,disable-modern=2").err).toBe("-device virtio-net-pci,disable-modern=2: Parameter 'disable-modern' expects 'on' or 'off'");
    expect(plug("virtio-net-pci,disable-legacy=on,disable-modern=on").err).toBe(
      "-device virtio-net-pci,disable-legacy=on,disable-modern=on: device cannot work as neither modern nor legacy mode is enabled (set either disable-modern or disable-legacy to off)",
    );
    expect(plug("e1000,disable-legacy=off").err).toBe("-device e1000: unknown property 'disable-legacy'");
    for (const spec of ["virtio-net-pci,disable-legacy=maybe", "virtio-net-pci,disable-modern=2", "virtio-net-pci,disable-legacy=on,disable-modern=on"]) expect(plug(spec).dev).toBeUndefined();
  });
});
