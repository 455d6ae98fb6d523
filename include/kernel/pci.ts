/**
 * PCI configuration space layout (PCI Local Bus Specification 3.0, section 6; Linux
 * include/uapi/linux/pci_regs.h). Offsets are bytes into a function's configuration space.
 */
export const PCI_VENDOR_ID = 0x00; // 16 bits
export const PCI_DEVICE_ID = 0x02; // 16 bits
export const PCI_COMMAND = 0x04; // 16 bits
export const PCI_COMMAND_IO = 0x1; // respond to I/O space accesses
export const PCI_COMMAND_MEMORY = 0x2; // respond to memory space accesses
export const PCI_COMMAND_MASTER = 0x4; // may master the bus (DMA)
export const PCI_COMMAND_SERR = 0x100;
export const PCI_COMMAND_INTX_DISABLE = 0x400;
export const PCI_STATUS = 0x06; // 16 bits
export const PCI_STATUS_INTERRUPT = 0x08; // INTx asserted
export const PCI_STATUS_CAP_LIST = 0x10; // capabilities list at PCI_CAPABILITY_LIST
export const PCI_STATUS_DEVSEL_MEDIUM = 0x200;
export const PCI_STATUS_ERROR_BITS = 0xf900; // write-1-to-clear error bits
export const PCI_CLASS_REVISION = 0x08; // revision (7:0), class code (31:8)
export const PCI_REVISION_ID = 0x08;
export const PCI_CLASS_PROG = 0x09;
export const PCI_CLASS_DEVICE = 0x0a; // 16 bits: base class << 8 | subclass
export const PCI_CACHE_LINE_SIZE = 0x0c;
export const PCI_LATENCY_TIMER = 0x0d;
export const PCI_HEADER_TYPE = 0x0e;
export const PCI_HEADER_TYPE_MASK = 0x7f;
export const PCI_HEADER_TYPE_MULTIFUNC = 0x80;
export const PCI_BASE_ADDRESS_0 = 0x10; // six 32-bit BARs, 0x10..0x24
export const PCI_BASE_ADDRESS_SPACE_IO = 0x01;
export const PCI_BASE_ADDRESS_MEM_TYPE_MASK = 0x06;
export const PCI_BASE_ADDRESS_MEM_TYPE_64 = 0x04;
export const PCI_BASE_ADDRESS_MEM_PREFETCH = 0x08;
export const PCI_BASE_ADDRESS_MEM_MASK = 0xfffffff0;
export const PCI_BASE_ADDRESS_IO_MASK = 0xfffffffc;
export const PCI_SUBSYSTEM_VENDOR_ID = 0x2c;
export const PCI_SUBSYSTEM_ID = 0x2e;
export const PCI_ROM_ADDRESS = 0x30;
export const PCI_CAPABILITY_LIST = 0x34;
export const PCI_INTERRUPT_LINE = 0x3c;
export const PCI_INTERRUPT_PIN = 0x3d;
export const PCI_STD_NUM_BARS = 6;
/** Conventional configuration space; ECAM gives 4 KiB per function (extended space reads 0 here). */
export const PCI_CFG_SPACE_SIZE = 256;
export const PCI_CFG_SPACE_EXP_SIZE = 4096;

/** Capability IDs (PCI_CAP_ID_*). */
export const PCI_CAP_ID_PM = 0x01;
export const PCI_CAP_ID_MSI = 0x05;
export const PCI_CAP_ID_VNDR = 0x09;
export const PCI_CAP_ID_MSIX = 0x11;

/** MSI-X capability (PCI Local Bus 3.0 §6.8.2; include/uapi/linux/pci_regs.h PCI_MSIX_*). */
export const PCI_MSIX_FLAGS = 2; // Message Control
export const PCI_MSIX_FLAGS_QSIZE = 0x07ff; // table size - 1
export const PCI_MSIX_FLAGS_MASKALL = 0x4000;
export const PCI_MSIX_FLAGS_ENABLE = 0x8000;
export const PCI_MSIX_TABLE = 4; // Table offset (31:3) and BIR (2:0)
export const PCI_MSIX_PBA = 8; // PBA offset and BIR
export const PCI_MSIX_FLAGS_BIRMASK = 0x7;
export const PCI_MSIX_ENTRY_SIZE = 16;
export const PCI_MSIX_ENTRY_LOWER_ADDR = 0;
export const PCI_MSIX_ENTRY_UPPER_ADDR = 4;
export const PCI_MSIX_ENTRY_DATA = 8;
export const PCI_MSIX_ENTRY_VECTOR_CTRL = 12;
export const PCI_MSIX_ENTRY_CTRL_MASKBIT = 0x1;
export const PCI_CAP_LIST_ID = 0;
export const PCI_CAP_LIST_NEXT = 1;

/** PCI_DEVFN / PCI_SLOT / PCI_FUNC (include/uapi/linux/pci.h). */
export const PCI_DEVFN = (slot: number, func: number): number => ((slot & 0x1f) << 3) | (func & 0x07);
export const PCI_SLOT = (devfn: number): number => (devfn >> 3) & 0x1f;
export const PCI_FUNC = (devfn: number): number => devfn & 0x07;

/** Match anything in a pci_device_id field. */
export const PCI_ANY_ID = 0xffffffff;

export const PCI_VENDOR_ID_INTEL = 0x8086;
export const PCI_VENDOR_ID_REDHAT_QUMRANET = 0x1af4;
export const PCI_VENDOR_ID_QEMU = 0x1234;

/** Base class codes (the high byte of PCI_CLASS_DEVICE). */
export const PCI_BASE_CLASS_NETWORK = 0x02;
export const PCI_CLASS_NETWORK_ETHERNET = 0x0200;
export const PCI_CLASS_BRIDGE_HOST = 0x0600;
export const PCI_CLASS_OTHERS = 0xff;
