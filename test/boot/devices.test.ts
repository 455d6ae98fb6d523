/**
 * The device type registry (hw/devices.ts) and what derives from it: `-device`, `-device help`,
 * `--help`, and the modules coldplug loads for the machine's functions (boot/modules.ts's aliases,
 * which must agree with the drivers' own PCI id tables).
 */
import { describe, expect, it } from "vitest";
import { World } from "../../hw/world.ts";
import { device_names, machine_nics, plug_device } from "../../boot/board.ts";
import { coldplug_modules, MODULE_INDEX, modules_warnings } from "../../boot/modules.ts";
import { USAGE } from "../../boot/options.ts";
import { modules_alias, modules_dep, pci_ids } from "../../boot/initramfs.ts";
import { device_help_text } from "../../hw/core/qdev.ts";
import { DEVICE_TYPES } from "../../hw/devices.ts";
import type { PciDeviceId } from "../../include/linux/pci.ts";

/** Each PCI driver's own id_table, by module name. */
const PCI_DRIVER_TABLES: Record<string, () => Promise<readonly PciDeviceId[]>> = {
  e1000: async () => (await import("../../drivers/net/e1000.ts")).e1000_driver.id_table,
  edu: async () => (await import("../../drivers/misc/edu.ts")).edu_driver.id_table,
  virtio_pci: async () => (await import("../../drivers/virtio/virtio_pci_common.ts")).virtio_pci_driver.id_table,
};

function machine(devices: string[]) {
  const m = new World().add_machine({ mem_size: 8 << 20 });
  for (const d of devices) expect(plug_device(m, d)).toBeNull();
  return m;
}

describe("device types", () => {
  it("-device help lists every registered type by category, as QEMU prints it", () => {
    const text = device_help_text(DEVICE_TYPES);
    expect(text).toContain('Network devices:\nname "e1000", bus PCI, alias "e1000-82540em", desc "Intel Gigabit Ethernet"\n');
    expect(text).toContain('name "virtio-net-pci", bus PCI, alias "virtio-net"\n');
    expect(text).toContain('\nMisc devices:\nname "edu", bus PCI\n');
    for (const t of DEVICE_TYPES) {
      expect(text).toContain(`name "${t.name}"`);
      expect(USAGE).toContain(t.name);
    }
  });

  it("plugs any registered type by name or alias; unknown names and properties get one line", () => {
    const m = machine(["virtio-net,addr=05.0", "e1000-82544gc", "edu,id=x"]);
    expect(machine_nics(m).map((n) => n.name)).toEqual(["e1000.1", "virtio-net.0"]);
    expect(plug_device(m, "floppy")).toBe(`-device: unknown device 'floppy' (available: ${device_names().join(", ")})`);
    expect(plug_device(m, "edu,mac=52:54:00:00:00:01")).toBe("-device edu: unknown property 'mac'");
    expect(plug_device(m, "e1000,mac=01:00:00:00:00:00")).toBe("-device e1000,mac=01:00:00:00:00:00: bad mac '01:00:00:00:00:00' (expected six hex bytes, e.g. 52:54:00:12:34:56, not multicast)");
  });

  it("coldplug loads the driver each function's vendor:device names, and virtio-net behind virtio-pci", () => {
    expect(coldplug_modules(machine(["e1000,addr=03.0", "edu,addr=04.0"]))).toEqual(["e1000", "edu"]);
    expect(coldplug_modules(machine(["virtio-net-pci,addr=03.0"]))).toEqual(["virtio_pci", "virtio_net"]);
    expect(coldplug_modules(machine(["virtio-net-pci,disable-legacy=off,disable-modern=on"]))).toEqual(["virtio_pci", "virtio_net"]);
    expect(coldplug_modules(machine([]))).toEqual([]);
  });

  it("every module's PCI aliases equal its driver's id_table (what depmod would write)", async () => {
    for (const [name, table] of Object.entries(PCI_DRIVER_TABLES)) {
      const alias = MODULE_INDEX.get(name)?.alias.pci ?? [];
      expect(alias.map(([v, d]) => `${v.toString(16)}:${d.toString(16)}`).sort(), name).toEqual((await table()).map((id) => `${id.vendor.toString(16)}:${id.device.toString(16)}`).sort());
    }
  });

  it("--modules that leaves out what IP autoconfiguration needs is warned about, one line each", () => {
    const m = machine(["e1000,addr=03.0", "edu,addr=04.0"]);
    expect(modules_warnings(m, ["e1000"], true)).toEqual(["--modules: inet is not in the list, so there is no IPv4 stack: the NICs stay unconfigured (no DHCP, no --ip)"]);
    expect(modules_warnings(m, ["inet"], true)).toEqual(["--modules: the NICs need e1000, which the list leaves out: they stay without a driver and unconfigured (modprobe loads one later)"]);
    expect(modules_warnings(m, ["inet", "e1000"], true)).toEqual([]);
    expect(modules_warnings(m, [], false)).toEqual([]);
  });

  it("the initramfs carries kmod's modules.alias and a pci.ids made from the registrations", () => {
    const alias = modules_alias(MODULE_INDEX);
    expect(alias).toContain("alias pci:v00008086d0000100Esv*sd*bc*sc*i* e1000\n");
    expect(alias).toContain("alias pci:v00001234d000011E8sv*sd*bc*sc*i* edu\n");
    expect(alias).toContain("alias virtio:d00000001v* virtio_net\n");
    const ids = pci_ids(DEVICE_TYPES);
    expect(ids).toContain("8086  Intel Corporation\n\t100c  82544GC Gigabit Ethernet Controller (Copper)\n\t100e  82540EM Gigabit Ethernet Controller\n");
    expect(ids).toContain("1af4  Red Hat, Inc.\n\t1041  Virtio 1.0 network device\n");
  });

  it("modules.dep names every module with what it needs first, as depmod writes it", async () => {
    const dep = await modules_dep(MODULE_INDEX);
    expect(dep).toContain("kernel/drivers/net/e1000.ko: kernel/drivers/net/netdev.ko\n");
    expect(dep).toContain("kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio.ko\n");
    expect(dep.split("\n").filter((l) => l !== "")).toHaveLength(MODULE_INDEX.size);
  });
});
