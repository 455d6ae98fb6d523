import { EMSGSIZE, ENETUNREACH } from "../../include/linux/errno.ts";
import { CHECKSUM_PARTIAL, ETH_HLEN, ETH_P_IP, ETH_ZLEN, type NetDevice, type PBuf } from "../../include/net/netdevice.ts";
import { IPPROTO_ICMP, IPPROTO_UDP } from "../../include/uapi/in.ts";
import { DEFINE_PER_KERNEL } from "../../kernel/kernel.ts";
import { pbuf_put } from "../../kernel/mm/pbuf.ts";
import { neigh_output, type XmitError } from "./arp.ts";
import { csum_fold, ip_compute_csum } from "../../lib/inet_checksum.ts";
import { inet_is_broadcast, inet_local } from "./devinet.ts";
import { icmp_rcv, icmp_send, ICMP_DEST_UNREACH, ICMP_PROT_UNREACH } from "./icmp.ts";
import { ip_route_output } from "./route.ts";
import { snmp } from "./snmp.ts";
import { udp_rcv } from "./udp.ts";
import { inet_protocol } from "./protocol.ts";

/**
 * IPv4 (RFC 791; net/ipv4/ip_input.c, ip_output.c, reduced): header validation with a counter for
 * every reason a packet is dropped, local delivery to ICMP and UDP, and output through the routing
 * table and ARP. Fragments are neither made nor reassembled (they are dropped and counted); nothing
 * is forwarded.
 */
export const IP_HLEN = 20;
/** Where an outgoing packet's transport header goes: after Ethernet and a 20-byte IP header. */
export const L4_OFF = ETH_HLEN + IP_HLEN;
export const IP_DEFAULT_TTL = 64;

/** A received packet's IP facts, handed to the transport protocols. */
export interface IpInfo {
  /** Offset of the IP header in p.data. */
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

const ip_id = DEFINE_PER_KERNEL(() => ({ next: 1 }));

/**
 * ip_output(): send the transport payload of `l4_len` bytes already at p.head + L4_OFF to `daddr`.
 * Fills the IP and Ethernet headers, pads to the minimum frame, resolves the next hop. `src` = 0
 * takes the outgoing interface's address. Owns `p` (frees it on failure). Returns 0 or -errno.
 * Any context.
 */
export function ip_output(p: PBuf, l4_len: number, proto: number, daddr: number, src: number, ttl = IP_DEFAULT_TTL, on_error: XmitError | null = null): number {
  const s = snmp.get().Ip;
  s.OutRequests++;
  const rt = ip_route_output(daddr);
  if (rt === null) {
    s.OutNoRoutes++;
    pbuf_put(p);
    return -ENETUNREACH;
  }
  const tot = IP_HLEN + l4_len;
  if (tot > rt.dev.mtu) {
    s.OutDiscards++;
    pbuf_put(p);
    return -EMSGSIZE;
  }
  ip_build_header(p, l4_len, proto, src !== 0 ? src : rt.src, daddr, ttl);
  const d = p.data;
  const h = p.head;
  d.set(rt.dev.dev_addr, h + 6);
  return neigh_output(p, rt.dev, rt.nexthop, on_error);
}

/**
 * Write the IP header (and the Ethernet type, and the length padded to the minimum frame) in
 * front of a transport payload of `l4_len` bytes at p.head + L4_OFF. MACs are the caller's.
 */
export function ip_build_header(p: PBuf, l4_len: number, proto: number, saddr: number, daddr: number, ttl = IP_DEFAULT_TTL): void {
  const d = p.data;
  const v = p.view;
  const h = p.head;
  const iph = h + ETH_HLEN;
  const tot = IP_HLEN + l4_len;
  d[iph] = 0x45;
  d[iph + 1] = 0;
  v.setUint16(iph + 2, tot);
  v.setUint16(iph + 4, ip_id.get().next++ & 0xffff);
  v.setUint16(iph + 6, 0);
  d[iph + 8] = ttl;
  d[iph + 9] = proto;
  v.setUint16(iph + 10, 0);
  v.setUint32(iph + 12, saddr);
  v.setUint32(iph + 16, daddr);
  v.setUint16(iph + 10, ip_compute_csum(d, iph, IP_HLEN));
  d[h + 12] = ETH_P_IP >> 8;
  d[h + 13] = ETH_P_IP & 0xff;
  p.len = ETH_HLEN + tot;
  if (p.len < ETH_ZLEN) {
    d.fill(0, h + p.len, h + ETH_ZLEN);
    p.len = ETH_ZLEN;
  }
}

/**
 * Leave the transport checksum of the message at `start` (an index into p.data, checksum field at
 * start + csum_offset) to whoever sends the frame, as CHECKSUM_PARTIAL with the folded `seed` (the
 * pseudo-header sum; 0 for ICMP) in the field (Linux's skb_partial_csum_set): a NIC with the
 * feature finishes it, and for any other device the core's validate_xmit does it in software
 * before the driver or a tap sees the frame. No route lookup here: the device decides at xmit.
 */
export function ip_l4_csum(p: PBuf, start: number, csum_offset: number, seed: number): void {
  p.view.setUint16(start + csum_offset, ~csum_fold(seed) & 0xffff);
  p.ip_summed = CHECKSUM_PARTIAL;
  p.csum_start = start;
  p.csum_offset = csum_offset;
}

/** The interface address ip_output would use as source for `daddr` (0 = no route). */
export function ip_source_for(daddr: number): number {
  return ip_route_output(daddr)?.src ?? 0;
}

/**
 * ip_rcv(): validate and deliver. Checks, each with its counter: length, version, header length,
 * header checksum, total length against the frame (InHdrErrors / InTruncatedPkts), fragments
 * (ReasmFails), destination (InAddrErrors), protocol (InUnknownProtos, with an ICMP protocol
 * unreachable). Softirq context; owns `p`. The header checksum is always verified here, whatever
 * the NIC reported: CHECKSUM_UNNECESSARY speaks for the transport checksum (Linux's ip_rcv_core
 * checks the header with ip_fast_csum in every case).
 */
export function ip_rcv(p: PBuf, _dev: NetDevice): void {
  const s = snmp.get().Ip;
  s.InReceives++;
  const d = p.data;
  const v = p.view;
  const iph = p.head + ETH_HLEN;
  const avail = p.len - ETH_HLEN;
  if (avail < IP_HLEN || d[iph]! >> 4 !== 4) {
    s.InHdrErrors++;
    pbuf_put(p);
    return;
  }
  const ihl = (d[iph]! & 0x0f) * 4;
  const tot_len = v.getUint16(iph + 2);
  if (ihl < IP_HLEN || ihl > avail) {
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
  if ((v.getUint16(iph + 6) & 0x3fff) !== 0) {
    s.ReasmFails++; // MF set or a non-zero offset: a fragment
    pbuf_put(p);
    return;
  }
  const daddr = v.getUint32(iph + 16);
  const bcast = inet_is_broadcast(daddr);
  if (!bcast && inet_local(daddr) === undefined && (daddr >>> 24) !== 127) {
    s.InAddrErrors++;
    pbuf_put(p);
    return;
  }
  const info: IpInfo = { iph, ihl, tot_len, saddr: v.getUint32(iph + 12), daddr, ttl: d[iph + 8]!, bcast };
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
