/**
 * Memory per NIC at 256/256 rings, from the kernel's own accounting: free pages before and after
 * `insmod e1000 RxDescriptors=256 TxDescriptors=256` + `ip link set eth0 up`, split into coherent
 * DMA (the descriptor rings, kernel/dma/mapping.ts) and packet buffers (kernel/mm/pbuf.ts, RX
 * buffers posted to the ring). The device model's own preallocated buffers (its FIFOs, staging
 * frame, descriptor scratch) are measured beside it as the growth of Node's heap + ArrayBuffer
 * memory across `new E1000()`, after a full GC on both sides.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { World } from "../hw/world.ts";
import { E1000 } from "../hw/net/e1000.ts";
import { start_kernel } from "../kernel/main.ts";
import { set_this_kernel } from "../kernel/kernel.ts";
import { kthread_run } from "../kernel/kthread.ts";
import { load_module } from "../kernel/module.ts";
import { msleep } from "../kernel/sched/core.ts";
import { nr_free_pages } from "../kernel/mm/page_alloc.ts";
import { pbuf_stats } from "../kernel/mm/pbuf.ts";
import { dma_coherent_usage } from "../kernel/dma/mapping.ts";
import { PAGE_SIZE } from "../include/linux/gfp.ts";
import netdev_module, { dev_open, netdev_list } from "../drivers/net/netdev.ts";
import e1000_module from "../drivers/net/e1000.ts";
import type { Figure } from "./figure.ts";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

function node_bytes(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

export async function bench_nic_memory(figures: Figure[]): Promise<void> {
  const world = new World("virtual");
  const machine = world.add_machine({ mem_size: 64 << 20, cmdline: "quiet" });
  const mac = Uint8Array.of(0x52, 0x54, 0, 0x12, 0x34, 0x56);
  // The model's share: the median of several constructions (GC noise is a few hundred bytes).
  const samples: number[] = [];
  const keep: E1000[] = [];
  for (let i = 0; i < 5; i++) {
    const b0 = node_bytes();
    keep.push(new E1000(machine.clock, { mac, name: `probe.${i}` }));
    samples.push(node_bytes() - b0);
  }
  samples.sort((a, b) => a - b);
  const model = samples[2]!;
  const nic = keep[0]!;
  machine.pci.plug(nic, 3);
  const modules = new Map([
    ["netdev", { load: async () => netdev_module, size: 0 }],
    ["e1000", { load: async () => e1000_module, size: 0 }],
  ]);
  const kernel = start_kernel(machine.platform(), { modules });
  set_this_kernel(kernel);
  let r: { pages: number; dma: number; pbuf_pages: number; pbufs: number; err: number } | null = null;
  kthread_run(async () => {
    let err = await load_module("netdev", {}, true);
    await msleep(10);
    const free0 = nr_free_pages();
    const dma0 = dma_coherent_usage().bytes;
    const pb0 = pbuf_stats();
    if (err === 0) err = await load_module("e1000", { RxDescriptors: "256", TxDescriptors: "256" }, true);
    const dev = netdev_list().find((d) => d.type === "ether");
    if (err === 0 && dev !== undefined) err = await dev_open(dev);
    await msleep(600);
    const pb1 = pbuf_stats();
    r = { pages: free0 - nr_free_pages(), dma: dma_coherent_usage().bytes - dma0, pbuf_pages: pb1.pages - pb0.pages, pbufs: pb1.in_use - pb0.in_use, err };
  }, null, "insmod");
  await world.run({ until: () => r !== null });
  set_this_kernel(kernel);
  const m = r! as { pages: number; dma: number; pbuf_pages: number; pbufs: number; err: number };
  if (m.err !== 0) throw new Error(`insmod e1000 / ifup: ${m.err}`);
  const driver = m.pages * PAGE_SIZE;
  const total = driver + model;
  const MiB = 1024 * 1024;
  figures.push({
    name: "memory per NIC, 256/256 rings (driver + model)",
    value: total / MiB,
    unit: "MiB",
    target: "<= 1.1 MiB",
    met: total <= 1.1 * MiB,
    note:
      `driver ${(driver / 1024).toFixed(0)} KiB from free pages (${m.pages} pages): DMA coherent ${(m.dma / 1024).toFixed(0)} KiB, ` +
      `${m.pbufs} packet buffers in flight on ${m.pbuf_pages} pages; model ${(model / 1024).toFixed(0)} KiB (heap + ArrayBuffers across new E1000)`,
  });
}
