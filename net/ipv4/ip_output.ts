import { IP_PMTUDISC_DO, IP_PMTUDISC_DONT, IP_PMTUDISC_PROBE, IP_PMTUDISC_WANT } from "../../include/uapi/in.ts";
import { EINVAL, EMSGSIZE, ENETUNREACH, ENOBUFS } from "../../include/linux/errno.ts";
import { CHECKSUM_NONE, CHECKSUM_PARTIAL, ETH_HLEN, ETH_P_IP, ETH_ZLEN, PBUF_HEADROOM, PBUF_SIZE, type PBuf } from "../../include/net/netdevice.ts";
import { DEFINE_PER_KERNEL } from "../../kernel/kernel.ts";
import { pbuf_add_frag, pbuf_alloc, pbuf_copy_bits, pbuf_put } from "../../kernel/mm/pbuf.ts";
import { pbuf_checksum_help } from "../../drivers/net/netdev_features.ts";
import { csum_fold, ip_compute_csum } from "../../lib/inet_checksum.ts";
import { neigh_output, type XmitError } from "./arp.ts";
import { inet_is_broadcast } from "./devinet.ts";
import { icmp_send, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED } from "./icmp.ts";
import { IP_DEFAULT_TTL, IP_DF, IP_HLEN, IP_MAX_MTU, IP_MF, IP_OFFSET, ip_is_fragment, ip_send_check, type IpInfo } from "./ip.ts";
import { ip_dev_mtu, ip_dst_mtu, ip_mtu_locked, ip_route_output, type RouteResult } from "./route.ts";
import { snmp } from "./snmp.ts";

/**
 * IPv4 output (net/ipv4/ip_output.c, reduced): route, header, DF as the socket's IP_MTU_DISCOVER
 * mode asks, and fragmentation of a datagram longer than the path MTU (ip_fragment /
 * ip_do_fragment) with FragOKs / FragFails / FragCreates counted as Linux counts them.
 *
 * Datagrams larger than one packet buffer are chains (PBuf.frag). ip_make_pbuf lays a datagram
 * out the way ip_append_data does — every buffer after the first holds exactly one fragment's
 * payload, with room in front of it for the Ethernet and IP headers — so ip_do_fragment's fast
 * path sends each buffer as a fragment after writing its headers: no copy, no allocation. Any other
 * geometry takes the slow path, which copies into fresh buffers.
 */

/**
 * Room a buffer after the first keeps in front of its payload, for the headers of its fragment
 * (20 = IP_HLEN, written out: ip.ts and this file import each other, so ip.ts's constants are not
 * there yet when this module's top level runs).
 */
const FRAG_HEADROOM = PBUF_HEADROOM + ETH_HLEN + 20;
/** Payload bytes one such buffer holds (a multiple of 8, as a fragment's payload must be). */
const FRAG_CHUNK = (PBUF_SIZE - FRAG_HEADROOM) & ~7;

const ip_id = DEFINE_PER_KERNEL(() => ({ next: 1 }));
/** The Ethernet and IP header (with options) copied into every fragment: scratch, per kernel. */
const frag_tmpl = DEFINE_PER_KERNEL(() => new Uint8Array(ETH_HLEN + 60));

/**
 * ip_output(): send the transport payload of `l4_len` bytes already at frame offset L4_OFF of `p`
 * (a chain from ip_make_pbuf when it does not fit one buffer) to `daddr`. Fills the IP and Ethernet
 * headers, pads to the minimum frame, fragments when the datagram exceeds the path MTU, resolves
 * the next hop. `src` = 0 takes the outgoing interface's address. `pmtudisc` is the sender's
 * IP_MTU_DISCOVER mode: DONT never sets DF (ICMP's replies, as Linux's icmp socket); WANT sets DF
 * when the datagram fits; DO/PROBE always (the sender checked the size first, see ip_make_pbuf's
 * callers). `on_error` hears an unresolvable next hop (once per datagram). Owns `p` (frees it on
 * failure). Returns 0 or -errno. Any context.
 */
export function ip_output(p: PBuf, l4_len: number, proto: number, daddr: number, src: number, ttl = IP_DEFAULT_TTL, on_error: XmitError | null = null, pmtudisc = IP_PMTUDISC_DONT): number {
  const s = snmp.get().Ip;
  s.OutRequests++;
  const rt = ip_route_output(daddr);
  if (rt === null) {
    s.OutNoRoutes++;
    pbuf_put(p);
    return -ENETUNREACH;
  }
  const tot = IP_HLEN + l4_len;
  if (tot > IP_MAX_MTU) {
    s.OutDiscards++;
    pbuf_put(p);
    return -EMSGSIZE;
  }
  // IP_UPD_PO_STATS(IPSTATS_MIB_OUT) counts the octets of the whole datagram, before fragmentation;
  // ip_finish_output2 the broadcasts (IPSTATS_MIB_OUTBCAST).
  s.OutOctets += tot;
  if (inet_is_broadcast(daddr)) {
    s.OutBcastPkts++;
    s.OutBcastOctets += tot;
  }
  const mtu = pmtudisc === IP_PMTUDISC_PROBE ? ip_dev_mtu(rt.dev) : ip_dst_mtu(rt.dev, daddr);
  // __ip_make_skb: DF for DO and PROBE, and for WANT when it fits and the path MTU is not locked
  // (a datagram too big for WANT is fragmented without DF: ip_sk_ignore_df). A GSO frame is
  // segmented to fit, so WANT gives it DF as ip_queue_xmit gives every TCP segment.
  const df = pmtudisc === IP_PMTUDISC_DO || pmtudisc === IP_PMTUDISC_PROBE || (pmtudisc === IP_PMTUDISC_WANT && (tot <= mtu || p.gso_size !== 0) && !ip_mtu_locked(daddr));
  ip_build_header(p, l4_len, proto, src !== 0 ? src : rt.src, daddr, ttl, df ? IP_DF : 0);
  p.data.set(rt.dev.dev_addr, p.head + 6);
  if (tot > mtu && p.gso_size === 0) return ip_fragment(p, rt, mtu, on_error);
  return neigh_output(p, rt.dev, rt.nexthop, on_error);
}

/**
 * Write the IP header (and the Ethernet type, and the length padded to the minimum frame) in
 * front of a transport payload of `l4_len` bytes at frame offset L4_OFF. `frag_off` carries DF.
 * MACs are the caller's. For a chain the head's bytes and data_len must already add up (p.len
 * becomes the whole frame).
 */
export function ip_build_header(p: PBuf, l4_len: number, proto: number, saddr: number, daddr: number, ttl = IP_DEFAULT_TTL, frag_off = 0): void {
  const d = p.data;
  const v = p.view;
  const h = p.head;
  const iph = h + ETH_HLEN;
  const tot = IP_HLEN + l4_len;
  d[iph] = 0x45;
  d[iph + 1] = 0;
  v.setUint16(iph + 2, tot);
  v.setUint16(iph + 4, ip_id.get().next++ & 0xffff);
  v.setUint16(iph + 6, frag_off);
  d[iph + 8] = ttl;
  d[iph + 9] = proto;
  v.setUint16(iph + 10, 0);
  v.setUint32(iph + 12, saddr);
  v.setUint32(iph + 16, daddr);
  v.setUint16(iph + 10, ip_compute_csum(d, iph, IP_HLEN));
  d[h + 12] = ETH_P_IP >> 8;
  d[h + 13] = ETH_P_IP & 0xff;
  p.len = ETH_HLEN + tot;
  eth_pad(p);
}

/** Pad a short linear frame with zeros to the minimum Ethernet frame. */
function eth_pad(p: PBuf): void {
  if (p.len < ETH_ZLEN && p.data_len === 0) {
    p.data.fill(0, p.head + p.len, p.head + ETH_ZLEN);
    p.len = ETH_ZLEN;
  }
}

/**
 * Leave the transport checksum of the message at `start` (an index into p.data, checksum field at
 * start + csum_offset) to whoever sends the frame, as CHECKSUM_PARTIAL with the folded `seed` (the
 * pseudo-header sum; 0 for ICMP) in the field (Linux's skb_partial_csum_set): a NIC with the
 * feature finishes it, and for any other device the core's validate_xmit does it in software
 * before the driver or a tap sees the frame; a datagram that is fragmented has it finished by
 * ip_do_fragment first. No route lookup here: the device decides at xmit.
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
 * A frame of `len` bytes in fresh buffers: one buffer when it fits, else a head and fragments
 * (each fragment's data from offset 0 of its buffer). Returns null when buffers run out. Any context.
 */
export function ip_alloc_frame(len: number): PBuf | null {
  const p = pbuf_alloc();
  if (p === null) return null;
  const room = PBUF_SIZE - p.head;
  p.len = Math.min(len, room);
  for (let left = len - p.len; left > 0; ) {
    const f = pbuf_alloc();
    if (f === null) {
      pbuf_put(p);
      return null;
    }
    f.head = 0;
    f.len = Math.min(left, PBUF_SIZE);
    left -= f.len;
    pbuf_add_frag(p, f);
  }
  return p;
}

/**
 * ip_make_pbuf() (ip_make_skb / __ip_append_data's layout): buffers for a datagram with `l4_len`
 * transport bytes, to go where the MTU is `mtu`. The transport bytes occupy frame offsets
 * L4_OFF .. L4_OFF + l4_len (write them with pbuf_store_bits; the first ≥ 8 are in the head). When
 * the datagram exceeds the MTU every buffer holds one fragment's worth ((mtu - 20) & ~7 bytes, or
 * less where a buffer cannot), each after the first with FRAG_HEADROOM in front. The frame length
 * is set; ip_output fills the headers. Returns null when buffers run out. Process or softirq context.
 */
export function ip_make_pbuf(l4_len: number, mtu: number): PBuf | null {
  const whole = IP_HLEN + l4_len <= mtu;
  const chunk = whole ? FRAG_CHUNK : Math.min(FRAG_CHUNK, (mtu - IP_HLEN) & ~7);
  if (chunk < 8) return null;
  const p = pbuf_alloc();
  if (p === null) return null;
  const first = Math.min(l4_len, whole ? PBUF_SIZE - p.head - ETH_HLEN - IP_HLEN : chunk);
  p.len = ETH_HLEN + IP_HLEN + first;
  for (let left = l4_len - first; left > 0; ) {
    const f = pbuf_alloc();
    if (f === null) {
      pbuf_put(p);
      return null;
    }
    f.head = FRAG_HEADROOM;
    f.len = Math.min(left, chunk);
    left -= f.len;
    pbuf_add_frag(p, f);
  }
  return p;
}

/**
 * ip_fragment(): `p` (headers written, ip_summed as the sender left it) is longer than `mtu`. With
 * DF it may not be fragmented: FragFails, and an ICMP "fragmentation needed" with the MTU goes back
 * to its sender — ourselves for a local datagram, so the path MTU cache and the socket hear it, as
 * in Linux — and -EMSGSIZE. Otherwise ip_do_fragment. Owns `p`. Any context.
 */
export function ip_fragment(p: PBuf, rt: RouteResult, mtu: number, on_error: XmitError | null): number {
  const v = p.view;
  const iph = p.head + ETH_HLEN;
  if ((v.getUint16(iph + 6) & IP_DF) !== 0) {
    snmp.get().Ip.FragFails++;
    const daddr = v.getUint32(iph + 16);
    const info: IpInfo = { iph, ihl: (p.data[iph]! & 0x0f) * 4, tot_len: v.getUint16(iph + 2), saddr: v.getUint32(iph + 12), daddr, ttl: p.data[iph + 8]!, bcast: inet_is_broadcast(daddr) };
    icmp_send(p, info, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, mtu);
    pbuf_put(p);
    return -EMSGSIZE;
  }
  return ip_do_fragment(p, rt, mtu, on_error);
}

/**
 * ip_options_fragment(): in the header template, options whose copied bit (0x80) is clear become
 * NOOPs, so fragments after the first carry only the options RFC 791 says every fragment carries;
 * the header keeps its length, as Linux's does.
 */
function ip_options_fragment(t: Uint8Array, opt: number, optlen: number): void {
  let l = optlen;
  let o = opt;
  while (l > 0) {
    const type = t[o]!;
    if (type === 0) return; // IPOPT_END
    if (type === 1) {
      // IPOPT_NOOP
      l--;
      o++;
      continue;
    }
    const len = t[o + 1]!;
    if (len < 2 || len > l) return;
    if ((type & 0x80) === 0) t.fill(1, o, o + len);
    l -= len;
    o += len;
  }
}

/**
 * Finish fragment `f` (template headers already at f.head, payload after them): length, offset,
 * MF, checksum, padding; then send it. Only the first fragment reports an unresolvable next hop to
 * the sender (Linux's icmp_send answers fragment 0 only). Returns neigh_output's result.
 */
function ip_frag_output(f: PBuf, hlen: number, len: number, offset: number, more: boolean, rt: RouteResult, on_error: XmitError | null): number {
  const v = f.view;
  const iph = f.head + ETH_HLEN;
  v.setUint16(iph + 2, hlen + len);
  v.setUint16(iph + 6, (offset >> 3) | (more ? IP_MF : 0));
  ip_send_check(f, iph);
  f.ip_summed = CHECKSUM_NONE;
  eth_pad(f);
  return neigh_output(f, rt.dev, rt.nexthop, offset === 0 ? on_error : null);
}

/**
 * ip_do_fragment(): send `p` as fragments of at most `mtu` bytes (payloads multiples of 8 but the
 * last; MF on all but the last; options copied only where their copied bit says). A
 * CHECKSUM_PARTIAL datagram has its checksum completed in software first (fragments cannot be
 * offloaded). FragCreates per fragment sent, then FragOKs; on failure FragFails and the rest is
 * dropped. Owns `p`. Returns 0 or -errno. Any context.
 */
export function ip_do_fragment(p: PBuf, rt: RouteResult, mtu: number, on_error: XmitError | null): number {
  const s = snmp.get().Ip;
  if (p.ip_summed === CHECKSUM_PARTIAL && !pbuf_checksum_help(p)) {
    s.FragFails++;
    pbuf_put(p);
    return -EINVAL;
  }
  const d = p.data;
  const v = p.view;
  const iph = p.head + ETH_HLEN;
  const hlen = (d[iph]! & 0x0f) * 4;
  const frag_off = v.getUint16(iph + 6);
  const tot = v.getUint16(iph + 2);
  const data_mtu = mtu - hlen;
  const tmpl = frag_tmpl.get();
  tmpl.set(d.subarray(p.head, iph + hlen), 0);
  if (data_mtu < 8) {
    s.FragFails++;
    pbuf_put(p);
    return -EMSGSIZE;
  }

  // The fast path: every buffer already is one fragment's payload with room for its headers.
  if (p.frag !== null && ip_frag_geometry_ok(p, hlen, data_mtu, frag_off)) {
    const headlen = p.len - p.data_len;
    const first = headlen - ETH_HLEN - hlen;
    let f: PBuf | null = p.frag;
    p.frag = null;
    p.data_len = 0;
    p.len = headlen;
    let err = ip_frag_output(p, hlen, first, 0, true, rt, on_error);
    if (err === 0) s.FragCreates++;
    if (hlen > IP_HLEN) ip_options_fragment(tmpl, ETH_HLEN + IP_HLEN, hlen - IP_HLEN);
    let offset = first;
    while (err === 0 && f !== null) {
      const next: PBuf | null = f.frag;
      f.frag = null;
      const len = f.len;
      f.head -= ETH_HLEN + hlen;
      f.data.set(tmpl.subarray(0, ETH_HLEN + hlen), f.head);
      f.len = ETH_HLEN + hlen + len;
      err = ip_frag_output(f, hlen, len, offset, next !== null, rt, on_error);
      if (err === 0) s.FragCreates++;
      offset += len;
      f = next;
    }
    if (err === 0) {
      s.FragOKs++;
      return 0;
    }
    if (f !== null) pbuf_put(f);
    s.FragFails++;
    return err;
  }

  // The slow path: copy the payload into fresh fragments.
  let left = tot - hlen;
  let ptr = ETH_HLEN + hlen;
  let offset = (frag_off & IP_OFFSET) << 3;
  const not_last = (frag_off & IP_MF) !== 0;
  let first = true;
  while (left > 0) {
    let len = Math.min(left, data_mtu);
    if (len < left) len &= ~7;
    const q = ip_alloc_frame(ETH_HLEN + hlen + len);
    if (q === null) {
      s.FragFails++;
      pbuf_put(p);
      return -ENOBUFS;
    }
    q.data.set(tmpl.subarray(0, ETH_HLEN + hlen), q.head);
    // The payload: into the head after the headers, then into q's own fragments.
    let at = ETH_HLEN + hlen;
    let src = ptr;
    for (let seg: PBuf | null = q, seg_len = q.len - q.data_len; seg !== null; seg = seg.frag, seg_len = seg?.len ?? 0) {
      const n = seg_len - at;
      if (n > 0) pbuf_copy_bits(p, src, seg.data, seg.head + at, n);
      src += Math.max(0, n);
      at = 0;
    }
    const err = ip_frag_output(q, hlen, len, offset, left - len > 0 || not_last, rt, offset === 0 ? on_error : null);
    if (err !== 0) {
      s.FragFails++;
      pbuf_put(p);
      return err;
    }
    s.FragCreates++;
    if (first && hlen > IP_HLEN) ip_options_fragment(tmpl, ETH_HLEN + IP_HLEN, hlen - IP_HLEN);
    first = false;
    left -= len;
    ptr += len;
    offset += len;
  }
  pbuf_put(p);
  s.FragOKs++;
  return 0;
}

/**
 * Can ip_do_fragment's fast path send `p`'s buffers as they are? The head's payload and every
 * buffer but the last must be a multiple of 8 and at most the MTU's payload, every later buffer
 * needs room for the headers in front of it, nothing may be shared, and the datagram must not
 * itself be a fragment (Linux's frag_list checks).
 */
function ip_frag_geometry_ok(p: PBuf, hlen: number, data_mtu: number, frag_off: number): boolean {
  const first = p.len - p.data_len - ETH_HLEN - hlen;
  if (first < 0 || first > data_mtu || (first & 7) !== 0 || ip_is_fragment(frag_off) || p.refcnt !== 1) return false;
  for (let f = p.frag; f !== null; f = f.frag) {
    if (f.len > data_mtu || ((f.len & 7) !== 0 && f.frag !== null) || f.head < ETH_HLEN + hlen || f.refcnt !== 1) return false;
  }
  return true;
}
