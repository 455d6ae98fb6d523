import { EHOSTUNREACH, EINVAL, ENOBUFS, EEXIST, ENOENT } from "../../include/linux/errno.ts";
import { ETH_P_ARP, ETH_P_IP, ETH_ZLEN, PBUF_SIZE, type NetDevice, type PBuf } from "../../include/net/netdevice.ts";
import { NLM_F_CREATE, NLM_F_EXCL, NUD_FAILED, NUD_INCOMPLETE, NUD_PERMANENT, NUD_REACHABLE, NUD_STALE, type NeighInfo } from "../../include/uapi/if.ts";
import { inet_ntoa, type NeighEntry } from "../../include/uapi/in.ts";
import { DEFINE_PER_KERNEL } from "../../kernel/kernel.ts";
import { pbuf_alloc, pbuf_put } from "../../kernel/mm/pbuf.ts";
import { ktime_get_ns, NSEC_PER_MSEC } from "../../kernel/time/timekeeping.ts";
import { mod_timer_ns, TimerList, del_timer, timer_pending } from "../../kernel/time/timer.ts";
import { kernfs_create, kernfs_remove } from "../../kernel/fs/kernfs.ts";
import { proc_create, proc_remove } from "../../kernel/fs/proc.ts";
import { pr_info } from "../../kernel/printk.ts";
import { dev_queue_xmit, mac_to_string } from "../../drivers/net/netdev.ts";
import { inet_addr_on, inet_is_broadcast, inet_local } from "./devinet.ts";
import { snmp } from "./snmp.ts";

/**
 * ARP (RFC 826; net/ipv4/arp.c and the neighbour table of net/core/neighbour.c, reduced). Entries
 * move INCOMPLETE → REACHABLE → STALE; an unresolved entry holds up to ARP_QUEUE_LEN_BYTES of packets,
 * retries ARP_RETRIES times a second apart, then fails: its packets are dropped and their senders
 * told "host unreachable". An interface that comes up announces itself with a gratuitous ARP.
 */
export const ARP_RETRIES = 3;
/**
 * neigh_parms ucast_probes: an unresolved entry starts its probe count here (neigh->probes), so it
 * fails once it reaches ARP_UCAST_PROBES + ARP_RETRIES (mcast_probes), as neigh_max_probes says.
 */
export const ARP_UCAST_PROBES = 3;
export const ARP_RETRANS_NS = 1000 * NSEC_PER_MSEC;
/** REACHABLE → STALE after this long without confirmation (base_reachable_time 30 s). */
export const ARP_REACHABLE_NS = 30_000 * NSEC_PER_MSEC;
/** STALE entries unused this long are forgotten (gc_stale_time 60 s). */
export const ARP_GC_NS = 60_000 * NSEC_PER_MSEC;
/**
 * What an unresolved entry may hold, by truesize (unres_qlen_bytes, SK_WMEM_MAX = 212,992, Linux's
 * default since 3.3 replaced the 3-packet unres_qlen): the oldest packets go first when it is full,
 * so the 44 fragments of a 65,000-byte ping all wait for the reply.
 */
export const ARP_QUEUE_LEN_BYTES = 212992;

/** skb->truesize, for packet buffers: the buffers of the head and of every fragment. */
function pbuf_truesize(p: PBuf): number {
  let n = PBUF_SIZE;
  for (let f = p.frag; f !== null; f = f.frag) n += PBUF_SIZE;
  return n;
}
/**
 * Table size limits and garbage collection (net/core/neighbour.c, arp_tbl's defaults): below
 * gc_thresh1 the periodic gc leaves the table alone; from gc_thresh2 on, a new entry first forces a
 * gc if the last one is more than 5 s old; at gc_thresh3 a new entry is refused when the forced gc
 * frees nothing ("arp_cache: neighbor table overflow!", rate-limited).
 */
export const NEIGH_GC_THRESH1 = 128;
export const NEIGH_GC_THRESH2 = 512;
export const NEIGH_GC_THRESH3 = 1024;
/** neigh_periodic_work runs every gc_interval (30 s). */
export const NEIGH_GC_INTERVAL_NS = 30_000 * NSEC_PER_MSEC;
/** neigh_forced_gc keeps entries updated in the last 5 s and runs at most once per 5 s. */
const NEIGH_FORCED_GC_AGE_NS = 5_000 * NSEC_PER_MSEC;
/** net_ratelimit(): at most one overflow message per 5 s. */
const NEIGH_OVERFLOW_MSG_NS = 5_000 * NSEC_PER_MSEC;

const ARPOP_REQUEST = 1;
const ARPOP_REPLY = 2;

/** What to tell a packet's sender when its destination cannot be resolved. */
export type XmitError = (err: number, p: PBuf) => void;

class Neigh {
  readonly addr: number;
  readonly dev: NetDevice;
  readonly mac = new Uint8Array(6);
  state: NeighEntry["state"] = "INCOMPLETE";
  updated = 0;
  /** Last time a packet went out through this entry (n->used): recently used entries count as referenced. */
  used = 0;
  /** When the entry was made: n->used's starting value, as Linux's neigh_alloc sets it (`used` stays 0 here, for the gc). */
  created = 0;
  /** Last time the peer proved reachable (n->confirmed); a new entry's lies 2 × base_reachable_time back. */
  confirmed = 0;
  /** Probes sent (n->probes): resolution starts it at ARP_UCAST_PROBES; kept once resolved. */
  probes = 0;
  readonly queue: [PBuf, XmitError | null][] = [];
  readonly timer: TimerList;

  constructor(addr: number, dev: NetDevice, on_timer: (n: Neigh) => void) {
    this.addr = addr;
    this.dev = dev;
    this.timer = new TimerList(() => on_timer(this));
  }
}

/** struct neigh_table for ARP: the entries, the gc bookkeeping and the /proc/net/stat/arp_cache counters. */
class NeighTable {
  readonly entries = new Map<number, Neigh>();
  gc_thresh1 = NEIGH_GC_THRESH1;
  gc_thresh2 = NEIGH_GC_THRESH2;
  gc_thresh3 = NEIGH_GC_THRESH3;
  /** When neigh_forced_gc last ran (-inf: never). */
  last_flush = -Infinity;
  last_overflow_msg = -Infinity;
  readonly gc_timer = new TimerList(neigh_periodic_work);
  /* NEIGH_CACHE_STAT */
  allocs = 0;
  destroys = 0;
  forced_gc_runs = 0;
  periodic_gc_runs = 0;
  table_fulls = 0;
}
const neigh_tbl = DEFINE_PER_KERNEL(() => new NeighTable());
const arp_tbl = { get: (): Map<number, Neigh> => neigh_tbl.get().entries };

/** Is the entry referenced (Linux: refcnt > 1)? Packets wait in it, or it carried one in the last 5 s. */
function neigh_in_use(n: Neigh, now: number): boolean {
  return n.queue.length > 0 || n.state === "PERMANENT" || now - n.used < NEIGH_FORCED_GC_AGE_NS;
}

function neigh_destroy(tbl: NeighTable, k: number, n: Neigh): void {
  del_timer(n.timer);
  // Frames still waiting for resolution are dropped, and counted on their device as Linux's
  // neigh_flush_dev/__skb_queue_purge leave them in tx_dropped.
  for (const [p] of n.queue.splice(0)) {
    n.dev.stats.tx_dropped++;
    pbuf_put(p);
  }
  tbl.entries.delete(k);
  tbl.destroys++;
}

/**
 * neigh_forced_gc(): the table is over gc_thresh2: drop unreferenced entries that failed or were not
 * updated in the last 5 s, until it is back at gc_thresh2. Returns how many went. Softirq or process.
 */
function neigh_forced_gc(tbl: NeighTable, now: number): number {
  tbl.forced_gc_runs++;
  tbl.last_flush = now;
  const max_clean = tbl.entries.size - tbl.gc_thresh2;
  let shrunk = 0;
  for (const [k, n] of tbl.entries) {
    if (shrunk >= max_clean) break;
    if (neigh_in_use(n, now)) continue;
    if (n.state === "FAILED" || now - n.updated >= NEIGH_FORCED_GC_AGE_NS) {
      neigh_destroy(tbl, k, n);
      shrunk++;
    }
  }
  return shrunk;
}

/**
 * neigh_periodic_work(): every gc_interval, while the table holds at least gc_thresh1 entries,
 * drop unreferenced entries that failed or went unused for gc_stale_time. Timer (softirq) context.
 */
function neigh_periodic_work(): void {
  const tbl = neigh_tbl.get();
  const now = ktime_get_ns();
  tbl.periodic_gc_runs++;
  if (tbl.entries.size >= tbl.gc_thresh1) {
    for (const [k, n] of tbl.entries) {
      if (neigh_in_use(n, now)) continue;
      if (n.state === "FAILED" || now - Math.max(n.used, n.updated) >= ARP_GC_NS) neigh_destroy(tbl, k, n);
    }
  }
  if (tbl.entries.size > 0) mod_timer_ns(tbl.gc_timer, now + NEIGH_GC_INTERVAL_NS);
}

/**
 * neigh_alloc(): a new entry, unless the table is full. Over gc_thresh2 (and 5 s after the last
 * flush) or at gc_thresh3 a forced gc runs first; at gc_thresh3 with nothing freed the entry is
 * refused (null) and the overflow is reported, at most once per 5 s. Any context.
 */
function neigh_alloc(addr: number, dev: NetDevice): Neigh | null {
  const tbl = neigh_tbl.get();
  const entries = tbl.entries.size;
  const now = ktime_get_ns();
  if (entries >= tbl.gc_thresh3 || (entries >= tbl.gc_thresh2 && now - tbl.last_flush > NEIGH_FORCED_GC_AGE_NS)) {
    if (neigh_forced_gc(tbl, now) === 0 && entries >= tbl.gc_thresh3) {
      tbl.table_fulls++;
      if (now - tbl.last_overflow_msg >= NEIGH_OVERFLOW_MSG_NS) {
        tbl.last_overflow_msg = now;
        pr_info("arp_cache: neighbor table overflow!\n");
      }
      return null;
    }
  }
  const n = new Neigh(addr, dev, neigh_timer);
  n.updated = n.created = now;
  n.confirmed = now - 2 * ARP_REACHABLE_NS;
  tbl.entries.set(key(addr, dev), n);
  tbl.allocs++;
  if (!timer_pending(tbl.gc_timer)) mod_timer_ns(tbl.gc_timer, now + NEIGH_GC_INTERVAL_NS);
  return n;
}

/** The ARP table's size (for tests and /proc). */
export function neigh_table_size(): number {
  return neigh_tbl.get().entries.size;
}

/** /proc/net/stat/arp_cache, reduced to the counters kept (Linux prints them in hex). */
function show_arp_cache_stat(): string {
  const t = neigh_tbl.get();
  const hex = (v: number): string => v.toString(16).padStart(8, "0");
  return "entries  allocs   destroys forced_gc_runs periodic_gc_runs table_fulls\n" + [t.entries.size, t.allocs, t.destroys, t.forced_gc_runs, t.periodic_gc_runs, t.table_fulls].map(hex).join(" ") + "\n";
}

const NEIGH_SYSCTL = "sys/net/ipv4/neigh/default";

/**
 * neigh_sysctl_register(): /proc/sys/net/ipv4/neigh/default/gc_thresh{1,2,3} and gc_interval
 * (readable and writable, as Linux's net.ipv4.neigh.default.*), and /proc/net/stat/arp_cache.
 * Called when IPv4 comes up; neigh_sysctl_unregister when it goes.
 */
export function neigh_sysctl_register(): void {
  const tbl = neigh_tbl.get();
  const knob = (name: string, get: () => number, set: (v: number) => void): void => {
    kernfs_create(`/proc/${NEIGH_SYSCTL}/${name}`, {
      show: () => `${get()}\n`,
      store: (data) => {
        const v = Number(data.trim());
        if (!Number.isInteger(v) || v < 0 || v > 0x7fffffff) return -EINVAL;
        set(v);
        return data.length;
      },
    });
  };
  knob("gc_thresh1", () => tbl.gc_thresh1, (v) => (tbl.gc_thresh1 = v));
  knob("gc_thresh2", () => tbl.gc_thresh2, (v) => (tbl.gc_thresh2 = v));
  knob("gc_thresh3", () => tbl.gc_thresh3, (v) => (tbl.gc_thresh3 = v));
  kernfs_create(`/proc/${NEIGH_SYSCTL}/gc_interval`, { show: () => `${NEIGH_GC_INTERVAL_NS / 1e9}\n` });
  proc_create("net/stat/arp_cache", show_arp_cache_stat);
}

export function neigh_sysctl_unregister(): void {
  kernfs_remove(`/proc/${NEIGH_SYSCTL}`);
  proc_remove("net/stat/arp_cache");
  del_timer(neigh_tbl.get().gc_timer);
}

function key(addr: number, dev: NetDevice): number {
  return addr * 64 + (dev.ifindex & 63);
}

/** Build and send one ARP packet out of `dev`. Any context. */
export function arp_send(dev: NetDevice, op: number, target_ip: number, target_mac: Uint8Array | null, sender_ip: number, target_mac_off = 0): void {
  const p = pbuf_alloc();
  if (p === null) return;
  const d = p.data;
  const h = p.head;
  if (target_mac === null) d.set(dev.broadcast, h);
  else for (let i = 0; i < 6; i++) d[h + i] = target_mac[target_mac_off + i]!;
  d.set(dev.dev_addr, h + 6);
  d[h + 12] = ETH_P_ARP >> 8;
  d[h + 13] = ETH_P_ARP & 0xff;
  const v = p.view;
  v.setUint16(h + 14, 1); // Ethernet
  v.setUint16(h + 16, ETH_P_IP);
  d[h + 18] = 6;
  d[h + 19] = 4;
  v.setUint16(h + 20, op);
  d.set(dev.dev_addr, h + 22);
  v.setUint32(h + 28, sender_ip);
  if (target_mac === null) d.fill(0, h + 32, h + 38);
  else for (let i = 0; i < 6; i++) d[h + 32 + i] = target_mac[target_mac_off + i]!;
  v.setUint32(h + 38, target_ip);
  d.fill(0, h + 42, h + ETH_ZLEN);
  p.len = ETH_ZLEN;
  if (op === ARPOP_REQUEST) snmp.get().Arp.OutRequests++;
  else snmp.get().Arp.OutReplies++;
  if (dev_queue_xmit(dev, p) !== 0) pbuf_put(p);
}

/** A gratuitous ARP: "who has MY_IP, tell MY_IP" (announce, and detect conflicts). */
export function arp_announce(dev: NetDevice, addr: number): void {
  snmp.get().Arp.Gratuitous++;
  arp_send(dev, ARPOP_REQUEST, addr, null, addr);
}

function fill_and_send(n: Neigh, p: PBuf): number {
  p.data.set(n.mac, p.head);
  n.used = ktime_get_ns();
  const r = dev_queue_xmit(n.dev, p);
  if (r !== 0) pbuf_put(p);
  return r;
}

function neigh_timer(n: Neigh): void {
  const now = ktime_get_ns();
  if (n.state === "INCOMPLETE") {
    if (n.probes < ARP_UCAST_PROBES + ARP_RETRIES) {
      const src = inet_addr_on(n.dev)?.addr ?? 0;
      n.probes++;
      arp_send(n.dev, ARPOP_REQUEST, n.addr, null, src);
      mod_timer_ns(n.timer, now + ARP_RETRANS_NS);
      return;
    }
    n.state = "FAILED";
    n.updated = now;
    snmp.get().Arp.Unresolved++;
    neigh_invalidate(n);
    mod_timer_ns(n.timer, now + ARP_GC_NS);
    return;
  }
  if (n.state === "REACHABLE" && now - n.updated >= ARP_REACHABLE_NS) {
    n.state = "STALE";
    mod_timer_ns(n.timer, n.updated + ARP_REACHABLE_NS + ARP_GC_NS);
    return;
  }
  if ((n.state === "STALE" || n.state === "FAILED") && now - n.updated >= (n.state === "STALE" ? ARP_REACHABLE_NS + ARP_GC_NS : ARP_GC_NS)) {
    const tbl = neigh_tbl.get();
    if (tbl.entries.get(key(n.addr, n.dev)) === n) neigh_destroy(tbl, key(n.addr, n.dev), n);
    return;
  }
  mod_timer_ns(n.timer, n.updated + ARP_REACHABLE_NS);
}

/** neigh_invalidate(): resolution failed; every packet waiting in `n` is refused (host unreachable). */
function neigh_invalidate(n: Neigh): void {
  for (const [p, on_error] of n.queue.splice(0)) {
    on_error?.(-EHOSTUNREACH, p);
    pbuf_put(p);
  }
}

function neigh_update(n: Neigh, mac: Uint8Array, off: number): void {
  for (let i = 0; i < 6; i++) n.mac[i] = mac[off + i]!;
  n.state = "REACHABLE";
  n.updated = n.confirmed = ktime_get_ns();
  mod_timer_ns(n.timer, n.updated + ARP_REACHABLE_NS);
  for (const [p] of n.queue.splice(0)) fill_and_send(n, p);
}

/**
 * neigh_output(): put the destination MAC of `nexthop` into the frame and send it — now if it is
 * known, otherwise once ARP resolves it (the frame waits in the entry's queue). Returns 0 when sent
 * or queued, -errno when it could not be (the frame is then freed). Any context.
 */
export function neigh_output(p: PBuf, dev: NetDevice, nexthop: number, on_error: XmitError | null): number {
  if (dev.type === "loopback") {
    p.data.fill(0, p.head, p.head + 6);
    return fill_and_send_lo(dev, p);
  }
  if (inet_is_broadcast(nexthop)) {
    p.data.set(dev.broadcast, p.head);
    const r = dev_queue_xmit(dev, p);
    if (r !== 0) pbuf_put(p);
    return r;
  }
  const tbl = arp_tbl.get();
  const k = key(nexthop, dev);
  let n = tbl.get(k);
  if (n !== undefined && (n.state === "REACHABLE" || n.state === "STALE" || n.state === "PERMANENT")) return fill_and_send(n, p);
  if (n === undefined || n.state === "FAILED") {
    if (n !== undefined) neigh_destroy(neigh_tbl.get(), k, n);
    const fresh = neigh_alloc(nexthop, dev);
    if (fresh === null) {
      // Table full: the packet cannot wait for resolution (ip_finish_output2 "no neighbour").
      dev.stats.tx_dropped++;
      on_error?.(-ENOBUFS, p);
      pbuf_put(p);
      return -ENOBUFS;
    }
    n = fresh;
    n.used = ktime_get_ns();
    n.probes = ARP_UCAST_PROBES + 1;
    arp_send(dev, ARPOP_REQUEST, nexthop, null, inet_addr_on(dev)?.addr ?? 0);
    mod_timer_ns(n.timer, ktime_get_ns() + ARP_RETRANS_NS);
  }
  // __neigh_event_send: make room by truesize, oldest first (each counted, unres_discards).
  let bytes = pbuf_truesize(p);
  for (const [q] of n.queue) bytes += pbuf_truesize(q);
  while (bytes > ARP_QUEUE_LEN_BYTES && n.queue.length > 0) {
    const [old] = n.queue.shift()!;
    bytes -= pbuf_truesize(old);
    pbuf_put(old);
    dev.stats.tx_dropped++;
  }
  n.queue.push([p, on_error]);
  return 0;
}

function fill_and_send_lo(dev: NetDevice, p: PBuf): number {
  const r = dev_queue_xmit(dev, p);
  if (r !== 0) pbuf_put(p);
  return r;
}

/** arp_rcv(): learn the sender, answer requests for our addresses. Softirq context; owns `p`. */
export function arp_rcv(p: PBuf, dev: NetDevice): void {
  const s = snmp.get().Arp;
  const d = p.data;
  const h = p.head;
  const v = p.view;
  if (p.len < 42 || v.getUint16(h + 14) !== 1 || v.getUint16(h + 16) !== ETH_P_IP || d[h + 18] !== 6 || d[h + 19] !== 4) {
    s.InErrors++;
    pbuf_put(p);
    return;
  }
  const op = v.getUint16(h + 20);
  const sha_off = h + 22;
  const spa = v.getUint32(h + 28);
  const tpa = v.getUint32(h + 38);
  const ours = inet_local(tpa);
  const mine = ours !== undefined && ours.dev === dev;
  if (op === ARPOP_REQUEST) s.InRequests++;
  else if (op === ARPOP_REPLY) s.InReplies++;
  else {
    s.InErrors++;
    pbuf_put(p);
    return;
  }
  if (spa !== 0) {
    const tbl = arp_tbl.get();
    const k = key(spa, dev);
    let n = tbl.get(k);
    // Learn from any packet about an entry we have, and create one when the packet is for us.
    // (A full table refuses the entry; the request is still answered — see neigh_alloc.)
    if (n === undefined && mine) n = neigh_alloc(spa, dev) ?? undefined;
    if (n !== undefined && n.state !== "PERMANENT") neigh_update(n, d, sha_off);
  }
  if (op === ARPOP_REQUEST && mine && spa !== tpa) arp_send(dev, ARPOP_REPLY, spa, d, tpa, sha_off);
  pbuf_put(p);
}

export function neigh_list(): NeighEntry[] {
  return [...arp_tbl.get().values()].map((n) => ({ addr: n.addr, ifname: n.dev.name, mac: n.state === "INCOMPLETE" || n.state === "FAILED" ? "" : mac_to_string(n.mac), state: n.state }));
}

const NUD_BITS: Record<NeighEntry["state"], number> = { INCOMPLETE: NUD_INCOMPLETE, REACHABLE: NUD_REACHABLE, STALE: NUD_STALE, FAILED: NUD_FAILED, PERMANENT: NUD_PERMANENT };
/** USER_HZ: nda_cacheinfo counts in clock ticks of 1/100 s. */
const NSEC_PER_USER_TICK = 10 * NSEC_PER_MSEC;

/**
 * neigh_dump_info() (RTM_GETNEIGH): every entry with its NDA_CACHEINFO — ages in USER_HZ ticks, and
 * ndm_refcnt, which counts the entry's pending timer as Linux's neigh_add_timer holds a reference
 * (NUD_IN_TIMER: resolving or REACHABLE) — and NDA_PROBES. NDA_LLADDR only for valid states.
 */
export function neigh_dump(): NeighInfo[] {
  const now = ktime_get_ns();
  const age = (t: number): number => Math.max(0, Math.floor((now - t) / NSEC_PER_USER_TICK));
  return [...arp_tbl.get().values()].map((n) => ({
    addr: n.addr,
    ifname: n.dev.name,
    lladdr: n.state === "INCOMPLETE" || n.state === "FAILED" ? "" : mac_to_string(n.mac),
    state: NUD_BITS[n.state],
    refcnt: n.state === "INCOMPLETE" || n.state === "REACHABLE" ? 1 : 0,
    used: age(Math.max(n.used, n.created)),
    confirmed: age(n.confirmed),
    updated: age(n.updated),
    probes: n.probes,
  }));
}

/**
 * neigh_add() (RTM_NEWNEIGH, `ip neigh add|replace|change`): set `dev`'s entry for `addr` to
 * `state` (NUD_PERMANENT, NUD_REACHABLE or NUD_STALE — the states this table keeps) with link-layer
 * address `mac` (6 bytes), or the one the entry has when `mac` is null. `flags`: NLM_F_CREATE to
 * make a missing entry, NLM_F_EXCL to refuse an existing one, NLM_F_REPLACE to change one. An
 * administrative update overrides a permanent entry and releases packets waiting for resolution.
 * Returns 0, -EEXIST, -ENOENT, -EINVAL (a state not kept, or no address known: "No link layer
 * address given") or -ENOBUFS (table full). Process context.
 */
export function neigh_add(dev: NetDevice, addr: number, mac: Uint8Array | null, state: number, flags: number): number {
  const st = state === NUD_PERMANENT ? "PERMANENT" : state === NUD_REACHABLE ? "REACHABLE" : state === NUD_STALE ? "STALE" : null;
  if (st === null || (mac !== null && mac.length !== 6)) return -EINVAL;
  const tbl = neigh_tbl.get();
  const k = key(addr, dev);
  let n = tbl.entries.get(k);
  if (n !== undefined && (flags & NLM_F_EXCL) !== 0) return -EEXIST;
  if (n === undefined && (flags & NLM_F_CREATE) === 0) return -ENOENT;
  const known = n !== undefined && n.state !== "INCOMPLETE" && n.state !== "FAILED";
  if (mac === null && !known) return -EINVAL;
  if (n === undefined) {
    const fresh = neigh_alloc(addr, dev);
    if (fresh === null) return -ENOBUFS;
    n = fresh;
  }
  const now = ktime_get_ns();
  if (mac !== null) n.mac.set(mac);
  n.state = st;
  n.updated = now;
  // NUD_CONNECTED states are confirmed by the update itself.
  if (st !== "STALE") n.confirmed = now;
  del_timer(n.timer);
  if (st === "REACHABLE") mod_timer_ns(n.timer, now + ARP_REACHABLE_NS);
  else if (st === "STALE") mod_timer_ns(n.timer, now + ARP_REACHABLE_NS + ARP_GC_NS);
  for (const [p] of n.queue.splice(0)) fill_and_send(n, p);
  return 0;
}

/**
 * neigh_delete() (RTM_DELNEIGH): `dev`'s entry for `addr` goes, whatever its state; packets still
 * waiting for it are refused as a failed resolution refuses them. 0 or -ENOENT. Process context.
 */
export function neigh_delete(dev: NetDevice, addr: number): number {
  const tbl = neigh_tbl.get();
  const k = key(addr, dev);
  const n = tbl.entries.get(k);
  if (n === undefined) return -ENOENT;
  neigh_invalidate(n);
  neigh_destroy(tbl, k, n);
  return 0;
}

/** Forget every entry on `dev` (it went down or away), dropping queued packets. */
export function neigh_flush_dev(dev: NetDevice): void {
  const tbl = neigh_tbl.get();
  for (const [k, n] of tbl.entries) if (n.dev === dev) neigh_destroy(tbl, k, n);
}

/** /proc/net/arp in Linux's layout. */
export function show_arp(): string {
  let out = "IP address       HW type     Flags       HW address            Mask     Device\n";
  for (const n of arp_tbl.get().values()) {
    // arp_state_to_flags(): ATF_PERM | ATF_COM for a permanent entry, ATF_COM for one with an address.
    const flags = n.state === "PERMANENT" ? "0x6" : n.state === "REACHABLE" || n.state === "STALE" ? "0x2" : "0x0";
    out += `${inet_ntoa(n.addr).padEnd(17)}0x1         ${flags.padEnd(12)}${(n.state === "INCOMPLETE" || n.state === "FAILED" ? "00:00:00:00:00:00" : mac_to_string(n.mac)).padEnd(22)}*        ${n.dev.name}\n`;
  }
  return out;
}
