/**
 * virtio-net over modern PCI, register level: the device is driven purely through config space,
 * the modern BAR and physical memory (test/helpers/virtio_harness.ts), as a driver would.
 */
import { describe, expect, it } from "vitest";
import {
  PCI_CAP_ID_MSIX,
  PCI_CAP_ID_VNDR,
  PCI_CAPABILITY_LIST,
  PCI_COMMAND,
  PCI_COMMAND_MEMORY,
  PCI_MSIX_FLAGS,
  PCI_MSIX_FLAGS_ENABLE,
} from "../../include/kernel/pci.ts";
import {
  VIRTIO_CONFIG_S_ACKNOWLEDGE,
  VIRTIO_CONFIG_S_DRIVER,
  VIRTIO_CONFIG_S_DRIVER_OK,
  VIRTIO_CONFIG_S_NEEDS_RESET,
  VIRTIO_RING_F_EVENT_IDX,
  VIRTIO_RING_F_INDIRECT_DESC,
} from "../../include/uapi/linux/virtio_config.ts";
import * as C from "../../include/uapi/linux/virtio_pci.ts";
import {
  VIRTIO_NET_F_CSUM,
  VIRTIO_NET_F_CTRL_MAC_ADDR,
  VIRTIO_NET_F_CTRL_RX,
  VIRTIO_NET_F_CTRL_RX_EXTRA,
  VIRTIO_NET_F_CTRL_VQ,
  VIRTIO_NET_F_GUEST_CSUM,
  VIRTIO_NET_F_MAC,
  VIRTIO_NET_F_MRG_RXBUF,
  VIRTIO_NET_F_STATUS,
  VIRTIO_NET_HDR_F_NEEDS_CSUM,
} from "../../include/uapi/linux/virtio_net.ts";
import { VRING_AVAIL_F_NO_INTERRUPT, VRING_USED_F_NO_NOTIFY } from "../../include/uapi/linux/virtio_ring.ts";
import { TX_BURST } from "../../hw/net/virtio_net.ts";
import { csum_fold, csum_partial, csum_tcpudp_nofold } from "../../lib/inet_checksum.ts";
import { BROADCAST, MAC_A, MAC_B, make_frame } from "../helpers/nic_harness.ts";
import { BASIC, bit, HDR, post_rx, post_tx, rx_buf, RX_BUFS, S_NEGOTIATED, TX_RING, virtio_machine, type VirtioDrv } from "../helpers/virtio_harness.ts";

/** Walk the capability list: [offset, id, cfg_type, bar, offset, length]. */
function caps(drv: VirtioDrv): number[][] {
  const out: number[][] = [];
  for (let p = drv.cfg_read(PCI_CAPABILITY_LIST, 1); p !== 0; p = drv.cfg_read(p + 1, 1)) {
    out.push([p, drv.cfg_read(p, 1), drv.cfg_read(p + 3, 1), drv.cfg_read(p + 4, 1), drv.cfg_read(p + 8, 4), drv.cfg_read(p + 12, 4)]);
  }
  return out;
}

describe("virtio-net PCI identity and capabilities", () => {
  it("is 1AF4:1041 rev 1, class 020000, subsystem 1AF4:1100, INTA#, with QEMU's capability chain and BARs", () => {
    const { drv, dev } = virtio_machine();
    expect(drv.cfg_read(0, 4)).toBe(0x10411af4);
    expect(drv.cfg_read(8, 4)).toBe(0x02000001);
    expect(drv.cfg_read(0x2c, 4)).toBe(0x11001af4);
    expect(drv.cfg_read(0x3d, 1)).toBe(1);
    expect(caps(drv)).toEqual([
      [0x98, PCI_CAP_ID_MSIX, drv.cfg_read(0x98 + 3, 1), drv.cfg_read(0x98 + 4, 1), drv.cfg_read(0x98 + 8, 4), drv.cfg_read(0x98 + 12, 4)],
      [0x84, PCI_CAP_ID_VNDR, C.VIRTIO_PCI_CAP_PCI_CFG, 0, 0, 0],
      [0x70, PCI_CAP_ID_VNDR, C.VIRTIO_PCI_CAP_NOTIFY_CFG, 4, 0x3000, 0x1000],
      [0x60, PCI_CAP_ID_VNDR, C.VIRTIO_PCI_CAP_DEVICE_CFG, 4, 0x2000, 0x1000],
      [0x50, PCI_CAP_ID_VNDR, C.VIRTIO_PCI_CAP_ISR_CFG, 4, 0x1000, 0x1000],
      [0x40, PCI_CAP_ID_VNDR, C.VIRTIO_PCI_CAP_COMMON_CFG, 4, 0x0000, 0x1000],
    ]);
    expect(drv.cfg_read(0x70 + 2, 1)).toBe(20); // cap_len
    expect(drv.cfg_read(0x70 + 16, 4)).toBe(4); // notify_off_multiplier
    // MSI-X: 4 entries, table BAR1+0, PBA BAR1+0x800.
    expect(drv.cfg_read(0x98 + 2, 2) & 0x7ff).toBe(3);
    expect(drv.cfg_read(0x98 + 4, 4)).toBe(1);
    expect(drv.cfg_read(0x98 + 8, 4)).toBe(0x801);
    // BAR4: 64-bit prefetchable memory, 16 KiB; BAR1: 32-bit memory, 4 KiB.
    expect(drv.cfg_read(0x20, 4) & 0xf).toBe(0xc);
    expect(drv.cfg_read(0x14, 4) & 0xf).toBe(0);
    drv.cfg_write(PCI_COMMAND, 2, 0);
    const saved = drv.cfg_read(0x20, 4);
    drv.cfg_write(0x20, 4, 0xffffffff);
    expect(drv.cfg_read(0x20, 4) >>> 0).toBe(0xffffc00c);
    drv.cfg_write(0x20, 4, saved);
    expect(dev.bar_address(4)).toBe(drv.bar4);
  });

  it("the PCI_CFG window reads and writes the modern BAR through config space", () => {
    const { drv } = virtio_machine();
    drv.negotiate(BASIC);
    drv.cfg_write(0x84 + 4, 1, 4); // bar
    drv.cfg_write(0x84 + 8, 4, C.VIRTIO_PCI_COMMON_NUMQ);
    drv.cfg_write(0x84 + 12, 4, 2);
    expect(drv.cfg_read(0x84 + 16, 2)).toBe(3);
    drv.cfg_write(0x84 + 8, 4, 0x2000); // MAC via the window, 4 bytes
    drv.cfg_write(0x84 + 12, 4, 4);
    expect(drv.cfg_read(0x84 + 16, 4)).toBe(0x12005452); // 52:54:00:12 little-endian
    drv.cfg_write(0x84 + 8, 4, C.VIRTIO_PCI_COMMON_Q_SELECT); // write through it
    drv.cfg_write(0x84 + 12, 4, 2);
    drv.cfg_write(0x84 + 16, 2, 1);
    expect(drv.rd(C.VIRTIO_PCI_COMMON_Q_SELECT, 2)).toBe(1);
    drv.cfg_write(0x84 + 12, 4, 3); // a length of 3 does nothing
    drv.cfg_write(0x84 + 16, 4, 0);
    expect(drv.rd(C.VIRTIO_PCI_COMMON_Q_SELECT, 2)).toBe(1);
  });
});

describe("virtio-net feature negotiation", () => {
  it("offers VERSION_1, MAC, STATUS, MRG_RXBUF, CSUM, GUEST_CSUM, EVENT_IDX, INDIRECT_DESC; accepts a subset", () => {
    const { drv, dev } = virtio_machine();
    const [lo, hi] = drv.device_features();
    expect(lo >>> 0).toBe(
      (bit(VIRTIO_NET_F_CSUM) |
        bit(VIRTIO_NET_F_GUEST_CSUM) |
        bit(VIRTIO_NET_F_MAC) |
        bit(VIRTIO_NET_F_MRG_RXBUF) |
        bit(VIRTIO_NET_F_STATUS) |
        bit(VIRTIO_NET_F_CTRL_VQ) |
        bit(VIRTIO_NET_F_CTRL_RX) |
        bit(VIRTIO_NET_F_CTRL_RX_EXTRA) |
        bit(VIRTIO_NET_F_CTRL_MAC_ADDR) |
        bit(VIRTIO_RING_F_INDIRECT_DESC) |
        bit(VIRTIO_RING_F_EVENT_IDX)) >>>
        0,
    );
    expect(hi).toBe(1);
    drv.wr(C.VIRTIO_PCI_COMMON_DFSELECT, 4, 2);
    expect(drv.rd(C.VIRTIO_PCI_COMMON_DF)).toBe(0);
    // Byte and 16-bit reads of a 32-bit field.
    drv.wr(C.VIRTIO_PCI_COMMON_DFSELECT, 1, 0);
    expect(drv.rd(C.VIRTIO_PCI_COMMON_DF + 2, 2)).toBe(lo >>> 16);
    expect(drv.rd(C.VIRTIO_PCI_COMMON_DF, 1)).toBe(lo & 0xff);
    expect(drv.negotiate(BASIC)).toBe(S_NEGOTIATED);
    drv.wr(C.VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
    expect(drv.rd(C.VIRTIO_PCI_COMMON_GF)).toBe(BASIC);
    expect(dev.has_feature(VIRTIO_NET_F_MAC)).toBe(true);
    expect(dev.has_feature(VIRTIO_NET_F_MRG_RXBUF)).toBe(false);
  });

  it("refuses FEATURES_OK for an un-offered bit or without VERSION_1, and warns", () => {
    const { drv, m } = virtio_machine();
    expect(drv.negotiate(BASIC | bit(22) /* MQ, not offered */)).toBe(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
    expect(m.tracer.history.join("\n")).toMatch(/refusing features .*did not offer/);
    expect(drv.negotiate(BASIC, 0)).toBe(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
    expect(m.tracer.history.join("\n")).toMatch(/VERSION_1 not accepted/);
    // DRIVER_OK without FEATURES_OK is refused too.
    drv.set_status(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_DRIVER_OK);
    expect(drv.status).toBe(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
    // After a reset the same valid set is accepted.
    expect(drv.negotiate(BASIC)).toBe(S_NEGOTIATED);
    // Features are frozen after FEATURES_OK.
    drv.wr(C.VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
    drv.wr(C.VIRTIO_PCI_COMMON_GF, 4, 0);
    expect(drv.rd(C.VIRTIO_PCI_COMMON_GF)).toBe(BASIC);
  });

  it("device config: MAC, status LINK_UP, max_virtqueue_pairs 1; all ones past the end", () => {
    const { drv } = virtio_machine();
    expect([0, 1, 2, 3, 4, 5].map((i) => drv.net_cfg(i, 1))).toEqual([...MAC_A]);
    expect(drv.net_cfg(6, 2)).toBe(1);
    expect(drv.net_cfg(8, 2)).toBe(1);
    expect(drv.net_cfg(10, 2)).toBe(0xffff);
  });
});

describe("virtio-net queue setup", () => {
  it("num_queues, queue_size, notify_off, addresses as two halves, enable", () => {
    const { drv, dev } = virtio_machine();
    drv.negotiate(BASIC);
    expect(drv.rd(C.VIRTIO_PCI_COMMON_NUMQ, 2)).toBe(3);
    for (const q of [0, 1, 2]) {
      drv.wr(C.VIRTIO_PCI_COMMON_Q_SELECT, 2, q);
      expect(drv.rd(C.VIRTIO_PCI_COMMON_Q_SIZE, 2)).toBe(q === 2 ? 64 : 256);
      expect(drv.rd(C.VIRTIO_PCI_COMMON_Q_NOFF, 2)).toBe(q);
      expect(drv.rd(C.VIRTIO_PCI_COMMON_Q_ENABLE, 2)).toBe(0);
      expect(drv.rd(C.VIRTIO_PCI_COMMON_Q_MSIX, 2)).toBe(C.VIRTIO_MSI_NO_VECTOR);
    }
    drv.wr(C.VIRTIO_PCI_COMMON_Q_SELECT, 2, 3);
    expect(drv.rd(C.VIRTIO_PCI_COMMON_Q_SIZE, 2)).toBe(0); // no such queue
    drv.wr(C.VIRTIO_PCI_COMMON_Q_SELECT, 2, 1);
    drv.wr(C.VIRTIO_PCI_COMMON_Q_SIZE, 2, 64);
    drv.wr(C.VIRTIO_PCI_COMMON_Q_DESCLO, 4, 0x12345000);
    drv.wr(C.VIRTIO_PCI_COMMON_Q_DESCHI, 4, 0x1);
    expect(drv.rd(C.VIRTIO_PCI_COMMON_Q_DESCLO)).toBe(0x12345000);
    expect(drv.rd(C.VIRTIO_PCI_COMMON_Q_DESCHI)).toBe(1);
    expect(dev.txq.reg_desc).toBe(0x1_12345000);
    // Narrow writes merge into the field: two 16-bit halves of queue_driver's low dword.
    drv.wr(C.VIRTIO_PCI_COMMON_Q_AVAILLO, 2, 0x6000);
    drv.wr(C.VIRTIO_PCI_COMMON_Q_AVAILLO + 2, 2, 0x0041);
    expect(drv.rd(C.VIRTIO_PCI_COMMON_Q_AVAILLO)).toBe(0x00416000);
    expect(drv.rd(C.VIRTIO_PCI_COMMON_Q_AVAILLO + 1, 1)).toBe(0x60);
    const tx = drv.setup_queue(1, TX_RING, 64);
    expect(drv.rd(C.VIRTIO_PCI_COMMON_Q_ENABLE, 2)).toBe(1);
    expect(dev.txq.num).toBe(64);
    expect(dev.txq.desc).toBe(tx.desc);
    expect(dev.broken).toBe(false);
  });

  it("a queue_size that is 0 or not a power of 2, and queue_enable = 0, are device errors", () => {
    for (const bad of [0, 100, 512]) {
      const { drv, dev } = virtio_machine();
      drv.negotiate(BASIC);
      drv.wr(C.VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
      drv.wr(C.VIRTIO_PCI_COMMON_Q_SIZE, 2, bad);
      expect(drv.rd(C.VIRTIO_PCI_COMMON_Q_SIZE, 2)).toBe(256);
      expect(drv.status & VIRTIO_CONFIG_S_NEEDS_RESET).toBe(VIRTIO_CONFIG_S_NEEDS_RESET);
      expect(dev.model_errors).toBe(0);
    }
    const { drv } = virtio_machine();
    drv.negotiate(BASIC);
    drv.wr(C.VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
    drv.wr(C.VIRTIO_PCI_COMMON_Q_ENABLE, 2, 0);
    expect(drv.status & VIRTIO_CONFIG_S_NEEDS_RESET).toBe(VIRTIO_CONFIG_S_NEEDS_RESET);
    drv.set_status(0); // reset clears it
    expect(drv.status).toBe(0);
  });
});

describe("virtio-net transmit", () => {
  it("sends frames byte-exact, header split or not, and completes them with len 0", () => {
    const { drv, dev, sink } = virtio_machine();
    const { tx } = drv.bring_up(BASIC);
    const f1 = make_frame(BROADCAST, MAC_A, 100, 0x88b5, 1);
    const f2 = make_frame(MAC_B, MAC_A, 1500, 0x88b5, 2);
    const h1 = post_tx(drv, tx, f1, 0);
    const h2 = post_tx(drv, tx, f2, 1, { split: true });
    drv.kick(1);
    expect(sink.frames).toEqual([f1, f2]);
    expect(tx.reap()).toEqual([
      { id: h1, len: 0 },
      { id: h2, len: 0 },
    ]);
    expect(dev.stats.tx_frames).toBe(2);
    expect(drv.isr()).toBe(1);
  });

  it("with CSUM and NEEDS_CSUM, completes the UDP checksum at csum_start + csum_offset", () => {
    const { drv, sink } = virtio_machine();
    const { tx } = drv.bring_up(BASIC | bit(VIRTIO_NET_F_CSUM));
    // Ethernet + IPv4 (20) + UDP (8) + 40 bytes of payload.
    const f = make_frame(MAC_B, MAC_A, 20 + 8 + 40, 0x0800, 7);
    const ip = 14;
    f.set([0x45, 0, 0, 68, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 2, 15, 10, 0, 2, 2], ip);
    const udp = ip + 20;
    f.set([0x12, 0x34, 0x00, 0x35, 0, 48, 0, 0], udp);
    const pseudo = csum_fold(csum_tcpudp_nofold(0x0a00020f, 0x0a000202, 48, 17));
    const prefilled = ~pseudo & 0xffff; // Linux stores the folded, uncomplemented pseudo-header sum
    f[udp + 6] = prefilled >>> 8;
    f[udp + 7] = prefilled & 0xff;
    const hdr = new Uint8Array(HDR);
    hdr[0] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
    new DataView(hdr.buffer).setUint16(6, udp, true);
    new DataView(hdr.buffer).setUint16(8, 6, true);
    post_tx(drv, tx, f, 0, { hdr });
    drv.kick(1);
    const out = sink.frames[0]!;
    const expected = Uint8Array.from(f);
    const sum = csum_fold(csum_partial(f, udp, f.length - udp));
    expected[udp + 6] = sum >>> 8;
    expected[udp + 7] = sum & 0xff;
    expect(out).toEqual(expected);
    // The result verifies: checksum over pseudo-header + UDP is 0.
    expect(csum_fold(csum_partial(out, udp, out.length - udp, csum_tcpudp_nofold(0x0a00020f, 0x0a000202, 48, 17)))).toBe(0);
  });

  it("without CSUM negotiated, NEEDS_CSUM is ignored and the frame goes out unchanged", () => {
    const { drv, sink, m } = virtio_machine();
    const { tx } = drv.bring_up(BASIC);
    const f = make_frame(MAC_B, MAC_A, 60);
    const hdr = new Uint8Array(HDR);
    hdr[0] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
    hdr[6] = 14;
    hdr[8] = 6;
    post_tx(drv, tx, f, 0, { hdr });
    drv.kick(1);
    expect(sink.frames[0]).toEqual(f);
    expect(m.tracer.history.join("\n")).toMatch(/NEEDS_CSUM set without VIRTIO_NET_F_CSUM/);
  });

  it("a flood is sent in bursts of TX_BURST with a clock event between, doorbells suppressed meanwhile", () => {
    const { drv, dev, sink } = virtio_machine();
    const { tx } = drv.bring_up(BASIC);
    const n = 200;
    for (let i = 0; i < n; i++) post_tx(drv, tx, make_frame(MAC_B, MAC_A, 46, 0x88b5, i), i);
    drv.kick(1);
    expect(sink.frames.length).toBe(TX_BURST);
    expect(tx.used_flags & VRING_USED_F_NO_NOTIFY).toBe(VRING_USED_F_NO_NOTIFY);
    drv.run();
    expect(sink.frames.length).toBe(n);
    expect(tx.reap().length).toBe(n);
    expect(tx.used_flags & VRING_USED_F_NO_NOTIFY).toBe(0);
    expect(dev.stats.tx_bursts_deferred).toBe(Math.floor(n / TX_BURST));
  });

  it("EVENT_IDX on TX: avail_event holds still during a deferred burst, then asks for the next doorbell", () => {
    const { drv, sink } = virtio_machine();
    const { tx } = drv.bring_up(BASIC | bit(VIRTIO_RING_F_EVENT_IDX));
    for (let i = 0; i < 100; i++) post_tx(drv, tx, make_frame(MAC_B, MAC_A, 46, 0x88b5, i), i);
    drv.kick(1);
    expect(sink.frames.length).toBe(TX_BURST);
    const held = tx.avail_event;
    expect(held).toBeLessThanOrEqual(TX_BURST);
    expect(tx.used_flags).toBe(0); // flags are not used for suppression with EVENT_IDX
    drv.run();
    expect(sink.frames.length).toBe(100);
    expect(tx.avail_event).toBe(100); // the driver's next avail.idx update past 100 rings the bell
  });

  it("with the link down, chains complete and frames are counted, not sent", () => {
    const { drv, dev, sink } = virtio_machine();
    const { tx } = drv.bring_up(BASIC);
    dev.set_link(false);
    post_tx(drv, tx, make_frame(MAC_B, MAC_A, 46), 0);
    drv.kick(1);
    expect(sink.frames.length).toBe(0);
    expect(tx.reap().length).toBe(1);
    expect(dev.stats.tx_link_down).toBe(1);
  });
});

describe("virtio-net receive", () => {
  it("without MRG_RXBUF: header with num_buffers 1, frame after it, used len = 12 + frame", () => {
    const { drv, dev, sink } = virtio_machine();
    const { rx } = drv.bring_up(BASIC);
    const h0 = post_rx(rx, 0, 1526);
    const h1 = post_rx(rx, 1, 1526);
    drv.kick(0);
    const f = make_frame(MAC_A, MAC_B, 200, 0x88b5, 3);
    sink.inject(f);
    expect(rx.reap()).toEqual([{ id: h0, len: HDR + f.length }]);
    const got = rx_buf(drv, 0, HDR + f.length);
    expect([...got.subarray(0, HDR)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]);
    expect(got.subarray(HDR)).toEqual(f);
    // A frame larger than the next buffer is dropped; the buffer stays for the next one.
    const big = make_frame(MAC_A, MAC_B, 1600);
    sink.inject(big);
    expect(dev.stats.rx_too_big).toBe(1);
    sink.inject(f);
    expect(rx.reap()).toEqual([{ id: h1, len: HDR + f.length }]);
    // No buffers left: dropped and counted.
    sink.inject(f);
    expect(dev.stats.rx_no_buffers).toBe(1);
    expect(dev.stats.rx_frames).toBe(2);
    expect(dev.model_errors).toBe(0);
  });

  it("a buffer split over several descriptors is filled in order", () => {
    const { drv, sink } = virtio_machine();
    const { rx } = drv.bring_up(BASIC);
    const head = rx.add([
      { addr: RX_BUFS, len: 10, write: true },
      { addr: RX_BUFS + 0x1000, len: 100, write: true },
      { addr: RX_BUFS + 0x2000, len: 2000, write: true },
    ]);
    const f = make_frame(MAC_A, MAC_B, 300);
    sink.inject(f);
    expect(rx.reap()).toEqual([{ id: head, len: HDR + f.length }]);
    const stream = new Uint8Array([...rx_buf(drv, 0, 10), ...rx_buf(drv, 1, 100), ...rx_buf(drv, 2, HDR + f.length - 110)]);
    expect(stream[10]).toBe(1);
    expect(stream.subarray(HDR)).toEqual(f);
  });

  it("with MRG_RXBUF: a frame spans buffers, num_buffers counts them, published at once", () => {
    const { drv, dev, sink } = virtio_machine();
    const { rx } = drv.bring_up(BASIC | bit(VIRTIO_NET_F_MRG_RXBUF));
    const heads = [0, 1, 2, 3].map((i) => post_rx(rx, i, 256));
    const f = make_frame(MAC_A, MAC_B, 600 - 14, 0x88b5, 9); // 600 bytes: 612 with the header
    sink.inject(f);
    expect(rx.reap()).toEqual([
      { id: heads[0], len: 256 },
      { id: heads[1], len: 256 },
      { id: heads[2], len: 100 },
    ]);
    const first = rx_buf(drv, 0, 256);
    expect(first[10]! | (first[11]! << 8)).toBe(3);
    const data = new Uint8Array([...first.subarray(HDR), ...rx_buf(drv, 1, 256), ...rx_buf(drv, 2, 100)]);
    expect(data).toEqual(f);
    // The one buffer left cannot hold a 600-byte frame: nothing is consumed.
    sink.inject(f);
    expect(dev.stats.rx_no_buffers).toBe(1);
    expect(rx.used_idx).toBe(3);
    // A small frame still fits it.
    const small = make_frame(MAC_A, MAC_B, 46);
    sink.inject(small);
    expect(rx.reap()).toEqual([{ id: heads[3], len: HDR + 60 }]);
    expect(rx_buf(drv, 3, 12)[10]).toBe(1);
  });

  it("drops frames before DRIVER_OK (counted) and reports no link to the sender when down", () => {
    const { drv, dev, sink } = virtio_machine();
    drv.negotiate(BASIC);
    const rx = drv.setup_queue(0, 0x400000);
    post_rx(rx, 0, 1526);
    sink.inject(make_frame(MAC_A, MAC_B, 46));
    expect(dev.stats.rx_not_ready).toBe(1);
    expect(rx.used_idx).toBe(0);
    dev.set_link(false);
    expect(dev.receive_frame(make_frame(MAC_A, MAC_B, 46), 60)).toBe(false);
  });
});

describe("virtio-net interrupts", () => {
  it("INTx follows ISR bit 0; reading ISR clears it and lowers the line; a link change is ISR 0x3", () => {
    const { drv, dev, sink } = virtio_machine();
    const { rx } = drv.bring_up(BASIC);
    post_rx(rx, 0, 1526);
    expect(drv.irq_level).toBe(false);
    sink.inject(make_frame(MAC_A, MAC_B, 46));
    expect(drv.irq_level).toBe(true);
    expect(drv.cfg_read(0x06, 2) & 0x08).toBe(0x08); // PCI Status.Interrupt
    expect(drv.isr()).toBe(1);
    expect(drv.irq_level).toBe(false);
    expect(drv.isr()).toBe(0);
    const gen = drv.rd(C.VIRTIO_PCI_COMMON_CFGGENERATION, 1);
    dev.set_link(false);
    expect(drv.net_cfg(6, 2)).toBe(0);
    expect(drv.rd(C.VIRTIO_PCI_COMMON_CFGGENERATION, 1)).not.toBe(gen);
    expect(drv.irq_level).toBe(true);
    expect(drv.isr()).toBe(3);
    dev.set_link(true);
    expect(drv.net_cfg(6, 2)).toBe(1);
    expect(drv.isr()).toBe(3);
  });

  it("MSI-X: queue and config vectors reach the local APIC; out-of-range vectors read NO_VECTOR", () => {
    const { drv, dev, sink, m } = virtio_machine();
    // Table entries 0 and 1: vectors 0x41 and 0x42 for APIC 0, unmasked; then MSI-X Enable.
    for (const [n, vec] of [
      [0, 0x41],
      [1, 0x42],
    ] as const) {
      m.mmio.write(drv.bar1 + 16 * n, 4, 0xfee00000);
      m.mmio.write(drv.bar1 + 16 * n + 4, 4, 0);
      m.mmio.write(drv.bar1 + 16 * n + 8, 4, vec);
      m.mmio.write(drv.bar1 + 16 * n + 12, 4, 0);
    }
    drv.cfg_write(0x98 + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);
    drv.negotiate(BASIC);
    drv.wr(C.VIRTIO_PCI_COMMON_MSIX, 2, 0);
    expect(drv.rd(C.VIRTIO_PCI_COMMON_MSIX, 2)).toBe(0);
    drv.wr(C.VIRTIO_PCI_COMMON_Q_SELECT, 2, 1);
    drv.wr(C.VIRTIO_PCI_COMMON_Q_MSIX, 2, 7);
    expect(drv.rd(C.VIRTIO_PCI_COMMON_Q_MSIX, 2)).toBe(C.VIRTIO_MSI_NO_VECTOR);
    const rx = drv.setup_queue(0, 0x400000, 256, 1);
    expect(drv.rd(C.VIRTIO_PCI_COMMON_Q_MSIX, 2)).toBe(1);
    drv.driver_ok();
    post_rx(rx, 0, 1526);
    sink.inject(make_frame(MAC_A, MAC_B, 46));
    expect(m.lapic.is_pending(0x42)).toBe(true);
    expect(m.lapic.is_pending(0x41)).toBe(false);
    expect(drv.irq_level).toBe(false); // no INTx under MSI-X
    dev.set_link(false);
    expect(m.lapic.is_pending(0x41)).toBe(true);
    expect(dev.msix!.sent).toBe(2);
    expect(drv.isr()).toBe(3); // ISR is still set under MSI-X, as QEMU
  });

  it("MSI-X: a masked queue vector is held in the PBA and sent when unmasked", () => {
    const { drv, dev, sink, m } = virtio_machine();
    m.mmio.write(drv.bar1 + 16, 4, 0xfee00000);
    m.mmio.write(drv.bar1 + 24, 4, 0x43); // entry 1 stays masked (vector control = 1)
    drv.cfg_write(0x98 + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);
    drv.negotiate(BASIC);
    const rx = drv.setup_queue(0, 0x400000, 256, 1);
    drv.driver_ok();
    post_rx(rx, 0, 1526);
    sink.inject(make_frame(MAC_A, MAC_B, 46));
    expect(m.lapic.is_pending(0x43)).toBe(false);
    expect(m.mmio.read(drv.bar1 + 0x800, 4) & 2).toBe(2);
    m.mmio.write(drv.bar1 + 28, 4, 0); // unmask
    expect(m.lapic.is_pending(0x43)).toBe(true);
    expect(dev.msix!.is_pending(1)).toBe(false);
  });

  it("EVENT_IDX: interrupts only when used.idx passes used_event; avail_event tracks consumption", () => {
    const { drv, dev, sink } = virtio_machine();
    const { rx } = drv.bring_up(BASIC | bit(VIRTIO_RING_F_EVENT_IDX));
    for (let i = 0; i < 4; i++) post_rx(rx, i, 1526);
    const f = make_frame(MAC_A, MAC_B, 46);
    rx.used_event = 2; // interrupt after the used element with index 2 (the third)
    sink.inject(f); // the first decision after reset always notifies
    expect(drv.isr()).toBe(1);
    sink.inject(f);
    expect(drv.isr()).toBe(0);
    expect(dev.rxq.suppressed).toBe(1);
    sink.inject(f);
    expect(drv.isr()).toBe(1);
    expect(rx.avail_event).toBe(3);
    // used_event (2) now lies behind: no interrupt until the driver moves it forward.
    sink.inject(f);
    expect(drv.isr()).toBe(0);
    expect(rx.used_idx).toBe(4);
  });

  it("without EVENT_IDX, VRING_AVAIL_F_NO_INTERRUPT suppresses used-buffer interrupts", () => {
    const { drv, dev, sink } = virtio_machine();
    const { rx } = drv.bring_up(BASIC);
    post_rx(rx, 0, 1526);
    post_rx(rx, 1, 1526);
    rx.avail_flags = VRING_AVAIL_F_NO_INTERRUPT;
    sink.inject(make_frame(MAC_A, MAC_B, 46));
    expect(drv.irq_level).toBe(false);
    expect(rx.used_idx).toBe(1);
    rx.avail_flags = 0;
    sink.inject(make_frame(MAC_A, MAC_B, 46));
    expect(drv.irq_level).toBe(true);
    expect(dev.rxq.suppressed).toBe(1);
  });
});

describe("virtio-net reset", () => {
  it("writing 0 to device_status clears status, features, queues, vectors and ISR; the device then leaves memory alone", () => {
    const { drv, dev, sink } = virtio_machine();
    const { rx } = drv.bring_up(BASIC | bit(VIRTIO_NET_F_MRG_RXBUF));
    post_rx(rx, 0, 1526);
    post_rx(rx, 1, 1526);
    sink.inject(make_frame(MAC_A, MAC_B, 46));
    expect(drv.irq_level).toBe(true);
    drv.set_status(0);
    expect(drv.status).toBe(0);
    expect(drv.irq_level).toBe(false);
    expect(drv.isr()).toBe(0);
    expect(dev.has_feature(VIRTIO_NET_F_MRG_RXBUF)).toBe(false);
    drv.wr(C.VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
    expect(drv.rd(C.VIRTIO_PCI_COMMON_GF)).toBe(0);
    expect(drv.rd(C.VIRTIO_PCI_COMMON_Q_SELECT, 2)).toBe(0);
    for (const q of [0, 1]) {
      drv.wr(C.VIRTIO_PCI_COMMON_Q_SELECT, 2, q);
      expect(drv.rd(C.VIRTIO_PCI_COMMON_Q_ENABLE, 2)).toBe(0);
      expect(drv.rd(C.VIRTIO_PCI_COMMON_Q_SIZE, 2)).toBe(256);
      expect(drv.rd(C.VIRTIO_PCI_COMMON_Q_DESCLO)).toBe(0);
      expect(drv.rd(C.VIRTIO_PCI_COMMON_Q_USEDLO)).toBe(0);
      expect(drv.rd(C.VIRTIO_PCI_COMMON_Q_MSIX, 2)).toBe(C.VIRTIO_MSI_NO_VECTOR);
    }
    expect(drv.rd(C.VIRTIO_PCI_COMMON_MSIX, 2)).toBe(C.VIRTIO_MSI_NO_VECTOR);
    const before = rx.used_idx;
    sink.inject(make_frame(MAC_A, MAC_B, 46));
    expect(rx.used_idx).toBe(before);
    expect(dev.stats.rx_not_ready).toBe(1);
    // And it comes back up cleanly.
    const again = drv.bring_up(BASIC);
    post_rx(again.rx, 0, 1526);
    sink.inject(make_frame(MAC_A, MAC_B, 46));
    expect(again.rx.used_idx).toBe(1);
  });

  it("clearing Bus Master drops DRIVER_OK (as QEMU)", () => {
    const { drv } = virtio_machine();
    drv.bring_up(BASIC);
    drv.cfg_write(PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
    expect(drv.status & VIRTIO_CONFIG_S_DRIVER_OK).toBe(0);
  });
});
