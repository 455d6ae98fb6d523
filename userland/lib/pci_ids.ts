/**
 * The part of the PCI ID database (pci.ids, version 2023.04.10 as Debian 12's pciutils 3.9 ships
 * it in /usr/share/misc/pci.ids; GPL-2.0-or-later or BSD-3-Clause) that names what this machine
 * can have: Intel's NICs and chipset functions with their QEMU subsystem entries, Red Hat's
 * virtio and QEMU devices, and the whole class list. Copied verbatim, in pci.ids syntax, so the
 * one parser (userland/lib/pci_names.ts) reads it and any pci.ids file alike. Unknown vendors and
 * devices print as numbers, as lspci does.
 */
export const PCI_IDS_BUILTIN = `8086  Intel Corporation
	100c  82544GC Gigabit Ethernet Controller (Copper)
	100e  82540EM Gigabit Ethernet Controller
		1af4 1100  QEMU Virtual Machine
	100f  82545EM Gigabit Ethernet Controller (Copper)
	1237  440FX - 82441FX PMC [Natoma]
		1af4 1100  Qemu virtual machine
	2918  82801IB (ICH9) LPC Interface Controller
		1af4 1100  QEMU Virtual Machine
	29c0  82G33/G31/P35/P31 Express DRAM Controller
		1af4 1100  QEMU Virtual Machine
	7000  82371SB PIIX3 ISA [Natoma/Triton II]
		1af4 1100  Qemu virtual machine
	7010  82371SB PIIX3 IDE [Natoma/Triton II]
		1af4 1100  Qemu virtual machine
	7020  82371SB PIIX3 USB [Natoma/Triton II]
		1af4 1100  QEMU Virtual Machine
	7113  82371AB/EB/MB PIIX4 ACPI
		1af4 1100  Qemu virtual machine
1af4  Red Hat, Inc.
	1000  Virtio network device
		01de fffb  Propolis Virtio network device
	1001  Virtio block device
		01de fffa  Propolis Virtio block device
	1002  Virtio memory balloon
	1003  Virtio console
	1004  Virtio SCSI
	1005  Virtio RNG
	1009  Virtio filesystem
	1041  Virtio 1.0 network device
	1042  Virtio 1.0 block device
	1043  Virtio 1.0 console
	1044  Virtio 1.0 RNG
	1045  Virtio 1.0 memory balloon
	1048  Virtio 1.0 SCSI
	1049  Virtio 1.0 filesystem
	1050  Virtio 1.0 GPU
	1052  Virtio 1.0 input
	1053  Virtio 1.0 socket
	105a  Virtio file system
	1110  Inter-VM shared memory
		1af4 1100  QEMU Virtual Machine
1b36  Red Hat, Inc.
	0001  QEMU PCI-PCI bridge
	0002  QEMU PCI 16550A Adapter
		1af4 1100  QEMU Virtual Machine
	0003  QEMU PCI Dual-port 16550A Adapter
		1af4 1100  QEMU Virtual Machine
	0004  QEMU PCI Quad-port 16550A Adapter
		1af4 1100  QEMU Virtual Machine
	0005  QEMU PCI Test Device
		1af4 1100  QEMU Virtual Machine
	0008  QEMU PCIe Host bridge
	000b  QEMU PCIe Expander bridge
	000c  QEMU PCIe Root port
	000d  QEMU XHCI Host Controller
	0010  QEMU NVM Express Controller
C 00  Unclassified device
	00  Non-VGA unclassified device
	01  VGA compatible unclassified device
	05  Image coprocessor
C 01  Mass storage controller
	00  SCSI storage controller
	01  IDE interface
		00  ISA Compatibility mode-only controller
		05  PCI native mode-only controller
		0a  ISA Compatibility mode controller, supports both channels switched to PCI native mode
		0f  PCI native mode controller, supports both channels switched to ISA compatibility mode
		80  ISA Compatibility mode-only controller, supports bus mastering
		85  PCI native mode-only controller, supports bus mastering
		8a  ISA Compatibility mode controller, supports both channels switched to PCI native mode, supports bus mastering
		8f  PCI native mode controller, supports both channels switched to ISA compatibility mode, supports bus mastering
	02  Floppy disk controller
	03  IPI bus controller
	04  RAID bus controller
	05  ATA controller
		20  ADMA single stepping
		30  ADMA continuous operation
	06  SATA controller
		00  Vendor specific
		01  AHCI 1.0
		02  Serial Storage Bus
	07  Serial Attached SCSI controller
		01  Serial Storage Bus
	08  Non-Volatile memory controller
		01  NVMHCI
		02  NVM Express
	09  Universal Flash Storage controller
		00  Vendor specific
		01  UFSHCI
	80  Mass storage controller
C 02  Network controller
	00  Ethernet controller
	01  Token ring network controller
	02  FDDI network controller
	03  ATM network controller
	04  ISDN controller
	05  WorldFip controller
	06  PICMG controller
	07  Infiniband controller
	08  Fabric controller
	80  Network controller
C 03  Display controller
	00  VGA compatible controller
		00  VGA controller
		01  8514 controller
	01  XGA compatible controller
	02  3D controller
	80  Display controller
C 04  Multimedia controller
	00  Multimedia video controller
	01  Multimedia audio controller
	02  Computer telephony device
	03  Audio device
	80  Multimedia controller
C 05  Memory controller
	00  RAM memory
	01  FLASH memory
	02  CXL
		00  CXL Memory Device - vendor specific
		10  CXL Memory Device (CXL 2.x)
	80  Memory controller
C 06  Bridge
	00  Host bridge
	01  ISA bridge
	02  EISA bridge
	03  MicroChannel bridge
	04  PCI bridge
		00  Normal decode
		01  Subtractive decode
	05  PCMCIA bridge
	06  NuBus bridge
	07  CardBus bridge
	08  RACEway bridge
		00  Transparent mode
		01  Endpoint mode
	09  Semi-transparent PCI-to-PCI bridge
		40  Primary bus towards host CPU
		80  Secondary bus towards host CPU
	0a  InfiniBand to PCI host bridge
	80  Bridge
C 07  Communication controller
	00  Serial controller
		00  8250
		01  16450
		02  16550
		03  16650
		04  16750
		05  16850
		06  16950
	01  Parallel controller
		00  SPP
		01  BiDir
		02  ECP
		03  IEEE1284
		fe  IEEE1284 Target
	02  Multiport serial controller
	03  Modem
		00  Generic
		01  Hayes/16450
		02  Hayes/16550
		03  Hayes/16650
		04  Hayes/16750
	04  GPIB controller
	05  Smard Card controller
	80  Communication controller
C 08  Generic system peripheral
	00  PIC
		00  8259
		01  ISA PIC
		02  EISA PIC
		10  IO-APIC
		20  IO(X)-APIC
	01  DMA controller
		00  8237
		01  ISA DMA
		02  EISA DMA
	02  Timer
		00  8254
		01  ISA Timer
		02  EISA Timers
		03  HPET
	03  RTC
		00  Generic
		01  ISA RTC
	04  PCI Hot-plug controller
	05  SD Host controller
	06  IOMMU
	80  System peripheral
	99  Timing Card
# PTP Grandmaster Source Clock
		01  TAP Timing Card
C 09  Input device controller
	00  Keyboard controller
	01  Digitizer Pen
	02  Mouse controller
	03  Scanner controller
	04  Gameport controller
		00  Generic
		10  Extended
	80  Input device controller
C 0a  Docking station
	00  Generic Docking Station
	80  Docking Station
C 0b  Processor
	00  386
	01  486
	02  Pentium
	10  Alpha
	20  Power PC
	30  MIPS
	40  Co-processor
C 0c  Serial bus controller
	00  FireWire (IEEE 1394)
		00  Generic
		10  OHCI
	01  ACCESS Bus
	02  SSA
	03  USB controller
		00  UHCI
		10  OHCI
		20  EHCI
		30  XHCI
		40  USB4 Host Interface
		80  Unspecified
		fe  USB Device
	04  Fibre Channel
	05  SMBus
	06  InfiniBand
	07  IPMI Interface
		00  SMIC
		01  KCS
		02  BT (Block Transfer)
	08  SERCOS interface
	09  CANBUS
	80  Serial bus controller
C 0d  Wireless controller
	00  IRDA controller
	01  Consumer IR controller
	10  RF controller
	11  Bluetooth
	12  Broadband
	20  802.1a controller
	21  802.1b controller
	80  Wireless controller
C 0e  Intelligent controller
	00  I2O
C 0f  Satellite communications controller
	01  Satellite TV controller
	02  Satellite audio communication controller
	03  Satellite voice communication controller
	04  Satellite data communication controller
C 10  Encryption controller
	00  Network and computing encryption device
	10  Entertainment encryption device
	80  Encryption controller
C 11  Signal processing controller
	00  DPIO module
	01  Performance counters
	10  Communication synchronizer
	20  Signal processing management
	80  Signal processing controller
C 12  Processing accelerators
	00  Processing accelerators
	01  SNIA Smart Data Accelerator Interface (SDXI) controller
C 13  Non-Essential Instrumentation
C 40  Coprocessor
C ff  Unassigned class
`;
