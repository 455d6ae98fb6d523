import type { Iommu } from "../iommu.ts";
import {
  PCI_BASE_ADDRESS_0,
  PCI_BASE_ADDRESS_MEM_PREFETCH,
  PCI_BASE_ADDRESS_MEM_TYPE_64,
  PCI_BASE_ADDRESS_SPACE_IO,
  PCI_CACHE_LINE_SIZE,
  PCI_CAP_LIST_NEXT,
  PCI_CAPABILITY_LIST,
  PCI_CFG_SPACE_EXP_SIZE,
  PCI_CFG_SPACE_SIZE,
  PCI_CLASS_PROG,
  PCI_COMMAND,
  PCI_COMMAND_INTX_DISABLE,
  PCI_COMMAND_IO,
  PCI_COMMAND_MASTER,
  PCI_COMMAND_MEMORY,
  PCI_COMMAND_SERR,
  PCI_DEVICE_ID,
  PCI_HEADER_TYPE,
  PCI_INTERRUPT_LINE,
  PCI_INTERRUPT_PIN,
  PCI_LATENCY_TIMER,
  PCI_REVISION_ID,
  PCI_STATUS,
  PCI_STATUS_CAP_LIST,
  PCI_STATUS_ERROR_BITS,
  PCI_STATUS_INTERRUPT,
  PCI_SUBSYSTEM_ID,
  PCI_SUBSYSTEM_VENDOR_ID,
  PCI_VENDOR_ID,
} from "../../include/kernel/pci.ts";
import type { MemoryRegionOps } from "../address_space.ts";
import type { IrqPin } from "../ioapic.ts";
import type { PhysicalMemory } from "../phys_mem.ts";
import type { Tracer } from "../trace.ts";

export type BarKind = "mem32" | "mem64" | "io";

/** PCI Status: Signaled Target Abort (bit 11) — the function ended a transaction it could not complete. */
export const PCI_STATUS_SIG_TARGET_ABORT = 0x0800;
/** PCI Status: Received Master Abort (bit 13) — a DMA the function mastered hit no target. */
export const PCI_STATUS_REC_MASTER_ABORT = 0x2000;

/** What a read of `width` bytes returns when nobody (or nothing sane) answers. */
export function all_ones(width: number): number {
  return width === 4 ? 0xffffffff : width === 2 ? 0xffff : 0xff;
}

export interface PciBarDef {
  readonly kind: BarKind;
  /** Power of two: 16 bytes or more for memory, 4 or more for I/O. */
  readonly size: number;
  readonly prefetchable?: boolean;
  readonly name: string;
  readonly ops: MemoryRegionOps;
}

export interface PciIdentity {
  vendor: number;
  device: number;
  revision: number;
  /** 24-bit class code: base class, subclass, programming interface. */
  class_code: number;
  subsystem_vendor?: number;
  subsystem_id?: number;
  /** 1 = INTA# … 4 = INTD#, 0 = no interrupt. */
  interrupt_pin?: number;
}

/** What a function needs from the bus it is plugged into. */
export interface PciBus {
  readonly mem: PhysicalMemory;
  readonly tracer: Tracer;
  /** The DMA remapping unit between the bus and memory, if the machine has one (hw/iommu.ts). */
  readonly iommu: Iommu | null;
  /** Deliver an interrupt message (MSI/MSI-X): a DWORD write of `data` to `addr` by `dev`. */
  msi_write(dev: PciDevice, addr: number, data: number): boolean;
  /** Decode settings changed (command register or a BAR): remap this function's BARs. */
  update_mappings(dev: PciDevice): void;
}

/**
 * A PCI function (QEMU's PCIDevice): 4 KiB of configuration space with real register semantics —
 * read-only ID fields, write masks, write-1-to-clear status bits, BARs that answer a write of all
 * ones with their size mask, a capabilities list — plus INTx and bus-master-gated DMA.
 */
export abstract class PciDevice {
  readonly name: string;
  readonly config = new Uint8Array(PCI_CFG_SPACE_EXP_SIZE);
  /** Bits software may change. */
  private readonly wmask = new Uint8Array(PCI_CFG_SPACE_EXP_SIZE);
  /** Bits a write of 1 clears. */
  private readonly w1cmask = new Uint8Array(PCI_CFG_SPACE_EXP_SIZE);
  readonly bars: (PciBarDef | undefined)[] = [undefined, undefined, undefined, undefined, undefined, undefined];
  bus: PciBus | null = null;
  devfn = -1;
  irq_pin: IrqPin | null = null;
  /** The level the function drives on its INTx pin (before INTx Disable). */
  private intx_level = false;
  private next_cap = 0x40;
  /**
   * Exceptions caught where the bus enters this model (MMIO, I/O and config accesses; devices also
   * guard their wire and timer entry points with model_error). Each is a model bug: the access is
   * ignored (reads return all ones, as for a transaction the function aborted), PCI Status gets
   * Signaled Target Abort, and a warning naming the register and the exception is printed once.
   */
  model_errors = 0;
  last_model_error = "";
  /**
   * Surprise removal (the card was pulled, or the link to it is gone): the function decodes
   * nothing. MMIO/I/O reads return all ones and writes vanish (the master abort a read of an
   * absent target gets), config reads return all ones, DMA stops, and INTx is released: a
   * removed card drives nothing, and INTx# is an open-drain line that the board's pull-up returns
   * to the deasserted level (PCI Local Bus 3.0 §2.2.6). Only a machine reset brings it back.
   */
  removed = false;
  /** Accesses that found the function removed (they read all ones). */
  removed_accesses = 0;

  constructor(name: string, id: PciIdentity) {
    this.name = name;
    const c = this.config;
    this.set16(PCI_VENDOR_ID, id.vendor);
    this.set16(PCI_DEVICE_ID, id.device);
    c[PCI_REVISION_ID] = id.revision;
    c[PCI_CLASS_PROG] = id.class_code & 0xff;
    this.set16(PCI_CLASS_PROG + 1, (id.class_code >> 8) & 0xffff);
    this.set16(PCI_SUBSYSTEM_VENDOR_ID, id.subsystem_vendor ?? 0);
    this.set16(PCI_SUBSYSTEM_ID, id.subsystem_id ?? 0);
    c[PCI_INTERRUPT_PIN] = id.interrupt_pin ?? 0;
    this.set16(PCI_STATUS, 0x0200); // DEVSEL medium timing, as QEMU reports
    // Writable: command (IO, MEM, MASTER, SERR, INTx disable), cache line, latency, interrupt line.
    this.set_wmask16(PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE);
    this.wmask[PCI_CACHE_LINE_SIZE] = 0xff;
    this.wmask[PCI_LATENCY_TIMER] = 0xff;
    this.wmask[PCI_INTERRUPT_LINE] = 0xff;
    this.w1cmask[PCI_STATUS] = PCI_STATUS_ERROR_BITS & 0xff;
    this.w1cmask[PCI_STATUS + 1] = PCI_STATUS_ERROR_BITS >> 8;
    // Device-specific space 0x40-0xFF is plain read/write, as QEMU makes it; capabilities take
    // their part of it back as read-only.
    this.wmask.fill(0xff, 0x40, PCI_CFG_SPACE_SIZE);
  }

  private set16(off: number, v: number): void {
    this.config[off] = v & 0xff;
    this.config[off + 1] = (v >> 8) & 0xff;
  }

  private set_wmask16(off: number, v: number): void {
    this.wmask[off] = v & 0xff;
    this.wmask[off + 1] = (v >> 8) & 0xff;
  }

  /** Declare BAR `index`. A 64-bit BAR takes index and index + 1. */
  protected register_bar(index: number, def: PciBarDef): void {
    const off = PCI_BASE_ADDRESS_0 + 4 * index;
    let flags: number;
    let mask: number;
    if (def.kind === "io") {
      flags = PCI_BASE_ADDRESS_SPACE_IO;
      mask = ~(def.size - 1) & ~0x3;
    } else {
      flags = (def.kind === "mem64" ? PCI_BASE_ADDRESS_MEM_TYPE_64 : 0) | (def.prefetchable ? PCI_BASE_ADDRESS_MEM_PREFETCH : 0);
      mask = ~(def.size - 1) & ~0xf;
    }
    this.bars[index] = { ...def, ops: this.guard_bar(index, def) };
    for (let i = 0; i < 4; i++) {
      this.config[off + i] = (flags >>> (8 * i)) & 0xff;
      this.wmask[off + i] = (mask >>> (8 * i)) & 0xff;
    }
    if (def.kind === "mem64") this.wmask.fill(0xff, off + 4, off + 8); // upper 32 address bits
  }

  /**
   * The boundary between the bus and the model for BAR `index`: what the address space calls. A
   * removed function answers all ones; an exception from the model becomes device state.
   */
  private guard_bar(index: number, def: PciBarDef): MemoryRegionOps {
    const ops = def.ops;
    const space = def.kind === "io" ? "I/O" : "MMIO";
    return {
      read: (off, width) => {
        if (this.removed) {
          this.removed_accesses++;
          return all_ones(width);
        }
        try {
          return ops.read(off, width);
        } catch (e) {
          this.model_error(`${space} read of ${this.reg_name(index, off)}`, e);
          return all_ones(width);
        }
      },
      write: (off, width, value) => {
        if (this.removed) {
          this.removed_accesses++;
          return;
        }
        try {
          ops.write(off, width, value);
        } catch (e) {
          const reg = this.reg_name(index, off);
          this.model_error(`${space} write of 0x${(value >>> 0).toString(16)} to ${reg}`, e, `${space} write ${reg}`);
        }
      },
    };
  }

  /** A register's name for warnings (devices override with their register map). */
  protected reg_name(bar: number, off: number): string {
    return `BAR${bar}+0x${off.toString(16)}`;
  }

  /**
   * An exception escaped from the model at `where`: count it, flag Signaled Target Abort in PCI
   * Status (the guest's view: the function aborted the transaction) and warn once per place.
   */
  model_error(where: string, e: unknown, key = where): void {
    this.model_errors++;
    const what = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    this.last_model_error = `${where}: ${what}`;
    this.config[PCI_STATUS + 1] = this.config[PCI_STATUS + 1]! | (PCI_STATUS_SIG_TARGET_ABORT >> 8);
    this.bus?.tracer.warn_once(`${this.name}:model:${key}`, `${this.name}: device model error on ${where}: ${what} (ignored; this is a bug in the model, please report it)`);
  }

  /** Configuration read as the bus performs it (ECAM): removal and model errors handled. */
  bus_config_read(off: number, width: 1 | 2 | 4): number {
    if (this.removed) {
      this.removed_accesses++;
      return all_ones(width);
    }
    try {
      this.config_reading(off, width);
      return this.config_read(off, width);
    } catch (e) {
      this.model_error(`config read at 0x${off.toString(16)}`, e);
      return all_ones(width);
    }
  }

  /** Configuration write as the bus performs it. */
  bus_config_write(off: number, width: 1 | 2 | 4, value: number): void {
    if (this.removed) {
      this.removed_accesses++;
      return;
    }
    try {
      this.config_write(off, width, value);
    } catch (e) {
      this.model_error(`config write of 0x${(value >>> 0).toString(16)} at 0x${off.toString(16)}`, e, `config write 0x${off.toString(16)}`);
    }
  }

  /**
   * Pull the card (fault injection: surprise removal). The function stops decoding, mastering and
   * interrupting; `surprise_removed()` lets the device stop its own timers.
   */
  surprise_remove(): void {
    if (this.removed) return;
    this.removed = true;
    this.intx_level = false;
    this.irq_pin?.set(false);
    this.surprise_removed();
  }

  /** Device hook: the function was just removed (stop timers, drop the link). */
  protected surprise_removed(): void {}

  /**
   * Add a capability with ID `id` and `size` bytes (header included) to the list. Returns its
   * offset. The body is read-only unless the device marks bytes writable with `cap_wmask`.
   */
  add_capability(id: number, size: number): number {
    const off = this.next_cap;
    if (off + size > PCI_CFG_SPACE_SIZE) throw new Error(`${this.name}: no room for capability ${id}`);
    this.next_cap = (off + size + 3) & ~3;
    this.wmask.fill(0, off, off + size);
    this.config[off] = id;
    // Linked at the head of the list, as QEMU's pci_add_capability does: lspci shows the last one
    // added first.
    this.config[off + PCI_CAP_LIST_NEXT] = this.config[PCI_CAPABILITY_LIST]!;
    this.config[PCI_CAPABILITY_LIST] = off;
    this.config[PCI_STATUS] = this.config[PCI_STATUS]! | PCI_STATUS_CAP_LIST;
    return off;
  }

  /** Make bytes of a capability writable: `bytes[i]` is the write mask of config[off + i]. */
  cap_wmask(off: number, bytes: number[]): void {
    for (let i = 0; i < bytes.length; i++) this.wmask[off + i] = bytes[i]!;
  }

  set_multifunction(on: boolean): void {
    const h = this.config[PCI_HEADER_TYPE]!;
    this.config[PCI_HEADER_TYPE] = on ? h | 0x80 : h & 0x7f;
  }

  /** Configuration read of 1, 2 or 4 bytes (little-endian). */
  config_read(off: number, width: 1 | 2 | 4): number {
    if (off < 0 || off + width > PCI_CFG_SPACE_EXP_SIZE) return width === 4 ? 0xffffffff : (1 << (8 * width)) - 1;
    const c = this.config;
    if (width === 1) return c[off]!;
    if (width === 2) return c[off]! | (c[off + 1]! << 8);
    return (c[off]! | (c[off + 1]! << 8) | (c[off + 2]! << 16) | (c[off + 3]! << 24)) >>> 0;
  }

  /** Configuration write, applying write masks and write-1-to-clear bits byte by byte. */
  config_write(off: number, width: 1 | 2 | 4, value: number): void {
    if (off < 0 || off + width > PCI_CFG_SPACE_EXP_SIZE) return;
    const old_cmd = this.command;
    let touched_bar = false;
    for (let i = 0; i < width; i++) {
      const a = off + i;
      const v = (value >>> (8 * i)) & 0xff;
      const wm = this.wmask[a]!;
      const w1c = this.w1cmask[a]!;
      this.config[a] = ((this.config[a]! & ~wm) | (v & wm)) & ~(v & w1c);
      if (a >= PCI_BASE_ADDRESS_0 && a < PCI_BASE_ADDRESS_0 + 24) touched_bar = true;
    }
    const cmd = this.command;
    if (cmd !== old_cmd) {
      if ((cmd ^ old_cmd) & PCI_COMMAND_INTX_DISABLE) this.update_intx();
      this.command_changed(old_cmd, cmd);
    }
    if (touched_bar || ((cmd ^ old_cmd) & (PCI_COMMAND_IO | PCI_COMMAND_MEMORY)) !== 0) this.bus?.update_mappings(this);
    this.config_written(off, width);
  }

  get command(): number {
    return this.config[PCI_COMMAND]! | (this.config[PCI_COMMAND + 1]! << 8);
  }

  /** The address BAR `index` is programmed with (64-bit BARs combine both registers). */
  bar_address(index: number): number {
    const def = this.bars[index];
    if (def === undefined) return 0;
    const lo = this.config_read(PCI_BASE_ADDRESS_0 + 4 * index, 4);
    if (def.kind === "io") return (lo & ~0x3) >>> 0;
    const base = (lo & ~0xf) >>> 0;
    if (def.kind !== "mem64") return base;
    const hi = this.config_read(PCI_BASE_ADDRESS_0 + 4 * index + 4, 4);
    return hi * 0x100000000 + base;
  }

  /**
   * Device hooks: the command register changed; a config write landed; a config read is about to
   * be answered (for registers whose read has side effects, such as virtio's PCI_CFG window).
   */
  protected command_changed(_old: number, _cmd: number): void {}
  protected config_written(_off: number, _width: number): void {}
  protected config_reading(_off: number, _width: number): void {}

  /** Drive INTx. The line follows the level unless the command register's INTx Disable is set. */
  set_irq(level: boolean): void {
    this.intx_level = level && !this.removed;
    this.update_intx();
  }

  private update_intx(): void {
    const status = this.config[PCI_STATUS]!;
    this.config[PCI_STATUS] = this.intx_level ? status | PCI_STATUS_INTERRUPT : status & ~PCI_STATUS_INTERRUPT;
    const assert = this.intx_level && (this.command & PCI_COMMAND_INTX_DISABLE) === 0;
    this.irq_pin?.set(assert);
  }

  get bus_master(): boolean {
    return (this.command & PCI_COMMAND_MASTER) !== 0;
  }

  /**
   * The memory this function may master right now, or null: not plugged in, or Bus Master off
   * (reported once, since forgetting pci_set_master() is the classic driver bug).
   */
  private dma_target(kind: "read" | "write"): PhysicalMemory | null {
    const bus = this.bus;
    if (bus === null || this.removed) return null;
    if (!this.bus_master) {
      bus.tracer.warn_once(
        `${this.name}:nomaster`,
        `${this.name}: DMA ${kind} attempted with Bus Master disabled in the PCI command register (did the driver call pci_set_master()?); the access was dropped`,
      );
      return null;
    }
    return bus.mem;
  }

  /** DMA from physical memory into `dst`. False when refused (Bus Master off) or on a bus error. */
  dma_read(addr: number, dst: Uint8Array, dst_offset: number, len: number): boolean {
    const mem = this.dma_target("read");
    if (mem === null) return false;
    // An IOMMU blocks what is not mapped for this requester: the transfer fails (master abort).
    const iommu = this.bus!.iommu;
    if (iommu !== null && !iommu.check(this.devfn, addr, len, false)) return false;
    return mem.dma_read(this.name, addr, dst, dst_offset, len);
  }

  /** DMA into physical memory; same rules as dma_read. */
  dma_write(addr: number, src: Uint8Array, src_offset: number, len: number): boolean {
    const mem = this.dma_target("write");
    if (mem === null) return false;
    const iommu = this.bus!.iommu;
    if (iommu !== null && !iommu.check(this.devfn, addr, len, true)) return false;
    return mem.dma_write(this.name, addr, src, src_offset, len);
  }

  /**
   * Send an interrupt message (msi_send_message): a bus-master write, so Bus Master must be on.
   * Returns false when it went nowhere.
   */
  msi_send(addr: number, data: number): boolean {
    const bus = this.bus;
    if (bus === null || this.removed || !this.bus_master) return false;
    return bus.msi_write(this, addr, data);
  }

  /**
   * The device is on its bus (QEMU's realize): allocate what needs the machine, such as on-chip
   * memory (PhysicalMemory.alloc_onchip). Called once by PciHost.plug.
   */
  realize(): void {}

  /** A function-level reset (machine reset): device-specific state back to power-on values. */
  abstract reset(): void;
}
