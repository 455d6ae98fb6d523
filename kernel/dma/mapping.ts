import { __GFP_ZERO, get_order, GFP_KERNEL, PAGE_SIZE } from "../../include/linux/gfp.ts";
import { DMA_BIDIRECTIONAL, DMA_FROM_DEVICE, DMA_TO_DEVICE, valid_dma_direction } from "../../include/linux/dma-direction.ts";
import { EIO, ENOMEM } from "../../include/linux/errno.ts";
import { DEFINE_PER_KERNEL, this_kernel } from "../kernel.ts";
import { WARN, WARN_ONCE } from "../panic.ts";
import { alloc_pages, free_pages, page_address, page_to_phys } from "../mm/page_alloc.ts";
import { iommu_dma_map, iommu_dma_unmap } from "./iommu.ts";
import {
  DMA_DEBUG_COHERENT,
  DMA_DEBUG_SINGLE,
  debug_dma_map,
  debug_dma_map_invalid_area,
  debug_dma_mapping_error,
  debug_dma_sync,
  debug_dma_unmap,
} from "./debug.ts";

export { DMA_BIDIRECTIONAL, DMA_FROM_DEVICE, DMA_TO_DEVICE };

/**
 * The DMA API (kernel/dma/mapping.c, direct.c; include/linux/dma-mapping.h), two kinds of memory:
 *
 * - Coherent memory (dma_alloc_coherent): both the CPU and the device see every write at once, no
 *   syncs. On a non-coherent machine the CPU maps it uncached, so every access is slow: use it for
 *   what both sides touch all the time — descriptor rings. The caller owns it until
 *   dma_free_coherent(); while the device is programmed with `dma_handle` it may read and write it.
 * - Streaming mappings (dma_map_single/page): ordinary memory — a packet buffer — handed to the
 *   device for one transfer in one direction. Between map and unmap the device owns it; the CPU
 *   may look only after dma_sync_single_for_cpu and must give it back with
 *   dma_sync_single_for_device. On a non-coherent machine these calls are the cache maintenance.
 *
 * Bus addresses equal physical addresses (no bounce buffers; with an IOMMU, an identity-mapped
 * domain: kernel/dma/iommu.ts). dma-debug (kernel/dma/debug.ts) checks every call.
 */
export interface DmaCoherent {
  /** The CPU's view of the buffer. */
  readonly cpu_addr: Uint8Array;
  /** Little-endian accessors over the same bytes (descriptor rings use these). */
  readonly view: DataView;
  /** Bus address to program into the device. */
  readonly dma_handle: number;
  readonly size: number;
  readonly pfn: number;
  readonly order: number;
}

/**
 * The device the memory is for (struct device): its name, the driver bound to it (dma-debug
 * reports name both), and its DMA masks — the highest bus address it can reach. A PciDev is one.
 */
export interface DmaDevice {
  readonly name: string;
  readonly driver?: { readonly name: string } | null;
  /** PCI device/function (the IOMMU's requester id); absent for a device behind no IOMMU. */
  readonly devfn?: number;
  dma_mask?: number;
  coherent_dma_mask?: number;
}

class DmaStats {
  /** Bytes currently allocated coherent (whole pages). */
  bytes = 0;
  allocations = 0;
}
const dma_stats = DEFINE_PER_KERNEL(() => new DmaStats());

/**
 * dma_alloc_coherent(): zeroed, physically contiguous memory of at least `size` bytes (a whole
 * number of pages, aligned to its size). Returns null when memory is short (the caller reports
 * -ENOMEM). Any context for GFP_ATOMIC; allocation never sleeps here.
 */
export function dma_alloc_coherent(dev: DmaDevice | null, size: number, gfp: number = GFP_KERNEL): DmaCoherent | null {
  if (!(size > 0)) return null;
  const order = get_order(size);
  const pfn = alloc_pages(gfp | __GFP_ZERO, order);
  if (pfn < 0) return null;
  const bytes = PAGE_SIZE << order;
  if (dev !== null && page_to_phys(pfn) + bytes - 1 > (dev.coherent_dma_mask ?? 0xffffffff)) {
    // Above what the device reaches (no zone to retry from here): as if memory were short.
    free_pages(pfn, order);
    return null;
  }
  const cpu_addr = page_address(pfn, bytes).subarray(0, size);
  const st = dma_stats.get();
  st.bytes += bytes;
  st.allocations++;
  // On a non-coherent machine the CPU maps coherent memory uncached (arm64's arch_dma_prep_coherent
  // cleans and invalidates the lines, then the pages are remapped non-cacheable).
  if (!dev_is_dma_coherent()) {
    const ops = this_kernel().platform.ops;
    ops.dcache_clean_poc(page_to_phys(pfn), bytes);
    ops.dcache_inval_poc(page_to_phys(pfn), bytes);
    ops.set_memory_uncached(pfn, 1 << order, true);
  }
  if (dev !== null) {
    iommu_dma_map(dev, page_to_phys(pfn), bytes, DMA_BIDIRECTIONAL);
    debug_dma_map(dev, DMA_DEBUG_COHERENT, page_to_phys(pfn), size, DMA_BIDIRECTIONAL);
  }
  return {
    cpu_addr,
    view: new DataView(cpu_addr.buffer, cpu_addr.byteOffset, size),
    dma_handle: page_to_phys(pfn),
    size,
    pfn,
    order,
  };
}

/** dma_free_coherent(): give the memory back. The device must no longer be using it. */
export function dma_free_coherent(dev: DmaDevice | null, size: number, mem: DmaCoherent): void {
  // dma-debug reports a wrong size; the memory is freed by what was allocated all the same.
  if (dev !== null) debug_dma_unmap(dev, DMA_DEBUG_COHERENT, mem.dma_handle, size, DMA_BIDIRECTIONAL);
  if (dev !== null) iommu_dma_unmap(dev, mem.dma_handle, PAGE_SIZE << mem.order, DMA_BIDIRECTIONAL);
  if (!dev_is_dma_coherent()) this_kernel().platform.ops.set_memory_uncached(mem.pfn, 1 << mem.order, false);
  if (free_pages(mem.pfn, mem.order) === 0) {
    const st = dma_stats.get();
    st.bytes -= PAGE_SIZE << mem.order;
    st.allocations--;
  }
}

/** Coherent DMA memory outstanding: bytes and number of allocations. */
export function dma_coherent_usage(): { bytes: number; allocations: number } {
  const st = dma_stats.get();
  return { bytes: st.bytes, allocations: st.allocations };
}

/* ---- streaming mappings (include/linux/dma-mapping.h, kernel/dma/direct.c) ---- */

/** What a failed mapping returns (Linux: (dma_addr_t)~0): test it with dma_mapping_error(). */
export const DMA_MAPPING_ERROR = -1;

/** DMA_BIT_MASK(n): the highest address n address bits reach. */
export function DMA_BIT_MASK(n: number): number {
  return n >= 53 ? Number.MAX_SAFE_INTEGER : 2 ** n - 1;
}

/** Whether devices snoop the CPU's caches on this machine (dev_is_dma_coherent; the firmware says). */
export function dev_is_dma_coherent(): boolean {
  return this_kernel().platform.firmware.dma_coherent;
}

/**
 * dma_set_mask_and_coherent(): the device can reach addresses up to `mask`. Returns 0, or -EIO for
 * a mask below 24 bits (nothing could be allocated for it). Mappings beyond the mask fail later,
 * at dma_map_* (there are no bounce buffers).
 */
export function dma_set_mask_and_coherent(dev: DmaDevice, mask: number): number {
  if (mask < 0xffffff) return -EIO; // below 24 bits nothing works (ISA DMA is not modelled)
  dev.dma_mask = mask;
  dev.coherent_dma_mask = mask;
  return 0;
}

/**
 * The cache maintenance a streaming mapping needs before the device uses it (arm64
 * arch_sync_dma_for_device): clean, so the device sees what the CPU wrote. Whatever the direction:
 * for DMA_FROM_DEVICE a dirty line written back later would overwrite the device's data.
 */
function arch_sync_dma_for_device(paddr: number, size: number): void {
  this_kernel().platform.ops.dcache_clean_poc(paddr, size);
}

/**
 * …and before the CPU reads what the device wrote (arch_sync_dma_for_cpu): invalidate, so the CPU
 * reads memory instead of its stale lines. Nothing for DMA_TO_DEVICE: the device only read.
 */
function arch_sync_dma_for_cpu(paddr: number, size: number, dir: number): void {
  if (dir === DMA_TO_DEVICE) return;
  this_kernel().platform.ops.dcache_inval_poc(paddr, size);
}

/** The bus address of physical address `paddr` for `dev`, or DMA_MAPPING_ERROR beyond its mask. */
function dma_direct_map(dev: DmaDevice, paddr: number, size: number, dir: number, type: number): number {
  if (!valid_dma_direction(dir)) {
    WARN(true, `${dev.name}: DMA mapping with invalid direction ${dir}`);
    return DMA_MAPPING_ERROR;
  }
  const mask = dev.dma_mask ?? 0xffffffff;
  if (paddr + size - 1 > mask) {
    // No swiotlb to bounce through: the mapping fails, as dma_direct_map_page does without one.
    WARN_ONCE(true, `dma-mask:${dev.name}`, `${dev.name}: DMA addr 0x${paddr.toString(16)}+${size} overflow (mask ${mask.toString(16)})`);
    return DMA_MAPPING_ERROR;
  }
  if (!dev_is_dma_coherent()) arch_sync_dma_for_device(paddr, size);
  iommu_dma_map(dev, paddr, size, dir);
  debug_dma_map(dev, type, paddr, size, dir);
  return paddr;
}

/**
 * dma_map_single(): hand the `size` bytes at `cpu_addr[offset]` — memory in the kernel's direct
 * map, such as a pbuf's data — to the device for DMA in direction `dir`. Returns the bus address
 * to program, or DMA_MAPPING_ERROR (check with dma_mapping_error()). From here until
 * dma_unmap_single (or a sync for the CPU) the buffer belongs to the device: the CPU must not read
 * it (DMA_FROM_DEVICE) or write it (DMA_TO_DEVICE). JavaScript has no pointers: Linux's `void *`
 * is the view and the offset in it. Any context.
 */
export function dma_map_single(dev: DmaDevice, cpu_addr: Uint8Array, offset: number, size: number, dir: number): number {
  const k = this_kernel();
  if (cpu_addr.buffer !== k.platform.ops.ram) {
    if (!debug_dma_map_invalid_area(dev, size)) WARN(true, `${dev.name}: DMA mapping of memory outside the kernel's direct map [len=${size}]`);
    return DMA_MAPPING_ERROR;
  }
  return dma_direct_map(dev, cpu_addr.byteOffset + offset, size, dir, DMA_DEBUG_SINGLE);
}

/** dma_map_page(): as dma_map_single for `size` bytes at `offset` in page frame `pfn`. */
export function dma_map_page(dev: DmaDevice, pfn: number, offset: number, size: number, dir: number): number {
  return dma_direct_map(dev, page_to_phys(pfn) + offset, size, dir, DMA_DEBUG_SINGLE);
}

/**
 * dma_mapping_error(): 0 when `dma_addr` is a good mapping, -ENOMEM when it is the error value.
 * Every mapping must be checked (dma-debug reports one that is not, at its unmap).
 */
export function dma_mapping_error(dev: DmaDevice, dma_addr: number): number {
  debug_dma_mapping_error(dev, dma_addr);
  return dma_addr === DMA_MAPPING_ERROR ? -ENOMEM : 0;
}

function dma_direct_unmap(dev: DmaDevice, addr: number, size: number, dir: number, type: number): void {
  debug_dma_unmap(dev, type, addr, size, dir);
  if (addr === DMA_MAPPING_ERROR) return;
  iommu_dma_unmap(dev, addr, size, dir);
  if (!dev_is_dma_coherent()) arch_sync_dma_for_cpu(addr, size, dir);
}

/**
 * dma_unmap_single(): the device is done with the buffer (its descriptor came back); the CPU owns
 * it again and, for DMA_FROM_DEVICE, sees what the device wrote. Same size and direction as mapped.
 */
export function dma_unmap_single(dev: DmaDevice, addr: number, size: number, dir: number): void {
  dma_direct_unmap(dev, addr, size, dir, DMA_DEBUG_SINGLE);
}

export function dma_unmap_page(dev: DmaDevice, addr: number, size: number, dir: number): void {
  dma_direct_unmap(dev, addr, size, dir, DMA_DEBUG_SINGLE);
}

/**
 * dma_sync_single_for_cpu(): let the CPU look at (part of) a mapped buffer without unmapping it —
 * e1000's copybreak reads a small received frame this way, then leaves the buffer posted (the CPU
 * only read it, so nothing needs cleaning before the device writes it again).
 */
export function dma_sync_single_for_cpu(dev: DmaDevice, addr: number, size: number, dir: number): void {
  debug_dma_sync(dev, addr, size, dir, true);
  if (!dev_is_dma_coherent()) arch_sync_dma_for_cpu(addr, size, dir);
}

/** dma_sync_single_for_device(): the buffer goes back to the device (after the CPU read or wrote it). */
export function dma_sync_single_for_device(dev: DmaDevice, addr: number, size: number, dir: number): void {
  debug_dma_sync(dev, addr, size, dir, false);
  if (!dev_is_dma_coherent()) arch_sync_dma_for_device(addr, size);
}
