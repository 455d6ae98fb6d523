/**
 * Claimed regions (kernel/resource.ts) in /proc/ioports and /proc/iomem: the 8250 claims COM1's
 * ports as "serial", e1000 claims its two BARs under its name and gives them back when unbound, a
 * BAR nobody requested shows no driver, and a second claim of a busy range fails as Linux's does.
 */
import { describe, expect, it } from "vitest";
import { serial8250_init } from "../../drivers/tty/serial8250.ts";
import { EduDevice } from "../../hw/misc/edu.ts";
import { E1000 } from "../../hw/net/e1000.ts";
import { EBUSY } from "../../include/linux/errno.ts";
import { IORESOURCE_IO, IORESOURCE_MEM } from "../../include/linux/ioport.ts";
import { kernfs_write } from "../../kernel/fs/kernfs.ts";
import { proc_read } from "../../kernel/fs/proc.ts";
import { pci_release_region, pci_request_region, pci_request_regions, pci_select_bars } from "../../kernel/pci/pci.ts";
import { pci_devices } from "../../kernel/pci/probe.ts";
import { claimed_regions, release_region, request_mem_region, request_region } from "../../kernel/resource.ts";
import { boot_test_machine } from "../helpers/boot.ts";
import { MODULES } from "../helpers/net_machine.ts";

function machine() {
  return boot_test_machine({
    mem_size: 64 << 20,
    setup: (m) => {
      m.pci.plug(new E1000(m.clock, { mac: Uint8Array.of(0x52, 0x54, 0, 0x12, 0x34, 0x56), name: "e1000.0" }), 3);
      m.pci.plug(new EduDevice(m.clock), 4);
    },
    boot: { initcalls: [serial8250_init], modules: MODULES, default_modules: ["e1000"] },
  });
}

describe("/proc/ioports and /proc/iomem claims", () => {
  it("show serial at 03f8-03ff and e1000 under both its BARs, and only while it is bound", async () => {
    const tm = machine();
    await tm.run_for(1e9);
    const show = () => tm.in_task(() => [proc_read("ioports"), proc_read("iomem")] as string[]);
    const [ioports, iomem] = await show();
    expect(ioports).toBe(["03f8-03ff : serial", "c000-ffff : PCI Bus 0000:00", "  c000-c007 : 0000:00:03.0", "    c000-c007 : e1000", ""].join("\n"));
    expect(iomem).toContain("c0000000-febfffff : PCI Bus 0000:00\n  c0000000-c00fffff : 0000:00:04.0\n  c0100000-c011ffff : 0000:00:03.0\n    c0100000-c011ffff : e1000\nfec00000");
    expect(await tm.in_task(() => kernfs_write("/sys/bus/pci/drivers/e1000/unbind", "0000:00:03.0\n"))).toBe(13);
    const [io2, mem2] = await show();
    expect(io2).toBe(["03f8-03ff : serial", "c000-ffff : PCI Bus 0000:00", "  c000-c007 : 0000:00:03.0", ""].join("\n"));
    expect(mem2).not.toContain(": e1000");
    expect(await tm.in_task(() => kernfs_write("/sys/bus/pci/drivers/e1000/bind", "0000:00:03.0\n"))).toBe(13);
    expect((await show())[0]).toContain("    c000-c007 : e1000\n");
  });

  it("a busy range cannot be claimed twice: request_region gives null, pci_request_region -EBUSY with Linux's warning", async () => {
    const tm = machine();
    await tm.run_for(1e9);
    const r = await tm.in_task(() => {
      const e1000 = pci_devices().find((d) => d.name === "0000:00:03.0")!;
      const edu = pci_devices().find((d) => d.name === "0000:00:04.0")!;
      const out = {
        serial_again: request_region(0x3fc, 2, "other"),
        bar_taken: pci_request_region(e1000, 0, "thief"),
        all_taken: pci_request_regions(e1000, "thief"),
        edu_bars: pci_select_bars(edu, IORESOURCE_MEM | IORESOURCE_IO),
        edu_claim: pci_request_region(edu, 0, "edu-test"),
        free_port: request_region(0x2f8, 8, "serial2") !== null,
        mem_overlap: request_mem_region(0xc0100010, 4, "x"),
        names: claimed_regions(IORESOURCE_MEM).map((c) => c.name),
      };
      pci_release_region(edu, 0);
      release_region(0x2f8, 8);
      return { ...out, after: claimed_regions(IORESOURCE_MEM).map((c) => c.name), io_after: claimed_regions(IORESOURCE_IO).map((c) => c.name) };
    });
    expect(r).toEqual({
      serial_again: null,
      bar_taken: -EBUSY,
      all_taken: -EBUSY,
      edu_bars: 1,
      edu_claim: 0,
      free_port: true,
      mem_overlap: null,
      names: ["e1000", "edu-test"],
      after: ["e1000"],
      io_after: ["serial", "e1000"],
    });
    expect(tm.dmesg()).toContain("e1000 0000:00:03.0: BAR 0: can't reserve [mem 0xc0100000-0xc011ffff]");
  });
});
