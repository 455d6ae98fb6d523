import { DMA_BIDIRECTIONAL, DMA_DIR_NAME, DMA_FROM_DEVICE, DMA_TO_DEVICE } from "../../include/linux/dma-direction.ts";
import { EINVAL } from "../../include/linux/errno.ts";
import { kernfs_create } from "../fs/kernfs.ts";
import { DEFINE_PER_KERNEL } from "../kernel.ts";
import { WARN } from "../panic.ts";
import { pr_info } from "../printk.ts";

/**
 * DMA-API debugging (kernel/dma/debug.c, CONFIG_DMA_API_DEBUG): every streaming mapping and
 * coherent allocation is recorded with its device, address, size, direction and type, and each
 * unmap, free and sync is checked against the record. A mismatch is reported as Linux words it,
 * with the driver, the device and a stack; only the first `num_errors` reports are printed (1 by
 * default, as Linux), but `error_count` counts them all. When a driver lets go of its device the
 * mappings it still holds are reported as a leak.
 *
 * Off unless the kernel command line says `dma_debug=on` (the test machines do); the counters and
 * the records live in /sys/kernel/debug/dma-api/. Process, softirq or IRQ context (never sleeps).
 *
 * What the API cannot see — a device reaching memory nobody mapped for it — takes an IOMMU
 * (hardware); this records what the driver said.
 */

/** The device a mapping is for: a name, and the driver bound to it (for reports). */
export interface DmaDebugDevice {
  readonly name: string;
  readonly driver?: { readonly name: string } | null;
  /** PCI device/function: the requester id an IOMMU fault names. */
  readonly devfn?: number;
}

/** Entry types (Linux 6.1: single, sg, coherent, resource; dma_map_page records a single). */
export const DMA_DEBUG_SINGLE = 0;
export const DMA_DEBUG_COHERENT = 2;
const TYPE_NAME = ["single", "sg", "coherent"] as const;

/** The record of one mapping (struct dma_debug_entry). */
class DmaDebugEntry {
  dev: DmaDebugDevice;
  type: number;
  dev_addr: number;
  size: number;
  direction: number;
  /** dma_mapping_error() was called on this address (streaming mappings must be checked). */
  map_err_checked: boolean;
  /** The next record for the same address (another device's mapping). */
  next: DmaDebugEntry | null = null;

  constructor(dev: DmaDebugDevice, type: number, dev_addr: number, size: number, direction: number) {
    this.dev = dev;
    this.type = type;
    this.dev_addr = dev_addr;
    this.size = size;
    this.direction = direction;
    this.map_err_checked = type === DMA_DEBUG_COHERENT;
  }
}

class DmaDebugState {
  enabled = false;
  /** Mappings by device address; mappings of one address (several devices) are chained. */
  readonly entries = new Map<number, DmaDebugEntry>();
  nr_entries = 0;
  /** Errors found; reports printed so far are limited by num_errors unless all_errors. */
  error_count = 0;
  show_num_errors = 1;
  show_all_errors = false;
  /** The last reports, newest last (for tests and `dump`). */
  readonly last: string[] = [];
}

const dma_debug = DEFINE_PER_KERNEL(() => new DmaDebugState());

/** Boot parameter `dma_debug=on|off`. Returns false for anything else. */
export function dma_debug_cmdline(value: string): boolean {
  if (value !== "on" && value !== "off") return false;
  dma_debug.get().enabled = value === "on";
  return true;
}

export function dma_debug_enabled(): boolean {
  return dma_debug.get().enabled;
}

/** Errors found since boot (debugfs error_count). */
export function dma_debug_error_count(): number {
  return dma_debug.get().error_count;
}

/** Mappings and allocations currently recorded (debugfs nr_entries). */
export function dma_debug_nr_entries(): number {
  return dma_debug.get().nr_entries;
}

/** The reports made so far (at most the last 16), each "driver device: DMA-API: text". */
export function dma_debug_last_errors(): readonly string[] {
  return dma_debug.get().last;
}

/** A bus address as Linux prints it (%016llx, unsigned: DMA_MAPPING_ERROR is all ones). */
function hex16(n: number): string {
  return "0x" + (n < 0 ? "ffffffffffffffff" : n.toString(16).padStart(16, "0"));
}

/** "driver device", as dev_driver_string() and dev_name() give them. */
function dev_prefix(dev: DmaDebugDevice): string {
  return `${dev.driver?.name ?? "pci"} ${dev.name}`;
}

/** err_printk(): count, remember, and print the first num_errors reports with a stack. */
function err_printk(dev: DmaDebugDevice, text: string): void {
  const st = dma_debug.get();
  st.error_count++;
  const line = `DMA-API: ${dev_prefix(dev)}: ${text}`;
  st.last.push(line);
  if (st.last.length > 16) st.last.shift();
  if (st.show_all_errors || st.show_num_errors > 0) {
    if (!st.show_all_errors) st.show_num_errors--;
    WARN(true, line);
  }
}

function find(st: DmaDebugState, dev: DmaDebugDevice, addr: number): DmaDebugEntry | null {
  for (let e = st.entries.get(addr) ?? null; e !== null; e = e.next) if (e.dev === dev) return e;
  return null;
}

function remove(st: DmaDebugState, e: DmaDebugEntry): void {
  let head = st.entries.get(e.dev_addr) ?? null;
  if (head === e) {
    if (e.next === null) st.entries.delete(e.dev_addr);
    else st.entries.set(e.dev_addr, e.next);
  } else {
    while (head !== null && head.next !== e) head = head.next;
    if (head !== null) head.next = e.next;
  }
  e.next = null;
  st.nr_entries--;
}

/** Record a mapping (debug_dma_map_page) or a coherent allocation (debug_dma_alloc_coherent). */
export function debug_dma_map(dev: DmaDebugDevice, type: number, addr: number, size: number, dir: number): void {
  const st = dma_debug.get();
  if (!st.enabled) return;
  const e = new DmaDebugEntry(dev, type, addr, size, dir);
  e.next = st.entries.get(addr) ?? null;
  st.entries.set(addr, e);
  st.nr_entries++;
}

/**
 * A mapping of memory outside the kernel's direct map (debug_dma_map_single's check). Returns
 * false when dma-debug is off (the caller WARNs instead).
 */
export function debug_dma_map_invalid_area(dev: DmaDebugDevice, len: number): boolean {
  if (!dma_debug.get().enabled) return false;
  err_printk(dev, `device driver maps memory from invalid area [addr=(not in the direct map)] [len=${len}]`);
  return true;
}

/** dma_mapping_error() was asked about `addr` (debug_dma_mapping_error). */
export function debug_dma_mapping_error(dev: DmaDebugDevice, addr: number): void {
  const st = dma_debug.get();
  if (!st.enabled) return;
  const e = find(st, dev, addr);
  if (e !== null) e.map_err_checked = true;
}

/**
 * Check an unmap or a free against its record (check_unmap), then forget the record. The same
 * checks serve dma_unmap_single/page (type single/page) and dma_free_coherent.
 */
export function debug_dma_unmap(dev: DmaDebugDevice, type: number, addr: number, size: number, dir: number): void {
  const st = dma_debug.get();
  if (!st.enabled) return;
  if (addr === -1) {
    err_printk(dev, `device driver tries to free an invalid DMA memory address`);
    return;
  }
  const e = find(st, dev, addr);
  if (e === null) {
    err_printk(dev, `device driver tries to free DMA memory it has not allocated [device address=${hex16(addr)}] [size=${size} bytes]`);
    return;
  }
  if (e.size !== size) {
    err_printk(dev, `device driver frees DMA memory with different size [device address=${hex16(addr)}] [map size=${e.size} bytes] [unmap size=${size} bytes]`);
  }
  if (e.type !== type) {
    err_printk(dev, `device driver frees DMA memory with wrong function [device address=${hex16(addr)}] [size=${size} bytes] [mapped as ${TYPE_NAME[e.type]}] [unmapped as ${TYPE_NAME[type]}]`);
  }
  if (e.direction !== dir) {
    err_printk(dev, `device driver frees DMA memory with different direction [device address=${hex16(addr)}] [size=${size} bytes] [mapped with ${DMA_DIR_NAME[e.direction]}] [unmapped with ${DMA_DIR_NAME[dir]}]`);
  }
  if (!e.map_err_checked) {
    err_printk(dev, `device driver failed to check map error[device address=${hex16(addr)}] [size=${size} bytes] [mapped as ${TYPE_NAME[e.type]}]`);
  }
  remove(st, e);
}

/** Check a dma_sync_single_for_{cpu,device} (check_sync): the range must lie in one mapping. */
export function debug_dma_sync(dev: DmaDebugDevice, addr: number, size: number, dir: number, to_cpu: boolean): void {
  const st = dma_debug.get();
  if (!st.enabled) return;
  // The sync may start inside a mapping: find the one that holds addr.
  let e = find(st, dev, addr);
  if (e === null) {
    for (const head of st.entries.values()) {
      for (let c: DmaDebugEntry | null = head; c !== null; c = c.next) {
        if (c.dev === dev && c.type !== DMA_DEBUG_COHERENT && addr >= c.dev_addr && addr < c.dev_addr + c.size) e = c;
      }
    }
  }
  if (e === null) {
    err_printk(dev, `device driver tries to sync DMA memory it has not allocated [device address=${hex16(addr)}] [size=${size} bytes]`);
    return;
  }
  if (addr + size > e.dev_addr + e.size) {
    err_printk(dev, `device driver syncs DMA memory outside allocated range [device address=${hex16(e.dev_addr)}] [allocation size=${e.size} bytes] [sync offset+size=${addr - e.dev_addr + size}]`);
  }
  if (e.direction !== DMA_BIDIRECTIONAL && dir !== e.direction) {
    err_printk(dev, `device driver syncs DMA memory with different direction [device address=${hex16(addr)}] [size=${e.size} bytes] [mapped with ${DMA_DIR_NAME[e.direction]}] [synced with ${DMA_DIR_NAME[dir]}]`);
  }
  if (to_cpu && e.direction === DMA_TO_DEVICE && (dir === DMA_FROM_DEVICE || dir === DMA_BIDIRECTIONAL)) {
    err_printk(dev, `device driver syncs device read-only DMA memory for cpu [device address=${hex16(addr)}] [size=${size} bytes] [mapped with ${DMA_DIR_NAME[e.direction]}] [synced with ${DMA_DIR_NAME[dir]}]`);
  }
  if (!to_cpu && e.direction === DMA_FROM_DEVICE && (dir === DMA_TO_DEVICE || dir === DMA_BIDIRECTIONAL)) {
    err_printk(dev, `device driver syncs device write-only DMA memory to device [device address=${hex16(addr)}] [size=${size} bytes] [mapped with ${DMA_DIR_NAME[e.direction]}] [synced with ${DMA_DIR_NAME[dir]}]`);
  }
}

/**
 * The driver let go of `dev` (unbind, module removal): whatever it still has mapped is a leak
 * (dma_debug_device_change). Reports once per release with one of the leaked entries.
 */
export function debug_dma_device_released(dev: DmaDebugDevice): void {
  const st = dma_debug.get();
  if (!st.enabled) return;
  let count = 0;
  let one: DmaDebugEntry | null = null;
  for (const head of st.entries.values()) {
    for (let e: DmaDebugEntry | null = head; e !== null; e = e.next) {
      if (e.dev !== dev) continue;
      count++;
      one ??= e;
    }
  }
  if (one === null) return;
  err_printk(
    dev,
    `device driver has pending DMA allocations while released from device [count=${count}]\n` +
      `One of leaked entries details: [device address=${hex16(one.dev_addr)}] [size=${one.size} bytes] [mapped with ${DMA_DIR_NAME[one.direction]}] [mapped as ${TYPE_NAME[one.type]}]`,
  );
}

/**
 * ringzero's own (Linux's dma-debug never sees device accesses): the IOMMU blocked device `devfn`'s
 * access to the page at `addr` (kernel/dma/iommu.ts), and dma-debug, which knows the mappings, reports it
 * against the device and its driver — as a write into memory mapped only for the device to read
 * (or the reverse) when such a mapping covers the page, else as memory not mapped for it.
 * Hard-IRQ context (the DMAR fault handler).
 */
export function debug_dma_device_fault(devfn: number, addr: number, write: boolean): void {
  const st = dma_debug.get();
  if (!st.enabled) return;
  let dev: DmaDebugDevice | null = null;
  let other: DmaDebugEntry | null = null;
  for (const head of st.entries.values()) {
    for (let e: DmaDebugEntry | null = head; e !== null; e = e.next) {
      if (e.dev.devfn !== devfn) continue;
      dev = e.dev;
      if (e.dev_addr < addr + 4096 && addr < e.dev_addr + e.size) other = e;
    }
  }
  if (dev === null) dev = { name: `0000:00:${((devfn >> 3) & 0x1f).toString(16).padStart(2, "0")}.${devfn & 7}`, driver: null, devfn };
  const kind = write ? "DMA Write" : "DMA Read";
  if (other !== null) {
    err_printk(dev, `device ${write ? "wrote" : "read"} memory mapped ${DMA_DIR_NAME[other.direction]} [${kind}] [device address=${hex16(addr)}] [mapping=${hex16(other.dev_addr)}+${other.size} bytes]`);
  } else {
    err_printk(dev, `device accessed memory not mapped for it [${kind}] [device address=${hex16(addr)}]`);
  }
}

/** The records of `dev` still held (tests; the driver core uses debug_dma_device_released). */
export function dma_debug_entries_of(dev: DmaDebugDevice): number {
  const st = dma_debug.get();
  let n = 0;
  for (const head of st.entries.values()) for (let e: DmaDebugEntry | null = head; e !== null; e = e.next) if (e.dev === dev) n++;
  return n;
}

function dump(): string {
  const st = dma_debug.get();
  const lines: string[] = [];
  for (const head of st.entries.values()) {
    for (let e: DmaDebugEntry | null = head; e !== null; e = e.next) {
      const maperr = e.type === DMA_DEBUG_COHERENT ? "dma map error check not applicable" : e.map_err_checked ? "dma map error checked" : "dma map error not checked";
      lines.push(`${e.dev.name} ${e.dev.driver?.name ?? "pci"} ${TYPE_NAME[e.type]} idx 0 P=${e.dev_addr.toString(16)} N=${Math.floor(e.dev_addr / 4096).toString(16)} D=${e.dev_addr.toString(16)} L=${e.size.toString(16)} ${DMA_DIR_NAME[e.direction]} ${maperr}`);
    }
  }
  return lines.length > 0 ? lines.join("\n") + "\n" : "";
}

/** /sys/kernel/debug/dma-api/: Linux's files (dma_debug_fs_init). Called at boot. */
export function dma_debug_init(): void {
  const st = dma_debug.get();
  const base = "/sys/kernel/debug/dma-api";
  const ro = (get: () => string | number) => ({ show: () => `${get()}\n` });
  kernfs_create(`${base}/error_count`, ro(() => st.error_count));
  kernfs_create(`${base}/num_errors`, {
    show: () => `${st.show_num_errors}\n`,
    store: (d) => {
      if (!/^\d+$/.test(d.trim())) return -EINVAL;
      st.show_num_errors = Number(d.trim());
      return d.length;
    },
  });
  kernfs_create(`${base}/all_errors`, {
    show: () => `${st.show_all_errors ? 1 : 0}\n`,
    store: (d) => {
      if (!/^\d+$/.test(d.trim())) return -EINVAL;
      st.show_all_errors = Number(d.trim()) !== 0;
      return d.length;
    },
  });
  kernfs_create(`${base}/disabled`, ro(() => (st.enabled ? "N" : "Y")));
  // ringzero's own: the mappings recorded now (Linux shows its entry pool instead: num_free_entries).
  kernfs_create(`${base}/nr_entries`, ro(() => st.nr_entries));
  kernfs_create(`${base}/dump`, { show: dump });
  if (st.enabled) pr_info("DMA-API: debugging enabled (dma_debug=on)\n");
}
