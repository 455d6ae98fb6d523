import { ENODEV } from "../../include/linux/errno.ts";
import { PCI_CFG_SPACE_EXP_SIZE } from "../../include/kernel/pci.ts";
import { kernfs_create } from "../fs/kernfs.ts";
import { pci_bus_read_config } from "./access.ts";
import { device_release_driver, driver_bind } from "./pci_driver.ts";
import { pci_devices, type PciDevice } from "./probe.ts";

/**
 * /sys/bus/pci (drivers/pci/pci-sysfs.c): what lspci reads. Per device: config (binary, 4 KiB),
 * vendor, device, class, irq, resource, and driver (the bound driver's name; Linux makes this a
 * symlink). Writing a device name to /sys/bus/pci/drivers/NAME/bind or .../unbind binds/unbinds.
 */
function hex(n: number, w: number): string {
  return "0x" + n.toString(16).padStart(w, "0");
}

function resource_text(dev: PciDevice): string {
  let out = "";
  for (let i = 0; i < 7; i++) {
    const r = dev.resource[i];
    out += r === undefined || r.flags === 0 ? `${hex(0, 16)} ${hex(0, 16)} ${hex(0, 16)}\n` : `${hex(r.start, 16)} ${hex(r.end, 16)} ${hex(r.flags, 16)}\n`;
  }
  return out;
}

function find(name: string): PciDevice | undefined {
  return pci_devices().find((d) => d.name === name.trim());
}

export function pci_sysfs_init(): void {
  for (const dev of pci_devices()) {
    const base = `/sys/bus/pci/devices/${dev.name}`;
    kernfs_create(`${base}/config`, {
      show: () => {
        const b = new Uint8Array(PCI_CFG_SPACE_EXP_SIZE);
        for (let i = 0; i < b.length; i += 4) {
          const v = pci_bus_read_config(dev.bus, dev.devfn, i, 4);
          b[i] = v & 0xff;
          b[i + 1] = (v >>> 8) & 0xff;
          b[i + 2] = (v >>> 16) & 0xff;
          b[i + 3] = (v >>> 24) & 0xff;
        }
        return b;
      },
    });
    kernfs_create(`${base}/vendor`, { show: () => `${hex(dev.vendor, 4)}\n` });
    kernfs_create(`${base}/device`, { show: () => `${hex(dev.device, 4)}\n` });
    kernfs_create(`${base}/class`, { show: () => `${hex(dev.class, 6)}\n` });
    kernfs_create(`${base}/irq`, { show: () => `${dev.irq}\n` });
    kernfs_create(`${base}/resource`, { show: () => resource_text(dev) });
    kernfs_create(`${base}/driver`, { show: () => (dev.driver === null ? "" : `${dev.driver.name}\n`) });
  }
}

/** Called when a PCI driver registers: its bind/unbind files. */
export function pci_driver_sysfs_add(name: string): void {
  const base = `/sys/bus/pci/drivers/${name}`;
  kernfs_create(`${base}/bind`, {
    store: async (data) => {
      const dev = find(data);
      if (dev === undefined) return -ENODEV;
      const r = await driver_bind(name, dev);
      return r < 0 ? r : data.length;
    },
  });
  kernfs_create(`${base}/unbind`, {
    store: async (data) => {
      const dev = find(data);
      if (dev === undefined || dev.driver?.name !== name) return -ENODEV;
      await device_release_driver(dev);
      return data.length;
    },
  });
}
