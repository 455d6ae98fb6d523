import {
  PCI_BASE_ADDRESS_0,
  PCI_BASE_ADDRESS_IO_MASK,
  PCI_BASE_ADDRESS_MEM_MASK,
  PCI_BASE_ADDRESS_MEM_PREFETCH,
  PCI_BASE_ADDRESS_MEM_TYPE_64,
  PCI_BASE_ADDRESS_MEM_TYPE_MASK,
  PCI_BASE_ADDRESS_SPACE_IO,
  PCI_CLASS_REVISION,
  PCI_COMMAND,
  PCI_COMMAND_IO,
  PCI_COMMAND_MEMORY,
  PCI_DEVFN,
  PCI_FUNC,
  PCI_HEADER_TYPE,
  PCI_HEADER_TYPE_MULTIFUNC,
  PCI_INTERRUPT_PIN,
  PCI_SLOT,
  PCI_STD_NUM_BARS,
  PCI_SUBSYSTEM_ID,
  PCI_SUBSYSTEM_VENDOR_ID,
  PCI_VENDOR_ID,
} from "../../include/kernel/pci.ts";
import { IORESOURCE_IO, IORESOURCE_MEM, IORESOURCE_MEM_64, IORESOURCE_PREFETCH, type Resource } from "../../include/linux/ioport.ts";
import type { PciDev, PciDriver } from "../../include/linux/pci.ts";
import { DEFINE_PER_KERNEL, this_kernel } from "../kernel.ts";
import { pr_info } from "../printk.ts";
import { pci_bus_read_config, pci_bus_write_config } from "./access.ts";

/**
 * Enumeration (drivers/pci/probe.c): walk the ECAM window's root bus, make a pci_dev per function
 * that answers, decode and size its BARs, and find its IRQ in the firmware's routing table.
 */
export class PciDevice implements PciDev {
  readonly bus: number;
  readonly devfn: number;
  readonly vendor: number;
  readonly device: number;
  readonly subsystem_vendor: number;
  readonly subsystem_device: number;
  readonly class: number;
  readonly revision: number;
  readonly hdr_type: number;
  readonly pin: number;
  irq = 0;
  readonly resource: Resource[] = [];
  readonly name: string;
  driver: PciDriver | null = null;
  driver_data: unknown = null;
  enable_cnt = 0;
  is_busmaster = false;
  /** PCI devices start with 32-bit DMA masks (pci_setup_device). */
  dma_mask = 0xffffffff;
  coherent_dma_mask = 0xffffffff;

  constructor(bus: number, devfn: number) {
    this.bus = bus;
    this.devfn = devfn;
    const rd = (w: number, n: 1 | 2 | 4): number => pci_bus_read_config(bus, devfn, w, n);
    this.vendor = rd(PCI_VENDOR_ID, 2);
    this.device = rd(PCI_VENDOR_ID + 2, 2);
    const cr = rd(PCI_CLASS_REVISION, 4);
    this.class = cr >>> 8;
    this.revision = cr & 0xff;
    this.hdr_type = rd(PCI_HEADER_TYPE, 1) & 0x7f;
    this.subsystem_vendor = rd(PCI_SUBSYSTEM_VENDOR_ID, 2);
    this.subsystem_device = rd(PCI_SUBSYSTEM_ID, 2);
    this.pin = rd(PCI_INTERRUPT_PIN, 1);
    this.name = `0000:${hex(bus, 2)}:${hex(PCI_SLOT(devfn), 2)}.${PCI_FUNC(devfn)}`;
  }
}

class PciState {
  readonly devices: PciDevice[] = [];
  readonly drivers: PciDriver[] = [];
}
export const pci_state = DEFINE_PER_KERNEL(() => new PciState());

function hex(n: number, w: number): string {
  return n.toString(16).padStart(w, "0");
}

/**
 * Size one BAR (__pci_read_base): with decode off, write all ones, read the mask back, restore.
 * Returns how many BAR registers it used (2 for a 64-bit BAR).
 */
function pci_read_base(dev: PciDevice, index: number): number {
  const off = PCI_BASE_ADDRESS_0 + 4 * index;
  const rd = (w: number): number => pci_bus_read_config(dev.bus, dev.devfn, w, 4);
  const wr = (w: number, v: number): void => pci_bus_write_config(dev.bus, dev.devfn, w, 4, v);
  const orig = rd(off);
  wr(off, 0xffffffff);
  const sz = rd(off);
  wr(off, orig);
  const res: Resource = { start: 0, end: -1, flags: 0, name: dev.name };
  dev.resource[index] = res;
  if (sz === 0 || sz === 0xffffffff) return 1;
  if ((orig & PCI_BASE_ADDRESS_SPACE_IO) !== 0) {
    const mask = (sz & PCI_BASE_ADDRESS_IO_MASK & 0xffff) >>> 0;
    res.flags = IORESOURCE_IO;
    res.start = (orig & PCI_BASE_ADDRESS_IO_MASK) >>> 0;
    res.end = res.start + ((~mask & 0xffff) >>> 0);
    return 1;
  }
  res.flags = IORESOURCE_MEM | ((orig & PCI_BASE_ADDRESS_MEM_PREFETCH) !== 0 ? IORESOURCE_PREFETCH : 0);
  let size = (~(sz & PCI_BASE_ADDRESS_MEM_MASK) >>> 0) + 1;
  let start = (orig & PCI_BASE_ADDRESS_MEM_MASK) >>> 0;
  let used = 1;
  if ((orig & PCI_BASE_ADDRESS_MEM_TYPE_MASK) === PCI_BASE_ADDRESS_MEM_TYPE_64) {
    res.flags |= IORESOURCE_MEM_64;
    const orig_hi = rd(off + 4);
    wr(off + 4, 0xffffffff);
    const sz_hi = rd(off + 4);
    wr(off + 4, orig_hi);
    const mask = sz_hi * 0x100000000 + ((sz & PCI_BASE_ADDRESS_MEM_MASK) >>> 0);
    size = 2 ** 64 - mask;
    start += orig_hi * 0x100000000;
    dev.resource[index + 1] = { start: 0, end: -1, flags: 0, name: dev.name };
    used = 2;
  }
  res.start = start;
  res.end = start + size - 1;
  return used;
}

function describe_resource(r: Resource): string {
  const kind = r.flags & IORESOURCE_IO ? "io" : "mem";
  const pf = r.flags & IORESOURCE_MEM_64 ? " 64bit" : "";
  const pref = r.flags & IORESOURCE_PREFETCH ? " pref" : "";
  return `[${kind} 0x${hex(r.start, kind === "io" ? 4 : 8)}-0x${hex(r.end, kind === "io" ? 4 : 8)}${pf}${pref}]`;
}

function pci_setup_device(bus: number, devfn: number): PciDevice {
  const dev = new PciDevice(bus, devfn);
  // Size BARs with decode disabled, so a half-written BAR never claims someone else's addresses.
  const cmd = pci_bus_read_config(bus, devfn, PCI_COMMAND, 2);
  if (cmd & (PCI_COMMAND_IO | PCI_COMMAND_MEMORY)) pci_bus_write_config(bus, devfn, PCI_COMMAND, 2, cmd & ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY));
  if (dev.hdr_type === 0) for (let i = 0; i < PCI_STD_NUM_BARS; ) i += pci_read_base(dev, i);
  pci_bus_write_config(bus, devfn, PCI_COMMAND, 2, cmd);
  while (dev.resource.length < PCI_STD_NUM_BARS) dev.resource.push({ start: 0, end: -1, flags: 0, name: dev.name });
  if (dev.pin !== 0) {
    const route = this_kernel().platform.firmware.pci_irq_routes.find((r) => r.bus === bus && r.slot === PCI_SLOT(devfn) && r.pin === dev.pin);
    dev.irq = route?.gsi ?? 0;
  }
  pr_info("pci %s: [%04x:%04x] type %02x class 0x%06x\n", dev.name, dev.vendor, dev.device, dev.hdr_type, dev.class);
  dev.resource.forEach((r, i) => {
    if (r.flags !== 0) pr_info("pci %s: BAR %d %s\n", dev.name, i, describe_resource(r));
  });
  return dev;
}

/** Scan the root bus of every ECAM window (no bridges are modelled, so one bus each). */
export function pci_scan_root_bus(): readonly PciDevice[] {
  const st = pci_state.get();
  for (const mcfg of this_kernel().platform.firmware.mcfg) {
    const bus = mcfg.start_bus;
    pr_info("PCI: MMCONFIG for domain 0000 [bus %02x-%02x] at [mem 0x%08x]\n", mcfg.start_bus, mcfg.end_bus, mcfg.base);
    for (let slot = 0; slot < 32; slot++) {
      for (let fn = 0; fn < 8; fn++) {
        const devfn = PCI_DEVFN(slot, fn);
        if (pci_bus_read_config(bus, devfn, PCI_VENDOR_ID, 2) === 0xffff) {
          if (fn === 0) break;
          continue;
        }
        st.devices.push(pci_setup_device(bus, devfn));
        if (fn === 0 && (pci_bus_read_config(bus, devfn, PCI_HEADER_TYPE, 1) & PCI_HEADER_TYPE_MULTIFUNC) === 0) break;
      }
    }
  }
  return st.devices;
}

/** Every function found, in bus order. */
export function pci_devices(): readonly PciDevice[] {
  return pci_state.get().devices;
}

export function pci_get_slot(bus: number, devfn: number): PciDevice | undefined {
  return pci_state.get().devices.find((d) => d.bus === bus && d.devfn === devfn);
}
