import { EADDRINUSE, EINVAL, EMSGSIZE, ENOBUFS } from "../../include/linux/errno.ts";
import { CHECKSUM_UNNECESSARY, type PBuf } from "../../include/net/netdevice.ts";
import { IPPROTO_UDP } from "../../include/uapi/in.ts";
import { DEFINE_PER_KERNEL } from "../../kernel/kernel.ts";
import { pbuf_alloc, pbuf_put } from "../../kernel/mm/pbuf.ts";
import { sock_alloc, sock_queue_rcv, sock_release, type Sock } from "../socket.ts";
import { csum_fold, csum_partial, csum_tcpudp_nofold } from "../../lib/inet_checksum.ts";
import { icmp_send, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, ICMP_PORT_UNREACH, UNREACH_TEXT } from "./icmp.ts";
import { ip_l4_csum, ip_output, ip_source_for, L4_OFF, type IpInfo } from "./ip.ts";
import { snmp } from "./snmp.ts";

/**
 * UDP (RFC 768; net/ipv4/udp.c, reduced): bind, sendto, recvfrom with checksums both ways;
 * datagrams for ports nobody has bound get an ICMP port unreachable.
 */
export const UDP_HLEN = 8;
/** Largest payload without fragmentation at MTU 1500. */
export const UDP_MAX_PAYLOAD = 1500 - 20 - UDP_HLEN;
const EPHEMERAL_LO = 32768;
const EPHEMERAL_HI = 60999;

class UdpTable {
  readonly ports = new Map<number, Sock>();
  next_ephemeral = EPHEMERAL_LO;
}
const udp_table = DEFINE_PER_KERNEL(() => new UdpTable());

export function udp_socket(): Sock {
  return sock_alloc("udp");
}

/** bind(): a port, or 0 for an ephemeral one. Returns 0 or -EADDRINUSE. */
export function udp_bind(sk: Sock, addr: number, port: number): number {
  const t = udp_table.get();
  if (sk.port !== 0) return -EINVAL;
  if (port === 0) {
    for (let n = 0; n <= EPHEMERAL_HI - EPHEMERAL_LO; n++) {
      const cand = t.next_ephemeral;
      t.next_ephemeral = cand === EPHEMERAL_HI ? EPHEMERAL_LO : cand + 1;
      if (!t.ports.has(cand)) {
        port = cand;
        break;
      }
    }
    if (port === 0) return -EADDRINUSE;
  }
  if (port < 1 || port > 65535 || t.ports.has(port)) return -EADDRINUSE;
  sk.port = port;
  sk.addr = addr;
  t.ports.set(port, sk);
  return 0;
}

export function udp_close(sk: Sock): void {
  if (sk.port !== 0 && udp_table.get().ports.get(sk.port) === sk) udp_table.get().ports.delete(sk.port);
  sock_release(sk);
}

/** Build a UDP datagram in a fresh buffer and send it. Returns the payload bytes or -errno. */
export function udp_sendto(sk: Sock, data: Uint8Array, daddr: number, dport: number): number {
  if (data.length > UDP_MAX_PAYLOAD) return -EMSGSIZE;
  if (dport < 1 || dport > 65535) return -EINVAL;
  if (sk.port === 0) {
    const r = udp_bind(sk, 0, 0);
    if (r) return r;
  }
  const src = sk.addr !== 0 ? sk.addr : ip_source_for(daddr);
  const p = pbuf_alloc();
  if (p === null) return -ENOBUFS;
  const o = p.head + L4_OFF;
  const len = UDP_HLEN + data.length;
  const v = p.view;
  v.setUint16(o, sk.port);
  v.setUint16(o + 2, dport);
  v.setUint16(o + 4, len);
  v.setUint16(o + 6, 0);
  p.data.set(data, o + UDP_HLEN);
  // The checksum: by the NIC when the route's device offers it, else here.
  ip_l4_csum(p, o, 6, csum_tcpudp_nofold(src, daddr, len, IPPROTO_UDP));
  snmp.get().Udp.OutDatagrams++;
  const r = ip_output(p, len, IPPROTO_UDP, daddr, src, undefined, () => {
    sock_queue_rcv(sk, { data: new Uint8Array(0), addr: daddr, port: dport, ttl: 0, tstamp_ns: 0, error: { type: ICMP_DEST_UNREACH, code: ICMP_HOST_UNREACH, from: src, text: UNREACH_TEXT[ICMP_HOST_UNREACH]! } });
  });
  return r < 0 ? r : data.length;
}

/** udp_rcv(): check length and checksum, deliver to the bound socket or answer port unreachable. */
export function udp_rcv(p: PBuf, ip: IpInfo): void {
  const s = snmp.get().Udp;
  const o = ip.iph + ip.ihl;
  const v = p.view;
  const avail = ip.tot_len - ip.ihl;
  const len = avail >= UDP_HLEN ? v.getUint16(o + 4) : 0;
  if (avail < UDP_HLEN || len < UDP_HLEN || len > avail) {
    s.InErrors++;
    pbuf_put(p);
    return;
  }
  // Verified in software unless the NIC already did (CHECKSUM_UNNECESSARY).
  if (p.ip_summed !== CHECKSUM_UNNECESSARY && v.getUint16(o + 6) !== 0 && csum_fold(csum_partial(p.data, o, len, csum_tcpudp_nofold(ip.saddr, ip.daddr, len, IPPROTO_UDP))) !== 0) {
    s.InCsumErrors++;
    s.InErrors++;
    pbuf_put(p);
    return;
  }
  const dport = v.getUint16(o + 2);
  const sk = udp_table.get().ports.get(dport);
  if (sk === undefined || (sk.addr !== 0 && sk.addr !== ip.daddr && !ip.bcast)) {
    s.NoPorts++;
    icmp_send(p, ip, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH);
    pbuf_put(p);
    return;
  }
  if (sock_queue_rcv(sk, { data: p.data.slice(o + UDP_HLEN, o + len), addr: ip.saddr, port: v.getUint16(o), ttl: ip.ttl, tstamp_ns: p.tstamp })) s.InDatagrams++;
  else {
    // A full receive queue: counted as Linux's __udp_queue_rcv_skb does.
    s.RcvbufErrors++;
    s.InErrors++;
  }
  pbuf_put(p);
}

/** An ICMP error about a datagram we sent from `sport` to daddr:dport. */
export function udp_err(sport: number, code: number, from: number, daddr: number, dport: number): void {
  const sk = udp_table.get().ports.get(sport);
  if (sk === undefined) return;
  sock_queue_rcv(sk, { data: new Uint8Array(0), addr: daddr, port: dport, ttl: 0, tstamp_ns: 0, error: { type: ICMP_DEST_UNREACH, code, from, text: UNREACH_TEXT[code] ?? `Destination unreachable (code ${code})` } });
}

export function udp_release_all(): void {
  const t = udp_table.get();
  for (const sk of t.ports.values()) sock_release(sk);
  t.ports.clear();
}
