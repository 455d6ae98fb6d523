/**
 * The virtio core (Linux drivers/virtio/virtio.c, include/linux/virtio.h, virtio_config.h): the
 * virtio bus between transports (virtio_pci) and device drivers (virtio_net). A transport finds a
 * device, fills a VirtioDevice with its config ops and calls register_virtio_device; a driver
 * calls register_virtio_driver. The bus matches by device id and probes as virtio_dev_probe does:
 * reset, ACKNOWLEDGE, DRIVER, features = driver's table ∩ device's (transport bits kept; a device
 * without VERSION_1 — a legacy interface — gets the driver's legacy table if it has one),
 * finalize_features (the modern transport requires VERSION_1), FEATURES_OK and its re-read (only
 * with VERSION_1: legacy devices have no FEATURES_OK), drv.probe, DRIVER_OK.
 *
 * Sysfs (virtio_sysfs.ts): a registered device appears under its PCI function and in
 * /sys/bus/virtio/devices, a registered driver in /sys/bus/virtio/drivers, as device_add and
 * driver_register publish them.
 *
 * Context: everything here runs in process context (module init/exit, PCI probe/remove) except
 * virtio_config_changed, which the transport calls from its interrupt handler (hard-IRQ context)
 * and which defers the driver's config_changed to a work item.
 */
import { EINVAL, ENODEV } from "../../include/linux/errno.ts";
import type { PciDev } from "../../include/linux/pci.ts";
import {
  VIRTIO_CONFIG_S_ACKNOWLEDGE,
  VIRTIO_CONFIG_S_DRIVER,
  VIRTIO_CONFIG_S_DRIVER_OK,
  VIRTIO_CONFIG_S_FAILED,
  VIRTIO_CONFIG_S_FEATURES_OK,
  VIRTIO_F_ACCESS_PLATFORM,
  VIRTIO_F_VERSION_1,
  VIRTIO_RING_F_EVENT_IDX,
  VIRTIO_RING_F_INDIRECT_DESC,
} from "../../include/uapi/linux/virtio_config.ts";
import type { ModuleInfo } from "../../include/linux/module.ts";
import { DEFINE_PER_KERNEL } from "../../kernel/kernel.ts";
import { pr_err } from "../../kernel/printk.ts";
import { cancel_work_sync, schedule_work, WorkStruct } from "../../kernel/workqueue.ts";
import type { VirtQueue } from "./virtio_ring.ts";
import { virtio_dev_sysfs_add, virtio_dev_sysfs_remove, virtio_driver_sysfs_add, virtio_driver_sysfs_remove } from "./virtio_sysfs.ts";

/** First and last transport feature bits (VIRTIO_TRANSPORT_F_START/END): kept when the transport offers them. */
export const VIRTIO_TRANSPORT_F_START = 28;
export const VIRTIO_TRANSPORT_F_END = 42;

/** struct virtio_device_id: match `device` (VIRTIO_DEV_ANY_ID = any) from `vendor`. */
export interface VirtioDeviceId {
  readonly device: number;
  readonly vendor?: number;
}
export const VIRTIO_DEV_ANY_ID = 0xffffffff;

/** What find_vqs needs per queue: its name and callback (null = no interrupts wanted). */
export interface VqInfo {
  readonly name: string;
  readonly callback: ((vq: VirtQueue) => void) | null;
}

/**
 * struct virtio_config_ops: how the core and drivers reach one device, implemented by the
 * transport. Process context unless noted.
 */
export interface VirtioConfigOps {
  /** Read `len` (1, 2 or 4) bytes of device config at `offset`. Any context. */
  get(vdev: VirtioDevice, offset: number, len: 1 | 2 | 4): number;
  set(vdev: VirtioDevice, offset: number, len: 1 | 2 | 4, value: number): void;
  /** config_generation: changes whenever the device changes its config (for consistent multi-field reads). */
  generation(vdev: VirtioDevice): number;
  get_status(vdev: VirtioDevice): number;
  set_status(vdev: VirtioDevice, status: number): void;
  /** Reset the device and wait until it reads back 0. */
  reset(vdev: VirtioDevice): Promise<void>;
  /** Create and enable `infos.length` queues, with interrupts. 0 or -errno (nothing left behind). */
  find_vqs(vdev: VirtioDevice, infos: readonly VqInfo[]): Promise<number>;
  del_vqs(vdev: VirtioDevice): void;
  get_features(vdev: VirtioDevice): bigint;
  /** Write vdev.features to the device; 0 or -errno (a transport requirement is missing). */
  finalize_features(vdev: VirtioDevice): number;
  bus_name(vdev: VirtioDevice): string;
}

/** struct virtio_device. */
export class VirtioDevice {
  index = -1;
  name = "";
  /** Virtio device id (VIRTIO_ID_NET…) and subsystem vendor. */
  readonly id: { device: number; vendor: number };
  readonly config: VirtioConfigOps;
  /** The PCI function the rings and buffers are mapped for (vdev->dev.parent's DMA). */
  readonly dma_dev: PciDev;
  /** Negotiated features (after probe): the bits both sides accepted. */
  features = 0n;
  /** The bound driver, or null; its private data. */
  driver: VirtioDriver | null = null;
  priv: unknown = null;
  /** Queues created by find_vqs, in index order. */
  vqs: VirtQueue[] = [];
  /** config_changed is delivered only between DRIVER_OK and remove (virtio_config_enable/disable). */
  config_enabled = false;
  config_change_pending = false;
  readonly config_work: WorkStruct;
  /** Transport-private data (the virtio_pci_device). */
  transport: unknown = null;

  constructor(id: { device: number; vendor: number }, config: VirtioConfigOps, dma_dev: PciDev) {
    this.id = id;
    this.config = config;
    this.dma_dev = dma_dev;
    this.config_work = new WorkStruct(() => virtio_config_work(this));
  }
}

/** struct virtio_driver. probe/remove run in process context; config_changed in a work item. */
export interface VirtioDriver {
  readonly name: string;
  readonly id_table: readonly VirtioDeviceId[];
  /** Feature bits (0–63) the driver understands. */
  readonly feature_table: readonly number[];
  /** What it understands on a legacy device (no VERSION_1), if that differs (feature_table_legacy). */
  readonly feature_table_legacy?: readonly number[];
  /** Check features before FEATURES_OK (optional); 0 or -errno. */
  validate?(vdev: VirtioDevice): number;
  probe(vdev: VirtioDevice): Promise<number> | number;
  remove(vdev: VirtioDevice): Promise<void> | void;
  config_changed?(vdev: VirtioDevice): void;
}

class VirtioBus {
  readonly drivers: VirtioDriver[] = [];
  readonly devices: VirtioDevice[] = [];
  readonly used_index = new Set<number>();
}
const virtio_bus = DEFINE_PER_KERNEL(() => new VirtioBus());

/* ---- feature and config helpers (include/linux/virtio_config.h) ---- */

/** virtio_has_feature(): bit `fbit` (0–63) was negotiated. */
export function virtio_has_feature(vdev: VirtioDevice, fbit: number): boolean {
  return ((vdev.features >> BigInt(fbit)) & 1n) === 1n;
}

export function __virtio_set_bit(vdev: VirtioDevice, fbit: number): void {
  vdev.features |= 1n << BigInt(fbit);
}
export function __virtio_clear_bit(vdev: VirtioDevice, fbit: number): void {
  vdev.features &= ~(1n << BigInt(fbit));
}

export function virtio_cread8(vdev: VirtioDevice, off: number): number {
  return vdev.config.get(vdev, off, 1);
}
export function virtio_cread16(vdev: VirtioDevice, off: number): number {
  return vdev.config.get(vdev, off, 2);
}
export function virtio_cread32(vdev: VirtioDevice, off: number): number {
  return vdev.config.get(vdev, off, 4);
}
export function virtio_cwrite8(vdev: VirtioDevice, off: number, v: number): void {
  vdev.config.set(vdev, off, 1, v);
}
export function virtio_cwrite16(vdev: VirtioDevice, off: number, v: number): void {
  vdev.config.set(vdev, off, 2, v);
}

/** virtio_cread_bytes(): `len` bytes at `off`, retried until config_generation is stable (__virtio_cread_many). */
export function virtio_cread_bytes(vdev: VirtioDevice, off: number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let tries = 0; tries < 10; tries++) {
    const gen = vdev.config.generation(vdev);
    for (let i = 0; i < len; i++) out[i] = vdev.config.get(vdev, off + i, 1);
    if (vdev.config.generation(vdev) === gen) break;
  }
  return out;
}

/** virtio_device_ready(): set DRIVER_OK (a driver calls it in probe before using its queues). */
export function virtio_device_ready(vdev: VirtioDevice): void {
  const status = vdev.config.get_status(vdev);
  if (status & VIRTIO_CONFIG_S_DRIVER_OK) {
    pr_err("%s: virtio_device_ready: DRIVER_OK already set\n", vdev.name);
    return;
  }
  vdev.config.set_status(vdev, status | VIRTIO_CONFIG_S_DRIVER_OK);
}

/** virtio_reset_device(): reset and wait for it; the device forgets queues and features. */
export async function virtio_reset_device(vdev: VirtioDevice): Promise<void> {
  await vdev.config.reset(vdev);
}

export function virtio_add_status(vdev: VirtioDevice, status: number): void {
  vdev.config.set_status(vdev, vdev.config.get_status(vdev) | status);
}

/** virtio_find_vqs(): the transport's find_vqs. 0 or -errno. */
export function virtio_find_vqs(vdev: VirtioDevice, infos: readonly VqInfo[]): Promise<number> {
  return vdev.config.find_vqs(vdev, infos);
}

/**
 * vring_transport_features(): clear the transport bits this ring does not implement (it has split
 * rings with EVENT_IDX and indirect descriptors, no packed rings, no in-order, no reset). Called
 * by the transport's finalize_features.
 */
export function vring_transport_features(vdev: VirtioDevice): void {
  for (let i = VIRTIO_TRANSPORT_F_START; i < VIRTIO_TRANSPORT_F_END; i++) {
    if (i === VIRTIO_RING_F_INDIRECT_DESC || i === VIRTIO_RING_F_EVENT_IDX || i === VIRTIO_F_VERSION_1 || i === VIRTIO_F_ACCESS_PLATFORM) continue;
    __virtio_clear_bit(vdev, i);
  }
}

/* ---- config change (hard-IRQ context → work) ---- */

/** virtio_config_changed(): the device changed its config. Hard-IRQ context (the transport's handler). */
export function virtio_config_changed(vdev: VirtioDevice): void {
  if (!vdev.config_enabled) {
    vdev.config_change_pending = true;
    return;
  }
  schedule_work(vdev.config_work);
}

function virtio_config_work(vdev: VirtioDevice): void {
  if (vdev.config_enabled) vdev.driver?.config_changed?.(vdev);
}

function virtio_config_enable(vdev: VirtioDevice): void {
  vdev.config_enabled = true;
  if (vdev.config_change_pending) schedule_work(vdev.config_work);
  vdev.config_change_pending = false;
}

async function virtio_config_disable(vdev: VirtioDevice): Promise<void> {
  vdev.config_enabled = false;
  await cancel_work_sync(vdev.config_work);
}

/* ---- probe / remove (virtio_dev_probe, virtio_dev_remove) ---- */

/**
 * virtio_features_ok(): FEATURES_OK and its re-read (virtio 1.2 §3.1.1 steps 5–6). A legacy
 * device (no VERSION_1 negotiated) has no FEATURES_OK step: its features took effect when written.
 */
function virtio_features_ok(vdev: VirtioDevice): number {
  if (!virtio_has_feature(vdev, VIRTIO_F_VERSION_1)) return 0;
  virtio_add_status(vdev, VIRTIO_CONFIG_S_FEATURES_OK);
  const status = vdev.config.get_status(vdev);
  if ((status & VIRTIO_CONFIG_S_FEATURES_OK) === 0) {
    pr_err("%s: virtio: device refuses features: %llx\n", vdev.name, vdev.features);
    return -ENODEV;
  }
  return 0;
}

function match(drv: VirtioDriver, vdev: VirtioDevice): boolean {
  return drv.id_table.some((id) => (id.device === vdev.id.device || id.device === VIRTIO_DEV_ANY_ID) && (id.vendor === undefined || id.vendor === VIRTIO_DEV_ANY_ID || id.vendor === vdev.id.vendor));
}

/** virtio_dev_probe(): bind `drv` to `vdev`. 0 or -errno; on failure the device is left FAILED. */
async function virtio_dev_probe(vdev: VirtioDevice, drv: VirtioDriver): Promise<number> {
  // The transport reset the device at registration; ACKNOWLEDGE was set there. DRIVER now.
  virtio_add_status(vdev, VIRTIO_CONFIG_S_DRIVER);
  const device_features = vdev.config.get_features(vdev);
  let driver_features = 0n;
  for (const f of drv.feature_table) driver_features |= 1n << BigInt(f);
  let driver_features_legacy = driver_features;
  if (drv.feature_table_legacy !== undefined) {
    driver_features_legacy = 0n;
    for (const f of drv.feature_table_legacy) driver_features_legacy |= 1n << BigInt(f);
  }
  vdev.features = device_features & ((device_features >> BigInt(VIRTIO_F_VERSION_1)) & 1n ? driver_features : driver_features_legacy);
  // Transport features are always preserved to pass to finalize_features (vring_transport_features
  // then drops the ones the ring does not implement).
  for (let i = VIRTIO_TRANSPORT_F_START; i < VIRTIO_TRANSPORT_F_END; i++) if ((device_features >> BigInt(i)) & 1n) __virtio_set_bit(vdev, i);
  let err = vdev.config.finalize_features(vdev);
  if (err === 0 && drv.validate) {
    const before = vdev.features;
    err = drv.validate(vdev);
    // Did validation change any features? Then write them again.
    if (err === 0 && vdev.features !== before) err = vdev.config.finalize_features(vdev);
  }
  if (err === 0) err = virtio_features_ok(vdev);
  if (err === 0) {
    vdev.driver = drv;
    err = await drv.probe(vdev);
    if (err) vdev.driver = null;
  }
  if (err) {
    virtio_add_status(vdev, VIRTIO_CONFIG_S_FAILED);
    return err;
  }
  if ((vdev.config.get_status(vdev) & VIRTIO_CONFIG_S_DRIVER_OK) === 0) virtio_device_ready(vdev);
  virtio_config_enable(vdev);
  return 0;
}

/** virtio_dev_remove(): unbind; the driver resets the device and deletes its queues in remove. */
async function virtio_dev_remove(vdev: VirtioDevice): Promise<void> {
  const drv = vdev.driver;
  if (drv === null) return;
  await virtio_config_disable(vdev);
  await drv.remove(vdev);
  vdev.driver = null;
  vdev.priv = null;
  // The driver must have reset the device; as Linux, the core leaves it acknowledged for a rebind.
  if (vdev.config.get_status(vdev) !== 0) pr_err("%s: driver %s left the device status %d (no reset in remove)\n", vdev.name, drv.name, vdev.config.get_status(vdev));
  virtio_add_status(vdev, VIRTIO_CONFIG_S_ACKNOWLEDGE);
}

async function bus_probe_device(vdev: VirtioDevice): Promise<void> {
  for (const drv of virtio_bus.get().drivers) {
    if (!match(drv, vdev)) continue;
    const err = await virtio_dev_probe(vdev, drv);
    if (err === 0) return;
    // The device stays FAILED (as Linux) until the transport registers it again.
    pr_err("%s: probe of %s failed with error %d\n", drv.name, vdev.name, err);
    return;
  }
}

/**
 * register_virtio_device(): a transport publishes `vdev` (config ops set). Resets it, sets
 * ACKNOWLEDGE, names it virtioN and probes a matching driver. 0 or -errno (a driver's probe failure
 * is not one: the device stays registered, unbound).
 */
export async function register_virtio_device(vdev: VirtioDevice): Promise<number> {
  const bus = virtio_bus.get();
  let index = 0;
  while (bus.used_index.has(index)) index++;
  bus.used_index.add(index);
  vdev.index = index;
  vdev.name = `virtio${index}`;
  vdev.features = 0n;
  await vdev.config.reset(vdev);
  virtio_add_status(vdev, VIRTIO_CONFIG_S_ACKNOWLEDGE);
  bus.devices.push(vdev);
  // device_add(): in sysfs before a driver is probed, so the driver's links have a target.
  virtio_dev_sysfs_add(vdev);
  await bus_probe_device(vdev);
  return 0;
}

/** unregister_virtio_device(): remove the driver (if bound) and forget the device. */
export async function unregister_virtio_device(vdev: VirtioDevice): Promise<void> {
  const bus = virtio_bus.get();
  await virtio_dev_remove(vdev);
  virtio_dev_sysfs_remove(vdev);
  const i = bus.devices.indexOf(vdev);
  if (i >= 0) bus.devices.splice(i, 1);
  bus.used_index.delete(vdev.index);
}

/** register_virtio_driver(): add `drv` and probe every unbound device it matches. 0 or -errno. */
export async function register_virtio_driver(drv: VirtioDriver): Promise<number> {
  const bus = virtio_bus.get();
  if (bus.drivers.includes(drv)) return -EINVAL;
  bus.drivers.push(drv);
  virtio_driver_sysfs_add(drv);
  for (const vdev of [...bus.devices]) {
    if (vdev.driver !== null || !match(drv, vdev)) continue;
    if (vdev.config.get_status(vdev) & VIRTIO_CONFIG_S_FAILED) {
      // An earlier probe failed: start this one from a clean reset, as registration does.
      await vdev.config.reset(vdev);
      virtio_add_status(vdev, VIRTIO_CONFIG_S_ACKNOWLEDGE);
    }
    const err = await virtio_dev_probe(vdev, drv);
    if (err) pr_err("%s: probe of %s failed with error %d\n", drv.name, vdev.name, err);
  }
  return 0;
}

/** unregister_virtio_driver(): unbind `drv` from every device and forget it. */
export async function unregister_virtio_driver(drv: VirtioDriver): Promise<void> {
  const bus = virtio_bus.get();
  for (const vdev of [...bus.devices]) if (vdev.driver === drv) await virtio_dev_remove(vdev);
  const i = bus.drivers.indexOf(drv);
  if (i >= 0) bus.drivers.splice(i, 1);
  virtio_driver_sysfs_remove(drv);
}

/** The registered devices (for tests and /proc-style listings). */
export function virtio_devices(): readonly VirtioDevice[] {
  return virtio_bus.get().devices;
}

const virtio_module: ModuleInfo = {
  name: "virtio",
  description: "Virtio core: the bus between virtio transports and drivers",
  license: "GPL-compatible (MIT)",
  init: () => 0,
  exit: () => {},
};
export default virtio_module;
