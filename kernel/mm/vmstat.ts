import { NR_PAGE_ORDERS, PAGE_SIZE } from "../../include/linux/gfp.ts";
import { DEFINE_PER_KERNEL } from "../kernel.ts";
import { nr_free_pages, page_zone, totalram_pages } from "./page_alloc.ts";
import { pbuf_stats } from "./pbuf.ts";

/** /proc/buddyinfo (mm/vmstat.c frag_show): free blocks per order. */
export function show_buddyinfo(): string {
  const z = page_zone();
  let line = `Node 0, zone ${z.name.padStart(8)} `;
  for (let o = 0; o < NR_PAGE_ORDERS; o++) line += `${String(z.nr_free[o]).padStart(6)} `;
  return line + "\n";
}

/**
 * Node page-state counters (include/linux/mmzone.h enum node_stat_item, the ones this kernel
 * keeps): pages in the page cache, and of those the shmem/tmpfs ones. Whoever adds pages to or
 * removes them from a file's cache updates them with mod_node_page_state() (Linux's
 * shmem_add_to_page_cache / shmem_delete_from_page_cache change both). Any context.
 */
export const NR_FILE_PAGES = 0;
export const NR_SHMEM = 1;
const NR_VM_NODE_STAT_ITEMS = 2;

const vm_node_stat = DEFINE_PER_KERNEL(() => new Float64Array(NR_VM_NODE_STAT_ITEMS));

export function mod_node_page_state(item: number, delta: number): void {
  vm_node_stat.get()[item]! += delta;
}

export function global_node_page_state(item: number): number {
  return Math.max(0, vm_node_stat.get()[item]!);
}

/** vm.overcommit_ratio's default (mm/util.c sysctl_overcommit_ratio). */
const OVERCOMMIT_RATIO = 50;
/** The x86 huge page size (HPAGE_SIZE), which hugetlb_report_meminfo shows even with none reserved. */
const HPAGE_SIZE = 2 * 1024 * 1024;

/** show_val_kb(): a 16-column label, the value in kB right-aligned in 8, " kB". */
function kb_line(label: string, pages: number): string {
  return `${(label + ":").padEnd(16)}${String((pages * PAGE_SIZE) / 1024).padStart(8)} kB\n`;
}

/**
 * /proc/meminfo in Linux 6.1's order (fs/proc/meminfo.c meminfo_proc_show as Debian 12 builds it:
 * CONFIG_ZSWAP, MEMORY_FAILURE, TRANSPARENT_HUGEPAGE and HUGETLBFS on, CMA and HIGHMEM off).
 *
 * What is counted: MemTotal from the buddy allocator; MemFree = the buddy allocator's free pages
 * less the tmpfs pages (tmpfs keeps its data outside guest RAM, but it is memory the machine has
 * given to files, as a Linux shmem page is taken from the free lists); MemAvailable = MemFree (no
 * watermark reserve and no reclaimable page cache: tmpfs pages are swap-backed, which is not
 * reclaimable without swap); Cached and Shmem from the node counters above (tmpfs is the only
 * page cache); Inactive(anon) = Shmem (shmem pages go on the inactive anon list, and nothing ages
 * them here); the packet-buffer pool is the kernel's only slab-like cache, so Slab = SUnreclaim =
 * its pages; CommitLimit from MemTotal, vm.overcommit_ratio 50 and no swap.
 *
 * Zero because the feature is absent, as a real 6.1 guest without it shows: Buffers (no block
 * device), SwapCached/SwapTotal/SwapFree/Zswap/Zswapped (no swap), Active, Active(anon),
 * Active(file), Inactive(file), Unevictable, Mlocked, Dirty, Writeback, SReclaimable,
 * KReclaimable, SecPageTables (no KVM guests of its own), NFS_Unstable, Bounce, WritebackTmp,
 * HardwareCorrupted, the transparent-huge-page fields and the hugetlb pool (none reserved).
 *
 * Left out, because every real Linux shows them non-zero and this kernel has nothing to count:
 * AnonPages, Mapped, KernelStack, PageTables, Committed_AS (userland is not in guest memory: no
 * user page tables, mappings or kernel stacks), VmallocTotal, VmallocUsed, VmallocChunk and Percpu
 * (no vmalloc area or per-CPU allocator), DirectMap4k/2M/1G (no kernel page tables).
 */
export function show_meminfo(): string {
  const total = totalram_pages();
  const cached = global_node_page_state(NR_FILE_PAGES);
  const shmem = global_node_page_state(NR_SHMEM);
  const free = Math.max(0, nr_free_pages() - shmem);
  const slab = pbuf_stats().pages;
  const zero = (label: string): string => kb_line(label, 0);
  return (
    kb_line("MemTotal", total) +
    kb_line("MemFree", free) +
    kb_line("MemAvailable", free) +
    zero("Buffers") +
    kb_line("Cached", cached) +
    zero("SwapCached") +
    zero("Active") +
    kb_line("Inactive", shmem) +
    zero("Active(anon)") +
    kb_line("Inactive(anon)", shmem) +
    zero("Active(file)") +
    zero("Inactive(file)") +
    zero("Unevictable") +
    zero("Mlocked") +
    zero("SwapTotal") +
    zero("SwapFree") +
    zero("Zswap") +
    zero("Zswapped") +
    zero("Dirty") +
    zero("Writeback") +
    kb_line("Shmem", shmem) +
    zero("KReclaimable") +
    kb_line("Slab", slab) +
    zero("SReclaimable") +
    kb_line("SUnreclaim", slab) +
    zero("SecPageTables") +
    zero("NFS_Unstable") +
    zero("Bounce") +
    zero("WritebackTmp") +
    kb_line("CommitLimit", Math.floor((total * OVERCOMMIT_RATIO) / 100)) +
    `HardwareCorrupted: ${String(0).padStart(5)} kB\n` +
    zero("AnonHugePages") +
    zero("ShmemHugePages") +
    zero("ShmemPmdMapped") +
    zero("FileHugePages") +
    zero("FilePmdMapped") +
    `HugePages_Total:   ${String(0).padStart(5)}\n` +
    `HugePages_Free:    ${String(0).padStart(5)}\n` +
    `HugePages_Rsvd:    ${String(0).padStart(5)}\n` +
    `HugePages_Surp:    ${String(0).padStart(5)}\n` +
    `Hugepagesize:   ${String(HPAGE_SIZE / 1024).padStart(8)} kB\n` +
    `Hugetlb:        ${String(0).padStart(8)} kB\n`
  );
}
