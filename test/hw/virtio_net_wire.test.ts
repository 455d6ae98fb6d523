/**
 * virtio-net on the wire and over time: two devices on a hub, a peer that answers synchronously
 * (RX nested inside TX), free-running u16 indices across the 65536 wrap, machine reset, surprise
 * removal, and a seeded register/memory fuzz that must never reach an exception.
 */
import { describe, expect, it } from "vitest";
import { PCI_COMMAND, PCI_COMMAND_MASTER, PCI_COMMAND_MEMORY, PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_ENABLE } from "../../include/kernel/pci.ts";
import { VIRTIO_RING_F_EVENT_IDX } from "../../include/uapi/linux/virtio_config.ts";
import { VIRTIO_NET_F_MRG_RXBUF } from "../../include/uapi/linux/virtio_net.ts";
import * as C from "../../include/uapi/linux/virtio_pci.ts";
import { Hub } from "../../hw/net/hub.ts";
import { net_connect, type NetEndpoint } from "../../hw/net/net_endpoint.ts";
import { VirtioNet } from "../../hw/net/virtio_net.ts";
import { World } from "../../hw/world.ts";
import { MAC_A, MAC_B, make_frame } from "../helpers/nic_harness.ts";
import { BASIC, bit, HDR, post_rx, post_tx, rx_buf, RX_RING, TX_RING, VirtioDrv, virtio_machine } from "../helpers/virtio_harness.ts";

describe("virtio-net on the wire", () => {
  it("two devices on a hub exchange a frame", () => {
    const world = new World();
    const m = world.add_machine({ mem_size: 64 << 20 });
    const a = new VirtioNet(m.clock, { mac: MAC_A, name: "virtio-net.0" });
    const b = new VirtioNet(m.clock, { mac: MAC_B, name: "virtio-net.1" });
    m.pci.plug(a, 3);
    m.pci.plug(b, 4);
    m.platform();
    const hub = new Hub();
    net_connect(hub.port(), a);
    net_connect(hub.port(), b);
    const [da, db] = [a, b].map((d) => {
      const drv = new VirtioDrv(m, d);
      drv.cfg_write(PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
      return drv;
    }) as [VirtioDrv, VirtioDrv];
    const qa = da.bring_up(BASIC);
    db.negotiate(BASIC);
    const rxb = db.setup_queue(0, RX_RING + 0x100000);
    db.driver_ok();
    rxb.add([{ addr: 0x900000, len: 1526, write: true }]);
    const f = make_frame(MAC_B, MAC_A, 100);
    post_tx(da, qa.tx, f, 0);
    da.kick(1);
    expect(rxb.reap()).toEqual([{ id: 0, len: HDR + f.length }]);
    expect(m.mem.u8.slice(0x900000 + HDR, 0x900000 + HDR + f.length)).toEqual(f);
    expect(a.stats.tx_frames).toBe(1);
    expect(b.stats.rx_frames).toBe(1);
    expect(a.describe()).toMatch(/^virtio-net\.0 macaddr=52:54:00:12:34:56 link=up rx: /);
  });

  it("a peer that answers inside receive_frame: the reply is received while the transmit is in flight", () => {
    const { drv, dev } = virtio_machine();
    const echo: NetEndpoint = {
      peer: null,
      receive_frame(frame, len) {
        const reply = frame.slice(0, len);
        reply.set(MAC_A, 0);
        echo.peer?.receive_frame(reply, len);
      },
    };
    net_connect(echo, dev);
    const { rx, tx } = drv.bring_up(BASIC);
    post_rx(rx, 0, 1526);
    const f = make_frame(MAC_B, MAC_A, 64);
    const head = post_tx(drv, tx, f, 0);
    drv.kick(1);
    expect(tx.reap()).toEqual([{ id: head, len: 0 }]);
    expect(rx.reap()).toEqual([{ id: 0, len: HDR + f.length }]);
    expect(rx_buf(drv, 0, HDR + 6).subarray(HDR)).toEqual(MAC_A);
  });

  it("indices run across the u16 wrap (70000 frames through a 4-entry ring, with EVENT_IDX)", () => {
    const { drv, dev, sink } = virtio_machine();
    drv.negotiate(BASIC | bit(VIRTIO_RING_F_EVENT_IDX));
    const rx = drv.setup_queue(0, RX_RING, 4);
    drv.setup_queue(1, TX_RING);
    drv.driver_ok();
    const f = make_frame(MAC_A, MAC_B, 46);
    let interrupts = 0;
    let reaped = 0;
    for (let i = 0; i < 70000; i++) {
      post_rx(rx, i & 3, 1526);
      rx.used_event = rx.last_used; // interrupt on the next used buffer
      sink.inject(f);
      if (drv.isr() & 1) interrupts++;
      reaped += rx.reap().length;
    }
    expect(reaped).toBe(70000);
    expect(dev.stats.rx_frames).toBe(70000);
    expect(rx.used_idx).toBe(70000 & 0xffff);
    expect(interrupts).toBe(70000);
    expect(dev.broken).toBe(false);
  });

  it("machine reset: MSI-X back to masked and disabled, virtio state cleared", () => {
    const { drv, dev } = virtio_machine();
    drv.cfg_write(0x98 + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);
    drv.bring_up(BASIC | bit(VIRTIO_NET_F_MRG_RXBUF));
    dev.reset();
    expect(drv.status).toBe(0);
    expect(drv.cfg_read(0x98 + PCI_MSIX_FLAGS, 2) & PCI_MSIX_FLAGS_ENABLE).toBe(0);
    expect(drv.m.mmio.read(drv.bar1 + 12, 4)).toBe(1); // entry 0 masked
  });

  it("a removed card hears nothing and reads all ones", () => {
    const { drv, dev, sink } = virtio_machine();
    drv.bring_up(BASIC);
    dev.surprise_remove();
    expect(dev.receive_frame(make_frame(MAC_A, MAC_B, 46), 60)).toBe(false);
    expect(drv.rd(C.VIRTIO_PCI_COMMON_NUMQ, 2)).toBe(0xffff);
    expect(sink.frames.length).toBe(0);
  });
});

describe("virtio-net fuzz", () => {
  it("random register writes, ring bytes, doorbells and frames never throw out of the model", () => {
    const { drv, dev, sink, m } = virtio_machine();
    let seed = 12345;
    const rnd = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const f = make_frame(MAC_A, MAC_B, 100);
    for (let round = 0; round < 40; round++) {
      const { rx, tx } = drv.bring_up(BASIC | (rnd(2) ? bit(VIRTIO_NET_F_MRG_RXBUF) : 0) | (rnd(2) ? bit(VIRTIO_RING_F_EVENT_IDX) : 0));
      for (let i = 0; i < 8; i++) post_rx(rx, i, 64 + rnd(2000));
      for (let i = 0; i < 8; i++) post_tx(drv, tx, f, i, { split: rnd(2) === 1 });
      for (let op = 0; op < 300; op++) {
        switch (rnd(6)) {
          case 0: {
            const w = ([1, 2, 4] as const)[rnd(3)]!;
            drv.wr(rnd(0x40) & ~(w - 1), w, rnd(0x10000) | (rnd(2) ? 1 : 0)); // common config
            break;
          }
          case 1: // ring and descriptor bytes
            m.mem.u8[(rnd(2) ? RX_RING : TX_RING) + rnd(0x1100)] = rnd(256);
            break;
          case 2:
            drv.kick(rnd(4));
            break;
          case 3:
            sink.inject(f);
            break;
          case 4:
            drv.isr();
            break;
          default:
            drv.run(rnd(50_000));
        }
      }
    }
    expect(dev.model_errors).toBe(0);
    expect(dev.device_errors).toBeGreaterThan(0);
  });
});
