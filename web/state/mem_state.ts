/**
 * Memory for the page's memory panel (DOM-free): the buddy allocator's free lists — free blocks
 * per order, as /proc/buddyinfo shows them (kernel/mm/vmstat.ts show_buddyinfo reads the same
 * Zone) — its totals and failures, and the packet-buffer pool (kernel/mm/pbuf.ts, /proc/net/pbuf):
 * buffers it has carved, in use, free, and who holds the ones in use.
 *
 * Holders, counted from the drivers' own bookkeeping (cheap: one pass over each ring's slots):
 * - rx: buffers posted to a NIC's receive ring (e1000: the RX ring's buffer_info slots that hold a
 *   buffer; virtio-net: the receive queue's descriptors in use, one buffer each);
 * - tx: frames handed to a NIC and not yet completed (e1000: the TX ring's buffer_info, each frame
 *   with its fragments). virtio-net's transmit queue keeps its buffers private (virtio_ring.ts
 *   desc_state), so its frames in flight count under `other`;
 * - other: the rest of in_use — frames in the stack, on socket and ARP queues, in the fragment
 *   reassembly, virtio-net TX.
 *
 * Called once per animation frame: mem_snapshot() fills one object per machine and returns it every
 * time (copy what you keep). It allocates nothing of its own per call, except what pbuf_stats()
 * returns (one small object: the pool is not exported).
 */
import { E1000Adapter } from "../../drivers/net/e1000_adapter.ts";
import { netdev_list } from "../../drivers/net/netdev.ts";
import { VirtnetInfo } from "../../drivers/net/virtio_net_info.ts";
import { MAX_PAGE_ORDER, NR_PAGE_ORDERS, PAGE_SIZE } from "../../include/linux/gfp.ts";
import { PBUF_SIZE, type PBuf } from "../../include/net/netdevice.ts";
import { with_kernel } from "../../kernel/kernel.ts";
import { page_zone } from "../../kernel/mm/page_alloc.ts";
import { pbuf_stats } from "../../kernel/mm/pbuf.ts";
import type { WebMachine } from "./web_machine.ts";

export interface PbufSnapshot {
  /** Bytes per buffer (PBUF_SIZE). */
  buffer_size: number;
  /** Pages the pool holds from the buddy allocator, two buffers each. */
  pages: number;
  /** Buffers the pool has carved (pages × 2) = in_use + free. */
  capacity: number;
  in_use: number;
  /** Carved buffers not in use (halves of pages whose other half is in use). */
  free: number;
  peak: number;
  allocs: number;
  /** pbuf_alloc() returned null (the buddy allocator had no page). */
  failures: number;
  /** Holders of the in-use buffers (see the file's comment); rx + tx + other = in_use. */
  rx_ring: number;
  tx_ring: number;
  other: number;
  /** Receive refills the drivers could not make (e1000 alloc_rx_buff_failed + virtio-net rx_refill_oom). */
  rx_refill_failed: number;
}

export interface MemSnapshot {
  /** Largest buddy order (10: blocks of 4 MiB). */
  readonly max_order: number;
  /** Free blocks per order 0..max_order (/proc/buddyinfo's columns). */
  readonly free_blocks: Int32Array;
  /** Free pages per order: free_blocks[o] << o. */
  readonly free_pages_by_order: Float64Array;
  /** Pages free in the buddy lists (the sum of free_pages_by_order). */
  free_pages: number;
  /** Pages the allocator manages (MemTotal). */
  total_pages: number;
  /** Pages of RAM, reserved ones included. */
  present_pages: number;
  page_size: number;
  /** alloc_pages() failures (fail_page_alloc injections included). */
  alloc_fail: number;
  readonly pbuf: PbufSnapshot;
  /** Calls that found something different from the previous call (a panel can skip its redraw when unchanged). */
  version: number;
}

function new_snapshot(): MemSnapshot {
  return {
    max_order: MAX_PAGE_ORDER,
    free_blocks: new Int32Array(NR_PAGE_ORDERS),
    free_pages_by_order: new Float64Array(NR_PAGE_ORDERS),
    free_pages: 0,
    total_pages: 0,
    present_pages: 0,
    page_size: PAGE_SIZE,
    alloc_fail: 0,
    pbuf: { buffer_size: PBUF_SIZE, pages: 0, capacity: 0, in_use: 0, free: 0, peak: 0, allocs: 0, failures: 0, rx_ring: 0, tx_ring: 0, other: 0, rx_refill_failed: 0 },
    version: 0,
  };
}

/** Buffers in a frame: the head and its fragment chain. */
function chain_len(p: PBuf): number {
  let n = 0;
  for (let f: PBuf | null = p; f !== null && n < 4096; f = f.frag) n++;
  return n;
}

/** Holders counted by the drivers' rings, into `pb`. Kernel context (with_kernel). */
function count_holders(pb: PbufSnapshot): void {
  let rx = 0;
  let tx = 0;
  let refill_failed = 0;
  const devs = netdev_list();
  for (let i = 0; i < devs.length; i++) {
    const priv = devs[i]!.priv;
    if (priv instanceof E1000Adapter) {
      const rxb = priv.rx_ring.buffer_info;
      for (let s = 0; s < rxb.length; s++) if (rxb[s] !== null && rxb[s] !== undefined) rx++;
      const txb = priv.tx_ring.buffer_info;
      for (let s = 0; s < txb.length; s++) {
        const p = txb[s];
        if (p !== null && p !== undefined) tx += chain_len(p);
      }
      refill_failed += priv.alloc_rx_buff_failed;
    } else if (priv instanceof VirtnetInfo) {
      // rq is set during probe; before that (or after a failed probe) it is undefined.
      const rq = priv.rq as VirtnetInfo["rq"] | undefined;
      if (rq !== undefined) rx += rq.num - rq.num_free;
      refill_failed += priv.stats.rx_refill_oom;
    }
  }
  pb.rx_ring = rx;
  pb.tx_ring = tx;
  pb.rx_refill_failed = refill_failed;
}

interface Entry {
  readonly snap: MemSnapshot;
  /** Fills snap; bound once so a call makes no closure. */
  readonly fill: () => void;
}

const entries = new WeakMap<WebMachine, Entry>();

function make_entry(): Entry {
  const snap = new_snapshot();
  const fill = (): void => {
    let changed = false;
    const z = page_zone();
    let free = 0;
    for (let o = 0; o <= MAX_PAGE_ORDER; o++) {
      const n = z.nr_free[o]!;
      if (snap.free_blocks[o] !== n) {
        snap.free_blocks[o] = n;
        changed = true;
      }
      snap.free_pages_by_order[o] = n * 2 ** o;
      free += n * 2 ** o;
    }
    if (snap.free_pages !== free || snap.total_pages !== z.managed_pages || snap.alloc_fail !== z.alloc_fail) changed = true;
    snap.free_pages = free;
    snap.total_pages = z.managed_pages;
    snap.present_pages = z.present_pages;
    snap.alloc_fail = z.alloc_fail;
    const s = pbuf_stats();
    const pb = snap.pbuf;
    const prev_in_use = pb.in_use;
    const prev_rx = pb.rx_ring;
    const prev_tx = pb.tx_ring;
    const prev_fail = pb.failures + pb.rx_refill_failed;
    pb.pages = s.pages;
    pb.capacity = s.pages * 2;
    pb.in_use = s.in_use;
    pb.free = pb.capacity - s.in_use;
    pb.peak = s.peak;
    pb.allocs = s.allocs;
    pb.failures = s.failures;
    count_holders(pb);
    // Not clamped: a negative count says the holders were counted wrong, and the panel shows it.
    pb.other = s.in_use - pb.rx_ring - pb.tx_ring;
    if (prev_in_use !== pb.in_use || prev_rx !== pb.rx_ring || prev_tx !== pb.tx_ring || prev_fail !== pb.failures + pb.rx_refill_failed) changed = true;
    if (changed) snap.version++;
  };
  return { snap, fill };
}

/**
 * The memory state of `wm` now. Returns the same object on every call for a machine, updated in
 * place. Main thread, between run-loop slices; reads only.
 */
export function mem_snapshot(wm: WebMachine): MemSnapshot {
  let e = entries.get(wm);
  if (e === undefined) {
    e = make_entry();
    entries.set(wm, e);
  }
  with_kernel(wm.kernel, e.fill);
  return e.snap;
}
