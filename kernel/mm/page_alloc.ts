import { EINVAL, ENOMEM } from "../../include/linux/errno.ts";
import { should_fail_alloc_page } from "./fail_page_alloc.ts";
import { __GFP_ZERO, MAX_PAGE_ORDER, NR_PAGE_ORDERS, PAGE_SHIFT, PAGE_SIZE } from "../../include/linux/gfp.ts";
import { DEFINE_PER_KERNEL, this_kernel } from "../kernel.ts";
import { bad_page, BUG } from "../panic.ts";
import { memblock_from_e820, memblock_free_run_end, memblock_is_free_ram, type Memblock } from "./memblock.ts";

/**
 * The buddy page allocator (mm/page_alloc.c). Physical memory is managed in 4 KiB page frames,
 * handed out in blocks of 2^order pages (order 0–10), each block aligned to its own size. Freeing a
 * block merges it with its buddy (pfn ^ (1 << order)) for as long as the buddy is free and of the
 * same order.
 *
 * The "struct page" array is a set of typed arrays indexed by pfn, and the free lists are
 * intrusive doubly-linked lists threaded through them, so allocating and freeing never allocate
 * JavaScript objects. Every page's state is checked on free: freeing a free page (double free),
 * a page that is not the head of an allocation, a reserved page or with the wrong order is reported
 * as "BUG: Bad page state" with a stack and refused, leaving the allocator untouched.
 */

/** Page flags (a subset of include/linux/page-flags.h). */
const PG_reserved = 1;
/** Head of a free block on a buddy free list ("PageBuddy"). */
const PG_buddy = 2;
/** Head of an allocated block. */
const PG_head = 4;

const NONE = -1;

export class Zone {
  readonly name = "Normal";
  readonly max_pfn: number;
  readonly flags: Uint8Array;
  readonly order: Uint8Array;
  readonly next: Int32Array;
  readonly prev: Int32Array;
  readonly free_head = new Int32Array(NR_PAGE_ORDERS).fill(NONE);
  readonly nr_free = new Int32Array(NR_PAGE_ORDERS);
  /** Pages currently free in the buddy lists. */
  free_pages = 0;
  /** Pages given to the allocator at boot (MemTotal). */
  managed_pages = 0;
  /** Pages of RAM, reserved or not. */
  present_pages = 0;
  /** Failed allocations. */
  alloc_fail = 0;
  readonly memblock: Memblock;
  readonly ram: Uint8Array;

  constructor(memblock: Memblock, ram: ArrayBuffer) {
    this.memblock = memblock;
    this.max_pfn = memblock.max_pfn;
    this.ram = new Uint8Array(ram);
    this.flags = new Uint8Array(this.max_pfn);
    this.order = new Uint8Array(this.max_pfn);
    this.next = new Int32Array(this.max_pfn).fill(NONE);
    this.prev = new Int32Array(this.max_pfn).fill(NONE);
  }
}

const zone_var = DEFINE_PER_KERNEL((k) => {
  const z = new Zone(memblock_from_e820(k.platform.firmware.e820), k.platform.ops.ram);
  free_area_init(z);
  return z;
});

function list_add(z: Zone, pfn: number, order: number): void {
  const head = z.free_head[order]!;
  z.next[pfn] = head;
  z.prev[pfn] = NONE;
  if (head !== NONE) z.prev[head] = pfn;
  z.free_head[order] = pfn;
  z.nr_free[order]! += 1;
  z.flags[pfn] = PG_buddy;
  z.order[pfn] = order;
}

function list_del(z: Zone, pfn: number, order: number): void {
  const n = z.next[pfn]!;
  const p = z.prev[pfn]!;
  if (p !== NONE) z.next[p] = n;
  else z.free_head[order] = n;
  if (n !== NONE) z.prev[n] = p;
  z.next[pfn] = NONE;
  z.prev[pfn] = NONE;
  z.nr_free[order]! -= 1;
  z.flags[pfn] = 0;
}

/** Hand every free RAM page to the buddy lists in the largest aligned blocks (memblock_free_all). */
function free_area_init(z: Zone): void {
  const mb = z.memblock;
  let pfn = 0;
  while (pfn < z.max_pfn) {
    if (!memblock_is_free_ram(mb, pfn)) {
      if (mb.memory.some((r) => pfn * PAGE_SIZE >= r.base && pfn * PAGE_SIZE < r.base + r.size)) z.present_pages++;
      z.flags[pfn] = PG_reserved;
      pfn++;
      continue;
    }
    let end = memblock_free_run_end(mb, pfn);
    while (end < z.max_pfn && memblock_is_free_ram(mb, end)) end = memblock_free_run_end(mb, end);
    if (end > z.max_pfn) end = z.max_pfn;
    z.present_pages += end - pfn;
    while (pfn < end) {
      let order = MAX_PAGE_ORDER;
      while (order > 0 && ((pfn & ((1 << order) - 1)) !== 0 || pfn + (1 << order) > end)) order--;
      list_add(z, pfn, order);
      z.free_pages += 1 << order;
      z.managed_pages += 1 << order;
      pfn += 1 << order;
    }
  }
}

/** Boot: build the zone now rather than on first use. */
export function mem_init(): Zone {
  return zone_var.get();
}

/**
 * alloc_pages(): allocate 2^order contiguous page frames. Returns the first page frame number, or
 * -ENOMEM when no block is large enough, -EINVAL for an order outside 0…10. With __GFP_ZERO the
 * pages are zeroed. Any context (it never sleeps).
 */
export function alloc_pages(gfp: number, order: number): number {
  if (!(order >= 0 && order <= MAX_PAGE_ORDER) || (order | 0) !== order) return -EINVAL;
  const z = zone_var.get();
  if (should_fail_alloc_page(gfp, order)) {
    z.alloc_fail++;
    return -ENOMEM;
  }
  let o = order;
  while (o <= MAX_PAGE_ORDER && z.free_head[o] === NONE) o++;
  if (o > MAX_PAGE_ORDER) {
    z.alloc_fail++;
    return -ENOMEM;
  }
  const pfn = z.free_head[o]!;
  list_del(z, pfn, o);
  // Split: give back the upper half at each level (expand() in Linux).
  while (o > order) {
    o--;
    list_add(z, pfn + (1 << o), o);
  }
  z.flags[pfn] = PG_head;
  z.order[pfn] = order;
  z.free_pages -= 1 << order;
  if ((gfp & __GFP_ZERO) !== 0) {
    const start = pfn << PAGE_SHIFT;
    z.ram.fill(0, start, start + (PAGE_SIZE << order));
  }
  return pfn;
}

export function alloc_page(gfp: number): number {
  return alloc_pages(gfp, 0);
}

function describe(z: Zone, pfn: number): string {
  return `page:pfn 0x${pfn.toString(16)} phys 0x${(pfn * PAGE_SIZE).toString(16)} flags 0x${z.flags[pfn]!.toString(16)} order ${z.order[pfn]}`;
}

/**
 * free_pages(): return a block from alloc_pages(). Returns 0, or -EINVAL after reporting a bad
 * page (double free, a page that is not the head of an allocation, a reserved page, a wrong order
 * or a pfn outside RAM); the allocator is not modified in that case. Any context.
 */
export function free_pages(pfn: number, order: number): number {
  const z = zone_var.get();
  if (!Number.isInteger(pfn) || pfn < 0 || pfn >= z.max_pfn) {
    bad_page(`freeing pfn ${pfn}, which is not RAM`, `max_pfn 0x${z.max_pfn.toString(16)}`);
    return -EINVAL;
  }
  const flags = z.flags[pfn]!;
  if ((flags & PG_buddy) !== 0) {
    bad_page("double free: page is already free", describe(z, pfn));
    return -EINVAL;
  }
  if ((flags & PG_reserved) !== 0) {
    bad_page("freeing a reserved page", describe(z, pfn));
    return -EINVAL;
  }
  if ((flags & PG_head) === 0) {
    bad_page("freeing a page that is not the head of an allocation (tail page or never allocated)", describe(z, pfn));
    return -EINVAL;
  }
  if (z.order[pfn] !== order) {
    bad_page(`freeing order ${order} but the block was allocated with order ${z.order[pfn]}`, describe(z, pfn));
    return -EINVAL;
  }
  z.flags[pfn] = 0;
  z.free_pages += 1 << order;
  // Merge with free buddies (__free_one_page).
  while (order < MAX_PAGE_ORDER) {
    const buddy = pfn ^ (1 << order);
    if (buddy >= z.max_pfn || z.flags[buddy] !== PG_buddy || z.order[buddy] !== order) break;
    list_del(z, buddy, order);
    pfn &= buddy;
    order++;
  }
  list_add(z, pfn, order);
  return 0;
}

export function free_page(pfn: number): number {
  return free_pages(pfn, 0);
}

/** Pages free in the allocator (NR_FREE_PAGES). */
export function nr_free_pages(): number {
  return zone_var.get().free_pages;
}

/** Pages managed by the allocator (totalram_pages()). */
export function totalram_pages(): number {
  return zone_var.get().managed_pages;
}

export function page_zone(): Zone {
  return zone_var.get();
}

export function page_to_phys(pfn: number): number {
  return pfn * PAGE_SIZE;
}

/**
 * page_address(): the kernel's view (direct map) of `len` bytes starting at page frame `pfn`.
 * Reaching outside RAM is a kernel bug.
 */
export function page_address(pfn: number, len: number = PAGE_SIZE): Uint8Array {
  const ram = this_kernel().platform.ops.ram;
  const start = pfn * PAGE_SIZE;
  // RAM is what the memory map describes (the host buffer may hold more: devices' on-chip memory).
  if (start < 0 || start + len > zone_var.get().max_pfn * PAGE_SIZE) BUG(`page_address of pfn 0x${pfn.toString(16)}+${len} is outside RAM`);
  return new Uint8Array(ram, start, len);
}

/**
 * Check the allocator's invariants (used by tests and CONFIG_DEBUG_VM-style checks): every free
 * block is aligned, of its list's order, flagged PageBuddy and not overlapping another; the counts
 * match. Returns a list of problems (empty when consistent).
 */
export function check_free_lists(): string[] {
  const z = zone_var.get();
  const problems: string[] = [];
  const seen = new Uint8Array(z.max_pfn);
  let total = 0;
  for (let o = 0; o <= MAX_PAGE_ORDER; o++) {
    let n = 0;
    let prev = NONE;
    for (let pfn = z.free_head[o]!; pfn !== NONE; pfn = z.next[pfn]!) {
      n++;
      if (z.prev[pfn] !== prev) problems.push(`order ${o}: pfn ${pfn} has a broken prev link`);
      prev = pfn;
      if (z.flags[pfn] !== PG_buddy || z.order[pfn] !== o) problems.push(`order ${o}: pfn ${pfn} is not marked free at this order`);
      if ((pfn & ((1 << o) - 1)) !== 0) problems.push(`order ${o}: pfn ${pfn} is misaligned`);
      for (let i = pfn; i < pfn + (1 << o) && i < z.max_pfn; i++) {
        if (seen[i]) problems.push(`pfn ${i} is on two free lists`);
        seen[i] = 1;
      }
      if (n > z.max_pfn) {
        problems.push(`order ${o}: free list loops`);
        break;
      }
    }
    if (n !== z.nr_free[o]) problems.push(`order ${o}: nr_free says ${z.nr_free[o]}, list has ${n}`);
    total += n << o;
  }
  if (total !== z.free_pages) problems.push(`free_pages says ${z.free_pages}, lists hold ${total}`);
  return problems;
}
