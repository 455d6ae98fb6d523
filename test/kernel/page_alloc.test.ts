import { describe, expect, it } from "vitest";
import { ENOMEM, EINVAL } from "../../include/linux/errno.ts";
import { __GFP_ZERO, GFP_KERNEL, MAX_PAGE_ORDER, PAGE_SIZE } from "../../include/linux/gfp.ts";
import { proc_read } from "../../kernel/fs/proc.ts";
import {
  alloc_pages,
  check_free_lists,
  free_pages,
  nr_free_pages,
  page_zone,
  totalram_pages,
} from "../../kernel/mm/page_alloc.ts";
import { oops_count } from "../../kernel/panic.ts";
import { global_node_page_state, NR_SHMEM } from "../../kernel/mm/vmstat.ts";
import { dma_alloc_coherent, dma_coherent_usage, dma_free_coherent } from "../../kernel/dma/mapping.ts";
import { boot_test_machine } from "../helpers/boot.ts";

const MiB = 1024 * 1024;

describe("buddy page allocator", () => {
  it("hands out only RAM the firmware called usable and the kernel did not reserve", () => {
    const tm = boot_test_machine({ mem_size: 8 * MiB });
    const z = page_zone();
    // 8 MiB minus the first 64 KiB (reserved low) and the e820 hole 0x9FC00-0x100000.
    const hole_pages = (0x100000 - 0x9f000) / PAGE_SIZE; // the hole starts inside page 0x9F
    expect(totalram_pages()).toBe(8 * MiB / PAGE_SIZE - 16 - hole_pages);
    const got = new Set<number>();
    for (;;) {
      const pfn = alloc_pages(GFP_KERNEL, 0);
      if (pfn < 0) {
        expect(pfn).toBe(-ENOMEM);
        break;
      }
      got.add(pfn);
    }
    expect(got.size).toBe(totalram_pages());
    for (const pfn of got) {
      const addr = pfn * PAGE_SIZE;
      expect(addr >= 0x10000).toBe(true);
      expect(addr + PAGE_SIZE <= 0x9fc00 || addr >= 0x100000).toBe(true);
      expect(addr < 8 * MiB).toBe(true);
    }
    expect(nr_free_pages()).toBe(0);
    expect(z.alloc_fail).toBe(1);
    void tm;
  });

  it("splits on allocation and merges back to the same free lists on free", () => {
    boot_test_machine({ mem_size: 16 * MiB });
    const z = page_zone();
    // Empty orders 0-4 first, so the order-0 request below must split a larger block.
    const drained: [number, number][] = [];
    for (let o = 0; o <= 4; o++) while (z.nr_free[o]! > 0) drained.push([alloc_pages(GFP_KERNEL, o), o]);
    const before = Array.from(z.nr_free);
    const free_before = nr_free_pages();
    const pfn = alloc_pages(GFP_KERNEL, 0);
    expect(pfn).toBeGreaterThanOrEqual(0);
    expect(nr_free_pages()).toBe(free_before - 1);
    // The page came from the smallest non-empty order `src`; splitting it leaves one new free
    // block at every order below `src`.
    const src = before.findIndex((n) => n > 0);
    expect(src).toBeGreaterThanOrEqual(5);
    const expected = before.map((n, o) => (o === src ? n - 1 : o < src ? n + 1 : n));
    expect(Array.from(z.nr_free)).toEqual(expected);
    expect(check_free_lists()).toEqual([]);
    expect(free_pages(pfn, 0)).toBe(0);
    expect(Array.from(z.nr_free)).toEqual(before);
    for (const [p, o] of drained) expect(free_pages(p, o)).toBe(0);
    expect(nr_free_pages()).toBe(totalram_pages());
    expect(check_free_lists()).toEqual([]);
  });

  it("returns blocks aligned to their order, which never overlap", () => {
    boot_test_machine({ mem_size: 16 * MiB });
    const blocks: [number, number][] = [];
    for (let order = 0; order <= MAX_PAGE_ORDER; order++) {
      const pfn = alloc_pages(GFP_KERNEL, order);
      expect(pfn).toBeGreaterThanOrEqual(0);
      expect(pfn % (1 << order)).toBe(0);
      blocks.push([pfn, order]);
    }
    const pages = new Set<number>();
    for (const [pfn, order] of blocks) for (let i = 0; i < 1 << order; i++) {
      expect(pages.has(pfn + i)).toBe(false);
      pages.add(pfn + i);
    }
    for (const [pfn, order] of blocks) expect(free_pages(pfn, order)).toBe(0);
    expect(check_free_lists()).toEqual([]);
  });

  it("agrees with a model over a long random alloc/free sequence", () => {
    boot_test_machine({ mem_size: 8 * MiB });
    const total = nr_free_pages();
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const live = new Map<number, number>(); // pfn -> order
    const owner = new Map<number, number>(); // page -> head pfn (the model)
    for (let step = 0; step < 20000; step++) {
      if (live.size === 0 || rand(100) < 55) {
        const order = rand(100) < 70 ? rand(3) : rand(MAX_PAGE_ORDER + 1);
        const pfn = alloc_pages(GFP_KERNEL, order);
        if (pfn === -ENOMEM) continue;
        expect(pfn % (1 << order)).toBe(0);
        for (let i = 0; i < 1 << order; i++) {
          expect(owner.has(pfn + i)).toBe(false); // never hand out a page twice
          owner.set(pfn + i, pfn);
        }
        live.set(pfn, order);
      } else {
        const keys = [...live.keys()];
        const pfn = keys[rand(keys.length)]!;
        const order = live.get(pfn)!;
        expect(free_pages(pfn, order)).toBe(0);
        for (let i = 0; i < 1 << order; i++) owner.delete(pfn + i);
        live.delete(pfn);
      }
      expect(nr_free_pages()).toBe(total - owner.size);
      if (step % 2000 === 0) expect(check_free_lists()).toEqual([]);
    }
    for (const [pfn, order] of live) expect(free_pages(pfn, order)).toBe(0);
    expect(nr_free_pages()).toBe(total);
    expect(check_free_lists()).toEqual([]);
    // Fully merged again: everything sits in max-order blocks except around the holes.
    expect(page_zone().nr_free[MAX_PAGE_ORDER]).toBeGreaterThan(0);
  });

  it("reports a double free as a bad page with a stack and changes nothing", () => {
    const tm = boot_test_machine({ mem_size: 8 * MiB });
    const pfn = alloc_pages(GFP_KERNEL, 2);
    expect(free_pages(pfn, 2)).toBe(0);
    const free_before = nr_free_pages();
    const lists_before = Array.from(page_zone().nr_free);
    expect(free_pages(pfn, 2)).toBe(-EINVAL);
    expect(nr_free_pages()).toBe(free_before);
    expect(Array.from(page_zone().nr_free)).toEqual(lists_before);
    expect(check_free_lists()).toEqual([]);
    const log = tm.dmesg();
    expect(log).toMatch(/BUG: Bad page state: double free/);
    expect(log).toMatch(/Call Trace:/);
    expect(log).toMatch(/page_alloc\.test\.ts/); // the stack names the caller
    expect(oops_count()).toBe(1);
  });

  it("refuses to free a tail page, a wrong order, a reserved page or a pfn outside RAM", () => {
    const tm = boot_test_machine({ mem_size: 8 * MiB });
    const pfn = alloc_pages(GFP_KERNEL, 3);
    const free_before = nr_free_pages();
    expect(free_pages(pfn + 1, 0)).toBe(-EINVAL);
    expect(free_pages(pfn, 2)).toBe(-EINVAL);
    expect(free_pages(0, 0)).toBe(-EINVAL); // page 0 is reserved (low 64 KiB)
    expect(free_pages(1 << 30, 0)).toBe(-EINVAL);
    expect(nr_free_pages()).toBe(free_before);
    const log = tm.dmesg();
    expect(log).toMatch(/not the head of an allocation/);
    expect(log).toMatch(/freeing order 2 but the block was allocated with order 3/);
    expect(log).toMatch(/freeing a reserved page/);
    expect(log).toMatch(/which is not RAM/);
    expect(free_pages(pfn, 3)).toBe(0);
  });

  it("rejects orders outside 0..10 and reports ENOMEM for an impossible size", () => {
    boot_test_machine({ mem_size: 4 * MiB });
    expect(alloc_pages(GFP_KERNEL, 11)).toBe(-EINVAL);
    expect(alloc_pages(GFP_KERNEL, -1)).toBe(-EINVAL);
    // 4 MiB of RAM minus holes cannot hold an aligned 4 MiB block.
    expect(alloc_pages(GFP_KERNEL, 10)).toBe(-ENOMEM);
  });

  it("zeroes pages on __GFP_ZERO", () => {
    const tm = boot_test_machine({ mem_size: 8 * MiB });
    const pfn = alloc_pages(GFP_KERNEL, 0);
    tm.machine.mem.u8.fill(0xaa, pfn * PAGE_SIZE, (pfn + 1) * PAGE_SIZE);
    free_pages(pfn, 0);
    const again = alloc_pages(GFP_KERNEL | __GFP_ZERO, 0);
    expect(again).toBe(pfn); // LIFO free lists: the same page comes back
    expect(tm.machine.mem.u8.subarray(pfn * PAGE_SIZE, (pfn + 1) * PAGE_SIZE).every((b) => b === 0)).toBe(true);
  });

  it("shows /proc/buddyinfo and /proc/meminfo in Linux's layout", () => {
    boot_test_machine({ mem_size: 16 * MiB });
    const buddy = proc_read("/proc/buddyinfo") as string;
    expect(buddy).toMatch(/^Node 0, zone {3}Normal( +\d+){11} \n$/);
    const counts = buddy.trim().split(/\s+/).slice(4).map(Number);
    expect(counts.reduce((s, n, o) => s + (n << o), 0)).toBe(nr_free_pages());
    const mem = proc_read("/proc/meminfo") as string;
    expect(mem).toMatch(/^MemTotal: +\d+ kB$/m);
    const total = Number(/MemTotal:\s+(\d+)/.exec(mem)![1]);
    const free = Number(/MemFree:\s+(\d+)/.exec(mem)![1]);
    expect(total).toBe((totalram_pages() * PAGE_SIZE) / 1024);
    // MemFree is the buddy allocator's free pages less what tmpfs holds (the root's /etc files).
    expect(free).toBe(((nr_free_pages() - global_node_page_state(NR_SHMEM)) * PAGE_SIZE) / 1024);
    alloc_pages(GFP_KERNEL, 4);
    const free2 = Number(/MemFree:\s+(\d+)/.exec(proc_read("meminfo") as string)![1]);
    expect(free - free2).toBe(64);
  });
});

describe("coherent DMA memory", () => {
  it("gives zeroed memory whose bus address is where the CPU view lives in RAM", () => {
    const tm = boot_test_machine({ mem_size: 8 * MiB });
    tm.machine.mem.u8.fill(0x55); // dirty RAM: the allocation must still come back zeroed
    const before = nr_free_pages();
    const buf = dma_alloc_coherent(null, 5000)!;
    expect(buf).not.toBeNull();
    expect(buf.size).toBe(5000);
    expect(buf.dma_handle % 8192).toBe(0); // order-1 block, aligned to its size
    expect(buf.cpu_addr.every((b) => b === 0)).toBe(true);
    buf.view.setUint32(16, 0xdeadbeef, true);
    expect(tm.machine.mem.view.getUint32(buf.dma_handle + 16, true)).toBe(0xdeadbeef);
    expect(dma_coherent_usage()).toEqual({ bytes: 8192, allocations: 1 });
    dma_free_coherent(null, 5000, buf);
    expect(nr_free_pages()).toBe(before);
    expect(dma_coherent_usage()).toEqual({ bytes: 0, allocations: 0 });
  });

  it("returns null when memory runs out", () => {
    boot_test_machine({ mem_size: 4 * MiB });
    expect(dma_alloc_coherent(null, 8 * MiB)).toBeNull();
  });
});
