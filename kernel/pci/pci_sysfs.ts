import { EBUSY, EINVAL, EIO } from "../../include/linux/errno.ts";
import { PCI_CFG_SPACE_EXP_SIZE } from "../../include/kernel/pci.ts";
import type { PciDev } from "../../include/linux/pci.ts";
import { kernfs_create, kernfs_create_link, kernfs_get_target_path } from "../fs/kernfs.ts";
import { pci_bus_read_config } from "./access.ts";
import { pci_disable_device, pci_enable_device, pci_is_enabled } from "./pci.ts";
import { pci_bus_sysfs_add } from "./pci_driver.ts";
import { pci_devices, type PciDevice } from "./probe.ts";

/**
 * PCI in sysfs (drivers/pci/pci-sysfs.c, pci-driver.c's uevent, the driver core's links). Each
 * function's directory is /sys/devices/pci0000:BB/DDDD:BB:SS.F (BB = its root bus: no bridges are
 * modelled) with config (binary, 4 KiB), vendor, device, subsystem_vendor, subsystem_device,
 * class, revision, irq, resource, enable, modalias, uevent, msi_irqs/ (kernel/pci/msi.ts), and the
 * links driver → ../../../bus/pci/drivers/NAME (while bound) and subsystem → ../../../bus/pci.
 * /sys/bus/pci/devices/NAME links to it; /sys/bus/pci/drivers/NAME (bind, unbind, new_id,
 * remove_id, uevent, a link per bound device) is kernel/pci/pci_driver.ts's. lspci reads all of
 * this through /sys/bus/pci/devices.
 */
function hex(n: number, w: number): string {
  return "0x" + n.toString(16).padStart(w, "0");
}

const HEX = (n: number, w: number): string => n.toString(16).toUpperCase().padStart(w, "0");

/** The sysfs directory of a PCI function (its struct device): /sys/devices/pci0000:00/0000:00:03.0. */
export function pci_dev_sysfs_path(dev: PciDev): string {
  return `/sys/devices/pci0000:${dev.bus.toString(16).padStart(2, "0")}/${dev.name}`;
}

function resource_text(dev: PciDev): string {
  let out = "";
  for (let i = 0; i < 7; i++) {
    const r = dev.resource[i];
    out += r === undefined || r.flags === 0 ? `${hex(0, 16)} ${hex(0, 16)} ${hex(0, 16)}\n` : `${hex(r.start, 16)} ${hex(r.end, 16)} ${hex(r.flags, 16)}\n`;
  }
  return out;
}

/** The pci: modalias (pci_uevent / modalias_show). */
function pci_modalias(dev: PciDev): string {
  const c = dev.class;
  return `pci:v${HEX(dev.vendor, 8)}d${HEX(dev.device, 8)}sv${HEX(dev.subsystem_vendor, 8)}sd${HEX(dev.subsystem_device, 8)}bc${HEX((c >> 16) & 0xff, 2)}sc${HEX((c >> 8) & 0xff, 2)}i${HEX(c & 0xff, 2)}`;
}

/** The uevent file: the driver core's DRIVER= (while bound), then pci_uevent's variables. */
function pci_uevent(dev: PciDev): string {
  return (
    (dev.driver === null ? "" : `DRIVER=${dev.driver.name}\n`) +
    `PCI_CLASS=${HEX(dev.class, 4)}\n` +
    `PCI_ID=${HEX(dev.vendor, 4)}:${HEX(dev.device, 4)}\n` +
    `PCI_SUBSYS_ID=${HEX(dev.subsystem_vendor, 4)}:${HEX(dev.subsystem_device, 4)}\n` +
    `PCI_SLOT_NAME=${dev.name}\n` +
    `MODALIAS=${pci_modalias(dev)}\n`
  );
}

function config_bytes(dev: PciDev): Uint8Array {
  const b = new Uint8Array(PCI_CFG_SPACE_EXP_SIZE);
  for (let i = 0; i < b.length; i += 4) {
    const v = pci_bus_read_config(dev.bus, dev.devfn, i, 4);
    b[i] = v & 0xff;
    b[i + 1] = (v >>> 8) & 0xff;
    b[i + 2] = (v >>> 16) & 0xff;
    b[i + 3] = (v >>> 24) & 0xff;
  }
  return b;
}

/** enable_store(): "1" enables (pci_enable_device), "0" disables; refused while a driver owns it. */
function enable_store(dev: PciDev, data: string): number {
  const v = Number(data.trim());
  if (data.trim() === "" || !Number.isInteger(v) || v < 0) return -EINVAL;
  let r = 0;
  if (dev.driver !== null) r = -EBUSY;
  else if (v !== 0) r = pci_enable_device(dev);
  else if (pci_is_enabled(dev)) pci_disable_device(dev);
  else r = -EIO;
  return r < 0 ? r : data.length;
}

/** pci_create_sysfs_dev_files() and the device's links, for one function. */
function pci_dev_sysfs_add(dev: PciDevice): void {
  const base = pci_dev_sysfs_path(dev);
  kernfs_create(`${base}/config`, { show: () => config_bytes(dev) });
  kernfs_create(`${base}/vendor`, { show: () => `${hex(dev.vendor, 4)}\n` });
  kernfs_create(`${base}/device`, { show: () => `${hex(dev.device, 4)}\n` });
  kernfs_create(`${base}/subsystem_vendor`, { show: () => `${hex(dev.subsystem_vendor, 4)}\n` });
  kernfs_create(`${base}/subsystem_device`, { show: () => `${hex(dev.subsystem_device, 4)}\n` });
  kernfs_create(`${base}/class`, { show: () => `${hex(dev.class, 6)}\n` });
  kernfs_create(`${base}/revision`, { show: () => `${hex(dev.revision, 2)}\n` });
  kernfs_create(`${base}/irq`, { show: () => `${dev.irq}\n` });
  kernfs_create(`${base}/resource`, { show: () => resource_text(dev) });
  kernfs_create(`${base}/enable`, { show: () => `${dev.enable_cnt}\n`, store: (data) => enable_store(dev, data) });
  kernfs_create(`${base}/modalias`, { show: () => `${pci_modalias(dev)}\n` });
  kernfs_create(`${base}/uevent`, { show: () => pci_uevent(dev) });
  const drv_link = `${base}/driver`;
  kernfs_create_link(drv_link, () => (dev.driver === null ? null : kernfs_get_target_path(drv_link, `/sys/bus/pci/drivers/${dev.driver.name}`)));
  kernfs_create_link(`${base}/subsystem`, kernfs_get_target_path(`${base}/subsystem`, "/sys/bus/pci"));
  const bus_link = `/sys/bus/pci/devices/${dev.name}`;
  kernfs_create_link(bus_link, kernfs_get_target_path(bus_link, base));
}

/**
 * At boot, after enumeration: every function's directory and its /sys/bus/pci/devices link, and
 * the bus's drivers_autoprobe and drivers_probe. Each driver's directory is made when it registers
 * (kernel/pci/pci_driver.ts).
 */
export function pci_sysfs_init(): void {
  for (const dev of pci_devices()) pci_dev_sysfs_add(dev);
  pci_bus_sysfs_add();
}
