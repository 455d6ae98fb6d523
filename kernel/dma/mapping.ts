import { __GFP_ZERO, get_order, GFP_KERNEL, PAGE_SIZE } from "../../include/linux/gfp.ts";
import { DEFINE_PER_KERNEL } from "../kernel.ts";
import { WARN } from "../panic.ts";
import { alloc_pages, free_pages, page_address, page_to_phys } from "../mm/page_alloc.ts";

/**
 * Coherent DMA memory (kernel/dma/mapping.c): memory both the CPU and a device see, without
 * explicit syncs. There is no IOMMU, so the bus address a device is given is the physical address.
 *
 * Ownership: the caller owns the buffer until dma_free_coherent(); while the device is
 * programmed with `dma_handle` it may read and write the bytes at any time.
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

/** Anything with a name: the device the memory is for (struct device in later layers). */
export interface DmaDevice {
  readonly name: string;
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
export function dma_alloc_coherent(_dev: DmaDevice | null, size: number, gfp: number = GFP_KERNEL): DmaCoherent | null {
  if (!(size > 0)) return null;
  const order = get_order(size);
  const pfn = alloc_pages(gfp | __GFP_ZERO, order);
  if (pfn < 0) return null;
  const bytes = PAGE_SIZE << order;
  const cpu_addr = page_address(pfn, bytes).subarray(0, size);
  const st = dma_stats.get();
  st.bytes += bytes;
  st.allocations++;
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
export function dma_free_coherent(_dev: DmaDevice | null, size: number, mem: DmaCoherent): void {
  if (WARN(size !== mem.size, `dma_free_coherent: size ${size} does not match the allocation (${mem.size})`)) return;
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
