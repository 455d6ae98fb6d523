/**
 * Page-allocation failure injection (fail_page_alloc): the allocator's own semantics, then every
 * allocation e1000 makes while loading and bringing eth0 up is failed in turn — each run must
 * either succeed or fail cleanly, and leave no page, DMA buffer, packet buffer or IRQ behind.
 */
import { describe, expect, it } from "vitest";
import { ENOMEM } from "../../include/linux/errno.ts";
import { GFP_ATOMIC, GFP_KERNEL } from "../../include/linux/gfp.ts";
import { dev_get_by_name, dev_open } from "../../drivers/net/netdev.ts";
import { kernfs_read, kernfs_write } from "../../kernel/fs/kernfs.ts";
import { dma_coherent_usage } from "../../kernel/dma/mapping.ts";
import { irq_actions } from "../../kernel/irq/manage.ts";
import { fail_page_alloc_attr } from "../../kernel/mm/fail_page_alloc.ts";
import { alloc_pages, free_pages, nr_free_pages } from "../../kernel/mm/page_alloc.ts";
import { pbuf_stats } from "../../kernel/mm/pbuf.ts";
import { load_module, unload_module } from "../../kernel/module.ts";
import { msleep } from "../../kernel/sched/core.ts";
import { boot_test_machine } from "../helpers/boot.ts";
import { boot_net_machine } from "../helpers/net_machine.ts";

describe("fail_page_alloc", () => {
  it("fails as many allocations as 'times' says, every interval-th one, sparing GFP_KERNEL and order 0 by default", () => {
    const tm = boot_test_machine({ cmdline: "quiet fail_page_alloc=2,100,0,3" });
    const f = fail_page_alloc_attr();
    // Linux's defaults: sleeping allocations and single pages are never failed.
    expect(alloc_pages(GFP_KERNEL, 1)).toBeGreaterThanOrEqual(0);
    expect(alloc_pages(GFP_ATOMIC, 0)).toBeGreaterThanOrEqual(0);
    const results = Array.from({ length: 8 }, () => alloc_pages(GFP_ATOMIC, 1));
    // interval 2: the 2nd, 4th and 6th eligible calls fail; then 'times' is used up.
    expect(results.map((r) => r === -ENOMEM)).toEqual([false, true, false, true, false, true, false, false]);
    expect(f.attr.times).toBe(0);
    for (const r of results) if (r >= 0) free_pages(r, 1);
    const log = tm.dmesg();
    expect(log.match(/FAULT_INJECTION: forcing a failure\./g)).toHaveLength(3);
    expect(log).toContain("name fail_page_alloc, interval 2, probability 100, space 0, times 3");
  });

  it("is configured through /sys/kernel/debug/fail_page_alloc as in Linux", async () => {
    const tm = boot_test_machine();
    await tm.in_task(async () => {
      expect(await kernfs_write("/sys/kernel/debug/fail_page_alloc/probability", "100")).toBeGreaterThan(0);
      expect(await kernfs_write("/sys/kernel/debug/fail_page_alloc/times", "1")).toBeGreaterThan(0);
      expect(await kernfs_write("/sys/kernel/debug/fail_page_alloc/min-order", "0")).toBeGreaterThan(0);
      expect(await kernfs_write("/sys/kernel/debug/fail_page_alloc/ignore-gfp-wait", "0")).toBeGreaterThan(0);
      expect(await kernfs_write("/sys/kernel/debug/fail_page_alloc/probability", "lots")).toBe(-22);
    });
    expect(kernfs_read("/sys/kernel/debug/fail_page_alloc/probability")).toBe("100\n");
    expect(alloc_pages(GFP_KERNEL, 0)).toBe(-ENOMEM);
    const pfn = alloc_pages(GFP_KERNEL, 0);
    expect(pfn).toBeGreaterThanOrEqual(0);
    free_pages(pfn, 0);
  });

  it("every allocation of e1000's probe and open, failed in turn, unwinds without a leak", async () => {
    const tm = await boot_net_machine({ load: false });
    await tm.in_task(() => load_module("netdev"));
    const f = fail_page_alloc_attr();
    f.set_min_order(0);
    f.set_ignore_gfp_wait(false);
    f.attr.verbose = 0;
    const free = nr_free_pages();
    let runs = 0;
    const outcomes = { probe_failed: 0, open_failed: 0, survived: 0 };
    for (let k = 1; ; k++) {
      // Fail exactly the k-th allocation from here on.
      f.attr.count = 0;
      f.attr.interval = k;
      f.attr.probability = 100;
      f.attr.times = 1;
      const failures = f.attr.failures;
      await tm.in_task(async () => {
        expect(await load_module("e1000")).toBe(0); // a probe failure leaves the driver loaded, unbound
        const eth0 = dev_get_by_name("eth0");
        if (eth0 === undefined) outcomes.probe_failed++;
        else {
          const r = await dev_open(eth0);
          if (r !== 0) {
            expect(r).toBe(-ENOMEM);
            outcomes.open_failed++;
          } else outcomes.survived++;
          await msleep(10);
        }
        expect(await unload_module("e1000")).toBe(0);
      });
      runs++;
      expect(irq_actions(11)).toEqual([]);
      expect(dma_coherent_usage().allocations).toBe(0);
      expect(pbuf_stats().in_use).toBe(0);
      expect(nr_free_pages()).toBe(free);
      if (f.attr.failures === failures) break; // k is past the last allocation: every site was hit
    }
    f.attr.probability = 0;
    expect(runs).toBeGreaterThan(3);
    expect(outcomes.probe_failed).toBeGreaterThan(0);
    expect(outcomes.open_failed + outcomes.survived).toBeGreaterThan(0);
  });
});
