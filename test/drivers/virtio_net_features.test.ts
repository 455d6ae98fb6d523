/**
 * The virtio_net driver's negotiated features against the device model: mergeable receive buffers
 * (sized by the moving average, frames spanning buffers, a frame too long dropped and counted),
 * transmit checksum offload and scatter-gather, the control queue (receive mode, MAC address) and
 * the device offers the driver must work without or refuse.
 */
import { describe, expect, it } from "vitest";
import { CHECKSUM_NONE, CHECKSUM_PARTIAL, CHECKSUM_UNNECESSARY, IFF_PROMISC, type NetDevice, type PBuf } from "../../include/net/netdevice.ts";
import type { EthtoolReply } from "../../include/uapi/ethtool.ts";
import { VIRTIO_NET_F_CTRL_MAC_ADDR, VIRTIO_NET_F_CTRL_RX, VIRTIO_NET_F_CTRL_VQ, VIRTIO_NET_F_MRG_RXBUF } from "../../include/uapi/linux/virtio_net.ts";
import { net_connect } from "../../hw/net/net_endpoint.ts";
import { VirtioNet } from "../../hw/net/virtio_net.ts";
import { virtio_net_inject_fault } from "../../hw/net/virtio_net_faults.ts";
import { vring_interrupt } from "../../drivers/virtio/virtio_ring.ts";
import type { VirtnetInfo } from "../../drivers/net/virtio_net_info.ts";
import { dev_add_pack, dev_open, netdev_list as all_netdevs, netdev_transmit } from "../../drivers/net/netdev.ts";
import { receive_buf } from "../../drivers/net/virtio_net_rx.ts";
import { set_features } from "../../drivers/net/netdev_features.ts";
import { virtio_devices } from "../../drivers/virtio/virtio.ts";
import { dma_debug_error_count, dma_debug_nr_entries } from "../../kernel/dma/debug.ts";
import { pbuf_alloc, pbuf_put, pbuf_stats } from "../../kernel/mm/pbuf.ts";
import { kthread_run } from "../../kernel/kthread.ts";
import { load_module, unload_module } from "../../kernel/module.ts";
import { net_control } from "../../kernel/net_control.ts";
import { msleep } from "../../kernel/sched/core.ts";
import { csum_fold, csum_partial } from "../../lib/inet_checksum.ts";
import { boot_test_machine, type TestMachine } from "../helpers/boot.ts";
import { MODULES, record_test_frames, test_frame } from "../helpers/net_machine.ts";
import { make_frame, Sink } from "../helpers/nic_harness.ts";

const MAC = Uint8Array.of(0x52, 0x54, 0, 0x12, 0x34, 0x56);
const PEER = Uint8Array.of(0x02, 0, 0, 0, 0, 0x09);
const bit = (b: number): number => (1 << b) >>> 0;

interface Vnet extends TestMachine {
  dev: VirtioNet;
  sink: Sink;
  eth0: NetDevice;
}

/** One virtio-net-pci (withholding `withhold` from its offer) on a recording wire; drivers loaded, eth0 up. */
async function boot(withhold = 0, up = true): Promise<Vnet> {
  let dev!: VirtioNet;
  const sink = new Sink();
  const tm = boot_test_machine({
    mem_size: 64 << 20,
    setup: (m) => {
      dev = new VirtioNet(m.clock, { mac: MAC, name: "virtio-net.0", withhold });
      m.pci.plug(dev, 3);
      net_connect(sink, dev);
    },
    boot: { modules: MODULES },
  });
  await tm.run_for(1e6);
  for (const name of ["virtio", "virtio_pci", "virtio_net"]) {
    const r = await tm.in_task(() => load_module(name, {}, true));
    if (r !== 0) throw new Error(`${name}: ${r}\n${tm.dmesg()}`);
  }
  const eth0 = all_netdevs().find((d) => d.type === "ether");
  if (up && eth0 !== undefined) {
    await tm.in_task(async () => {
      expect(await dev_open(eth0)).toBe(0);
      await msleep(1);
    });
  }
  return Object.assign(tm, { dev, sink, eth0: eth0! });
}

/** A test frame of `len` bytes (at most what a pbuf holds: 1984) as the wire carries it. */
function wire(dst: Uint8Array, len: number, seq: number): Uint8Array {
  const p = test_frame(dst, PEER, len, seq);
  const f = p.data.slice(p.head, p.head + p.len);
  pbuf_put(p);
  return f;
}

async function ethtool_stats(name = "eth0"): Promise<Record<string, number>> {
  const r = (await net_control()!.ethtool(name, { cmd: "stats" })) as Extract<EthtoolReply, { kind: "stats" }>;
  return Object.fromEntries(r.stats);
}

describe("virtio_net mergeable receive buffers", () => {
  it("frames longer than one buffer arrive joined; buffers grow with the average frame; a frame too long for a pbuf is dropped and counted", async () => {
    const tm = await boot();
    const { got } = record_test_frames();
    const pbufs_before = pbuf_stats().in_use;
    await tm.in_task(async () => {
      // A full-size frame fits the first buffers (hdr 12 + GOOD_PACKET_LEN 1518 → 1536).
      tm.sink.inject(wire(MAC, 1514, 1));
      // 1900 bytes do not: the device fills two buffers and says num_buffers = 2.
      tm.sink.inject(wire(MAC, 1900, 2));
      await msleep(1);
    });
    expect(got).toEqual([
      ["eth0", 1, 1514, true],
      ["eth0", 2, 1900, true],
    ]);
    let s = await ethtool_stats();
    expect(s["rx_queue_0_merged"]).toBe(1);
    expect(s["rx_queue_0_merged_bufs"]).toBe(1);

    // Keep sending 1900-byte frames: the moving average rises and so do the buffers posted. Linux's
    // integer EWMA (weight 1/64, no fraction bits) stops moving 63 below the value, so they stop at
    // hdr 12 + ~1837 → 1856 bytes and every 1900-byte frame still takes two buffers.
    await tm.in_task(async () => {
      for (let i = 0; i < 600; i++) {
        tm.sink.inject(wire(MAC, 1900, 100 + i));
        if (i % 50 === 49) await msleep(1);
      }
      await msleep(1);
    });
    s = await ethtool_stats();
    expect(got.length).toBe(602);
    expect(got.every((g) => g[3] && g[2] === (g[1] === 1 ? 1514 : 1900))).toBe(true);
    expect(s["rx_queue_0_merged"]).toBe(601);
    // But 1840-byte frames, which the first 1536-byte buffers would have split, now fit one each.
    await tm.in_task(async () => {
      for (let i = 0; i < 300; i++) {
        tm.sink.inject(wire(MAC, 1840, 1000 + i));
        if (i % 50 === 49) await msleep(1);
      }
      await msleep(2);
    });
    expect(got.length).toBe(902);
    expect((await ethtool_stats())["rx_queue_0_merged"]).toBe(601);

    // 5000 bytes span buffers the driver cannot join into one pbuf: dropped, every buffer taken back.
    const errs = tm.eth0.stats.rx_length_errors;
    await tm.in_task(async () => {
      tm.sink.inject(make_frame(MAC, PEER, 5000 - 14));
      tm.sink.inject(wire(MAC, 100, 8));
      await msleep(1);
    });
    expect(got.at(-1)).toEqual(["eth0", 8, 100, true]);
    expect(tm.eth0.stats.rx_length_errors).toBe(errs + 1);
    expect((await ethtool_stats())["rx_queue_0_drops"]).toBe(1);
    expect(tm.dev.stats.rx_no_buffers + tm.dev.stats.rx_too_big).toBe(0);
    // Nothing leaked: every buffer in use is one lent to the device, the rest are back in the pool.
    const rq = (tm.eth0.priv as VirtnetInfo).rq;
    expect(pbufs_before).toBe(256);
    expect(pbuf_stats().in_use).toBe(rq.num - rq.num_free);
    expect(dma_debug_error_count()).toBe(0);
  });

  it("a device that says too much in a frame's first buffer: the frame is one drop and all of its buffers come back", async () => {
    const tm = await boot();
    const vi = tm.eth0.priv as VirtnetInfo;
    const rq = vi.rq;
    const v = tm.machine.mem.view;
    // Play the device on the receive ring: the first three posted buffers become one frame of
    // num_buffers 3 whose first used length is one byte more than the buffer.
    const heads = [0, 1, 2].map((i) => v.getUint16(rq.avail_addr + 4 + 2 * i, true));
    const buf0 = v.getUint32(rq.desc_addr + 16 * heads[0]!, true);
    v.setUint16(buf0 + 10, 3, true); // num_buffers
    const lens = [1537, 100, 100]; // the buffers are 1536 bytes
    heads.forEach((h, i) => {
      v.setUint32(rq.used_addr + 4 + 8 * i, h, true);
      v.setUint32(rq.used_addr + 8 + 8 * i, lens[i]!, true);
    });
    v.setUint16(rq.used_addr + 2, 3, true);
    const before = { ...tm.eth0.stats };
    const free = rq.num_free;
    await tm.in_task(async () => {
      vring_interrupt(0, rq);
      await msleep(1);
    });
    expect(tm.eth0.stats.rx_packets).toBe(before.rx_packets);
    expect(tm.eth0.stats.rx_dropped).toBe(before.rx_dropped + 1);
    expect(tm.eth0.stats.rx_length_errors).toBe(before.rx_length_errors + 1);
    expect(rq.num_free).toBe(free + 3);
    expect((await ethtool_stats())["rx_queue_0_drops"]).toBe(1);
  });

  it("without MRG_RXBUF the driver posts one GOOD_PACKET_LEN buffer per frame; a longer frame is the device's drop", async () => {
    const tm = await boot(bit(VIRTIO_NET_F_MRG_RXBUF));
    const { got } = record_test_frames();
    await tm.in_task(async () => {
      tm.sink.inject(wire(MAC, 1518, 1));
      tm.sink.inject(wire(MAC, 1519, 2));
      tm.sink.inject(wire(MAC, 60, 3));
      await msleep(1);
    });
    expect(got.map((g) => [g[1], g[2], g[3]])).toEqual([
      [1, 1518, true],
      [3, 60, true],
    ]);
    expect(tm.dev.stats.rx_too_big).toBe(1);
    expect((await ethtool_stats())["rx_queue_0_merged"]).toBe(0);
  });
});

describe("virtio_net receive header", () => {
  /**
   * The model's back-ends carry no vnet header, so its receive header is always zero (a departure
   * QEMU shares without a tap peer). The driver's reading of flags and gso_type is checked by
   * handing receive_buf a buffer as a device with a vnet-header peer would fill it.
   */
  it("DATA_VALID spares the stack its check (with rx checksumming on); NEEDS_CSUM offsets outside the frame and a GSO type are frame errors", async () => {
    const tm = await boot();
    const vi = tm.eth0.priv as VirtnetInfo;
    const seen: number[] = [];
    dev_add_pack(0x88b5, (p) => {
      seen.push(p.ip_summed);
      pbuf_put(p);
    });
    const used = (flags: number, gso: number, csum_start = 0, csum_offset = 0): void => {
      const p = pbuf_alloc()!;
      const h = vi.rx_buf_offset;
      p.data.fill(0, h, h + vi.hdr_len);
      p.data[h] = flags;
      p.data[h + 1] = gso;
      p.view.setUint16(h + 6, csum_start, true);
      p.view.setUint16(h + 8, csum_offset, true);
      p.view.setUint16(h + 10, 1, true); // num_buffers
      const f = wire(MAC, 100, 1);
      p.data.set(f, 64);
      p.len = 1536; // the bytes lent (truesize)
      receive_buf(vi, p, vi.hdr_len + f.length);
    };
    const errs = tm.eth0.stats.rx_frame_errors;
    await tm.in_task(async () => {
      used(0, 0);
      used(2, 0); // DATA_VALID
      used(1, 0, 14, 4); // NEEDS_CSUM inside the frame
      used(1, 0, 90, 16); // NEEDS_CSUM past its end
      used(0, 1); // GSO TCPv4, never negotiated
      expect(await set_features(tm.eth0, { "rx-checksum": false })).not.toBe(0); // fixed, as Linux's virtio_net
      await msleep(1);
    });
    expect(seen).toEqual([CHECKSUM_NONE, CHECKSUM_UNNECESSARY, CHECKSUM_UNNECESSARY]);
    expect(tm.eth0.stats.rx_frame_errors).toBe(errs + 2);
    expect((await ethtool_stats())["rx_queue_0_csum_valid"]).toBe(1);
  });
});

describe("virtio_net transmit offloads", () => {
  /** A CHECKSUM_PARTIAL frame: the 16-bit field at payload offset 4 is to hold the sum of the payload. */
  function partial(len: number, seq: number): PBuf {
    const p = test_frame(PEER, MAC, len, seq);
    p.ip_summed = CHECKSUM_PARTIAL;
    p.csum_start = p.head + 14;
    p.csum_offset = 4;
    p.view.setUint16(p.head + 18, 0);
    return p;
  }
  const folded = (f: Uint8Array): number => {
    const copy = Uint8Array.from(f);
    copy[18] = copy[19] = 0;
    return csum_fold(csum_partial(copy, 14, copy.length - 14)); // csum_fold returns the complement, as Linux's
  };

  it("hands partial checksums to the device (NEEDS_CSUM) and completes them itself when tx checksumming is off", async () => {
    const tm = await boot();
    await tm.in_task(async () => {
      expect(await netdev_transmit(tm.eth0, partial(300, 1))).toBe(0);
      await msleep(1);
    });
    expect((await ethtool_stats())["tx_queue_0_needs_csum"]).toBe(1);
    expect(tm.dev.stats.tx_frames).toBeGreaterThan(0);
    let f = tm.sink.frames.at(-1)!;
    expect(f.length).toBe(300);
    expect(new DataView(f.buffer).getUint16(18)).toBe(folded(f));

    await tm.in_task(async () => {
      expect(await set_features(tm.eth0, { "tx-checksum-ip-generic": false })).toBe(0);
      expect(await netdev_transmit(tm.eth0, partial(300, 2))).toBe(0);
      await msleep(1);
    });
    expect((await ethtool_stats())["tx_queue_0_needs_csum"]).toBe(1);
    f = tm.sink.frames.at(-1)!;
    expect(new DataView(f.buffer).getUint16(18)).toBe(folded(f));
  });

  it("sends a fragmented frame as header + head + fragments (scatter-gather), byte for byte", async () => {
    const tm = await boot();
    const head = test_frame(PEER, MAC, 40, 5);
    const frag = pbuf_alloc()!;
    for (let i = 0; i < 700; i++) frag.data[frag.head + i] = (i * 7) & 0xff;
    frag.len = 700;
    const expected = new Uint8Array(740);
    expected.set(head.data.subarray(head.head, head.head + 40), 0);
    expected.set(frag.data.subarray(frag.head, frag.head + 700), 40);
    head.frag = frag;
    head.data_len = 700;
    head.len = 740;
    await tm.in_task(async () => {
      expect(await netdev_transmit(tm.eth0, head)).toBe(0);
      await msleep(1);
    });
    expect(tm.sink.frames.at(-1)).toEqual(expected);
    expect(tm.eth0.stats.tx_packets).toBeGreaterThan(0);
    expect(dma_debug_error_count()).toBe(0);
  });
});

describe("virtio_net control queue", () => {
  it("narrows the device's filter at ifup, opens it with `promisc on`, and moves the device's address with the interface's", async () => {
    const tm = await boot();
    const { got } = record_test_frames();
    const other = Uint8Array.of(0x52, 0x54, 0, 0xaa, 0xbb, 0xcc);
    // ifup sent PROMISC off, ALLMULTI off and an empty MAC table.
    expect(tm.dev.rx_mode.promisc).toBe(false);
    expect((await ethtool_stats())["ctrl_commands"]).toBe(3);
    await tm.in_task(async () => {
      tm.sink.inject(wire(other, 100, 1));
      tm.sink.inject(wire(MAC, 100, 2));
      await msleep(1);
    });
    expect(got.map((g) => g[1])).toEqual([2]);
    expect(tm.dev.stats.rx_filtered).toBe(1);

    expect(await net_control()!.setlink("eth0", { promisc: true })).toBe(0);
    expect(tm.eth0.flags & IFF_PROMISC).toBe(IFF_PROMISC);
    expect(tm.dev.rx_mode.promisc).toBe(true);
    expect(tm.dmesg()).toContain("eth0: entered promiscuous mode");
    await tm.in_task(async () => {
      tm.sink.inject(wire(other, 100, 3));
      await msleep(1);
    });
    expect(got.map((g) => g[1])).toEqual([2, 3]);
    expect(await net_control()!.setlink("eth0", { promisc: false })).toBe(0);
    expect(tm.dev.rx_mode.promisc).toBe(false);

    // The address: CTRL_MAC_ADDR_SET moves the device's filter with it.
    expect(await net_control()!.setlink("eth0", { mac: "52:54:00:aa:bb:cc" })).toBe(0);
    expect([...tm.dev.mac]).toEqual([...other]);
    await tm.in_task(async () => {
      tm.sink.inject(wire(other, 100, 4));
      tm.sink.inject(wire(MAC, 100, 5));
      await msleep(1);
    });
    expect(got.map((g) => g[1])).toEqual([2, 3, 4]);
    const s = await ethtool_stats();
    expect(s["ctrl_errors"]).toBe(0);
    expect(s["ctrl_commands"]).toBe(3 + 3 + 3 + 1);
  });

  it("without a control queue the device stays promiscuous; a control feature offered without CTRL_VQ is refused at probe", async () => {
    const tm = await boot(bit(VIRTIO_NET_F_CTRL_VQ) | bit(VIRTIO_NET_F_CTRL_RX) | bit(VIRTIO_NET_F_CTRL_MAC_ADDR) | bit(20));
    expect(tm.dev.rx_mode.promisc).toBe(true);
    const s = await ethtool_stats();
    expect(s["ctrl_commands"]).toBeUndefined();
    const { got } = record_test_frames();
    await tm.in_task(async () => {
      tm.sink.inject(wire(Uint8Array.of(0x52, 0x54, 0, 1, 2, 3), 100, 1));
      await msleep(1);
    });
    expect(got.length).toBe(1);

    const bad = await boot(bit(VIRTIO_NET_F_CTRL_VQ), false);
    expect(bad.eth0).toBeUndefined();
    expect(virtio_devices()).toHaveLength(1);
    expect(bad.dmesg()).toContain("device advertises feature VIRTIO_NET_F_CTRL_RX but not VIRTIO_NET_F_CTRL_VQ");
  });

  it("allmulticast on sends ALLMULTI=1; a command the device never answers is a soft lockup that kills the caller and leaks nothing", async () => {
    const tm = await boot();
    expect(await net_control()!.setlink("eth0", { allmulti: true })).toBe(0);
    expect(tm.dev.rx_mode.allmulti).toBe(true);
    expect(tm.dev.rx_mode.promisc).toBe(false);
    // A device that needs a reset ignores doorbells: the driver spins, as Linux's would.
    expect(virtio_net_inject_fault(tm.dev, "needs_reset")).toBe("");
    let r: number | undefined;
    const t = kthread_run(async () => {
      r = await net_control()!.setlink("eth0", { promisc: true });
    }, null, "ip");
    await tm.run_until(() => t.exited, 60e9);
    expect(t.exited).toBe(true);
    expect(r).toBeUndefined(); // killed, not returned
    expect(tm.dmesg()).toMatch(/watchdog: BUG: soft lockup - CPU#0 stuck for \d+s! \[ip:\d+\]/);
    expect(tm.dmesg()).not.toContain("exception in ndo_set_rx_mode");
    // The command still posted is taken back at remove: no mapping outlives the driver.
    for (const name of ["virtio_net", "virtio_pci", "virtio"]) expect(await tm.in_task(() => unload_module(name))).toBe(0);
    expect(dma_debug_nr_entries()).toBe(0);
    expect(dma_debug_error_count()).toBe(0);
  });

  it("ethtool -l: one combined channel", async () => {
    await boot();
    const r = (await net_control()!.ethtool("eth0", { cmd: "channels" })) as Extract<EthtoolReply, { kind: "channels" }>;
    expect(r.channels.combined_count).toBe(1);
    expect(r.channels.max_combined).toBe(1);
  });
});
