/**
 * The user network's UDP NAT (libslirp's udp.c): a datagram the guest sends to a carried address
 * (slirp.ts) leaves through a host UDP socket — one per guest address and source port, made on
 * its first datagram and closed after UDP_EXPIRE_NS without traffic either way (slirp's
 * SO_EXPIRE, 240 s) — and what comes back to that socket goes to the guest from the address and
 * port it came from (the host's loopback showing as the address the guest wrote to).
 *
 * udp hostfwd: a host socket bound to the rule's address and port; a datagram from a host peer
 * goes to the rule's guest address and port from the peer's address (loopback → 10.0.2.2) and
 * port, and what the guest sends back from that address and port leaves through the same socket.
 *
 * The local services stay where they are (user_net.ts): DHCP, the name server on the DNS
 * address's port 53 and the echo service on port 7 of the host and DNS addresses.
 *
 * A datagram from the host larger than one frame goes to the guest in IP fragments of at most
 * 1480 bytes (as libslirp's ip_output); one over 65507 bytes is dropped (too_big). Fragments from
 * the guest are not reassembled: they never reach here (user_net.ts counts them).
 */
import { csum_fold, csum_partial, csum_tcpudp_nofold } from "../../lib/inet_checksum.ts";
import { inet_ntoa } from "../../include/uapi/in.ts";
import { ClockEvent } from "../clock.ts";
import type { HostNet, HostUdpEvents, HostUdpSocket } from "./host_net.ts";
import { get16, put16, slirp_translate_in, slirp_translate_out, type SlirpIf } from "./slirp.ts";
import type { HostFwdRule } from "./slirp_hostfwd.ts";

/** A NAT socket closes after this long without a datagram either way (libslirp's SO_EXPIRE). */
export const UDP_EXPIRE_NS = 240e9;
/** NAT sockets per user network at most; a datagram that would need one more is dropped (sock_limit). */
export const UDP_MAX_SOCKS = 256;
/** IP payload per frame to the guest (an MTU of 1500), a multiple of 8 as fragment offsets need. */
const IP_FRAG_PAYLOAD = 1480;
/** Largest UDP payload an IPv4 datagram carries. */
const UDP_MAX_PAYLOAD = 65507;

export interface UdpStats {
  /** Host sockets made for guest source ports, and closed after being idle. */
  opened: number;
  expired: number;
  /** Datagrams (and their payload bytes) carried guest → host and host → guest. */
  out: number;
  in: number;
  bytes_out: number;
  bytes_in: number;
  /** Guest datagrams with a bad checksum, a bad length, or to an address that is not carried. */
  bad_csum: number;
  bad_hdr: number;
  dropped: number;
  /** Host datagrams sent to the guest in IP fragments. */
  fragmented: number;
  /** Host datagrams over 65507 bytes, that found no output slot, or whose guest MAC was unknown. */
  too_big: number;
  no_slot: number;
  no_neigh: number;
  /** Datagrams dropped because the user network had UDP_MAX_SOCKS NAT sockets already. */
  sock_limit: number;
}

/** One guest address and port's host socket (libslirp's struct socket for UDP). */
class UdpSo {
  readonly gaddr: number;
  readonly gport: number;
  mac: Uint8Array | null;
  sock: HostUdpSocket | null = null;
  last_ns: number;
  /** The virtual address the guest last sent to (a loopback reply shows as it). */
  last_dst = 0;
  /** For a hostfwd socket: its rule (it never expires). */
  readonly fwd: HostFwdRule | null;
  readonly timer: ClockEvent | null;

  constructor(gaddr: number, gport: number, mac: Uint8Array | null, now: number, fwd: HostFwdRule | null, on_timer: ((so: UdpSo) => void) | null) {
    this.gaddr = gaddr;
    this.gport = gport;
    this.mac = mac;
    this.last_ns = now;
    this.fwd = fwd;
    this.timer = on_timer === null ? null : new ClockEvent("slirp-udp-expire", () => on_timer(this));
  }
}

export class SlirpUdp {
  readonly ifc: SlirpIf;
  readonly host: HostNet;
  readonly stats: UdpStats = { opened: 0, expired: 0, out: 0, in: 0, bytes_out: 0, bytes_in: 0, bad_csum: 0, bad_hdr: 0, dropped: 0, fragmented: 0, too_big: 0, no_slot: 0, no_neigh: 0, sock_limit: 0 };
  /** The IPv4 identification of the next fragmented datagram. */
  private ip_id = 1;
  private readonly udp_hdr = new Uint8Array(8);
  /** Sockets by guest port and address (key: port, then a short chain by address). */
  private readonly socks = new Map<number, UdpSo[]>();

  constructor(ifc: SlirpIf, host: HostNet) {
    this.ifc = ifc;
    this.host = host;
  }

  /** NAT sockets open now (hostfwd sockets not counted). */
  count(): number {
    let n = 0;
    for (const l of this.socks.values()) for (const so of l) if (so.fwd === null) n++;
    return n;
  }

  private find(gaddr: number, gport: number): UdpSo | null {
    const l = this.socks.get(gport);
    if (l !== undefined) for (const so of l) if (so.gaddr === gaddr) return so;
    return null;
  }

  private add(so: UdpSo): void {
    const l = this.socks.get(so.gport);
    if (l === undefined) this.socks.set(so.gport, [so]);
    else l.push(so);
  }

  private drop(so: UdpSo): void {
    const l = this.socks.get(so.gport);
    if (l === undefined) return;
    const i = l.indexOf(so);
    if (i >= 0) l.splice(i, 1);
    if (l.length === 0) this.socks.delete(so.gport);
    if (so.timer !== null) this.ifc.clock.disarm(so.timer);
    so.sock?.close();
    so.sock = null;
  }

  /**
   * A datagram from the guest that no local service took: `f` is the frame, the UDP header at
   * `l4`, `l4len` bytes of IP payload. Context: the NIC's transmit; the payload is copied.
   */
  input(f: Uint8Array, l4: number, l4len: number, src: number, dst: number): void {
    const st = this.stats;
    const ulen = get16(f, l4 + 4);
    if (ulen < 8 || ulen > l4len) {
      st.bad_hdr++;
      return;
    }
    if (get16(f, l4 + 6) !== 0 && csum_fold(csum_partial(f, l4, ulen, csum_tcpudp_nofold(src, dst, ulen, 17))) !== 0) {
      st.bad_csum++;
      return;
    }
    const to = slirp_translate_out(this.ifc.cfg, dst);
    if (to === null || get16(f, l4 + 2) === 0) {
      st.dropped++;
      return;
    }
    const sport = get16(f, l4);
    const now = this.ifc.clock.now_ns();
    let so = this.find(src, sport);
    if (so === null) {
      if (this.count() >= UDP_MAX_SOCKS) {
        st.sock_limit++;
        return;
      }
      so = new UdpSo(src, sport, f.slice(6, 12), now, null, (s) => this.expire(s));
      const s = so;
      so.sock = this.host.udp_open({ datagram: (b, a, p) => this.from_host(s, b, a, p) });
      this.add(so);
      st.opened++;
      this.ifc.clock.arm(so.timer!, now + UDP_EXPIRE_NS);
    }
    so.last_ns = now;
    so.last_dst = dst;
    st.out++;
    st.bytes_out += ulen - 8;
    so.sock?.send(f.slice(l4 + 8, l4 + ulen), to, get16(f, l4 + 2));
  }

  /** A datagram for socket `so` from the host's from_addr:from_port: to the guest. */
  private from_host(so: UdpSo, bytes: Uint8Array, from_addr: number, from_port: number): void {
    const st = this.stats;
    if (so.sock === null) return;
    so.last_ns = this.ifc.clock.now_ns();
    if (so.fwd !== null) so.fwd.accepted++;
    if (bytes.length > UDP_MAX_PAYLOAD) {
      st.too_big++;
      return;
    }
    const mac = so.mac ?? this.ifc.neigh_lookup(so.gaddr);
    if (mac === null) {
      st.no_neigh++;
      this.ifc.arp_request(so.gaddr);
      return;
    }
    const src = slirp_translate_in(this.ifc.cfg, from_addr, so.fwd !== null ? this.ifc.cfg.host : so.last_dst);
    const len = 8 + bytes.length;
    if (len > IP_FRAG_PAYLOAD) {
      this.send_fragments(mac, src, from_port, so, bytes);
      return;
    }
    const b = this.ifc.ip_begin(mac, src, so.gaddr, 17, len);
    if (b === null) {
      st.no_slot++;
      return;
    }
    put16(b, 34, from_port);
    put16(b, 36, so.gport);
    put16(b, 38, len);
    put16(b, 40, 0);
    b.set(bytes, 42);
    const c = csum_fold(csum_partial(b, 34, len, csum_tcpudp_nofold(src, so.gaddr, len, 17)));
    put16(b, 40, c === 0 ? 0xffff : c);
    this.ifc.ip_commit(len);
    st.in++;
    st.bytes_in += bytes.length;
  }

  /** A datagram too large for one frame: IP fragments of IP_FRAG_PAYLOAD bytes (RFC 791). */
  private send_fragments(mac: Uint8Array, src: number, sport: number, so: UdpSo, bytes: Uint8Array): void {
    const st = this.stats;
    const len = 8 + bytes.length;
    if (this.ifc.free_slots() < Math.ceil(len / IP_FRAG_PAYLOAD)) {
      st.no_slot++;
      return;
    }
    const h = this.udp_hdr;
    put16(h, 0, sport);
    put16(h, 2, so.gport);
    put16(h, 4, len);
    put16(h, 6, 0);
    const c = csum_fold(csum_partial(bytes, 0, bytes.length, csum_partial(h, 0, 8, csum_tcpudp_nofold(src, so.gaddr, len, 17))));
    put16(h, 6, c === 0 ? 0xffff : c);
    const id = this.ip_id;
    this.ip_id = (this.ip_id + 1) & 0xffff || 1;
    for (let off = 0; off < len; off += IP_FRAG_PAYLOAD) {
      const n = Math.min(IP_FRAG_PAYLOAD, len - off);
      const b = this.ifc.ip_begin(mac, src, so.gaddr, 17, n);
      if (b === null) return; // (counted by the user network; the guest's reassembly times out)
      put16(b, 18, id);
      put16(b, 20, (off + n < len ? 0x2000 : 0) | (off >> 3));
      put16(b, 24, 0);
      put16(b, 24, csum_fold(csum_partial(b, 14, 20)));
      // Datagram bytes [off, off + n): the UDP header is bytes 0..8 of it.
      let at = 34;
      let from = off;
      if (from < 8) {
        b.set(h.subarray(from, 8), at);
        at += 8 - from;
        from = 8;
      }
      b.set(bytes.subarray(from - 8, off + n - 8), at);
      this.ifc.ip_commit(n);
    }
    st.fragmented++;
    st.in++;
    st.bytes_in += bytes.length;
  }

  private expire(so: UdpSo): void {
    const due = so.last_ns + UDP_EXPIRE_NS;
    if (this.ifc.clock.now_ns() < due) {
      this.ifc.clock.arm(so.timer!, due);
      return;
    }
    this.stats.expired++;
    this.drop(so);
  }

  /** Bind a udp hostfwd rule's socket. Null, or the host's error. */
  async bind(rule: HostFwdRule): Promise<string | null> {
    const gaddr = rule.guest_addr !== 0 ? rule.guest_addr : this.ifc.cfg.dhcp_start;
    if (this.find(gaddr, rule.guest_port) !== null) return "EADDRINUSE";
    const so = new UdpSo(gaddr, rule.guest_port, null, this.ifc.clock.now_ns(), rule, null);
    const ev: HostUdpEvents = { datagram: (b, a, p) => this.from_host(so, b, a, p) };
    const s = await this.host.udp_bind(rule.host_addr, rule.host_port, ev);
    if (typeof s === "string") return s;
    so.sock = s;
    rule.bound_port = s.local_port();
    this.add(so);
    return null;
  }

  /** The machine stops: every socket closed. */
  stop(): void {
    for (const l of [...this.socks.values()]) for (const so of [...l]) this.drop(so);
  }

  describe(): string {
    const s = this.stats;
    const lines = [
      `udp: sockets=${this.count()} opened=${s.opened} expired=${s.expired} out=${s.out} in=${s.in} bytes_out=${s.bytes_out} bytes_in=${s.bytes_in} bad_csum=${s.bad_csum} bad_hdr=${s.bad_hdr} dropped=${s.dropped} fragmented=${s.fragmented} too_big=${s.too_big} no_slot=${s.no_slot} no_neigh=${s.no_neigh} sock_limit=${s.sock_limit}`,
    ];
    let n = 0;
    for (const l of this.socks.values()) {
      for (const so of l) {
        if (so.fwd !== null || n++ >= 16) continue;
        lines.push(`udp ${inet_ntoa(so.gaddr)}:${so.gport} idle ${Math.floor((this.ifc.clock.now_ns() - so.last_ns) / 1e9)}s`);
      }
    }
    return lines.join("\n   ");
  }
}
