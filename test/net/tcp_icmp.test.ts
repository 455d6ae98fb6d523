/**
 * ICMP errors reaching TCP (icmp_unreach → the protocol table's err_handler → tcp_v4_err): a port
 * or host unreachable aborting a connect at once, "fragmentation needed" shrinking the MSS in the
 * middle of a bulk transfer, soft errors on an established connection, and errors that must be
 * ignored (a sequence number outside the window, a malformed quoted header). The test plays the
 * router: it builds each ICMP error from a frame x really sent and hands it to x on the wire.
 */
import { describe, expect, it } from "vitest";
import { ECONNREFUSED, EHOSTUNREACH } from "../../include/linux/errno.ts";
import { SO_ERROR, SOL_SOCKET } from "../../include/uapi/in.ts";
import { csum_fold, csum_partial, ip_compute_csum } from "../../lib/inet_checksum.ts";
import { ip_route_mtu } from "../../net/ipv4/route.ts";
import { snmp } from "../../net/ipv4/snmp.ts";
import { TCP_CLOSE, TCP_ESTABLISHED, TCP_SYN_RECV, type TcpSock } from "../../net/ipv4/tcp_sock.ts";
import { tcp_of_frame } from "../helpers/lossy_wire.ts";
import { connected, data_segs, type Pair, pattern, read_all, same_bytes, SYN, tcp_listen, tcp_pair, tcp_socket, X_IP, Y_IP } from "./tcp_harness.ts";

const ROUTER_IP = 0x0a0000fe;

/**
 * An Ethernet frame carrying an ICMP error of `type`/`code` (with `mtu` in the last 16 bits of the
 * header) from `from` to x (or `to`), quoting the IP header and first 8 transport bytes of `orig` — a frame
 * x sent. `patch` may alter the quote (offsets into it: 0 is the quoted IP header).
 */
function icmp_error(orig: Uint8Array, type: number, code: number, mtu = 0, from = ROUTER_IP, patch?: (q: Uint8Array) => void, to = X_IP): Uint8Array {
  const ihl = (orig[14]! & 0x0f) * 4;
  const quote = orig.slice(14, 14 + ihl + 8);
  patch?.(quote);
  const icmp_len = 8 + quote.length;
  const f = new Uint8Array(14 + 20 + icmp_len);
  const v = new DataView(f.buffer);
  f.set(orig.subarray(6, 12), 0); // to x's MAC
  f.set(orig.subarray(0, 6), 6); // from the MAC x sent to
  v.setUint16(12, 0x0800);
  f[14] = 0x45;
  v.setUint16(16, 20 + icmp_len);
  f[22] = 64;
  f[23] = 1;
  v.setUint32(26, from);
  v.setUint32(30, to);
  v.setUint16(24, ip_compute_csum(f, 14, 20));
  const o = 34;
  f[o] = type;
  f[o + 1] = code;
  v.setUint16(o + 6, mtu);
  f.set(quote, o + 8);
  v.setUint16(o + 2, csum_fold(csum_partial(f, o, icmp_len, 0)));
  return f;
}

/** Give `frame` to x as if it came over the wire from y's side. */
function inject(p: Pair, frame: Uint8Array): void {
  p.wire.forward("ba", frame, frame.length);
}

/** The x socket connected from a port to y:`port` (not the listener, not TIME_WAIT). */
function client_sock(p: Pair, port = 5000): TcpSock {
  return p.x.socks().find((s) => s.dport === port)!;
}

/** Catch (and drop) x's SYNs to `port`; the copies land in the returned list. */
function catch_syns(p: Pair, port: number): Uint8Array[] {
  const syns: Uint8Array[] = [];
  p.wire.filter = (f, len, dir) => {
    const t = tcp_of_frame(f.subarray(0, len));
    if (dir === "ab" && t !== null && t.dport === port && (t.flags & SYN) !== 0) {
      syns.push(f.slice(0, len));
      return "drop";
    }
    return "pass";
  };
  return syns;
}

describe("ICMP errors to TCP (tcp_v4_err)", () => {
  it("port unreachable answering a SYN fails connect() with ECONNREFUSED at once, not after the SYN retries", async () => {
    const p = await tcp_pair();
    const syns = catch_syns(p, 7000);
    const fd = tcp_socket(p.x);
    const con = p.x.spawn(() => p.x.ctl().connect(fd, Y_IP, 7000));
    expect(await p.until(() => syns.length > 0, 1e9)).toBe(true);
    const t0 = p.world.clock.now_ns();
    inject(p, icmp_error(syns[0]!, 3, 3, 0, Y_IP));
    expect(await p.until(() => con.done, 100e6)).toBe(true);
    expect(con.value).toBe(-ECONNREFUSED);
    expect(p.world.clock.now_ns() - t0).toBeLessThan(100e6);
    expect(syns.length).toBe(1); // no SYN retransmission happened
    expect(p.x.mib().AttemptFails).toBe(1);
    expect(p.x.socks().filter((s) => s.dport === 7000 && s.state !== TCP_CLOSE)).toEqual([]);
  });

  it("host unreachable during SYN_SENT fails connect() with EHOSTUNREACH", async () => {
    const p = await tcp_pair();
    const syns = catch_syns(p, 7001);
    const fd = tcp_socket(p.x);
    const con = p.x.spawn(() => p.x.ctl().connect(fd, Y_IP, 7001));
    expect(await p.until(() => syns.length > 0, 1e9)).toBe(true);
    inject(p, icmp_error(syns[0]!, 3, 1));
    expect(await p.until(() => con.done, 100e6)).toBe(true);
    expect(con.value).toBe(-EHOSTUNREACH);
    expect(syns.length).toBe(1);
  });

  it("fragmentation needed (mtu 1000) in a bulk transfer: the MSS shrinks, what no longer fits goes again at once, the data arrives intact", async () => {
    const p = await tcp_pair();
    const { cfd, sfd } = await connected(p);
    const xs = client_sock(p);
    const mss_before = xs.mss_cache;
    expect(mss_before).toBe(1448);
    // A link of MTU 1000 appears on the path once 30 data segments went: it drops every bigger
    // datagram, and the first one dropped is answered with "fragmentation needed".
    let seen = 0;
    let dropped = 0;
    const to_answer: Uint8Array[] = [];
    let t_drop = 0;
    p.wire.filter = (f, len, dir) => {
      const t = tcp_of_frame(f.subarray(0, len));
      if (dir !== "ab" || t === null || t.payload === 0) return "pass";
      if (++seen <= 30 || len - 14 <= 1000) return "pass";
      if (dropped++ === 0) {
        to_answer.push(f.slice(0, len));
        t_drop = p.world.clock.now_ns();
      }
      return "drop";
    };
    const data = pattern(300_000, 5);
    const w = p.x.spawn(() => p.x.ctl().send(cfd, data));
    const r = p.y.spawn(() => read_all(p.y.ctl(), sfd, data.length));
    let t_icmp = 0;
    let dropped_seq = -1;
    for (let i = 0; i < 20_000 && !(w.done && r.done); i++) {
      await p.step(1e6);
      const f = to_answer.shift();
      if (f !== undefined) {
        dropped_seq = tcp_of_frame(f)!.seq;
        inject(p, icmp_error(f, 3, 4, 1000));
        t_icmp = p.world.clock.now_ns();
      }
    }
    expect(w.value).toBe(data.length);
    expect(r.done).toBe(true);
    expect(same_bytes(r.value?.data, data)).toBe(true);
    expect(dropped).toBeGreaterThan(0);
    expect(t_icmp).toBeGreaterThan(t_drop);
    // The path MTU cache learned it; the MSS follows (1000 - 40 - 12 bytes of timestamps).
    expect(p.x.k(() => ip_route_mtu(Y_IP))).toBe(1000);
    expect(xs.mss_cache).toBe(948);
    // Every data segment sent after the ICMP fits; the lost ones went again without waiting for
    // the retransmission timer.
    const after = data_segs(p, "ab").filter((s) => s.t >= t_icmp);
    expect(after.length).toBeGreaterThan(100);
    expect(Math.max(...after.map((s) => s.len))).toBeLessThanOrEqual(948);
    expect(p.x.ext().TCPTimeouts).toBe(0);
    expect(p.x.mib().RetransSegs).toBeGreaterThan(0);
    // The dropped segment went again, cut to the new MSS, as soon as the ICMP came in
    // (tcp_simple_retransmit), and TCP never left IP to fragment anything.
    const again = after.find((s) => s.seq === dropped_seq)!;
    expect(again.t - t_icmp).toBeLessThan(1e6);
    expect(again.len).toBe(948);
    expect(p.x.k(() => snmp.get().Ip.FragCreates)).toBe(0);
  });

  it("an error quoting a sequence number outside snd_una..snd_nxt is ignored and counted (OutOfWindowIcmps); in the window it is a soft error", async () => {
    const p = await tcp_pair();
    let last: Uint8Array | null = null;
    p.wire.tap = (f, len, dir) => {
      if (dir === "ab" && tcp_of_frame(f.subarray(0, len)) !== null) last = f.slice(0, len);
    };
    const { cfd } = await connected(p);
    const xs = client_sock(p);
    expect(xs.state).toBe(TCP_ESTABLISHED);
    const orig = last!;
    // TCP asks for path MTU discovery (IP_PMTUDISC_WANT): DF on a segment that fits.
    expect(orig[14 + 6]! & 0x40).toBe(0x40);
    const ihl = (orig[14]! & 0x0f) * 4;
    const with_seq = (seq: number) => (q: Uint8Array) => new DataView(q.buffer, q.byteOffset).setUint32(ihl + 4, seq >>> 0);
    inject(p, icmp_error(orig, 3, 3, 0, Y_IP, with_seq(xs.snd_nxt + 100_000)));
    await p.step(10e6);
    expect(p.x.ext().OutOfWindowIcmps).toBe(1);
    expect(xs.state).toBe(TCP_ESTABLISHED);
    expect(xs.sk_err_soft).toBe(0);
    inject(p, icmp_error(orig, 3, 3, 0, Y_IP, with_seq(xs.snd_una - 1)));
    await p.step(10e6);
    expect(p.x.ext().OutOfWindowIcmps).toBe(2);
    expect(xs.sk_err_soft).toBe(0);
    // In the window, established: a soft error only (RFC 1122 4.2.3.9); SO_ERROR stays 0 while the
    // connection lives, and it still carries data.
    inject(p, icmp_error(orig, 3, 3, 0, Y_IP, with_seq(xs.snd_una)));
    await p.step(10e6);
    expect(p.x.ext().OutOfWindowIcmps).toBe(2);
    expect(xs.state).toBe(TCP_ESTABLISHED);
    expect(xs.sk_err_soft).toBe(ECONNREFUSED);
    expect(p.x.ctl().getsockopt(cfd, SOL_SOCKET, SO_ERROR)).toBe(0);
    const s = p.x.spawn(() => p.x.ctl().send(cfd, pattern(100)));
    expect(await p.until(() => s.done, 1e9)).toBe(true);
    expect(s.value).toBe(100);
  });

  it("a soft error replaces ETIMEDOUT when the connection later times out", async () => {
    const p = await tcp_pair({ sysctl: { tcp_retries2: 3 } });
    const { cfd } = await connected(p);
    const xs = client_sock(p);
    // y vanishes: every data segment is lost; the first is answered with host unreachable.
    const answer: Uint8Array[] = [];
    p.wire.filter = (f, len, dir) => {
      const t = tcp_of_frame(f.subarray(0, len));
      if (dir === "ab" && t !== null && t.payload > 0) {
        if (answer.length === 0 && xs.sk_err_soft === 0) answer.push(f.slice(0, len));
        return "drop";
      }
      return "pass";
    };
    const s = p.x.spawn(() => p.x.ctl().send(cfd, pattern(1000)));
    await p.until(() => answer.length > 0, 1e9);
    inject(p, icmp_error(answer.shift()!, 3, 1));
    await p.step(10e6);
    expect(xs.sk_err_soft).toBe(EHOSTUNREACH);
    expect(xs.state).toBe(TCP_ESTABLISHED);
    expect(s.done).toBe(true);
    expect(await p.until(() => xs.state === TCP_CLOSE, 120e9)).toBe(true);
    expect(p.x.ctl().getsockopt(cfd, SOL_SOCKET, SO_ERROR)).toBe(EHOSTUNREACH);
  });

  it("a quoted header that is not IPv4, or too short for its IHL, counts in Icmp InErrors and reaches no socket", async () => {
    const p = await tcp_pair();
    const syns = catch_syns(p, 7002);
    const fd = tcp_socket(p.x);
    const con = p.x.spawn(() => p.x.ctl().connect(fd, Y_IP, 7002));
    expect(await p.until(() => syns.length > 0, 1e9)).toBe(true);
    const errs0 = p.x.k(() => snmp.get().Icmp.InErrors);
    inject(p, icmp_error(syns[0]!, 3, 3, 0, Y_IP, (q) => (q[0] = 0x65))); // version 6
    inject(p, icmp_error(syns[0]!, 3, 3, 0, Y_IP, (q) => (q[0] = 0x44))); // IHL 4
    inject(p, icmp_error(syns[0]!, 3, 3, 0, Y_IP, (q) => (q[0] = 0x47))); // IHL 7: the 8 bytes after it missing
    await p.step(10e6);
    expect(p.x.k(() => snmp.get().Icmp.InErrors) - errs0).toBe(3);
    expect(con.done).toBe(false);
    expect(client_sock(p, 7002).sk_err).toBe(0);
    // The same error, well formed, still aborts it.
    inject(p, icmp_error(syns[0]!, 3, 3, 0, Y_IP));
    expect(await p.until(() => con.done, 100e6)).toBe(true);
    expect(con.value).toBe(-ECONNREFUSED);
  });

  it("a handshake in a listener's queue: an error quoting another sequence than its SYN-ACK's is counted and ignored; host unreachable drops it (ListenDrops)", async () => {
    const p = await tcp_pair();
    const synacks: Uint8Array[] = [];
    p.wire.filter = (f, len, dir) => {
      const t = tcp_of_frame(f.subarray(0, len));
      if (dir === "ba" && t !== null && t.sport === 5000 && (t.flags & SYN) !== 0) {
        synacks.push(f.slice(0, len));
        return "drop";
      }
      return "pass";
    };
    const lfd = tcp_listen(p.y, 5000);
    const fd = tcp_socket(p.x);
    p.x.spawn(() => p.x.ctl().connect(fd, Y_IP, 5000));
    expect(await p.until(() => synacks.length > 0, 1e9)).toBe(true);
    const child = p.y.socks().find((s) => s.sport === 5000 && s.state === TCP_SYN_RECV)!;
    expect(child).toBeDefined();
    const ihl = (synacks[0]![14]! & 0x0f) * 4;
    const to_y = (f: Uint8Array): void => p.wire.forward("ab", f, f.length);
    to_y(icmp_error(synacks[0]!, 3, 1, 0, ROUTER_IP, (q) => new DataView(q.buffer, q.byteOffset).setUint32(ihl + 4, (child.iss + 1) >>> 0), Y_IP));
    await p.step(10e6);
    expect(p.y.ext().OutOfWindowIcmps).toBe(1);
    expect(p.y.socks().includes(child)).toBe(true);
    // Port unreachable is not a reason to drop a handshake (tcp_req_err's abort set).
    to_y(icmp_error(synacks[0]!, 3, 3, 0, ROUTER_IP, undefined, Y_IP));
    await p.step(10e6);
    expect(p.y.socks().includes(child)).toBe(true);
    const drops = p.y.ext().ListenDrops;
    to_y(icmp_error(synacks[0]!, 3, 1, 0, ROUTER_IP, undefined, Y_IP));
    await p.step(10e6);
    expect(p.y.socks().includes(child)).toBe(false);
    expect(p.y.ext().ListenDrops).toBe(drops + 1);
    expect(lfd).toBeGreaterThan(0);
  });
});
