/**
 * The virtio PCI transport, common part (Linux drivers/virtio/virtio_pci_common.c): the PCI
 * driver for 1AF4:1000–107F, interrupts (MSI-X with a vector per queue, MSI-X with one shared
 * queue vector, or INTx with the ISR), find_vqs / del_vqs over the transport's setup_vq / del_vq,
 * and the "virtio_pci" module. Probe tries the modern interface first and falls back to the
 * legacy one (virtio_pci_legacy.ts) for a function without it (1AF4:1000–103F); the module
 * parameter force_legacy=1 (`insmod virtio_pci force_legacy=1`) takes a transitional function
 * through its legacy header instead, falling back to modern when it has none.
 *
 * Context: probe/remove/find_vqs/del_vqs in process context; vp_interrupt, vp_vring_interrupt,
 * vp_config_changed and the per-queue vring_interrupt in hard-IRQ context.
 */
import { EBUSY, EINVAL, EIO, ENODEV, ENOENT, ENOMEM } from "../../include/linux/errno.ts";
import { IRQ_HANDLED, IRQ_NONE, IRQF_SHARED, type IrqReturn } from "../../include/linux/interrupt.ts";
import type { ModuleInfo } from "../../include/linux/module.ts";
import { PCI_DEVICE, type PciDev, type PciDeviceId, type PciDriver } from "../../include/linux/pci.ts";
import { VIRTIO_MSI_NO_VECTOR, VIRTIO_PCI_ISR_CONFIG, VIRTIO_PCI_VENDOR_ID } from "../../include/uapi/linux/virtio_pci.ts";
import { free_irq, request_irq } from "../../kernel/irq/manage.ts";
import { pci_alloc_irq_vectors, pci_free_irq_vectors, pci_irq_vector, PCI_IRQ_MSIX } from "../../kernel/pci/msi.ts";
import { pci_clear_master, pci_disable_device, pci_enable_device, pci_get_drvdata, pci_set_drvdata, pci_set_master } from "../../kernel/pci/pci.ts";
import { pci_register_driver, pci_unregister_driver } from "../../kernel/pci/pci_driver.ts";
import { DEFINE_PER_KERNEL } from "../../kernel/kernel.ts";
import { module_param_sysfs } from "../../kernel/module.ts";
import { kstrtobool, param_ops_bool } from "../../kernel/params.ts";
import { pr_err } from "../../kernel/printk.ts";
import { register_virtio_device, unregister_virtio_device, virtio_config_changed, type VirtioDevice, type VqInfo } from "./virtio.ts";
import { vp_modern_config_vector, vp_modern_read_isr, type VirtioPciModernDevice } from "./virtio_pci_modern_dev.ts";
import { vp_legacy_read_isr, type VirtioPciLegacyDevice } from "./virtio_pci_legacy_dev.ts";
import { virtio_pci_legacy_probe, virtio_pci_legacy_remove } from "./virtio_pci_legacy.ts";
import { vring_interrupt, type VirtQueue } from "./virtio_ring.ts";
import { virtio_pci_modern_probe, virtio_pci_modern_remove } from "./virtio_pci_modern.ts";

/** Per-queue transport state (struct virtio_pci_vq_info). */
export interface VirtioPciVqInfo {
  readonly vq: VirtQueue;
  /** MSI-X vector index of the queue, or VIRTIO_MSI_NO_VECTOR. */
  readonly msix_vector: number;
}

/** struct virtio_pci_device: the transport's state for one function. */
export class VirtioPciDevice {
  readonly pci_dev: PciDev;
  /**
   * The modern structures or the legacy header — one of the two, as Linux's union; `is_legacy`
   * says which (the other is unset).
   */
  mdev!: VirtioPciModernDevice;
  ldev!: VirtioPciLegacyDevice;
  is_legacy = false;
  vdev!: VirtioDevice;
  /** Queue infos by index (null = not set up). */
  vqs: (VirtioPciVqInfo | null)[] = [];
  /** MSI-X: enabled, vectors allocated, vectors with a requested irq, one vector per queue. */
  msix_enabled = false;
  msix_vectors = 0;
  msix_used_vectors = 0;
  per_vq_vectors = false;
  /** Irq names ("virtio0-config", "virtio0-input.0"...), by vector. */
  msix_names: string[] = [];
  /** INTx requested. */
  intx_enabled = false;
  /** The transport's setup_vq / del_vq (virtio_pci_modern.ts or virtio_pci_legacy.ts). */
  setup_vq!: (vp: VirtioPciDevice, index: number, info: VqInfo, msix_vec: number) => VirtQueue | number;
  del_vq!: (vp: VirtioPciDevice, info: VirtioPciVqInfo) => void;
  /** Program the config-change vector, returning what the device kept (modern unless the legacy probe set it). */
  config_vector: (vp: VirtioPciDevice, vector: number) => number = (vp, vector) => vp_modern_config_vector(vp.mdev, vector);

  constructor(pdev: PciDev, mdev?: VirtioPciModernDevice) {
    this.pci_dev = pdev;
    if (mdev !== undefined) this.mdev = mdev;
  }
}

/** ioread8(vp_dev->isr): the ISR byte is in I/O space behind the legacy header, in MMIO for modern. Any context. */
function vp_read_isr(vp: VirtioPciDevice): number {
  return vp.is_legacy ? vp_legacy_read_isr(vp.ldev) : vp_modern_read_isr(vp.mdev);
}

/** The module parameters (module_param(force_legacy, bool, 0444)). */
class VirtioPciParams {
  /** Use the legacy interface of transitional functions. */
  force_legacy = false;
}
const virtio_pci_params = DEFINE_PER_KERNEL(() => new VirtioPciParams());

export function to_vp_device(vdev: VirtioDevice): VirtioPciDevice {
  return vdev.transport as VirtioPciDevice;
}

/* ---- interrupts (hard-IRQ context) ---- */

/** vp_config_changed(): the config-change vector fired. */
function vp_config_changed(_irq: number, dev_id: unknown): IrqReturn {
  virtio_config_changed((dev_id as VirtioPciDevice).vdev);
  return IRQ_HANDLED;
}

/** vp_vring_interrupt(): one vector for every queue: run each queue's callback that has work. */
function vp_vring_interrupt(irq: number, dev_id: unknown): IrqReturn {
  let ret: IrqReturn = IRQ_NONE;
  for (const info of (dev_id as VirtioPciDevice).vqs) if (info !== null && vring_interrupt(irq, info.vq) === IRQ_HANDLED) ret = IRQ_HANDLED;
  return ret;
}

/** vp_interrupt(): INTx. Reading the ISR acknowledges it; 0 means the shared line was someone else's. */
function vp_interrupt(irq: number, dev_id: unknown): IrqReturn {
  const vp = dev_id as VirtioPciDevice;
  const isr = vp_read_isr(vp);
  if (isr === 0) return IRQ_NONE;
  if (isr & VIRTIO_PCI_ISR_CONFIG) vp_config_changed(irq, vp);
  vp_vring_interrupt(irq, vp);
  return IRQ_HANDLED;
}

/* ---- vectors ---- */

function vp_free_irqs(vp: VirtioPciDevice): void {
  const pdev = vp.pci_dev;
  if (vp.intx_enabled) {
    free_irq(pdev.irq, vp);
    vp.intx_enabled = false;
  }
  // Vector 0 (config) and, when shared, vector 1: both requested with `vp` (per-queue ones are gone).
  for (let i = 0; i < vp.msix_used_vectors; i++) free_irq(pci_irq_vector(pdev, i), vp);
  vp.msix_used_vectors = 0;
  if (vp.msix_enabled) {
    vp.config_vector(vp, VIRTIO_MSI_NO_VECTOR);
    pci_free_irq_vectors(pdev);
    vp.msix_enabled = false;
  }
  vp.msix_vectors = 0;
  vp.msix_names = [];
}

/** vp_del_vqs(): delete every queue, then free the interrupts (reverse of find_vqs). Process context. */
export function vp_del_vqs(vdev: VirtioDevice): void {
  const vp = to_vp_device(vdev);
  // Per-queue irqs go first: their dev_id is the queue the del_vq frees.
  if (vp.per_vq_vectors) {
    for (const info of vp.vqs) {
      if (info === null || info.msix_vector === VIRTIO_MSI_NO_VECTOR) continue;
      free_irq(pci_irq_vector(vp.pci_dev, info.msix_vector), info.vq);
    }
    vp.msix_used_vectors = Math.min(vp.msix_used_vectors, 1);
  }
  for (const info of vp.vqs) if (info !== null) vp.del_vq(vp, info);
  vp.vqs = [];
  vdev.vqs = [];
  vp_free_irqs(vp);
  vp.per_vq_vectors = false;
}

/**
 * vp_find_vqs_msix(): MSI-X with vector 0 for config changes and, with `per_vq_vectors`, one
 * vector per queue that has a callback, else vector 1 shared by all queues. 0 or -errno (all undone).
 */
function vp_find_vqs_msix(vdev: VirtioDevice, infos: readonly VqInfo[], per_vq_vectors: boolean): number {
  const vp = to_vp_device(vdev);
  const pdev = vp.pci_dev;
  let nvectors = 1;
  if (per_vq_vectors) for (const i of infos) nvectors += i.callback ? 1 : 0;
  else nvectors = 2;
  const got = pci_alloc_irq_vectors(pdev, nvectors, nvectors, PCI_IRQ_MSIX);
  if (got < 0) return got;
  vp.msix_enabled = true;
  vp.msix_vectors = nvectors;
  vp.per_vq_vectors = per_vq_vectors;
  let err = 0;
  fail: {
    // Vector 0: configuration changes.
    vp.msix_names[0] = `${vdev.name}-config`;
    err = request_irq(pci_irq_vector(pdev, 0), vp_config_changed, 0, vp.msix_names[0], vp);
    if (err) break fail;
    vp.msix_used_vectors = 1;
    if (vp.config_vector(vp, 0) === VIRTIO_MSI_NO_VECTOR) {
      err = -EBUSY;
      break fail;
    }
    if (!per_vq_vectors) {
      vp.msix_names[1] = `${vdev.name}-virtqueues`;
      err = request_irq(pci_irq_vector(pdev, 1), vp_vring_interrupt, 0, vp.msix_names[1], vp);
      if (err) break fail;
      vp.msix_used_vectors = 2;
    }
    let next = 1;
    for (let i = 0; i < infos.length; i++) {
      const info = infos[i]!;
      const vec = info.callback === null ? VIRTIO_MSI_NO_VECTOR : per_vq_vectors ? next++ : 1;
      const vq = vp.setup_vq(vp, i, info, vec);
      if (typeof vq === "number") {
        err = vq;
        break fail;
      }
      vp.vqs[i] = { vq, msix_vector: vec };
      vdev.vqs[i] = vq;
      if (!per_vq_vectors || vec === VIRTIO_MSI_NO_VECTOR) continue;
      vp.msix_names[vec] = `${vdev.name}-${info.name}`;
      err = request_irq(pci_irq_vector(pdev, vec), (irq, q) => vring_interrupt(irq, q as VirtQueue), 0, vp.msix_names[vec]!, vq);
      if (err) {
        vp.del_vq(vp, vp.vqs[i]!);
        vp.vqs[i] = null;
        break fail;
      }
    }
    return 0;
  }
  vp_del_vqs(vdev);
  return err;
}

/** vp_find_vqs_intx(): one shared INTx line, vp_interrupt reading the ISR. 0 or -errno (all undone). */
function vp_find_vqs_intx(vdev: VirtioDevice, infos: readonly VqInfo[]): number {
  const vp = to_vp_device(vdev);
  if (vp.pci_dev.irq <= 0) return -ENOENT;
  let err = request_irq(vp.pci_dev.irq, vp_interrupt, IRQF_SHARED, vdev.name, vp);
  if (err) return err;
  vp.intx_enabled = true;
  for (let i = 0; i < infos.length; i++) {
    const vq = vp.setup_vq(vp, i, infos[i]!, VIRTIO_MSI_NO_VECTOR);
    if (typeof vq === "number") {
      err = vq;
      vp_del_vqs(vdev);
      return err;
    }
    vp.vqs[i] = { vq, msix_vector: VIRTIO_MSI_NO_VECTOR };
    vdev.vqs[i] = vq;
  }
  return 0;
}

/**
 * vp_find_vqs(): try MSI-X with a vector per queue, then MSI-X with one shared queue vector, then
 * INTx. 0 or -errno.
 */
export async function vp_find_vqs(vdev: VirtioDevice, infos: readonly VqInfo[]): Promise<number> {
  let err = vp_find_vqs_msix(vdev, infos, true);
  if (!err) return 0;
  err = vp_find_vqs_msix(vdev, infos, false);
  if (!err) return 0;
  // Only INTx is left; a device without a legacy line cannot work.
  return vp_find_vqs_intx(vdev, infos);
}

/** The irq of queue `index` (for tests and /proc listings), or -EINVAL. */
export function vp_vq_irq(vdev: VirtioDevice, index: number): number {
  const vp = to_vp_device(vdev);
  const info = vp.vqs[index];
  if (!info) return -EINVAL;
  if (vp.intx_enabled) return vp.pci_dev.irq;
  return info.msix_vector === VIRTIO_MSI_NO_VECTOR ? -EINVAL : pci_irq_vector(vp.pci_dev, info.msix_vector);
}

/* ---- the PCI driver ---- */

/**
 * The transport for `pdev`: modern, falling back to legacy when the function has no modern
 * interface (-ENODEV); with force_legacy the other way round (Linux: also when BAR0 cannot be
 * mapped, -ENODEV / -ENOMEM; here -EIO says so).
 */
async function virtio_pci_transport_probe(pdev: PciDev): Promise<VirtioPciDevice | number> {
  if (virtio_pci_params.get().force_legacy) {
    const vp = virtio_pci_legacy_probe(pdev);
    return vp === -ENODEV || vp === -ENOMEM || vp === -EIO ? await virtio_pci_modern_probe(pdev) : vp;
  }
  const vp = await virtio_pci_modern_probe(pdev);
  return vp === -ENODEV ? virtio_pci_legacy_probe(pdev) : vp;
}

function virtio_pci_transport_remove(vp: VirtioPciDevice): void {
  if (vp.is_legacy) virtio_pci_legacy_remove(vp);
  else virtio_pci_modern_remove(vp);
}

/** virtio_pci_probe(): enable the function, take it through one of its interfaces, register the virtio device. */
async function virtio_pci_probe(pdev: PciDev, _id: PciDeviceId): Promise<number> {
  let err = pci_enable_device(pdev);
  if (err) return err;
  err_disable: {
    const vp = await virtio_pci_transport_probe(pdev);
    if (typeof vp === "number") {
      err = vp;
      break err_disable;
    }
    pci_set_master(pdev);
    pci_set_drvdata(pdev, vp);
    err = await register_virtio_device(vp.vdev);
    if (err) {
      pr_err("%s: virtio_pci: failed to register the virtio device: %d\n", pdev.name, err);
      pci_set_drvdata(pdev, null);
      pci_clear_master(pdev);
      virtio_pci_transport_remove(vp);
      break err_disable;
    }
    return 0;
  }
  pci_disable_device(pdev);
  return err;
}

/** virtio_pci_remove(): unwind probe in reverse (the virtio driver's remove deletes the queues). */
async function virtio_pci_remove(pdev: PciDev): Promise<void> {
  const vp = pci_get_drvdata<VirtioPciDevice | null>(pdev);
  if (vp === null) return;
  await unregister_virtio_device(vp.vdev);
  if (vp.vqs.length > 0) vp_del_vqs(vp.vdev); // a driver that left queues behind
  pci_set_drvdata(pdev, null);
  pci_clear_master(pdev);
  virtio_pci_transport_remove(vp);
  pci_disable_device(pdev);
}

/**
 * 1AF4:1000–107F: legacy and transitional (1000–103F) and modern (1040–107F) functions. Linux
 * matches every Red Hat/Qumranet ID and lets the two probes pick theirs; the same range.
 */
const virtio_pci_id_table: PciDeviceId[] = Array.from({ length: 0x80 }, (_, i) => PCI_DEVICE(VIRTIO_PCI_VENDOR_ID, 0x1000 + i));

export const virtio_pci_driver: PciDriver = {
  name: "virtio-pci",
  id_table: virtio_pci_id_table,
  probe: virtio_pci_probe,
  remove: virtio_pci_remove,
};

const virtio_pci_module: ModuleInfo = {
  name: "virtio_pci",
  description: "virtio-pci (modern and legacy interfaces)",
  license: "GPL-compatible (MIT)",
  depends: ["virtio"],
  params: { force_legacy: "Force legacy mode for transitional virtio 1 devices" },
  param_types: { force_legacy: "bool" },
  init: (params) => {
    virtio_pci_params.get().force_legacy = kstrtobool(params["force_legacy"] ?? "n") === true;
    // module_param(force_legacy, bool, 0444): readable in sysfs, fixed once loaded.
    module_param_sysfs("virtio_pci", "force_legacy", 0o444, param_ops_bool(() => virtio_pci_params.get().force_legacy));
    return pci_register_driver(virtio_pci_driver);
  },
  exit: async () => {
    await pci_unregister_driver(virtio_pci_driver);
    virtio_pci_params.get().force_legacy = false;
  },
};
export default virtio_pci_module;
