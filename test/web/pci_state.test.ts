/**
 * The page's PCI tree (web/state/pci_state.ts) against what the guest's own lspci prints on the
 * same machine: slot lines, regions, IRQ, bound driver, MSI-X vectors; and its cache, which must
 * follow a driver unbinding and binding again.
 */
import { describe, expect, it } from "vitest";
import { World } from "../../hw/world.ts";
import { with_kernel } from "../../kernel/kernel.ts";
import { device_release_driver, driver_bind } from "../../kernel/pci/pci_driver.ts";
import { pci_get_slot } from "../../kernel/pci/probe.ts";
import { PCI_DEVFN } from "../../include/kernel/pci.ts";
import { Sink } from "../helpers/nic_harness.ts";
import { boot_host, boot_net_machine } from "../helpers/net_machine.ts";
import type { WebMachine } from "../../web/state/web_machine.ts";
import { pci_tree } from "../../web/state/pci_state.ts";

/** Boot a host with one NIC in slot 3, run `command` in its shell; the machine and the console output. */
async function host(command: string, nic: "e1000" | "virtio-net-pci" = "e1000"): Promise<{ wm: WebMachine; out: string }> {
  const world = new World();
  const h = boot_host(world, { wires: [new Sink()], cmdline: "ip=10.0.0.1::::::off", command, nic });
  await world.run({ for_ns: 2e9 });
  return { wm: { name: "ringzero", machine: h.machine, kernel: h.kernel }, out: h.machine.console_output.replace(/\r/g, "") };
}

describe("pci_tree", () => {
  it("lists every function with the line lspci prints, the e1000 at 00:03.0 bound to e1000 with lspci's regions and IRQ", async () => {
    const { wm, out } = await host("echo ==; lspci; echo ==; lspci -v -s 03.0; echo ==");
    const [, plain, verbose] = out.split("==\n");
    const lspci_lines = plain!.split("\n").filter((l) => /^[0-9a-f]{2}:/.test(l));
    const tree = pci_tree(wm);
    expect(lspci_lines.length).toBeGreaterThanOrEqual(2);
    expect(tree.functions.map((f) => f.line)).toEqual(lspci_lines);

    expect(tree.host?.slot).toBe("00:00.0");
    expect(tree.host?.class_name).toBe("Host bridge");
    const nic = tree.functions.find((f) => f.slot === "00:03.0")!;
    expect(nic.class_name).toBe("Ethernet controller");
    expect(nic.device_name).toBe("Intel Corporation 82540EM Gigabit Ethernet Controller");
    expect(nic.driver).toBe("e1000");
    expect(verbose).toContain("\tKernel driver in use: e1000");
    // The regions lspci -v prints from sysfs (its resource file) are the ones the tree shows.
    const regions = verbose!.split("\n").filter((l) => /^\t(Memory at|I\/O ports at)/.test(l));
    expect(nic.bars.map((b) => `\t${b.text}`)).toEqual(regions);
    expect(nic.bars.map((b) => [b.kind, b.size])).toEqual([
      ["mem32", 128 * 1024],
      ["io", 8],
    ]);
    const irq = /IRQ (\d+)/.exec(verbose!)?.[1];
    expect(nic.irq).toBe(Number(irq));
    expect(nic.pin).toBe("A");
    expect(nic.msix).toBeNull();
    expect(nic.bus_master).toBe(true);
  });

  it("shows a virtio-net function's MSI-X vectors as the kernel allocated them (lspci -vv, /proc/interrupts)", async () => {
    const { wm, out } = await host("echo ==; lspci -vv -s 03.0; echo ==; cat /proc/interrupts; echo ==", "virtio-net-pci");
    const [, verbose, interrupts] = out.split("==\n");
    const f = pci_tree(wm).functions.find((x) => x.slot === "00:03.0")!;
    expect(f.driver).toBe("virtio-pci");
    expect(verbose).toContain("\tKernel driver in use: virtio-pci");
    const m = /MSI-X: Enable([+-]) Count=(\d+) Masked([+-])/.exec(verbose!);
    expect(m).not.toBeNull();
    expect(f.msix).toMatchObject({ enabled: m![1] === "+", entries: Number(m![2]), masked: m![3] === "+" });
    expect(f.msix!.irqs.length).toBeGreaterThan(0);
    // Every vector's irq is a PCI-MSI line of /proc/interrupts.
    const msi_irqs = interrupts!
      .split("\n")
      .filter((l) => l.includes("PCI-MSI"))
      .map((l) => Number(l.trim().split(":")[0]));
    expect([...f.msix!.irqs].sort((a, b) => a - b)).toEqual(msi_irqs.sort((a, b) => a - b));
    expect(f.intx_disabled).toBe(true);
  });

  it("is cached while nothing changes and rebuilt when the driver unbinds and binds again", async () => {
    const tm = await boot_net_machine();
    const wm: WebMachine = { name: "ringzero", machine: tm.machine, kernel: tm.kernel };
    const t1 = pci_tree(wm);
    expect(pci_tree(wm)).toBe(t1);
    expect(t1.functions.find((f) => f.slot === "00:03.0")?.driver).toBe("e1000");
    const kdev = with_kernel(tm.kernel, () => pci_get_slot(0, PCI_DEVFN(3, 0)))!;

    await tm.in_task(() => device_release_driver(kdev));
    const t2 = pci_tree(wm);
    expect(t2).not.toBe(t1);
    expect(t2.generation).toBeGreaterThan(t1.generation);
    expect(t2.functions.find((f) => f.slot === "00:03.0")?.driver).toBeNull();
    expect(pci_tree(wm)).toBe(t2);

    expect(await tm.in_task(() => driver_bind("e1000", kdev))).toBe(0);
    const t3 = pci_tree(wm);
    expect(t3.generation).toBeGreaterThan(t2.generation);
    expect(t3.functions.find((f) => f.slot === "00:03.0")?.driver).toBe("e1000");
  });
});
