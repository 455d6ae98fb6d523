import {
  PCI_CAP_LIST_NEXT,
  PCI_CAPABILITY_LIST,
  PCI_COMMAND,
  PCI_COMMAND_IO,
  PCI_COMMAND_MASTER,
  PCI_COMMAND_MEMORY,
  PCI_STATUS,
  PCI_STATUS_CAP_LIST,
  PCI_STD_NUM_BARS,
} from "../../include/kernel/pci.ts";
import { EBUSY } from "../../include/linux/errno.ts";
import { IORESOURCE_IO, IORESOURCE_MEM, resource_size } from "../../include/linux/ioport.ts";
import type { PciDev } from "../../include/linux/pci.ts";
import { ioremap } from "../io.ts";
import { WARN } from "../panic.ts";
import { pr_warn } from "../printk.ts";
import { __release_region, __request_region } from "../resource.ts";
import { pci_read_config_byte, pci_read_config_word, pci_write_config_word } from "./access.ts";

/**
 * Device enable, bus mastering, BAR mapping and capabilities (drivers/pci/pci.c, lib/pci_iomap.c).
 * Process context.
 */

/** pci_enable_device(): turn on I/O and memory decode for the BARs the function has. Nests. */
export function pci_enable_device(dev: PciDev): number {
  if (dev.enable_cnt++ > 0) return 0;
  let want = 0;
  for (const r of dev.resource) {
    if (r.flags & IORESOURCE_IO) want |= PCI_COMMAND_IO;
    if (r.flags & IORESOURCE_MEM) want |= PCI_COMMAND_MEMORY;
  }
  const cmd = pci_read_config_word(dev, PCI_COMMAND);
  if ((cmd & want) !== want) pci_write_config_word(dev, PCI_COMMAND, cmd | want);
  return 0;
}

/** pci_disable_device(): undo pci_enable_device; the last one also stops bus mastering. */
export function pci_disable_device(dev: PciDev): void {
  if (WARN(dev.enable_cnt <= 0, `${dev.name}: disabling an already disabled device`)) return;
  if (--dev.enable_cnt > 0) return;
  const cmd = pci_read_config_word(dev, PCI_COMMAND);
  pci_write_config_word(dev, PCI_COMMAND, cmd & ~(PCI_COMMAND_MASTER | PCI_COMMAND_IO | PCI_COMMAND_MEMORY));
  dev.is_busmaster = false;
}

export function pci_is_enabled(dev: PciDev): boolean {
  return dev.enable_cnt > 0;
}

/** pci_set_master(): let the function master the bus (DMA). */
export function pci_set_master(dev: PciDev): void {
  const cmd = pci_read_config_word(dev, PCI_COMMAND);
  if ((cmd & PCI_COMMAND_MASTER) === 0) pci_write_config_word(dev, PCI_COMMAND, cmd | PCI_COMMAND_MASTER);
  dev.is_busmaster = true;
}

export function pci_clear_master(dev: PciDev): void {
  const cmd = pci_read_config_word(dev, PCI_COMMAND);
  pci_write_config_word(dev, PCI_COMMAND, cmd & ~PCI_COMMAND_MASTER);
  dev.is_busmaster = false;
}

export function pci_resource_start(dev: PciDev, bar: number): number {
  return dev.resource[bar]?.start ?? 0;
}

export function pci_resource_len(dev: PciDev, bar: number): number {
  const r = dev.resource[bar];
  return r === undefined || r.flags === 0 ? 0 : resource_size(r);
}

export function pci_resource_flags(dev: PciDev, bar: number): number {
  return dev.resource[bar]?.flags ?? 0;
}

/**
 * pci_iomap(): map BAR `bar` (at most `maxlen` bytes, 0 = all) for readl/writel. Returns the MMIO
 * address, or 0 (NULL) if the BAR is absent or is an I/O BAR (use inl/outl on
 * pci_resource_start for those).
 */
export function pci_iomap(dev: PciDev, bar: number, maxlen: number): number {
  const r = dev.resource[bar];
  if (r === undefined || (r.flags & IORESOURCE_MEM) === 0) return 0;
  const len = maxlen === 0 ? resource_size(r) : Math.min(maxlen, resource_size(r));
  return ioremap(r.start, len);
}

/**
 * pci_iomap_range(): map `maxlen` bytes (0 = to the end) of BAR `bar` starting `offset` bytes in.
 * Returns the MMIO address of that offset, or 0 if the BAR is absent, is an I/O BAR, or is not
 * longer than `offset` (lib/pci_iomap.c).
 */
export function pci_iomap_range(dev: PciDev, bar: number, offset: number, maxlen: number): number {
  const r = dev.resource[bar];
  if (r === undefined || (r.flags & IORESOURCE_MEM) === 0) return 0;
  const size = resource_size(r);
  if (offset >= size) return 0;
  const len = maxlen === 0 || maxlen > size - offset ? size - offset : maxlen;
  return ioremap(r.start + offset, len);
}

export function pci_iounmap(_dev: PciDev, _addr: number): void {}

/** pci_find_capability(): offset of capability `cap` in the list, or 0. Guards against loops. */
export function pci_find_capability(dev: PciDev, cap: number): number {
  if ((pci_read_config_word(dev, PCI_STATUS) & PCI_STATUS_CAP_LIST) === 0) return 0;
  let pos = pci_read_config_byte(dev, PCI_CAPABILITY_LIST) & ~3;
  for (let ttl = 48; pos >= 0x40 && ttl > 0; ttl--) {
    if (pci_read_config_byte(dev, pos) === cap) return pos;
    pos = pci_read_config_byte(dev, pos + PCI_CAP_LIST_NEXT) & ~3;
  }
  return 0;
}

/**
 * pci_find_next_capability(): the next capability `cap` after the one at `pos` (0 when none) —
 * for devices with several of one kind, such as virtio's vendor capabilities.
 */
export function pci_find_next_capability(dev: PciDev, pos: number, cap: number): number {
  let p = pci_read_config_byte(dev, pos + PCI_CAP_LIST_NEXT) & ~3;
  for (let ttl = 48; p >= 0x40 && ttl > 0; ttl--) {
    if (pci_read_config_byte(dev, p) === cap) return p;
    p = pci_read_config_byte(dev, p + PCI_CAP_LIST_NEXT) & ~3;
  }
  return 0;
}

export function pci_set_drvdata(dev: PciDev, data: unknown): void {
  dev.driver_data = data;
}

export function pci_get_drvdata<T>(dev: PciDev): T {
  return dev.driver_data as T;
}

export function pci_name(dev: PciDev): string {
  return dev.name;
}

/** pci_select_bars(): the mask of BARs (bit n for BAR n) whose resource has any of `flags`. */
export function pci_select_bars(dev: PciDev, flags: number): number {
  let bars = 0;
  for (let i = 0; i < PCI_STD_NUM_BARS; i++) if (((dev.resource[i]?.flags ?? 0) & flags) !== 0) bars |= 1 << i;
  return bars;
}

/** %pR of a BAR: "[io  0xc000-0xc007]", "[mem 0xc0100000-0xc011ffff]". */
function bar_string(dev: PciDev, bar: number): string {
  const r = dev.resource[bar]!;
  const io = (r.flags & IORESOURCE_IO) !== 0;
  const hex = (n: number): string => n.toString(16).padStart(io ? 4 : 8, "0");
  return `[${io ? "io " : "mem"} 0x${hex(r.start)}-0x${hex(r.end)}]`;
}

/**
 * pci_request_region(): claim BAR `bar` for `name` (request_region / request_mem_region), so that
 * /proc/ioports or /proc/iomem shows `name` under the BAR. An absent BAR is nothing to claim (0).
 * -EBUSY, with Linux's warning, when someone holds part of it already.
 */
export function pci_request_region(dev: PciDev, bar: number, name: string): number {
  const r = dev.resource[bar];
  if (r === undefined || pci_resource_len(dev, bar) === 0) return 0;
  const type = (r.flags & IORESOURCE_IO) !== 0 ? IORESOURCE_IO : (r.flags & IORESOURCE_MEM) !== 0 ? IORESOURCE_MEM : 0;
  if (type === 0) return 0;
  if (__request_region(type, r.start, resource_size(r), name) !== null) return 0;
  pr_warn("%s %s: BAR %d: can't reserve %s\n", dev.driver?.name ?? "pci", dev.name, bar, bar_string(dev, bar));
  return -EBUSY;
}

/** pci_release_region(): give back what pci_request_region claimed for BAR `bar`. */
export function pci_release_region(dev: PciDev, bar: number): void {
  const r = dev.resource[bar];
  if (r === undefined || pci_resource_len(dev, bar) === 0) return;
  const type = (r.flags & IORESOURCE_IO) !== 0 ? IORESOURCE_IO : IORESOURCE_MEM;
  __release_region(type, r.start, resource_size(r));
}

/** pci_request_selected_regions(): claim each BAR in the mask `bars`; all or none (-EBUSY). */
export function pci_request_selected_regions(dev: PciDev, bars: number, name: string): number {
  for (let i = 0; i < PCI_STD_NUM_BARS; i++) {
    if ((bars & (1 << i)) === 0) continue;
    if (pci_request_region(dev, i, name) === 0) continue;
    for (let j = 0; j < i; j++) if ((bars & (1 << j)) !== 0) pci_release_region(dev, j);
    return -EBUSY;
  }
  return 0;
}

export function pci_release_selected_regions(dev: PciDev, bars: number): void {
  for (let i = 0; i < PCI_STD_NUM_BARS; i++) if ((bars & (1 << i)) !== 0) pci_release_region(dev, i);
}

/** pci_request_regions(): claim every BAR of the function for `name` (0 or -EBUSY). */
export function pci_request_regions(dev: PciDev, name: string): number {
  return pci_request_selected_regions(dev, (1 << PCI_STD_NUM_BARS) - 1, name);
}

export function pci_release_regions(dev: PciDev): void {
  pci_release_selected_regions(dev, (1 << PCI_STD_NUM_BARS) - 1);
}
