import type { Resource } from "./ioport.ts";

/**
 * The PCI driver interface (include/linux/pci.h): what a driver declares and what it is handed.
 */

/** One entry of a driver's id table; PCI_ANY_ID matches anything. */
export interface PciDeviceId {
  readonly vendor: number;
  readonly device: number;
  readonly subvendor?: number;
  readonly subdevice?: number;
  /** Class code (24 bits) compared under class_mask. */
  readonly class?: number;
  readonly class_mask?: number;
  /** Driver-private data for this match (board type…). */
  readonly driver_data?: number;
}

/** A PCI function as the kernel sees it (struct pci_dev). */
export interface PciDev {
  readonly bus: number;
  readonly devfn: number;
  readonly vendor: number;
  readonly device: number;
  readonly subsystem_vendor: number;
  readonly subsystem_device: number;
  /** 24-bit class code. */
  readonly class: number;
  readonly revision: number;
  readonly hdr_type: number;
  /** Interrupt pin (1 = INTA#) and the IRQ the kernel routed it to (0 = none). */
  readonly pin: number;
  irq: number;
  readonly resource: Resource[];
  /** "0000:00:03.0" */
  readonly name: string;
  /** The bound driver, or null. */
  driver: PciDriver | null;
  /** Set by the driver (pci_set_drvdata). */
  driver_data: unknown;
  /** pci_enable_device nesting. */
  enable_cnt: number;
  is_busmaster: boolean;
  /** struct device's DMA masks: the addresses the device can reach (dma_set_mask_and_coherent). */
  dma_mask: number;
  coherent_dma_mask: number;
}

/**
 * A PCI driver (struct pci_driver). probe() runs in process context and may sleep; it returns 0
 * once it owns the device, or a negative errno after undoing everything it did. remove() undoes
 * probe() completely.
 */
export interface PciDriver {
  readonly name: string;
  readonly id_table: readonly PciDeviceId[];
  probe(pdev: PciDev, id: PciDeviceId): Promise<number> | number;
  remove(pdev: PciDev): Promise<void> | void;
}

/** PCI_DEVICE(vendor, device): an id-table entry matching one vendor/device pair. */
export function PCI_DEVICE(vendor: number, device: number, driver_data = 0): PciDeviceId {
  return { vendor, device, driver_data };
}
