import { ECONNREFUSED, EHOSTDOWN, EHOSTUNREACH, EMSGSIZE, ENETUNREACH, ENOPROTOOPT, EOPNOTSUPP } from "../../include/linux/errno.ts";
import { CHECKSUM_UNNECESSARY, type PBuf } from "../../include/net/netdevice.ts";
import { IPPROTO_ICMP, IPPROTO_UDP } from "../../include/uapi/in.ts";
import { pbuf_alloc, pbuf_put } from "../../kernel/mm/pbuf.ts";
import { csum_fold } from "../../lib/inet_checksum.ts";
import { IP_OFFSET, ip_l4_csum, ip_output, L4_OFF, pbuf_checksum, type IpInfo } from "./ip.ts";
import { inet_local } from "./devinet.ts";
import { ping_err, ping_rcv } from "./ping.ts";
import { inet_protocol_err } from "./protocol.ts";
import { ip_rt_update_pmtu } from "./route.ts";
import { icmp_in_count, icmp_out_count, snmp } from "./snmp.ts";
import { udp_err } from "./udp.ts";

/**
 * ICMP (RFC 792; net/ipv4/icmp.c, reduced): answer echo requests on every interface (not those
 * sent to a broadcast address, as Linux's icmp_echo_ignore_broadcasts), hand echo replies to the
 * ping socket that sent the request, pass destination-unreachable, time-exceeded and
 * parameter-problem errors to the protocol and socket they concern (a protocol in the table
 * through its err_handler, as icmp_socket_deliver; ping and UDP directly, for the first two), learn
 * path MTUs from "fragmentation needed" for ping and UDP (a table protocol does it in its handler,
 * as Linux's tcp_v4_err), and send errors (port and protocol unreachable, fragmentation needed,
 * reassembly time exceeded).
 */
export const ICMP_ECHOREPLY = 0;
export const ICMP_DEST_UNREACH = 3;
export const ICMP_ECHO = 8;
export const ICMP_TIME_EXCEEDED = 11;
export const ICMP_PARAMETERPROB = 12;
export const ICMP_NET_UNREACH = 0;
export const ICMP_HOST_UNREACH = 1;
export const ICMP_PROT_UNREACH = 2;
export const ICMP_PORT_UNREACH = 3;
/** Fragmentation needed and DF set; the next-hop MTU is in the header's last 16 bits (RFC 1191). */
export const ICMP_FRAG_NEEDED = 4;
export const ICMP_EXC_TTL = 0;
/** Fragment reassembly time exceeded. */
export const ICMP_EXC_FRAGTIME = 1;
/** The highest destination-unreachable code (include/uapi/linux/icmp.h: ICMP_PREC_CUTOFF). */
export const NR_ICMP_UNREACH = 15;

/** ENONET ("Machine is not on the network"), which include/linux/errno.ts does not carry yet. */
const ENONET = 64;

/**
 * icmp_err_convert[] (net/ipv4/icmp.c): the errno a destination-unreachable code means to a
 * socket, and whether it is fatal (RFC 1122 4.2.3.9's hard errors). Indexed by code, 0 …
 * NR_ICMP_UNREACH.
 */
export const icmp_err_convert: readonly { readonly errno: number; readonly fatal: boolean }[] = [
  { errno: ENETUNREACH, fatal: false }, // ICMP_NET_UNREACH
  { errno: EHOSTUNREACH, fatal: false }, // ICMP_HOST_UNREACH
  { errno: ENOPROTOOPT, fatal: true }, // ICMP_PROT_UNREACH
  { errno: ECONNREFUSED, fatal: true }, // ICMP_PORT_UNREACH
  { errno: EMSGSIZE, fatal: false }, // ICMP_FRAG_NEEDED
  { errno: EOPNOTSUPP, fatal: false }, // ICMP_SR_FAILED
  { errno: ENETUNREACH, fatal: true }, // ICMP_NET_UNKNOWN
  { errno: EHOSTDOWN, fatal: true }, // ICMP_HOST_UNKNOWN
  { errno: ENONET, fatal: true }, // ICMP_HOST_ISOLATED
  { errno: ENETUNREACH, fatal: true }, // ICMP_NET_ANO
  { errno: EHOSTUNREACH, fatal: true }, // ICMP_HOST_ANO
  { errno: ENETUNREACH, fatal: false }, // ICMP_NET_UNR_TOS
  { errno: EHOSTUNREACH, fatal: false }, // ICMP_HOST_UNR_TOS
  { errno: EHOSTUNREACH, fatal: true }, // ICMP_PKT_FILTERED
  { errno: EHOSTUNREACH, fatal: true }, // ICMP_PREC_VIOLATION
  { errno: EHOSTUNREACH, fatal: true }, // ICMP_PREC_CUTOFF
];

export const UNREACH_TEXT: Readonly<Record<number, string>> = {
  [ICMP_NET_UNREACH]: "Destination Net Unreachable",
  [ICMP_HOST_UNREACH]: "Destination Host Unreachable",
  [ICMP_PROT_UNREACH]: "Destination Protocol Unreachable",
  [ICMP_PORT_UNREACH]: "Destination Port Unreachable",
  5: "Source Route Failed",
  6: "Destination Net Unknown",
  7: "Destination Host Unknown",
  8: "Source Host Isolated",
  9: "Destination Net Prohibited",
  10: "Destination Host Prohibited",
  11: "Destination Net Unreachable for Type of Service",
  12: "Destination Host Unreachable for Type of Service",
  13: "Packet filtered",
  14: "Precedence Violation",
  15: "Precedence Cutoff",
};

/** An ICMP error as iputils' ping prints it (pr_icmph). `info` is the MTU of a "fragmentation needed". */
export function icmp_err_text(type: number, code: number, info: number): string {
  if (type === ICMP_DEST_UNREACH) {
    if (code === ICMP_FRAG_NEEDED) return `Frag needed and DF set (mtu = ${info})`;
    return UNREACH_TEXT[code] ?? `Dest Unreachable, Bad Code: ${code}`;
  }
  if (type === ICMP_TIME_EXCEEDED) {
    if (code === ICMP_EXC_TTL) return "Time to live exceeded";
    if (code === ICMP_EXC_FRAGTIME) return "Frag reassembly time exceeded";
    return `Time exceeded, Bad Code: ${code}`;
  }
  return `Bad ICMP type: ${type}`;
}

/** icmp_pointers[type].error: the types that are errors (never answered with an error). */
function icmp_is_error(type: number): boolean {
  return type === ICMP_DEST_UNREACH || type === 4 || type === 5 || type === ICMP_TIME_EXCEEDED || type === 12 || type > NR_ICMP_TYPES;
}

/**
 * icmp_rcv(): softirq context; owns `p`, which may be a chain (a reassembled datagram); the ICMP
 * header is in the head buffer.
 */
export function icmp_rcv(p: PBuf, ip: IpInfo): void {
  const s = snmp.get().Icmp;
  s.InMsgs++;
  const d = p.data;
  const off = ip.iph + ip.ihl;
  const len = ip.tot_len - ip.ihl;
  if (len < 8 || p.len - p.data_len < off - p.head + 8 || (p.ip_summed !== CHECKSUM_UNNECESSARY && csum_fold(pbuf_checksum(p, off - p.head, len, 0)) !== 0)) {
    s.InErrors++;
    if (len >= 8) s.InCsumErrors++;
    pbuf_put(p);
    return;
  }
  const type = d[off]!;
  icmp_in_count(type);
  switch (type) {
    case ICMP_ECHO: {
      if (ip.bcast) break;
      // Reuse the buffer: the request's ICMP message becomes the reply's. The header (and options)
      // in front of it are dropped by moving the frame start, so it sits at L4_OFF without a copy.
      p.head = off - L4_OFF;
      const r = p.head + L4_OFF;
      d[r] = ICMP_ECHOREPLY;
      ip_l4_csum(p, r, 2, 0);
      icmp_out_count(ICMP_ECHOREPLY);
      ip_output(p, len, IPPROTO_ICMP, ip.saddr, ip.daddr);
      return;
    }
    case ICMP_ECHOREPLY:
      ping_rcv(p, ip, off, len);
      break;
    case ICMP_DEST_UNREACH:
    case ICMP_TIME_EXCEEDED:
    case ICMP_PARAMETERPROB:
      icmp_unreach(p, ip, off, len);
      break;
    default:
      // Types past NR_ICMP_TYPES (18) are errors, as icmp_rcv counts them; known types with no
      // handler here (timestamp, redirect, …) are consumed as icmp_discard does.
      if (type > NR_ICMP_TYPES) s.InErrors++;
      break;
  }
  pbuf_put(p);
}

/**
 * icmp_unreach(): an error about a datagram we sent — its IP header and first 8 bytes follow the
 * ICMP header. The embedded header must be there whole, be IPv4 and have an IHL of at least 5,
 * and its transport header's first 8 bytes must follow it (icmp_socket_deliver's pskb_may_pull):
 * otherwise Icmp InErrors. Then, for a protocol in the table with an err_handler, that handler
 * hears it (icmp_socket_deliver, as Linux 6.1: destination unreachable codes up to
 * NR_ICMP_UNREACH, time exceeded, parameter problem with its pointer as `info`; not an error that
 * came to a broadcast address). For ping and UDP, as before: destination unreachable and time
 * exceeded only, "fragmentation needed" updating the path MTU (ip_rt_update_pmtu) here.
 */
function icmp_unreach(p: PBuf, ip: IpInfo, off: number, len: number): void {
  const s = snmp.get().Icmp;
  const d = p.data;
  const v = p.view;
  const inner = off + 8;
  const head_end = p.head + p.len - p.data_len;
  if (len < 8 + 20 || inner + 20 > head_end || d[inner]! >> 4 !== 4 || (d[inner]! & 0x0f) < 5) {
    s.InErrors++;
    return;
  }
  const inner_ihl = (d[inner]! & 0x0f) * 4;
  const l4 = inner + inner_ihl;
  if (l4 + 8 > head_end || l4 + 8 > off + len) {
    s.InErrors++;
    return;
  }
  const type = d[off]!;
  const code = d[off + 1]!;
  const inner_daddr = v.getUint32(inner + 16);
  const proto = d[inner + 9]!;
  if (proto === IPPROTO_ICMP || proto === IPPROTO_UDP) {
    if (type === ICMP_PARAMETERPROB) return;
    let info = 0;
    if (type === ICMP_DEST_UNREACH && code === ICMP_FRAG_NEEDED) {
      info = v.getUint16(off + 6);
      ip_rt_update_pmtu(inner_daddr, info);
    }
    if (proto === IPPROTO_ICMP) ping_err(v.getUint16(l4 + 4), v.getUint16(l4 + 6), type, code, info, ip.saddr);
    else udp_err(v.getUint16(l4), type, code, info, ip.saddr, inner_daddr, v.getUint16(l4 + 2));
    return;
  }
  let info = 0;
  if (type === ICMP_DEST_UNREACH) {
    if (code > NR_ICMP_UNREACH) return;
    if (code === ICMP_FRAG_NEEDED) info = v.getUint16(off + 6);
  } else if (type === ICMP_PARAMETERPROB) {
    info = d[off + 4]!;
  }
  if (ip.bcast) return;
  const err_handler = inet_protocol_err(proto);
  if (err_handler === undefined) return;
  err_handler(p, { iph: inner, ihl: inner_ihl, l4, protocol: proto, saddr: v.getUint32(inner + 12), daddr: inner_daddr, from: ip.saddr }, type, code, info);
}

/** The highest ICMP type Linux knows (include/uapi/linux/icmp.h). */
const NR_ICMP_TYPES = 18;

/**
 * icmp_send(): an error about received (or locally sent) packet `orig` back to its sender: the ICMP
 * header (with `info` — the next-hop MTU of a "fragmentation needed" — in its last 16 bits), then
 * the original IP header and 8 bytes of its payload. Never about an ICMP error, a broadcast, or a
 * fragment other than the first. `ip` describes orig's header (in its head buffer, followed by at
 * least ip.tot_len - ip.ihl bytes, up to 8, of payload). Any context; `orig` stays the caller's.
 */
export function icmp_send(orig: PBuf, ip: IpInfo, type: number, code: number, info = 0): void {
  if (ip.bcast) return;
  const od = orig.data;
  if ((orig.view.getUint16(ip.iph + 6) & IP_OFFSET) !== 0) return;
  const quote = Math.min(ip.tot_len, ip.ihl + 8, orig.head + orig.len - orig.data_len - ip.iph);
  if (od[ip.iph + 9] === IPPROTO_ICMP && (quote < ip.ihl + 1 || icmp_is_error(od[ip.iph + ip.ihl]!))) return;
  const p = pbuf_alloc();
  if (p === null) return;
  const o = p.head + L4_OFF;
  const d = p.data;
  d[o] = type;
  d[o + 1] = code;
  p.view.setUint32(o + 2, 0); // checksum + unused
  p.view.setUint16(o + 6, info & 0xffff);
  d.set(od.subarray(ip.iph, ip.iph + quote), o + 8);
  const len = 8 + quote;
  ip_l4_csum(p, o, 2, 0);
  icmp_out_count(type);
  // From the address the packet was for when it was ours, else the route's (a locally sent one).
  ip_output(p, len, IPPROTO_ICMP, ip.saddr, inet_local(ip.daddr) !== undefined ? ip.daddr : 0);
}
