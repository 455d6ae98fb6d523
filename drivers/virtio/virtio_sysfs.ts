/**
 * The virtio bus in sysfs (drivers/virtio/virtio.c's dev_attrs and virtio_uevent, the driver
 * core's links): a registered device is a directory under its transport's PCI function,
 *
 *   /sys/devices/pci0000:00/0000:00:05.0/virtio0/{device, vendor, status, features, modalias, uevent,
 *                                               driver → ../../../../bus/virtio/drivers/NAME (while bound),
 *                                               subsystem → ../../../../bus/virtio}
 *   /sys/bus/virtio/devices/virtio0 → ../../../devices/pci0000:00/0000:00:05.0/virtio0
 *   /sys/bus/virtio/drivers/NAME/{uevent, virtioN → the device while bound to NAME}
 *
 * The virtio core calls virtio_dev_sysfs_add / _remove from register_virtio_device /
 * unregister_virtio_device and virtio_driver_sysfs_add / _remove from register_virtio_driver /
 * unregister_virtio_driver; binding needs no call (the links follow vdev.driver when looked up).
 * Process context. Files read the device through its config ops (status) when read.
 */
import { kernfs_create, kernfs_create_link, kernfs_get_target_path, kernfs_remove } from "../../kernel/fs/kernfs.ts";
import { DEFINE_PER_KERNEL } from "../../kernel/kernel.ts";
import { pci_dev_sysfs_path } from "../../kernel/pci/pci_sysfs.ts";
import type { VirtioDevice, VirtioDriver } from "./virtio.ts";

const VIRTIO_BUS = "/sys/bus/virtio";

/** Which devices and drivers have sysfs entries (the per-driver device links need both). */
class VirtioSysfs {
  readonly devices = new Set<VirtioDevice>();
  readonly drivers = new Set<string>();
}
const virtio_sysfs = DEFINE_PER_KERNEL(() => new VirtioSysfs());

const HEX = (n: number, w: number): string => n.toString(16).toUpperCase().padStart(w, "0");

/** The device's sysfs directory: its transport's PCI function, then virtioN. */
export function virtio_dev_sysfs_path(vdev: VirtioDevice): string {
  return `${pci_dev_sysfs_path(vdev.dma_dev)}/${vdev.name}`;
}

/** modalias_show / virtio_uevent's MODALIAS: virtio:d<device>v<vendor>, 8 upper-case hex digits each. */
export function virtio_modalias(vdev: VirtioDevice): string {
  return `virtio:d${HEX(vdev.id.device, 8)}v${HEX(vdev.id.vendor, 8)}`;
}

/** features_show(): the negotiated feature bits as a string of 64 '0'/'1', bit 0 first. */
export function virtio_features_text(vdev: VirtioDevice): string {
  let s = "";
  for (let i = 0n; i < 64n; i++) s += ((vdev.features >> i) & 1n) === 1n ? "1" : "0";
  return s;
}

function driver_dev_link(drv: string, vdev: VirtioDevice): void {
  const link = `${VIRTIO_BUS}/drivers/${drv}/${vdev.name}`;
  const target = virtio_dev_sysfs_path(vdev);
  kernfs_create_link(link, () => (vdev.driver?.name === drv ? kernfs_get_target_path(link, target) : null));
}

/**
 * virtio_dev_sysfs_add(): publish a device the transport registered (vdev.name and vdev.dma_dev
 * set): its attributes, its links, /sys/bus/virtio/devices/NAME, and its entry in every
 * registered driver's directory (present while bound to that driver).
 */
export function virtio_dev_sysfs_add(vdev: VirtioDevice): void {
  const st = virtio_sysfs.get();
  const base = virtio_dev_sysfs_path(vdev);
  const hex4 = (n: number): string => `0x${n.toString(16).padStart(4, "0")}\n`;
  kernfs_create(`${base}/device`, { show: () => hex4(vdev.id.device) });
  kernfs_create(`${base}/vendor`, { show: () => hex4(vdev.id.vendor) });
  kernfs_create(`${base}/status`, { show: () => `0x${vdev.config.get_status(vdev).toString(16).padStart(8, "0")}\n` });
  kernfs_create(`${base}/features`, { show: () => virtio_features_text(vdev) + "\n" });
  kernfs_create(`${base}/modalias`, { show: () => virtio_modalias(vdev) + "\n" });
  kernfs_create(`${base}/uevent`, { show: () => (vdev.driver === null ? "" : `DRIVER=${vdev.driver.name}\n`) + `MODALIAS=${virtio_modalias(vdev)}\n` });
  const drv_link = `${base}/driver`;
  kernfs_create_link(drv_link, () => (vdev.driver === null ? null : kernfs_get_target_path(drv_link, `${VIRTIO_BUS}/drivers/${vdev.driver.name}`)));
  kernfs_create_link(`${base}/subsystem`, kernfs_get_target_path(`${base}/subsystem`, VIRTIO_BUS));
  const bus_link = `${VIRTIO_BUS}/devices/${vdev.name}`;
  kernfs_create_link(bus_link, kernfs_get_target_path(bus_link, base));
  st.devices.add(vdev);
  for (const drv of st.drivers) driver_dev_link(drv, vdev);
}

/** virtio_dev_sysfs_remove(): undo virtio_dev_sysfs_add (after the driver was removed). */
export function virtio_dev_sysfs_remove(vdev: VirtioDevice): void {
  const st = virtio_sysfs.get();
  if (!st.devices.delete(vdev)) return;
  for (const drv of st.drivers) kernfs_remove(`${VIRTIO_BUS}/drivers/${drv}/${vdev.name}`);
  kernfs_remove(`${VIRTIO_BUS}/devices/${vdev.name}`);
  kernfs_remove(virtio_dev_sysfs_path(vdev));
}

/** virtio_driver_sysfs_add(): /sys/bus/virtio/drivers/NAME, with a link per device bound to it. */
export function virtio_driver_sysfs_add(drv: VirtioDriver): void {
  const st = virtio_sysfs.get();
  st.drivers.add(drv.name);
  kernfs_create(`${VIRTIO_BUS}/drivers/${drv.name}/uevent`, { store: (data) => data.length });
  for (const vdev of st.devices) driver_dev_link(drv.name, vdev);
}

/** virtio_driver_sysfs_remove(): the driver's directory goes (after it was unbound everywhere). */
export function virtio_driver_sysfs_remove(drv: VirtioDriver): void {
  const st = virtio_sysfs.get();
  st.drivers.delete(drv.name);
  kernfs_remove(`${VIRTIO_BUS}/drivers/${drv.name}`);
}
