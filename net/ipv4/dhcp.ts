import { EBUSY, ENOBUFS, ETIMEDOUT } from "../../include/linux/errno.ts";
import { type NetDevice } from "../../include/net/netdevice.ts";
import { inet_ntoa, IPPROTO_UDP } from "../../include/uapi/in.ts";
import { DEFINE_PER_KERNEL } from "../../kernel/kernel.ts";
import { pbuf_alloc, pbuf_put } from "../../kernel/mm/pbuf.ts";
import { pr_info } from "../../kernel/printk.ts";
import { DelayedWork, mod_delayed_work, cancel_delayed_work, system_wq } from "../../kernel/workqueue.ts";
import { HZ, ktime_get_ns } from "../../kernel/time/timekeeping.ts";
import { dev_queue_xmit, mac_to_string } from "../../drivers/net/netdev.ts";
import { sock_recv } from "../socket.ts";
import { inet_addr_add, inet_addr_del, inet_addr_on } from "./devinet.ts";
import { ip_build_header, L4_OFF } from "./ip.ts";
import { fib_add, fib_del } from "./route.ts";
import { udp_bind, udp_close, udp_sendto, udp_socket } from "./udp.ts";

/**
 * The DHCP client (RFC 2131; the DHCP part of Linux's net/ipv4/ipconfig.c): DISCOVER, OFFER,
 * REQUEST, ACK, then the address, the on-link route and the default route are configured and the
 * lease is renewed at T1 (half the lease) by a unicast REQUEST. Process context (it waits).
 */
export const DHCP_SERVER_PORT = 67;
export const DHCP_CLIENT_PORT = 68;
const DHCPDISCOVER = 1;
const DHCPOFFER = 2;
const DHCPREQUEST = 3;
const DHCPACK = 5;
const DHCPNAK = 6;
const MAGIC = 0x63825363;

export interface Lease {
  dev: NetDevice;
  addr: number;
  prefix: number;
  router: number;
  dns: number;
  server: number;
  lease_s: number;
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
  opt(55, [1, 3, 6, 51, 54]); // mask, router, DNS, lease time, server id
  b[o++] = 255;
  return b;
}

function parse(d: Uint8Array, xid: number, mac: Uint8Array): Reply | null {
  if (d.length < 240 || d[0] !== 2) return null;
  const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
  if (v.getUint32(4) !== xid || v.getUint32(236) !== MAGIC) return null;
  for (let i = 0; i < 6; i++) if (d[28 + i] !== mac[i]) return null;
  const r: Reply = { type: 0, xid, yiaddr: v.getUint32(16), server: 0, mask: 0, router: 0, dns: 0, lease: 0 };
  for (let o = 240; o < d.length && d[o] !== 255; ) {
    const code = d[o]!;
    if (code === 0) {
      o++;
      continue;
    }
    const len = d[o + 1]!;
    const val = len >= 4 ? v.getUint32(o + 2) : 0;
    if (code === 53) r.type = d[o + 2]!;
    else if (code === 54) r.server = val;
    else if (code === 1) r.mask = val;
    else if (code === 3) r.router = val;
    else if (code === 6) r.dns = val;
    else if (code === 51) r.lease = val;
    o += 2 + len;
  }
  return r.type === 0 ? null : r;
}

/** Send a DHCP message from 0.0.0.0:68 to 255.255.255.255:67 out of `dev` (no address yet). */
function send_broadcast(dev: NetDevice, msg: Uint8Array): number {
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
  ip_build_header(p, len, IPPROTO_UDP, 0, 0xffffffff);
  p.data.set(dev.broadcast, p.head);
  p.data.set(dev.dev_addr, p.head + 6);
  const r = dev_queue_xmit(dev, p);
  if (r !== 0) pbuf_put(p);
  return r;
}

async function exchange(dev: NetDevice, send: () => number, xid: number, want: number[], tries: number, first_ms: number, sk: ReturnType<typeof udp_socket>): Promise<Reply | null> {
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
  const lease: Lease = { dev, addr: r.yiaddr, prefix, router: r.router, dns: r.dns, server: r.server, lease_s: r.lease || 86400, obtained_ns: ktime_get_ns(), renewals: old?.renewals ?? 0, renew_work: old?.renew_work ?? null };
  all.set(dev, lease);
  if (lease.renew_work === null) lease.renew_work = new DelayedWork(() => dhcp_renew(dev));
  mod_delayed_work(system_wq(), lease.renew_work, Math.max(1, Math.floor(lease.lease_s / 2)) * HZ);
  return lease;
}

/**
 * Obtain a lease on `dev` (which must be up). Returns 0 when bound, -ETIMEDOUT without an answer,
 * -EBUSY when another client holds port 68. Process context.
 */
export async function dhcp_run(dev: NetDevice): Promise<number> {
  const sk = udp_socket();
  if (udp_bind(sk, 0, DHCP_CLIENT_PORT) !== 0) {
    udp_close(sk);
    return -EBUSY;
  }
  try {
    const xid = xids.get().next++;
    const offer = await exchange(dev, () => send_broadcast(dev, build(DHCPDISCOVER, xid, dev.dev_addr, {})), xid, [DHCPOFFER], 4, 1000, sk);
    if (offer === null) return -ETIMEDOUT;
    const ack = await exchange(dev, () => send_broadcast(dev, build(DHCPREQUEST, xid, dev.dev_addr, { requested: offer.yiaddr, server: offer.server })), xid, [DHCPACK, DHCPNAK], 3, 1000, sk);
    if (ack === null || ack.type === DHCPNAK) return -ETIMEDOUT;
    pr_info(`IP-Config: Got DHCP answer from ${inet_ntoa(ack.server)}, my address is ${inet_ntoa(ack.yiaddr)}`);
    const l = apply(dev, ack);
    pr_info(
      `IP-Config: Complete:\n     device=${dev.name}, hwaddr=${mac_to_string(dev.dev_addr)}, ipaddr=${inet_ntoa(l.addr)}, mask=${inet_ntoa(((0xffffffff << (32 - l.prefix)) >>> 0))}, gw=${inet_ntoa(l.router)}\n     nameserver0=${inet_ntoa(l.dns)}, lease ${l.lease_s} s`,
    );
    return 0;
  } finally {
    udp_close(sk);
  }
}

/** T1: renew with a unicast REQUEST to the server; on no answer, try again later. Process context. */
async function dhcp_renew(dev: NetDevice): Promise<void> {
  const l = leases.get().get(dev);
  if (l === undefined) return;
  const sk = udp_socket();
  if (udp_bind(sk, 0, DHCP_CLIENT_PORT) !== 0) {
    udp_close(sk);
    return;
  }
  try {
    const xid = xids.get().next++;
    const ack = await exchange(dev, () => {
      const r = udp_sendto(sk, build(DHCPREQUEST, xid, dev.dev_addr, { ciaddr: l.addr }), l.server, DHCP_SERVER_PORT);
      return r < 0 ? r : 0;
    }, xid, [DHCPACK, DHCPNAK], 3, 1000, sk);
    if (ack !== null && ack.type === DHCPACK) {
      l.renewals++;
      apply(dev, ack).renewals = l.renewals;
      pr_info(`DHCP: ${dev.name}: lease of ${inet_ntoa(l.addr)} renewed for ${ack.lease || 86400} s`);
    } else if (l.renew_work !== null) {
      mod_delayed_work(system_wq(), l.renew_work, 60 * HZ);
    }
  } finally {
    udp_close(sk);
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
