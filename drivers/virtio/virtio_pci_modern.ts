/**
 * The modern virtio PCI transport's config ops (Linux drivers/virtio/virtio_pci_modern.c): device
 * config through the DEVICE structure, status and reset, feature finalisation, and setup_vq /
 * del_vq, which create a split ring (virtio_ring.ts) and program it into the common config.
 *
 * Context: process context (probe, remove, find_vqs); vp_notify from wherever the driver kicks
 * (process or softirq).
 */
import { EBUSY, EINVAL, ENOENT, ENOMEM } from "../../include/linux/errno.ts";
import type { PciDev } from "../../include/linux/pci.ts";
import { VIRTIO_F_VERSION_1, VIRTIO_RING_F_EVENT_IDX, VIRTIO_RING_F_INDIRECT_DESC } from "../../include/uapi/linux/virtio_config.ts";
import { VIRTIO_MSI_NO_VECTOR } from "../../include/uapi/linux/virtio_pci.ts";
import { DMA_BIT_MASK, dma_set_mask_and_coherent } from "../../kernel/dma/mapping.ts";
import { readb, readl, readw, writeb, writel, writew } from "../../kernel/io.ts";
import { pr_err, pr_warn } from "../../kernel/printk.ts";
import { msleep } from "../../kernel/sched/core.ts";
import { VirtioDevice, virtio_has_feature, vring_transport_features, type VirtioConfigOps, type VqInfo } from "./virtio.ts";
import { to_vp_device, vp_del_vqs, vp_find_vqs, VirtioPciDevice, type VirtioPciVqInfo } from "./virtio_pci_common.ts";
import {
  vp_modern_generation,
  vp_modern_get_features,
  vp_modern_get_num_queues,
  vp_modern_get_queue_enable,
  vp_modern_get_queue_size,
  vp_modern_get_status,
  vp_modern_map_vq_notify,
  vp_modern_probe,
  vp_modern_queue_address,
  vp_modern_queue_vector,
  vp_modern_remove,
  vp_modern_set_features,
  vp_modern_set_queue_enable,
  vp_modern_set_queue_size,
  vp_modern_set_status,
  VirtioPciModernDevice,
} from "./virtio_pci_modern_dev.ts";
import { vring_create_virtqueue, vring_del_virtqueue, type VirtQueue } from "./virtio_ring.ts";

/** The ring alignment the modern transport uses (SMP_CACHE_BYTES). */
const VIRTIO_PCI_VRING_ALIGN = 64;

const mdev_of = (vdev: VirtioDevice): VirtioPciModernDevice => to_vp_device(vdev).mdev;

/** vp_get(): `len` bytes of device config at `offset` (0xff… past the structure, as the bus reads). */
function vp_get(vdev: VirtioDevice, offset: number, len: 1 | 2 | 4): number {
  const m = mdev_of(vdev);
  if (m.device === 0 || offset + len > m.device_len) return len === 4 ? 0xffffffff : len === 2 ? 0xffff : 0xff;
  return len === 1 ? readb(m.device + offset) : len === 2 ? readw(m.device + offset) : readl(m.device + offset);
}

function vp_set(vdev: VirtioDevice, offset: number, len: 1 | 2 | 4, value: number): void {
  const m = mdev_of(vdev);
  if (m.device === 0 || offset + len > m.device_len) return;
  if (len === 1) writeb(value, m.device + offset);
  else if (len === 2) writew(value, m.device + offset);
  else writel(value, m.device + offset);
}

/** vp_reset(): write 0, then wait until the device reads back 0 (it may take time to quiesce). */
async function vp_reset(vdev: VirtioDevice): Promise<void> {
  const m = mdev_of(vdev);
  vp_modern_set_status(m, 0);
  for (let ms = 0; vp_modern_get_status(m) !== 0; ms++) {
    if (ms === 1000) pr_warn("%s: virtio_pci: device still resetting after 1 s\n", vdev.name);
    await msleep(1);
  }
}

/** vp_finalize_features(): a modern device must take VERSION_1; write the negotiated bits. */
function vp_finalize_features(vdev: VirtioDevice): number {
  const m = mdev_of(vdev);
  vring_transport_features(vdev);
  if (!virtio_has_feature(vdev, VIRTIO_F_VERSION_1)) {
    pr_err("%s: virtio: device uses modern interface but does not have VIRTIO_F_VERSION_1\n", m.pci_dev.name);
    return -EINVAL;
  }
  vp_modern_set_features(m, vdev.features);
  return 0;
}

/** vp_notify(): ring queue `vq`'s doorbell (the queue index, as the notify data). */
function vp_notify(vq: VirtQueue): boolean {
  writew(vq.index, vq.priv as number);
  return true;
}

/**
 * setup_vq(): queue `index` with the device's size, its ring programmed and `msix_vec` set (and
 * read back: NO_VECTOR means the device refused it). The queue is enabled later, by find_vqs.
 * Returns the queue or -errno (nothing left behind).
 */
function setup_vq(vp: VirtioPciDevice, index: number, info: VqInfo, msix_vec: number): VirtQueue | number {
  const m = vp.mdev;
  if (index >= vp_modern_get_num_queues(m)) return -ENOENT;
  const num = vp_modern_get_queue_size(m, index);
  if (num === 0 || vp_modern_get_queue_enable(m, index)) return -ENOENT;
  if (num & (num - 1)) {
    pr_warn("%s: virtio_pci: bad queue size %d\n", vp.pci_dev.name, num);
    return -EINVAL;
  }
  const notify = vp_modern_map_vq_notify(m, index);
  if (notify === 0) return -EINVAL;
  const vq = vring_create_virtqueue(index, num, VIRTIO_PCI_VRING_ALIGN, vp.pci_dev, virtio_has_feature(vp.vdev, VIRTIO_RING_F_EVENT_IDX), virtio_has_feature(vp.vdev, VIRTIO_RING_F_INDIRECT_DESC), vp_notify, info.callback, info.name);
  if (vq === null) return -ENOMEM;
  vq.priv = notify;
  vp_modern_set_queue_size(m, index, vq.num);
  vp_modern_queue_address(m, index, vq.desc_addr, vq.avail_addr, vq.used_addr);
  if (msix_vec !== VIRTIO_MSI_NO_VECTOR && vp_modern_queue_vector(m, index, msix_vec) === VIRTIO_MSI_NO_VECTOR) {
    vring_del_virtqueue(vq);
    return -EBUSY;
  }
  return vq;
}

/** del_vq(): detach the queue's vector and free its ring (the device was reset, or the queue disabled). */
function del_vq(vp: VirtioPciDevice, info: VirtioPciVqInfo): void {
  if (vp.msix_enabled) vp_modern_queue_vector(vp.mdev, info.vq.index, VIRTIO_MSI_NO_VECTOR);
  vring_del_virtqueue(info.vq);
}

/** vp_modern_find_vqs(): the common find_vqs, then enable every queue (has to be done last). */
async function vp_modern_find_vqs(vdev: VirtioDevice, infos: readonly VqInfo[]): Promise<number> {
  const err = await vp_find_vqs(vdev, infos);
  if (err) return err;
  const vp = to_vp_device(vdev);
  for (const info of vp.vqs) if (info !== null) vp_modern_set_queue_enable(vp.mdev, info.vq.index, true);
  return 0;
}

const virtio_pci_config_ops: VirtioConfigOps = {
  get: vp_get,
  set: vp_set,
  generation: (vdev) => vp_modern_generation(mdev_of(vdev)),
  get_status: (vdev) => vp_modern_get_status(mdev_of(vdev)),
  set_status: (vdev, status) => {
    // Writing 0 is a reset: use vp_reset for it.
    if (status === 0) pr_err("%s: virtio_pci: set_status(0) outside reset\n", vdev.name);
    vp_modern_set_status(mdev_of(vdev), status);
  },
  reset: vp_reset,
  find_vqs: vp_modern_find_vqs,
  del_vqs: vp_del_vqs,
  get_features: (vdev) => vp_modern_get_features(mdev_of(vdev)),
  finalize_features: vp_finalize_features,
  bus_name: (vdev) => to_vp_device(vdev).pci_dev.name,
};

/**
 * virtio_pci_modern_probe(): map the function's structures, set the DMA mask (64 bits, else 32)
 * and build the virtio device. Returns the transport state or -errno (nothing left behind).
 */
export async function virtio_pci_modern_probe(pdev: PciDev): Promise<VirtioPciDevice | number> {
  const mdev = new VirtioPciModernDevice(pdev);
  const err = vp_modern_probe(mdev);
  if (err) return err;
  if (dma_set_mask_and_coherent(pdev, DMA_BIT_MASK(64)) !== 0 && dma_set_mask_and_coherent(pdev, DMA_BIT_MASK(32)) !== 0) {
    pr_warn("%s: virtio_pci: failed to enable 64-bit or 32-bit DMA. Trying to continue, but this might not work.\n", pdev.name);
  }
  const vp = new VirtioPciDevice(pdev, mdev);
  vp.setup_vq = setup_vq;
  vp.del_vq = del_vq;
  vp.vdev = new VirtioDevice(mdev.id, virtio_pci_config_ops, pdev);
  vp.vdev.transport = vp;
  return vp;
}

/** virtio_pci_modern_remove(): undo virtio_pci_modern_probe. */
export function virtio_pci_modern_remove(vp: VirtioPciDevice): void {
  vp_modern_remove(vp.mdev);
}
