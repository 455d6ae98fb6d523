import { EADDRINUSE, EINVAL, EMSGSIZE, ENOBUFS } from "../../include/linux/errno.ts";
import { CHECKSUM_UNNECESSARY, type PBuf } from "../../include/net/netdevice.ts";
import { IPPROTO_UDP, IP_PMTUDISC_DO, IP_PMTUDISC_PROBE } from "../../include/uapi/in.ts";
import { DEFINE_PER_KERNEL } from "../../kernel/kernel.ts";
import { pbuf_put } from "../../kernel/mm/pbuf.ts";
import { sock_alloc, sock_queue_rcv, sock_release, type Sock } from "../socket.ts";
import { csum_fold, csum_tcpudp_nofold } from "../../lib/inet_checksum.ts";
import { icmp_err_text, icmp_send, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, ICMP_PORT_UNREACH, UNREACH_TEXT } from "./icmp.ts";
import { IP_HLEN, IP_MAX_MTU, ip_l4_csum, ip_local_error, ip_make_pbuf, ip_output, ip_sk_pmtudisc, L4_OFF, pbuf_checksum, pbuf_copy_out, pbuf_store_bits, type IpInfo } from "./ip.ts";
import { ip_dev_mtu, ip_dst_mtu, ip_route_output } from "./route.ts";
import { snmp } from "./snmp.ts";

/**
 * UDP (RFC 768; net/ipv4/udp.c, reduced): bind, sendto, recvfrom with checksums both ways;
 * datagrams for ports nobody has bound get an ICMP port unreachable. Datagrams up to 65507 bytes,
 * fragmented on the way out (and reassembled on the way in) when they exceed the path MTU.
 */
export const UDP_HLEN = 8;
/** Largest payload without fragmentation at MTU 1500. */
export const UDP_MAX_PAYLOAD = 1500 - 20 - UDP_HLEN;
/** Largest payload at all: 65535 - 20 - 8. */
export const UDP_MAX_DGRAM = 0xffff - 20 - UDP_HLEN;
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

/**
 * udp_sendto(): build a UDP datagram (buffers laid out for fragmentation when it exceeds the path
 * MTU, see ip_make_pbuf) and send it. With IP_MTU_DISCOVER DO/PROBE a datagram longer than the MTU
 * is refused with -EMSGSIZE and a local error carrying the MTU (ip_local_error), as Linux does.
 * Returns the payload bytes or -errno. Process context.
 */
export function udp_sendto(sk: Sock, data: Uint8Array, daddr: number, dport: number): number {
  if (data.length > UDP_MAX_DGRAM) return -EMSGSIZE;
  if (dport < 1 || dport > 65535) return -EINVAL;
  if (sk.port === 0) {
    const r = udp_bind(sk, 0, 0);
    if (r) return r;
  }
  const len = UDP_HLEN + data.length;
  const pmtudisc = ip_sk_pmtudisc(sk);
  const rt = ip_route_output(daddr);
  const mtu = rt === null ? 0 : pmtudisc === IP_PMTUDISC_PROBE ? ip_dev_mtu(rt.dev) : ip_dst_mtu(rt.dev, daddr);
  if (rt !== null && (pmtudisc === IP_PMTUDISC_DO || pmtudisc === IP_PMTUDISC_PROBE) && IP_HLEN + len > mtu) {
    ip_local_error(sk, -EMSGSIZE, daddr, dport, mtu, new Uint8Array(0));
    return -EMSGSIZE;
  }
  const src = sk.addr !== 0 ? sk.addr : (rt?.src ?? 0);
  const p = ip_make_pbuf(len, rt === null ? IP_MAX_MTU : mtu);
  if (p === null) return -ENOBUFS;
  const o = p.head + L4_OFF;
  const v = p.view;
  v.setUint16(o, sk.port);
  v.setUint16(o + 2, dport);
  v.setUint16(o + 4, len);
  v.setUint16(o + 6, 0);
  pbuf_store_bits(p, L4_OFF + UDP_HLEN, data, 0, data.length);
  // The checksum: by the NIC when the route's device offers it, else in software (by the core, or
  // by ip_do_fragment before it fragments).
  ip_l4_csum(p, o, 6, csum_tcpudp_nofold(src, daddr, len, IPPROTO_UDP));
  snmp.get().Udp.OutDatagrams++;
  const r = ip_output(
    p,
    len,
    IPPROTO_UDP,
    daddr,
    src,
    undefined,
    () => {
      sock_queue_rcv(sk, { data: new Uint8Array(0), addr: daddr, port: dport, ttl: 0, tstamp_ns: 0, error: { type: ICMP_DEST_UNREACH, code: ICMP_HOST_UNREACH, from: src, text: UNREACH_TEXT[ICMP_HOST_UNREACH]! } });
    },
    pmtudisc,
  );
  return r < 0 ? r : data.length;
}

/**
 * udp_rcv(): check length and checksum, deliver to the bound socket or answer port unreachable.
 * `p` may be a chain (a reassembled datagram); the UDP header is in the head buffer. Softirq
 * context; owns `p`.
 */
export function udp_rcv(p: PBuf, ip: IpInfo): void {
  const s = snmp.get().Udp;
  const o = ip.iph + ip.ihl;
  const v = p.view;
  const avail = ip.tot_len - ip.ihl;
  const len = avail >= UDP_HLEN ? v.getUint16(o + 4) : 0;
  if (avail < UDP_HLEN || len < UDP_HLEN || len > avail || p.len - p.data_len < o - p.head + UDP_HLEN) {
    s.InErrors++;
    pbuf_put(p);
    return;
  }
  // Verified in software unless the NIC already did (CHECKSUM_UNNECESSARY).
  if (p.ip_summed !== CHECKSUM_UNNECESSARY && v.getUint16(o + 6) !== 0 && csum_fold(pbuf_checksum(p, o - p.head, len, csum_tcpudp_nofold(ip.saddr, ip.daddr, len, IPPROTO_UDP))) !== 0) {
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
  if (sock_queue_rcv(sk, { data: pbuf_copy_out(p, o - p.head + UDP_HLEN, len - UDP_HLEN), addr: ip.saddr, port: v.getUint16(o), ttl: ip.ttl, tstamp_ns: p.tstamp })) s.InDatagrams++;
  else {
    // A full receive queue: counted as Linux's __udp_queue_rcv_skb does.
    s.RcvbufErrors++;
    s.InErrors++;
  }
  pbuf_put(p);
}

/**
 * An ICMP error (destination unreachable, time exceeded) about a datagram we sent from `sport` to
 * daddr:dport; `info` is the MTU of a "fragmentation needed". Softirq context.
 */
export function udp_err(sport: number, type: number, code: number, info: number, from: number, daddr: number, dport: number): void {
  const sk = udp_table.get().ports.get(sport);
  if (sk === undefined) return;
  sock_queue_rcv(sk, { data: new Uint8Array(0), addr: daddr, port: dport, ttl: 0, tstamp_ns: 0, error: { type, code, from, text: icmp_err_text(type, code, info) } });
}

export function udp_release_all(): void {
  const t = udp_table.get();
  for (const sk of t.ports.values()) sock_release(sk);
  t.ports.clear();
}
