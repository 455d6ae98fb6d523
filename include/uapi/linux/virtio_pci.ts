/**
 * Virtio over PCI, modern interface (virtio 1.2 §4.1; Linux include/uapi/linux/virtio_pci.h):
 * the vendor capability that locates each structure, and the common configuration layout.
 */

/** struct virtio_pci_cap (16 bytes; 20 for NOTIFY and PCI_CFG). Offsets from the capability. */
export const VIRTIO_PCI_CAP_VNDR = 0;
export const VIRTIO_PCI_CAP_NEXT = 1;
export const VIRTIO_PCI_CAP_LEN = 2;
export const VIRTIO_PCI_CAP_CFG_TYPE = 3;
export const VIRTIO_PCI_CAP_BAR = 4;
export const VIRTIO_PCI_CAP_ID = 5;
export const VIRTIO_PCI_CAP_OFFSET = 8;
export const VIRTIO_PCI_CAP_LENGTH = 12;
/** NOTIFY: notify_off_multiplier (u32); PCI_CFG: pci_cfg_data[4]. */
export const VIRTIO_PCI_NOTIFY_CAP_MULT = 16;
export const VIRTIO_PCI_CFG_DATA = 16;
export const VIRTIO_PCI_CAP_SIZE = 16;
export const VIRTIO_PCI_NOTIFY_CAP_SIZE = 20;
export const VIRTIO_PCI_CFG_CAP_SIZE = 20;

/** cfg_type values. */
export const VIRTIO_PCI_CAP_COMMON_CFG = 1;
export const VIRTIO_PCI_CAP_NOTIFY_CFG = 2;
export const VIRTIO_PCI_CAP_ISR_CFG = 3;
export const VIRTIO_PCI_CAP_DEVICE_CFG = 4;
export const VIRTIO_PCI_CAP_PCI_CFG = 5;
export const VIRTIO_PCI_CAP_SHARED_MEMORY_CFG = 8;
export const VIRTIO_PCI_CAP_VENDOR_CFG = 9;

/** struct virtio_pci_common_cfg (offsets into the COMMON structure). */
export const VIRTIO_PCI_COMMON_DFSELECT = 0x00;
export const VIRTIO_PCI_COMMON_DF = 0x04;
export const VIRTIO_PCI_COMMON_GFSELECT = 0x08;
export const VIRTIO_PCI_COMMON_GF = 0x0c;
export const VIRTIO_PCI_COMMON_MSIX = 0x10;
export const VIRTIO_PCI_COMMON_NUMQ = 0x12;
export const VIRTIO_PCI_COMMON_STATUS = 0x14;
export const VIRTIO_PCI_COMMON_CFGGENERATION = 0x15;
export const VIRTIO_PCI_COMMON_Q_SELECT = 0x16;
export const VIRTIO_PCI_COMMON_Q_SIZE = 0x18;
export const VIRTIO_PCI_COMMON_Q_MSIX = 0x1a;
export const VIRTIO_PCI_COMMON_Q_ENABLE = 0x1c;
export const VIRTIO_PCI_COMMON_Q_NOFF = 0x1e;
export const VIRTIO_PCI_COMMON_Q_DESCLO = 0x20;
export const VIRTIO_PCI_COMMON_Q_DESCHI = 0x24;
export const VIRTIO_PCI_COMMON_Q_AVAILLO = 0x28;
export const VIRTIO_PCI_COMMON_Q_AVAILHI = 0x2c;
export const VIRTIO_PCI_COMMON_Q_USEDLO = 0x30;
export const VIRTIO_PCI_COMMON_Q_USEDHI = 0x34;
/** sizeof(struct virtio_pci_common_cfg) without the optional tail fields. */
export const VIRTIO_PCI_COMMON_CFG_SIZE = 0x38;

/** ISR status bits. */
export const VIRTIO_PCI_ISR_QUEUE = 0x1;
export const VIRTIO_PCI_ISR_CONFIG = 0x2;

/** "No MSI-X vector" in config_msix_vector / queue_msix_vector. */
export const VIRTIO_MSI_NO_VECTOR = 0xffff;

/** PCI IDs: modern devices are 0x1040 + the virtio device ID (net = 1). */
export const VIRTIO_PCI_VENDOR_ID = 0x1af4;
export const VIRTIO_PCI_MODERN_DEVICE_ID_BASE = 0x1040;
export const VIRTIO_ID_NET = 1;

/*
 * The legacy header in BAR0 (I/O space) of a legacy or transitional function (virtio 1.2
 * §4.1.4.8; Linux's part of this header outside VIRTIO_PCI_NO_LEGACY), as byte offsets.
 */
export const VIRTIO_PCI_HOST_FEATURES = 0x00; // 32 bits: device features 0–31
export const VIRTIO_PCI_GUEST_FEATURES = 0x04; // 32 bits: driver features 0–31
export const VIRTIO_PCI_QUEUE_PFN = 0x08; // 32 bits: ring address >> VIRTIO_PCI_QUEUE_ADDR_SHIFT
export const VIRTIO_PCI_QUEUE_NUM = 0x0c; // 16 bits, read-only: queue size
export const VIRTIO_PCI_QUEUE_SEL = 0x0e; // 16 bits
export const VIRTIO_PCI_QUEUE_NOTIFY = 0x10; // 16 bits: write the queue index
export const VIRTIO_PCI_STATUS = 0x12; // 8 bits: device status
export const VIRTIO_PCI_ISR = 0x13; // 8 bits: read clears
export const VIRTIO_MSI_CONFIG_VECTOR = 0x14; // 16 bits, only while MSI-X is enabled
export const VIRTIO_MSI_QUEUE_VECTOR = 0x16; // 16 bits, only while MSI-X is enabled
/** Where device config starts: 24 with MSI-X enabled (after the vector registers), else 20. */
export const VIRTIO_PCI_CONFIG_OFF = (msix_enabled: boolean): number => (msix_enabled ? 24 : 20);
/** The revision a legacy-capable function has (transitional devices MUST have 0). */
export const VIRTIO_PCI_ABI_VERSION = 0;
/** The queue address is a page frame number of this shift; the used ring is aligned to this. */
export const VIRTIO_PCI_QUEUE_ADDR_SHIFT = 12;
export const VIRTIO_PCI_VRING_ALIGN = 4096;
