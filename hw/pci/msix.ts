import {
  PCI_CAP_ID_MSIX,
  PCI_MSIX_ENTRY_CTRL_MASKBIT,
  PCI_MSIX_ENTRY_DATA,
  PCI_MSIX_ENTRY_LOWER_ADDR,
  PCI_MSIX_ENTRY_SIZE,
  PCI_MSIX_ENTRY_UPPER_ADDR,
  PCI_MSIX_ENTRY_VECTOR_CTRL,
  PCI_MSIX_FLAGS,
  PCI_MSIX_FLAGS_ENABLE,
  PCI_MSIX_FLAGS_MASKALL,
  PCI_MSIX_PBA,
  PCI_MSIX_TABLE,
} from "../../include/kernel/pci.ts";
import type { MemoryRegionOps } from "../address_space.ts";
import type { PciDevice } from "./pci_device.ts";

/**
 * MSI-X for a PCI function (PCI Local Bus 3.0 §6.8.2; QEMU hw/pci/msix.c): a 12-byte capability
 * (Message Control with the table size, Function Mask and Enable; the table's and the PBA's BAR
 * and offset), a table of 16-byte entries in a memory BAR (message address low/high, message data,
 * vector control whose bit 0 masks the entry — masked at reset) and a Pending Bit Array.
 *
 * msix_notify(n): when MSI-X is enabled, neither the function nor entry n masked, the function
 * sends entry n's message (a DWORD bus-master write of the data to the address, which the local
 * APIC takes as a vector); when masked it sets n's pending bit instead, and the message goes out
 * as soon as the mask is lifted. While MSI-X is enabled the function must not use INTx (the device
 * checks msix_enabled()). Device context (register writes, timers); never throws for guest input.
 */
export interface MsixLayout {
  /** Vectors in the table (1–2048). */
  readonly nentries: number;
  readonly table_bar: number;
  readonly table_offset: number;
  readonly pba_bar: number;
  readonly pba_offset: number;
}

/** QEMU's msix_init_exclusive_bar: table at 0, PBA at 0x800, in a BAR of its own (4 KiB here). */
export const MSIX_EXCLUSIVE_BAR_SIZE = 0x1000;
export const MSIX_EXCLUSIVE_PBA_OFFSET = 0x800;

export class Msix {
  readonly cap: number;
  readonly nentries: number;
  private readonly dev: PciDevice;
  private readonly table: Uint8Array;
  private readonly tv: DataView;
  private readonly pba: Uint8Array;
  /** Messages sent, and notifications held back by a mask (for tests and `~info`). */
  sent = 0;
  held = 0;
  /** Messages that went nowhere (no bus master, or an address nothing decodes). */
  lost = 0;

  constructor(dev: PciDevice, layout: MsixLayout) {
    const n = layout.nentries;
    if (!Number.isInteger(n) || n < 1 || n > 2048) throw new RangeError(`MSI-X table size ${n} is not 1-2048`);
    this.dev = dev;
    this.nentries = n;
    this.table = new Uint8Array(n * PCI_MSIX_ENTRY_SIZE);
    this.tv = new DataView(this.table.buffer);
    this.pba = new Uint8Array(Math.ceil(n / 64) * 8);
    this.cap = dev.add_capability(PCI_CAP_ID_MSIX, 12);
    const c = dev.config;
    const flags = n - 1;
    c[this.cap + PCI_MSIX_FLAGS] = flags & 0xff;
    c[this.cap + PCI_MSIX_FLAGS + 1] = flags >>> 8;
    const table = (layout.table_offset | layout.table_bar) >>> 0;
    const pba = (layout.pba_offset | layout.pba_bar) >>> 0;
    for (let i = 0; i < 4; i++) {
      c[this.cap + PCI_MSIX_TABLE + i] = (table >>> (8 * i)) & 0xff;
      c[this.cap + PCI_MSIX_PBA + i] = (pba >>> (8 * i)) & 0xff;
    }
    // Only Enable and Function Mask are writable (the high byte of Message Control).
    dev.cap_wmask(this.cap + PCI_MSIX_FLAGS, [0x00, (PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL) >>> 8]);
    this.reset();
  }

  private get control(): number {
    const c = this.dev.config;
    return c[this.cap + PCI_MSIX_FLAGS]! | (c[this.cap + PCI_MSIX_FLAGS + 1]! << 8);
  }

  msix_enabled(): boolean {
    return (this.control & PCI_MSIX_FLAGS_ENABLE) !== 0;
  }

  private function_masked(): boolean {
    return (this.control & PCI_MSIX_FLAGS_MASKALL) !== 0;
  }

  private entry_masked(n: number): boolean {
    return (this.table[n * PCI_MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_VECTOR_CTRL]! & PCI_MSIX_ENTRY_CTRL_MASKBIT) !== 0;
  }

  is_pending(n: number): boolean {
    return (this.pba[n >>> 3]! & (1 << (n & 7))) !== 0;
  }

  private set_pending(n: number, on: boolean): void {
    const bit = 1 << (n & 7);
    this.pba[n >>> 3] = on ? this.pba[n >>> 3]! | bit : this.pba[n >>> 3]! & ~bit;
  }

  /** msix_notify(): signal vector `n` (ignored when MSI-X is off or n is out of range). */
  notify(n: number): void {
    if (!this.msix_enabled() || n < 0 || n >= this.nentries) return;
    if (this.function_masked() || this.entry_masked(n)) {
      if (!this.is_pending(n)) this.held++;
      this.set_pending(n, true);
      return;
    }
    this.send(n);
  }

  private send(n: number): void {
    const e = n * PCI_MSIX_ENTRY_SIZE;
    const addr = this.tv.getUint32(e + PCI_MSIX_ENTRY_UPPER_ADDR, true) * 0x100000000 + this.tv.getUint32(e + PCI_MSIX_ENTRY_LOWER_ADDR, true);
    const data = this.tv.getUint32(e + PCI_MSIX_ENTRY_DATA, true);
    if (this.dev.msi_send(addr, data)) this.sent++;
    else this.lost++;
  }

  /** A mask was lifted: send what is pending and now deliverable (msix_handle_mask_update). */
  private flush_pending(): void {
    if (!this.msix_enabled() || this.function_masked()) return;
    for (let n = 0; n < this.nentries; n++) {
      if (this.is_pending(n) && !this.entry_masked(n)) {
        this.set_pending(n, false);
        this.send(n);
      }
    }
  }

  /** The device's config_written hook must call this: Message Control may have changed. */
  config_written(off: number, width: number): void {
    if (off + width > this.cap + PCI_MSIX_FLAGS && off < this.cap + PCI_MSIX_FLAGS + 2) this.flush_pending();
  }

  /** Table and PBA accesses, by offset within the BAR that holds them. */
  table_read(off: number, width: 1 | 2 | 4): number {
    if (off + width > this.table.length) return 0;
    return width === 4 ? this.tv.getUint32(off, true) : width === 2 ? this.tv.getUint16(off, true) : this.table[off]!;
  }

  table_write(off: number, width: 1 | 2 | 4, value: number): void {
    if (off + width > this.table.length) return;
    if (width === 4) this.tv.setUint32(off, value >>> 0, true);
    else if (width === 2) this.tv.setUint16(off, value & 0xffff, true);
    else this.table[off] = value & 0xff;
    // Only bit 0 of Vector Control is defined; the rest reads 0.
    const e = off - (off % PCI_MSIX_ENTRY_SIZE);
    this.tv.setUint32(e + PCI_MSIX_ENTRY_VECTOR_CTRL, this.tv.getUint32(e + PCI_MSIX_ENTRY_VECTOR_CTRL, true) & PCI_MSIX_ENTRY_CTRL_MASKBIT, true);
    this.flush_pending();
  }

  pba_read(off: number, width: 1 | 2 | 4): number {
    let v = 0;
    for (let i = 0; i < width; i++) v |= (this.pba[off + i] ?? 0) << (8 * i);
    return v >>> 0;
  }

  /**
   * The register interface of a BAR holding only the table (at 0) and the PBA (at
   * MSIX_EXCLUSIVE_PBA_OFFSET), as QEMU's msix_init_exclusive_bar lays them out. PBA writes are
   * ignored (it is read-only).
   */
  exclusive_bar_ops(): MemoryRegionOps {
    return {
      read: (off, width) => (off >= MSIX_EXCLUSIVE_PBA_OFFSET ? this.pba_read(off - MSIX_EXCLUSIVE_PBA_OFFSET, width) : this.table_read(off, width)),
      write: (off, width, value) => {
        if (off < MSIX_EXCLUSIVE_PBA_OFFSET) this.table_write(off, width, value);
      },
    };
  }

  /** Function reset: every entry masked and cleared, nothing pending, MSI-X off. */
  reset(): void {
    this.table.fill(0);
    for (let n = 0; n < this.nentries; n++) this.table[n * PCI_MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_VECTOR_CTRL] = PCI_MSIX_ENTRY_CTRL_MASKBIT;
    this.pba.fill(0);
    const c = this.dev.config;
    c[this.cap + PCI_MSIX_FLAGS + 1] = c[this.cap + PCI_MSIX_FLAGS + 1]! & ~((PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL) >>> 8);
  }
}
