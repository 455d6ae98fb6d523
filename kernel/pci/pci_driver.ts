import { debug_dma_device_released } from "../dma/debug.ts";
import { PCI_ANY_ID } from "../../include/kernel/pci.ts";
import { EBUSY, EEXIST, EINVAL, ENODEV } from "../../include/linux/errno.ts";
import type { PciDev, PciDeviceId, PciDriver } from "../../include/linux/pci.ts";
import { DEFINE_PER_KERNEL } from "../kernel.ts";
import { KernelBug, LockupKill, oops } from "../panic.ts";
import { pr_err, pr_info } from "../printk.ts";
import { kernfs_create, kernfs_create_link, kernfs_get_target_path, kernfs_remove, sysfs_streq } from "../fs/kernfs.ts";
import { pci_devices, pci_state } from "./probe.ts";

/**
 * The PCI driver model (drivers/pci/pci-driver.c, drivers/base/dd.c, drivers/base/bus.c): match
 * devices against id tables and the ids added through new_id, probe, bind, remove, and each
 * driver's directory /sys/bus/pci/drivers/NAME. All of it runs in process context (probe may sleep).
 */

/** Ids added at run time (struct pci_dynids), by driver name; pci_free_dynids at unregister. */
const dynids = DEFINE_PER_KERNEL(() => new Map<string, PciDeviceId[]>());

/** /sys/bus/pci/drivers_autoprobe: whether a driver that registers binds to devices at once. */
const autoprobe = DEFINE_PER_KERNEL(() => ({ on: true }));

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

/** pci_match_device(): the first of the driver's dynamic ids, then of its table, that matches `dev`. */
export function pci_match_device(drv: PciDriver, dev: PciDev): PciDeviceId | null {
  return pci_match_id(dynids.get().get(drv.name) ?? [], dev) ?? pci_match_id(drv.id_table, dev);
}

/**
 * Try `drv` on `dev`. Returns 0 when bound, -ENODEV when the ids do not match, or the probe's
 * error. A probe that throws is an oops and counts as -EINVAL; the device stays unbound.
 */
async function driver_probe_device(drv: PciDriver, dev: PciDev): Promise<number> {
  if (dev.driver !== null) return -EBUSY;
  const id = pci_match_device(drv, dev);
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
    pr_err("%s %s: probe with driver %s failed with error %d\n", drv.name, dev.name, drv.name, ret);
    debug_dma_device_released(dev); // a failed probe must have unmapped everything too
    dev.driver = null;
    return ret;
  }
  dev.driver = drv;
  return 0;
}

/** driver_attach(): offer every unbound device to `drv`. */
async function driver_attach(drv: PciDriver): Promise<void> {
  for (const dev of pci_devices()) if (dev.driver === null) await driver_probe_device(drv, dev);
}

/**
 * pci_register_driver(): add the driver, make its sysfs directory and, unless drivers_autoprobe
 * is 0, bind it to every matching, unbound device.
 */
export async function pci_register_driver(drv: PciDriver): Promise<number> {
  const st = pci_state.get();
  if (st.drivers.includes(drv) || st.drivers.some((d) => d.name === drv.name)) return -EBUSY;
  st.drivers.push(drv);
  pci_driver_sysfs_add(drv);
  if (autoprobe.get().on) await driver_attach(drv);
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
  dynids.get().delete(drv.name);
  kernfs_remove(`/sys/bus/pci/drivers/${drv.name}`);
}

/** device_attach(): offer an unbound device to every registered driver. Returns 0 if one bound it. */
export async function device_attach(dev: PciDev): Promise<number> {
  if (dev.driver !== null) return 0;
  for (const drv of pci_state.get().drivers) if ((await driver_probe_device(drv, dev)) === 0) return 0;
  return -ENODEV;
}

/**
 * Bind `dev` to the driver called `name` (the sysfs bind file, bind_store): -ENODEV unless the
 * driver's ids match the device, -EBUSY when it already has a driver, else the probe's result.
 */
export async function driver_bind(name: string, dev: PciDev): Promise<number> {
  const drv = pci_state.get().drivers.find((d) => d.name === name);
  if (drv === undefined || pci_match_device(drv, dev) === null) return -ENODEV;
  const r = await driver_probe_device(drv, dev);
  if (r === 0) pr_info("%s %s: bound\n", drv.name, dev.name);
  return r;
}

export function pci_drivers(): readonly PciDriver[] {
  return pci_state.get().drivers;
}

/** bus_find_device_by_name() on the PCI bus: the device a written name (sysfs_streq) names. */
export function pci_find_device_by_name(written: string): PciDev | undefined {
  return pci_devices().find((d) => sysfs_streq(written, d.name));
}

/**
 * The fields new_id and remove_id take, as sscanf("%x %x %x %x %x %x %lx") reads them: hex numbers
 * (an optional 0x), separated by white space, up to the first that does not parse.
 */
function scan_hex_fields(buf: string, max: number): number[] {
  const out: number[] = [];
  for (const word of buf.trim().split(/\s+/)) {
    if (out.length === max) break;
    const m = /^(?:0[xX])?([0-9a-fA-F]+)/.exec(word);
    if (m === null) break;
    out.push(parseInt(m[1]!.slice(-8), 16) >>> 0);
    if (m[0].length < word.length) break;
  }
  return out;
}

/**
 * new_id_store(): "VENDOR DEVICE [SUBVENDOR SUBDEVICE CLASS CLASS_MASK DRIVER_DATA]" (hex) adds a
 * dynamic id and binds the driver to every unbound device it now matches. -EINVAL for fewer than
 * two fields or a driver_data no table entry has; -EEXIST when the driver matches such a device
 * already (unless all seven fields were given).
 */
export async function pci_new_id(drv: PciDriver, buf: string): Promise<number> {
  const f = scan_hex_fields(buf, 7);
  if (f.length < 2) return -EINVAL;
  const [vendor, device, subvendor = PCI_ANY_ID, subdevice = PCI_ANY_ID, cls = 0, class_mask = 0, driver_data = 0] = f as [number, number, ...number[]];
  const id: PciDeviceId = { vendor, device, subvendor, subdevice, class: cls, class_mask, driver_data };
  if (f.length !== 7) {
    const probe: PciDev = { vendor, device, subsystem_vendor: subvendor, subsystem_device: subdevice, class: cls } as PciDev;
    if (pci_match_device(drv, probe) !== null) return -EEXIST;
  }
  if (drv.id_table.length > 0 && !drv.id_table.some((t) => (t.driver_data ?? 0) === driver_data)) return -EINVAL;
  const ids = dynids.get();
  ids.set(drv.name, [...(ids.get(drv.name) ?? []), id]);
  await driver_attach(drv);
  return 0;
}

/**
 * remove_id_store(): "VENDOR DEVICE [SUBVENDOR SUBDEVICE CLASS CLASS_MASK]" removes the dynamic id
 * with exactly those fields (bound devices stay bound); -ENODEV when there is none.
 */
export function pci_remove_id(drv: PciDriver, buf: string): number {
  const f = scan_hex_fields(buf, 6);
  if (f.length < 2) return -EINVAL;
  const [vendor, device, subvendor = PCI_ANY_ID, subdevice = PCI_ANY_ID, cls = 0, class_mask = 0] = f as [number, number, ...number[]];
  const list = dynids.get().get(drv.name) ?? [];
  const i = list.findIndex((id) => id.vendor === vendor && id.device === device && id.subvendor === subvendor && id.subdevice === subdevice && id.class === cls && id.class_mask === class_mask);
  if (i < 0) return -ENODEV;
  list.splice(i, 1);
  return 0;
}

/**
 * A driver's directory /sys/bus/pci/drivers/NAME: bind, unbind, new_id, remove_id and uevent
 * (all write-only, mode 0200, as Linux's) and a link named after each device while it is bound to
 * the driver. pci_unregister_driver removes it.
 */
function pci_driver_sysfs_add(drv: PciDriver): void {
  const base = `/sys/bus/pci/drivers/${drv.name}`;
  kernfs_create(`${base}/bind`, {
    store: async (data) => {
      const dev = pci_find_device_by_name(data);
      if (dev === undefined) return -ENODEV;
      const r = await driver_bind(drv.name, dev);
      return r < 0 ? r : data.length;
    },
  });
  kernfs_create(`${base}/unbind`, {
    store: async (data) => {
      const dev = pci_find_device_by_name(data);
      if (dev === undefined || dev.driver !== drv) return -ENODEV;
      await device_release_driver(dev);
      return data.length;
    },
  });
  kernfs_create(`${base}/new_id`, {
    store: async (data) => {
      const r = await pci_new_id(drv, data);
      return r < 0 ? r : data.length;
    },
  });
  kernfs_create(`${base}/remove_id`, {
    store: (data) => {
      const r = pci_remove_id(drv, data);
      return r < 0 ? r : data.length;
    },
  });
  kernfs_create(`${base}/uevent`, { store: (data) => data.length });
  for (const dev of pci_devices()) {
    const link = `${base}/${dev.name}`;
    // The device's directory (pci_dev_sysfs_path's form; that file includes this one).
    const target = `/sys/devices/pci0000:${dev.bus.toString(16).padStart(2, "0")}/${dev.name}`;
    kernfs_create_link(link, () => (dev.driver === drv ? kernfs_get_target_path(link, target) : null));
  }
}

/**
 * /sys/bus/pci/drivers_autoprobe (0644, "1" or "0": do drivers that register bind at once) and
 * drivers_probe (0200: offer the named device to every driver, bus_rescan_devices's one-device form).
 */
export function pci_bus_sysfs_add(): void {
  kernfs_create("/sys/bus/pci/drivers_autoprobe", {
    show: () => `${autoprobe.get().on ? 1 : 0}\n`,
    store: (data) => {
      // drivers_autoprobe_store: "0" turns it off, anything else on.
      autoprobe.get().on = !data.startsWith("0");
      return data.length;
    },
  });
  kernfs_create("/sys/bus/pci/drivers_probe", {
    store: async (data) => {
      const dev = pci_find_device_by_name(data);
      if (dev === undefined) return -ENODEV;
      await device_attach(dev); // no driver for it is not an error (bus_rescan_devices_helper)
      return data.length;
    },
  });
}
