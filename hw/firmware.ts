import {
  E820_TYPE_RAM,
  E820_TYPE_RESERVED,
  type E820Entry,
  type FirmwareTables,
} from "../include/asm/platform.ts";
import type { Machine } from "./machine.ts";

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
    edge_gsis: [M.TIMER_GSI],
    timer_gsi: M.TIMER_GSI,
    pci_irq_routes: routes,
    pci_mmio_window: { base: M.PCI_MMIO_BASE, size: M.PCI_MMIO_SIZE },
    pci_io_window: { base: M.PCI_IO_BASE, size: M.PCI_IO_SIZE },
    cmdline: machine.cmdline,
  };
}
