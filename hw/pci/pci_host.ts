import type { Iommu } from "../iommu.ts";
import { LocalApic } from "../lapic.ts";
import { PCI_CLASS_BRIDGE_HOST, PCI_DEVFN, PCI_COMMAND_IO, PCI_COMMAND_MEMORY, PCI_FUNC, PCI_SLOT, PCI_VENDOR_ID_INTEL } from "../../include/kernel/pci.ts";
import type { AddressSpace, MemoryRegionOps } from "../address_space.ts";
import type { IoApic } from "../ioapic.ts";
import type { PhysicalMemory } from "../phys_mem.ts";
import type { Tracer } from "../trace.ts";
import { PciDevice, type PciBus } from "./pci_device.ts";

/** The host bridge at 00:00.0: a Q35-style DRAM controller (8086:29C0), no BARs. */
export class HostBridge extends PciDevice {
  constructor() {
    super("host-bridge", {
      vendor: PCI_VENDOR_ID_INTEL,
      device: 0x29c0,
      revision: 0x02,
      class_code: PCI_CLASS_BRIDGE_HOST << 8,
      subsystem_vendor: 0x1af4,
      subsystem_id: 0x1100,
    });
  }
  reset(): void {}
}

/**
 * The PCI root complex: bus 0, configuration space through ECAM (4 KiB per function:
 * address bits 27:20 bus, 19:15 device, 14:12 function, 11:0 register), BAR decoding onto the
 * MMIO and I/O buses, and INTx routing to the I/O APIC. Absent functions read all ones.
 */
export class PciHost implements PciBus {
  readonly devices = new Map<number, PciDevice>();
  readonly mem: PhysicalMemory;
  readonly tracer: Tracer;
  private readonly mmio: AddressSpace;
  private readonly io: AddressSpace;
  private readonly ioapic: IoApic;
  private readonly route: (slot: number, pin: number) => number;
  /** Mapped BAR regions per device, so they can be unmapped when decode changes. */
  private readonly mapped = new Map<PciDevice, MemoryRegionOps[]>();

  /** Set by the machine when it has a DMA remapping unit (-machine iommu=on). */
  iommu: Iommu | null = null;
  /** Where message-signalled interrupts land (the machine's local APIC). */
  lapic: LocalApic | null = null;

  /**
   * A bus-master DWORD write from a function that is an interrupt message (MSI/MSI-X): the MSI
   * window goes to the local APIC; anything else is an ordinary memory write. False when nothing
   * took it (a master abort for the sender).
   */
  msi_write(dev: PciDevice, addr: number, data: number): boolean {
    if (LocalApic.is_msi_address(addr)) return this.lapic !== null && this.lapic.msi_write(addr, data);
    const b = Uint8Array.of(data & 0xff, (data >>> 8) & 0xff, (data >>> 16) & 0xff, data >>> 24);
    return dev.dma_write(addr, b, 0, 4);
  }

  constructor(mem: PhysicalMemory, mmio: AddressSpace, io: AddressSpace, ioapic: IoApic, tracer: Tracer, route: (slot: number, pin: number) => number) {
    this.mem = mem;
    this.mmio = mmio;
    this.io = io;
    this.ioapic = ioapic;
    this.tracer = tracer;
    this.route = route;
    this.plug(new HostBridge(), 0, 0);
  }

  /** Put `dev` in slot `slot`, function `fn`. One line per device in the machine description. */
  plug(dev: PciDevice, slot: number, fn = 0): void {
    const devfn = PCI_DEVFN(slot, fn);
    if (slot < 0 || slot > 31 || fn < 0 || fn > 7) throw new RangeError(`bad PCI address ${slot}.${fn}`);
    if (this.devices.has(devfn)) throw new Error(`PCI slot 00:${hex2(slot)}.${fn} is taken by ${this.devices.get(devfn)!.name}`);
    dev.bus = this;
    dev.devfn = devfn;
    const pin = dev.config[0x3d]!;
    if (pin >= 1 && pin <= 4) dev.irq_pin = this.ioapic.pin(this.route(slot, pin));
    this.devices.set(devfn, dev);
    // Function 0 of a slot with several functions advertises it in its header type.
    const f0 = this.devices.get(PCI_DEVFN(slot, 0));
    if (f0 !== undefined) f0.set_multifunction([...this.devices.keys()].some((d) => PCI_SLOT(d) === slot && PCI_FUNC(d) !== 0));
    dev.realize();
  }

  find(slot: number, fn = 0): PciDevice | undefined {
    return this.devices.get(PCI_DEVFN(slot, fn));
  }

  /** The ECAM window's register interface. */
  readonly ecam: MemoryRegionOps = {
    read: (off, width) => {
      const dev = this.decode(off);
      if (dev === undefined) return width === 4 ? 0xffffffff : width === 2 ? 0xffff : 0xff;
      return dev.bus_config_read(off & 0xfff, width);
    },
    write: (off, width, value) => {
      this.decode(off)?.bus_config_write(off & 0xfff, width, value);
    },
  };

  private decode(off: number): PciDevice | undefined {
    if (off >>> 20 !== 0) return undefined; // only bus 0 is populated
    return this.devices.get((off >>> 12) & 0xff);
  }

  update_mappings(dev: PciDevice): void {
    for (const ops of this.mapped.get(dev) ?? []) {
      this.mmio.unmap(ops);
      this.io.unmap(ops);
    }
    const now: MemoryRegionOps[] = [];
    const cmd = dev.command;
    for (let i = 0; i < dev.bars.length; i++) {
      const bar = dev.bars[i];
      if (bar === undefined) continue;
      const is_io = bar.kind === "io";
      if ((cmd & (is_io ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY)) === 0) continue;
      const addr = dev.bar_address(i);
      // An unassigned BAR (0) or one caught mid-sizing (all ones) decodes nothing useful.
      if (addr === 0 || addr + bar.size > (is_io ? 0x10000 : 2 ** 64)) continue;
      const space = is_io ? this.io : this.mmio;
      if (!space.try_map(addr, bar.size, `${dev.name} BAR${i}`, bar.ops)) {
        this.tracer.warn(`${dev.name}: BAR${i} at 0x${addr.toString(16)} (size 0x${bar.size.toString(16)}) overlaps another mapping; not decoded`);
        continue;
      }
      now.push(bar.ops);
    }
    this.mapped.set(dev, now);
  }
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, "0");
}
