import { EBUSY, ENOBUFS, ETIMEDOUT } from "../../include/linux/errno.ts";
import { ETH_HLEN, ETH_P_IP, type NetDevice, type PBuf } from "../../include/net/netdevice.ts";
import { inet_ntoa, IPPROTO_UDP } from "../../include/uapi/in.ts";
import { DEFINE_PER_KERNEL } from "../../kernel/kernel.ts";
import { pbuf_alloc, pbuf_put } from "../../kernel/mm/pbuf.ts";
import { pr_info } from "../../kernel/printk.ts";
import { DelayedWork, mod_delayed_work, cancel_delayed_work, system_wq } from "../../kernel/workqueue.ts";
import { kthread_run } from "../../kernel/kthread.ts";
import { HZ, ktime_get_ns, NSEC_PER_SEC } from "../../kernel/time/timekeeping.ts";
import { dev_add_tap, dev_queue_xmit } from "../../drivers/net/netdev.ts";
import { csum_fold, csum_partial, csum_tcpudp_nofold, ip_compute_csum } from "../../lib/inet_checksum.ts";
import { sock_queue_rcv, sock_recv, type Sock } from "../socket.ts";
import { inet_addr_add, inet_addr_del, inet_addr_on, inet_addr_set_lifetime, inet_is_broadcast, inet_local } from "./devinet.ts";
import { ip_build_header, L4_OFF } from "./ip.ts";
import { fib_add, fib_del } from "./route.ts";
import { udp_bind, udp_close, udp_sendto, udp_socket } from "./udp.ts";

/**
 * The DHCP client (RFC 2131; the DHCP part of Linux's net/ipv4/ipconfig.c, with the states ISC
 * dhclient goes through):
 *
 * - INIT: DISCOVER, OFFER, REQUEST (requested address and server id), ACK; then the address, the
 *   on-link route and the default route are configured.
 * - INIT-REBOOT: run again with a lease that has not expired, the client REQUESTs the address it
 *   holds (option 50, no server id, ciaddr 0, broadcast); an ACK confirms it, a NAK takes it away
 *   and the client starts over from DISCOVER, as it does when nobody answers.
 * - RENEWING at T1 (half the lease, or option 58): a REQUEST with ciaddr, unicast to the server;
 *   REBINDING at T2 (7/8, or option 59): the same, broadcast; unanswered, each retries after half
 *   the time left (at least 60 s); at expiry the address goes and the client starts over. A NAK
 *   in either state also starts over.
 *
 * Replies are taken as Linux's ipconfig (a packet_type handler) and dhclient (a raw socket) take
 * them: besides the UDP socket on port 68, a tap (ic_bootp_recv) hands the client DHCP replies
 * that IP would not deliver — unicast to an address we do not have yet (the offered one, as passt
 * sends them, to our MAC). IP still counts those in InAddrErrors, as Linux's does. Process context
 * (it waits); the renewal runs on the system workqueue.
 */
export const DHCP_SERVER_PORT = 67;
export const DHCP_CLIENT_PORT = 68;
const DHCPDISCOVER = 1;
const DHCPOFFER = 2;
const DHCPREQUEST = 3;
const DHCPACK = 5;
const DHCPNAK = 6;
const MAGIC = 0x63825363;
/** RFC 2131 4.4.5: a renewing or rebinding client waits at least this long between retries. */
const DHCP_MIN_RETRY_S = 60;

export interface Lease {
  dev: NetDevice;
  addr: number;
  prefix: number;
  router: number;
  dns: number;
  server: number;
  lease_s: number;
  /** Renewal (T1) and rebinding (T2) times, seconds after obtained_ns. */
  t1_s: number;
  t2_s: number;
  obtained_ns: number;
  renewals: number;
  renew_work: DelayedWork | null;
}

const leases = DEFINE_PER_KERNEL(() => new Map<NetDevice, Lease>());
const xids = DEFINE_PER_KERNEL(() => ({ next: 0x3903f326 }));

interface Reply {
  type: number;
  xid: number;
  yiaddr: number;
  server: number;
  mask: number;
  router: number;
  dns: number;
  lease: number;
  t1: number;
  t2: number;
}

function build(type: number, xid: number, mac: Uint8Array, opts: { requested?: number; server?: number; ciaddr?: number }): Uint8Array {
  const b = new Uint8Array(300);
  const v = new DataView(b.buffer);
  b[0] = 1; // BOOTREQUEST
  b[1] = 1; // Ethernet
  b[2] = 6;
  v.setUint32(4, xid);
  v.setUint16(10, opts.ciaddr ? 0 : 0x8000); // broadcast flag: we cannot receive unicast before we have an address
  v.setUint32(12, opts.ciaddr ?? 0);
  b.set(mac, 28);
  v.setUint32(236, MAGIC);
  let o = 240;
  const opt = (code: number, data: number[]): void => {
    b[o++] = code;
    b[o++] = data.length;
    for (const x of data) b[o++] = x;
  };
  const ip = (a: number): number[] => [a >>> 24, (a >>> 16) & 0xff, (a >>> 8) & 0xff, a & 0xff];
  opt(53, [type]);
  if (opts.requested !== undefined) opt(50, ip(opts.requested));
  if (opts.server !== undefined) opt(54, ip(opts.server));
  opt(55, [1, 3, 6, 51, 54, 58, 59]); // mask, router, DNS, lease time, server id, T1, T2
  b[o++] = 255;
  return b;
}

function parse(d: Uint8Array, xid: number, mac: Uint8Array): Reply | null {
  if (d.length < 240 || d[0] !== 2) return null;
  const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
  if (v.getUint32(4) !== xid || v.getUint32(236) !== MAGIC) return null;
  for (let i = 0; i < 6; i++) if (d[28 + i] !== mac[i]) return null;
  const r: Reply = { type: 0, xid, yiaddr: v.getUint32(16), server: 0, mask: 0, router: 0, dns: 0, lease: 0, t1: 0, t2: 0 };
  for (let o = 240; o + 1 < d.length && d[o] !== 255; ) {
    const code = d[o]!;
    if (code === 0) {
      o++;
      continue;
    }
    const len = d[o + 1]!;
    if (o + 2 + len > d.length) break;
    const val = len >= 4 ? v.getUint32(o + 2) : 0;
    if (code === 53) r.type = d[o + 2]!;
    else if (code === 54) r.server = val;
    else if (code === 1) r.mask = val;
    else if (code === 3) r.router = val;
    else if (code === 6) r.dns = val;
    else if (code === 51) r.lease = val;
    else if (code === 58) r.t1 = val;
    else if (code === 59) r.t2 = val;
    o += 2 + len;
  }
  return r.type === 0 ? null : r;
}

/**
 * Send a DHCP message from `src`:68 (0.0.0.0 before we have an address) to 255.255.255.255:67 out
 * of `dev` itself, whatever the routes say.
 */
function send_broadcast(dev: NetDevice, msg: Uint8Array, src = 0): number {
  const p = pbuf_alloc();
  if (p === null) return -ENOBUFS;
  const o = p.head + L4_OFF;
  const v = p.view;
  const len = 8 + msg.length;
  v.setUint16(o, DHCP_CLIENT_PORT);
  v.setUint16(o + 2, DHCP_SERVER_PORT);
  v.setUint16(o + 4, len);
  v.setUint16(o + 6, 0); // no checksum (allowed for UDP over IPv4)
  p.data.set(msg, o + 8);
  ip_build_header(p, len, IPPROTO_UDP, src, 0xffffffff);
  p.data.set(dev.broadcast, p.head);
  p.data.set(dev.dev_addr, p.head + 6);
  const r = dev_queue_xmit(dev, p);
  if (r !== 0) pbuf_put(p);
  return r;
}

/**
 * ic_bootp_recv(), as a tap on `dev`: a DHCP reply (UDP to port 68, for our MAC) that IP will not
 * deliver because it is addressed to an address we do not hold yet is checked as IP and UDP would
 * check it and queued on the client's socket. Everything else is left to IP. Softirq context; the
 * frame is not kept.
 */
function bootp_tap(dev: NetDevice, sk: Sock): (p: PBuf, d: NetDevice, outgoing: boolean) => void {
  return (p, d, outgoing) => {
    if (outgoing || d !== dev || p.data_len !== 0 || p.len < ETH_HLEN + 28) return;
    const b = p.data;
    const v = p.view;
    const h = p.head;
    if (v.getUint16(h + 12) !== ETH_P_IP) return;
    for (let i = 0; i < 6; i++) if (b[h + i] !== dev.dev_addr[i]) return;
    const iph = h + ETH_HLEN;
    const ihl = (b[iph]! & 0x0f) * 4;
    if (b[iph]! >> 4 !== 4 || ihl < 20 || b[iph + 9] !== IPPROTO_UDP || (v.getUint16(iph + 6) & 0x3fff) !== 0) return;
    const tot = v.getUint16(iph + 2);
    if (tot < ihl + 8 || ETH_HLEN + tot > p.len || ip_compute_csum(b, iph, ihl) !== 0) return;
    const daddr = v.getUint32(iph + 16);
    if (inet_is_broadcast(daddr) || inet_local(daddr) !== undefined || (daddr >>> 24) === 127) return; // IP delivers these
    const u = iph + ihl;
    const ulen = v.getUint16(u + 4);
    if (v.getUint16(u + 2) !== DHCP_CLIENT_PORT || ulen < 8 || ulen > tot - ihl) return;
    const saddr = v.getUint32(iph + 12);
    if (v.getUint16(u + 6) !== 0 && csum_fold(csum_partial(b, u, ulen, csum_tcpudp_nofold(saddr, daddr, ulen, IPPROTO_UDP))) !== 0) return;
    sock_queue_rcv(sk, { data: b.slice(u + 8, u + ulen), addr: saddr, port: v.getUint16(u), ttl: b[iph + 8]!, tstamp_ns: p.tstamp });
  };
}

async function exchange(dev: NetDevice, send: () => number, xid: number, want: number[], tries: number, first_ms: number, sk: Sock): Promise<Reply | null> {
  let wait = first_ms;
  for (let t = 0; t < tries; t++) {
    if (send() !== 0) return null;
    const deadline = ktime_get_ns() + wait * 1e6;
    for (;;) {
      const left = Math.ceil((deadline - ktime_get_ns()) / 1e6);
      if (left <= 0) break;
      const d = await sock_recv(sk, left);
      if (typeof d === "number") {
        if (d === -11) break; // -EAGAIN: timed out
        return null;
      }
      const r = parse(d.data, xid, dev.dev_addr);
      if (r !== null && want.includes(r.type)) return r;
    }
    wait = Math.min(wait * 2, 4000);
  }
  return null;
}

function prefix_of(mask: number): number {
  let n = 0;
  while (n < 32 && (mask & (0x80000000 >>> n)) !== 0) n++;
  return n;
}

/**
 * Schedule the lease's next renewal step `secs` from now. The timer's work item only starts a
 * kthread for it (`dhclient/eth0` in ps), so exchanges that wait seconds for a server do not hold
 * up the system workqueue.
 */
function lease_schedule(l: Lease, secs: number): void {
  if (l.renew_work === null) {
    const dev = l.dev;
    l.renew_work = new DelayedWork(() => {
      kthread_run(() => dhcp_renew(dev), null, `dhclient/${dev.name}`);
    });
  }
  mod_delayed_work(system_wq(), l.renew_work, Math.max(1, Math.ceil(secs)) * HZ);
}

function apply(dev: NetDevice, r: Reply): Lease {
  const all = leases.get();
  const old = all.get(dev);
  const prefix = r.mask === 0 ? 24 : prefix_of(r.mask);
  if (old !== undefined && old.addr !== r.yiaddr) {
    fib_del(0, 0);
    inet_addr_del(dev, old.addr, old.prefix);
  }
  if (inet_addr_on(dev)?.addr !== r.yiaddr) inet_addr_add(dev, r.yiaddr, prefix);
  if (r.router !== 0) {
    fib_del(0, 0);
    fib_add(0, 0, r.router, dev, "dhcp");
  }
  const lease_s = r.lease || 86400;
  // The address lives as long as the lease (dhclient-script's `valid_lft L preferred_lft L`), renewed with it.
  inet_addr_set_lifetime(dev, r.yiaddr, lease_s, lease_s);
  const t1_s = r.t1 > 0 && r.t1 < lease_s ? r.t1 : Math.floor(lease_s / 2);
  const t2_s = r.t2 > t1_s && r.t2 < lease_s ? r.t2 : Math.max(t1_s, Math.floor((lease_s * 7) / 8));
  const lease: Lease = { dev, addr: r.yiaddr, prefix, router: r.router, dns: r.dns, server: r.server || (old?.server ?? 0), lease_s, t1_s, t2_s, obtained_ns: ktime_get_ns(), renewals: old?.renewals ?? 0, renew_work: old?.renew_work ?? null };
  all.set(dev, lease);
  lease_schedule(lease, t1_s);
  return lease;
}

/** The lease is gone (NAK, expiry): its address and routes go too. */
function lease_drop(dev: NetDevice): void {
  const l = leases.get().get(dev);
  if (l === undefined) return;
  if (l.renew_work !== null) cancel_delayed_work(l.renew_work);
  leases.get().delete(dev);
  if (l.router !== 0) fib_del(0, 0);
  inet_addr_del(dev, l.addr, l.prefix);
}

function lease_expired(l: Lease): boolean {
  return ktime_get_ns() - l.obtained_ns >= l.lease_s * NSEC_PER_SEC;
}

/** Open the client's socket on port 68 with the tap beside it; null when port 68 is taken. */
function client_open(dev: NetDevice): { sk: Sock; close: () => void } | null {
  const sk = udp_socket();
  if (udp_bind(sk, 0, DHCP_CLIENT_PORT) !== 0) {
    udp_close(sk);
    return null;
  }
  const untap = dev_add_tap(bootp_tap(dev, sk));
  return {
    sk,
    close: () => {
      untap();
      udp_close(sk);
    },
  };
}

/**
 * Obtain a lease on `dev` (which must be up): INIT-REBOOT when a lease is held, else (or when that
 * is refused or unanswered) DISCOVER. Returns 0 when bound, -ETIMEDOUT without an answer, -EBUSY
 * when another client holds port 68. Process context.
 */
export async function dhcp_run(dev: NetDevice): Promise<number> {
  const c = client_open(dev);
  if (c === null) return -EBUSY;
  const { sk } = c;
  try {
    const held = leases.get().get(dev);
    if (held !== undefined && !lease_expired(held)) {
      const xid = xids.get().next++;
      const ack = await exchange(dev, () => send_broadcast(dev, build(DHCPREQUEST, xid, dev.dev_addr, { requested: held.addr })), xid, [DHCPACK, DHCPNAK], 2, 1000, sk);
      if (ack !== null && ack.type === DHCPACK && ack.yiaddr === held.addr) {
        const l = apply(dev, ack);
        pr_info("DHCP: %s: lease of %pI4 confirmed by %pI4 (INIT-REBOOT) for %d s\n", dev.name, l.addr, l.server, l.lease_s);
        return 0;
      }
      if (ack !== null) {
        pr_info("DHCP: %s: %pI4 refused (DHCPNAK); starting over\n", dev.name, held.addr);
        lease_drop(dev);
      } else {
        pr_info("DHCP: %s: no answer to INIT-REBOOT for %pI4; starting over\n", dev.name, held.addr);
      }
    }
    const xid = xids.get().next++;
    const offer = await exchange(dev, () => send_broadcast(dev, build(DHCPDISCOVER, xid, dev.dev_addr, {})), xid, [DHCPOFFER], 4, 1000, sk);
    if (offer === null) return -ETIMEDOUT;
    const ack = await exchange(dev, () => send_broadcast(dev, build(DHCPREQUEST, xid, dev.dev_addr, { requested: offer.yiaddr, server: offer.server })), xid, [DHCPACK, DHCPNAK], 3, 1000, sk);
    if (ack === null || ack.type === DHCPNAK) return -ETIMEDOUT;
    pr_info("IP-Config: Got DHCP answer from %pI4, my address is %pI4\n", ack.server, ack.yiaddr);
    const l = apply(dev, ack);
    pr_info(
      "IP-Config: Complete:\n     device=%s, hwaddr=%pM, ipaddr=%pI4, mask=%pI4, gw=%pI4\n     nameserver0=%pI4, lease %d s\n",
      dev.name,
      dev.dev_addr,
      l.addr,
      (0xffffffff << (32 - l.prefix)) >>> 0,
      l.router,
      l.dns,
      l.lease_s,
    );
    return 0;
  } finally {
    c.close();
  }
}

/**
 * The lease timer: RENEWING from T1 (unicast to the server), REBINDING from T2 (broadcast), and at
 * expiry the address goes and the client starts over. A NAK starts over at once. Process context
 * (its own kthread). A lease forgotten meanwhile (the device went away) is left alone.
 */
async function dhcp_renew(dev: NetDevice): Promise<void> {
  const l = leases.get().get(dev);
  if (l === undefined) return;
  const elapsed_s = (ktime_get_ns() - l.obtained_ns) / NSEC_PER_SEC;
  if (elapsed_s >= l.lease_s) {
    pr_info("DHCP: %s: lease of %pI4 expired; starting over\n", dev.name, l.addr);
    lease_drop(dev);
    await dhcp_run(dev);
    return;
  }
  const rebinding = elapsed_s >= l.t2_s;
  const c = client_open(dev);
  if (c === null) {
    lease_schedule(l, DHCP_MIN_RETRY_S);
    return;
  }
  let nak = false;
  try {
    const xid = xids.get().next++;
    const msg = build(DHCPREQUEST, xid, dev.dev_addr, { ciaddr: l.addr });
    const ack = await exchange(
      dev,
      () => {
        if (rebinding) return send_broadcast(dev, msg, l.addr);
        const r = udp_sendto(c.sk, msg, l.server, DHCP_SERVER_PORT);
        return r < 0 ? r : 0;
      },
      xid,
      [DHCPACK, DHCPNAK],
      3,
      1000,
      c.sk,
    );
    if (leases.get().get(dev) !== l) return;
    if (ack !== null && ack.type === DHCPACK && ack.yiaddr === l.addr) {
      l.renewals++;
      apply(dev, ack).renewals = l.renewals;
      pr_info("DHCP: %s: lease of %pI4 %s for %d s\n", dev.name, l.addr, rebinding ? "rebound" : "renewed", ack.lease || 86400);
    } else if (ack !== null) {
      nak = true;
    } else {
      // Unanswered: half the time left to T2 (renewing) or to expiry (rebinding), at least 60 s.
      const now_s = (ktime_get_ns() - l.obtained_ns) / NSEC_PER_SEC;
      const until = rebinding ? l.lease_s : l.t2_s;
      const next = Math.min(until - now_s, Math.max(DHCP_MIN_RETRY_S, (until - now_s) / 2));
      lease_schedule(l, Math.max(1, next));
    }
  } finally {
    c.close();
  }
  if (nak) {
    pr_info("DHCP: %s: %pI4 refused (DHCPNAK); starting over\n", dev.name, l.addr);
    lease_drop(dev);
    await dhcp_run(dev);
  }
}

export function dhcp_lease(dev: NetDevice): Lease | undefined {
  return leases.get().get(dev);
}

export function dhcp_forget(dev: NetDevice): void {
  const l = leases.get().get(dev);
  if (l?.renew_work) cancel_delayed_work(l.renew_work);
  leases.get().delete(dev);
}

/** /proc/net/pnp as ipconfig writes it. */
export function show_pnp(): string {
  let out = "";
  for (const l of leases.get().values()) out += `#PROTO: DHCP\nnameserver ${inet_ntoa(l.dns)}\nbootserver ${inet_ntoa(l.server)}\n`;
  return out;
}
