import { E820_TYPE_RAM, type E820Entry } from "../../include/asm/platform.ts";
import { PAGE_SIZE } from "../../include/linux/gfp.ts";

/**
 * Boot-time memory description (mm/memblock.c): which physical ranges are RAM and which of them
 * the kernel must keep out of the page allocator.
 */
export interface MemRange {
  readonly base: number;
  readonly size: number;
  readonly why: string;
}

/** Linux reserves the first 64 KiB on x86 (CONFIG_X86_RESERVE_LOW): BIOS data, real-mode IVT. */
export const RESERVE_LOW = 64 * 1024;

export interface Memblock {
  /** RAM ranges from e820, page-aligned inwards. */
  readonly memory: MemRange[];
  /** Ranges inside RAM that are not handed to the buddy allocator. */
  readonly reserved: MemRange[];
  /** One past the highest RAM page frame. */
  readonly max_pfn: number;
}

export function memblock_from_e820(e820: readonly E820Entry[]): Memblock {
  const memory: MemRange[] = [];
  let max_pfn = 0;
  for (const e of e820) {
    if (e.type !== E820_TYPE_RAM) continue;
    const base = Math.ceil(e.addr / PAGE_SIZE) * PAGE_SIZE;
    const end = Math.floor((e.addr + e.size) / PAGE_SIZE) * PAGE_SIZE;
    if (end <= base) continue;
    memory.push({ base, size: end - base, why: "System RAM" });
    max_pfn = Math.max(max_pfn, end / PAGE_SIZE);
  }
  const reserved: MemRange[] = [{ base: 0, size: RESERVE_LOW, why: "low memory (BIOS data, real-mode IVT)" }];
  return { memory, reserved, max_pfn };
}

/**
 * Where the run of free RAM pages starting at `pfn` (itself free RAM) stops: the end of the RAM
 * range holding it, or the first page a reserved range touches, whichever comes first. The next
 * range may go on seamlessly: the caller asks again from there.
 */
export function memblock_free_run_end(mb: Memblock, pfn: number): number {
  const addr = pfn * PAGE_SIZE;
  let end = pfn + 1;
  for (const r of mb.memory) {
    if (addr >= r.base && addr + PAGE_SIZE <= r.base + r.size) end = Math.floor((r.base + r.size) / PAGE_SIZE);
  }
  for (const r of mb.reserved) {
    if (r.base + r.size > addr) end = Math.min(end, Math.floor(r.base / PAGE_SIZE));
  }
  return Math.max(end, pfn + 1);
}

/** True if page frame `pfn` is usable RAM that is not reserved. */
export function memblock_is_free_ram(mb: Memblock, pfn: number): boolean {
  const addr = pfn * PAGE_SIZE;
  const in_ram = mb.memory.some((r) => addr >= r.base && addr + PAGE_SIZE <= r.base + r.size);
  if (!in_ram) return false;
  return !mb.reserved.some((r) => addr < r.base + r.size && r.base < addr + PAGE_SIZE);
}
