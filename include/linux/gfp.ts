/** Allocation flags (include/linux/gfp_types.h), the subset that means something here. */
export const __GFP_ZERO = 0x100;
/** May sleep (process context). Here allocation never sleeps, so it only documents intent. */
export const GFP_KERNEL = 0x400;
/** Interrupt context: must not sleep. */
export const GFP_ATOMIC = 0x800;
export const GFP_DMA32 = 0x4;

/** Page size and the largest buddy order (MAX_PAGE_ORDER: blocks of 2^10 pages = 4 MiB). */
export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;
export const MAX_PAGE_ORDER = 10;
export const NR_PAGE_ORDERS = MAX_PAGE_ORDER + 1;

/** get_order(): the smallest order whose block holds `size` bytes. */
export function get_order(size: number): number {
  let order = 0;
  while (PAGE_SIZE << order < size) order++;
  return order;
}
