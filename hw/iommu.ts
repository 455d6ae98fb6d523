import { IOMMU_READ, IOMMU_WRITE } from "../include/linux/iommu.ts";
import type { IrqPin } from "./ioapic.ts";

/**
 * A DMA remapping unit (`-machine iommu=on`; Intel VT-d's DMAR in spirit, reduced): it sits between
 * the PCI devices and memory and lets a device reach only the pages mapped for it, with the access
 * the mapping allows. Anything else is blocked — the device sees its transfer fail, as a VT-d
 * blocked request completes with Unsupported Request (a master abort to the device) — and a fault
 * is recorded and signalled on the unit's interrupt line.
 *
 * Reduced in two ways, both on purpose (listed in the README): bus addresses equal physical
 * addresses (an identity-mapped domain: only the permission is looked up), and the kernel programs
 * the per-device page permissions through calls (iommu_map / iommu_unmap) rather than page tables
 * in memory the unit walks. Permissions are per 4 KiB page, as the hardware's: mapping half a page
 * opens the whole page to the device.
 *
 * Device context (the DMA path) and kernel context (map, unmap, fault reading); never sleeps.
 */
/** VT-d fault reasons (Intel VT-d spec, appendix A): the two a missing permission gives. */
export const DMAR_FR_WRITE = 0x05;
export const DMAR_FR_READ = 0x06;

/** The unit records this many faults until software reads them (VT-d's fault recording registers). */
export const DMAR_FAULT_RECORDS = 8;

export interface DmarFault {
  /** Requester: bus 0, device/function. */
  readonly devfn: number;
  readonly addr: number;
  readonly write: boolean;
  readonly reason: number;
}

/** Per device: how many mappings let it read / write each page. */
class DeviceDomain {
  readonly readers: Uint16Array;
  readonly writers: Uint16Array;
  constructor(pages: number) {
    this.readers = new Uint16Array(pages);
    this.writers = new Uint16Array(pages);
  }
}

export class Iommu {
  private readonly pages: number;
  private readonly domains = new Map<number, DeviceDomain>();
  /** Translation enabled (VT-d GCMD.TE): until the kernel turns it on, DMA passes unchecked. */
  enabled = false;
  private readonly faults: DmarFault[] = [];
  /** Faults since power-on, and those lost because the records were full (VT-d FSTS.PFO). */
  fault_count = 0;
  fault_overflow = 0;
  private readonly irq: IrqPin;

  constructor(ram_size: number, irq: IrqPin) {
    this.pages = Math.ceil(ram_size / 4096);
    this.irq = irq;
  }

  private domain(devfn: number): DeviceDomain {
    let d = this.domains.get(devfn);
    if (d === undefined) {
      d = new DeviceDomain(this.pages);
      this.domains.set(devfn, d);
    }
    return d;
  }

  /** Let device `devfn` reach [addr, addr+len) with `prot` (IOMMU_READ | IOMMU_WRITE). Mappings nest. */
  map(devfn: number, addr: number, len: number, prot: number): void {
    this.adjust(devfn, addr, len, prot, 1);
  }

  /** Undo one map() of the same range and protection. */
  unmap(devfn: number, addr: number, len: number, prot: number): void {
    this.adjust(devfn, addr, len, prot, -1);
  }

  private adjust(devfn: number, addr: number, len: number, prot: number, by: number): void {
    if (len <= 0) return;
    const d = this.domain(devfn);
    const first = Math.max(0, Math.floor(addr / 4096));
    const last = Math.min(this.pages - 1, Math.floor((addr + len - 1) / 4096));
    for (let p = first; p <= last; p++) {
      if ((prot & IOMMU_READ) !== 0) d.readers[p] = Math.max(0, d.readers[p]! + by);
      if ((prot & IOMMU_WRITE) !== 0) d.writers[p] = Math.max(0, d.writers[p]! + by);
    }
  }

  /**
   * The DMA path asks: may device `devfn` read (or write) [addr, addr+len)? A refusal is recorded
   * as a fault on the first page that lacks the permission and signalled on the unit's line.
   */
  check(devfn: number, addr: number, len: number, write: boolean): boolean {
    if (!this.enabled) return true;
    const d = this.domains.get(devfn);
    const first = Math.floor(addr / 4096);
    const last = Math.floor((addr + len - 1) / 4096);
    for (let p = first; p <= last; p++) {
      const ok = d !== undefined && p < this.pages && (write ? d.writers[p]! : d.readers[p]!) > 0;
      if (!ok) {
        this.record(devfn, p * 4096, write);
        return false;
      }
    }
    return true;
  }

  private record(devfn: number, addr: number, write: boolean): void {
    this.fault_count++;
    if (this.faults.length >= DMAR_FAULT_RECORDS) {
      this.fault_overflow++;
      return;
    }
    this.faults.push({ devfn, addr: Math.floor(addr / 4096) * 4096, write, reason: write ? DMAR_FR_WRITE : DMAR_FR_READ });
    this.irq.raise();
  }

  /** Software reads (and clears) the oldest fault record; the line drops when none is left. */
  read_fault(): DmarFault | null {
    const f = this.faults.shift() ?? null;
    if (this.faults.length === 0) this.irq.lower();
    return f;
  }
}
