/**
 * Hostile Ethernet frames for the wire fuzzer: random bytes, and ARP / IPv4 / ICMP / UDP frames
 * built correctly and then broken (checksums, lengths, IHL and options, fragments, TTL 0, runts,
 * oversize records up to QEMU's 69,632-byte limit, VLAN tags, other MACs, broadcast storms, random
 * ARP senders). Each frame depends only on its Rng, so (seed, index) replays it.
 */
import { csum_fold, csum_partial, csum_tcpudp_nofold } from "../lib/inet_checksum.ts";
import type { Rng } from "./rng.ts";

/** QEMU's NET_BUFSIZE: the largest record a socket back-end accepts. */
export const MAX_RECORD = 4096 + 65536;

export interface WireIds {
  guest_mac: Uint8Array;
  peer_mac: Uint8Array;
  guest_ip: number;
  peer_ip: number;
}

const BCAST = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);

function dst_mac(r: Rng, w: WireIds): Uint8Array {
  return r.weighted<() => Uint8Array>([
    [60, () => w.guest_mac],
    [20, () => BCAST],
    [8, () => Uint8Array.of(0x52, 0x54, 0, 0x12, 0x34, r.int(256))], // a neighbour's MAC
    [6, () => Uint8Array.of(0x01, 0x00, 0x5e, r.int(128), r.int(256), r.int(256))], // IPv4 multicast
    [6, () => r.bytes(6)],
  ])();
}

function src_ip(r: Rng, w: WireIds): number {
  return r.weighted<() => number>([
    [50, () => w.peer_ip],
    [25, () => (0x0a000700 | r.range(2, 254)) >>> 0],
    [10, () => r.u32()],
    [5, () => w.guest_ip], // spoofed: ourselves
    [5, () => (0x7f000000 | r.int(0x1000000)) >>> 0],
    [5, () => 0],
  ])();
}

function dst_ip(r: Rng, w: WireIds): number {
  return r.weighted<() => number>([
    [70, () => w.guest_ip],
    [8, () => 0x0a0007ff],
    [5, () => 0xffffffff],
    [7, () => (0x0a000700 | r.int(256)) >>> 0],
    [5, () => r.u32()],
    [5, () => (0xe0000000 | r.int(0x10000000)) >>> 0],
  ])();
}

function eth(len: number, dst: Uint8Array, src: Uint8Array, type: number): Uint8Array {
  const f = new Uint8Array(len);
  f.set(dst, 0);
  f.set(src, 6);
  f[12] = type >>> 8;
  f[13] = type & 0xff;
  return f;
}

function arp(r: Rng, w: WireIds): Uint8Array {
  const f = eth(r.chance(0.8) ? 42 : r.range(14, 80), r.chance(0.7) ? BCAST : dst_mac(r, w), r.chance(0.5) ? w.peer_mac : r.bytes(6), 0x0806);
  const v = new DataView(f.buffer);
  if (f.length >= 42) {
    v.setUint16(14, r.chance(0.9) ? 1 : r.int(65536));
    v.setUint16(16, r.chance(0.9) ? 0x0800 : r.int(65536));
    f[18] = r.chance(0.9) ? 6 : r.int(256);
    f[19] = r.chance(0.9) ? 4 : r.int(256);
    v.setUint16(20, r.weighted([[45, 1], [45, 2], [10, r.int(65536)]]));
    f.set(r.chance(0.5) ? f.subarray(6, 12) : r.bytes(6), 22);
    v.setUint32(28, r.chance(0.6) ? (0x0a000700 | r.int(256)) >>> 0 : r.u32()); // random senders
    f.set(r.chance(0.5) ? new Uint8Array(6) : r.bytes(6), 32);
    v.setUint32(38, r.chance(0.7) ? w.guest_ip : r.u32());
  } else r.fill(f, 14);
  return f;
}

/** An IPv4 packet around `l4` (which may be mutated afterwards by the caller's choices). */
function ipv4(r: Rng, w: WireIds, proto: number, l4: Uint8Array, saddr: number, daddr: number): Uint8Array {
  const opt = r.chance(0.1) ? r.int(11) * 4 : 0;
  const ihl_bytes = 20 + opt;
  const pad = r.chance(0.1) ? r.int(64) : 0;
  const f = eth(14 + ihl_bytes + l4.length + pad, dst_mac(r, w), r.chance(0.7) ? w.peer_mac : r.bytes(6), 0x0800);
  const v = new DataView(f.buffer);
  f[14] = (4 << 4) | (ihl_bytes / 4);
  if (opt > 0) r.fill(f, 34, 34 + opt);
  v.setUint16(16, ihl_bytes + l4.length);
  v.setUint16(18, r.int(65536));
  v.setUint16(20, r.chance(0.9) ? 0x4000 : r.weighted([[1, 0x2000], [1, r.int(0x2000)], [1, 0x2000 | r.int(0x2000)], [1, r.int(65536)]]));
  f[22] = r.chance(0.9) ? r.range(1, 255) : 0; // TTL 0 sometimes
  f[23] = proto;
  v.setUint32(26, saddr);
  v.setUint32(30, daddr);
  f.set(l4, 14 + ihl_bytes);
  if (pad > 0) r.fill(f, f.length - pad);
  // Header mutations before the checksum (so they pass it) …
  if (r.chance(0.04)) f[14] = (r.int(16) << 4) | (f[14]! & 0xf);
  if (r.chance(0.04)) f[14] = (f[14]! & 0xf0) | r.int(16);
  if (r.chance(0.05)) v.setUint16(16, r.chance(0.5) ? r.int(65536) : ihl_bytes + l4.length + r.range(-30, 30));
  v.setUint16(24, csum_fold(csum_partial(f, 14, Math.min(ihl_bytes, f.length - 14))));
  // … and after it.
  if (r.chance(0.05)) v.setUint16(24, r.int(65536));
  if (r.chance(0.03)) f[14 + r.int(f.length - 14)] = r.int(256);
  return f;
}

function icmp(r: Rng, w: WireIds): Uint8Array {
  const type = r.weighted([[50, 8], [15, 0], [15, 3], [5, 11], [5, 13], [10, r.int(256)]]);
  const body = r.weighted([[70, r.int(64)], [20, r.int(1472)], [10, r.int(8)]]);
  const m = new Uint8Array(8 + body);
  const v = new DataView(m.buffer);
  m[0] = type;
  m[1] = type === 3 ? r.int(16) : r.chance(0.9) ? 0 : r.int(256);
  v.setUint16(4, r.chance(0.3) ? 0x4242 : r.int(65536));
  v.setUint16(6, r.int(65536));
  r.fill(m, 8);
  if (type === 3 && body >= 28) {
    // A quoted header: usually a real-looking IPv4 header with UDP or ICMP inside.
    m[8] = r.chance(0.8) ? 0x45 : r.int(256);
    m[17] = r.pick([1, 17, r.int(256)]);
  }
  v.setUint16(2, csum_fold(csum_partial(m, 0, m.length)) ^ (r.chance(0.08) ? 1 + r.int(65535) : 0));
  if (r.chance(0.1)) return ipv4(r, w, 1, m.subarray(0, r.int(m.length)), src_ip(r, w), dst_ip(r, w)); // cut short
  return ipv4(r, w, 1, m, src_ip(r, w), dst_ip(r, w));
}

function udp(r: Rng, w: WireIds): Uint8Array {
  const n = r.weighted([[70, r.int(128)], [25, r.int(1473)], [5, r.int(16)]]);
  const u = new Uint8Array(8 + n);
  const v = new DataView(u.buffer);
  v.setUint16(0, r.int(65536));
  v.setUint16(2, r.weighted([[40, r.range(1, 1024)], [30, r.int(65536)], [20, 68], [10, 53]]));
  v.setUint16(4, r.chance(0.9) ? u.length : r.int(65536));
  r.fill(u, 8);
  const s = src_ip(r, w);
  const d = dst_ip(r, w);
  const c = csum_fold(csum_partial(u, 0, u.length, csum_tcpudp_nofold(s, d, u.length, 17)));
  v.setUint16(6, r.chance(0.1) ? 0 : r.chance(0.08) ? r.int(65536) : c === 0 ? 0xffff : c);
  return ipv4(r, w, 17, u, s, d);
}

function other_ip(r: Rng, w: WireIds): Uint8Array {
  return ipv4(r, w, r.pick([6, 2, 47, 50, 132, r.int(256)]), r.bytes(r.int(200)), src_ip(r, w), dst_ip(r, w));
}

function random_frame(r: Rng, w: WireIds): Uint8Array {
  const len = r.weighted([[50, r.range(14, 1514)], [20, r.range(14, 100)], [10, r.range(1515, 1600)], [5, r.range(1600, 16400)], [5, r.range(16400, MAX_RECORD)], [10, r.range(0, 13)]]);
  const f = r.bytes(len);
  if (len >= 14 && r.chance(0.6)) f.set(dst_mac(r, w), 0);
  if (len >= 14 && r.chance(0.5)) {
    const t = r.pick([0x0800, 0x0806, 0x86dd, 0x8100, 0x88b5, 0x0001, 0x05dc]);
    f[12] = t >>> 8;
    f[13] = t & 0xff;
  }
  return f;
}

/** Put an 802.1Q tag in front of the EtherType of `f`. */
function vlan(r: Rng, f: Uint8Array): Uint8Array {
  if (f.length < 14) return f;
  const g = new Uint8Array(f.length + 4);
  g.set(f.subarray(0, 12), 0);
  g[12] = 0x81;
  g[13] = 0x00;
  const tci = r.int(65536);
  g[14] = tci >>> 8;
  g[15] = tci & 0xff;
  g.set(f.subarray(12), 16);
  return g;
}

/** Grow `f` to a length between 1519 and the record limit (random tail). */
function oversize(r: Rng, f: Uint8Array): Uint8Array {
  const len = r.weighted([[40, r.range(1515, 1522)], [30, r.range(1523, 16384)], [20, r.range(16385, 17100)], [10, r.range(17100, MAX_RECORD)]]);
  const g = new Uint8Array(len);
  g.set(f.subarray(0, Math.min(f.length, len)));
  r.fill(g, Math.min(f.length, len));
  return g;
}

export type FrameKind = "random" | "arp" | "icmp" | "udp" | "ip-other" | "vlan" | "oversize" | "runt";

/** One hostile frame. */
export function gen_frame(r: Rng, w: WireIds): { kind: FrameKind; frame: Uint8Array } {
  const kind = r.weighted<FrameKind>([[15, "random"], [20, "arp"], [25, "icmp"], [20, "udp"], [5, "ip-other"], [6, "vlan"], [5, "oversize"], [4, "runt"]]);
  switch (kind) {
    case "random":
      return { kind, frame: random_frame(r, w) };
    case "arp":
      return { kind, frame: arp(r, w) };
    case "icmp":
      return { kind, frame: icmp(r, w) };
    case "udp":
      return { kind, frame: udp(r, w) };
    case "ip-other":
      return { kind, frame: other_ip(r, w) };
    case "vlan":
      return { kind, frame: vlan(r, r.chance(0.5) ? icmp(r, w) : arp(r, w)) };
    case "oversize":
      return { kind, frame: oversize(r, r.chance(0.5) ? udp(r, w) : random_frame(r, w)) };
    case "runt":
      return { kind, frame: r.bytes(r.int(14)) };
  }
}

/** A broadcast ARP request from a random sender (storms). */
export function storm_frame(r: Rng, w: WireIds): Uint8Array {
  const sha = r.bytes(6);
  sha[0] = sha[0]! & 0xfe; // a unicast sender
  return arp_who_has(sha, (0x0a000700 | r.int(256)) >>> 0, r.chance(0.5) ? w.guest_ip : r.u32());
}

/** Broadcast ARP request: who has `tpa`, tell `spa` at `sha`. */
function arp_who_has(sha: Uint8Array, spa: number, tpa: number): Uint8Array {
  const f = eth(42, BCAST, sha, 0x0806);
  const v = new DataView(f.buffer);
  v.setUint16(14, 1);
  v.setUint16(16, 0x0800);
  f[18] = 6;
  f[19] = 4;
  v.setUint16(20, 1);
  f.set(sha, 22);
  v.setUint32(28, spa);
  v.setUint32(38, tpa);
  return f;
}

/** The liveness probe: ARP who-has guest (so the guest knows where to answer) and an echo request. */
export function liveness_frames(w: WireIds, seq: number): Uint8Array[] {
  const a = arp_who_has(w.peer_mac, w.peer_ip, w.guest_ip);
  const m = new Uint8Array(8 + 32);
  const mv = new DataView(m.buffer);
  m[0] = 8;
  mv.setUint16(4, LIVENESS_ID);
  mv.setUint16(6, seq & 0xffff);
  for (let i = 8; i < m.length; i++) m[i] = (seq + i) & 0xff;
  mv.setUint16(2, csum_fold(csum_partial(m, 0, m.length)));
  const f = eth(14 + 20 + m.length, w.guest_mac, w.peer_mac, 0x0800);
  const v = new DataView(f.buffer);
  f[14] = 0x45;
  v.setUint16(16, 20 + m.length);
  v.setUint16(20, 0x4000);
  f[22] = 64;
  f[23] = 1;
  v.setUint32(26, w.peer_ip);
  v.setUint32(30, w.guest_ip);
  v.setUint16(24, csum_fold(csum_partial(f, 14, 20)));
  f.set(m, 34);
  return [a, f];
}

export const LIVENESS_ID = 0x7a7a;

/** Is `f` (from the guest) the echo reply to liveness probe `seq`? */
export function is_liveness_reply(f: Uint8Array, w: WireIds, seq: number): boolean {
  if (f.length < 42 || f[12] !== 0x08 || f[13] !== 0x00 || f[23] !== 1) return false;
  const ihl = (f[14]! & 0xf) * 4;
  const o = 14 + ihl;
  if (f.length < o + 8 || f[o] !== 0) return false;
  const v = new DataView(f.buffer, f.byteOffset, f.length);
  return v.getUint32(30) === w.peer_ip && v.getUint16(o + 4) === LIVENESS_ID && v.getUint16(o + 6) === (seq & 0xffff);
}
