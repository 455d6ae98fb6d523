import { EADDRINUSE, EINVAL, EMSGSIZE } from "../../include/linux/errno.ts";
import type { PBuf } from "../../include/net/netdevice.ts";
import { IPPROTO_ICMP } from "../../include/uapi/in.ts";
import { DEFINE_PER_KERNEL } from "../../kernel/kernel.ts";
import { pbuf_alloc } from "../../kernel/mm/pbuf.ts";
import { sock_alloc, sock_queue_rcv, sock_release, type Sock } from "../socket.ts";
import { ICMP_ECHO, ICMP_HOST_UNREACH, UNREACH_TEXT } from "./icmp.ts";
import { ip_l4_csum, ip_output, L4_OFF, type IpInfo } from "./ip.ts";
import { snmp } from "./snmp.ts";

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

/** Send one echo request. Returns the bytes sent or -errno. Process context. */
export function ping_sendto(sk: Sock, data: Uint8Array, daddr: number): number {
  if (data.length < 8 || data[0] !== ICMP_ECHO || data[1] !== 0) return -EINVAL;
  if (data.length > 1500 - 20) return -EMSGSIZE;
  const p = pbuf_alloc();
  if (p === null) return -105; // ENOBUFS
  const o = p.head + L4_OFF;
  p.data.set(data, o);
  p.view.setUint16(o + 4, sk.port); // identifier
  ip_l4_csum(p, o, 2, 0);
  const seq = p.view.getUint16(o + 6);
  snmp.get().Icmp.OutMsgs++;
  snmp.get().Icmp.OutEchos++;
  const r = ip_output(p, data.length, IPPROTO_ICMP, daddr, sk.addr, undefined, (_err, q) => {
    // ARP could not resolve the next hop: the sender hears "host unreachable" for this sequence,
    // from its own address, as Linux reports it.
    queue_error(sk, seq, ICMP_HOST_UNREACH, q.view.getUint32(q.head + 14 + 12));
  });
  return r < 0 ? r : data.length;
}

function queue_error(sk: Sock, seq: number, code: number, from: number): void {
  const data = new Uint8Array(8);
  data[0] = 3;
  data[1] = code;
  new DataView(data.buffer).setUint16(6, seq);
  sock_queue_rcv(sk, { data, addr: from, port: 0, ttl: 0, tstamp_ns: 0, error: { type: 3, code, from, text: UNREACH_TEXT[code] ?? `Destination unreachable (code ${code})` } });
}

/** An echo reply arrived: give a copy to the socket with its identifier. Softirq context. */
export function ping_rcv(p: PBuf, ip: IpInfo, off: number, len: number): void {
  const ident = p.view.getUint16(off + 4);
  const sk = ping_table.get().by_ident.get(ident);
  if (sk === undefined) return;
  sock_queue_rcv(sk, { data: p.data.slice(off, off + len), addr: ip.saddr, port: 0, ttl: ip.ttl, tstamp_ns: p.tstamp });
}

/** A destination-unreachable about one of our echo requests. Softirq context. */
export function ping_err(ident: number, seq: number, code: number, from: number): void {
  const sk = ping_table.get().by_ident.get(ident);
  if (sk !== undefined) queue_error(sk, seq, code, from);

}

export function ping_release_all(): void {
  const t = ping_table.get();
  for (const sk of t.by_ident.values()) sock_release(sk);
  t.by_ident.clear();
}

