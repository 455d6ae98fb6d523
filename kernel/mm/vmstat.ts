import { NR_PAGE_ORDERS, PAGE_SIZE } from "../../include/linux/gfp.ts";
import { nr_free_pages, page_zone, totalram_pages } from "./page_alloc.ts";

/** /proc/buddyinfo (mm/vmstat.c frag_show): free blocks per order. */
export function show_buddyinfo(): string {
  const z = page_zone();
  let line = `Node 0, zone ${z.name.padStart(8)} `;
  for (let o = 0; o < NR_PAGE_ORDERS; o++) line += `${String(z.nr_free[o]).padStart(6)} `;
  return line + "\n";
}

function kb_line(label: string, pages: number): string {
  return `${(label + ":").padEnd(16)}${String((pages * PAGE_SIZE) / 1024).padStart(8)} kB\n`;
}

/**
 * /proc/meminfo (fs/proc/meminfo.c), the fields this kernel can state truthfully: there is no
 * page cache and no swap, so Buffers, Cached and Swap* are genuinely zero.
 */
export function show_meminfo(): string {
  const z = page_zone();
  return (
    kb_line("MemTotal", totalram_pages()) +
    kb_line("MemFree", nr_free_pages()) +
    kb_line("MemAvailable", nr_free_pages()) +
    kb_line("Buffers", 0) +
    kb_line("Cached", 0) +
    kb_line("SwapTotal", 0) +
    kb_line("SwapFree", 0) +
    kb_line("Reserved", z.present_pages - z.managed_pages)
  );
}
