import { GFP_ATOMIC, PAGE_SHIFT, PAGE_SIZE } from "../../include/linux/gfp.ts";
import { CHECKSUM_PARTIAL, PBUF_HEADROOM, PBUF_SIZE, type NetDevice, type PBuf } from "../../include/net/netdevice.ts";
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
  ip_summed = 0;
  csum = 0;
  csum_start = 0;
  csum_offset = 0;
  gso_size = 0;
  gso_type = 0;
  gso_segs = 0;
  data_len = 0;
  frag: PBuf | null = null;
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
  /**
   * Free halves of pages whose other half is in use: a stack of nr_free entries over an array that
   * never shrinks (push/pop on a plain array would trim and regrow it, allocating as frames flow).
   */
  readonly free: PBufImpl[] = [];
  nr_free = 0;
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
    const free = this.free;
    p.free_index = this.nr_free;
    if (this.nr_free === free.length) free.push(p);
    else free[this.nr_free] = p;
    this.nr_free++;
  }

  /** The most recently freed buffer, or undefined. */
  pop_free(): PBufImpl | undefined {
    if (this.nr_free === 0) return undefined;
    const p = this.free[--this.nr_free]!;
    p.free_index = -1;
    return p;
  }

  remove_free(p: PBufImpl): void {
    const last = this.free[--this.nr_free]!;
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
  let p = pool.pop_free();
  if (p === undefined) {
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
  p.ip_summed = 0;
  p.csum = 0;
  p.csum_start = 0;
  p.csum_offset = 0;
  p.gso_size = 0;
  p.gso_type = 0;
  p.gso_segs = 0;
  p.data_len = 0;
  p.frag = null;
  pool.allocs++;
  if (++pool.in_use > pool.peak) pool.peak = pool.in_use;
  return p;
}

/** pbuf_get(): one more holder. */
export function pbuf_get(p: PBuf): PBuf {
  p.refcnt++;
  return p;
}

/**
 * pbuf_put(): drop a reference; the last one returns the buffer (and maybe its page), and puts the
 * fragments it holds (a scatter-gather frame's chain, see PBuf.frag).
 */
export function pbuf_put(p: PBuf): void {
  let cur: PBuf | null = p;
  while (cur !== null) {
    if (WARN(cur.refcnt <= 0, "pbuf_put on a buffer that is already free")) return;
    if (--cur.refcnt > 0) return;
    const frag: PBuf | null = cur.frag;
    cur.frag = null;
    cur.data_len = 0;
    pbuf_release(cur);
    cur = frag;
  }
}

function pbuf_release(p: PBuf): void {
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

/**
 * pbuf_add_frag(): append fragment `f` (its bytes data[f.head .. f.head + f.len)) to frame `p`,
 * handing `p` the caller's reference to `f`. The frame grows by f.len (len and data_len).
 */
export function pbuf_add_frag(p: PBuf, f: PBuf): void {
  let last = p;
  while (last.frag !== null) last = last.frag;
  last.frag = f;
  f.data_len = 0;
  p.len += f.len;
  p.data_len += f.len;
}

/**
 * pbuf_copy_bits() (skb_copy_bits): copy `len` bytes of the frame starting at frame offset `off`
 * into `to` at `to_off`, walking the head and its fragments. Returns the bytes copied.
 */
export function pbuf_copy_bits(p: PBuf, off: number, to: Uint8Array, to_off: number, len: number): number {
  let done = 0;
  let seg_len = p.len - p.data_len;
  let seg: PBuf | null = p;
  while (seg !== null && done < len) {
    if (off < seg_len) {
      const n = Math.min(seg_len - off, len - done);
      to.set(seg.data.subarray(seg.head + off, seg.head + off + n), to_off + done);
      done += n;
      off = 0;
    } else {
      off -= seg_len;
    }
    seg = seg.frag;
    if (seg !== null) seg_len = seg.len;
  }
  return done;
}

/**
 * pbuf_linearize() (skb_linearize): move every fragment's bytes into the head buffer and put the
 * fragments. Returns 0, or -1 when the frame does not fit one buffer (it is left as it was).
 */
export function pbuf_linearize(p: PBuf): number {
  if (p.data_len === 0) return 0;
  const headlen = p.len - p.data_len;
  if (p.head + p.len > p.data.length) {
    if (p.len > p.data.length) return -1;
    p.data.copyWithin(0, p.head, p.head + headlen);
    if (p.ip_summed === CHECKSUM_PARTIAL) p.csum_start -= p.head;
    p.head = 0;
  }
  let at = p.head + headlen;
  let f = p.frag;
  while (f !== null) {
    p.data.set(f.data.subarray(f.head, f.head + f.len), at);
    at += f.len;
    f = f.frag;
  }
  const chain = p.frag;
  p.frag = null;
  p.data_len = 0;
  if (chain !== null) pbuf_put(chain);
  return 0;
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

