import { DEFINE_PER_KERNEL, this_kernel } from "../kernel.ts";
import type { PciDev } from "../../include/linux/pci.ts";

/**
 * Configuration space access through ECAM (drivers/pci/access.c, arch/x86/pci/mmconfig_64.c).
 * The window's base comes from the firmware's MCFG table; a function's 4 KiB lies at
 * base + (bus << 20 | devfn << 12). No address is hard-coded here.
 */
const ecam = DEFINE_PER_KERNEL((k) => {
  const m = k.platform.firmware.mcfg[0];
  return m === undefined ? null : m;
});

function cfg_addr(bus: number, devfn: number, where: number): number {
  const m = ecam.get();
  if (m === null || bus < m.start_bus || bus > m.end_bus || where < 0 || where > 0xfff) return -1;
  return m.base + (((bus - m.start_bus) << 20) | (devfn << 12) | where);
}

/** Raw reads by bus/devfn (used while scanning, before a pci_dev exists). Absent → all ones. */
export function pci_bus_read_config(bus: number, devfn: number, where: number, width: 1 | 2 | 4): number {
  const addr = cfg_addr(bus, devfn, where);
  if (addr < 0) return width === 4 ? 0xffffffff : width === 2 ? 0xffff : 0xff;
  return this_kernel().platform.ops.mmio_read(addr, width);
}

export function pci_bus_write_config(bus: number, devfn: number, where: number, width: 1 | 2 | 4, value: number): void {
  const addr = cfg_addr(bus, devfn, where);
  if (addr >= 0) this_kernel().platform.ops.mmio_write(addr, width, value);
}

export function pci_read_config_byte(dev: PciDev, where: number): number {
  return pci_bus_read_config(dev.bus, dev.devfn, where, 1);
}
export function pci_read_config_word(dev: PciDev, where: number): number {
  return pci_bus_read_config(dev.bus, dev.devfn, where, 2);
}
export function pci_read_config_dword(dev: PciDev, where: number): number {
  return pci_bus_read_config(dev.bus, dev.devfn, where, 4);
}
export function pci_write_config_byte(dev: PciDev, where: number, val: number): void {
  pci_bus_write_config(dev.bus, dev.devfn, where, 1, val);
}
export function pci_write_config_word(dev: PciDev, where: number, val: number): void {
  pci_bus_write_config(dev.bus, dev.devfn, where, 2, val);
}
export function pci_write_config_dword(dev: PciDev, where: number, val: number): void {
  pci_bus_write_config(dev.bus, dev.devfn, where, 4, val);
}

/** The ECAM window in use (for /proc/iomem-style reporting). */
export function pci_mmcfg_window(): { base: number; start_bus: number; end_bus: number } | null {
  return ecam.get();
}
