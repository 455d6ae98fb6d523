/**
 * The NAT's TCP as seen on the wire, with hand-made guest segments and no guest: when the SYN-ACK
 * goes and what it carries, checksums checked on input and right on output, RSTs for strangers,
 * duplicate ACKs for segments beyond a hole and the jump when it fills, the window shrinking
 * while the host does not read, retransmission with backoff and giving up, ICMP unreachable, and
 * the counters for each.
 */
import { describe, expect, it } from "vitest";
import { csum_fold, csum_partial, csum_tcpudp_nofold } from "../../lib/inet_checksum.ts";
import { VirtualClock } from "../../hw/clock.ts";
import { net_connect, type NetEndpoint } from "../../hw/net/net_endpoint.ts";
import { FakeHostNet, type FakePeer } from "../../hw/net/slirp_fake.ts";
import { parse_hostfwd, type HostFwdRule } from "../../hw/net/slirp_hostfwd.ts";
import { SLIRP_RCVBUF, SLIRP_WSCALE, TCP_MAXRXTSHIFT } from "../../hw/net/slirp_tcp_subr.ts";
import { UserNet } from "../../hw/net/user_net.ts";

const GUEST = 0x0a00020f;
const HOST = 0x0a000202;
const GMAC = [0x52, 0x54, 0, 0x12, 0x34, 0x56];
const SYN = 0x02;
const RST = 0x04;
const PSH = 0x08;
const ACK = 0x10;
const FIN = 0x01;

interface Seg {
  src: number;
  dst: number;
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  flags: number;
  win: number;
  opts: number[];
  data: Uint8Array;
  csum_ok: boolean;
  t: number;
}

/** The guest's NIC: records what the user network sends it. */
class Wire implements NetEndpoint {
  peer: NetEndpoint | null = null;
  readonly frames: Uint8Array[] = [];
  readonly times: number[] = [];
  readonly clock: VirtualClock;
  constructor(clock: VirtualClock) {
    this.clock = clock;
  }
  receive_frame(f: Uint8Array, len: number): boolean {
    this.frames.push(f.slice(0, len));
    this.times.push(this.clock.now_ns());
    return true;
  }
  /** TCP segments received so far (and forget them). */
  take(): Seg[] {
    const out: Seg[] = [];
    this.frames.forEach((f, i) => {
      if (f[12] !== 0x08 || f[13] !== 0 || f[23] !== 6) return;
      const v = new DataView(f.buffer);
      const tot = v.getUint16(16);
      const l4len = tot - 20;
      const doff = (f[46]! >> 4) * 4;
      out.push({
        src: v.getUint32(26),
        dst: v.getUint32(30),
        sport: v.getUint16(34),
        dport: v.getUint16(36),
        seq: v.getUint32(38),
        ack: v.getUint32(42),
        flags: f[47]!,
        win: v.getUint16(48),
        opts: [...f.subarray(54, 34 + doff)],
        data: f.slice(34 + doff, 14 + tot),
        csum_ok: csum_fold(csum_partial(f, 34, l4len, csum_tcpudp_nofold(v.getUint32(26), v.getUint32(30), l4len, 6))) === 0,
        t: this.times[i]!,
      });
    });
    this.frames.length = 0;
    this.times.length = 0;
    return out;
  }
}

/** A TCP segment from the guest to dst:dport, as an Ethernet frame (checksummed unless `bad`). */
function tcp_frame(o: { dst?: number; sport?: number; dport: number; seq: number; ack?: number; flags: number; win?: number; opts?: number[]; data?: Uint8Array; bad?: boolean; frag?: boolean }): Uint8Array {
  const opts = o.opts ?? [];
  const data = o.data ?? new Uint8Array(0);
  const l4len = 20 + opts.length + data.length;
  const f = new Uint8Array(Math.max(60, 34 + l4len));
  const v = new DataView(f.buffer);
  f.set([0x52, 0x55, 0x0a, 0, 2, 2], 0);
  f.set(GMAC, 6);
  v.setUint16(12, 0x0800);
  f[14] = 0x45;
  v.setUint16(16, 20 + l4len);
  if (o.frag) v.setUint16(20, 0x2000);
  f[22] = 64;
  f[23] = 6;
  v.setUint32(26, GUEST);
  v.setUint32(30, o.dst ?? HOST);
  v.setUint16(24, csum_fold(csum_partial(f, 14, 20)));
  v.setUint16(34, o.sport ?? 40000);
  v.setUint16(36, o.dport);
  v.setUint32(38, o.seq >>> 0);
  v.setUint32(42, (o.ack ?? 0) >>> 0);
  f[46] = ((20 + opts.length) / 4) << 4;
  f[47] = o.flags;
  v.setUint16(48, o.win ?? 65535);
  f.set(opts, 54);
  f.set(data, 34 + 20 + opts.length);
  v.setUint16(50, csum_fold(csum_partial(f, 34, l4len, csum_tcpudp_nofold(GUEST, o.dst ?? HOST, l4len, 6))) ^ (o.bad ? 1 : 0));
  return f;
}

const MSS_WS = [2, 4, 0x05, 0xb4, 1, 3, 3, 7];

function setup() {
  const clock = new VirtualClock();
  const host = new FakeHostNet(clock);
  const user = new UserNet(clock, {}, undefined, host);
  const wire = new Wire(clock);
  net_connect(user, wire);
  const send = (f: Uint8Array): void => {
    user.receive_frame(f, f.length);
  };
  const run = (ns: number): void => {
    clock.advance_to(clock.now_ns() + ns);
  };
  return { clock, host, user, wire, send, run, st: user.tcp!.stats };
}

/** A connection the guest opened to 10.0.2.2:port (handshake done); the host's peer. */
function established(t: ReturnType<typeof setup>, port: number, opts = MSS_WS): { peer: FakePeer; iss: number; seq: number } {
  let peer: FakePeer | null = null;
  t.host.serve(0x7f000001, port, (p) => (peer = p));
  t.send(tcp_frame({ dport: port, seq: 1000, flags: SYN, opts }));
  t.run(1e6);
  const sa = t.wire.take().find((s) => s.flags === (SYN | ACK))!;
  t.send(tcp_frame({ dport: port, seq: 1001, ack: sa.seq + 1, flags: ACK, win: 1000 }));
  t.run(1e6);
  return { peer: peer!, iss: sa.seq, seq: 1001 };
}

describe("the NAT's TCP on the wire", () => {
  it("answers a SYN only once the host connect is up: SYN-ACK with MSS 1460 and window scale, checksummed", () => {
    const t = setup();
    t.host.latency_ns = 5e6;
    t.host.serve(0x7f000001, 8000, () => {});
    t.send(tcp_frame({ dport: 8000, seq: 1000, flags: SYN, opts: MSS_WS }));
    t.run(4e6);
    expect(t.wire.take()).toEqual([]);
    expect(t.user.tcp!.conns()[0]!.fconnecting).toBe(true);
    // The guest's SYN again while the host connects: waited for, not answered.
    t.send(tcp_frame({ dport: 8000, seq: 1000, flags: SYN, opts: MSS_WS }));
    t.run(2e6);
    const [sa, ...rest] = t.wire.take();
    expect(rest).toEqual([]);
    expect(sa).toMatchObject({ src: HOST, dst: GUEST, sport: 8000, dport: 40000, ack: 1001, flags: SYN | ACK, win: 65535, csum_ok: true });
    expect(sa!.opts).toEqual([2, 4, 0x05, 0xb4, 1, 3, 3, SLIRP_WSCALE]);
    expect(t.st).toMatchObject({ opened: 1, dropped: 1, segs_in: 2, segs_out: 1 });
  });

  it("without the guest's window scale, none is offered and windows stay under 64 KiB", () => {
    const t = setup();
    const c = established(t, 8001, [2, 4, 0x05, 0xb4]);
    t.send(tcp_frame({ dport: 8001, seq: c.seq, ack: c.iss + 1, flags: ACK | PSH, data: new Uint8Array(100) }));
    t.run(2e6);
    const acks = t.wire.take();
    expect(acks.at(-1)!.ack).toBe(c.seq + 100);
    expect(acks.at(-1)!.win).toBe(65535);
  });

  it("drops a segment with a bad checksum (counted), and a bad header", () => {
    const t = setup();
    t.host.serve(0x7f000001, 8000, () => {});
    t.send(tcp_frame({ dport: 8000, seq: 1, flags: SYN, bad: true }));
    const short = tcp_frame({ dport: 8000, seq: 1, flags: SYN });
    short[46] = 0x40; // data offset 16 < 20
    t.send(short);
    t.run(1e6);
    expect(t.wire.take()).toEqual([]);
    expect(t.host.connects).toEqual([]);
    expect(t.st).toMatchObject({ bad_csum: 1, bad_hdr: 1, segs_in: 2, segs_out: 0 });
  });

  it("answers a segment for no connection with an RST (RST|ACK for one without ACK); an RST gets nothing", () => {
    const t = setup();
    t.send(tcp_frame({ dport: 8000, seq: 500, ack: 777, flags: ACK, data: new Uint8Array(10) }));
    t.send(tcp_frame({ dport: 8000, seq: 600, flags: FIN }));
    t.send(tcp_frame({ dport: 8000, seq: 700, flags: RST }));
    t.run(1e6);
    const r = t.wire.take();
    expect(r.map((s) => [s.flags, s.seq, s.ack, s.csum_ok])).toEqual([
      [RST, 777, 0, true],
      [RST | ACK, 0, 601, true],
    ]);
    expect(t.st).toMatchObject({ no_conn: 2, dropped: 1 });
  });

  it("a segment beyond a hole is kept and answered with a duplicate ACK at once; filling the hole acknowledges both", () => {
    const t = setup();
    const c = established(t, 8002);
    const a = new Uint8Array(100).fill(0x61);
    const b = new Uint8Array(100).fill(0x62);
    t.send(tcp_frame({ dport: 8002, seq: c.seq + 100, ack: c.iss + 1, flags: ACK, data: b }));
    t.run(20_000); // (the user network's latency, no tick or timer)
    const dup = t.wire.take();
    expect(dup.map((s) => [s.flags, s.ack])).toEqual([[ACK, c.seq]]);
    t.send(tcp_frame({ dport: 8002, seq: c.seq, ack: c.iss + 1, flags: ACK, data: a }));
    t.run(2e6);
    expect(t.wire.take().map((s) => s.ack)).toEqual([c.seq + 200]);
    expect(new TextDecoder().decode(c.peer.data())).toBe("a".repeat(100) + "b".repeat(100));
    expect(t.st.ooo_queued).toBe(1);
    // A retransmission of what arrived already: another immediate ACK, counted as a duplicate.
    t.send(tcp_frame({ dport: 8002, seq: c.seq, ack: c.iss + 1, flags: ACK, data: a }));
    t.run(20_000);
    expect(t.wire.take().map((s) => s.ack)).toEqual([c.seq + 200]);
    expect(t.st.dup_segs).toBe(1);
  });

  it("the window shrinks while the host does not read, and opens again (a window update) when it does", () => {
    const t = setup();
    const c = established(t, 8003);
    c.peer.reading = false;
    let seq = c.seq;
    const chunk = new Uint8Array(1460);
    let last = 0;
    for (let i = 0; i < 200; i++) {
      t.send(tcp_frame({ dport: 8003, seq, ack: c.iss + 1, flags: ACK, data: chunk }));
      seq += 1460;
      t.run(100_000);
    }
    t.run(1e6);
    const acks = t.wire.take();
    last = acks.at(-1)!.win << SLIRP_WSCALE;
    expect(last).toBeLessThan(SLIRP_RCVBUF - 200 * 1460 + 4096);
    expect(last).toBeGreaterThan(SLIRP_RCVBUF - 200 * 1460 - 4096);
    c.peer.reading = true;
    t.run(1e6);
    const upd = t.wire.take();
    expect(upd.length).toBe(1);
    expect(upd[0]!.win << SLIRP_WSCALE).toBeGreaterThan(SLIRP_RCVBUF - 4096);
    expect(c.peer.bytes_received).toBe(200 * 1460);
  });

  it("retransmits unacknowledged data after the RTO with backoff, and gives up with an RST after the limit", () => {
    const t = setup();
    const c = established(t, 8004);
    c.peer.write("x".repeat(500));
    t.run(1e6);
    const first = t.wire.take().filter((s) => s.data.length > 0);
    expect(first.map((s) => [s.seq, s.data.length])).toEqual([[c.iss + 1, 500]]);
    t.run(2e9);
    const again = t.wire.take().filter((s) => s.data.length > 0);
    expect(again.map((s) => [s.seq, s.data.length])).toEqual([[c.iss + 1, 500]]);
    expect(again[0]!.t - first[0]!.t).toBeGreaterThanOrEqual(200e6);
    expect(t.st).toMatchObject({ timeouts: 1, retransmits: 1 });
    t.run(600e9);
    const segs = t.wire.take();
    expect(segs.filter((s) => s.data.length > 0).length).toBe(TCP_MAXRXTSHIFT - 1);
    expect(segs.at(-1)!.flags).toBe(RST | ACK);
    expect(t.st.timedout).toBe(1);
    expect(t.user.tcp!.count).toBe(0);
    expect(c.peer.got_reset).toBe(true);
  });

  it("an unreachable host: ICMP destination unreachable quoting the SYN; fragments are counted, not carried", () => {
    const t = setup();
    t.host.unreachable.add(0xc0000201);
    const syn = tcp_frame({ dst: 0xc0000201, dport: 80, seq: 42, flags: SYN });
    t.send(syn);
    t.run(1e6);
    const f = t.wire.frames[0]!;
    expect([f[23], f[34], f[35]]).toEqual([1, 3, 1]);
    expect(f.subarray(42, 42 + 28)).toEqual(syn.subarray(14, 14 + 28));
    expect(csum_fold(csum_partial(f, 34, 36))).toBe(0);
    expect(t.st.unreachable).toBe(1);
    t.send(tcp_frame({ dport: 80, seq: 1, flags: SYN, frag: true }));
    expect(t.user.fragments).toBe(1);
    expect(t.st.segs_in).toBe(1);
  });

  it("hostfwd to a guest whose MAC is not known yet: an ARP request first, the SYN once the guest answers", async () => {
    const t = setup();
    expect(await t.user.add_hostfwd(parse_hostfwd("tcp::8080-:80") as HostFwdRule)).toBeNull();
    t.host.connect(8080, 5555);
    t.run(1e6);
    expect(t.wire.frames.length).toBe(1);
    const arp = t.wire.frames[0]!;
    const av = new DataView(arp.buffer);
    expect([av.getUint16(12), av.getUint16(20), av.getUint32(28), av.getUint32(38)]).toEqual([0x0806, 1, HOST, GUEST]);
    expect([...arp.subarray(0, 6)]).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    t.wire.take();
    // The guest answers: 10.0.2.15 is at 52:54:00:12:34:56.
    const reply = new Uint8Array(60);
    const rv = new DataView(reply.buffer);
    reply.set([0x52, 0x55, 0x0a, 0, 2, 2], 0);
    reply.set(GMAC, 6);
    rv.setUint16(12, 0x0806);
    rv.setUint16(14, 1);
    rv.setUint16(16, 0x0800);
    reply[18] = 6;
    reply[19] = 4;
    rv.setUint16(20, 2);
    reply.set(GMAC, 22);
    rv.setUint32(28, GUEST);
    reply.set([0x52, 0x55, 0x0a, 0, 2, 2], 32);
    rv.setUint32(38, HOST);
    t.send(reply);
    t.run(1e6);
    const [syn, ...rest] = t.wire.take();
    expect(rest).toEqual([]);
    expect(syn).toMatchObject({ src: HOST, dst: GUEST, sport: 5555, dport: 80, flags: SYN, csum_ok: true });
    expect([...t.wire.frames]).toEqual([]);
    expect(t.st.fwd_accepted).toBe(1);
  });

  it("drops a UDP datagram with a bad checksum (counted); a zero checksum means none", () => {
    const t = setup();
    const udp = (csum: "good" | "bad" | "none"): Uint8Array => {
      const f = new Uint8Array(60);
      const v = new DataView(f.buffer);
      f.set([0x52, 0x55, 0x0a, 0, 2, 2], 0);
      f.set(GMAC, 6);
      v.setUint16(12, 0x0800);
      f[14] = 0x45;
      v.setUint16(16, 20 + 8 + 4);
      f[22] = 64;
      f[23] = 17;
      v.setUint32(26, GUEST);
      v.setUint32(30, HOST);
      v.setUint16(24, csum_fold(csum_partial(f, 14, 20)));
      v.setUint16(34, 4000);
      v.setUint16(36, 5000);
      v.setUint16(38, 12);
      f.set([1, 2, 3, 4], 42);
      const c = csum_fold(csum_partial(f, 34, 12, csum_tcpudp_nofold(GUEST, HOST, 12, 17)));
      v.setUint16(40, csum === "none" ? 0 : csum === "good" ? c : c ^ 0x100);
      return f;
    };
    t.send(udp("bad"));
    t.send(udp("good"));
    t.send(udp("none"));
    t.run(1e6);
    expect(t.user.udp!.stats).toMatchObject({ bad_csum: 1, out: 2, opened: 1 });
    expect(t.host.udp_sent).toBe(2);
  });

  it("survives hostile segments: random flags, numbers, options and lengths never throw; the state stays sane", () => {
    const t = setup();
    let x = 12345;
    const rnd = (n: number): number => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return (x >>> 8) % n;
    };
    const peers: FakePeer[] = [];
    for (let port = 7000; port < 7004; port++) t.host.serve(0x7f000001, port, (p) => {
      peers.push(p);
      p.write(pattern_bytes(5000 + port));
    });
    const conns = [0, 1, 2, 3].map((i) => established(t, 7000 + i));
    for (let i = 0; i < 20000; i++) {
      const c = conns[rnd(4)]!;
      const flags = rnd(64);
      const near = rnd(2) === 0;
      const opts = rnd(4) === 0 ? Array.from({ length: rnd(3) * 4 }, () => rnd(256)) : [];
      const f = tcp_frame({
        dport: 7000 + rnd(5),
        sport: rnd(8) === 0 ? rnd(65536) : 40000,
        seq: near ? c.seq + rnd(200_000) - 100_000 : rnd(2 ** 32),
        ack: near ? c.iss + rnd(20_000) - 5_000 : rnd(2 ** 32),
        flags,
        win: rnd(65536),
        opts,
        data: new Uint8Array(rnd(3) === 0 ? rnd(1400) : 0),
        bad: rnd(50) === 0,
      });
      if (rnd(100) === 0) f[46] = rnd(256); // any data offset
      expect(() => t.send(f)).not.toThrow();
      if (i % 50 === 0) t.run(rnd(5e6));
    }
    t.run(700e9);
    for (const c of t.user.tcp!.conns()) {
      expect(c.sq_bytes).toBeGreaterThanOrEqual(0);
      expect(c.sq.reduce((n, b) => n + b.length, 0) - c.sq_off).toBe(c.sq_bytes);
    }
    const st = t.st;
    expect(st.segs_in).toBe(20000 + 8);
    expect(st.bad_csum + st.bad_hdr).toBeGreaterThan(300);
  });
});

/** Some bytes of a recognisable pattern. */
function pattern_bytes(n: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 7) & 0xff);
}
