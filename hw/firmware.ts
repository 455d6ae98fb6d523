import {
  E820_TYPE_RAM,
  E820_TYPE_RESERVED,
  type E820Entry,
  type FirmwareTables,
} from "../include/asm/platform.ts";
import {
  PCI_BASE_ADDRESS_0,
  PCI_BASE_ADDRESS_IO_MASK,
  PCI_BASE_ADDRESS_MEM_MASK,
  PCI_BASE_ADDRESS_MEM_TYPE_64,
  PCI_BASE_ADDRESS_MEM_TYPE_MASK,
  PCI_BASE_ADDRESS_SPACE_IO,
  PCI_COMMAND,
  PCI_COMMAND_IO,
  PCI_COMMAND_MEMORY,
  PCI_INTERRUPT_LINE,
  PCI_INTERRUPT_PIN,
  PCI_STD_NUM_BARS,
} from "../include/kernel/pci.ts";
import type { Machine } from "./machine.ts";
import type { PciDevice } from "./pci/pci_device.ts";

/**
 * The firmware step (BIOS + ACPI): describe the machine to the kernel. The layout follows a
 * QEMU q35-style PC: low RAM with the legacy hole at 640 KiB–1 MiB, ECAM at 0xB0000000, a 32-bit
 * PCI MMIO window below the I/O APIC, and the BIOS ROM at the top of 4 GiB.
 */
export const MEMORY_MAP = {
  /** End of conventional memory: the EBDA starts here (0x9FC00 on QEMU/SeaBIOS). */
  LOW_RAM_END: 0x9fc00,
  /** Extended memory starts at 1 MiB. */
  HIGH_RAM_START: 0x100000,
  ECAM_BASE: 0xb0000000,
  ECAM_BUSES: 256,
  PCI_MMIO_BASE: 0xc0000000,
  PCI_MMIO_SIZE: 0x3ec00000, // up to 0xFEC00000
  PCI_IO_BASE: 0xc000,
  PCI_IO_SIZE: 0x4000,
  IOAPIC_BASE: 0xfec00000,
  LAPIC_BASE: 0xfee00000,
  BIOS_BASE: 0xfffc0000,
  /** The local timer's line (MADT: GSI 0, edge, as the legacy timer override). */
  TIMER_GSI: 0,
  /** The DMA remapping unit's fault event line (DMAR table), when the machine has one. */
  DMAR_GSI: 20,
} as const;

/**
 * PCI INTx routing as SeaBIOS programs QEMU's PIIX: PIRQ A–D go to GSIs 10, 10, 11, 11, and a
 * device in slot S using pin P (1 = INTA#) lands on PIRQ ((S + P - 1) mod 4). The e1000 in slot 3
 * with INTA# therefore gets GSI 11, as `lspci -v` shows under QEMU.
 */
export const PIRQ_TO_GSI = [10, 10, 11, 11] as const;

export function pci_intx_gsi(slot: number, pin: number): number {
  return PIRQ_TO_GSI[(slot + pin - 1) % 4]!;
}

export function build_e820(mem_size: number): E820Entry[] {
  const M = MEMORY_MAP;
  return [
    { addr: 0, size: M.LOW_RAM_END, type: E820_TYPE_RAM },
    { addr: M.LOW_RAM_END, size: M.HIGH_RAM_START - M.LOW_RAM_END, type: E820_TYPE_RESERVED },
    { addr: M.HIGH_RAM_START, size: mem_size - M.HIGH_RAM_START, type: E820_TYPE_RAM },
    { addr: M.ECAM_BASE, size: M.ECAM_BUSES << 20, type: E820_TYPE_RESERVED },
    { addr: M.IOAPIC_BASE, size: 0x1000, type: E820_TYPE_RESERVED },
    { addr: M.LAPIC_BASE, size: 0x1000, type: E820_TYPE_RESERVED },
    { addr: M.BIOS_BASE, size: 0x40000, type: E820_TYPE_RESERVED },
  ];
}

/**
 * Assign PCI resources the way SeaBIOS does: size every BAR by writing all ones, place memory BARs
 * largest first (each aligned to its size) in the MMIO window and I/O BARs in the I/O window, write
 * the interrupt line from the routing table, and enable I/O and memory decode. Bus mastering is
 * left off: that is the driver's call (pci_set_master).
 */
export function pci_bios_init(machine: Machine): void {
  const M = MEMORY_MAP;
  interface Req { dev: PciDevice; bar: number; size: number; io: boolean; is64: boolean }
  const reqs: Req[] = [];
  for (const dev of [...machine.pci.devices.values()].sort((a, b) => a.devfn - b.devfn)) {
    for (let i = 0; i < PCI_STD_NUM_BARS; i++) {
      const off = PCI_BASE_ADDRESS_0 + 4 * i;
      const orig = dev.config_read(off, 4);
      dev.config_write(off, 4, 0xffffffff);
      const probe = dev.config_read(off, 4);
      dev.config_write(off, 4, orig);
      if (probe === 0) continue;
      const io = (probe & PCI_BASE_ADDRESS_SPACE_IO) !== 0;
      const is64 = !io && (probe & PCI_BASE_ADDRESS_MEM_TYPE_MASK) === PCI_BASE_ADDRESS_MEM_TYPE_64;
      const mask = io ? probe & PCI_BASE_ADDRESS_IO_MASK & 0xffff : (probe & PCI_BASE_ADDRESS_MEM_MASK) >>> 0;
      const size = io ? (~mask & 0xffff) + 1 : (~mask >>> 0) + 1;
      reqs.push({ dev, bar: i, size, io, is64 });
      if (is64) i++;
    }
    const pin = dev.config_read(PCI_INTERRUPT_PIN, 1);
    if (pin >= 1 && pin <= 4) dev.config_write(PCI_INTERRUPT_LINE, 1, pci_intx_gsi(dev.devfn >> 3, pin));
  }
  let mem = M.PCI_MMIO_BASE;
  let io = M.PCI_IO_BASE;
  for (const r of reqs.sort((a, b) => b.size - a.size)) {
    const off = PCI_BASE_ADDRESS_0 + 4 * r.bar;
    if (r.io) {
      io = Math.ceil(io / r.size) * r.size;
      if (io + r.size > M.PCI_IO_BASE + M.PCI_IO_SIZE) throw new Error(`firmware: out of PCI I/O space for ${r.dev.name}`);
      r.dev.config_write(off, 4, io);
      io += r.size;
    } else {
      mem = Math.ceil(mem / r.size) * r.size;
      if (mem + r.size > M.PCI_MMIO_BASE + M.PCI_MMIO_SIZE) throw new Error(`firmware: out of PCI memory space for ${r.dev.name}`);
      r.dev.config_write(off, 4, mem);
      if (r.is64) r.dev.config_write(off + 4, 4, 0);
      mem += r.size;
    }
  }
  for (const dev of machine.pci.devices.values()) {
    const has_io = dev.bars.some((b) => b?.kind === "io");
    const has_mem = dev.bars.some((b) => b !== undefined && b.kind !== "io");
    const cmd = dev.config_read(PCI_COMMAND, 2);
    dev.config_write(PCI_COMMAND, 2, cmd | (has_io ? PCI_COMMAND_IO : 0) | (has_mem ? PCI_COMMAND_MEMORY : 0));
  }
}

export function build_firmware_tables(machine: Machine): FirmwareTables {
  const M = MEMORY_MAP;
  const routes = [];
  for (let slot = 0; slot < 32; slot++) {
    for (let pin = 1; pin <= 4; pin++) routes.push({ bus: 0, slot, pin, gsi: pci_intx_gsi(slot, pin) });
  }
  return {
    e820: build_e820(machine.mem.size),
    mcfg: [{ base: M.ECAM_BASE, segment: 0, start_bus: 0, end_bus: M.ECAM_BUSES - 1 }],
    ioapic_lines: machine.ioapic.nr_lines,
    edge_gsis: [M.TIMER_GSI, 4],
    timer_gsi: M.TIMER_GSI,
    pci_irq_routes: routes,
    pci_mmio_window: { base: M.PCI_MMIO_BASE, size: M.PCI_MMIO_SIZE },
    pci_io_window: { base: M.PCI_IO_BASE, size: M.PCI_IO_SIZE },
    cmdline: machine.cmdline,
    dma_coherent: machine.mem.cache === null,
    dmar: machine.iommu === null ? null : { fault_gsi: M.DMAR_GSI },
  };
}
