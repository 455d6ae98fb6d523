/**
 * The CPU's data cache on a machine whose devices do not snoop it (`-machine dma-coherent=off`:
 * most arm64 and RISC-V SoCs without I/O coherency). On x86 (`dma-coherent=on`, the default) the
 * caches are coherent with DMA and nothing here exists.
 *
 * Two copies of RAM live in the machine's host buffer: the CPU's view (the RAM bytes the kernel
 * reads and writes through its direct map — memory as seen through the cache) and DRAM (what
 * devices read and write by DMA). They differ wherever the CPU holds a line the device has not
 * seen, or the device wrote a line the CPU still holds an old copy of. The model takes the worst
 * case: every cacheable line stays in the cache until software cleans or invalidates it — nothing
 * is evicted on its own — so a missing maintenance operation shows every time, not once in a while.
 *
 * Pages the kernel maps uncached (coherent DMA allocations: arm64 remaps them non-cacheable) have
 * a single copy: the CPU's accesses go to DRAM, so both views are the same bytes.
 *
 * Maintenance works on whole lines (CACHE_LINE bytes), by physical address, as arm64's DC CVAC
 * (clean to the point of coherency) and DC IVAC (invalidate) do: cleaning writes the CPU's copy of
 * each line back to DRAM; invalidating drops it, so the CPU reads DRAM again — and loses what it
 * wrote to any byte of that line, which is why DMA buffers must not share lines with other data.
 * Worst case again, where arm64 is kinder: there are no dirty bits, so a clean writes back every
 * line in range, and a partial line at either end of an invalidate is dropped, where arm64's
 * dcache_inval_poc cleans and invalidates those edge lines.
 */
export const CACHE_LINE = 64;

export class CpuCache {
  /** Where DRAM's copy of physical address 0 is in the host buffer. */
  readonly dram_base: number;
  private readonly u8: Uint8Array;
  private readonly ram_size: number;
  /** One byte per page: 1 while the CPU maps the page uncached. */
  private readonly uncached: Uint8Array;
  /** Lines written back and dropped by maintenance (for `~info`-style statistics and tests). */
  lines_cleaned = 0;
  lines_invalidated = 0;

  constructor(u8: Uint8Array, ram_size: number, dram_base: number) {
    this.u8 = u8;
    this.ram_size = ram_size;
    this.dram_base = dram_base;
    this.uncached = new Uint8Array(Math.ceil(ram_size / 4096));
  }

  /**
   * Where a device's access to physical address `addr` lands in the host buffer; the answer holds
   * to the end of addr's page.
   */
  device_offset(addr: number): number {
    return this.uncached[Math.floor(addr / 4096)] === 1 ? addr : this.dram_base + addr;
  }

  /** The lines covering [addr, addr+len), clipped to RAM: [first byte, end). */
  private lines(addr: number, len: number): [number, number] {
    const start = Math.max(0, Math.floor(addr / CACHE_LINE) * CACHE_LINE);
    const end = Math.min(this.ram_size, Math.ceil((addr + len) / CACHE_LINE) * CACHE_LINE);
    return [start, end];
  }

  /** Clean (write back) the lines covering [addr, addr+len) to DRAM. Uncached pages hold none. */
  clean(addr: number, len: number): void {
    if (len <= 0) return;
    const [start, end] = this.lines(addr, len);
    if (start >= end) return;
    this.copy_cached(start, end, true);
    this.lines_cleaned += (end - start) / CACHE_LINE;
  }

  /** Invalidate the lines covering [addr, addr+len): the CPU sees DRAM there again. */
  invalidate(addr: number, len: number): void {
    if (len <= 0) return;
    const [start, end] = this.lines(addr, len);
    if (start >= end) return;
    this.copy_cached(start, end, false);
    this.lines_invalidated += (end - start) / CACHE_LINE;
  }

  /**
   * Map `npages` pages from `pfn` uncached (true) or cacheable again (false). Going uncached, the
   * kernel has cleaned and invalidated them first (arch_dma_prep_coherent), so the CPU's copy is
   * DRAM's; going back, DRAM takes what the uncached pages hold, and the two copies agree.
   */
  set_uncached(pfn: number, npages: number, uncached: boolean): void {
    const end = Math.min(pfn + npages, this.uncached.length);
    for (let p = Math.max(0, pfn); p < end; p++) {
      if (!uncached && this.uncached[p] === 1) this.u8.copyWithin(this.dram_base + p * 4096, p * 4096, (p + 1) * 4096);
      this.uncached[p] = uncached ? 1 : 0;
    }
  }

  /** Copy the cacheable pages' part of [start, end) from the CPU's copy to DRAM's, or back. */
  private copy_cached(start: number, end: number, to_dram: boolean): void {
    const u8 = this.u8;
    const dram = this.dram_base;
    let a = start;
    while (a < end) {
      const page_end = Math.min(end, (Math.floor(a / 4096) + 1) * 4096);
      if (this.uncached[Math.floor(a / 4096)] !== 1) {
        if (to_dram) u8.copyWithin(dram + a, a, page_end);
        else u8.copyWithin(a, dram + a, dram + page_end);
      }
      a = page_end;
    }
  }
}
