/**
 * The legacy virtio PCI transport's config ops (Linux drivers/virtio/virtio_pci_legacy.c): for
 * 1AF4:1000–103F functions when the modern interface is absent, or when the virtio_pci module was
 * loaded with force_legacy=1 (virtio_pci_common.ts). Legacy semantics (virtio 1.2 §4.1.4.8, §2.7.2):
 *
 * - features are bits 0–31 only, written once and in effect at once: there is no FEATURES_OK (the
 *   core skips it without VERSION_1, virtio.ts virtio_features_ok);
 * - reset is a status write of 0, complete when the write is (no polling);
 * - device config is read and written byte by byte at 20, or 24 while MSI-X is enabled;
 * - a queue's size is fixed; its ring is one area whose page number goes in the queue PFN register
 *   (used ring aligned to VIRTIO_PCI_VRING_ALIGN = 4096), so the ring must lie below 2^44.
 *
 * Context: process context (probe, remove, find_vqs); vp_notify from wherever the driver kicks.
 */
import { E2BIG, EBUSY, EINVAL, ENOENT, ENOMEM } from "../../include/linux/errno.ts";
import type { PciDev } from "../../include/linux/pci.ts";
import { VIRTIO_RING_F_EVENT_IDX, VIRTIO_RING_F_INDIRECT_DESC } from "../../include/uapi/linux/virtio_config.ts";
import { VIRTIO_MSI_NO_VECTOR } from "../../include/uapi/linux/virtio_pci.ts";
import { inb, outb, outw } from "../../kernel/io.ts";
import { pr_err } from "../../kernel/printk.ts";
import { VirtioDevice, virtio_has_feature, vring_transport_features, type VirtioConfigOps, type VqInfo } from "./virtio.ts";
import { to_vp_device, vp_del_vqs, vp_find_vqs, VirtioPciDevice, type VirtioPciVqInfo } from "./virtio_pci_common.ts";
import { VIRTIO_PCI_CONFIG_OFF, VIRTIO_PCI_ISR, VIRTIO_PCI_QUEUE_ADDR_SHIFT, VIRTIO_PCI_QUEUE_NOTIFY, VIRTIO_PCI_VRING_ALIGN } from "../../include/uapi/linux/virtio_pci.ts";
import {
  vp_legacy_config_vector,
  vp_legacy_get_features,
  vp_legacy_get_queue_enable,
  vp_legacy_get_queue_size,
  vp_legacy_get_status,
  vp_legacy_probe,
  vp_legacy_queue_vector,
  vp_legacy_remove,
  vp_legacy_set_features,
  vp_legacy_set_queue_address,
  vp_legacy_set_status,
  VirtioPciLegacyDevice,
} from "./virtio_pci_legacy_dev.ts";
import { vring_create_virtqueue, vring_del_virtqueue, type VirtQueue } from "./virtio_ring.ts";

const PAGE_SHIFT = 12;

const ldev_of = (vdev: VirtioDevice): VirtioPciLegacyDevice => to_vp_device(vdev).ldev;

/** The device config's first port: after the vector registers while MSI-X is enabled. */
function config_port(vdev: VirtioDevice): number {
  const vp = to_vp_device(vdev);
  return vp.ldev.ioaddr + VIRTIO_PCI_CONFIG_OFF(vp.msix_enabled);
}

/** vp_get(): `len` bytes of device config at `offset`, read byte by byte (guest-endian: little). */
function vp_get(vdev: VirtioDevice, offset: number, len: 1 | 2 | 4): number {
  const port = config_port(vdev) + offset;
  let v = 0;
  for (let i = 0; i < len; i++) v |= inb(port + i) << (8 * i);
  return v >>> 0;
}

/** vp_set(): write device config byte by byte (a legacy driver may set the MAC this way). */
function vp_set(vdev: VirtioDevice, offset: number, len: 1 | 2 | 4, value: number): void {
  const port = config_port(vdev) + offset;
  for (let i = 0; i < len; i++) outb((value >>> (8 * i)) & 0xff, port + i);
}

/** vp_reset(): 0 resets; reading status back flushes the write (legacy devices reset at once). */
async function vp_reset(vdev: VirtioDevice): Promise<void> {
  const l = ldev_of(vdev);
  vp_legacy_set_status(l, 0);
  vp_legacy_get_status(l);
}

/** vp_finalize_features(): let the ring drop what it cannot do; only 32 feature bits exist. */
function vp_finalize_features(vdev: VirtioDevice): number {
  vring_transport_features(vdev);
  if (vdev.features >> 32n !== 0n) {
    // Linux: BUG_ON((u32)vdev->features != vdev->features).
    pr_err("%s: virtio_pci: legacy device given features above bit 31: 0x%llx\n", vdev.name, vdev.features);
    return -EINVAL;
  }
  vp_legacy_set_features(ldev_of(vdev), Number(vdev.features));
  return 0;
}

/** vp_notify(): the queue's index into the shared notify register. */
function vp_notify(vq: VirtQueue): boolean {
  outw(vq.index, vq.priv as number);
  return true;
}

/**
 * vp_legacy_ring_pfn(): the page number of a ring at bus address `addr`, or -E2BIG when it does
 * not fit the 32-bit PFN register (a ring at or above 2^44: 16 TiB).
 */
export function vp_legacy_ring_pfn(addr: number): number {
  const pfn = Math.floor(addr / 2 ** VIRTIO_PCI_QUEUE_ADDR_SHIFT);
  return pfn >= 2 ** 32 ? -E2BIG : pfn;
}

/**
 * setup_vq(): queue `index` at its fixed size, in the legacy layout (used ring 4096-aligned), its
 * page number programmed, and `msix_vec` set (read back: NO_VECTOR means refused). Returns the
 * queue or -errno (nothing left behind).
 */
function setup_vq(vp: VirtioPciDevice, index: number, info: VqInfo, msix_vec: number): VirtQueue | number {
  const l = vp.ldev;
  // Check whether the queue is either not available or already active.
  const num = vp_legacy_get_queue_size(l, index);
  if (num === 0 || vp_legacy_get_queue_enable(l, index)) return -ENOENT;
  // The size cannot be negotiated: the ring is made for exactly `num` (Linux: may_reduce_num false).
  const vq = vring_create_virtqueue(index, num, VIRTIO_PCI_VRING_ALIGN, vp.pci_dev, virtio_has_feature(vp.vdev, VIRTIO_RING_F_EVENT_IDX), virtio_has_feature(vp.vdev, VIRTIO_RING_F_INDIRECT_DESC), vp_notify, info.callback, info.name);
  if (vq === null) return -ENOMEM;
  const q_pfn = vp_legacy_ring_pfn(vq.desc_addr);
  if (q_pfn < 0) {
    pr_err("%s: platform bug: legacy virtio-pci must not be used with RAM above 0x%llxGB\n", vp.pci_dev.name, 2 ** (32 + PAGE_SHIFT - 30));
    vring_del_virtqueue(vq);
    return q_pfn;
  }
  // Activate the queue.
  vp_legacy_set_queue_address(l, index, q_pfn);
  vq.priv = l.ioaddr + VIRTIO_PCI_QUEUE_NOTIFY;
  if (msix_vec !== VIRTIO_MSI_NO_VECTOR && vp_legacy_queue_vector(l, index, msix_vec) === VIRTIO_MSI_NO_VECTOR) {
    vp_legacy_set_queue_address(l, index, 0);
    vring_del_virtqueue(vq);
    return -EBUSY;
  }
  return vq;
}

/** del_vq(): detach the queue's vector, deactivate it (PFN 0) and free its ring. */
function del_vq(vp: VirtioPciDevice, info: VirtioPciVqInfo): void {
  const l = vp.ldev;
  if (vp.msix_enabled) {
    vp_legacy_queue_vector(l, info.vq.index, VIRTIO_MSI_NO_VECTOR);
    // Flush the write out to the device.
    inb(l.ioaddr + VIRTIO_PCI_ISR);
  }
  vp_legacy_set_queue_address(l, info.vq.index, 0);
  vring_del_virtqueue(info.vq);
}

const virtio_pci_config_ops: VirtioConfigOps = {
  get: vp_get,
  set: vp_set,
  // Legacy devices have no config_generation (virtio_config.h: no ->generation, 0).
  generation: () => 0,
  get_status: (vdev) => vp_legacy_get_status(ldev_of(vdev)),
  set_status: (vdev, status) => {
    // We should never be setting status to 0 (that is vp_reset).
    if (status === 0) pr_err("%s: virtio_pci: set_status(0) outside reset\n", vdev.name);
    vp_legacy_set_status(ldev_of(vdev), status);
  },
  reset: vp_reset,
  find_vqs: vp_find_vqs,
  del_vqs: vp_del_vqs,
  get_features: (vdev) => vp_legacy_get_features(ldev_of(vdev)),
  finalize_features: vp_finalize_features,
  bus_name: (vdev) => to_vp_device(vdev).pci_dev.name,
};

/**
 * virtio_pci_legacy_probe(): take the function through its legacy header and build the virtio
 * device. Returns the transport state or -errno (-ENODEV: not a legacy-capable function; nothing
 * left behind).
 */
export function virtio_pci_legacy_probe(pdev: PciDev): VirtioPciDevice | number {
  const ldev = new VirtioPciLegacyDevice(pdev);
  const err = vp_legacy_probe(ldev);
  if (err) return err;
  const vp = new VirtioPciDevice(pdev);
  vp.ldev = ldev;
  vp.is_legacy = true;
  vp.config_vector = (v, vector) => vp_legacy_config_vector(v.ldev, vector);
  vp.setup_vq = setup_vq;
  vp.del_vq = del_vq;
  vp.vdev = new VirtioDevice(ldev.id, virtio_pci_config_ops, pdev);
  vp.vdev.transport = vp;
  return vp;
}

/** virtio_pci_legacy_remove(): undo virtio_pci_legacy_probe. */
export function virtio_pci_legacy_remove(vp: VirtioPciDevice): void {
  vp_legacy_remove(vp.ldev);
}
