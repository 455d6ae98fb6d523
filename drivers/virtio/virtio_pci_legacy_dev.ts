/**
 * Register access to a legacy (or transitional) virtio PCI function through its legacy header
 * (Linux drivers/virtio/virtio_pci_legacy_dev.c, include/linux/virtio_pci_legacy.h; virtio 1.2
 * §4.1.4.8 "Legacy Interfaces: A Note on PCI Device Layout"): the header sits in I/O BAR0 —
 * host/guest features (bits 0–31 only), queue PFN / size / select / notify, status, ISR, and the
 * MSI-X vector registers, which exist only while MSI-X is enabled (device config then starts at
 * 24 instead of 20).
 *
 * Linux reaches BAR0 through pci_iomap's port cookie and ioread*; this kernel's pci_iomap maps
 * memory BARs only, so the header is addressed by port number with inb/outb and friends, which is
 * what ioread* does for a port cookie.
 *
 * Context: process context (probe, find_vqs, remove), except vp_legacy_get_status and the ISR read,
 * which may run in any context. The caller serialises queue_select users.
 */
import { EIO, ENODEV } from "../../include/linux/errno.ts";
import { IORESOURCE_IO } from "../../include/linux/ioport.ts";
import type { PciDev } from "../../include/linux/pci.ts";
import { DMA_BIT_MASK, dma_set_mask_and_coherent } from "../../kernel/dma/mapping.ts";
import { inb, inl, inw, outb, outl, outw } from "../../kernel/io.ts";
import { pci_release_region, pci_request_region, pci_resource_flags, pci_resource_len, pci_resource_start } from "../../kernel/pci/pci.ts";
import { pr_warn } from "../../kernel/printk.ts";
import { VIRTIO_PCI_HOST_FEATURES, VIRTIO_PCI_GUEST_FEATURES, VIRTIO_PCI_QUEUE_PFN, VIRTIO_PCI_QUEUE_NUM, VIRTIO_PCI_QUEUE_SEL, VIRTIO_PCI_STATUS, VIRTIO_PCI_ISR, VIRTIO_MSI_CONFIG_VECTOR, VIRTIO_MSI_QUEUE_VECTOR, VIRTIO_PCI_CONFIG_OFF, VIRTIO_PCI_ABI_VERSION, VIRTIO_PCI_QUEUE_ADDR_SHIFT } from "../../include/uapi/linux/virtio_pci.ts";

/** struct virtio_pci_legacy_device: the legacy header of one function. */
export class VirtioPciLegacyDevice {
  readonly pci_dev: PciDev;
  /** First I/O port of the header (0 = not mapped) and of the ISR byte. */
  ioaddr = 0;
  isr = 0;
  /** Virtio device id (from the subsystem device id) and vendor (subsystem vendor). */
  id = { device: 0, vendor: 0 };

  constructor(pdev: PciDev) {
    this.pci_dev = pdev;
  }
}

/**
 * vp_legacy_probe(): claim a legacy-capable function. 0, -ENODEV (not 1AF4:1000–103F rev 0) or
 * -EIO (BAR0 is not an I/O BAR the firmware assigned). The caller enabled the device. Nothing to
 * undo on failure.
 */
export function vp_legacy_probe(ldev: VirtioPciLegacyDevice): number {
  const pdev = ldev.pci_dev;
  // We only own devices >= 0x1000 and <= 0x103f: leave the rest.
  if (pdev.device < 0x1000 || pdev.device > 0x103f) return -ENODEV;
  if (pdev.revision !== VIRTIO_PCI_ABI_VERSION) return -ENODEV;
  // Buffers may be anywhere; the ring's address must fit a 32-bit page number (44 bits), which
  // Linux asks of the coherent allocator with dma_set_coherent_mask(DMA_BIT_MASK(44)).
  if (dma_set_mask_and_coherent(pdev, DMA_BIT_MASK(64)) === 0) pdev.coherent_dma_mask = DMA_BIT_MASK(32 + VIRTIO_PCI_QUEUE_ADDR_SHIFT);
  else if (dma_set_mask_and_coherent(pdev, DMA_BIT_MASK(32)) !== 0) pr_warn("%s: virtio_pci: Failed to enable 64-bit or 32-bit DMA.  Trying to continue, but this might not work.\n", pdev.name);
  // pci_request_region(pdev, 0, "virtio-pci-legacy") + pci_iomap(pdev, 0, 0): the I/O window.
  if ((pci_resource_flags(pdev, 0) & IORESOURCE_IO) === 0 || pci_resource_len(pdev, 0) < VIRTIO_PCI_CONFIG_OFF(true)) return -EIO;
  const err = pci_request_region(pdev, 0, "virtio-pci-legacy");
  if (err !== 0) return err;
  ldev.ioaddr = pci_resource_start(pdev, 0);
  if (ldev.ioaddr === 0) {
    pci_release_region(pdev, 0);
    return -EIO;
  }
  ldev.isr = ldev.ioaddr + VIRTIO_PCI_ISR;
  ldev.id.vendor = pdev.subsystem_vendor;
  ldev.id.device = pdev.subsystem_device;
  return 0;
}

/** vp_legacy_remove(): unmap the header (pci_iounmap + pci_release_region: forget the ports). */
export function vp_legacy_remove(ldev: VirtioPciLegacyDevice): void {
  if (ldev.ioaddr !== 0) pci_release_region(ldev.pci_dev, 0);
  ldev.ioaddr = ldev.isr = 0;
}

/* ---- features (bits 0–31 only), status ---- */

export function vp_legacy_get_features(ldev: VirtioPciLegacyDevice): bigint {
  return BigInt(inl(ldev.ioaddr + VIRTIO_PCI_HOST_FEATURES) >>> 0);
}

export function vp_legacy_get_driver_features(ldev: VirtioPciLegacyDevice): bigint {
  return BigInt(inl(ldev.ioaddr + VIRTIO_PCI_GUEST_FEATURES) >>> 0);
}

/** vp_legacy_set_features(): the driver's features, in effect at once (there is no FEATURES_OK). */
export function vp_legacy_set_features(ldev: VirtioPciLegacyDevice, features: number): void {
  outl(features >>> 0, ldev.ioaddr + VIRTIO_PCI_GUEST_FEATURES);
}

export function vp_legacy_get_status(ldev: VirtioPciLegacyDevice): number {
  return inb(ldev.ioaddr + VIRTIO_PCI_STATUS);
}

/** vp_legacy_set_status(): write the status byte (0 resets the device). */
export function vp_legacy_set_status(ldev: VirtioPciLegacyDevice, status: number): void {
  outb(status, ldev.ioaddr + VIRTIO_PCI_STATUS);
}

/** The ISR byte: returns and clears the pending causes. Any context. */
export function vp_legacy_read_isr(ldev: VirtioPciLegacyDevice): number {
  return inb(ldev.isr);
}

/* ---- vectors (the registers exist only while MSI-X is enabled) ---- */

/** vp_legacy_queue_vector(): program queue `index`'s MSI-X vector; returns what the device kept. */
export function vp_legacy_queue_vector(ldev: VirtioPciLegacyDevice, index: number, vector: number): number {
  outw(index, ldev.ioaddr + VIRTIO_PCI_QUEUE_SEL);
  outw(vector, ldev.ioaddr + VIRTIO_MSI_QUEUE_VECTOR);
  // Flush the write out to the device, and see whether it had the resources.
  return inw(ldev.ioaddr + VIRTIO_MSI_QUEUE_VECTOR);
}

/** vp_legacy_config_vector(): program the config-change vector; returns what the device kept. */
export function vp_legacy_config_vector(ldev: VirtioPciLegacyDevice, vector: number): number {
  outw(vector, ldev.ioaddr + VIRTIO_MSI_CONFIG_VECTOR);
  return inw(ldev.ioaddr + VIRTIO_MSI_CONFIG_VECTOR);
}

/* ---- queues (each selects the queue first) ---- */

/** vp_legacy_set_queue_address(): the ring's page number (0 deactivates the queue). */
export function vp_legacy_set_queue_address(ldev: VirtioPciLegacyDevice, index: number, queue_pfn: number): void {
  outw(index, ldev.ioaddr + VIRTIO_PCI_QUEUE_SEL);
  outl(queue_pfn >>> 0, ldev.ioaddr + VIRTIO_PCI_QUEUE_PFN);
}

/** vp_legacy_get_queue_enable(): the queue is live (it has a ring address). */
export function vp_legacy_get_queue_enable(ldev: VirtioPciLegacyDevice, index: number): boolean {
  outw(index, ldev.ioaddr + VIRTIO_PCI_QUEUE_SEL);
  return inl(ldev.ioaddr + VIRTIO_PCI_QUEUE_PFN) !== 0;
}

/** vp_legacy_get_queue_size(): the fixed size of queue `index` (0 = no such queue). */
export function vp_legacy_get_queue_size(ldev: VirtioPciLegacyDevice, index: number): number {
  outw(index, ldev.ioaddr + VIRTIO_PCI_QUEUE_SEL);
  return inw(ldev.ioaddr + VIRTIO_PCI_QUEUE_NUM);
}
