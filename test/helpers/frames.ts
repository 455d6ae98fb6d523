/** Ethernet/IPv4/ARP/ICMP frames built byte by byte, for tests that inject traffic on a wire. */
import { csum_fold, csum_partial, csum_tcpudp_nofold } from "../../lib/inet_checksum.ts";

export interface Ipv4Opts {
  ttl?: number;
  frag?: number;
  version?: number;
  bad_csum?: boolean;
  tot_extra?: number;
}

/** Builders for frames from `peer_mac` to `host_mac`. */
export function frame_builder(host_mac: Uint8Array, peer_mac: Uint8Array) {
  function ipv4(proto: number, src: number, dst: number, payload: Uint8Array, opts: Ipv4Opts = {}): Uint8Array {
    const f = new Uint8Array(14 + 20 + payload.length);
    const v = new DataView(f.buffer);
    f.set(host_mac, 0);
    f.set(peer_mac, 6);
    v.setUint16(12, 0x0800);
    f[14] = ((opts.version ?? 4) << 4) | 5;
    v.setUint16(16, 20 + payload.length + (opts.tot_extra ?? 0));
    v.setUint16(20, opts.frag ?? 0);
    f[22] = opts.ttl ?? 64;
    f[23] = proto;
    v.setUint32(26, src);
    v.setUint32(30, dst);
    v.setUint16(24, csum_fold(csum_partial(f, 14, 20)) ^ (opts.bad_csum ? 0x1111 : 0));
    f.set(payload, 34);
    return f;
  }

  function udp(sport: number, dport: number, data: Uint8Array, src: number, dst: number, bad = false): Uint8Array {
    const u = new Uint8Array(8 + data.length);
    const v = new DataView(u.buffer);
    v.setUint16(0, sport);
    v.setUint16(2, dport);
    v.setUint16(4, u.length);
    u.set(data, 8);
    v.setUint16(6, csum_fold(csum_partial(u, 0, u.length, csum_tcpudp_nofold(src, dst, u.length, 17))) ^ (bad ? 0x0101 : 0));
    return u;
  }

  /** An ARP frame from peer_mac: op 1 (request, broadcast) or 2 (reply to host_mac). */
  function arp(op: 1 | 2, spa: number, tpa: number): Uint8Array {
    const f = new Uint8Array(42);
    const v = new DataView(f.buffer);
    if (op === 1) f.fill(0xff, 0, 6);
    else f.set(host_mac, 0);
    f.set(peer_mac, 6);
    v.setUint16(12, 0x0806);
    v.setUint16(14, 1);
    v.setUint16(16, 0x0800);
    f[18] = 6;
    f[19] = 4;
    v.setUint16(20, op);
    f.set(peer_mac, 22);
    v.setUint32(28, spa);
    if (op === 2) f.set(host_mac, 32);
    v.setUint32(38, tpa);
    return f;
  }

  /** Broadcast ARP who-has `tpa`, tell `spa`. */
  function arp_request(spa: number, tpa: number): Uint8Array {
    return arp(1, spa, tpa);
  }

  /** ARP reply to the host: `spa` is at peer_mac. */
  function arp_reply(spa: number, tpa: number): Uint8Array {
    return arp(2, spa, tpa);
  }

  /** An ICMP echo request message (type 8) with a valid checksum. */
  function icmp_echo(id: number, seq: number, data: Uint8Array): Uint8Array {
    const m = new Uint8Array(8 + data.length);
    const v = new DataView(m.buffer);
    m[0] = 8;
    v.setUint16(4, id);
    v.setUint16(6, seq);
    m.set(data, 8);
    v.setUint16(2, csum_fold(csum_partial(m, 0, m.length)));
    return m;
  }

  return { ipv4, udp, arp_request, arp_reply, icmp_echo };
}
