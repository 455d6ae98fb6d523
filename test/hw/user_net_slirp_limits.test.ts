/**
 * The user network's limits and hostile-input guards, with hand-made frames: DHCP options that
 * run past the packet, short IPv4 headers, a model error caught at the NIC boundary, SYN / SYN-ACK
 * and abort RSTs that find every output slot taken, the out-of-order queue's caps and overlaps,
 * the zero-window persist probe giving up, and the advertised window's right edge.
 */
import { describe, expect, it } from "vitest";
import { csum_fold, csum_partial, csum_tcpudp_nofold } from "../../lib/inet_checksum.ts";
import { VirtualClock } from "../../hw/clock.ts";
import { net_connect, type NetEndpoint } from "../../hw/net/net_endpoint.ts";
import { FakeHostNet, type FakePeer } from "../../hw/net/slirp_fake.ts";
import { parse_hostfwd, type HostFwdRule } from "../../hw/net/slirp_hostfwd.ts";
import { tcp_rcv_window } from "../../hw/net/slirp_tcp_output.ts";
import { SLIRP_RCVBUF, TCP_OOO_MAX_SEGS, TcpConn } from "../../hw/net/slirp_tcp_subr.ts";
import type { HostTcpHandle } from "../../hw/net/host_net.ts";
import { UserNet } from "../../hw/net/user_net.ts";

const GUEST = 0x0a00020f;
const HOST = 0x0a000202;
const GMAC = [0x52, 0x54, 0, 0x12, 0x34, 0x56];
const SYN = 0x02;
const RST = 0x04;
const ACK = 0x10;
const MSS_WS = [2, 4, 0x05, 0xb4, 1, 3, 3, 7];

interface Seg {
  seq: number;
  ack: number;
  flags: number;
  win: number;
  data: Uint8Array;
}

class Wire implements NetEndpoint {
  peer: NetEndpoint | null = null;
  readonly frames: Uint8Array[] = [];
  receive_frame(f: Uint8Array, len: number): boolean {
    this.frames.push(f.slice(0, len));
    return true;
  }
  take(): Seg[] {
    const out: Seg[] = [];
    for (const f of this.frames) {
      if (f[12] !== 0x08 || f[13] !== 0 || f[23] !== 6) continue;
      const v = new DataView(f.buffer);
      const doff = (f[46]! >> 4) * 4;
      out.push({ seq: v.getUint32(38), ack: v.getUint32(42), flags: f[47]!, win: v.getUint16(48), data: f.slice(34 + doff, 14 + v.getUint16(16)) });
    }
    this.frames.length = 0;
    return out;
  }
}

/** An IPv4 frame from the guest: `proto`, payload `l4`, header checksummed (ihl bytes). */
function ip_frame(proto: number, l4: Uint8Array, o: { dst?: number; src?: number; ihl?: number; tot?: number } = {}): Uint8Array {
  const ihl = o.ihl ?? 20;
  const f = new Uint8Array(Math.max(60, 14 + ihl + l4.length));
  const v = new DataView(f.buffer);
  f.set([0x52, 0x55, 0x0a, 0, 2, 2], 0);
  f.set(GMAC, 6);
  v.setUint16(12, 0x0800);
  f[14] = 0x40 | (ihl >> 2);
  v.setUint16(16, o.tot ?? ihl + l4.length);
  f[22] = 64;
  f[23] = proto;
  v.setUint32(26, o.src ?? GUEST);
  v.setUint32(30, o.dst ?? HOST);
  f.set(l4, 14 + ihl);
  v.setUint16(24, csum_fold(csum_partial(f, 14, ihl)));
  return f;
}

function tcp_frame(o: { dport: number; seq: number; ack?: number; flags: number; win?: number; opts?: number[]; data?: Uint8Array }): Uint8Array {
  const opts = o.opts ?? [];
  const data = o.data ?? new Uint8Array(0);
  const l4 = new Uint8Array(20 + opts.length + data.length);
  const v = new DataView(l4.buffer);
  v.setUint16(0, 40000);
  v.setUint16(2, o.dport);
  v.setUint32(4, o.seq >>> 0);
  v.setUint32(8, (o.ack ?? 0) >>> 0);
  l4[12] = ((20 + opts.length) / 4) << 4;
  l4[13] = o.flags;
  v.setUint16(14, o.win ?? 65535);
  l4.set(opts, 20);
  l4.set(data, 20 + opts.length);
  v.setUint16(16, csum_fold(csum_partial(l4, 0, l4.length, csum_tcpudp_nofold(GUEST, HOST, l4.length, 6))));
  return ip_frame(6, l4);
}

function echo_frame(): Uint8Array {
  const icmp = new Uint8Array(8);
  icmp[0] = 8;
  new DataView(icmp.buffer).setUint16(2, csum_fold(csum_partial(icmp, 0, 8)));
  return ip_frame(1, icmp);
}

function setup(latency_ns?: number) {
  const clock = new VirtualClock();
  const host = new FakeHostNet(clock, latency_ns);
  const user = new UserNet(clock, {}, undefined, host);
  const wire = new Wire();
  net_connect(user, wire);
  const send = (f: Uint8Array): void => user.receive_frame(f, f.length);
  const run = (ns: number): void => {
    clock.advance_to(clock.now_ns() + ns);
  };
  /** Take every output slot (ping replies still in flight). */
  const fill_slots = (): void => {
    while (user.free_slots() > 0) send(echo_frame());
  };
  return { clock, host, user, wire, send, run, fill_slots, st: user.tcp!.stats };
}

function established(t: ReturnType<typeof setup>, port: number, win = 1000): { peer: FakePeer; iss: number; seq: number } {
  let peer: FakePeer | null = null;
  t.host.serve(0x7f000001, port, (p) => (peer = p));
  t.send(tcp_frame({ dport: port, seq: 1000, flags: SYN, opts: MSS_WS }));
  t.run(1e6);
  const sa = t.wire.take().find((s) => s.flags === (SYN | ACK))!;
  t.send(tcp_frame({ dport: port, seq: 1001, ack: sa.seq + 1, flags: ACK, win }));
  t.run(1e6);
  t.wire.take();
  return { peer: peer!, iss: sa.seq, seq: 1001 };
}

/** A DHCP DISCOVER whose options are `opts` (no end mark unless given). */
function dhcp_frame(opts: number[]): Uint8Array {
  const d = new Uint8Array(240 + opts.length);
  const v = new DataView(d.buffer);
  d[0] = 1;
  d[1] = 1;
  d[2] = 6;
  v.setUint32(4, 0x12345678);
  d.set(GMAC, 28);
  v.setUint32(236, 0x63825363);
  d.set(opts, 240);
  const u = new Uint8Array(8 + d.length);
  const uv = new DataView(u.buffer);
  uv.setUint16(0, 68);
  uv.setUint16(2, 67);
  uv.setUint16(4, u.length);
  u.set(d, 8);
  return ip_frame(17, u, { src: 0, dst: 0xffffffff });
}

describe("user network: hostile input", () => {
  it("a DHCP option running past the packet ends the parse; nothing throws; a good DISCOVER is still offered", () => {
    const t = setup();
    const warns: string[] = [];
    t.user.warn = (m) => warns.push(m);
    for (const opts of [[53, 1, 1, 50, 4, 10], [53, 1, 1, 50], [53, 1, 1, 12, 200, 1, 2], [53, 1, 1, 50, 4, 10, 0, 2, 15]]) {
      expect(() => t.send(dhcp_frame(opts))).not.toThrow();
    }
    t.send(dhcp_frame([53, 1, 1, 50, 4, 10, 0, 2, 15, 255]));
    t.run(1e6);
    expect(t.user.model_errors).toBe(0);
    expect(warns).toEqual([]);
    const offers = t.wire.frames.filter((f) => f[23] === 17);
    expect(offers.length).toBe(5); // the option parse stops at the bad one, after the message type
    expect(offers.every((f) => f[42 + 240 + 2] === 2)).toBe(true);
  });

  it("a model error is caught at the NIC boundary: counted, one warning line, the frame dropped", () => {
    const t = setup();
    const warns: string[] = [];
    t.user.warn = (m) => warns.push(m);
    t.user.tcp!.syn_in = () => {
      throw new RangeError("boom");
    };
    expect(() => t.send(tcp_frame({ dport: 80, seq: 1, flags: SYN }))).not.toThrow();
    expect(() => t.send(tcp_frame({ dport: 80, seq: 1, flags: SYN }))).not.toThrow();
    expect(t.user.model_errors).toBe(2);
    expect(warns.length).toBe(1);
    expect(warns[0]).toMatch(/boom/);
    expect(t.user.describe()).toMatch(/model_errors=2/);
    // The user network still answers.
    t.send(echo_frame());
    t.run(1e6);
    expect(t.wire.frames.length).toBe(1);
  });

  it("IPv4 headers shorter than 20 bytes, or a total length short of the header, are dropped and counted", () => {
    const t = setup();
    const icmp = new Uint8Array(8);
    icmp[0] = 8;
    new DataView(icmp.buffer).setUint16(2, csum_fold(csum_partial(icmp, 0, 8)));
    t.send(ip_frame(1, icmp, { ihl: 16 }));
    t.send(ip_frame(1, icmp, { tot: 12 }));
    t.run(1e6);
    expect(t.wire.frames).toEqual([]);
    expect(t.user.bad_ip).toBe(2);
    expect(t.user.describe()).toMatch(/bad_ip=2/);
    t.send(ip_frame(1, icmp));
    t.run(1e6);
    expect(t.wire.frames.length).toBe(1);
  });

  it("NAT traffic from a source outside the virtual network is dropped and counted", () => {
    const t = setup();
    t.host.serve(0x7f000001, 80, () => {});
    const l4 = tcp_frame({ dport: 80, seq: 1, flags: SYN }).slice(34, 54);
    t.send(ip_frame(6, l4, { src: 0xc0a80001 }));
    t.run(1e6);
    expect(t.host.connects).toEqual([]);
    expect(t.user.bad_src).toBe(1);
  });
});

describe("user network TCP: no free output slot", () => {
  it("a SYN-ACK that finds every slot taken goes once slots are free", () => {
    const t = setup(1000);
    t.host.serve(0x7f000001, 8000, () => {});
    t.send(tcp_frame({ dport: 8000, seq: 1000, flags: SYN, opts: MSS_WS }));
    t.fill_slots();
    t.run(1e6);
    expect(t.st.no_slot).toBeGreaterThan(0);
    const sa = t.wire.take().filter((s) => s.flags === (SYN | ACK));
    expect(sa.length).toBe(1);
    expect(sa[0]!.ack).toBe(1001);
  });

  it("a forwarded connection's SYN that finds every slot taken goes once slots are free", async () => {
    const t = setup(1000);
    expect(await t.user.add_hostfwd(parse_hostfwd("tcp::8080-:80") as HostFwdRule)).toBeNull();
    // The guest's MAC is known (its ARP request for the gateway).
    const arp = new Uint8Array(60);
    const av = new DataView(arp.buffer);
    arp.fill(0xff, 0, 6);
    arp.set(GMAC, 6);
    av.setUint16(12, 0x0806);
    av.setUint16(14, 1);
    av.setUint16(16, 0x0800);
    arp[18] = 6;
    arp[19] = 4;
    av.setUint16(20, 1);
    arp.set(GMAC, 22);
    av.setUint32(28, GUEST);
    av.setUint32(38, HOST);
    t.send(arp);
    t.host.connect(8080, 5555);
    t.fill_slots();
    t.run(1e6);
    expect(t.st.no_slot).toBeGreaterThan(0);
    expect(t.wire.take().filter((s) => s.flags === SYN).length).toBe(1);
  });

  it("an abort's RST carries snd_max, and waits for a slot rather than being lost", () => {
    const t = setup();
    const c = established(t, 8010, 1000);
    c.peer.write(new Uint8Array(4 * 1460));
    t.run(1e6);
    const sent = t.wire.take().filter((s) => s.data.length > 0);
    const snd_max = sent.at(-1)!.seq + sent.at(-1)!.data.length;
    // Nothing acknowledged: a timeout goes back to snd_una (snd_nxt < snd_max now).
    t.run(1.5e9);
    expect(t.st.timeouts).toBe(1);
    t.wire.take();
    c.peer.reset();
    t.run(15_000);
    t.fill_slots(); // (their replies leave at +10 µs, after the reset reaches the NAT at +5 µs)
    t.run(6_000);
    const conn = t.user.tcp!.conns();
    expect(t.st.rst_deferred).toBe(1);
    t.run(5e6);
    const rst = t.wire.take().filter((s) => (s.flags & RST) !== 0);
    expect(rst.length).toBe(1);
    expect(rst[0]!.seq).toBe(snd_max >>> 0);
    expect(conn.length).toBe(1);
    expect(t.user.tcp!.count).toBe(0);
    expect(t.user.tcp!.describe()).toMatch(/rst_deferred=1 rst_lost=0/);
  });
});

describe("user network TCP: queues and windows", () => {
  it("the out-of-order queue keeps at most TCP_OOO_MAX_SEGS segments (the rest dropped, counted), without overlaps", () => {
    const t = setup();
    const c = established(t, 8020);
    const conn = t.user.tcp!.conns()[0]!;
    const pat = (from: number, n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (from + i) & 0xff);
    // Overlapping and duplicate segments beyond a hole at 0..100.
    const segs: [number, number][] = [[200, 100], [150, 100], [100, 300], [120, 10], [390, 20], [100, 300]];
    for (const [off, n] of segs) t.send(tcp_frame({ dport: 8020, seq: c.seq + off, ack: c.iss + 1, flags: ACK, data: pat(off, n) }));
    const check = (): void => {
      let held = 0;
      for (let i = 0; i < conn.ooo.length; i++) {
        held += conn.ooo[i]!.bytes.length;
        if (i > 0) expect(conn.ooo[i]!.seq - conn.ooo[i - 1]!.seq).toBeGreaterThanOrEqual(conn.ooo[i - 1]!.bytes.length);
      }
      expect(conn.ooo_bytes).toBe(held);
    };
    check();
    expect(conn.ooo_bytes).toBe(310); // 100..410
    t.send(tcp_frame({ dport: 8020, seq: c.seq, ack: c.iss + 1, flags: ACK, data: pat(0, 100) }));
    t.run(2e6);
    expect([...c.peer.data()]).toEqual([...pat(0, 410)]);
    expect(conn.ooo.length).toBe(0);
    expect(conn.ooo_bytes).toBe(0);
    // Many small segments with gaps: at most TCP_OOO_MAX_SEGS are kept.
    const base = c.seq + 410;
    for (let k = 0; k < TCP_OOO_MAX_SEGS + 36; k++) t.send(tcp_frame({ dport: 8020, seq: base + 10 + 20 * k, ack: c.iss + 1, flags: ACK, data: pat(0, 10) }));
    expect(conn.ooo.length).toBe(TCP_OOO_MAX_SEGS);
    expect(t.st.ooo_dropped).toBe(36);
    check();
    expect(t.user.tcp!.describe()).toMatch(/ooo_dropped=36/);
  });

  it("a zero-window persist probe that nobody answers gives up: RST to the guest, the host socket reset", () => {
    const t = setup();
    const c = established(t, 8030);
    t.send(tcp_frame({ dport: 8030, seq: c.seq, ack: c.iss + 1, flags: ACK, win: 0 }));
    t.run(1e6);
    c.peer.write(new Uint8Array(1000));
    t.run(1e6);
    expect(t.wire.take().filter((s) => s.data.length > 0)).toEqual([]);
    t.run(30 * 60e9);
    const segs = t.wire.take();
    const probes = segs.filter((s) => s.data.length === 1);
    expect(probes.length).toBeGreaterThan(3);
    expect(probes.length).toBeLessThanOrEqual(12);
    expect(segs.at(-1)!.flags & RST).toBe(RST);
    expect(t.st.persist_timedout).toBe(1);
    expect(t.user.tcp!.count).toBe(0);
    expect(c.peer.got_reset).toBe(true);
  });

  it("a guest that answers its probes keeps the connection", () => {
    const t = setup();
    const c = established(t, 8031);
    t.send(tcp_frame({ dport: 8031, seq: c.seq, ack: c.iss + 1, flags: ACK, win: 0 }));
    c.peer.write(new Uint8Array(1000));
    for (let i = 0; i < 40; i++) {
      t.run(60e9);
      t.send(tcp_frame({ dport: 8031, seq: c.seq, ack: c.iss + 1, flags: ACK, win: 0 }));
    }
    expect(t.st.persist_timedout).toBe(0);
    expect(t.user.tcp!.count).toBe(1);
  });

  it("the advertised window never moves its right edge left (rounded up to the scale unit)", () => {
    let backlog = 0;
    const h = { backlog: () => backlog } as unknown as HostTcpHandle;
    const c = new TcpConn(GUEST, 1, HOST, 2, null, 0, 0, false, () => {}, () => {});
    c.host = h;
    c.rcv_wscale = 5;
    c.rcv_nxt = 1000;
    c.rcv_adv = 1000 + 65535; // the SYN-ACK's unscaled window
    backlog = SLIRP_RCVBUF; // the host takes nothing
    const w = tcp_rcv_window(c);
    expect(w % 32).toBe(0);
    expect(w).toBeGreaterThanOrEqual(65535);
    // As scaled on the wire, the edge the guest computes is not left of the one it had.
    expect((w >>> 5) << 5).toBeGreaterThanOrEqual(65535);
    backlog = 0;
    expect(tcp_rcv_window(c)).toBe(SLIRP_RCVBUF);
    backlog = SLIRP_RCVBUF - 100_001;
    expect(tcp_rcv_window(c)).toBe(100_000);
    // An edge that is not a multiple of the unit: rounded up, never down.
    c.rcv_adv = c.rcv_nxt + 100_010;
    backlog = SLIRP_RCVBUF;
    expect(tcp_rcv_window(c)).toBe(100_032);
  });
});
