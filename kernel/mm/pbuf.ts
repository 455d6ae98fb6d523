import { GFP_ATOMIC, PAGE_SHIFT, PAGE_SIZE } from "../../include/linux/gfp.ts";
import { PBUF_HEADROOM, PBUF_SIZE, type NetDevice, type PBuf } from "../../include/net/netdevice.ts";
import { DEFINE_PER_KERNEL } from "../kernel.ts";
import { WARN } from "../panic.ts";
import { alloc_pages, free_pages } from "./page_alloc.ts";

/**
 * The packet buffer pool: 2 KiB buffers carved two to a page from the buddy allocator, so a
 * frame's bytes are DMA-able where they lie and a transmit needs no copy into the ring.
 *
 * A page goes back to the buddy allocator as soon as both its halves are free, so the pool holds
 * no memory it does not use. The buffer objects themselves are made once per physical location and
 * reused whenever that page comes back (the buddy allocator's free lists are LIFO, so it usually
 * does): in steady state allocating and freeing a buffer allocates nothing. Any context.
 */
class PBufImpl implements PBuf {
  readonly data: Uint8Array;
  readonly view: DataView;
  readonly dma: number;
  head = PBUF_HEADROOM;
  len = 0;
  refcnt = 0;
  dev: NetDevice | null = null;
  protocol = 0;
  next: PBuf | null = null;
  tstamp = 0;
  readonly pfn: number;
  readonly half: number;
  /** Position in the pool's list of free halves, -1 when not there. */
  free_index = -1;

  constructor(ram: ArrayBuffer, pfn: number, half: number) {
    this.pfn = pfn;
    this.half = half;
    this.dma = pfn * PAGE_SIZE + half * PBUF_SIZE;
    this.data = new Uint8Array(ram, this.dma, PBUF_SIZE);
    this.view = new DataView(ram, this.dma, PBUF_SIZE);
  }
}

class PBufPool {
  /** Buffer objects by physical address >> 11, made on first use of that location. */
  readonly slots: (PBufImpl | undefined)[] = [];
  /** Free halves of pages whose other half is in use. */
  readonly free: PBufImpl[] = [];
  readonly ram: ArrayBuffer;
  in_use = 0;
  pages = 0;
  peak = 0;
  allocs = 0;
  failures = 0;

  constructor(ram: ArrayBuffer) {
    this.ram = ram;
  }

  slot(pfn: number, half: number): PBufImpl {
    const i = (pfn << 1) | half;
    let p = this.slots[i];
    if (p === undefined) {
      p = new PBufImpl(this.ram, pfn, half);
      this.slots[i] = p;
    }
    return p;
  }

  push_free(p: PBufImpl): void {
    p.free_index = this.free.length;
    this.free.push(p);
  }

  remove_free(p: PBufImpl): void {
    const last = this.free.pop()!;
    if (last !== p) {
      this.free[p.free_index] = last;
      last.free_index = p.free_index;
    }
    p.free_index = -1;
  }
}

const pool_var = DEFINE_PER_KERNEL((k) => new PBufPool(k.platform.ops.ram));

/** pbuf_alloc(): a buffer with one reference, head at PBUF_HEADROOM, len 0; null when memory is short. */
export function pbuf_alloc(): PBuf | null {
  const pool = pool_var.get();
  let p = pool.free.pop();
  if (p !== undefined) {
    p.free_index = -1;
  } else {
    const pfn = alloc_pages(GFP_ATOMIC, 0);
    if (pfn < 0) {
      pool.failures++;
      return null;
    }
    pool.pages++;
    p = pool.slot(pfn, 0);
    pool.push_free(pool.slot(pfn, 1));
  }
  p.refcnt = 1;
  p.head = PBUF_HEADROOM;
  p.len = 0;
  p.dev = null;
  p.protocol = 0;
  p.next = null;
  pool.allocs++;
  if (++pool.in_use > pool.peak) pool.peak = pool.in_use;
  return p;
}

/** pbuf_get(): one more holder. */
export function pbuf_get(p: PBuf): PBuf {
  p.refcnt++;
  return p;
}

/** pbuf_put(): drop a reference; the last one returns the buffer (and maybe its page). */
export function pbuf_put(p: PBuf): void {
  if (WARN(p.refcnt <= 0, "pbuf_put on a buffer that is already free")) return;
  if (--p.refcnt > 0) return;
  const pool = pool_var.get();
  const b = p as PBufImpl;
  pool.in_use--;
  const sibling = pool.slot(b.pfn, b.half ^ 1);
  if (sibling.free_index >= 0) {
    pool.remove_free(sibling);
    free_pages(b.pfn, 0);
    pool.pages--;
  } else {
    pool.push_free(b);
  }
}

/** Copy `len` bytes into a fresh buffer (at the default headroom). */
export function pbuf_from_bytes(bytes: Uint8Array, len = bytes.length): PBuf | null {
  const p = pbuf_alloc();
  if (p === null) return null;
  p.data.set(bytes.subarray(0, len), p.head);
  p.len = len;
  return p;
}

export function pbuf_stats(): { in_use: number; pages: number; peak: number; allocs: number; failures: number } {
  const pool = pool_var.get();
  return { in_use: pool.in_use, pages: pool.pages, peak: pool.peak, allocs: pool.allocs, failures: pool.failures };
}

/** /proc/net/pbuf: the pool's size. */
export function show_pbuf(): string {
  const s = pbuf_stats();
  return `buffer size ${PBUF_SIZE}\nbuffers in use ${s.in_use}\npages ${s.pages} (${(s.pages << PAGE_SHIFT) / 1024} kB)\npeak in use ${s.peak}\nallocations ${s.allocs}\nallocation failures ${s.failures}\n`;
}

