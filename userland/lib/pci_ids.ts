/**
 * The slice of the PCI ID database (pci.ids, as pciutils ships it) that names devices this machine
 * can have. Unknown vendors and devices print as numbers, as lspci does.
 */
export const PCI_VENDORS: Readonly<Record<number, string>> = {
  0x8086: "Intel Corporation",
  0x1af4: "Red Hat, Inc.",
};

export const PCI_DEVICES: Readonly<Record<string, string>> = {
  "8086:29c0": "82G33/G31/P35/P31 Express DRAM Controller",
  "8086:100e": "82540EM Gigabit Ethernet Controller",
  "8086:100f": "82545EM Gigabit Ethernet Controller (Copper)",
  "8086:100c": "82544GC Gigabit Ethernet Controller (Copper)",
  "1af4:1000": "Virtio network device",
  "1af4:1041": "Virtio 1.0 network device",
};

/** Subsystem names (vendor:device subvendor:subdevice). */
export const PCI_SUBSYSTEMS: Readonly<Record<string, string>> = {
  "1af4:1100": "QEMU Virtual Machine",
};

/** Class names by base class and subclass (pci.ids "C" section). */
export const PCI_CLASSES: Readonly<Record<number, string>> = {
  0x0000: "Non-VGA unclassified device",
  0x0200: "Ethernet controller",
  0x0280: "Network controller",
  0x0300: "VGA compatible controller",
  0x0600: "Host bridge",
  0x0601: "ISA bridge",
  0x0604: "PCI bridge",
  0x0880: "System peripheral",
};

export const PCI_BASE_CLASSES: Readonly<Record<number, string>> = {
  0x00: "Unclassified device",
  0x02: "Network controller",
  0x03: "Display controller",
  0x06: "Bridge",
  0x08: "Generic system peripheral",
  0xff: "Unassigned class",
};

export const PCI_CAP_NAMES: Readonly<Record<number, string>> = {
  0x01: "Power Management",
  0x05: "MSI",
  0x09: "Vendor Specific Information",
  0x10: "Express",
  0x11: "MSI-X",
};
