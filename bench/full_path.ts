/**
 * The bench's full path (bench/bench.ts): a machine with two e1000 (or virtio-net-pci) NICs on a
 * hub, frames pushed from eth0's driver to a protocol handler on eth1, timed on the wall clock
 * while the machine runs on the virtual clock; and a way to count the bytes the V8 heap allocated
 * meanwhile.
 */
import { GCProfiler, getHeapStatistics } from "node:v8";
import { World } from "../hw/world.ts";
import { start_kernel } from "../kernel/main.ts";
import { set_this_kernel } from "../kernel/kernel.ts";
import { EAGAIN } from "../include/linux/errno.ts";
import type { NetDevice } from "../include/net/netdevice.ts";
import { CHECKSUM_PARTIAL } from "../include/net/netdevice.ts";
import { E1000 } from "../hw/net/e1000.ts";
import { Hub } from "../hw/net/hub.ts";
import { net_connect } from "../hw/net/net_endpoint.ts";
import netdev_module, { dev_add_pack, dev_open, dev_queue_xmit, netdev_list, netdev_transmit } from "../drivers/net/netdev.ts";
import e1000_module from "../drivers/net/e1000.ts";
import { VirtioNet } from "../hw/net/virtio_net.ts";
import virtio_module, { virtio_devices } from "../drivers/virtio/virtio.ts";
import virtio_pci_module, { vp_vq_irq } from "../drivers/virtio/virtio_pci_common.ts";
import virtio_net_module from "../drivers/net/virtio_net.ts";
import { kstat_irqs } from "../kernel/irq/irqdesc.ts";
import { kthread_run } from "../kernel/kthread.ts";
import { pbuf_alloc, pbuf_put } from "../kernel/mm/pbuf.ts";
import { load_module } from "../kernel/module.ts";
import type { ModuleInfo } from "../include/linux/module.ts";
import { msleep, nr_context_switches, sched_yield } from "../kernel/sched/core.ts";
import { start_lockup_watchdog } from "../boot/lockup_watchdog.ts";
import { set_features } from "../drivers/net/netdev_features.ts";
import { csum_fold, csum_tcpudp_nofold, ip_compute_csum } from "../lib/inet_checksum.ts";
import { dma_debug_enabled, dma_debug_error_count } from "../kernel/dma/debug.ts";

/**
 * Full path: netdev transmit on eth0 → e1000 TX ring (or virtio TX queue) → model → hub → model →
 * eth1 RX ring (or queue) → interrupt → NAPI poll → netdev_receive → a protocol handler, on the
 * virtual clock, with frames sent in batches of 64 (one doorbell per batch). Returns frames per
 * wall-clock second and interrupts per frame on the receiving NIC (its RX vector for virtio).
 */
/**
 * What the frames carry: raw frames of a local EtherType, or IPv4/UDP datagrams whose checksum is
 * left to the NIC (CHECKSUM_PARTIAL with TX checksum offload on) or finished by the CPU in the
 * core's validate_xmit (the same frames with the offload switched off, as `ethtool -K eth0 tx off`).
 */
export type Payload = "raw" | "udp-hw-csum" | "udp-sw-csum";

export interface AllocStats {
  bytes: number;
  gcs: number;
  pause_ms: number;
}

/**
 * Bytes the V8 heap grew by while `body` ran, counting what every GC in between reclaimed: with
 * v8.GCProfiler (Node >= 18.15; Node 20 has no total_allocated_bytes), the sum over the intervals
 * between collections of (used heap before a GC - used heap after the previous one).
 */
export async function measure_alloc(body: () => Promise<void>): Promise<AllocStats> {
  const prof = new GCProfiler();
  const used0 = getHeapStatistics().used_heap_size;
  prof.start();
  await body();
  const used1 = getHeapStatistics().used_heap_size;
  const stats = prof.stop()?.statistics ?? [];
  let bytes = 0;
  let prev = used0;
  let pause_us = 0;
  for (const g of stats) {
    bytes += g.beforeGC.heapStatistics.usedHeapSize - prev;
    prev = g.afterGC.heapStatistics.usedHeapSize;
    pause_us += g.cost;
  }
  bytes += used1 - prev;
  return { bytes, gcs: stats.length, pause_ms: pause_us / 1000 };
}

/**
 * The machine the full path runs on: `dma_coherent` false is `-machine dma-coherent=off` (devices
 * do not snoop the CPU's cache: every streaming map/unmap/sync does cache maintenance);
 * `dma_debug` adds `dma_debug=on` to the kernel command line (every mapping is tracked and checked).
 */
export interface PathMachine {
  dma_coherent?: boolean;
  dma_debug?: boolean;
  /** The NIC model and driver on both ends: e1000 (default; INTx line 10) or virtio-net-pci (MSI-X, a vector per queue). */
  nic?: "e1000" | "virtio";
}

/** Driver modules per NIC kind, in load order. */
const NIC_MODULES: Record<"e1000" | "virtio", [string, ModuleInfo][]> = {
  e1000: [["e1000", e1000_module]],
  virtio: [["virtio", virtio_module], ["virtio_pci", virtio_pci_module], ["virtio_net", virtio_net_module]],
};

export async function full_path(frame_len: number, total: number, watchdog = false, payload: Payload = "raw", alloc?: (a: AllocStats) => void, pm: PathMachine = {}): Promise<{ pps: number; irq_per_frame: number; steps_per_frame: number; events_per_frame: number; dma_errors: number }> {
  const world = new World("virtual");
  const wd = watchdog ? start_lockup_watchdog(world, 2000, () => {}) : null;
  const hub = new Hub();
  const machine = world.add_machine({ mem_size: 64 << 20, cmdline: pm.dma_debug === true ? "quiet dma_debug=on" : "quiet", dma_coherent: pm.dma_coherent ?? true });
  if ((machine.mem.cache === null) !== (pm.dma_coherent ?? true)) throw new Error("full path: the machine's DMA coherence is not the one asked for");
  const kind = pm.nic ?? "e1000";
  for (let i = 0; i < 2; i++) {
    const opts = { mac: Uint8Array.of(0x52, 0x54, 0, 0x12, 0x34, 0x56 + i), name: `${kind === "e1000" ? "e1000" : "virtio-net"}.${i}` };
    const nic = kind === "e1000" ? new E1000(machine.clock, opts) : new VirtioNet(machine.clock, opts);
    machine.pci.plug(nic, 3 + i);
    net_connect(hub.port(), nic);
  }
  const entries: [string, ModuleInfo][] = [["netdev", netdev_module], ...NIC_MODULES[kind]];
  const modules = new Map(entries.map(([n, m]) => [n, { load: async () => m, size: 0 }]));
  const kernel = start_kernel(machine.platform(), { modules });
  set_this_kernel(kernel);
  if (dma_debug_enabled() !== (pm.dma_debug === true)) throw new Error("full path: dma_debug is not what the command line asked for");
  let ready = false;
  kthread_run(async () => {
    for (const [name] of NIC_MODULES[kind]) if ((await load_module(name, {}, true)) !== 0) throw new Error(`full path: ${name} did not load`);
    for (const d of netdev_list()) await dev_open(d);
    await msleep(600);
    ready = true;
  }, null, "setup");
  await world.run({ until: () => ready });
  set_this_kernel(kernel);
  const [eth0, eth1] = netdev_list().filter((d) => d.type === "ether") as [NetDevice, NetDevice];
  let received = 0;
  dev_add_pack(payload === "raw" ? 0x88b5 : 0x0800, (p) => {
    received++;
    pbuf_put(p);
  });
  if (payload === "udp-sw-csum") {
    let err = 0;
    kthread_run(async () => {
      err = await set_features(eth0, { "tx-checksum-ip-generic": false });
    }, null, "ethtool");
    await world.run({ for_ns: 1e6 });
    set_this_kernel(kernel);
    if (err !== 0) throw new Error(`ethtool -K eth0 tx off: ${err}`);
  }
  // The IPv4/UDP header every datagram starts with (10.0.0.1:9 -> 10.0.0.2:9), built once.
  const hdr = new Uint8Array(42);
  const hv = new DataView(hdr.buffer);
  hdr.set(eth1.dev_addr, 0);
  hdr.set(eth0.dev_addr, 6);
  hv.setUint16(12, 0x0800);
  hv.setUint8(14, 0x45);
  hv.setUint16(16, frame_len - 14);
  hv.setUint8(22, 64);
  hv.setUint8(23, 17);
  hv.setUint32(26, 0x0a000001);
  hv.setUint32(30, 0x0a000002);
  hv.setUint16(24, ip_compute_csum(hdr, 14, 20));
  hv.setUint16(34, 9);
  hv.setUint16(36, 9);
  hv.setUint16(38, frame_len - 34);
  // CHECKSUM_PARTIAL: the UDP checksum field holds the folded pseudo-header sum.
  hv.setUint16(40, ~csum_fold(csum_tcpudp_nofold(0x0a000001, 0x0a000002, frame_len - 34, 17)) & 0xffff);
  // The receiver's RX interrupt: the e1000's INTx line, or eth1's virtio input.0 MSI-X vector.
  let rx_irq = 10;
  if (kind === "virtio") {
    const vdev = virtio_devices().find((v) => v.config.bus_name(v) === eth1.parent);
    if (vdev === undefined) throw new Error("full path: no virtio device behind eth1");
    rx_irq = vp_vq_irq(vdev, 0);
    if (rx_irq < 0) throw new Error(`full path: eth1's receive queue has no vector (${rx_irq})`);
  }
  const send = async (count: number): Promise<void> => {
    let sent = 0;
    while (sent < count) {
      const batch = Math.min(64, count - sent);
      for (let i = 0; i < batch; i++) {
        const p = pbuf_alloc()!;
        if (payload === "raw") {
          p.data.set(eth1.dev_addr, p.head);
          p.data.set(eth0.dev_addr, p.head + 6);
          p.data[p.head + 12] = 0x88;
          p.data[p.head + 13] = 0xb5;
        } else {
          p.data.set(hdr, p.head);
          p.ip_summed = CHECKSUM_PARTIAL;
          p.csum_start = p.head + 34;
          p.csum_offset = 6;
        }
        p.len = frame_len;
        const r = dev_queue_xmit(eth0, p, i < batch - 1);
        if (r === -EAGAIN) {
          eth0.netdev_ops.ndo_flush_xmit?.(eth0);
          if ((await netdev_transmit(eth0, p)) !== 0) throw new Error("transmit failed");
        } else if (r !== 0) throw new Error(`transmit failed: ${r}`);
      }
      sent += batch;
      await sched_yield(); // let NAPI run between batches, as a real sender would be preempted
    }
  };
  // Warm up the JIT on the same path, then measure.
  kthread_run(() => send(20_000), null, "warmup");
  await world.run({ until: () => received >= 20_000 });
  set_this_kernel(kernel);
  received = 0;
  const irq0 = kstat_irqs(rx_irq);
  const steps0 = nr_context_switches();
  const events0 = world.clock.fired;
  const t0 = performance.now();
  kthread_run(() => send(total), null, "sender");
  if (alloc === undefined) await world.run({ until: () => received >= total });
  else alloc(await measure_alloc(async () => void (await world.run({ until: () => received >= total }))));
  const secs = (performance.now() - t0) / 1000;
  set_this_kernel(kernel);
  wd?.stop();
  return {
    pps: total / secs,
    irq_per_frame: (kstat_irqs(rx_irq) - irq0) / total,
    steps_per_frame: (nr_context_switches() - steps0) / total,
    events_per_frame: (world.clock.fired - events0) / total,
    dma_errors: dma_debug_error_count(),
  };
}

