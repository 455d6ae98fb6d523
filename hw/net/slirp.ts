/**
 * What the user network's NAT (slirp_tcp*.ts, slirp_udp.ts) needs from the user network
 * (user_net.ts), and the address rules it follows (libslirp's socket.c sotranslate_out/in).
 *
 * Address translation, guest → host (slirp_translate_out):
 *   the host address (10.0.2.2)          → 127.0.0.1, the host's loopback;
 *   the DNS address (10.0.2.3)           → 127.0.0.1 as well, except port 53, which stays the
 *                                          user network's own name server (UDP; TCP to it is
 *                                          refused: ringzero's name server answers datagrams only,
 *                                          where libslirp would go to the host's resolver);
 *   any other address of the virtual net, 0.0.0.0, 127/8, multicast and broadcast → not carried;
 *   anything else                        → as is.
 * And back (slirp_translate_in): a reply or a connection from the host's loopback shows as the
 * host address (or the virtual address the guest used), anything else as itself.
 */
import type { VirtualClock } from "../clock.ts";
import { prefix_mask } from "../../include/uapi/in.ts";
import { INADDR_LOOPBACK, is_loopback } from "./host_net.ts";

/** The user network's addresses, as the NAT needs them (user_net.ts UserNetConfig). */
export interface SlirpAddrs {
  net: number;
  prefix: number;
  host: number;
  dns: number;
  dhcp_start: number;
}

/** The user network as the NAT sees it: its clock, its addresses and its way to the guest. */
export interface SlirpIf {
  readonly clock: VirtualClock;
  readonly cfg: SlirpAddrs;
  /** Output slots free now (the NAT keeps some for ARP, ICMP and ACKs). */
  free_slots(): number;
  /**
   * Start an IPv4 packet to the guest: a slot with the Ethernet header (to `mac`, from the virtual
   * host's MAC) and the IPv4 header (src → dst, `proto`, `l4len` bytes after it) written; the
   * transport header goes at offset 34. The slot's bytes, or null when no slot is free (the
   * packet is dropped and counted). Nothing else may be started before ip_commit().
   */
  ip_begin(mac: Uint8Array, src: number, dst: number, proto: number, l4len: number): Uint8Array | null;
  /** Queue the packet started last; the frame is 34 + l4len bytes. */
  ip_commit(l4len: number): void;
  /** The guest's MAC for `ip` (learnt from its ARP, DHCP and TCP traffic), or null. */
  neigh_lookup(ip: number): Uint8Array | null;
  /** Broadcast an ARP request for `ip` from the host address (the answer is learnt). */
  arp_request(ip: number): void;
  /**
   * ICMP destination unreachable (type 3, `code`) to the guest at `mac`, quoting `quote` (the
   * offending packet's IPv4 header and its first 8 payload bytes), from the host address.
   */
  icmp_unreach(mac: Uint8Array, quote: Uint8Array, code: number): void;
}

export const ICMP_UNREACH_NET = 0;
export const ICMP_UNREACH_HOST = 1;

/** In the virtual network (10.0.2.0/24 by default)? */
export function in_vnet(cfg: SlirpAddrs, a: number): boolean {
  const m = prefix_mask(cfg.prefix);
  return ((a & m) >>> 0) === cfg.net;
}

/** Addresses never carried to the host: unspecified, loopback, multicast, class E, broadcast. */
function not_routable(a: number): boolean {
  const top = a >>> 24;
  return a === 0 || top === 127 || top >= 224;
}

/** Where a packet the guest sends to dst:port goes on the host, or null (not carried). */
export function slirp_translate_out(cfg: SlirpAddrs, dst: number): number | null {
  if (dst === cfg.host || dst === cfg.dns) return INADDR_LOOPBACK;
  if (in_vnet(cfg, dst) || not_routable(dst)) return null;
  return dst;
}

/** Who the guest sees as the sender of what came from `from` (to a guest that wrote to `orig`). */
export function slirp_translate_in(cfg: SlirpAddrs, from: number, orig: number): number {
  if (from === 0 || is_loopback(from)) return orig === cfg.host || orig === cfg.dns ? orig : cfg.host;
  return from;
}

/** Big-endian stores into a frame. */
export function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 8;
  b[o + 1] = v;
}

export function put32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = v >>> 16;
  b[o + 2] = v >>> 8;
  b[o + 3] = v;
}

export function get16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

export function get32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}
