import type { HostFsOps } from "../include/asm/hostfs.ts";
import type { FirmwareTables, Platform, PlatformOps } from "../include/asm/platform.ts";
import { AddressSpace } from "./address_space.ts";
import type { VirtualClock } from "./clock.ts";
import { Cpu } from "./cpu.ts";
import { build_firmware_tables, MEMORY_MAP, pci_bios_init, pci_intx_gsi } from "./firmware.ts";
import { IoApic, IOAPIC_NR_LINES } from "./ioapic.ts";
import { LapicTimer } from "./lapic_timer.ts";
import { PciHost } from "./pci/pci_host.ts";
import { Iommu } from "./iommu.ts";
import { LocalApic } from "./lapic.ts";
import { PhysicalMemory } from "./phys_mem.ts";
import { Uart16550, UART_COM1_BASE, UART_COM1_GSI } from "./serial.ts";
import { Tracer } from "./trace.ts";

export const DEFAULT_MEM_SIZE = 128 * 1024 * 1024;
export const MIN_MEM_SIZE = 4 * 1024 * 1024;
/** RAM must end below the ECAM window. */
export const MAX_MEM_SIZE = 1024 * 1024 * 1024;

export interface MachineConfig {
  /** Bytes of RAM; a multiple of 4096 between MIN_MEM_SIZE and MAX_MEM_SIZE. */
  mem_size?: number;
  /** Name used in trace lines when several machines share a world. */
  name?: string;
  cmdline?: string;
  /** Where trace and warning lines go (default: kept in the tracer's history only). */
  trace_sink?: (line: string) => void;
  /** Where console output goes (default: kept in `console_output`). */
  console_sink?: (text: string) => void;
  /**
   * Devices snoop the CPU's caches (default true, as on x86). False models a non-coherent SoC
   * (`-machine dma-coherent=off`): hw/cpu_cache.ts.
   */
  dma_coherent?: boolean;
  /** A DMA remapping unit between PCI devices and memory (`-machine iommu=on`): hw/iommu.ts. */
  iommu?: boolean;
}

/**
 * One PC: RAM, the MMIO and port-I/O buses, an I/O APIC, the CPU and its local timer, and a
 * console. It owns no kernel logic; `platform()` is the board wiring that a kernel boots on.
 */
export class Machine {
  readonly name: string;
  readonly clock: VirtualClock;
  readonly tracer: Tracer;
  readonly mem: PhysicalMemory;
  /** The DMA remapping unit, or null (`-machine iommu=on`). */
  readonly iommu: Iommu | null = null;
  readonly mmio: AddressSpace;
  readonly io: AddressSpace;
  readonly ioapic: IoApic;
  /** The local APIC's MSI acceptance (hw/lapic.ts). */
  readonly lapic: LocalApic;
  readonly cpu: Cpu;
  readonly timer: LapicTimer;
  readonly pci: PciHost;
  readonly uart: Uart16550;
  /** The kernel command line the firmware hands over (set before platform() runs). */
  cmdline: string;
  /**
   * The host directory shared with the machine (`--share`), or null: the host calls hostfs makes
   * (include/asm/hostfs.ts; boot/hostfs_node.ts on Node). Set before platform() runs.
   */
  hostfs: HostFsOps | null = null;
  private firmware_done = false;
  powered_off = false;
  exit_code = 0;
  /** Console output when no sink was given. */
  console_output = "";
  private readonly console_sink: ((text: string) => void) | null;
  /** Called by the world when this machine turns itself off. */
  on_power_off: (() => void) | null = null;
  /**
   * The RTC's time at power-on (QEMU's `-rtc base=utc`: the host's clock when the machine was
   * made), in nanoseconds since the epoch; it then runs with the machine's clock.
   */
  readonly rtc_base_ns = Date.now() * 1e6;

  constructor(clock: VirtualClock, config: MachineConfig = {}) {
    const mem_size = config.mem_size ?? DEFAULT_MEM_SIZE;
    if (!Number.isInteger(mem_size) || mem_size % 4096 !== 0 || mem_size < MIN_MEM_SIZE || mem_size > MAX_MEM_SIZE) {
      throw new RangeError(`memory size must be a multiple of 4 KiB between ${MIN_MEM_SIZE >> 20} MiB and ${MAX_MEM_SIZE >> 20} MiB`);
    }
    this.name = config.name ?? "machine";
    this.clock = clock;
    this.cmdline = config.cmdline ?? "";
    this.tracer = new Tracer(config.trace_sink);
    this.mem = new PhysicalMemory(mem_size, this.tracer, config.dma_coherent ?? true);
    this.mmio = new AddressSpace("mmio", this.tracer);
    this.io = new AddressSpace("io", this.tracer);
    const view = this.mem.view;
    this.mmio.map(0, mem_size, "system RAM", {
      read: (off, width) => (width === 4 ? view.getUint32(off, true) : width === 2 ? view.getUint16(off, true) : view.getUint8(off)),
      write: (off, width, v) => {
        if (width === 4) view.setUint32(off, v >>> 0, true);
        else if (width === 2) view.setUint16(off, v & 0xffff, true);
        else view.setUint8(off, v & 0xff);
      },
    });
    this.ioapic = new IoApic(IOAPIC_NR_LINES);
    this.ioapic.set_edge(MEMORY_MAP.TIMER_GSI, true);
    this.lapic = new LocalApic();
    this.cpu = new Cpu(this.ioapic, this.lapic);
    this.timer = new LapicTimer(clock, this.ioapic.pin(MEMORY_MAP.TIMER_GSI));
    this.console_sink = config.console_sink ?? null;
    this.pci = new PciHost(this.mem, this.mmio, this.io, this.ioapic, this.tracer, pci_intx_gsi);
    this.pci.lapic = this.lapic;
    this.mmio.map(MEMORY_MAP.ECAM_BASE, MEMORY_MAP.ECAM_BUSES << 20, "pci-ecam", this.pci.ecam);
    if (config.iommu === true) {
      this.iommu = new Iommu(mem_size, this.ioapic.pin(MEMORY_MAP.DMAR_GSI));
      this.pci.iommu = this.iommu;
    }
    this.ioapic.set_edge(UART_COM1_GSI, true);
    this.uart = new Uart16550(this.ioapic.pin(UART_COM1_GSI), (text) => this.console_write(text));
    this.io.map(UART_COM1_BASE, 8, "serial0", this.uart);
  }

  firmware(): FirmwareTables {
    return build_firmware_tables(this);
  }

  /**
   * Run the firmware (once) and return the board wiring handed to the kernel: PCI BARs get
   * addresses, interrupt lines are routed, and the tables describe what was done.
   */
  platform(): Platform {
    const m = this;
    if (!this.firmware_done) {
      pci_bios_init(this);
      this.firmware_done = true;
    }
    const ops: PlatformOps = {
      ram: m.mem.buffer,
      mmio_read: (addr, width) => m.mmio.read(addr, width),
      mmio_write: (addr, width, value) => m.mmio.write(addr, width, value),
      io_read: (port, width) => m.io.read(port, width),
      io_write: (port, width, value) => m.io.write(port, width, value),
      irqchip: m.ioapic,
      read_clock_ns: () => m.clock.now_ns(),
      read_persistent_clock_ns: () => m.rtc_base_ns + m.clock.now_ns(),
      set_timer_deadline: (deadline_ns) => m.timer.set_deadline(deadline_ns),
      // Busy-waiting: the CPU spins, so the clock moves and devices progress; interrupts stay
      // pending until the kernel's step ends (they are taken between steps).
      delay_ns: (ns) => {
        if (ns > 0) m.clock.advance_to(m.clock.now_ns() + ns);
      },
      charge_ns: (ns) => {
        if (ns > 0) m.cpu.charge_ns += ns;
      },
      set_cpu_entry: (entry) => m.cpu.set_entry(entry),
      console_write: (text) => m.console_write(text),
      power_off: (code) => m.power_off(code),
      lapic_eoi: () => m.lapic.eoi(),
      dcache_clean_poc: (addr, len) => m.mem.cache?.clean(addr, len),
      dcache_inval_poc: (addr, len) => m.mem.cache?.invalidate(addr, len),
      set_memory_uncached: (pfn, npages, uncached) => m.mem.cache?.set_uncached(pfn, npages, uncached),
      iommu_enable: (on) => {
        if (m.iommu !== null) m.iommu.enabled = on;
      },
      iommu_map: (devfn, addr, len, prot) => m.iommu?.map(devfn, addr, len, prot),
      iommu_unmap: (devfn, addr, len, prot) => m.iommu?.unmap(devfn, addr, len, prot),
      iommu_read_fault: () => m.iommu?.read_fault() ?? null,
      ...(m.hostfs !== null ? { hostfs: m.hostfs } : {}),
    };
    return { firmware: this.firmware(), ops };
  }

  console_write(text: string): void {
    if (this.console_sink !== null) this.console_sink(text);
    else this.console_output += text;
  }

  power_off(code: number): void {
    if (this.powered_off) return;
    this.powered_off = true;
    this.exit_code = code;
    this.on_power_off?.();
  }
}
