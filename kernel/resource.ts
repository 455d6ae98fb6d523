/**
 * Claimed address ranges (kernel/resource.c's __request_region / __release_region, reduced): a
 * driver claims the I/O ports or memory it drives under its own name — request_region(0x3f8, 8,
 * "serial"), pci_request_regions(pdev, "e1000") for a PCI function's BARs — and /proc/ioports and
 * /proc/iomem show the claim below whatever contains it (kernel/fs/proc_iomem.ts).
 *
 * A claim is busy (IORESOURCE_BUSY): a second claim overlapping it fails (null here, as Linux's
 * returns NULL), and so does a claim that is not wholly inside one of the ranges the firmware or
 * the PCI core described when it overlaps one partly (proc_iomem decides that part when it nests).
 * Claims are kept per kernel in the order made; process context.
 */
import { IORESOURCE_BUSY, IORESOURCE_IO, IORESOURCE_MEM } from "../include/linux/ioport.ts";
import { DEFINE_PER_KERNEL } from "./kernel.ts";

/** A claimed range (the struct resource __request_region allocates). */
export interface ResourceClaim {
  readonly start: number;
  /** Last address, inclusive. */
  readonly end: number;
  readonly name: string;
  /** IORESOURCE_IO or IORESOURCE_MEM, with IORESOURCE_BUSY. */
  readonly flags: number;
}

const claims = DEFINE_PER_KERNEL(() => [] as ResourceClaim[]);

/**
 * __request_region(): claim `n` addresses from `start` of kind `type` (IORESOURCE_IO or
 * IORESOURCE_MEM) for `name`. The claim, or null when the range is empty or overlaps a claim
 * already made (the region is busy).
 */
export function __request_region(type: number, start: number, n: number, name: string): ResourceClaim | null {
  if (n <= 0 || start < 0) return null;
  const end = start + n - 1;
  const list = claims.get();
  if (list.some((c) => (c.flags & type) !== 0 && c.start <= end && start <= c.end)) return null;
  const claim: ResourceClaim = { start, end, name, flags: type | IORESOURCE_BUSY };
  list.push(claim);
  return claim;
}

/**
 * __release_region(): give back the claim that starts at `start` and spans `n` addresses. Returns
 * false (Linux warns "Trying to free nonexistent resource") when there is none.
 */
export function __release_region(type: number, start: number, n: number): boolean {
  const list = claims.get();
  const i = list.findIndex((c) => (c.flags & type) !== 0 && c.start === start && c.end === start + n - 1);
  if (i < 0) return false;
  list.splice(i, 1);
  return true;
}

/** request_region(): I/O ports. */
export function request_region(start: number, n: number, name: string): ResourceClaim | null {
  return __request_region(IORESOURCE_IO, start, n, name);
}

/** request_mem_region(): memory-mapped addresses. */
export function request_mem_region(start: number, n: number, name: string): ResourceClaim | null {
  return __request_region(IORESOURCE_MEM, start, n, name);
}

export function release_region(start: number, n: number): boolean {
  return __release_region(IORESOURCE_IO, start, n);
}

export function release_mem_region(start: number, n: number): boolean {
  return __release_region(IORESOURCE_MEM, start, n);
}

/** The claims of kind `type` held now, in the order made (for /proc/iomem and /proc/ioports). */
export function claimed_regions(type: number): readonly ResourceClaim[] {
  return claims.get().filter((c) => (c.flags & type) !== 0);
}
