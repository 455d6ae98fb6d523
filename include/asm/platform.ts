/**
 * The contract between the machine (hw/) and the kernel: what a real kernel learns from the
 * firmware (e820, ACPI MCFG/MADT/_PRT) and the instructions it uses to reach hardware
 * (loads/stores to physical addresses, the I/O APIC, the TSC and the local APIC timer).
 *
 * Declarations only. boot/ builds a Platform out of a hw/ machine and hands it to
 * start_kernel(); nothing in kernel/, drivers/, net/ or userland/ ever sees a device object.
 */
import type { HostFsOps } from "./hostfs.ts";

/** e820 address range types (ACPI 6.5, table 15.312 "Address Range Types"). */
export const E820_TYPE_RAM = 1;
export const E820_TYPE_RESERVED = 2;
export const E820_TYPE_ACPI = 3;
export const E820_TYPE_NVS = 4;

export interface E820Entry {
  readonly addr: number;
  readonly size: number;
  readonly type: number;
}

/** One ECAM window, as an ACPI MCFG "configuration space base address allocation" entry. */
export interface McfgAllocation {
  readonly base: number;
  readonly segment: number;
  readonly start_bus: number;
  readonly end_bus: number;
}

/** One PCI interrupt routing entry, as ACPI _PRT describes it: (slot, INTx pin) → GSI. */
export interface PciIrqRoute {
  readonly bus: number;
  readonly slot: number;
  /** 1 = INTA# … 4 = INTD#, as the Interrupt Pin config register numbers them. */
  readonly pin: number;
  readonly gsi: number;
}

/** An address window the firmware set aside for PCI BARs. */
export interface ResourceWindow {
  readonly base: number;
  readonly size: number;
}

/** What the firmware tells the kernel about the machine (the BIOS/ACPI step). */
export interface FirmwareTables {
  /** The physical memory map, sorted by address. */
  readonly e820: readonly E820Entry[];
  /** ECAM windows (MCFG). */
  readonly mcfg: readonly McfgAllocation[];
  /** Number of I/O APIC input lines (MADT). */
  readonly ioapic_lines: number;
  /** Lines that are edge-triggered (MADT interrupt source overrides); all others are level. */
  readonly edge_gsis: readonly number[];
  /** GSI of the local timer (the clockevent device). */
  readonly timer_gsi: number;
  /** PCI INTx routing (_PRT). */
  readonly pci_irq_routes: readonly PciIrqRoute[];
  /** Windows the firmware assigned BARs from (_CRS of the host bridge). */
  readonly pci_mmio_window: ResourceWindow;
  readonly pci_io_window: ResourceWindow;
  /** The kernel command line. */
  readonly cmdline: string;
  /**
   * Whether devices snoop the CPU's caches (ACPI _CCA / the device tree's `dma-coherent`): true on
   * x86; false on a non-coherent SoC, where streaming DMA needs cache maintenance.
   */
  readonly dma_coherent: boolean;
  /** The DMA remapping unit (ACPI DMAR table), or null when the machine has none. */
  readonly dmar: { readonly fault_gsi: number } | null;
}

/** Interrupt controller programming (I/O APIC redirection entries and EOI). */
export interface IrqChipOps {
  mask(gsi: number): void;
  unmask(gsi: number): void;
  /** End of interrupt: the line may be delivered again. */
  eoi(gsi: number): void;
  /** Whether the input is currently asserted (level lines), as the redirection entry's status. */
  is_asserted(gsi: number): boolean;
}

/**
 * The CPU's view of the kernel: where interrupts are delivered and where it resumes the
 * instruction stream. Installed once by the kernel (the analogue of loading the IDT).
 */
export interface CpuEntry {
  /** Deliver interrupt `gsi` (hard-IRQ context). The kernel must EOI it. */
  interrupt(gsi: number): void;
  /**
   * Deliver the message-signalled interrupt `vector` (32–255) the local APIC accepted (hard-IRQ
   * context). The kernel must EOI it (PlatformOps.lapic_eoi).
   */
  vector_interrupt(vector: number): void;
  /**
   * Run the kernel for one slice: pending soft interrupts and one step of one task.
   * Returns false when the kernel has nothing to run (it would execute `hlt`).
   */
  step(): boolean | Promise<boolean>;
}

export interface PlatformOps {
  /**
   * Physical RAM from address 0: the kernel's direct map. The buffer may run on past RAM (it also
   * holds devices' on-chip memory); only what the e820 map calls RAM is the kernel's.
   */
  readonly ram: ArrayBuffer;
  /** A load from a physical address that is not RAM (MMIO). Width in bytes: 1, 2 or 4. */
  mmio_read(addr: number, width: 1 | 2 | 4): number;
  /** A store to a physical address that is not RAM (MMIO). */
  mmio_write(addr: number, width: 1 | 2 | 4, value: number): void;
  /** Port I/O (in/out instructions). */
  io_read(port: number, width: 1 | 2 | 4): number;
  io_write(port: number, width: 1 | 2 | 4, value: number): void;
  readonly irqchip: IrqChipOps;
  /** The clocksource (TSC analogue): nanoseconds since power-on. */
  read_clock_ns(): number;
  /**
   * The battery-backed real-time clock (the CMOS RTC that x86's read_persistent_clock64 reads at
   * boot): wall-clock nanoseconds since the Unix epoch, read once by timekeeping.
   */
  read_persistent_clock_ns(): number;
  /** The clockevent device (local APIC timer in TSC-deadline mode): one shot at an absolute time. */
  set_timer_deadline(deadline_ns: number): void;
  /** Spin the CPU for `ns` nanoseconds (udelay): time passes, device events fire, no interrupts are taken. */
  delay_ns(ns: number): void;
  /**
   * Account `ns` of CPU work done in the current step (system calls that did not sleep): added to
   * the machine's clock after the step in `virtual` mode, as the run loop's own per-step charge is;
   * in `realtime` mode the host's time already is the cost.
   */
  charge_ns(ns: number): void;
  /** Install the kernel's entry points on the CPU. */
  set_cpu_entry(entry: CpuEntry): void;
  /** The console (serial port): output from printk and userland. */
  console_write(text: string): void;
  /** ACPI S5: the machine turns off; its run loop stops. */
  power_off(code: number): void;
  /**
   * Data-cache maintenance by physical address over whole lines (arm64 DC CVAC / DC IVAC to the
   * point of coherency): clean writes the CPU's copy back to memory, invalidate drops it. No-ops on
   * a coherent machine.
   */
  dcache_clean_poc(addr: number, len: number): void;
  dcache_inval_poc(addr: number, len: number): void;
  /** End of interrupt for the vector the local APIC has in service (a write to its EOI register). */
  lapic_eoi(): void;
  /** Map `npages` pages from `pfn` uncached (coherent DMA memory) or cacheable again. */
  set_memory_uncached(pfn: number, npages: number, uncached: boolean): void;
  /**
   * The DMA remapping unit (when firmware.dmar says there is one): translation on or off (VT-d
   * GCMD.TE), the pages device `devfn` may read (prot 1) or write (prot 2) — identity-mapped, see
   * hw/iommu.ts — and the oldest fault record, read and cleared (null when none).
   */
  iommu_enable(on: boolean): void;
  iommu_map(devfn: number, addr: number, len: number, prot: number): void;
  iommu_unmap(devfn: number, addr: number, len: number, prot: number): void;
  iommu_read_fault(): { readonly devfn: number; readonly addr: number; readonly write: boolean; readonly reason: number } | null;
  /**
   * A host directory shared with the machine (`--share DIR`), reached through host calls as User-Mode
   * Linux reaches the host's files (include/asm/hostfs.ts); absent when nothing is shared and in a
   * browser. The kernel mounts it at /mnt/host (kernel/fs/hostfs.ts).
   */
  readonly hostfs?: HostFsOps;
}

export interface Platform {
  readonly firmware: FirmwareTables;
  readonly ops: PlatformOps;
}
