import { EINVAL } from "../../include/linux/errno.ts";
import { CHECKSUM_NONE, CHECKSUM_UNNECESSARY, ETH_HLEN, PBUF_SIZE, type PBuf } from "../../include/net/netdevice.ts";
import { DEFINE_PER_KERNEL } from "../../kernel/kernel.ts";
import { kernfs_create, kernfs_remove } from "../../kernel/fs/kernfs.ts";
import { pbuf_linearize, pbuf_put } from "../../kernel/mm/pbuf.ts";
import { pr_info } from "../../kernel/printk.ts";
import { ktime_get_ns, NSEC_PER_SEC } from "../../kernel/time/timekeeping.ts";
import { del_timer, mod_timer_ns, TimerList } from "../../kernel/time/timer.ts";
import { inet_is_broadcast } from "./devinet.ts";
import { icmp_send, ICMP_EXC_FRAGTIME, ICMP_TIME_EXCEEDED } from "./icmp.ts";
import { IP_DF, IP_MAX_MTU, IP_MF, IP_OFFSET, ip_send_check, pbuf_trim, type IpInfo } from "./ip.ts";
import { snmp } from "./snmp.ts";

/**
 * IPv4 reassembly (net/ipv4/ip_fragment.c and inet_fragment.c as of Linux 6.1, reduced to local
 * delivery). Fragments wait in a queue per (saddr, daddr, id, protocol) — struct ipq — ordered by
 * offset and grouped in runs as Linux's rb-tree of runs is. The rules are Linux's:
 *
 * - A fragment wholly inside a run already queued is a duplicate: dropped, the queue kept. Any other
 *   overlap discards the whole datagram (RFC 5722, as Linux does for IPv4 too): ReasmOverlaps and
 *   ReasmFails.
 * - A last fragment that ends before data already queued, a second different end, data past the
 *   end, or a fragment with no data also discard the datagram (ReasmFails).
 * - The queue lives ipfrag_time (30 s) from its first fragment; then ip_expire counts ReasmFails and
 *   ReasmTimeout once and, if the first fragment (offset 0) had come, sends ICMP time exceeded,
 *   code 1, quoting it.
 * - Memory: every queued buffer counts PBUF_SIZE (skb->truesize) and every queue IPQ_SIZE; while the
 *   total is above ipfrag_high_thresh (4 MiB) no fragment is queued at all (inet_frag_find refuses
 *   to look up or create): each is dropped and counted in ReasmFails, until queues complete or
 *   expire. ipfrag_low_thresh is accepted but unused, as in Linux since 4.17.
 * - ReasmReqds counts every fragment received, ReasmOKs every datagram rebuilt. A datagram longer
 *   than 65535 bytes fails ("Oversized IP packet").
 *
 * Fragments are kept in the buffers they arrived in (no copy): the header is pulled and the frame
 * trimmed to the fragment's data. The rebuilt datagram is the first fragment's buffer with the
 * others chained behind it (PBuf.frag), linearized into one buffer when it fits. Its checksum state
 * is CHECKSUM_UNNECESSARY only if every fragment's was. Softirq context throughout (receive, and the
 * expiry timer). Departures: no ipfrag_max_dist (inetpeer) check; one queue table, not per netns.
 */
/** net.ipv4.ipfrag_high_thresh default (bytes). */
export const IPFRAG_HIGH_THRESH = 4 * 1024 * 1024;
/** net.ipv4.ipfrag_low_thresh default (bytes; obsolete since Linux 4.17). */
export const IPFRAG_LOW_THRESH = 3 * 1024 * 1024;
/** net.ipv4.ipfrag_time default (seconds). */
export const IPFRAG_TIME = 30;
/** What a queue costs besides its buffers (sizeof(struct ipq), our figure). */
export const IPQ_SIZE = 256;

const INET_FRAG_FIRST_IN = 1;
const INET_FRAG_LAST_IN = 2;
const INET_FRAG_COMPLETE = 4;

const IPFRAG_OK = 0;
const IPFRAG_DUP = 1;
const IPFRAG_OVERLAP = 2;

/* ECN codepoints of the fragments seen (ip4_frag_ecn), and how they combine (ip_frag_ecn_table). */
const IPFRAG_ECN_NOT_ECT = 0x01;
const IPFRAG_ECN_CE = 0x08;
const INET_ECN_CE = 3;

/** Queues kept for reuse once freed, so steady reassembly allocates nothing. */
const IPQ_CACHE = 64;

/** struct ipq: one datagram being reassembled. */
class Ipq {
  saddr = 0;
  daddr = 0;
  id = 0;
  protocol = 0;
  /** Next queue in the same hash chain. */
  hnext: Ipq | null = null;
  flags = 0;
  /** Payload length known so far (the end of the furthest fragment, or the last fragment's end). */
  len = 0;
  /** Payload bytes queued. */
  meat = 0;
  /** Memory charged to this queue (IPQ_SIZE + PBUF_SIZE per buffer). */
  mem = 0;
  /** Receive time of the latest fragment (the datagram's). */
  stamp = 0;
  max_size = 0;
  max_df_size = 0;
  ecn = 0;
  /** Header length of the first fragment (offset 0), whose header becomes the datagram's. */
  first_ihl = 0;
  /** Every fragment's checksum was verified by the NIC. */
  csum_ok = true;
  /*
   * The fragments in offset order (the rb-tree flattened): buffer, [off, end), and the offset of
   * the run each belongs to. A run is what Linux grows by appending in-order fragments at the
   * tail; a fragment inserted anywhere else starts its own. Arrays are reused with the queue.
   */
  readonly frags: (PBuf | null)[] = [];
  readonly offs: number[] = [];
  readonly ends: number[] = [];
  readonly runs: number[] = [];
  n = 0;
  readonly timer: TimerList;

  constructor() {
    this.timer = new TimerList(() => ip_expire(this));
  }
}

class IpFrags {
  /** Hash of (saddr, daddr, id, protocol) → chain of queues. */
  readonly table = new Map<number, Ipq>();
  nqueues = 0;
  /** Bytes held (frag_mem_limit). */
  mem = 0;
  high_thresh = IPFRAG_HIGH_THRESH;
  low_thresh = IPFRAG_LOW_THRESH;
  timeout_s = IPFRAG_TIME;
  readonly cache: Ipq[] = [];
  registered = false;
  /** Last "Oversized IP packet" message (net_info_ratelimited: one per 5 s). */
  last_oversize_msg = -Infinity;
}
const ip4_frags = DEFINE_PER_KERNEL(() => new IpFrags());

function ipq_hash(saddr: number, daddr: number, id: number, protocol: number): number {
  return (Math.imul(saddr ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(daddr, 0xc2b2ae35) ^ (id << 8) ^ protocol) >>> 0;
}

/** Frag memory in use and queues pending (/proc/net/sockstat's "FRAG: inuse N memory M"). */
export function ip_frag_mem(): { inuse: number; memory: number } {
  const f = ip4_frags.get();
  return { inuse: f.nqueues, memory: f.mem };
}

/**
 * ip_find() (inet_frag_find): the queue for this fragment's datagram, created if new; null while
 * fragment memory is above ipfrag_high_thresh.
 */
function ip_find(saddr: number, daddr: number, id: number, protocol: number): Ipq | null {
  const f = ip4_frags.get();
  if (f.high_thresh === 0 || f.mem > f.high_thresh) return null;
  const h = ipq_hash(saddr, daddr, id, protocol);
  for (let q = f.table.get(h) ?? null; q !== null; q = q.hnext) {
    if (q.saddr === saddr && q.daddr === daddr && q.id === id && q.protocol === protocol) return q;
  }
  const q = f.cache.pop() ?? new Ipq();
  q.saddr = saddr;
  q.daddr = daddr;
  q.id = id;
  q.protocol = protocol;
  q.flags = 0;
  q.len = 0;
  q.meat = 0;
  q.mem = IPQ_SIZE;
  q.stamp = 0;
  q.max_size = 0;
  q.max_df_size = 0;
  q.ecn = 0;
  q.first_ihl = 0;
  q.csum_ok = true;
  q.n = 0;
  q.hnext = f.table.get(h) ?? null;
  f.table.set(h, q);
  f.nqueues++;
  f.mem += IPQ_SIZE;
  mod_timer_ns(q.timer, ktime_get_ns() + f.timeout_s * NSEC_PER_SEC);
  return q;
}

/** Take `q` out of the table and stop its timer (inet_frag_kill); its fragments stay. */
function ipq_kill(q: Ipq): void {
  if ((q.flags & INET_FRAG_COMPLETE) !== 0) return;
  q.flags |= INET_FRAG_COMPLETE;
  del_timer(q.timer);
  const f = ip4_frags.get();
  const h = ipq_hash(q.saddr, q.daddr, q.id, q.protocol);
  let prev: Ipq | null = null;
  for (let c = f.table.get(h) ?? null; c !== null; prev = c, c = c.hnext) {
    if (c !== q) continue;
    if (prev === null) {
      if (q.hnext === null) f.table.delete(h);
      else f.table.set(h, q.hnext);
    } else prev.hnext = q.hnext;
    break;
  }
  q.hnext = null;
  f.nqueues--;
}

/** Free a killed queue: put the fragments still in it, give its memory back, keep it for reuse. */
function ipq_destroy(q: Ipq): void {
  const f = ip4_frags.get();
  for (let i = 0; i < q.n; i++) {
    const p = q.frags[i];
    q.frags[i] = null;
    if (p !== null && p !== undefined) pbuf_put(p);
  }
  q.n = 0;
  f.mem -= q.mem;
  q.mem = 0;
  if (f.cache.length < IPQ_CACHE) f.cache.push(q);
}

/** inet_frag_kill + ReasmFails, then free (the discard_qp path). */
function ipq_discard(q: Ipq): void {
  ipq_kill(q);
  snmp.get().Ip.ReasmFails++;
  ipq_destroy(q);
}

/** Buffers in a frame (head and fragments): each is charged PBUF_SIZE. */
function pbuf_truesize(p: PBuf): number {
  let n = 0;
  for (let c: PBuf | null = p; c !== null; c = c.frag) n++;
  return n * PBUF_SIZE;
}

function ipq_insert_at(q: Ipq, i: number, p: PBuf, offset: number, end: number, run: number): void {
  if (i === q.n) {
    q.frags[i] = p;
    q.offs[i] = offset;
    q.ends[i] = end;
    q.runs[i] = run;
  } else {
    q.frags.splice(i, 0, p);
    q.offs.splice(i, 0, offset);
    q.ends.splice(i, 0, end);
    q.runs.splice(i, 0, run);
  }
  q.n++;
}

/**
 * inet_frag_queue_insert(): place [offset, end) among the queued fragments. IPFRAG_OK, IPFRAG_DUP
 * (wholly inside one run) or IPFRAG_OVERLAP (any other overlap).
 */
function inet_frag_queue_insert(q: Ipq, p: PBuf, offset: number, end: number): number {
  if (q.n === 0) {
    ipq_insert_at(q, 0, p, offset, end, offset);
    return IPFRAG_OK;
  }
  const last = q.n - 1;
  const last_end = q.ends[last]!;
  if (last_end < end) {
    // The common case: it goes at the end.
    if (offset < last_end) return IPFRAG_OVERLAP;
    ipq_insert_at(q, q.n, p, offset, end, offset === last_end ? q.runs[last]! : offset);
    return IPFRAG_OK;
  }
  // Find its place among the runs (Linux's binary search of the tree of runs).
  let i = 0;
  while (i < q.n) {
    const run = q.runs[i]!;
    let j = i;
    while (j + 1 < q.n && q.runs[j + 1] === run) j++;
    const run_end = q.ends[j]!;
    if (end <= q.offs[i]!) break;
    if (offset >= run_end) {
      i = j + 1;
      continue;
    }
    return offset >= q.offs[i]! && end <= run_end ? IPFRAG_DUP : IPFRAG_OVERLAP;
  }
  ipq_insert_at(q, i, p, offset, end, offset);
  return IPFRAG_OK;
}

/**
 * ip_defrag(): queue the fragment `p` (a frame trimmed to its datagram, header checked, addressed
 * to us). Returns the whole datagram — a frame whose IP header has the full length and no fragment
 * bits — when this was its missing piece, else null (`p` is queued or was dropped and counted).
 * Softirq context; owns `p`.
 */
export function ip_defrag(p: PBuf): PBuf | null {
  const s = snmp.get().Ip;
  s.ReasmReqds++;
  const v = p.view;
  const iph = p.head + ETH_HLEN;
  const q = ip_find(v.getUint32(iph + 12), v.getUint32(iph + 16), v.getUint16(iph + 4), p.data[iph + 9]!);
  if (q === null) {
    s.ReasmFails++;
    pbuf_put(p);
    return null;
  }
  return ip_frag_queue(q, p);
}

/** ip_frag_queue(): add `p` to `q`; the datagram when complete. Owns `p`. */
function ip_frag_queue(q: Ipq, p: PBuf): PBuf | null {
  const d = p.data;
  const v = p.view;
  const iph = p.head + ETH_HLEN;
  const tos = d[iph + 1]!;
  const frag_off = v.getUint16(iph + 6);
  const ihl = (d[iph]! & 0x0f) * 4;
  const offset = (frag_off & IP_OFFSET) << 3;
  let end = offset + v.getUint16(iph + 2) - ihl;
  if ((frag_off & IP_MF) === 0) {
    // The last fragment: nothing may lie beyond it, and there is only one end.
    if (end < q.len || ((q.flags & INET_FRAG_LAST_IN) !== 0 && end !== q.len)) return ip_frag_discard(q, p);
    q.flags |= INET_FRAG_LAST_IN;
    q.len = end;
  } else {
    if ((end & 7) !== 0) {
      end &= ~7;
      if (p.ip_summed !== CHECKSUM_UNNECESSARY) p.ip_summed = CHECKSUM_NONE;
    }
    if (end > q.len) {
      if ((q.flags & INET_FRAG_LAST_IN) !== 0) return ip_frag_discard(q, p);
      q.len = end;
    }
  }
  if (end === offset) return ip_frag_discard(q, p);
  // pskb_pull the headers, pskb_trim to the fragment's data. The header stays in front of p.head.
  p.head += ETH_HLEN + ihl;
  p.len -= ETH_HLEN + ihl;
  pbuf_trim(p, end - offset);
  const r = inet_frag_queue_insert(q, p, offset, end);
  if (r === IPFRAG_DUP) {
    pbuf_put(p);
    return null;
  }
  if (r === IPFRAG_OVERLAP) {
    snmp.get().Ip.ReasmOverlaps++;
    ipq_discard(q);
    pbuf_put(p);
    return null;
  }
  const truesize = pbuf_truesize(p);
  q.mem += truesize;
  ip4_frags.get().mem += truesize;
  q.stamp = p.tstamp;
  q.meat += end - offset;
  q.ecn |= ip4_frag_ecn(tos);
  if (p.ip_summed !== CHECKSUM_UNNECESSARY) q.csum_ok = false;
  if (offset === 0) {
    q.flags |= INET_FRAG_FIRST_IN;
    q.first_ihl = ihl;
  }
  const fragsize = end - offset + ihl;
  if (fragsize > q.max_size) q.max_size = fragsize;
  if ((frag_off & IP_DF) !== 0 && fragsize > q.max_df_size) q.max_df_size = fragsize;
  if (q.flags === (INET_FRAG_FIRST_IN | INET_FRAG_LAST_IN) && q.meat === q.len) return ip_frag_reasm(q);
  return null;
}

/** A fragment that makes its datagram invalid: the queue goes (ReasmFails), and so does `p`. */
function ip_frag_discard(q: Ipq, p: PBuf): null {
  ipq_discard(q);
  pbuf_put(p);
  return null;
}

/** ip4_frag_ecn(): the fragment's ECN codepoint as a bit. */
function ip4_frag_ecn(tos: number): number {
  return 1 << (tos & 3);
}

/**
 * ip_frag_reasm(): every byte is here. Chain the fragments behind the first (whose header becomes
 * the datagram's: full length, DF only if the largest fragment had it, ECN CE if any had it, no
 * fragment bits), linearize when it fits one buffer. Returns the datagram, or null when it cannot
 * be (mixed ECN, longer than 65535): ReasmFails. Softirq context.
 */
function ip_frag_reasm(q: Ipq): PBuf | null {
  const s = snmp.get().Ip;
  const f = ip4_frags.get();
  ipq_kill(q);
  const ecn = q.ecn;
  const bad_ecn = (ecn & IPFRAG_ECN_NOT_ECT) !== 0 && (ecn & ~IPFRAG_ECN_NOT_ECT) !== 0;
  const len = q.first_ihl + q.len;
  if (bad_ecn || len > IP_MAX_MTU) {
    const head = q.frags[0]!;
    if (!bad_ecn && ktime_get_ns() - f.last_oversize_msg >= 5 * NSEC_PER_SEC) {
      f.last_oversize_msg = ktime_get_ns();
      pr_info("Oversized IP packet from %pI4\n", head.view.getUint32(head.head - q.first_ihl + 12));
    }
    s.ReasmFails++;
    ipq_destroy(q);
    return null;
  }
  const head = q.frags[0]!;
  head.head -= ETH_HLEN + q.first_ihl;
  head.len += ETH_HLEN + q.first_ihl;
  let tail: PBuf = head;
  while (tail.frag !== null) tail = tail.frag;
  for (let i = 1; i < q.n; i++) {
    const fp = q.frags[i]!;
    const total = fp.len;
    fp.len = total - fp.data_len;
    fp.data_len = 0;
    tail.frag = fp;
    while (tail.frag !== null) tail = tail.frag;
    head.len += total;
    head.data_len += total;
  }
  for (let i = 0; i < q.n; i++) q.frags[i] = null;
  q.n = 0;
  f.mem -= q.mem;
  q.mem = 0;
  if (f.cache.length < IPQ_CACHE) f.cache.push(q);

  const iph = head.head + ETH_HLEN;
  const v = head.view;
  v.setUint16(iph + 2, len);
  if ((ecn & IPFRAG_ECN_CE) !== 0) head.data[iph + 1] = head.data[iph + 1]! | INET_ECN_CE;
  v.setUint16(iph + 6, q.max_df_size === q.max_size ? IP_DF : 0);
  ip_send_check(head, iph);
  head.ip_summed = q.csum_ok ? CHECKSUM_UNNECESSARY : CHECKSUM_NONE;
  head.tstamp = q.stamp;
  pbuf_linearize(head); // one buffer when it fits; else it stays a chain
  s.ReasmOKs++;
  return head;
}

/**
 * ip_expire(): the queue's time is up. ReasmFails and ReasmTimeout once for the datagram; if its
 * first fragment came, ICMP time exceeded (fragment reassembly time exceeded) goes to the sender,
 * quoting that fragment's header and first 8 bytes. Timer (softirq) context.
 */
function ip_expire(q: Ipq): void {
  if ((q.flags & INET_FRAG_COMPLETE) !== 0) return;
  ipq_kill(q);
  const s = snmp.get().Ip;
  s.ReasmFails++;
  s.ReasmTimeout++;
  if ((q.flags & INET_FRAG_FIRST_IN) !== 0 && q.n > 0 && q.offs[0] === 0) {
    const head = q.frags[0]!;
    const iph = head.head - q.first_ihl;
    const v = head.view;
    const daddr = v.getUint32(iph + 16);
    // The quote reads the header and the fragment's first bytes, which follow it in the buffer.
    const info: IpInfo = { iph, ihl: q.first_ihl, tot_len: q.first_ihl + Math.min(head.len - head.data_len, 8), saddr: v.getUint32(iph + 12), daddr, ttl: head.data[iph + 8]!, bcast: inet_is_broadcast(daddr) };
    icmp_send(head, info, ICMP_TIME_EXCEEDED, ICMP_EXC_FRAGTIME);
  }
  ipq_destroy(q);
}

const IPV4_SYSCTL = "/proc/sys/net/ipv4";
const SYSCTLS = ["ipfrag_high_thresh", "ipfrag_low_thresh", "ipfrag_time"];

/**
 * ipfrag_init(): net.ipv4.ipfrag_high_thresh (≥ low), ipfrag_low_thresh (0 … high) and ipfrag_time
 * (seconds), readable and writable as Linux's. Idempotent. Process context.
 */
export function ipfrag_init(): void {
  const f = ip4_frags.get();
  if (f.registered) return;
  f.registered = true;
  const knob = (name: string, get: () => number, set: (v: number) => void, min: () => number, max: () => number): void => {
    kernfs_create(`${IPV4_SYSCTL}/${name}`, {
      show: () => `${get()}\n`,
      store: (data) => {
        const t = data.trim();
        if (!/^-?\d+$/.test(t)) return -EINVAL;
        const x = Number(t);
        if (x < min() || x > max()) return -EINVAL;
        set(x);
        return data.length;
      },
    });
  };
  knob("ipfrag_high_thresh", () => f.high_thresh, (x) => (f.high_thresh = x), () => f.low_thresh, () => Number.MAX_SAFE_INTEGER);
  knob("ipfrag_low_thresh", () => f.low_thresh, (x) => (f.low_thresh = x), () => 0, () => f.high_thresh);
  knob("ipfrag_time", () => f.timeout_s, (x) => (f.timeout_s = x), () => 0, () => 2 ** 31 / 1000);
}

/** ipfrag_exit(): drop every queue (their buffers come back) and the sysctls. Idempotent. */
export function ipfrag_exit(): void {
  const f = ip4_frags.get();
  for (const first of [...f.table.values()]) {
    for (let q: Ipq | null = first; q !== null; ) {
      const next: Ipq | null = q.hnext;
      ipq_kill(q);
      ipq_destroy(q);
      q = next;
    }
  }
  if (f.registered) for (const name of SYSCTLS) kernfs_remove(`${IPV4_SYSCTL}/${name}`);
  f.registered = false;
}
