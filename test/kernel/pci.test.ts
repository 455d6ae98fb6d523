import { describe, expect, it } from "vitest";
import { ENODEV, ENOMEM } from "../../include/linux/errno.ts";
import { GFP_KERNEL } from "../../include/linux/gfp.ts";
import { IORESOURCE_IO, IORESOURCE_MEM, IORESOURCE_MEM_64, IORESOURCE_PREFETCH } from "../../include/linux/ioport.ts";
import { PCI_ANY_ID, PCI_CAP_ID_PM } from "../../include/kernel/pci.ts";
import type { PciDev, PciDriver } from "../../include/linux/pci.ts";
import { EduDevice } from "../../hw/misc/edu.ts";
import { PciDevice as HwPciDevice } from "../../hw/pci/pci_device.ts";
import type { Machine } from "../../hw/machine.ts";
import { kernfs_read, kernfs_readlink, kernfs_write } from "../../kernel/fs/kernfs.ts";
import { alloc_pages, free_pages, nr_free_pages } from "../../kernel/mm/page_alloc.ts";
import { pci_enable_device, pci_find_capability, pci_iomap } from "../../kernel/pci/pci.ts";
import { pci_match_id, pci_register_driver, pci_unregister_driver } from "../../kernel/pci/pci_driver.ts";
import { pci_devices } from "../../kernel/pci/probe.ts";
import { readl } from "../../kernel/io.ts";
import { edu_driver } from "../../drivers/misc/edu.ts";
import { boot_test_machine } from "../helpers/boot.ts";

class Multi extends HwPciDevice {
  constructor(fn: number) {
    super(`multi.${fn}`, { vendor: 0x1b36, device: 0x0100 + fn, revision: 0, class_code: 0x020000, interrupt_pin: 1 });
    const ops = { read: () => 0xabcd0000 + fn, write: () => {} };
    this.register_bar(0, { kind: "mem64", size: 1 << 16, prefetchable: true, name: "m", ops });
    this.register_bar(2, { kind: "io", size: 16, name: "io", ops });
  }
  reset(): void {}
}

function setup(m: Machine): void {
  m.pci.plug(new EduDevice(m.clock), 4);
  m.pci.plug(new Multi(0), 7, 0);
  m.pci.plug(new Multi(2), 7, 2);
}

async function booted() {
  const tm = boot_test_machine({ setup });
  await tm.run_for(1e6); // pid 1 scans the bus
  return tm;
}

const dev = (name: string): PciDev => pci_devices().find((d) => d.name === name)!;

describe("PCI enumeration", () => {
  it("finds exactly the functions present, including a multi-function slot, via the MCFG table", async () => {
    await booted();
    expect(pci_devices().map((d) => d.name)).toEqual(["0000:00:00.0", "0000:00:04.0", "0000:00:07.0", "0000:00:07.2"]);
    const edu = dev("0000:00:04.0");
    expect([edu.vendor, edu.device, edu.revision, edu.class]).toEqual([0x1234, 0x11e8, 0x10, 0x00ff00]);
    expect(edu.irq).toBe(10); // slot 4, INTA#: PIRQA → GSI 10 (_PRT)
    expect(dev("0000:00:07.2").irq).toBe(11); // slot 7, INTA#: PIRQD → GSI 11
  });

  it("decodes and sizes BARs: 64-bit prefetchable memory and I/O", async () => {
    await booted();
    const d = dev("0000:00:07.2");
    const [r0, r1, r2] = d.resource;
    expect(r0!.flags).toBe(IORESOURCE_MEM | IORESOURCE_MEM_64 | IORESOURCE_PREFETCH);
    expect(r0!.end - r0!.start + 1).toBe(1 << 16);
    expect(r0!.start % (1 << 16)).toBe(0);
    expect(r1!.flags).toBe(0); // upper half of the 64-bit BAR
    expect(r2!.flags).toBe(IORESOURCE_IO);
    expect(r2!.end - r2!.start + 1).toBe(16);
  });

  it("maps a BAR with pci_iomap and finds capabilities", async () => {
    const tm = await booted();
    await tm.in_task(() => {
      const edu = dev("0000:00:04.0");
      const multi = dev("0000:00:07.0");
      expect(pci_enable_device(multi)).toBe(0);
      expect(readl(pci_iomap(multi, 0, 0))).toBe(0xabcd0000);
      expect(pci_iomap(multi, 2, 0)).toBe(0); // I/O BAR: not memory-mappable
      expect(pci_find_capability(edu, PCI_CAP_ID_PM)).toBe(0x40);
      expect(pci_find_capability(multi, PCI_CAP_ID_PM)).toBe(0);
    });
  });
});

describe("PCI driver model", () => {
  it("matches id tables by vendor/device, any-id and class mask", async () => {
    await booted();
    const multi = dev("0000:00:07.0");
    expect(pci_match_id([{ vendor: 0x1b36, device: 0x0100 }], multi)).not.toBeNull();
    expect(pci_match_id([{ vendor: 0x1b36, device: 0x0101 }], multi)).toBeNull();
    expect(pci_match_id([{ vendor: PCI_ANY_ID, device: PCI_ANY_ID, class: 0x020000, class_mask: 0xffff00 }], multi)).not.toBeNull();
    expect(pci_match_id([{ vendor: PCI_ANY_ID, device: PCI_ANY_ID, class: 0x030000, class_mask: 0xff0000 }], multi)).toBeNull();
    expect(pci_match_id([{ vendor: 0x1b36, device: PCI_ANY_ID, subvendor: 0x1af4 }], multi)).toBeNull();
  });

  it("binds a driver to every matching device and unbinds on unregister", async () => {
    const tm = await booted();
    const probed: string[] = [];
    const removed: string[] = [];
    const drv: PciDriver = {
      name: "multi",
      id_table: [{ vendor: 0x1b36, device: PCI_ANY_ID }],
      probe: (p) => (probed.push(p.name), 0),
      remove: (p) => void removed.push(p.name),
    };
    await tm.in_task(() => pci_register_driver(drv));
    expect(probed).toEqual(["0000:00:07.0", "0000:00:07.2"]);
    expect(dev("0000:00:07.0").driver).toBe(drv);
    expect(kernfs_readlink("/sys/bus/pci/devices/0000:00:07.2/driver")).toBe("../../../bus/pci/drivers/multi");
    await tm.in_task(() => pci_unregister_driver(drv));
    expect(removed).toEqual(["0000:00:07.0", "0000:00:07.2"]);
    expect(dev("0000:00:07.0").driver).toBeNull();
  });

  it("a failing probe unwinds what it took and leaves the device unbound", async () => {
    const tm = await booted();
    const before = nr_free_pages();
    const drv: PciDriver = {
      name: "failing",
      id_table: [{ vendor: 0x1b36, device: 0x0100 }],
      probe: (_p) => {
        const pfn = alloc_pages(GFP_KERNEL, 3);
        // ... a later stage fails: undo in reverse, return the error.
        free_pages(pfn, 3);
        return -ENOMEM;
      },
      remove: () => {},
    };
    await tm.in_task(() => pci_register_driver(drv));
    expect(dev("0000:00:07.0").driver).toBeNull();
    expect(nr_free_pages()).toBe(before);
    expect(tm.dmesg()).toMatch(/failing 0000:00:07\.0: probe with driver failing failed with error -12/);
  });

  it("a probe that throws is an oops, not a crash, and the device stays unbound", async () => {
    const tm = await booted();
    const drv: PciDriver = {
      name: "buggy",
      id_table: [{ vendor: 0x1b36, device: 0x0102 }],
      probe: () => {
        throw new TypeError("cannot read properties of undefined");
      },
      remove: () => {},
    };
    await tm.in_task(() => pci_register_driver(drv));
    expect(dev("0000:00:07.2").driver).toBeNull();
    expect(tm.dmesg()).toMatch(/BUG: buggy 0000:00:07\.2: exception in probe/);
  });

  it("unbinds and rebinds through sysfs", async () => {
    const tm = await booted();
    await tm.in_task(() => pci_register_driver(edu_driver));
    const edu = dev("0000:00:04.0");
    expect(edu.driver).toBe(edu_driver);
    expect(await tm.in_task(() => kernfs_write("/sys/bus/pci/drivers/edu/unbind", "0000:00:04.0"))).toBeGreaterThan(0);
    expect(edu.driver).toBeNull();
    expect(await tm.in_task(() => kernfs_write("/sys/bus/pci/drivers/edu/unbind", "0000:00:04.0"))).toBe(-ENODEV);
    expect(await tm.in_task(() => kernfs_write("/sys/bus/pci/drivers/edu/bind", "0000:00:04.0"))).toBeGreaterThan(0);
    expect(edu.driver).toBe(edu_driver);
  });
});

describe("edu driver", () => {
  it("computes factorials on the device through its interrupt", async () => {
    const tm = await booted();
    await tm.in_task(() => pci_register_driver(edu_driver));
    expect(tm.dmesg()).toMatch(/edu 0000:00:04\.0: edu v1\.0, irq 10, 5! = 120/);
    const f = "/sys/bus/pci/devices/0000:00:04.0/factorial";
    expect(await tm.in_task(() => kernfs_write(f, "10"))).toBe(2);
    expect(kernfs_read(f)).toBe("3628800\n");
    expect(await tm.in_task(() => kernfs_write(f, "-1"))).toBeLessThan(0);
  });

  it("moves 2 KiB to the device and back by DMA", async () => {
    const tm = await booted();
    await tm.in_task(() => pci_register_driver(edu_driver));
    const r = await tm.in_task(() => kernfs_write("/sys/bus/pci/devices/0000:00:04.0/dma_test", "go"));
    expect(r).toBe(2);
    expect(tm.dmesg()).toMatch(/DMA test: ok 2048 bytes/);
  });
});
