import { EMSGSIZE, ENOPROTOOPT, EINVAL, strerror } from "../../include/linux/errno.ts";
import { ETH_HLEN, type NetDevice, type PBuf } from "../../include/net/netdevice.ts";
import { IPPROTO_ICMP, IPPROTO_UDP, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DONT, IP_PMTUDISC_PROBE, IP_PMTUDISC_WANT } from "../../include/uapi/in.ts";
import { pbuf_put } from "../../kernel/mm/pbuf.ts";
import { csum_partial, ip_compute_csum } from "../../lib/inet_checksum.ts";
import { sock_queue_rcv, type Sock } from "../socket.ts";
import { inet_is_broadcast, inet_local } from "./devinet.ts";
import { icmp_rcv, icmp_send, ICMP_DEST_UNREACH, ICMP_PROT_UNREACH } from "./icmp.ts";
import { ip_defrag } from "./ip_fragment.ts";
import { snmp } from "./snmp.ts";
import { udp_rcv } from "./udp.ts";
import { inet_protocol } from "./protocol.ts";

/**
 * IPv4 input (RFC 791; net/ipv4/ip_input.c, reduced) and what the IPv4 files share (include/net/ip.h):
 * header validation with a counter for every reason a packet is dropped, reassembly of fragments
 * (ip_fragment.ts), and local delivery to ICMP, UDP and the protocols in the protocol table. Nothing
 * is forwarded. Output — routing, headers, fragmentation — is in ip_output.ts (re-exported here).
 */
export const IP_HLEN = 20;
/** Where an outgoing packet's transport header goes: after Ethernet and a 20-byte IP header. */
export const L4_OFF = ETH_HLEN + IP_HLEN;
export const IP_DEFAULT_TTL = 64;
/** The largest IPv4 datagram (tot_len is 16 bits). */
export const IP_MAX_MTU = 0xffff;

/* The frag_off field (include/net/ip.h). */
export const IP_CE = 0x8000; // "congestion", reserved; a datagram with it is not a fragment
export const IP_DF = 0x4000; // don't fragment
export const IP_MF = 0x2000; // more fragments
export const IP_OFFSET = 0x1fff; // offset in 8-byte units

/** A received packet's IP facts, handed to the transport protocols. */
export interface IpInfo {
  /** Offset of the IP header in p.data (always in the head buffer). */
  iph: number;
  ihl: number;
  /** IP total length. */
  tot_len: number;
  saddr: number;
  daddr: number;
  ttl: number;
  /** Addressed to a broadcast address. */
  bcast: boolean;
}

export { ip_alloc_frame, ip_build_header, ip_fragment, ip_l4_csum, ip_make_pbuf, ip_output, ip_source_for } from "./ip_output.ts";

/** ip_is_fragment(): MF set or a non-zero offset. */
export function ip_is_fragment(frag_off: number): boolean {
  return (frag_off & (IP_MF | IP_OFFSET)) !== 0;
}

/** ip_send_check(): recompute the header checksum of the IP header at `iph`. */
export function ip_send_check(p: PBuf, iph: number): void {
  const ihl = (p.data[iph]! & 0x0f) * 4;
  p.view.setUint16(iph + 10, 0);
  p.view.setUint16(iph + 10, ip_compute_csum(p.data, iph, ihl));
}

/* ---- packet buffer helpers for frames that may be chains (sk_buff's skb_checksum, skb_store_bits, pskb_trim) ---- */

function csum_fold16(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

/**
 * pbuf_checksum() (skb_checksum): the ones'-complement sum (unfolded) of `len` bytes of the frame
 * from frame offset `off`, walking the head and its fragments, added to `sum`. A piece that starts
 * at an odd stream position is added byte-swapped (csum_block_add).
 */
export function pbuf_checksum(p: PBuf, off: number, len: number, sum: number): number {
  let seg: PBuf | null = p;
  let seg_len = p.len - p.data_len;
  let odd = 0;
  while (seg !== null && len > 0) {
    if (off < seg_len) {
      const n = Math.min(seg_len - off, len);
      const part = csum_partial(seg.data, seg.head + off, n);
      if (odd) {
        const f = csum_fold16(part);
        sum += ((f & 0xff) << 8) | (f >> 8);
      } else sum += part;
      odd ^= n & 1;
      len -= n;
      off = 0;
    } else {
      off -= seg_len;
    }
    seg = seg.frag;
    if (seg !== null) seg_len = seg.len;
  }
  return sum;
}

/**
 * pbuf_store_bits() (skb_store_bits): copy `len` bytes of `from` (from `from_off`) into the frame
 * at frame offset `off`, walking the head and its fragments. The frame must be that long.
 */
export function pbuf_store_bits(p: PBuf, off: number, from: Uint8Array, from_off: number, len: number): void {
  let seg: PBuf | null = p;
  let seg_len = p.len - p.data_len;
  while (seg !== null && len > 0) {
    if (off < seg_len) {
      const n = Math.min(seg_len - off, len);
      seg.data.set(from.subarray(from_off, from_off + n), seg.head + off);
      from_off += n;
      len -= n;
      off = 0;
    } else {
      off -= seg_len;
    }
    seg = seg.frag;
    if (seg !== null) seg_len = seg.len;
  }
}

/** The frame's bytes [off, off + len) as a new array (for a socket's receive queue). */
export function pbuf_copy_out(p: PBuf, off: number, len: number): Uint8Array {
  if (p.data_len === 0) return p.data.slice(p.head + off, p.head + off + len);
  const out = new Uint8Array(len);
  let seg: PBuf | null = p;
  let seg_len = p.len - p.data_len;
  let done = 0;
  while (seg !== null && done < len) {
    if (off < seg_len) {
      const n = Math.min(seg_len - off, len - done);
      out.set(seg.data.subarray(seg.head + off, seg.head + off + n), done);
      done += n;
      off = 0;
    } else {
      off -= seg_len;
    }
    seg = seg.frag;
    if (seg !== null) seg_len = seg.len;
  }
  return out;
}

/**
 * pbuf_trim() (pskb_trim): keep the first `len` bytes of the frame, putting fragments that fall
 * wholly past it. Only the owner of every buffer in the chain may call it.
 */
export function pbuf_trim(p: PBuf, len: number): void {
  if (len >= p.len) return;
  const headlen = p.len - p.data_len;
  if (len <= headlen) {
    const rest = p.frag;
    p.frag = null;
    p.data_len = 0;
    p.len = len;
    if (rest !== null) pbuf_put(rest);
    return;
  }
  let left = len - headlen;
  let f = p.frag!;
  for (;;) {
    if (left <= f.len) {
      f.len = left;
      const rest = f.frag;
      f.frag = null;
      if (rest !== null) pbuf_put(rest);
      break;
    }
    left -= f.len;
    f = f.frag!;
  }
  p.data_len = len - headlen;
  p.len = len;
}

/* ---- per-socket IP options (net/ipv4/ip_sockglue.c, reduced to IP_MTU_DISCOVER) ---- */

/** inet->pmtudisc of the sockets that changed it; the others have IP_PMTUDISC_WANT (ip_no_pmtu_disc = 0). */
const pmtudisc_of = new WeakMap<Sock, number>();

/** The socket's IP_MTU_DISCOVER mode. */
export function ip_sk_pmtudisc(sk: Sock): number {
  return pmtudisc_of.get(sk) ?? IP_PMTUDISC_WANT;
}

/**
 * ip_setsockopt() for IPPROTO_IP: IP_MTU_DISCOVER (IP_PMTUDISC_DONT … IP_PMTUDISC_PROBE). Returns 0,
 * -EINVAL for a bad value, -ENOPROTOOPT for any other option. Process context.
 */
export function ip_setsockopt(sk: Sock, level: number, optname: number, val: number): number {
  if (level !== IPPROTO_IP || optname !== IP_MTU_DISCOVER) return -ENOPROTOOPT;
  if (!Number.isInteger(val) || val < IP_PMTUDISC_DONT || val > IP_PMTUDISC_PROBE) return -EINVAL;
  pmtudisc_of.set(sk, val);
  return 0;
}

/**
 * ip_local_error(): queue an error (-errno) the sender itself raised (SO_EE_ORIGIN_LOCAL) on `sk`, as
 * IP_RECVERR delivers it: `from` 0 marks it local; for EMSGSIZE the text carries the MTU (ee_info),
 * which ping prints as "local error: message too long, mtu=1500". `data` is the head of the message
 * that could not be sent (the echo header for ping). Any context.
 */
export function ip_local_error(sk: Sock, err: number, daddr: number, port: number, info: number, data: Uint8Array): void {
  const text = Math.abs(err) === EMSGSIZE ? `message too long, mtu=${info}` : strerror(err);
  sock_queue_rcv(sk, { data, addr: daddr, port, ttl: 0, tstamp_ns: 0, error: { type: 0, code: 0, from: 0, text } });
}

/* ---- input ---- */

/**
 * ip_rcv(): validate and deliver. Checks, each with its counter: length, version, header length,
 * header checksum, total length against the frame (InHdrErrors / InTruncatedPkts), destination
 * (InAddrErrors); then fragments go to ip_defrag, which hands back the whole datagram when its last
 * piece arrives; then the protocol (InUnknownProtos, with an ICMP protocol unreachable). Softirq
 * context; owns `p`. The header checksum is always verified here, whatever the NIC reported:
 * CHECKSUM_UNNECESSARY speaks for the transport checksum (Linux's ip_rcv_core checks the header
 * with ip_fast_csum in every case). The frame may be a chain; its IP header must be in the head.
 */
export function ip_rcv(p: PBuf, _dev: NetDevice): void {
  const s = snmp.get().Ip;
  const d = p.data;
  const v = p.view;
  const iph = p.head + ETH_HLEN;
  const avail = p.len - ETH_HLEN;
  // __IP_UPD_PO_STATS(IPSTATS_MIB_IN): the datagram as it arrived, link padding and all.
  s.InReceives++;
  s.InOctets += Math.max(0, avail);
  const headlen = p.len - p.data_len - ETH_HLEN;
  if (avail < IP_HLEN || headlen < IP_HLEN || d[iph]! >> 4 !== 4) {
    s.InHdrErrors++;
    pbuf_put(p);
    return;
  }
  const ihl = (d[iph]! & 0x0f) * 4;
  const tot_len = v.getUint16(iph + 2);
  if (ihl < IP_HLEN) {
    s.InHdrErrors++;
    pbuf_put(p);
    return;
  }
  // IPSTATS_MIB_NOECTPKTS + the ECN bits of the TOS: InNoECTPkts, InECT1Pkts, InECT0Pkts, InCEPkts.
  const ecn = d[iph + 1]! & 3;
  if (ecn === 0) s.InNoECTPkts++;
  else if (ecn === 1) s.InECT1Pkts++;
  else if (ecn === 2) s.InECT0Pkts++;
  else s.InCEPkts++;
  if (ihl > headlen) {
    s.InHdrErrors++;
    pbuf_put(p);
    return;
  }
  if (ip_compute_csum(d, iph, ihl) !== 0) {
    s.InCsumErrors++;
    s.InHdrErrors++;
    pbuf_put(p);
    return;
  }
  if (tot_len < ihl) {
    s.InHdrErrors++;
    pbuf_put(p);
    return;
  }
  if (tot_len > avail) {
    s.InTruncatedPkts++;
    pbuf_put(p);
    return;
  }
  // pskb_trim_rcsum: Ethernet padding after the datagram goes.
  pbuf_trim(p, ETH_HLEN + tot_len);
  const daddr = v.getUint32(iph + 16);
  const bcast = inet_is_broadcast(daddr);
  if (!bcast && inet_local(daddr) === undefined && (daddr >>> 24) !== 127) {
    s.InAddrErrors++;
    pbuf_put(p);
    return;
  }
  if (bcast) {
    // ip_rcv_finish_core, RTN_BROADCAST: IPSTATS_MIB_INBCAST, the datagram without padding.
    s.InBcastPkts++;
    s.InBcastOctets += tot_len;
  }
  ip_local_deliver(p, bcast);
}

/**
 * ip_local_deliver(): reassemble if `p` is a fragment, then hand the datagram to its protocol.
 * Softirq context; owns `p` (a frame trimmed to its datagram, header checked).
 */
function ip_local_deliver(p: PBuf, bcast: boolean): void {
  const s = snmp.get().Ip;
  if (ip_is_fragment(p.view.getUint16(p.head + ETH_HLEN + 6))) {
    const whole = ip_defrag(p);
    if (whole === null) return;
    p = whole;
  }
  const d = p.data;
  const v = p.view;
  const iph = p.head + ETH_HLEN;
  const info: IpInfo = { iph, ihl: (d[iph]! & 0x0f) * 4, tot_len: v.getUint16(iph + 2), saddr: v.getUint32(iph + 12), daddr: v.getUint32(iph + 16), ttl: d[iph + 8]!, bcast };
  const proto = d[iph + 9];
  if (proto === IPPROTO_ICMP) {
    s.InDelivers++;
    icmp_rcv(p, info);
  } else if (proto === IPPROTO_UDP) {
    s.InDelivers++;
    udp_rcv(p, info);
  } else if (proto !== undefined && inet_protocol(proto) !== undefined) {
    s.InDelivers++;
    inet_protocol(proto)!(p, info);
  } else {
    s.InUnknownProtos++;
    if (!bcast) icmp_send(p, info, ICMP_DEST_UNREACH, ICMP_PROT_UNREACH);
    pbuf_put(p);
  }
}
