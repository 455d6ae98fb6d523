/**
 * TCP's state machine between two booted hosts (RFC 9293 §3.3.2): the handshake with its options,
 * data both ways, the active and passive close through every state, simultaneous open and close,
 * TIME-WAIT's 60 seconds and the reuse of its 4-tuple, and a refused connection.
 */
import { describe, expect, it } from "vitest";
import { ECONNREFUSED, EADDRINUSE, EADDRNOTAVAIL } from "../../include/linux/errno.ts";
import { SO_REUSEADDR, SOL_SOCKET } from "../../include/uapi/in.ts";
import {
  TCP_CLOSE_WAIT,
  TCP_CLOSING,
  TCP_ESTABLISHED,
  TCP_FIN_WAIT1,
  TCP_FIN_WAIT2,
  TCP_LAST_ACK,
  TCP_LISTEN,
  TCP_SYN_RECV,
  TCP_SYN_SENT,
  TCP_TIME_WAIT,
} from "../../net/ipv4/tcp_sock.ts";
import { tcp_net } from "../../net/ipv4/tcp_net.ts";
import { ACK, connected, FIN, flag_names, parse_opts, pattern, read_all, RST, states, SYN, tcp_listen, tcp_pair, tcp_socket, X_IP, Y_IP } from "./tcp_harness.ts";
import { tcp_of_frame } from "../helpers/lossy_wire.ts";

describe("TCP handshake and data", () => {
  it("opens with SYN, SYN-ACK, ACK carrying MSS, SACK-permitted, timestamps and window scale, and moves data both ways", async () => {
    const p = await tcp_pair();
    const { cfd, sfd } = await connected(p);
    const [syn, synack, ack] = p.segs;
    expect([syn, synack, ack].map((s) => `${s!.dir} ${flag_names(s!.flags)}`)).toEqual(["ab SYN", "ba SYN|ACK", "ab ACK"]);
    expect(synack!.ack).toBe((syn!.seq + 1) >>> 0);
    expect(ack!.ack).toBe((synack!.seq + 1) >>> 0);
    // Linux's SYN: mss 1460, sackOK, TS val/ecr 0, nop, wscale 7; window 64240 (64 KiB rounded to segments).
    const o = parse_opts(syn!.opts);
    expect(o.map(([k]) => k)).toEqual([2, 4, 8, 3]);
    expect(new DataView(o[0]![1].buffer, o[0]![1].byteOffset).getUint16(0)).toBe(1460);
    expect(o[3]![1][0]).toBe(7);
    expect(new DataView(o[2]![1].buffer, o[2]![1].byteOffset).getUint32(4)).toBe(0); // TSecr
    expect(syn!.window).toBe(64240);
    expect(syn!.opts.length).toBe(20);
    // The SYN-ACK answers with the same set, echoing the SYN's timestamp.
    const so = parse_opts(synack!.opts);
    expect(so.map(([k]) => k)).toEqual([2, 4, 8, 3]);
    expect(new DataView(so[2]![1].buffer, so[2]![1].byteOffset).getUint32(4)).toBe(new DataView(o[2]![1].buffer, o[2]![1].byteOffset).getUint32(0));
    expect(states(p.x)).toEqual([TCP_ESTABLISHED]);
    expect(states(p.y, 5000)).toEqual([TCP_ESTABLISHED, TCP_LISTEN]);
    expect(p.x.mib().ActiveOpens).toBe(1);
    expect(p.y.mib().PassiveOpens).toBe(1);
    expect(p.x.mib().CurrEstab).toBe(1);

    const up = pattern(30000, 1);
    const down = pattern(20000, 2);
    const sx = p.x.spawn(async () => [await p.x.ctl().send(cfd, up), await read_all(p.x.ctl(), cfd, down.length)] as const);
    const sy = p.y.spawn(async () => [await p.y.ctl().send(sfd, down), await read_all(p.y.ctl(), sfd, up.length)] as const);
    await p.until(() => sx.done && sy.done);
    expect(sx.value![0]).toBe(up.length);
    expect(sy.value![0]).toBe(down.length);
    expect(sx.value![1].data).toEqual(down);
    expect(sy.value![1].data).toEqual(up);
    // Every data segment carries the timestamp option and at most MSS - 12 = 1448 bytes.
    for (const s of p.segs.filter((s) => s.len > 0)) {
      expect(s.len).toBeLessThanOrEqual(1448);
      expect(parse_opts(s.opts).map(([k]) => k)).toContain(8);
    }
  });

  it("goes through FIN-WAIT-1, FIN-WAIT-2, TIME-WAIT on the active side and CLOSE-WAIT, LAST-ACK on the passive side", async () => {
    const p = await tcp_pair();
    const { cfd, sfd } = await connected(p);
    p.x.ctl().close(cfd);
    expect(states(p.x)).toEqual([TCP_FIN_WAIT1]);
    await p.step(5e6);
    // The peer ACKs the FIN from its delayed-ACK timer (no data came, so the ACK timeout is 0).
    expect(states(p.x)).toEqual([TCP_FIN_WAIT2]);
    expect(states(p.y, 5000)).toEqual([TCP_CLOSE_WAIT, TCP_LISTEN]);
    expect(p.y.ext().DelayedACKs).toBe(1);
    // The reader sees the end of the stream; its close sends the FIN.
    const r = p.y.spawn(() => read_all(p.y.ctl(), sfd));
    await p.until(() => r.done);
    expect(r.value).toEqual({ data: new Uint8Array(0), end: 0 });
    p.y.ctl().close(sfd);
    expect(states(p.y, 5000)).toEqual([TCP_LAST_ACK, TCP_LISTEN]);
    await p.step(5e6);
    expect(states(p.x)).toEqual([TCP_TIME_WAIT]);
    expect(states(p.y, 5000)).toEqual([TCP_LISTEN]);
    const fins = p.segs.filter((s) => s.flags & FIN).map((s) => s.dir);
    expect(fins).toEqual(["ab", "ba"]);
    expect(p.x.mib().CurrEstab).toBe(0);
    expect(p.x.mib().EstabResets).toBe(0);
    // TIME-WAIT lasts 60 s (TCP_TIMEWAIT_LEN).
    await p.step(59e9);
    expect(states(p.x)).toEqual([TCP_TIME_WAIT]);
    await p.step(2e9);
    expect(states(p.x)).toEqual([]);
    expect(p.x.ext().TW).toBe(1);
  });

  it("a retransmitted FIN in TIME-WAIT is ACKed again and restarts the 60 s", async () => {
    const p = await tcp_pair();
    const { cfd, sfd } = await connected(p);
    p.x.ctl().close(cfd);
    await p.step(100e6);
    // Lose x's final ACK: y retransmits its FIN after its RTO.
    let dropped = 0;
    p.wire.filter = (_f, _len, dir) => (dir === "ab" && dropped++ === 0 ? "drop" : "pass");
    p.y.ctl().close(sfd);
    await p.step(10e6);
    expect(states(p.x)).toEqual([TCP_TIME_WAIT]);
    expect(states(p.y, 5000)).toEqual([TCP_LAST_ACK, TCP_LISTEN]);
    const t_tw = p.world.clock.now_ns();
    await p.step(2e9);
    expect(states(p.y, 5000)).toEqual([TCP_LISTEN]);
    expect(p.y.mib().RetransSegs).toBe(1);
    expect(p.x.ext().TCPTimeWaitSegs).toBe(1);
    // 60 s from the retransmitted FIN, not from the first.
    await p.until(() => states(p.x).length === 0, 120e9);
    expect(p.world.clock.now_ns() - t_tw).toBeGreaterThan(60.1e9);
  });

  it("simultaneous open: crossing SYNs lead both sides through SYN-RECEIVED to ESTABLISHED", async () => {
    const p = await tcp_pair({ lossy: { delay_ns: 1_000_000 } });
    // Let ARP finish first, so both SYNs leave at once.
    const warm = tcp_socket(p.x);
    const w = p.x.spawn(() => p.x.ctl().connect(warm, Y_IP, 9));
    await p.until(() => w.done);
    expect(w.value).toBe(-ECONNREFUSED);
    p.segs.length = 0;
    const fx = tcp_socket(p.x);
    const fy = tcp_socket(p.y);
    expect(p.x.ctl().bind(fx, 0, 6000)).toBe(0);
    expect(p.y.ctl().bind(fy, 0, 6001)).toBe(0);
    const cx = p.x.spawn(() => p.x.ctl().connect(fx, Y_IP, 6001));
    const cy = p.y.spawn(() => p.y.ctl().connect(fy, X_IP, 6000));
    await p.step(200_000);
    expect(states(p.x, 6000)).toEqual([TCP_SYN_SENT]);
    expect(states(p.y, 6001)).toEqual([TCP_SYN_SENT]);
    await p.step(1_100_000);
    expect(states(p.x, 6000)).toEqual([TCP_SYN_RECV]);
    expect(states(p.y, 6001)).toEqual([TCP_SYN_RECV]);
    await p.until(() => cx.done && cy.done);
    expect([cx.value, cy.value]).toEqual([0, 0]);
    expect(states(p.x, 6000)).toEqual([TCP_ESTABLISHED]);
    expect(states(p.y, 6001)).toEqual([TCP_ESTABLISHED]);
    expect(p.segs.slice(0, 4).map((s) => flag_names(s.flags))).toEqual(["SYN", "SYN", "SYN|ACK", "SYN|ACK"]);
    expect(p.x.mib().ActiveOpens).toBe(2);
    // And it carries data.
    const s = p.x.spawn(() => p.x.ctl().send(fx, pattern(5000)));
    const r = p.y.spawn(() => read_all(p.y.ctl(), fy, 5000));
    await p.until(() => s.done && r.done);
    expect(r.value!.data).toEqual(pattern(5000));
  });

  it("simultaneous close: crossing FINs lead both sides through CLOSING to TIME-WAIT", async () => {
    const p = await tcp_pair({ lossy: { delay_ns: 1_000_000 } });
    const { cfd, sfd } = await connected(p);
    p.x.ctl().close(cfd);
    p.y.ctl().close(sfd);
    expect(states(p.x)).toEqual([TCP_FIN_WAIT1]);
    expect(states(p.y, 5000)).toEqual([TCP_FIN_WAIT1, TCP_LISTEN]);
    await p.step(1_500_000);
    expect(states(p.x)).toEqual([TCP_CLOSING]);
    expect(states(p.y, 5000)).toEqual([TCP_LISTEN, TCP_CLOSING]);
    await p.step(1_000_000);
    expect(states(p.x)).toEqual([TCP_TIME_WAIT]);
    expect(states(p.y, 5000)).toEqual([TCP_TIME_WAIT, TCP_LISTEN]);
    await p.step(61e9);
    expect(states(p.x)).toEqual([]);
    expect(states(p.y, 5000)).toEqual([TCP_LISTEN]);
  });

  it("connect to a port nobody listens on is refused with a RST", async () => {
    const p = await tcp_pair();
    const fd = tcp_socket(p.x);
    const c = p.x.spawn(() => p.x.ctl().connect(fd, Y_IP, 4444));
    await p.until(() => c.done);
    expect(c.value).toBe(-ECONNREFUSED);
    const rst = p.segs.find((s) => s.flags & RST)!;
    expect(flag_names(rst.flags)).toBe("RST|ACK");
    expect(rst.seq).toBe(0);
    expect(rst.ack).toBe((p.segs[0]!.seq + 1) >>> 0);
    expect(p.x.mib().AttemptFails).toBe(1);
    expect(p.y.mib().OutRsts).toBe(1);
    expect(p.y.ext().TCPDropNoSocket).toBe(1);
    // The socket is closed; a second connect starts again (and is refused again).
    const c2 = p.x.spawn(() => p.x.ctl().connect(fd, Y_IP, 4444));
    await p.until(() => c2.done);
    expect(c2.value).toBe(-ECONNREFUSED);
  });
});

describe("TIME-WAIT reuse", () => {
  it("a SYN with a higher sequence number takes over the server's TIME-WAIT 4-tuple", async () => {
    const p = await tcp_pair();
    const reuse = (h: typeof p.x) => (fd: number) => expect(h.ctl().setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, 1)).toBe(0);
    const { cfd, sfd, lfd } = await connected(p, 5000, { before_connect: (fd) => p.x.ctl().bind(fd, 0, 7777) });
    // The server closes first: its side ends in TIME-WAIT.
    p.y.ctl().close(sfd);
    await p.step(10e6);
    const r = p.x.spawn(() => read_all(p.x.ctl(), cfd));
    await p.until(() => r.done);
    p.x.ctl().close(cfd);
    await p.step(10e6);
    expect(states(p.y, 5000)).toEqual([TCP_TIME_WAIT, TCP_LISTEN]);
    expect(states(p.x)).toEqual([]);
    // Same client port again, a second later: the SYN lands on the TIME-WAIT sock, which yields.
    await p.step(1e9);
    const fd2 = tcp_socket(p.x);
    reuse(p.x)(fd2);
    expect(p.x.ctl().bind(fd2, 0, 7777)).toBe(0);
    const acc = p.y.spawn(() => p.y.ctl().accept(p.y.owner, lfd, 0));
    const con = p.x.spawn(() => p.x.ctl().connect(fd2, Y_IP, 5000));
    await p.until(() => acc.done && con.done);
    expect(con.value).toBe(0);
    expect(p.y.ext().TWRecycled).toBe(1);
    expect(states(p.y, 5000)).toEqual([TCP_ESTABLISHED, TCP_LISTEN]);
  });

  it("the client's own TIME-WAIT holds its port: bind needs SO_REUSEADDR, connect to the same peer needs tcp_tw_reuse", async () => {
    const p = await tcp_pair();
    const { cfd, sfd } = await connected(p, 5000, {
      before_connect: (fd) => {
        p.x.ctl().setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, 1);
        p.x.ctl().bind(fd, 0, 7777);
      },
    });
    p.x.ctl().close(cfd);
    await p.step(100e6);
    p.y.ctl().close(sfd);
    await p.step(10e6);
    expect(states(p.x)).toEqual([TCP_TIME_WAIT]);
    const plain = tcp_socket(p.x);
    expect(p.x.ctl().bind(plain, 0, 7777)).toBe(-EADDRINUSE);
    const fd = tcp_socket(p.x);
    p.x.ctl().setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, 1);
    expect(p.x.ctl().bind(fd, 0, 7777)).toBe(0);
    // tcp_tw_reuse = 2 (Linux's default) reuses only over loopback.
    const c = p.x.spawn(() => p.x.ctl().connect(fd, Y_IP, 5000));
    await p.until(() => c.done);
    expect(c.value).toBe(-EADDRNOTAVAIL);
    // With tcp_tw_reuse = 1 and timestamps at least a second old, it may.
    await p.step(1.1e9);
    expect(p.x.ctl().close(fd)).toBe(0);
    p.x.k(() => (tcp_net.get().sysctl.tcp_tw_reuse = 1));
    const fd3 = tcp_socket(p.x);
    p.x.ctl().setsockopt(fd3, SOL_SOCKET, SO_REUSEADDR, 1);
    expect(p.x.ctl().bind(fd3, 0, 7777)).toBe(0);
    const c3 = p.x.spawn(() => p.x.ctl().connect(fd3, Y_IP, 5000));
    await p.until(() => c3.done);
    expect(c3.value).toBe(0);
    expect(p.x.ext().TWRecycled).toBe(1);
  });
});

describe("SYN-RECEIVED and the ISN", () => {
  it("a child whose handshake never completes resends its SYN-ACK (tcp_synack_retries 5) and is dropped at 63 s", async () => {
    const p = await tcp_pair();
    const lfd = tcp_listen(p.y, 5000);
    // x's ACKs never arrive: x is established, y's child waits in SYN-RECEIVED.
    p.wire.filter = (f, len, dir) => (dir === "ab" && (tcp_of_frame(f.subarray(0, len))?.flags ?? 0) & ACK ? "drop" : "pass");
    const fd = tcp_socket(p.x);
    const t0 = p.world.clock.now_ns();
    const c = p.x.spawn(() => p.x.ctl().connect(fd, Y_IP, 5000));
    await p.until(() => c.done);
    expect(states(p.y, 5000)).toEqual([TCP_SYN_RECV, TCP_LISTEN]);
    expect((p.y.ctl().inet_diag() as { state: number }[]).map((d) => d.state)).toContain(TCP_SYN_RECV);
    await p.step(70e9);
    const synacks = p.segs.filter((s) => s.dir === "ba" && s.flags === (SYN | ACK)).map((s) => Math.round((s.t - t0) / 1e9));
    expect(synacks).toEqual([0, 1, 3, 7, 15, 31]);
    expect(states(p.y, 5000)).toEqual([TCP_LISTEN]);
    expect(p.y.mib().AttemptFails).toBe(1);
    void lfd;
  });

  it("initial sequence numbers follow RFC 6528: a keyed hash of the 4-tuple plus a 4 µs clock", async () => {
    const p = await tcp_pair();
    tcp_listen(p.y, 5000);
    /** The SYN of a connection from `sport`: its sequence number and when it left. */
    const syn_of = async (q: typeof p, sport: number): Promise<{ seq: number; t: number }> => {
      const fd = tcp_socket(q.x);
      q.x.ctl().setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, 1);
      expect(q.x.ctl().bind(fd, 0, sport)).toBe(0);
      const c = q.x.spawn(() => q.x.ctl().connect(fd, Y_IP, 5000));
      await q.until(() => c.done);
      const syn = [...q.segs].reverse().find((s) => s.flags === SYN && s.sport === sport)!;
      q.x.ctl().close(fd);
      await q.step(1e6);
      return syn;
    };
    // How far b's ISN is from a's beyond the clock (the SYN is seen on the wire a few µs after the
    // ISN was chosen, so a tick may fall in between: ±1).
    const off = (a: { seq: number; t: number }, b: { seq: number; t: number }): number => Math.abs(((b.seq - a.seq) | 0) - Math.round((b.t - a.t) / 4000));
    const a1 = await syn_of(p, 7001);
    await p.step(1e9);
    const a2 = await syn_of(p, 7002);
    await p.step(100e9); // the first connection's TIME-WAIT is over
    const a3 = await syn_of(p, 7001);
    // Same 4-tuple later: the ISN moved by the elapsed time in 4 µs ticks, exactly.
    expect(off(a1, a3)).toBeLessThanOrEqual(1);
    // Another port: the hash differs (not just the second that passed).
    expect(off(a1, a2)).toBeGreaterThan(1000);
    // The same boot (same command line, same secret) gives the same numbers.
    const q = await tcp_pair();
    tcp_listen(q.y, 5000);
    const b1 = await syn_of(q, 7001);
    expect(off(a1, b1)).toBeLessThanOrEqual(1);
  });
});
