/**
 * The virtio core, the modern virtio-pci transport and virtio_net against the virtio-net-pci model:
 * probe and feature negotiation, MSI-X per-queue vectors and the INTx fallback, frames both ways
 * byte-exact, more frames than the rings hold, link changes, and clean rmmod / insmod cycles
 * (no DMA mappings, DMA-API errors, pages or pbufs left behind).
 */
import { describe, expect, it } from "vitest";
import { EAGAIN } from "../../include/linux/errno.ts";
import type { ModuleIndex, ModuleInfo } from "../../include/linux/module.ts";
import { PCI_CAPABILITY_LIST } from "../../include/kernel/pci.ts";
import { VIRTIO_CONFIG_S_ACKNOWLEDGE, VIRTIO_CONFIG_S_DRIVER, VIRTIO_CONFIG_S_DRIVER_OK, VIRTIO_CONFIG_S_FAILED, VIRTIO_CONFIG_S_FEATURES_OK, VIRTIO_F_VERSION_1, VIRTIO_RING_F_EVENT_IDX, VIRTIO_RING_F_INDIRECT_DESC } from "../../include/uapi/linux/virtio_config.ts";
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
} from "../../include/uapi/linux/virtio_net.ts";
import { Hub } from "../../hw/net/hub.ts";
import { net_connect, type NetEndpoint } from "../../hw/net/net_endpoint.ts";
import { VirtioNet } from "../../hw/net/virtio_net.ts";
import netdev_module, { dev_close, dev_open, dev_queue_xmit, netdev_list as all_netdevs, netdev_transmit } from "../../drivers/net/netdev.ts";
import virtio_net_module from "../../drivers/net/virtio_net.ts";
import virtio_module, { register_virtio_driver, unregister_virtio_driver, virtio_devices, virtio_has_feature, type VirtioDriver } from "../../drivers/virtio/virtio.ts";
import virtio_pci_module from "../../drivers/virtio/virtio_pci_common.ts";
import { dma_debug_error_count, dma_debug_nr_entries } from "../../kernel/dma/debug.ts";
import { dma_coherent_usage } from "../../kernel/dma/mapping.ts";
import { proc_read } from "../../kernel/fs/proc.ts";
import { fail_page_alloc_attr } from "../../kernel/mm/fail_page_alloc.ts";
import { nr_free_pages } from "../../kernel/mm/page_alloc.ts";
import { pbuf_put, pbuf_stats } from "../../kernel/mm/pbuf.ts";
import { load_module, unload_module } from "../../kernel/module.ts";
import { msleep } from "../../kernel/sched/core.ts";
import { boot_test_machine, type TestMachine } from "../helpers/boot.ts";
import { record_test_frames, test_frame as frame, TEST_TYPE } from "../helpers/net_machine.ts";
import { Sink } from "../helpers/nic_harness.ts";

const MODULES: ModuleIndex = new Map<string, { load: () => Promise<ModuleInfo>; size: number }>([
  ["netdev", { load: async () => netdev_module, size: 1 }],
  ["virtio", { load: async () => virtio_module, size: 1 }],
  ["virtio_pci", { load: async () => virtio_pci_module, size: 1 }],
  ["virtio_net", { load: async () => virtio_net_module, size: 1 }],
]);

const MAC = (i: number): Uint8Array => Uint8Array.of(0x52, 0x54, 0, 0x12, 0x34, 0x56 + i);
const netdev_list = () => all_netdevs().filter((d) => d.type === "ether");

interface VnetMachine extends TestMachine {
  devs: VirtioNet[];
}

/** Boot with `wires.length` virtio-net-pci functions in slots 3, 4, …; optionally hide MSI-X; load the drivers. */
async function boot_vnet(opts: { wires: (NetEndpoint | null)[]; no_msix?: boolean; msix_entries?: number; no_common?: boolean; load?: boolean; dma_coherent?: boolean }): Promise<VnetMachine> {
  const devs: VirtioNet[] = [];
  const tm = boot_test_machine({
    mem_size: 64 << 20,
    dma_coherent: opts.dma_coherent ?? true,
    setup: (m) => {
      opts.wires.forEach((w, i) => {
        const dev = new VirtioNet(m.clock, { mac: MAC(i), name: `virtio-net.${i}` });
        if (opts.no_msix) {
          // MSI-X is the head of the capability list (QEMU links each capability at the head): unlink it.
          const msix = dev.config[PCI_CAPABILITY_LIST]!;
          dev.config[PCI_CAPABILITY_LIST] = dev.config[msix + 1]!;
        }
        if (opts.no_common) {
          // The COMMON capability (QEMU puts it at 0x40) becomes a vendor-specific one nobody knows.
          expect(dev.config[0x40 + 3]).toBe(1);
          dev.config[0x40 + 3] = 9;
        }
        if (opts.msix_entries !== undefined) {
          // Advertise fewer table entries (Table Size, Message Control bits 10:0) than the model has.
          const msix = dev.config[PCI_CAPABILITY_LIST]!;
          dev.config[msix + 2] = opts.msix_entries - 1;
        }
        m.pci.plug(dev, 3 + i);
        if (w) net_connect(w, dev);
        devs.push(dev);
      });
    },
    boot: { modules: MODULES },
  });
  await tm.run_for(1e6);
  if (opts.load !== false) await load_all(tm);
  return Object.assign(tm, { devs });
}

async function load_all(tm: TestMachine): Promise<void> {
  for (const name of ["virtio", "virtio_pci", "virtio_net"]) {
    const r = await tm.in_task(() => load_module(name, {}, true));
    if (r !== 0) throw new Error(`${name} did not load: ${r}\n${tm.dmesg()}`);
  }
}

async function unload_all(tm: TestMachine): Promise<void> {
  for (const name of ["virtio_net", "virtio_pci", "virtio"]) expect(await tm.in_task(() => unload_module(name))).toBe(0);
}

async function up_all(tm: TestMachine): Promise<void> {
  await tm.in_task(async () => {
    for (const d of netdev_list()) expect(await dev_open(d)).toBe(0);
    await msleep(10);
  });
}


/** The wire frame test_frame(dst, src, len, seq) builds. */
function wire_frame(dst: Uint8Array, src: Uint8Array, len: number, seq: number): Uint8Array {
  const p = frame(dst, src, len, seq);
  const out = p.data.slice(p.head, p.head + p.len);
  pbuf_put(p);
  return out;
}

describe("virtio_net probe", () => {
  it("negotiates what both sides have (not CTRL_RX_EXTRA, which Linux's driver leaves), reaches DRIVER_OK and registers eth0 with the config MAC", async () => {
    const tm = await boot_vnet({ wires: [new Sink()] });
    const vdev = virtio_devices()[0]!;
    expect(vdev.name).toBe("virtio0");
    const want = [VIRTIO_F_VERSION_1, VIRTIO_NET_F_MAC, VIRTIO_NET_F_STATUS, VIRTIO_RING_F_EVENT_IDX, VIRTIO_RING_F_INDIRECT_DESC, VIRTIO_NET_F_MRG_RXBUF, VIRTIO_NET_F_CSUM, VIRTIO_NET_F_GUEST_CSUM, VIRTIO_NET_F_CTRL_VQ, VIRTIO_NET_F_CTRL_RX, VIRTIO_NET_F_CTRL_MAC_ADDR];
    expect(vdev.features).toBe(want.reduce((a, f) => a | (1n << BigInt(f)), 0n));
    expect(virtio_has_feature(vdev, VIRTIO_NET_F_CTRL_RX_EXTRA)).toBe(false);
    expect(tm.devs[0]!.has_feature(VIRTIO_F_VERSION_1)).toBe(true);
    expect(vdev.config.get_status(vdev)).toBe(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
    const eth = netdev_list();
    expect(eth.map((d) => [d.name, d.parent, d.driver, [...d.dev_addr].map((b) => b.toString(16)).join(":")])).toEqual([["eth0", "0000:00:03.0", "virtio_net", "52:54:0:12:34:56"]]);
    expect(eth[0]!.ethtool_ops!.get_drvinfo(eth[0]!).driver).toBe("virtio_net");
    expect(eth[0]!.carrier).toBe(true);
  });

  it("fails the probe with -ENODEV and FAILED status when the device refuses FEATURES_OK", async () => {
    const tm = await boot_vnet({ wires: [new Sink()], load: false });
    for (const name of ["virtio", "virtio_pci"]) expect(await tm.in_task(() => load_module(name, {}, true))).toBe(0);
    let probed = 0;
    const drv: VirtioDriver = {
      name: "greedy",
      id_table: [{ device: 1 }],
      feature_table: [VIRTIO_F_VERSION_1],
      // Accept a bit the device never offered (MQ): the device must refuse FEATURES_OK.
      validate: (vdev) => {
        vdev.features |= 1n << 22n;
        return 0;
      },
      probe: () => {
        probed++;
        return 0;
      },
      remove: () => {},
    };
    expect(await tm.in_task(() => register_virtio_driver(drv))).toBe(0);
    const vdev = virtio_devices()[0]!;
    expect(probed).toBe(0);
    expect(vdev.driver).toBe(null);
    expect(vdev.config.get_status(vdev) & VIRTIO_CONFIG_S_FAILED).toBe(VIRTIO_CONFIG_S_FAILED);
    expect(vdev.config.get_status(vdev) & VIRTIO_CONFIG_S_FEATURES_OK).toBe(0);
    expect(tm.dmesg()).toMatch(/virtio0: virtio: device refuses features[\s\S]*greedy: probe of virtio0 failed with error -19/);
    await tm.in_task(() => unregister_virtio_driver(drv));
    expect(await tm.in_task(() => unload_module("virtio_pci"))).toBe(0);
    expect(dma_debug_nr_entries()).toBe(0);
  });

  it("leaves a function without the COMMON capability alone (-ENODEV, nothing held)", async () => {
    const tm = await boot_vnet({ wires: [new Sink()], no_common: true });
    expect(virtio_devices()).toEqual([]);
    expect(netdev_list()).toEqual([]);
    expect(tm.dmesg()).toMatch(/0000:00:03\.0: virtio_pci: leaving for legacy driver/);
    expect(dma_debug_nr_entries()).toBe(0);
    await unload_all(tm);
  });

  it("uses MSI-X: a config vector and one per queue, shown as PCI-MSI in /proc/interrupts (Linux 6.1)", async () => {
    const tm = await boot_vnet({ wires: [new Sink()] });
    const text = await tm.in_task(() => proc_read("/proc/interrupts"));
    expect(typeof text).toBe("string");
    // hwirq (bus << 8 | devfn) << 11 | vector: 00:03.0 is devfn 24, 24 << 11 = 49152.
    const lines = (text as string).split("\n").filter((l) => l.includes(" PCI-MSI 4915"));
    expect(lines.length).toBe(3);
    expect(lines.some((l) => / PCI-MSI 49152-edge +virtio0-config$/.test(l))).toBe(true);
    expect(lines.some((l) => / PCI-MSI 49153-edge +virtio0-input\.0$/.test(l))).toBe(true);
    expect(lines.some((l) => / PCI-MSI 49154-edge +virtio0-output\.0$/.test(l))).toBe(true);
  });

  it("with only 2 MSI-X vectors shares one vector between the queues (config + virtqueues)", async () => {
    const sink = new Sink();
    const tm = await boot_vnet({ wires: [sink], msix_entries: 2 });
    const text = (await tm.in_task(() => proc_read("/proc/interrupts"))) as string;
    const lines = text.split("\n").filter((l) => l.includes(" PCI-MSI 4915"));
    expect(lines.length).toBe(2);
    expect(lines.some((l) => l.includes("virtio0-config"))).toBe(true);
    expect(lines.some((l) => l.includes("virtio0-virtqueues"))).toBe(true);
    const { got } = record_test_frames();
    await up_all(tm);
    await tm.in_task(async () => {
      for (let i = 0; i < 5; i++) expect(await netdev_transmit(netdev_list()[0]!, frame(Uint8Array.of(2, 0, 0, 0, 0, 1), MAC(0), 100, i))).toBe(0);
      for (let i = 0; i < 5; i++) sink.inject(wire_frame(MAC(0), Uint8Array.of(2, 0, 0, 0, 0, 1), 200, 100 + i));
      await msleep(10);
    });
    expect(sink.frames.length).toBe(5);
    expect(got.map((g) => g[1])).toEqual([100, 101, 102, 103, 104]);
  });

  it("falls back to the shared INTx line with the ISR when the function has no MSI-X", async () => {
    const sink = new Sink();
    const tm = await boot_vnet({ wires: [sink], no_msix: true });
    const text = (await tm.in_task(() => proc_read("/proc/interrupts"))) as string;
    expect(text).not.toMatch(/PCI-MSI/);
    expect(text).toMatch(/virtio0/);
    const { got } = record_test_frames();
    await up_all(tm);
    await tm.in_task(async () => {
      for (let i = 0; i < 10; i++) expect(await netdev_transmit(netdev_list()[0]!, frame(Uint8Array.of(2, 0, 0, 0, 0, 1), MAC(0), 100, i))).toBe(0);
      for (let i = 0; i < 10; i++) sink.inject(wire_frame(MAC(0), Uint8Array.of(2, 0, 0, 0, 0, 1), 200, 100 + i));
      await msleep(10);
    });
    expect(sink.frames.length).toBe(10);
    expect(got.map((g) => g[1])).toEqual(Array.from({ length: 10 }, (_, i) => 100 + i));
    expect(dma_debug_error_count()).toBe(0);
  });
});

describe("virtio_net data path", () => {
  it.each([
    ["x86 (coherent)", true],
    ["dma-coherent=off", false],
  ])("sends byte-exact frames to the wire and receives byte-exact frames from it, %s", async (_name, coherent) => {
    const sink = new Sink();
    const tm = await boot_vnet({ wires: [sink], dma_coherent: coherent });
    const { got } = record_test_frames();
    await up_all(tm);
    const peer = Uint8Array.of(2, 0, 0, 0, 0, 9);
    const sizes = [60, 61, 100, 1000, 1514];
    await tm.in_task(async () => {
      for (const [i, n] of sizes.entries()) expect(await netdev_transmit(netdev_list()[0]!, frame(peer, MAC(0), n, i))).toBe(0);
      await msleep(5);
    });
    expect(sink.frames.map((f) => [...f])).toEqual(sizes.map((n, i) => [...wire_frame(peer, MAC(0), n, i)]));
    // RX: every byte as sent (record checks the payload pattern; lengths and order too).
    await tm.in_task(async () => {
      for (const [i, n] of sizes.entries()) sink.inject(wire_frame(MAC(0), peer, n, 50 + i));
      await msleep(5);
    });
    expect(got).toEqual(sizes.map((n, i) => ["eth0", 50 + i, n, true]));
    const s = netdev_list()[0]!.stats;
    expect([s.tx_packets, s.rx_packets, s.rx_dropped, s.tx_dropped, s.rx_errors]).toEqual([5, 5, 0, 0, 0]);
    expect(s.tx_bytes).toBe(sizes.reduce((a, b) => a + b, 0));
    expect(dma_debug_error_count()).toBe(0);
  });

  it("carries 2000 frames each way between two functions on a hub (8× the 256-entry rings) without loss", async () => {
    const hub = new Hub();
    const tm = await boot_vnet({ wires: [hub.port(), hub.port()] });
    const { got } = record_test_frames();
    await up_all(tm);
    const N = 2000;
    await tm.in_task(async () => {
      const [a, b] = netdev_list();
      for (let i = 0; i < N; i++) {
        expect(await netdev_transmit(a!, frame(MAC(1), MAC(0), 60 + (i % 1400), i))).toBe(0);
        expect(await netdev_transmit(b!, frame(MAC(0), MAC(1), 60 + (i % 900), N + i))).toBe(0);
        if (i % 50 === 49) await msleep(1);
      }
      await msleep(20);
    });
    const on = (name: string) => got.filter((g) => g[0] === name);
    expect(on("eth1").map((g) => g[1])).toEqual(Array.from({ length: N }, (_, i) => i));
    expect(on("eth0").map((g) => g[1])).toEqual(Array.from({ length: N }, (_, i) => N + i));
    expect(got.every((g) => g[3])).toBe(true);
    for (const d of netdev_list()) {
      expect([d.stats.tx_packets, d.stats.rx_packets, d.stats.tx_dropped, d.stats.rx_dropped]).toEqual([N, N, 0, 0]);
    }
    for (const dev of tm.devs) expect([dev.stats.rx_no_buffers, dev.stats.rx_not_ready]).toEqual([0, 0]);
    expect(dma_debug_error_count()).toBe(0);
  });

  it("stops the queue when the TX ring fills and wakes it from the TX interrupt: 1000 back-to-back frames, none lost", async () => {
    const sink = new Sink();
    const tm = await boot_vnet({ wires: [sink] });
    await up_all(tm);
    const eth0 = netdev_list()[0]!;
    const N = 1000;
    await tm.in_task(async () => {
      // Batched (xmit_more): the doorbell waits, so the ring fills and the queue stops.
      for (let i = 0; i < N; i++) {
        const p = frame(Uint8Array.of(2, 0, 0, 0, 0, 9), MAC(0), 60 + (i % 1000), i);
        let r = dev_queue_xmit(eth0, p, true);
        if (r === -EAGAIN) r = await netdev_transmit(eth0, p);
        expect(r).toBe(0);
      }
      eth0.netdev_ops.ndo_flush_xmit!(eth0);
      await msleep(10);
    });
    expect(sink.frames.map((f) => new DataView(f.buffer, f.byteOffset).getUint32(14, false))).toEqual(Array.from({ length: N }, (_, i) => i));
    const stats = new Map(eth0.ethtool_ops!.get_ethtool_stats(eth0));
    expect(stats.get("tx_queue_0_stops")).toBeGreaterThan(0);
    expect(stats.get("tx_queue_0_wakes")).toBe(stats.get("tx_queue_0_stops"));
    expect([eth0.stats.tx_packets, eth0.stats.tx_dropped, eth0.stats.tx_fifo_errors]).toEqual([N, 0, 0]);
    expect(dma_debug_error_count()).toBe(0);
  });

  it("keeps working across ifdown / ifup (posted buffers stay lent, no mapping leaks)", async () => {
    const sink = new Sink();
    const tm = await boot_vnet({ wires: [sink] });
    const { got } = record_test_frames();
    const eth0 = netdev_list()[0]!;
    const peer = Uint8Array.of(2, 0, 0, 0, 0, 9);
    for (let round = 0; round < 3; round++) {
      await up_all(tm);
      await tm.in_task(async () => {
        for (let i = 0; i < 300; i++) {
          sink.inject(wire_frame(MAC(0), peer, 100, round * 1000 + i));
          if (i % 100 === 99) await msleep(1); // NAPI runs and refills (256 buffers would not hold 300)
        }
        for (let i = 0; i < 30; i++) expect(await netdev_transmit(eth0, frame(peer, MAC(0), 70, i))).toBe(0);
        await msleep(5);
        expect(await dev_close(eth0)).toBe(0);
      });
      // The receive ring full of buffers; coherent: the three rings and the control queue's indirect tables.
      expect(dma_debug_nr_entries()).toBe(256 + 4);
    }
    expect(got.length).toBe(900);
    expect(got.every((g) => g[3])).toBe(true);
    expect(tm.devs[0]!.stats.rx_no_buffers).toBe(0);
    expect(sink.frames.length).toBe(90);
    expect(dma_debug_error_count()).toBe(0);
  });

  it("follows the link: a config-change interrupt turns the carrier off and on", async () => {
    const sink = new Sink();
    const tm = await boot_vnet({ wires: [sink] });
    await up_all(tm);
    const eth0 = netdev_list()[0]!;
    expect(eth0.carrier).toBe(true);
    tm.devs[0]!.set_link(false);
    await tm.run_until(() => !eth0.carrier, 1e8);
    expect(eth0.carrier).toBe(false);
    tm.devs[0]!.set_link(true);
    await tm.run_until(() => eth0.carrier, 1e8);
    expect(eth0.carrier).toBe(true);
    expect(tm.dmesg()).toMatch(/eth0: link down[\s\S]*eth0: link up/);
    // Still works after the flap.
    const { got } = record_test_frames();
    await tm.in_task(async () => {
      sink.inject(wire_frame(MAC(0), Uint8Array.of(2, 0, 0, 0, 0, 9), 80, 7));
      await msleep(2);
    });
    expect(got).toEqual([["eth0", 7, 80, true]]);
  });
});

describe("virtio_net teardown", () => {
  it("falls back to a shared vector when memory runs short once, fails cleanly when it stays short, and binds at the next insmod", async () => {
    const tm = await boot_vnet({ wires: [new Sink()], load: false });
    for (const name of ["virtio", "virtio_pci"]) expect(await tm.in_task(() => load_module(name, {}, true))).toBe(0);
    await tm.in_task(() => msleep(1));
    const pages0 = nr_free_pages();
    const f = fail_page_alloc_attr();
    f.set_min_order(0);
    f.set_ignore_gfp_wait(false);
    f.attr.verbose = 0;
    f.attr.probability = 100;
    // One failure: the first ring of the per-queue MSI-X attempt; the shared-vector attempt works.
    f.attr.times = 1;
    expect(await tm.in_task(() => load_module("virtio_net", {}, true))).toBe(0);
    expect(netdev_list().length).toBe(1);
    const text = (await tm.in_task(() => proc_read("/proc/interrupts"))) as string;
    expect(text).toMatch(/virtio0-virtqueues/);
    expect(await tm.in_task(() => unload_module("virtio_net"))).toBe(0);
    // Three failures: MSI-X per queue, MSI-X shared and INTx all lose their first ring.
    f.attr.probability = 100;
    f.attr.times = 3;
    expect(await tm.in_task(() => load_module("virtio_net", {}, true))).toBe(0); // the driver loads; the bind fails
    f.attr.probability = 0;
    expect(netdev_list()).toEqual([]);
    expect(tm.dmesg()).toMatch(/virtio_net: probe of virtio0 failed with error -12/);
    const vdev = virtio_devices()[0]!;
    expect(vdev.config.get_status(vdev) & VIRTIO_CONFIG_S_FAILED).toBe(VIRTIO_CONFIG_S_FAILED);
    expect(await tm.in_task(() => proc_read("/proc/interrupts"))).not.toMatch(/virtio0/);
    expect(dma_debug_nr_entries()).toBe(0);
    expect(await tm.in_task(() => unload_module("virtio_net"))).toBe(0);
    await tm.in_task(() => msleep(1));
    expect(nr_free_pages()).toBe(pages0);
    expect(await tm.in_task(() => load_module("virtio_net", {}, true))).toBe(0);
    expect(netdev_list().length).toBe(1);
    await up_all(tm);
    await unload_all(tm);
    expect(dma_debug_nr_entries()).toBe(0);
    expect(dma_debug_error_count()).toBe(0);
  });

  it("binds in either load order, and survives rmmod virtio_pci under a loaded virtio_net", async () => {
    const sink = new Sink();
    const tm = await boot_vnet({ wires: [sink], load: false });
    for (const name of ["virtio", "virtio_net", "virtio_pci"]) expect(await tm.in_task(() => load_module(name, {}, true))).toBe(0);
    expect(netdev_list().map((d) => d.name)).toEqual(["eth0"]);
    await up_all(tm);
    expect(await tm.in_task(() => unload_module("virtio_pci"))).toBe(0);
    expect(netdev_list()).toEqual([]);
    expect(virtio_devices()).toEqual([]);
    expect(dma_debug_nr_entries()).toBe(0);
    // "virtio" is held by virtio_net: it cannot go first.
    expect(await tm.in_task(() => unload_module("virtio"))).not.toBe(0);
    expect(await tm.in_task(() => load_module("virtio_pci", {}, true))).toBe(0);
    expect(netdev_list().map((d) => d.name)).toEqual(["eth0"]);
    const { got } = record_test_frames();
    await up_all(tm);
    await tm.in_task(async () => {
      sink.inject(wire_frame(MAC(0), Uint8Array.of(2, 0, 0, 0, 0, 9), 64, 3));
      await msleep(2);
    });
    expect(got).toEqual([["eth0", 3, 64, true]]);
    await unload_all(tm);
    expect(dma_debug_nr_entries()).toBe(0);
    expect(dma_debug_error_count()).toBe(0);
  });

  it("rmmod with the interface up and traffic in flight leaves no DMA mappings, coherent memory, pages or pbufs; insmod/rmmod cycles", async () => {
    const sink = new Sink();
    const tm = await boot_vnet({ wires: [sink], load: false });
    await tm.in_task(() => msleep(1));
    const pages0 = nr_free_pages();
    const pbufs0 = pbuf_stats().in_use;
    const coherent0 = dma_coherent_usage().allocations;
    for (let cycle = 0; cycle < 3; cycle++) {
      await load_all(tm);
      const { got } = record_test_frames();
      await up_all(tm);
      await tm.in_task(async () => {
        for (let i = 0; i < 40; i++) expect(await netdev_transmit(netdev_list()[0]!, frame(Uint8Array.of(2, 0, 0, 0, 0, 9), MAC(0), 300, i))).toBe(0);
        for (let i = 0; i < 40; i++) sink.inject(wire_frame(MAC(0), Uint8Array.of(2, 0, 0, 0, 0, 9), 300, 100 + i));
      });
      expect(dma_debug_nr_entries()).toBeGreaterThan(0); // receive buffers are lent out
      await tm.in_task(() => msleep(5));
      expect(got.length).toBe(40);
      // Close half the time: remove must cope with the interface up or down.
      if (cycle === 1) await tm.in_task(() => dev_close(netdev_list()[0]!));
      await unload_all(tm);
      (await import("../../drivers/net/netdev.ts")).dev_remove_pack(TEST_TYPE);
      expect(netdev_list()).toEqual([]);
      expect(dma_debug_nr_entries()).toBe(0);
      expect(dma_debug_error_count()).toBe(0);
      expect(dma_coherent_usage().allocations).toBe(coherent0);
      expect(pbuf_stats().in_use).toBe(pbufs0);
      // Reset by virtnet_remove; the core then acknowledges the device again, as Linux's virtio_dev_remove.
      expect(tm.devs[0]!.status).toBe(VIRTIO_CONFIG_S_ACKNOWLEDGE);
    }
    expect(sink.frames.length).toBe(120);
    await tm.in_task(() => msleep(1));
    expect(nr_free_pages()).toBe(pages0);
  });

  it("1,000 rmmod virtio_net / insmod virtio_net cycles (traffic every 100th) leak no page, mapping or buffer", async () => {
    const sink = new Sink();
    const tm = await boot_vnet({ wires: [sink], load: false });
    for (const name of ["virtio", "virtio_pci"]) expect(await tm.in_task(() => load_module(name, {}, true))).toBe(0);
    await tm.in_task(() => msleep(1));
    const pages0 = nr_free_pages();
    const coherent0 = dma_coherent_usage().allocations;
    for (let i = 0; i < 1000; i++) {
      expect(await tm.in_task(() => load_module("virtio_net", {}, true))).toBe(0);
      if (i % 100 === 0) {
        await tm.in_task(async () => {
          const eth0 = netdev_list()[0]!;
          expect(await dev_open(eth0)).toBe(0);
          expect(await netdev_transmit(eth0, frame(eth0.broadcast, eth0.dev_addr, 200, i))).toBe(0);
          await msleep(1);
        });
      }
      expect(await tm.in_task(() => unload_module("virtio_net"))).toBe(0);
    }
    expect(sink.frames.length).toBe(10);
    expect(dma_debug_nr_entries()).toBe(0);
    expect(dma_debug_error_count()).toBe(0);
    expect(dma_coherent_usage().allocations).toBe(coherent0);
    expect(pbuf_stats().in_use).toBe(0);
    await tm.in_task(() => msleep(1));
    expect(nr_free_pages()).toBe(pages0);
  });
});
