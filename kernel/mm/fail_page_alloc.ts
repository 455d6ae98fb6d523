import { GFP_KERNEL, PAGE_SIZE } from "../../include/linux/gfp.ts";
import { fault_create_debugfs_attr, FaultAttr, setup_fault_attr, should_fail } from "../fault_inject.ts";
import { DEFINE_PER_KERNEL } from "../kernel.ts";

/**
 * Page-allocation failure injection (mm/fail_page_alloc.c): make alloc_pages() return -ENOMEM on
 * purpose, so that the error paths of probe, open and RX refill run. Configured like Linux:
 *
 * - boot: `fail_page_alloc=<interval>,<probability>,<space>,<times>` on the kernel command line
 *   (`npm start -- -append "fail_page_alloc=1,100,0,5"`);
 * - at run time: /sys/kernel/debug/fail_page_alloc/{probability,interval,times,space,verbose,
 *   ignore-gfp-wait,min-order}.
 *
 * Linux's defaults are kept: allocations that may sleep (GFP_KERNEL) are spared (ignore-gfp-wait
 * 1), and so are single pages (min-order 1); set both to 0 to fail everything.
 */
class FailPageAlloc {
  readonly attr = new FaultAttr("fail_page_alloc");
  ignore_gfp_reclaim = true;
  min_order = 1;
}
const fail_page_alloc = DEFINE_PER_KERNEL(() => new FailPageAlloc());

/** The fault attributes, for tests and the boot parameter. */
export function fail_page_alloc_attr(): { attr: FaultAttr; set_ignore_gfp_wait(v: boolean): void; set_min_order(o: number): void } {
  const f = fail_page_alloc.get();
  return {
    attr: f.attr,
    set_ignore_gfp_wait: (v) => (f.ignore_gfp_reclaim = v),
    set_min_order: (o) => (f.min_order = o),
  };
}

/** `fail_page_alloc=` from the command line. False when malformed. */
export function setup_fail_page_alloc(str: string): boolean {
  return setup_fault_attr(fail_page_alloc.get().attr, str);
}

/** should_fail_alloc_page(): alloc_pages asks before taking a block. Any context. */
export function should_fail_alloc_page(gfp: number, order: number): boolean {
  const f = fail_page_alloc.get();
  if (f.attr.probability === 0) return false;
  if (order < f.min_order) return false;
  if (f.ignore_gfp_reclaim && (gfp & GFP_KERNEL) !== 0) return false;
  return should_fail(f.attr, PAGE_SIZE << order);
}

/** debugfs files, created at boot. */
export function fail_page_alloc_debugfs(): void {
  const f = fail_page_alloc.get();
  fault_create_debugfs_attr(f.attr, {
    "ignore-gfp-wait": { get: () => (f.ignore_gfp_reclaim ? 1 : 0), set: (v) => (f.ignore_gfp_reclaim = v !== 0) },
    "min-order": { get: () => f.min_order, set: (v) => (f.min_order = v) },
  });
}
