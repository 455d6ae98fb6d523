/**
 * DMA as drivers really do it: the e1000 on a coherent and on a non-coherent machine, and what a
 * missing sync does on the non-coherent one — shown through the wire with a few lines of driver
 * written here against the kernel's DMA API and the NIC's registers.
 */
import { describe, expect, it } from "vitest";
import { DMA_FROM_DEVICE, DMA_TO_DEVICE } from "../../include/linux/dma-direction.ts";
import { REG, RCTL_BAM, RCTL_EN, RCTL_SECRC, RXD_STAT_DD, TCTL_EN, TCTL_PSP, TXD_CMD_EOP, TXD_CMD_IFCS, TXD_CMD_RS } from "../../hw/net/e1000_regs.ts";
import { dev_add_pack, dev_get_by_name, dev_open, netdev_transmit } from "../../drivers/net/netdev.ts";
import {
  dma_alloc_coherent,
  dma_coherent_usage,
  dma_free_coherent,
  dma_map_single,
  dma_mapping_error,
  dma_sync_single_for_cpu,
  dma_sync_single_for_device,
  dma_unmap_single,
  type DmaCoherent,
} from "../../kernel/dma/mapping.ts";
import { dma_debug_error_count, dma_debug_nr_entries } from "../../kernel/dma/debug.ts";
import { readl, writel } from "../../kernel/io.ts";
import { nr_free_pages } from "../../kernel/mm/page_alloc.ts";
import { pbuf_alloc, pbuf_put, pbuf_stats } from "../../kernel/mm/pbuf.ts";
import { load_module, unload_module } from "../../kernel/module.ts";
import { pci_enable_device, pci_iomap, pci_set_master } from "../../kernel/pci/pci.ts";
import { pci_devices } from "../../kernel/pci/probe.ts";
import { msleep } from "../../kernel/sched/core.ts";
import { net_control } from "../../kernel/net_control.ts";
import type { PciDev } from "../../include/linux/pci.ts";
import type { PBuf } from "../../include/net/netdevice.ts";
import { MAC_A, MAC_B, make_frame, Sink } from "../helpers/nic_harness.ts";
import { boot_net_machine, test_frame as frame, TEST_TYPE, two_nics_on_a_hub } from "../helpers/net_machine.ts";

describe.each([
  ["coherent (x86)", true],
  ["non-coherent (dma-coherent=off)", false],
])("e1000 on a %s machine", (_name, coherent) => {
  it("carries small and full-size frames both ways, passes ethtool -t, and makes no DMA-API error", async () => {
    const tm = await two_nics_on_a_hub(undefined, coherent);
    expect(tm.machine.mem.cache === null).toBe(coherent);
    const got: [string, number, number][] = [];
    dev_add_pack(TEST_TYPE, (p, dev) => {
      // Every byte of the payload is checked: a stale cache line would show here.
      let ok = 1;
      for (let b = 15; b < p.len; b++) if (p.data[p.head + b] !== ((b * 7 + p.data[p.head + 14]!) & 0xff)) ok = 0;
      got.push([dev.name, p.len, ok]);
      pbuf_put(p);
    });
    const eth0 = dev_get_by_name("eth0")!;
    const eth1 = dev_get_by_name("eth1")!;
    await tm.in_task(async () => {
      await dev_open(eth0);
      await dev_open(eth1);
      await msleep(600);
      for (const [i, len] of [60, 200, 256, 257, 1000, 1514].entries()) {
        for (const [from, to] of [[eth0, eth1], [eth1, eth0]] as const) {
          const p = pbuf_alloc()!;
          p.head = 0;
          p.len = len;
          p.data.set(to.dev_addr, 0);
          p.data.set(from.dev_addr, 6);
          p.data[12] = TEST_TYPE >> 8;
          p.data[13] = TEST_TYPE & 0xff;
          p.data[14] = i;
          for (let b = 15; b < len; b++) p.data[b] = (b * 7 + i) & 0xff;
          expect(await netdev_transmit(from, p)).toBe(0);
        }
      }
      await msleep(10);
    });
    expect(got.length).toBe(12);
    expect(got.every(([, , ok]) => ok === 1)).toBe(true);
    const nc = net_control()!;
    const t = (await tm.in_task(() => nc.ethtool("eth0", { cmd: "test" }))) as { results: { name: string; result: number }[] };
    expect(t.results.map((r) => r.name)).toContain("Loopback test  (offline)");
    expect(t.results.every((r) => r.result === 0)).toBe(true);
    expect(dma_debug_error_count()).toBe(0);
    // Everything mapped is the rings' own: posted receive buffers and coherent descriptor rings.
    await tm.in_task(() => unload_module("e1000"));
    expect(dma_debug_nr_entries()).toBe(0);
    expect(dma_coherent_usage().allocations).toBe(0);
    expect(dma_debug_error_count()).toBe(0);
  });
});

describe("1,000 insmod/rmmod cycles on a non-coherent machine", () => {
  it("leave no mapping, no page and no DMA-API error behind", async () => {
    const sink = new Sink();
    const tm = await boot_net_machine({ load: false, wires: [sink], dma_coherent: false });
    await tm.in_task(() => load_module("netdev"));
    const free = nr_free_pages();
    for (let i = 0; i < 1000; i++) {
      expect(await tm.in_task(() => load_module("e1000"))).toBe(0);
      if (i % 100 === 0) {
        await tm.in_task(async () => {
          const eth0 = dev_get_by_name("eth0")!;
          await dev_open(eth0);
          await msleep(600);
          expect(await netdev_transmit(eth0, frame(eth0.broadcast, eth0.dev_addr, 200, i))).toBe(0);
          await msleep(5);
        });
      }
      expect(await tm.in_task(() => unload_module("e1000"))).toBe(0);
    }
    expect(sink.frames.length).toBe(10);
    expect(dma_debug_nr_entries()).toBe(0);
    expect(dma_debug_error_count()).toBe(0);
    expect(nr_free_pages()).toBe(free);
    expect(pbuf_stats()).toMatchObject({ in_use: 0, pages: 0 });
  });
});

/**
 * A few lines of e1000 driver, enough to send one frame and receive one, with the DMA done right
 * or with the classic mistakes. The NIC's wire ends in a Sink.
 */
async function bare_nic(coherent: boolean, iommu = false) {
  const sink = new Sink();
  const tm = await boot_net_machine({ load: false, wires: [sink], dma_coherent: coherent, iommu });
  const pdev = pci_devices().find((d) => d.name === "0000:00:03.0")! as PciDev;
  let hw = 0;
  let tx: DmaCoherent | null = null;
  let rx: DmaCoherent | null = null;
  await tm.in_task(() => {
    pci_enable_device(pdev);
    pci_set_master(pdev);
    hw = pci_iomap(pdev, 0, 0);
    tx = dma_alloc_coherent(pdev, 8 * 16)!;
    rx = dma_alloc_coherent(pdev, 8 * 16)!;
    writel(tx.dma_handle, hw + REG.TDBAL);
    writel(8 * 16, hw + REG.TDLEN);
    writel(TCTL_EN | TCTL_PSP, hw + REG.TCTL);
    writel(rx.dma_handle, hw + REG.RDBAL);
    writel(8 * 16, hw + REG.RDLEN);
    writel(RCTL_EN | RCTL_BAM | RCTL_SECRC, hw + REG.RCTL);
  });
  let tdt = 0;
  let rdt = 0;
  /** Put the frame `dma`/`len` on the wire: one legacy descriptor, then TDT. */
  const send = (dma: number, len: number): void => {
    const v = tx!.view;
    v.setUint32(tdt * 16, dma, true);
    v.setUint32(tdt * 16 + 4, 0, true);
    v.setUint16(tdt * 16 + 8, len, true);
    v.setUint8(tdt * 16 + 11, TXD_CMD_EOP | TXD_CMD_IFCS | TXD_CMD_RS);
    tdt++;
    writel(tdt, hw + REG.TDT);
  };
  /** Post the receive buffer `dma`, then RDT. */
  const post = (dma: number): number => {
    const slot = rdt;
    rx!.view.setUint32(slot * 16, dma, true);
    rdt++;
    writel(rdt, hw + REG.RDT);
    return slot;
  };
  const rx_done = (slot: number): boolean => (rx!.view.getUint8(slot * 16 + 12) & RXD_STAT_DD) !== 0;
  const close = async (): Promise<void> => {
    await tm.in_task(() => {
      writel(0, hw + REG.TCTL);
      writel(0, hw + REG.RCTL);
      dma_free_coherent(pdev, 8 * 16, tx!);
      dma_free_coherent(pdev, 8 * 16, rx!);
      return readl(hw + REG.STATUS);
    });
  };
  return { tm, sink, pdev, send, post, rx_done, close };
}

function fill_frame(p: PBuf, seed: number): Uint8Array {
  const f = make_frame(MAC_B, MAC_A, 46, 0x88b5, seed);
  p.data.set(f, 0);
  return f;
}

describe.each([
  ["coherent", true],
  ["non-coherent", false],
])("a driver's DMA mistakes on a %s machine", (_name, coherent) => {
  it("mapping a buffer and then writing the frame into it: the device sends what memory held at the map", async () => {
    const nic = await bare_nic(coherent);
    let wanted: Uint8Array = new Uint8Array(0);
    let fixed: Uint8Array = new Uint8Array(0);
    await nic.tm.in_task(async () => {
      const p = pbuf_alloc()!;
      p.data.fill(0xee, 0, 60); // what the buffer held before
      // The bug: map first, write after. The CPU's writes sit in its cache; nothing cleans them.
      const dma = dma_map_single(nic.pdev, p.data, 0, 60, DMA_TO_DEVICE);
      expect(dma_mapping_error(nic.pdev, dma)).toBe(0);
      wanted = fill_frame(p, 1);
      nic.send(dma, 60);
      await msleep(1);
      // The fix: after writing a mapped buffer, give it back to the device with a sync.
      fixed = fill_frame(p, 2);
      dma_sync_single_for_device(nic.pdev, dma, 60, DMA_TO_DEVICE);
      nic.send(dma, 60);
      await msleep(1);
      dma_unmap_single(nic.pdev, dma, 60, DMA_TO_DEVICE);
      pbuf_put(p);
    });
    expect(nic.sink.frames.length).toBe(2);
    if (coherent) {
      expect(nic.sink.frames[0]).toEqual(wanted); // x86 hides the bug
    } else {
      expect(nic.sink.frames[0]).toEqual(new Uint8Array(60).fill(0xee)); // stale bytes on the wire
    }
    expect(nic.sink.frames[1]).toEqual(fixed);
    await nic.close();
    expect(dma_debug_error_count()).toBe(0);
  });

  it("reading a received frame without syncing it for the CPU: the CPU sees what it had cached", async () => {
    const nic = await bare_nic(coherent);
    const f = make_frame(MAC_A, MAC_B, 46, 0x88b5, 7);
    await nic.tm.in_task(async () => {
      const p = pbuf_alloc()!;
      p.data.fill(0xee, 0, 2048);
      const dma = dma_map_single(nic.pdev, p.data, 0, 2048, DMA_FROM_DEVICE);
      expect(dma_mapping_error(nic.pdev, dma)).toBe(0);
      const slot = nic.post(dma);
      nic.sink.inject(f);
      await msleep(1);
      expect(nic.rx_done(slot)).toBe(true);
      // The bug: look at the buffer while the device still owns it.
      const early = p.data.slice(0, 60);
      if (coherent) expect(early).toEqual(f);
      else expect(early).toEqual(new Uint8Array(60).fill(0xee)); // stale: the CPU's old lines
      // The fix: sync for the CPU (or unmap) first.
      dma_sync_single_for_cpu(nic.pdev, dma, 60, DMA_FROM_DEVICE);
      expect(p.data.slice(0, 60)).toEqual(f);
      dma_unmap_single(nic.pdev, dma, 2048, DMA_FROM_DEVICE);
      pbuf_put(p);
    });
    await nic.close();
    expect(dma_debug_error_count()).toBe(0);
  });
});

describe("with an IOMMU (-machine iommu=on)", () => {
  it("the e1000 runs clean: everything it hands the device is mapped", async () => {
    const hub_tm = await boot_net_machine({ n: 1, wires: [new Sink()], iommu: true });
    expect(hub_tm.dmesg()).toMatch(/DMAR: IOMMU enabled/);
    const nc = net_control()!;
    const t = (await hub_tm.in_task(() => nc.ethtool("eth0", { cmd: "test" }))) as { results: { result: number }[] };
    expect(t.results.every((r) => r.result === 0)).toBe(true);
    expect(hub_tm.dmesg()).not.toMatch(/DMAR: \[DMA/);
    expect(dma_debug_error_count()).toBe(0);
  });

  it("a receive buffer posted without a mapping is blocked: DMAR fault, dma-debug report, the frame never lands", async () => {
    const nic = await bare_nic(true, true);
    await nic.tm.in_task(async () => {
      const p = pbuf_alloc()!;
      p.data.fill(0xee, 0, 64);
      const slot = nic.post(p.dma); // the bug: the physical address, never mapped
      nic.sink.inject(make_frame(MAC_A, MAC_B, 46, 0x88b5, 3));
      await msleep(1);
      expect(nic.rx_done(slot)).toBe(false);
      expect(p.data[0]).toBe(0xee); // nothing was written
      pbuf_put(p);
    });
    const log = nic.tm.dmesg();
    expect(log).toMatch(/DMAR: \[DMA Write NO_PASID\] Request device \[00:03\.0\] fault addr 0x[0-9a-f]+000 \[fault reason 0x05\] PTE Write access is not set/);
    expect(log).toMatch(/DMA-API: pci 0000:00:03\.0: device accessed memory not mapped for it \[DMA Write\] \[device address=0x[0-9a-f]{16}\]/);
    await nic.close();
  });

  it("a receive buffer mapped DMA_TO_DEVICE is read-only to the device: the write is blocked and named", async () => {
    const nic = await bare_nic(true, true);
    await nic.tm.in_task(async () => {
      const p = pbuf_alloc()!;
      const dma = dma_map_single(nic.pdev, p.data, 0, 2048, DMA_TO_DEVICE); // the bug: wrong direction
      expect(dma_mapping_error(nic.pdev, dma)).toBe(0);
      nic.post(dma);
      nic.sink.inject(make_frame(MAC_A, MAC_B, 46, 0x88b5, 4));
      await msleep(1);
      dma_unmap_single(nic.pdev, dma, 2048, DMA_TO_DEVICE);
      pbuf_put(p);
    });
    expect(nic.tm.dmesg()).toMatch(/DMA-API: pci 0000:00:03\.0: device wrote memory mapped DMA_TO_DEVICE \[DMA Write\] \[device address=0x[0-9a-f]{16}\] \[mapping=0x[0-9a-f]{16}\+2048 bytes\]/);
    await nic.close();
  });
});
