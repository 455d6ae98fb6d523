import { csum_fold, csum_partial, csum_tcpudp_nofold } from "../../lib/inet_checksum.ts";
import { ClockEvent, type VirtualClock } from "../clock.ts";
import type { HostNet } from "./host_net.ts";
import { RX_NO_LINK, type NetEndpoint } from "./net_endpoint.ts";
import { in_vnet, type SlirpIf } from "./slirp.ts";
import { describe_hostfwd, hostfwd_setup_error, type HostFwdRule } from "./slirp_hostfwd.ts";
import { SlirpTcp } from "./slirp_tcp.ts";
import { tcp_input } from "./slirp_tcp_input.ts";
import { SlirpUdp } from "./slirp_udp.ts";
import { DNS_PORT, hosts_resolver, UserNetDns, type HostResolver } from "./user_net_dns.ts";

/**
 * The built-in user-mode network (the default `-netdev user`): what QEMU's slirp shows a guest,
 * as a peer on the NIC's wire that speaks only Ethernet frames. It has
 *   10.0.2.2  the gateway / host, and 10.0.2.3  the DNS address — both answer ARP and ICMP echo
 *             (unlike QEMU's slirp, which does not pass ping), and a UDP echo service on port 7;
 *   a DHCP server leasing 10.0.2.15 upwards (16 leases), router 10.0.2.2, DNS 10.0.2.3;
 *   a name server on 10.0.2.3 port 53 answering from the host's resolver (user_net_dns.ts; the
 *             resolver is given by the board — boot/ passes the host's, see host_resolver.ts —
 *             and is only `localhost` when none is given).
 *   with a HostNet (host_net.ts; boot/ passes Node's sockets, tests an in-memory host), NAT as
 *             slirp does it: guest TCP is terminated here and carried over host sockets
 *             (slirp_tcp*.ts), UDP over one host socket per guest port (slirp_udp.ts), 10.0.2.2
 *             being the host's loopback (slirp.ts); and host forwarding (hostfwd rules,
 *             slirp_hostfwd.ts) from host ports to guest ports. Without one, anything else goes
 *             unanswered.
 * Virtual hosts use QEMU's MAC scheme: 52:55 followed by the IPv4 address (52:55:0a:00:02:02);
 * packets from outside addresses come from the gateway's MAC. Frames leave after `latency_ns` of
 * virtual time (a host on the same LAN), never inside the NIC's transmit call. The guest's MAC
 * per address is learnt from its ARP and DHCP traffic (hostfwd needs it), or asked for by ARP.
 * IPv4 fragments from the guest are not reassembled: they are counted (`fragments`) and dropped.
 */
export interface UserNetConfig {
  net: number;
  prefix: number;
  host: number;
  dns: number;
  dhcp_start: number;
  dhcp_count: number;
  lease_s: number;
  latency_ns: number;
}

export const USER_NET_DEFAULTS: UserNetConfig = {
  net: 0x0a000200,
  prefix: 24,
  host: 0x0a000202,
  dns: 0x0a000203,
  dhcp_start: 0x0a00020f,
  dhcp_count: 16,
  lease_s: 86400,
  latency_ns: 10_000,
};

/** Output slots: enough for a guest's receive window of full-sized TCP segments in flight. */
const SLOTS = 256;
const SLOT_SIZE = 1600;
const BROADCAST_MAC = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
/** Guest addresses whose MAC is remembered at most (only addresses inside the virtual network). */
export const NEIGH_MAX = 256;

function be16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

function be32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

export class UserNet implements NetEndpoint, SlirpIf {
  peer: NetEndpoint | null = null;
  readonly cfg: UserNetConfig;
  readonly clock: VirtualClock;
  /** Outgoing frames waiting for their time: a ring of preallocated buffers. */
  private readonly slots = Array.from({ length: SLOTS }, () => new Uint8Array(SLOT_SIZE));
  private readonly views = this.slots.map((b) => new DataView(b.buffer));
  private readonly slot_len = new Uint16Array(SLOTS);
  private readonly slot_due = new Float64Array(SLOTS);
  private head = 0;
  private count = 0;
  private readonly event: ClockEvent;
  /** MAC (as text) → leased address. */
  readonly leases = new Map<string, number>();
  frames_in = 0;
  frames_out = 0;
  dropped = 0;
  /** Replies that reached a NIC whose link was down (or no NIC at all): never heard. */
  dropped_no_link = 0;
  /** IPv4 fragments from the guest (not reassembled: dropped). */
  fragments = 0;
  /** IPv4 packets with a bad header (ihl < 20, total length short of the header or past the frame, checksum). */
  bad_ip = 0;
  /** NAT packets from a source address outside the virtual network (dropped). */
  bad_src = 0;
  /** Guest addresses not learnt: the neighbour table was full. */
  neigh_full = 0;
  /** Guest frames whose handling threw (a bug in the model; the frame was dropped). */
  model_errors = 0;
  /** The name server on the DNS address. */
  readonly dns: UserNetDns;
  /** The NAT (null without a HostNet). */
  readonly tcp: SlirpTcp | null;
  readonly udp: SlirpUdp | null;
  readonly hostfwd: HostFwdRule[] = [];
  /** Where the one warning line about a model error goes (boot/ points it at the machine's tracer). */
  warn: (msg: string) => void = (msg) => console.warn(msg);
  /** The guest's MAC per address (from its ARP and DHCP traffic). */
  private readonly neigh = new Map<number, Uint8Array>();
  /** The slot ip_begin() took, for ip_commit(). */
  private begun = -1;

  constructor(clock: VirtualClock, cfg: Partial<UserNetConfig> = {}, resolver: HostResolver = hosts_resolver(), host_net: HostNet | null = null) {
    this.clock = clock;
    this.cfg = { ...USER_NET_DEFAULTS, ...cfg };
    this.event = new ClockEvent("user-net", () => this.flush());
    this.dns = new UserNetDns(resolver);
    this.tcp = host_net === null ? null : new SlirpTcp(this, host_net);
    this.udp = host_net === null ? null : new SlirpUdp(this, host_net);
  }

  describe(): string {
    const c = this.cfg;
    const ip = (a: number): string => `${a >>> 24}.${(a >>> 16) & 0xff}.${(a >>> 8) & 0xff}.${a & 0xff}`;
    const lines = [
      `user net=${ip(c.net)}/${c.prefix} host=${ip(c.host)} dns=${ip(c.dns)} frames_in=${this.frames_in} frames_out=${this.frames_out} dropped=${this.dropped} dropped_no_link=${this.dropped_no_link} fragments=${this.fragments} bad_ip=${this.bad_ip} bad_src=${this.bad_src} neigh=${this.neigh.size} neigh_full=${this.neigh_full} model_errors=${this.model_errors} nat=${this.tcp === null ? "off" : "on"}`,
      this.dns.describe(),
    ];
    if (this.tcp !== null) lines.push(this.tcp.describe());
    if (this.udp !== null) lines.push(this.udp.describe());
    for (const r of this.hostfwd) lines.push(describe_hostfwd(r, c.dhcp_start));
    return lines.join("\n   ");
  }

  /**
   * Set up a host forwarding rule (host context, before the guest runs): listen on its host
   * port. Null, or QEMU's one-line error. Needs a HostNet.
   */
  async add_hostfwd(rule: HostFwdRule): Promise<string | null> {
    if (this.tcp === null || this.udp === null) return hostfwd_setup_error(rule);
    const err = rule.udp ? await this.udp.bind(rule) : await this.tcp.listen(rule);
    if (err !== null) return hostfwd_setup_error(rule);
    this.hostfwd.push(rule);
    return null;
  }

  /** The machine stops: listeners and NAT sockets are closed. */
  stop(): void {
    this.tcp?.stop();
    this.udp?.stop();
  }

  /** Write 52:55 followed by the address (QEMU's name for a virtual host) at o[off..off+6). */
  private put_mac(o: Uint8Array, off: number, ip: number): void {
    o[off] = 0x52;
    o[off + 1] = 0x55;
    o[off + 2] = ip >>> 24;
    o[off + 3] = (ip >>> 16) & 0xff;
    o[off + 4] = (ip >>> 8) & 0xff;
    o[off + 5] = ip & 0xff;
  }

  private ours(ip: number): boolean {
    return ip === this.cfg.host || ip === this.cfg.dns;
  }

  /** Learn that the guest's `ip` is at the MAC at f[off..off+6) (no allocation when unchanged). */
  private learn(ip: number, f: Uint8Array, off: number): void {
    if (ip === 0 || this.ours(ip) || !in_vnet(this.cfg, ip)) return;
    const m = this.neigh.get(ip);
    if (m !== undefined && m[0] === f[off] && m[1] === f[off + 1] && m[2] === f[off + 2] && m[3] === f[off + 3] && m[4] === f[off + 4] && m[5] === f[off + 5]) return;
    if (m === undefined && this.neigh.size >= NEIGH_MAX) {
      this.neigh_full++;
      return;
    }
    const mac = f.slice(off, off + 6);
    this.neigh.set(ip, mac);
    this.tcp?.neigh_learned(ip, mac);
  }

  // --- SlirpIf: how the NAT reaches the guest ---

  neigh_lookup(ip: number): Uint8Array | null {
    return this.neigh.get(ip) ?? null;
  }

  free_slots(): number {
    return SLOTS - this.count;
  }

  ip_begin(mac: Uint8Array, src: number, dst: number, proto: number, l4len: number): Uint8Array | null {
    const i = this.reply_ip(mac, 0, dst, src, proto, l4len);
    this.begun = i;
    return i < 0 ? null : this.slots[i]!;
  }

  ip_commit(l4len: number): void {
    if (this.begun < 0) return;
    this.begun = -1;
    this.commit(34 + l4len);
  }

  arp_request(ip: number): void {
    const i = this.alloc();
    if (i < 0) return;
    const o = this.slots[i]!;
    const ov = this.views[i]!;
    o.set(BROADCAST_MAC, 0);
    this.put_mac(o, 6, this.cfg.host);
    ov.setUint16(12, 0x0806);
    ov.setUint16(14, 1);
    ov.setUint16(16, 0x0800);
    o[18] = 6;
    o[19] = 4;
    ov.setUint16(20, 1);
    this.put_mac(o, 22, this.cfg.host);
    ov.setUint32(28, this.cfg.host);
    o.fill(0, 32, 38);
    ov.setUint32(38, ip);
    this.commit(42);
  }

  icmp_unreach(mac: Uint8Array, quote: Uint8Array, code: number): void {
    const len = 8 + quote.length;
    const i = this.reply_ip(mac, 0, be32(quote, 12), this.cfg.host, 1, len);
    if (i < 0) return;
    const o = this.slots[i]!;
    o[34] = 3;
    o[35] = code;
    o.fill(0, 36, 42);
    o.set(quote, 42);
    this.views[i]!.setUint16(36, csum_fold(csum_partial(o, 34, len)));
    this.commit(34 + len);
  }

  /** The slot for the next reply, or -1 when all are in flight (the frame is dropped and counted). */
  private alloc(): number {
    if (this.count === SLOTS) {
      this.dropped++;
      return -1;
    }
    return (this.head + this.count) % SLOTS;
  }

  private commit(len: number): void {
    const i = (this.head + this.count) % SLOTS;
    this.slot_len[i] = len < 60 ? 60 : len;
    if (len < 60) this.slots[i]!.fill(0, len, 60);
    this.slot_due[i] = this.clock.now_ns() + this.cfg.latency_ns;
    this.count++;
    if (!this.event.armed) this.clock.arm(this.event, this.slot_due[this.head]!);
  }

  private flush(): void {
    const now = this.clock.now_ns();
    while (this.count > 0 && this.slot_due[this.head]! <= now) {
      const i = this.head;
      this.head = (this.head + 1) % SLOTS;
      this.count--;
      const peer = this.peer;
      if (peer === null || peer.receive_frame(this.slots[i]!, this.slot_len[i]!) === RX_NO_LINK) this.dropped_no_link++;
      else this.frames_out++;
    }
    if (this.count > 0) this.clock.arm(this.event, this.slot_due[this.head]!);
    this.tcp?.slots_freed();
  }

  /**
   * The guest sends. ARP and ICMP echo are answered without allocating; only DHCP builds objects.
   * Context: the NIC's transmit. Nothing a guest frame holds may throw into the NIC model: an
   * exception here is a bug in this model, so it is counted (model_errors), reported once, and
   * the frame is dropped.
   */
  receive_frame(f: Uint8Array, len: number): void {
    this.frames_in++;
    if (len < 42) return;
    try {
      const type = be16(f, 12);
      if (type === 0x0806) this.arp(f);
      else if (type === 0x0800) this.ipv4(f, len);
    } catch (e) {
      this.begun = -1;
      if (this.model_errors++ === 0) this.warn(`user-net: guest frame dropped: ${e instanceof Error ? e.message : String(e)} (further errors counted in model_errors)`);
    }
  }

  private arp(f: Uint8Array): void {
    const op = be16(f, 20);
    if (op === 1 || op === 2) this.learn(be32(f, 28), f, 22);
    if (op !== 1) return; // only requests need an answer
    const tpa = be32(f, 38);
    if (!this.ours(tpa)) return;
    const i = this.alloc();
    if (i < 0) return;
    const o = this.slots[i]!;
    const ov = this.views[i]!;
    o.set(f.subarray(6, 12), 0);
    this.put_mac(o, 6, tpa);
    ov.setUint16(12, 0x0806);
    ov.setUint16(14, 1);
    ov.setUint16(16, 0x0800);
    o[18] = 6;
    o[19] = 4;
    ov.setUint16(20, 2);
    this.put_mac(o, 22, tpa);
    ov.setUint32(28, tpa);
    o.set(f.subarray(22, 32), 32); // sender's MAC and IP become the target
    this.commit(42);
  }

  private ipv4(f: Uint8Array, len: number): void {
    if (f[14]! >> 4 !== 4) return;
    const ihl = (f[14]! & 0x0f) * 4;
    const tot = be16(f, 16);
    if (ihl < 20 || tot < ihl || tot + 14 > len || csum_fold(csum_partial(f, 14, ihl)) !== 0) {
      this.bad_ip++;
      return;
    }
    if ((be16(f, 20) & 0x3fff) !== 0) {
      this.fragments++; // not reassembled
      return;
    }
    const src = be32(f, 26);
    const dst = be32(f, 30);
    const proto = f[23];
    const l4 = 14 + ihl;
    const l4len = tot - ihl;
    if (proto === 1 && this.ours(dst) && l4len >= 8 && f[l4] === 8) {
      const i = this.reply_ip(f, 6, src, dst, 1, l4len);
      if (i < 0) return;
      const o = this.slots[i]!;
      o.set(f.subarray(l4, l4 + l4len), 34);
      o[34] = 0; // echo reply
      this.views[i]!.setUint16(36, 0);
      this.views[i]!.setUint16(36, csum_fold(csum_partial(o, 34, l4len)));
      this.commit(34 + l4len);
      return;
    }
    if (proto === 6) {
      if (this.tcp === null) return;
      if (!in_vnet(this.cfg, src)) {
        this.bad_src++;
        return;
      }
      tcp_input(this.tcp, f, l4, l4len, src, dst);
      return;
    }
    if (proto !== 17 || l4len < 8) return;
    const sport = be16(f, l4);
    const dport = be16(f, l4 + 2);
    if (dport === 67) {
      this.dhcp(f, l4 + 8, l4len - 8);
      return;
    }
    if (dport === DNS_PORT && dst === this.cfg.dns) {
      this.dns_query(f, src, sport, l4, l4len);
      return;
    }
    if (dport === 7 && this.ours(dst)) this.udp_reply(f, src, dst, 7, sport, f.subarray(l4 + 8, l4 + l4len), null);
    else if (this.udp !== null) {
      if (in_vnet(this.cfg, src)) this.udp.input(f, l4, l4len, src, dst);
      else this.bad_src++;
    }
  }

  /**
   * A datagram for the name server. The answer goes back to the sender's MAC, address and port —
   * now, or when the host's resolver answers (the request frame is gone by then: only copies are
   * kept).
   */
  private dns_query(f: Uint8Array, src: number, sport: number, l4: number, l4len: number): void {
    const ulen = be16(f, l4 + 4);
    if (ulen < 8 || ulen > l4len) {
      this.dns.malformed();
      return;
    }
    const mac = f.slice(6, 12);
    const dns = this.cfg.dns;
    this.dns.query(f.subarray(l4 + 8, l4 + ulen), (resp) => this.udp_reply(f, src, dns, DNS_PORT, sport, resp, mac));
  }

  /**
   * Take a slot and write the Ethernet and IPv4 headers of a packet to `dst`, at the MAC in
   * mac[mac_off..mac_off+6); the caller writes the payload at offset 34 and commits. It comes
   * from the MAC of `src` if that is the host or DNS address, else from the gateway's. Returns
   * the slot, or -1 when the packet does not fit or no slot is free.
   */
  private reply_ip(mac: Uint8Array, mac_off: number, dst: number, src: number, proto: number, l4len: number): number {
    if (34 + l4len > SLOT_SIZE) return -1;
    const i = this.alloc();
    if (i < 0) return -1;
    const o = this.slots[i]!;
    const ov = this.views[i]!;
    for (let k = 0; k < 6; k++) o[k] = mac[mac_off + k]!;
    this.put_mac(o, 6, this.ours(src) ? src : this.cfg.host);
    ov.setUint16(12, 0x0800);
    o[14] = 0x45;
    o[15] = 0;
    ov.setUint16(16, 20 + l4len);
    ov.setUint32(18, 0); // id, flags, fragment offset
    o[22] = 64;
    o[23] = proto;
    ov.setUint16(24, 0);
    ov.setUint32(26, src);
    ov.setUint32(30, dst);
    ov.setUint16(24, csum_fold(csum_partial(o, 14, 20)));
    return i;
  }

  private udp_reply(req: Uint8Array, dst: number, src: number, sport: number, dport: number, payload: Uint8Array, dst_mac: Uint8Array | null): void {
    const len = 8 + payload.length;
    const i = dst_mac === null ? this.reply_ip(req, 6, dst, src, 17, len) : this.reply_ip(dst_mac, 0, dst, src, 17, len);
    if (i < 0) return;
    const o = this.slots[i]!;
    const ov = this.views[i]!;
    ov.setUint16(34, sport);
    ov.setUint16(36, dport);
    ov.setUint16(38, len);
    ov.setUint16(40, 0);
    o.set(payload, 42);
    const c = csum_fold(csum_partial(o, 34, len, csum_tcpudp_nofold(src, dst, len, 17)));
    ov.setUint16(40, c === 0 ? 0xffff : c);
    this.commit(34 + len);
  }

  /** The DHCP server: OFFER for DISCOVER, ACK (or NAK) for REQUEST. */
  private dhcp(f: Uint8Array, off: number, len: number): void {
    if (len < 240) return;
    const v = new DataView(f.buffer, f.byteOffset + off, len);
    if (f[off] !== 1 || v.getUint32(236) !== 0x63825363) return;
    let type = 0;
    let requested = 0;
    // Options are TLVs: one whose length byte or value runs past the packet ends the parse.
    for (let o = 240; o < len && f[off + o] !== 255; ) {
      const code = f[off + o]!;
      if (code === 0) {
        o++;
        continue;
      }
      if (o + 1 >= len) break;
      const l = f[off + o + 1]!;
      if (o + 2 + l > len) break;
      if (code === 53) type = f[off + o + 2]!;
      if (code === 50 && l === 4) requested = v.getUint32(o + 2);
      o += 2 + l;
    }
    const chaddr = f.subarray(off + 28, off + 34);
    const key = [...chaddr].map((b) => b.toString(16).padStart(2, "0")).join(":");
    let ip = this.leases.get(key);
    if (ip === undefined) {
      if (this.leases.size >= this.cfg.dhcp_count) return; // pool exhausted: stay silent
      ip = (this.cfg.dhcp_start + this.leases.size) >>> 0;
      this.leases.set(key, ip);
    }
    const ciaddr = v.getUint32(12);
    let reply: number;
    if (type === 1) reply = 2; // DISCOVER → OFFER
    else if (type === 3) reply = requested === ip || ciaddr === ip ? 5 : 6; // REQUEST → ACK / NAK
    else return;
    if (reply === 5) this.learn(ip, f, off + 28);
    const m = new Uint8Array(300);
    const mv = new DataView(m.buffer);
    m[0] = 2;
    m[1] = 1;
    m[2] = 6;
    m.set(f.subarray(off + 4, off + 8), 4); // xid
    m.set(f.subarray(off + 10, off + 12), 10); // flags
    mv.setUint32(12, ciaddr);
    mv.setUint32(16, reply === 6 ? 0 : ip);
    mv.setUint32(20, this.cfg.host);
    m.set(chaddr, 28);
    mv.setUint32(236, 0x63825363);
    let o = 240;
    const opt = (code: number, val: number[]): void => {
      m[o++] = code;
      m[o++] = val.length;
      for (const x of val) m[o++] = x;
    };
    const b4 = (a: number): number[] => [a >>> 24, (a >>> 16) & 0xff, (a >>> 8) & 0xff, a & 0xff];
    const mask = (0xffffffff << (32 - this.cfg.prefix)) >>> 0;
    opt(53, [reply]);
    opt(54, b4(this.cfg.host));
    if (reply !== 6) {
      opt(51, b4(this.cfg.lease_s));
      opt(1, b4(mask));
      opt(3, b4(this.cfg.host));
      opt(6, b4(this.cfg.dns));
    }
    m[o++] = 255;
    const broadcast = (mv.getUint16(10) & 0x8000) !== 0 || ciaddr === 0;
    const dst = broadcast ? 0xffffffff : ciaddr;
    this.udp_reply(f, dst, this.cfg.host, 67, 68, m, broadcast ? BROADCAST_MAC : chaddr);
  }
}
