import { debug_dma_device_released } from "../dma/debug.ts";
import { PCI_ANY_ID } from "../../include/kernel/pci.ts";
import { EBUSY, EINVAL, ENODEV } from "../../include/linux/errno.ts";
import type { PciDev, PciDeviceId, PciDriver } from "../../include/linux/pci.ts";
import { KernelBug, LockupKill, oops } from "../panic.ts";
import { pr_err, pr_info } from "../printk.ts";
import { kernfs_remove } from "../fs/kernfs.ts";
import { pci_driver_sysfs_add } from "./pci_sysfs.ts";
import { pci_devices, pci_state } from "./probe.ts";

/**
 * The PCI driver model (drivers/pci/pci-driver.c, drivers/base/dd.c): match devices against id
 * tables, probe, bind, remove. All of it runs in process context (probe may sleep).
 */

function field_match(want: number | undefined, have: number): boolean {
  return want === undefined || want === PCI_ANY_ID || want === have;
}

/** pci_match_one_device(). */
export function pci_match_one_device(id: PciDeviceId, dev: PciDev): boolean {
  return (
    field_match(id.vendor, dev.vendor) &&
    field_match(id.device, dev.device) &&
    field_match(id.subvendor, dev.subsystem_vendor) &&
    field_match(id.subdevice, dev.subsystem_device) &&
    ((dev.class ^ (id.class ?? 0)) & (id.class_mask ?? 0)) === 0
  );
}

/** pci_match_id(): the first entry of `ids` that matches, or null. */
export function pci_match_id(ids: readonly PciDeviceId[], dev: PciDev): PciDeviceId | null {
  for (const id of ids) if (pci_match_one_device(id, dev)) return id;
  return null;
}

/**
 * Try `drv` on `dev`. Returns 0 when bound, -ENODEV when the ids do not match, or the probe's
 * error. A probe that throws is an oops and counts as -EINVAL; the device stays unbound.
 */
async function driver_probe_device(drv: PciDriver, dev: PciDev): Promise<number> {
  if (dev.driver !== null) return -EBUSY;
  const id = pci_match_id(drv.id_table, dev);
  if (id === null) return -ENODEV;
  let ret: number;
  try {
    ret = await drv.probe(dev, id);
  } catch (e) {
    if (e instanceof LockupKill) throw e; // the task that probes is killed; the report is out
    if (!(e instanceof KernelBug)) oops(`BUG: ${drv.name} ${dev.name}: exception in probe`, e);
    ret = -EINVAL;
  }
  if (ret !== 0) {
    pr_err(`${drv.name} ${dev.name}: probe with driver ${drv.name} failed with error ${ret}`);
    debug_dma_device_released(dev); // a failed probe must have unmapped everything too
    dev.driver = null;
    return ret;
  }
  dev.driver = drv;
  return 0;
}

/** pci_register_driver(): add the driver and bind it to every matching, unbound device. */
export async function pci_register_driver(drv: PciDriver): Promise<number> {
  const st = pci_state.get();
  if (st.drivers.includes(drv) || st.drivers.some((d) => d.name === drv.name)) return -EBUSY;
  st.drivers.push(drv);
  pci_driver_sysfs_add(drv.name);
  for (const dev of pci_devices()) if (dev.driver === null) await driver_probe_device(drv, dev);
  return 0;
}

/** device_release_driver(): unbind whatever driver `dev` has (remove()). */
export async function device_release_driver(dev: PciDev): Promise<void> {
  const drv = dev.driver;
  if (drv === null) return;
  try {
    await drv.remove(dev);
  } catch (e) {
    if (!(e instanceof KernelBug)) oops(`BUG: ${drv.name} ${dev.name}: exception in remove`, e);
  }
  // What the driver still has mapped for the device is a leak (dma-debug reports it).
  debug_dma_device_released(dev);
  dev.driver = null;
  dev.driver_data = null;
}

/** pci_unregister_driver(): unbind from every device, then forget the driver. */
export async function pci_unregister_driver(drv: PciDriver): Promise<void> {
  const st = pci_state.get();
  for (const dev of pci_devices()) if (dev.driver === drv) await device_release_driver(dev);
  const i = st.drivers.indexOf(drv);
  if (i >= 0) st.drivers.splice(i, 1);
  kernfs_remove(`/sys/bus/pci/drivers/${drv.name}`);
}

/** device_attach(): offer an unbound device to every registered driver. Returns 0 if one bound it. */
export async function device_attach(dev: PciDev): Promise<number> {
  if (dev.driver !== null) return 0;
  for (const drv of pci_state.get().drivers) if ((await driver_probe_device(drv, dev)) === 0) return 0;
  return -ENODEV;
}

/** Bind `dev` to the driver called `name` (the sysfs bind file). */
export async function driver_bind(name: string, dev: PciDev): Promise<number> {
  const drv = pci_state.get().drivers.find((d) => d.name === name);
  if (drv === undefined) return -ENODEV;
  const r = await driver_probe_device(drv, dev);
  if (r === 0) pr_info(`${drv.name} ${dev.name}: bound`);
  return r;
}

export function pci_drivers(): readonly PciDriver[] {
  return pci_state.get().drivers;
}
