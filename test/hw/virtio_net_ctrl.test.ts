/**
 * virtio-net's control queue, register level: receive-mode and MAC-filter commands as a driver
 * sends them ({class, command, data} readable + an ack byte writable), and their effect on what
 * the device accepts from the wire.
 */
import { describe, expect, it } from "vitest";
import { VIRTIO_CONFIG_S_NEEDS_RESET } from "../../include/uapi/linux/virtio_config.ts";
import {
  VIRTIO_NET_CTRL_MAC,
  VIRTIO_NET_CTRL_MAC_ADDR_SET,
  VIRTIO_NET_CTRL_MAC_TABLE_SET,
  VIRTIO_NET_CTRL_RX,
  VIRTIO_NET_CTRL_RX_ALLMULTI,
  VIRTIO_NET_CTRL_RX_NOBCAST,
  VIRTIO_NET_CTRL_RX_PROMISC,
  VIRTIO_NET_ERR,
  VIRTIO_NET_F_CTRL_MAC_ADDR,
  VIRTIO_NET_F_CTRL_RX,
  VIRTIO_NET_F_CTRL_VQ,
  VIRTIO_NET_OK,
} from "../../include/uapi/linux/virtio_net.ts";
import { BROADCAST, MAC_A, MAC_B, make_frame } from "../helpers/nic_harness.ts";
import { BASIC, bit, post_rx, RX_RING, S_NEGOTIATED, SCRATCH, TX_RING, virtio_machine, type DrvRing, type VirtioDrv } from "../helpers/virtio_harness.ts";

const CTRL = BASIC | bit(VIRTIO_NET_F_CTRL_VQ) | bit(VIRTIO_NET_F_CTRL_RX) | bit(VIRTIO_NET_F_CTRL_MAC_ADDR);
const CTRL_RING = 0x420000;
const MAC_C = Uint8Array.of(0x52, 0x54, 0x00, 0x12, 0x34, 0x58);
const MCAST = Uint8Array.of(0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb);

function up(features = CTRL) {
  const env = virtio_machine();
  const { drv } = env;
  drv.negotiate(features);
  const rx = drv.setup_queue(0, RX_RING);
  drv.setup_queue(1, TX_RING);
  const ctrl = drv.setup_queue(2, CTRL_RING, 64);
  drv.driver_ok();
  for (let i = 0; i < 32; i++) post_rx(rx, i, 1526);
  return { ...env, rx, ctrl };
}

let cmd_slot = 0;
/** Send one command; returns the ack byte and the used element. */
function command(drv: VirtioDrv, ctrl: DrvRing, cls: number, cmd: number, data: number[]): { ack: number; used: { id: number; len: number }[] } {
  const buf = SCRATCH + 0x1000 * (cmd_slot++ % 16);
  drv.m.mem.u8.set([cls, cmd, ...data], buf);
  drv.m.mem.u8[buf + 0x800] = 0xee;
  ctrl.add([
    { addr: buf, len: 2 + data.length },
    { addr: buf + 0x800, len: 1, write: true },
  ]);
  drv.kick(2);
  return { ack: drv.m.mem.u8[buf + 0x800]!, used: ctrl.reap() };
}

const le32 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];

describe("virtio-net control queue", () => {
  it("is promiscuous after reset; PROMISC off filters to our MAC, broadcast and the MAC table", () => {
    const { drv, dev, sink, rx, ctrl } = up();
    const to = (dst: Uint8Array): Uint8Array => make_frame(dst, MAC_B, 46);
    sink.inject(to(MAC_C));
    expect(dev.stats.rx_frames).toBe(1);
    const r = command(drv, ctrl, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, [0]);
    expect(r.ack).toBe(VIRTIO_NET_OK);
    expect(r.used).toEqual([{ id: 0, len: 1 }]);
    sink.inject(to(MAC_C));
    sink.inject(to(MCAST));
    expect(dev.stats.rx_filtered).toBe(2);
    sink.inject(to(MAC_A));
    sink.inject(to(BROADCAST));
    expect(dev.stats.rx_frames).toBe(3);
    // Table: one unicast (MAC_C), one multicast.
    expect(command(drv, ctrl, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET, [...le32(1), ...MAC_C, ...le32(1), ...MCAST]).ack).toBe(VIRTIO_NET_OK);
    sink.inject(to(MAC_C));
    sink.inject(to(MCAST));
    expect(dev.stats.rx_frames).toBe(5);
    expect(command(drv, ctrl, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_NOBCAST, [1]).ack).toBe(VIRTIO_NET_OK);
    sink.inject(to(BROADCAST));
    expect(dev.stats.rx_filtered).toBe(3);
    // A malformed table (entries beyond the data) is refused and the old table stays.
    expect(command(drv, ctrl, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET, [...le32(5), ...MAC_C]).ack).toBe(VIRTIO_NET_ERR);
    sink.inject(to(MAC_C));
    expect(dev.stats.rx_frames).toBe(6);
    expect(command(drv, ctrl, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_ALLMULTI, [1]).ack).toBe(VIRTIO_NET_OK);
    sink.inject(to(Uint8Array.of(0x33, 0x33, 0, 0, 0, 1)));
    expect(dev.stats.rx_frames).toBe(7);
    expect(rx.used_idx).toBe(7);
    expect(dev.describe_counters()).toMatch(/filtered=3 .*ctrl: commands=5 errors=1/);
  });

  it("MAC_ADDR_SET changes the address in device config; reset restores it and promiscuous mode", () => {
    const { drv, dev, ctrl } = up();
    expect(command(drv, ctrl, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET, [...MAC_C]).ack).toBe(VIRTIO_NET_OK);
    expect([0, 1, 2, 3, 4, 5].map((i) => drv.net_cfg(i, 1))).toEqual([...MAC_C]);
    command(drv, ctrl, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, [0]);
    expect(dev.rx_mode.promisc).toBe(false);
    drv.set_status(0);
    expect([0, 1, 2, 3, 4, 5].map((i) => drv.net_cfg(i, 1))).toEqual([...MAC_A]);
    expect(dev.rx_mode.promisc).toBe(true);
  });

  it("unknown classes, wrong data sizes and commands whose feature was not negotiated are answered ERR", () => {
    const { drv, dev, ctrl } = up(BASIC | bit(VIRTIO_NET_F_CTRL_VQ));
    expect(command(drv, ctrl, 9, 0, [0]).ack).toBe(VIRTIO_NET_ERR);
    expect(command(drv, ctrl, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, [0]).ack).toBe(VIRTIO_NET_ERR); // no CTRL_RX
    expect(command(drv, ctrl, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET, [...MAC_C]).ack).toBe(VIRTIO_NET_ERR); // no CTRL_MAC_ADDR
    expect(dev.stats.ctrl_errors).toBe(3);
    expect(dev.broken).toBe(false);
    const full = up();
    expect(command(full.drv, full.ctrl, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, [0, 0]).ack).toBe(VIRTIO_NET_ERR);
  });

  it("CTRL_RX without CTRL_VQ is refused at FEATURES_OK", () => {
    const { drv } = virtio_machine();
    expect(drv.negotiate(BASIC | bit(VIRTIO_NET_F_CTRL_RX))).not.toBe(S_NEGOTIATED);
    expect(drv.negotiate(CTRL)).toBe(S_NEGOTIATED);
  });

  it("a command without its ack byte is a device error", () => {
    const { drv, dev, ctrl } = up();
    drv.m.mem.u8.set([0, 0, 0], SCRATCH);
    ctrl.add([{ addr: SCRATCH, len: 3 }]);
    drv.kick(2);
    expect(drv.status & VIRTIO_CONFIG_S_NEEDS_RESET).toBe(VIRTIO_CONFIG_S_NEEDS_RESET);
    expect(dev.last_device_error).toMatch(/1-byte ack/);
    expect(dev.model_errors).toBe(0);
  });
});
