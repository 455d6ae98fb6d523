import { EADDRINUSE, EINVAL, EMSGSIZE, ENOBUFS } from "../../include/linux/errno.ts";
import type { PBuf } from "../../include/net/netdevice.ts";
import { IPPROTO_ICMP, IP_PMTUDISC_DO, IP_PMTUDISC_PROBE } from "../../include/uapi/in.ts";
import { DEFINE_PER_KERNEL } from "../../kernel/kernel.ts";
import { sock_alloc, sock_queue_rcv, sock_release, type Sock } from "../socket.ts";
import { ICMP_DEST_UNREACH, ICMP_ECHO, ICMP_HOST_UNREACH, icmp_err_text } from "./icmp.ts";
import { IP_HLEN, IP_MAX_MTU, ip_l4_csum, ip_local_error, ip_make_pbuf, ip_output, ip_sk_pmtudisc, L4_OFF, pbuf_copy_out, pbuf_store_bits, type IpInfo } from "./ip.ts";
import { ip_dev_mtu, ip_dst_mtu, ip_route_output } from "./route.ts";
import { icmp_out_count } from "./snmp.ts";

/**
 * Ping sockets (net/ipv4/ping.c): socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP). The application
 * writes an ICMP echo request (type 8, sequence number, payload); the kernel puts the socket's
 * identifier and the checksum in, and hands back the echo replies carrying that identifier, with
 * the TTL they arrived with and their receive timestamp.
 */
class PingTable {
  readonly by_ident = new Map<number, Sock>();
  next_ident = 1;
}
const ping_table = DEFINE_PER_KERNEL(() => new PingTable());

export function ping_socket(): Sock {
  const t = ping_table.get();
  const sk = sock_alloc("ping");
  let ident = t.next_ident;
  while (t.by_ident.has(ident)) ident = (ident % 0xffff) + 1;
  t.next_ident = (ident % 0xffff) + 1;
  sk.port = ident;
  t.by_ident.set(ident, sk);
  return sk;
}

export function ping_close(sk: Sock): void {
  ping_table.get().by_ident.delete(sk.port);
  sock_release(sk);
}

export function ping_bind(sk: Sock, ident: number): number {
  const t = ping_table.get();
  if (ident === 0) return 0;
  if (t.by_ident.has(ident) && t.by_ident.get(ident) !== sk) return -EADDRINUSE;
  t.by_ident.delete(sk.port);
  sk.port = ident;
  t.by_ident.set(ident, sk);
  return 0;
}

/**
 * ping_sendto() (ping_v4_sendmsg): send one echo request of up to 65515 bytes (65507 of data),
 * fragmented when it exceeds the path MTU — unless the socket's IP_MTU_DISCOVER is DO or PROBE:
 * then a request longer than the MTU is refused with -EMSGSIZE and a local error carrying the MTU
 * is queued on the socket (ip_local_error; ping prints "local error: message too long, mtu=1500").
 * Returns the bytes sent or -errno. Process context.
 */
export function ping_sendto(sk: Sock, data: Uint8Array, daddr: number): number {
  if (data.length < 8 || data[0] !== ICMP_ECHO || data[1] !== 0) return -EINVAL;
  const pmtudisc = ip_sk_pmtudisc(sk);
  const rt = ip_route_output(daddr);
  const mtu = rt === null ? 0 : pmtudisc === IP_PMTUDISC_PROBE ? ip_dev_mtu(rt.dev) : ip_dst_mtu(rt.dev, daddr);
  // __ip_append_data: the largest datagram is 65535, or the MTU when the socket wants DF.
  const maxnonfragsize = pmtudisc === IP_PMTUDISC_DO || pmtudisc === IP_PMTUDISC_PROBE ? mtu : IP_MAX_MTU;
  if (rt !== null && IP_HLEN + data.length > maxnonfragsize) {
    ip_local_error(sk, -EMSGSIZE, daddr, 0, mtu, data.slice(0, 8));
    return -EMSGSIZE;
  }
  if (IP_HLEN + data.length > IP_MAX_MTU) return -EMSGSIZE;
  const p = ip_make_pbuf(data.length, rt === null ? IP_MAX_MTU : mtu);
  if (p === null) return -ENOBUFS;
  const o = p.head + L4_OFF;
  pbuf_store_bits(p, L4_OFF, data, 0, data.length);
  p.view.setUint16(o + 4, sk.port); // identifier
  ip_l4_csum(p, o, 2, 0);
  const seq = p.view.getUint16(o + 6);
  icmp_out_count(ICMP_ECHO);
  const r = ip_output(
    p,
    data.length,
    IPPROTO_ICMP,
    daddr,
    sk.addr,
    undefined,
    (_err, q) => {
      // ARP could not resolve the next hop: the sender hears "host unreachable" for this sequence,
      // from its own address, as Linux reports it.
      queue_error(sk, seq, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 0, q.view.getUint32(q.head + 14 + 12));
    },
    pmtudisc,
  );
  return r < 0 ? r : data.length;
}

function queue_error(sk: Sock, seq: number, type: number, code: number, info: number, from: number): void {
  const data = new Uint8Array(8);
  data[0] = type;
  data[1] = code;
  new DataView(data.buffer).setUint16(6, seq);
  sock_queue_rcv(sk, { data, addr: from, port: 0, ttl: 0, tstamp_ns: 0, error: { type, code, from, text: icmp_err_text(type, code, info) } });
}

/**
 * An echo reply arrived: give a copy to the socket with its identifier. `p` may be a chain (a
 * reassembled reply); off is an index into the head's data. Softirq context.
 */
export function ping_rcv(p: PBuf, ip: IpInfo, off: number, len: number): void {
  const ident = p.view.getUint16(off + 4);
  const sk = ping_table.get().by_ident.get(ident);
  if (sk === undefined) return;
  sock_queue_rcv(sk, { data: pbuf_copy_out(p, off - p.head, len), addr: ip.saddr, port: 0, ttl: ip.ttl, tstamp_ns: p.tstamp });
}

/**
 * An ICMP error (destination unreachable, time exceeded) about one of our echo requests; `info` is
 * the MTU of a "fragmentation needed" (the path MTU cache has already been told). Softirq context.
 */
export function ping_err(ident: number, seq: number, type: number, code: number, info: number, from: number): void {
  const sk = ping_table.get().by_ident.get(ident);
  if (sk !== undefined) queue_error(sk, seq, type, code, info, from);
}

export function ping_release_all(): void {
  const t = ping_table.get();
  for (const sk of t.by_ident.values()) sock_release(sk);
  t.by_ident.clear();
}

