import { CHECKSUM_UNNECESSARY, type PBuf } from "../../include/net/netdevice.ts";
import { IPPROTO_ICMP, IPPROTO_UDP } from "../../include/uapi/in.ts";
import { pbuf_alloc, pbuf_put } from "../../kernel/mm/pbuf.ts";
import { ip_compute_csum } from "../../lib/inet_checksum.ts";
import { ip_l4_csum, ip_output, L4_OFF, type IpInfo } from "./ip.ts";
import { ping_err, ping_rcv } from "./ping.ts";
import { snmp } from "./snmp.ts";
import { udp_err } from "./udp.ts";

/**
 * ICMP (RFC 792; net/ipv4/icmp.c, reduced): answer echo requests on every interface (not those
 * sent to a broadcast address, as Linux's icmp_echo_ignore_broadcasts), hand echo replies to the
 * ping socket that sent the request, pass destination-unreachable errors to the socket they concern,
 * and send port/protocol unreachable.
 */
export const ICMP_ECHOREPLY = 0;
export const ICMP_DEST_UNREACH = 3;
export const ICMP_ECHO = 8;
export const ICMP_NET_UNREACH = 0;
export const ICMP_HOST_UNREACH = 1;
export const ICMP_PROT_UNREACH = 2;
export const ICMP_PORT_UNREACH = 3;

export const UNREACH_TEXT: Readonly<Record<number, string>> = {
  [ICMP_NET_UNREACH]: "Destination Net Unreachable",
  [ICMP_HOST_UNREACH]: "Destination Host Unreachable",
  [ICMP_PROT_UNREACH]: "Destination Protocol Unreachable",
  [ICMP_PORT_UNREACH]: "Destination Port Unreachable",
};

/** icmp_rcv(): softirq context; owns `p`. */
export function icmp_rcv(p: PBuf, ip: IpInfo): void {
  const s = snmp.get().Icmp;
  s.InMsgs++;
  const d = p.data;
  const off = ip.iph + ip.ihl;
  const len = ip.tot_len - ip.ihl;
  if (len < 8 || (p.ip_summed !== CHECKSUM_UNNECESSARY && ip_compute_csum(d, off, len) !== 0)) {
    s.InErrors++;
    if (len >= 8) s.InCsumErrors++;
    pbuf_put(p);
    return;
  }
  const type = d[off]!;
  switch (type) {
    case ICMP_ECHO: {
      s.InEchos++;
      if (ip.bcast) break;
      // Reuse the buffer: the request's ICMP message becomes the reply's, moved to L4_OFF.
      if (off !== p.head + L4_OFF) d.copyWithin(p.head + L4_OFF, off, off + len);
      const r = p.head + L4_OFF;
      d[r] = ICMP_ECHOREPLY;
      ip_l4_csum(p, r, 2, 0);
      s.OutMsgs++;
      s.OutEchoReps++;
      ip_output(p, len, IPPROTO_ICMP, ip.saddr, ip.daddr);
      return;
    }
    case ICMP_ECHOREPLY:
      s.InEchoReps++;
      ping_rcv(p, ip, off, len);
      break;
    case ICMP_DEST_UNREACH: {
      s.InDestUnreachs++;
      // The offending packet's IP header and first 8 bytes follow the ICMP header.
      const inner = off + 8;
      if (len >= 8 + 20 + 8) {
        const inner_ihl = (d[inner]! & 0x0f) * 4;
        const proto = d[inner + 9];
        const l4 = inner + inner_ihl;
        if (proto === IPPROTO_ICMP) ping_err(p.view.getUint16(l4 + 4), p.view.getUint16(l4 + 6), d[off + 1]!, ip.saddr);
        else if (proto === IPPROTO_UDP) udp_err(p.view.getUint16(l4), d[off + 1]!, ip.saddr, p.view.getUint32(inner + 16), p.view.getUint16(l4 + 2));
      }
      break;
    }
    default:
      // Types past NR_ICMP_TYPES (18) are errors, as icmp_rcv counts them; known types with no
      // handler here (timestamp, redirect, …) are consumed as icmp_discard does.
      if (type > NR_ICMP_TYPES) s.InErrors++;
      break;
  }
  pbuf_put(p);
}

/** The highest ICMP type Linux knows (include/uapi/linux/icmp.h). */
const NR_ICMP_TYPES = 18;

/**
 * icmp_send(): an error about received packet `orig` back to its sender: the ICMP header, then the
 * original IP header and 8 bytes of its payload. Never about an ICMP error or a broadcast.
 */
export function icmp_send(orig: PBuf, ip: IpInfo, type: number, code: number): void {
  if (ip.bcast) return;
  const od = orig.data;
  if (od[ip.iph + 9] === IPPROTO_ICMP && od[ip.iph + ip.ihl] !== ICMP_ECHO) return;
  const p = pbuf_alloc();
  if (p === null) return;
  const quote = Math.min(ip.tot_len, ip.ihl + 8);
  const o = p.head + L4_OFF;
  const d = p.data;
  d[o] = type;
  d[o + 1] = code;
  p.view.setUint32(o + 2, 0); // checksum + unused
  p.view.setUint16(o + 6, 0);
  d.set(od.subarray(ip.iph, ip.iph + quote), o + 8);
  const len = 8 + quote;
  ip_l4_csum(p, o, 2, 0);
  const s = snmp.get().Icmp;
  s.OutMsgs++;
  if (type === ICMP_DEST_UNREACH) s.OutDestUnreachs++;
  ip_output(p, len, IPPROTO_ICMP, ip.saddr, ip.daddr);
}
