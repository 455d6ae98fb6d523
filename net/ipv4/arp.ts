import { EHOSTUNREACH } from "../../include/linux/errno.ts";
import { ETH_P_ARP, ETH_P_IP, ETH_ZLEN, type NetDevice, type PBuf } from "../../include/net/netdevice.ts";
import { inet_ntoa, type NeighEntry } from "../../include/uapi/in.ts";
import { DEFINE_PER_KERNEL } from "../../kernel/kernel.ts";
import { pbuf_alloc, pbuf_put } from "../../kernel/mm/pbuf.ts";
import { ktime_get_ns, NSEC_PER_MSEC } from "../../kernel/time/timekeeping.ts";
import { mod_timer_ns, TimerList, del_timer } from "../../kernel/time/timer.ts";
import { dev_queue_xmit, mac_to_string } from "../../drivers/net/netdev.ts";
import { inet_addr_on, inet_is_broadcast, inet_local } from "./devinet.ts";
import { snmp } from "./snmp.ts";

/**
 * ARP (RFC 826; net/ipv4/arp.c and the neighbour table of net/core/neighbour.c, reduced). Entries
 * move INCOMPLETE → REACHABLE → STALE; an unresolved entry holds up to ARP_QUEUE_LEN packets,
 * retries ARP_RETRIES times a second apart, then fails: its packets are dropped and their senders
 * told "host unreachable". An interface that comes up announces itself with a gratuitous ARP.
 */
export const ARP_RETRIES = 3;
export const ARP_RETRANS_NS = 1000 * NSEC_PER_MSEC;
/** REACHABLE → STALE after this long without confirmation (base_reachable_time 30 s). */
export const ARP_REACHABLE_NS = 30_000 * NSEC_PER_MSEC;
/** STALE entries unused this long are forgotten (gc_stale_time 60 s). */
export const ARP_GC_NS = 60_000 * NSEC_PER_MSEC;
export const ARP_QUEUE_LEN = 3;

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
  probes = 0;
  readonly queue: [PBuf, XmitError | null][] = [];
  readonly timer: TimerList;

  constructor(addr: number, dev: NetDevice, on_timer: (n: Neigh) => void) {
    this.addr = addr;
    this.dev = dev;
    this.timer = new TimerList(() => on_timer(this));
  }
}

const arp_tbl = DEFINE_PER_KERNEL(() => new Map<number, Neigh>());

function key(addr: number, dev: NetDevice): number {
  return addr * 64 + (dev.ifindex & 63);
}

/** Build and send one ARP packet out of `dev`. Any context. */
export function arp_send(dev: NetDevice, op: number, target_ip: number, target_mac: Uint8Array | null, sender_ip: number): void {
  const p = pbuf_alloc();
  if (p === null) return;
  const d = p.data;
  const h = p.head;
  d.set(target_mac ?? dev.broadcast, h);
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
  else d.set(target_mac, h + 32);
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
  const r = dev_queue_xmit(n.dev, p);
  if (r !== 0) pbuf_put(p);
  return r;
}

function neigh_timer(n: Neigh): void {
  const now = ktime_get_ns();
  if (n.state === "INCOMPLETE") {
    if (++n.probes < ARP_RETRIES) {
      const src = inet_addr_on(n.dev)?.addr ?? 0;
      arp_send(n.dev, ARPOP_REQUEST, n.addr, null, src);
      mod_timer_ns(n.timer, now + ARP_RETRANS_NS);
      return;
    }
    n.state = "FAILED";
    n.updated = now;
    snmp.get().Arp.Unresolved++;
    for (const [p, on_error] of n.queue.splice(0)) {
      on_error?.(-EHOSTUNREACH, p);
      pbuf_put(p);
    }
    mod_timer_ns(n.timer, now + ARP_GC_NS);
    return;
  }
  if (n.state === "REACHABLE" && now - n.updated >= ARP_REACHABLE_NS) {
    n.state = "STALE";
    mod_timer_ns(n.timer, n.updated + ARP_REACHABLE_NS + ARP_GC_NS);
    return;
  }
  if ((n.state === "STALE" || n.state === "FAILED") && now - n.updated >= (n.state === "STALE" ? ARP_REACHABLE_NS + ARP_GC_NS : ARP_GC_NS)) {
    arp_tbl.get().delete(key(n.addr, n.dev));
    return;
  }
  mod_timer_ns(n.timer, n.updated + ARP_REACHABLE_NS);
}

function neigh_update(n: Neigh, mac: Uint8Array): void {
  n.mac.set(mac.subarray(0, 6));
  n.state = "REACHABLE";
  n.updated = ktime_get_ns();
  n.probes = 0;
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
    if (n !== undefined) del_timer(n.timer);
    n = new Neigh(nexthop, dev, neigh_timer);
    tbl.set(k, n);
    arp_send(dev, ARPOP_REQUEST, nexthop, null, inet_addr_on(dev)?.addr ?? 0);
    mod_timer_ns(n.timer, ktime_get_ns() + ARP_RETRANS_NS);
  }
  if (n.queue.length >= ARP_QUEUE_LEN) {
    const [old] = n.queue.shift()!;
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
  const sha = d.subarray(h + 22, h + 28);
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
    if (n === undefined && mine) {
      n = new Neigh(spa, dev, neigh_timer);
      tbl.set(k, n);
    }
    if (n !== undefined && n.state !== "PERMANENT") neigh_update(n, sha);
  }
  if (op === ARPOP_REQUEST && mine && spa !== tpa) arp_send(dev, ARPOP_REPLY, spa, Uint8Array.from(sha), tpa);
  pbuf_put(p);
}

export function neigh_list(): NeighEntry[] {
  return [...arp_tbl.get().values()].map((n) => ({ addr: n.addr, ifname: n.dev.name, mac: n.state === "INCOMPLETE" || n.state === "FAILED" ? "" : mac_to_string(n.mac), state: n.state }));
}

/** Forget every entry on `dev` (it went down or away), dropping queued packets. */
export function neigh_flush_dev(dev: NetDevice): void {
  const tbl = arp_tbl.get();
  for (const [k, n] of tbl) {
    if (n.dev !== dev) continue;
    del_timer(n.timer);
    for (const [p] of n.queue.splice(0)) pbuf_put(p);
    tbl.delete(k);
  }
}

/** /proc/net/arp in Linux's layout. */
export function show_arp(): string {
  let out = "IP address       HW type     Flags       HW address            Mask     Device\n";
  for (const n of arp_tbl.get().values()) {
    const flags = n.state === "REACHABLE" || n.state === "STALE" ? "0x2" : "0x0";
    out += `${inet_ntoa(n.addr).padEnd(17)}0x1         ${flags.padEnd(12)}${(n.state === "INCOMPLETE" || n.state === "FAILED" ? "00:00:00:00:00:00" : mac_to_string(n.mac)).padEnd(22)}*        ${n.dev.name}\n`;
  }
  return out;
}
