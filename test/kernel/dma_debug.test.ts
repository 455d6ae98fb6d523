/**
 * The streaming DMA API and DMA-API debugging: a deliberately broken driver (bound to the edu
 * device) makes each mistake dma-debug knows, and each is reported as Linux words it.
 */
import { describe, expect, it } from "vitest";
import { DMA_BIDIRECTIONAL, DMA_FROM_DEVICE, DMA_TO_DEVICE } from "../../include/linux/dma-direction.ts";
import { PCI_DEVICE, type PciDev } from "../../include/linux/pci.ts";
import { EduDevice } from "../../hw/misc/edu.ts";
import {
  DMA_BIT_MASK,
  DMA_MAPPING_ERROR,
  dma_alloc_coherent,
  dma_free_coherent,
  dma_map_page,
  dma_map_single,
  dma_mapping_error,
  dma_set_mask_and_coherent,
  dma_sync_single_for_cpu,
  dma_sync_single_for_device,
  dma_unmap_page,
  dma_unmap_single,
} from "../../kernel/dma/mapping.ts";
import { dma_debug_entries_of, dma_debug_error_count, dma_debug_last_errors, dma_debug_nr_entries } from "../../kernel/dma/debug.ts";
import { kernfs_read } from "../../kernel/fs/kernfs.ts";
import { alloc_pages, free_pages, nr_free_pages } from "../../kernel/mm/page_alloc.ts";
import { pbuf_alloc, pbuf_put } from "../../kernel/mm/pbuf.ts";
import { device_release_driver, pci_register_driver } from "../../kernel/pci/pci_driver.ts";
import { pci_devices } from "../../kernel/pci/probe.ts";
import { GFP_KERNEL } from "../../include/linux/gfp.ts";
import { boot_test_machine, type TestMachine } from "../helpers/boot.ts";

/** A machine with an edu device bound to "dma_broken", a driver whose probe maps one buffer. */
async function broken_driver_machine(cmdline = "quiet"): Promise<{ tm: TestMachine; pdev: PciDev; mapped: { addr: number } }> {
  const tm = boot_test_machine({ cmdline, setup: (m) => m.pci.plug(new EduDevice(m.clock), 4) });
  await tm.run_for(1e6);
  const mapped = { addr: 0 };
  const r = await tm.in_task(() =>
    pci_register_driver({
      name: "dma_broken",
      id_table: [PCI_DEVICE(0x1234, 0x11e8)],
      probe(pdev) {
        const p = pbuf_alloc()!;
        mapped.addr = dma_map_single(pdev, p.data, 0, 2048, DMA_FROM_DEVICE);
        return 0; // the mapping is never checked and never unmapped: two bugs
      },
      remove() {},
    }),
  );
  expect(r).toBe(0);
  const pdev = pci_devices().find((d) => d.vendor === 0x1234)!;
  expect(pdev.driver?.name).toBe("dma_broken");
  return { tm, pdev, mapped };
}

function last_report(): string {
  return dma_debug_last_errors().at(-1) ?? "";
}

describe("DMA-API debugging", () => {
  it("unmapping what was never mapped, or with another size, direction or function, or twice", async () => {
    const { tm, pdev } = await broken_driver_machine();
    await tm.in_task(() => {
      const p = pbuf_alloc()!;
      dma_unmap_single(pdev, 0x123000, 64, DMA_TO_DEVICE);
      expect(last_report()).toBe("DMA-API: dma_broken 0000:00:04.0: device driver tries to free DMA memory it has not allocated [device address=0x0000000000123000] [size=64 bytes]");
      const a = dma_map_single(pdev, p.data, p.head, 100, DMA_TO_DEVICE);
      expect(dma_mapping_error(pdev, a)).toBe(0);
      dma_unmap_single(pdev, a, 60, DMA_FROM_DEVICE);
      const r = dma_debug_last_errors().slice(-2);
      expect(r[0]).toMatch(/device driver frees DMA memory with different size \[device address=0x[0-9a-f]{16}\] \[map size=100 bytes\] \[unmap size=60 bytes\]/);
      expect(r[1]).toMatch(/device driver frees DMA memory with different direction .*\[mapped with DMA_TO_DEVICE\] \[unmapped with DMA_FROM_DEVICE\]/);
      dma_unmap_single(pdev, a, 100, DMA_TO_DEVICE); // the record is gone: a double unmap
      expect(last_report()).toMatch(/device driver tries to free DMA memory it has not allocated \[device address=0x[0-9a-f]{16}\] \[size=100 bytes\]/);
      // Coherent memory is freed with dma_free_coherent, not unmapped.
      const c = dma_alloc_coherent(pdev, 4096)!;
      dma_unmap_single(pdev, c.dma_handle, 4096, DMA_BIDIRECTIONAL);
      expect(last_report()).toMatch(/device driver frees DMA memory with wrong function .*\[mapped as coherent\] \[unmapped as single\]/);
      dma_free_coherent(pdev, 4096, c); // its record went with the wrong unmap: "not allocated", memory freed all the same
      // The error value itself is no address.
      dma_unmap_single(pdev, DMA_MAPPING_ERROR, 100, DMA_TO_DEVICE);
      expect(last_report()).toBe("DMA-API: dma_broken 0000:00:04.0: device driver tries to free an invalid DMA memory address");
      pbuf_put(p);
    });
    expect(dma_debug_error_count()).toBe(7);
    // Only the first report is printed with a stack (num_errors=1, as Linux); all are counted.
    expect(tm.dmesg().match(/DMA-API: dma_broken 0000:00:04\.0: device driver/g)?.length).toBe(1);
    expect(tm.dmesg()).toMatch(/WARNING: DMA-API: dma_broken 0000:00:04.0: device driver tries to free DMA memory it has not allocated[\s\S]*Call Trace:/);
  });

  it("syncing what is not mapped, beyond the mapping, in the other direction, or a read-only buffer for the CPU", async () => {
    const { tm, pdev } = await broken_driver_machine();
    await tm.in_task(() => {
      const p = pbuf_alloc()!;
      dma_sync_single_for_cpu(pdev, 0x200000, 64, DMA_FROM_DEVICE);
      expect(last_report()).toMatch(/device driver tries to sync DMA memory it has not allocated \[device address=0x0000000000200000\] \[size=64 bytes\]/);
      const a = dma_map_single(pdev, p.data, 0, 256, DMA_TO_DEVICE);
      expect(dma_mapping_error(pdev, a)).toBe(0);
      dma_sync_single_for_device(pdev, a + 128, 200, DMA_TO_DEVICE);
      expect(last_report()).toMatch(/device driver syncs DMA memory outside allocated range \[device address=0x[0-9a-f]{16}\] \[allocation size=256 bytes\] \[sync offset\+size=328\]/);
      dma_sync_single_for_cpu(pdev, a, 64, DMA_FROM_DEVICE);
      const r = dma_debug_last_errors().slice(-2);
      expect(r[0]).toMatch(/device driver syncs DMA memory with different direction .*\[mapped with DMA_TO_DEVICE\] \[synced with DMA_FROM_DEVICE\]/);
      expect(r[1]).toMatch(/device driver syncs device read-only DMA memory for cpu .*\[mapped with DMA_TO_DEVICE\] \[synced with DMA_FROM_DEVICE\]/);
      dma_unmap_single(pdev, a, 256, DMA_TO_DEVICE);
      pbuf_put(p);
    });
    expect(dma_debug_error_count()).toBe(4);
  });

  it("a mapping never checked with dma_mapping_error is reported at its unmap", async () => {
    const { tm, pdev } = await broken_driver_machine();
    await tm.in_task(() => {
      const pfn = alloc_pages(GFP_KERNEL, 0);
      const a = dma_map_page(pdev, pfn, 0, 4096, DMA_FROM_DEVICE);
      dma_unmap_page(pdev, a, 4096, DMA_FROM_DEVICE);
      free_pages(pfn, 0);
    });
    expect(last_report()).toMatch(/DMA-API: dma_broken 0000:00:04.0: device driver failed to check map error\[device address=0x[0-9a-f]{16}\] \[size=4096 bytes\] \[mapped as single\]/);
  });

  it("mappings still held when the driver lets go of the device are a leak", async () => {
    const { tm, pdev, mapped } = await broken_driver_machine();
    expect(dma_debug_entries_of(pdev)).toBe(1);
    await tm.in_task(() => device_release_driver(pdev));
    expect(last_report()).toBe(
      "DMA-API: dma_broken 0000:00:04.0: device driver has pending DMA allocations while released from device [count=1]\n" +
        `One of leaked entries details: [device address=0x${mapped.addr.toString(16).padStart(16, "0")}] [size=2048 bytes] [mapped with DMA_FROM_DEVICE] [mapped as single]`,
    );
  });

  it("/sys/kernel/debug/dma-api/ has Linux's files; reports past num_errors are counted, not printed", async () => {
    const { tm, pdev } = await broken_driver_machine();
    await tm.in_task(async () => {
      expect(await kernfs_read("/sys/kernel/debug/dma-api/error_count")).toBe("0\n");
      expect(await kernfs_read("/sys/kernel/debug/dma-api/num_errors")).toBe("1\n");
      expect(await kernfs_read("/sys/kernel/debug/dma-api/disabled")).toBe("N\n");
      expect(await kernfs_read("/sys/kernel/debug/dma-api/nr_entries")).toBe(`${dma_debug_nr_entries()}\n`);
      expect(await kernfs_read("/sys/kernel/debug/dma-api/dump")).toMatch(/^0000:00:04\.0 dma_broken single idx 0 P=[0-9a-f]+ N=[0-9a-f]+ D=[0-9a-f]+ L=800 DMA_FROM_DEVICE dma map error not checked$/m);
      dma_unmap_single(pdev, 0x1000, 8, DMA_TO_DEVICE);
      dma_unmap_single(pdev, 0x2000, 8, DMA_TO_DEVICE);
      expect(await kernfs_read("/sys/kernel/debug/dma-api/error_count")).toBe("2\n");
    });
    expect(tm.dmesg().match(/DMA-API: dma_broken 0000:00:04\.0: device driver tries to free/g)?.length).toBe(1);
  });

  it("is off unless dma_debug=on: nothing is recorded or reported", async () => {
    const { tm, pdev } = await broken_driver_machine("quiet dma_debug=off");
    await tm.in_task(() => dma_unmap_single(pdev, 0x1000, 8, DMA_TO_DEVICE));
    expect(dma_debug_error_count()).toBe(0);
    expect(dma_debug_nr_entries()).toBe(0);
    await tm.in_task(async () => expect(await kernfs_read("/sys/kernel/debug/dma-api/disabled")).toBe("Y\n"));
  });
});

describe("the streaming DMA API", () => {
  it("maps to the physical address, refuses memory outside the direct map and beyond the DMA mask", async () => {
    const { tm, pdev } = await broken_driver_machine();
    await tm.in_task(() => {
      const p = pbuf_alloc()!;
      const a = dma_map_single(pdev, p.data, 14, 100, DMA_TO_DEVICE);
      expect(dma_mapping_error(pdev, a)).toBe(0);
      expect(a).toBe(p.dma + 14);
      dma_unmap_single(pdev, a, 100, DMA_TO_DEVICE);
      // Not in the kernel's direct map (a JavaScript array of its own): no bus address exists.
      const stray = dma_map_single(pdev, new Uint8Array(64), 0, 64, DMA_TO_DEVICE);
      expect(stray).toBe(DMA_MAPPING_ERROR);
      expect(dma_mapping_error(pdev, stray)).toBe(-12);
      expect(last_report()).toBe("DMA-API: dma_broken 0000:00:04.0: device driver maps memory from invalid area [addr=(not in the direct map)] [len=64]");
      // A device that reaches only 16 MiB cannot be handed a buffer above it (no bounce buffers).
      expect(dma_set_mask_and_coherent(pdev, DMA_BIT_MASK(24))).toBe(0);
      const hi = alloc_pages(GFP_KERNEL, 0);
      const pages: number[] = [];
      let pfn = hi;
      while (pfn >= 0 && pfn * 4096 < 0x1000000) {
        pages.push(pfn);
        pfn = alloc_pages(GFP_KERNEL, 0); // find a page above 16 MiB (the test machine has 32)
      }
      const high = dma_map_page(pdev, pfn, 0, 64, DMA_TO_DEVICE);
      expect(dma_mapping_error(pdev, high)).toBe(-12);
      expect(tm.dmesg()).toMatch(/0000:00:04\.0: DMA addr 0x[0-9a-f]+\+64 overflow \(mask ffffff\)/);
      const low = dma_map_single(pdev, p.data, 0, 64, DMA_TO_DEVICE);
      expect(dma_mapping_error(pdev, low)).toBe(p.dma < 0x1000000 ? 0 : -12);
      if (low !== DMA_MAPPING_ERROR) dma_unmap_single(pdev, low, 64, DMA_TO_DEVICE);
      for (const q of [...pages, pfn]) free_pages(q, 0);
      expect(dma_set_mask_and_coherent(pdev, DMA_BIT_MASK(32))).toBe(0);
      pbuf_put(p);
    });
    expect(dma_debug_error_count()).toBe(1); // the stray mapping, and nothing else
    expect(nr_free_pages()).toBeGreaterThan(0);
  });
});
