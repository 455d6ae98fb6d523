/**
 * Flow control and the small timers: a zero window with its probes and the window update,
 * back-pressure on a blocking writer, window scaling, the MSS option and TCP_MAXSEG, Nagle against
 * TCP_NODELAY, delayed ACKs, and keepalive.
 */
import { describe, expect, it } from "vitest";
import { ETIMEDOUT } from "../../include/linux/errno.ts";
import { SO_KEEPALIVE, SO_RCVBUF, SOL_SOCKET, SOL_TCP, TCP_KEEPCNT, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_MAXSEG, TCP_NODELAY } from "../../include/uapi/in.ts";
import { TCPOPT_MSS, TCPOPT_WINDOW } from "../../net/ipv4/tcp_sock.ts";
import { tcp_of_frame } from "../helpers/lossy_wire.ts";
import { dev_get_by_name } from "../../drivers/net/netdev.ts";
import { net_control } from "../../kernel/net_control.ts";
import { ACK, connected, data_segs, flag_names, parse_opts, pattern, read_all, RST, same_bytes, tcp_pair } from "./tcp_harness.ts";

const opt_u16 = (b: Uint8Array): number => (b[0]! << 8) | b[1]!;

describe("flow control", () => {
  it("a reader that stops fills the window: zero window, probes with backoff, then a window update; the writer waits meanwhile", async () => {
    const p = await tcp_pair();
    const { cfd, sfd } = await connected(p);
    const data = pattern(400_000, 9);
    const w = p.x.spawn(() => p.x.ctl().send(cfd, data));
    await p.step(5e9);
    // Back-pressure: 64 KiB sit in y's ring and x's send buffer is full; the writer sleeps.
    expect(w.done).toBe(false);
    const ys = p.y.socks().find((s) => s.sport === 5000 && s.dport !== 0)!;
    expect(ys.rcv_ring!.len).toBeGreaterThanOrEqual(65536); // (a few bytes more: the last window rounded up to 128)
    const xs = p.x.socks()[0]!;
    expect(xs.write_seq - xs.snd_nxt).toBeGreaterThan(0); // queued, not sent
    expect(xs.snd_ring!.len).toBeGreaterThan(xs.snd_ring!.capacity / 2);
    expect(p.segs.some((s) => s.dir === "ba" && s.window === 0)).toBe(true);
    expect(p.y.ext().TCPToZeroWindowAdv).toBe(1);
    // Probes: a byte-less segment one below snd_una, answered with the (still zero) window, at
    // intervals that double.
    const probes = p.segs.filter((s) => s.dir === "ab" && s.len === 0 && s.seq === ((xs.snd_una - 1) >>> 0));
    expect(probes.length).toBeGreaterThanOrEqual(4);
    const gaps = probes.slice(1).map((s, i) => s.t - probes[i]!.t);
    for (let i = 1; i < gaps.length; i++) expect(gaps[i]! / gaps[i - 1]!).toBeCloseTo(2, 1);
    expect(p.x.ext().TCPWinProbe).toBeGreaterThanOrEqual(probes.length);
    expect(p.x.ext().TCPTimeouts).toBe(0);
    // The reader comes back: the window reopens and everything arrives.
    const r = p.y.spawn(() => read_all(p.y.ctl(), sfd, data.length));
    await p.until(() => r.done && w.done, 60e9);
    expect(w.value).toBe(data.length);
    expect(same_bytes(r.value!.data, data)).toBe(true);
    expect(p.y.ext().TCPFromZeroWindowAdv).toBeGreaterThanOrEqual(1);
  });

  it("window scaling: the SYN offers shift 7; a 425984-byte SO_RCVBUF opens a window past 64 KiB (shift 2)", async () => {
    // 2 ms each way: at the link's speed the pipe holds far more than 64 KiB.
    const p = await tcp_pair({ lossy: { delay_ns: 2_000_000 } });
    const { cfd, sfd } = await connected(p, 5000, { before_listen: (fd) => expect(p.y.ctl().setsockopt(fd, SOL_SOCKET, SO_RCVBUF, 1 << 20)).toBe(0) });
    const syn = p.segs[0]!;
    const synack = p.segs[1]!;
    expect(parse_opts(syn.opts).find(([k]) => k === TCPOPT_WINDOW)![1][0]).toBe(7);
    expect(parse_opts(synack.opts).find(([k]) => k === TCPOPT_WINDOW)![1][0]).toBe(2);
    expect(p.y.ctl().getsockopt(sfd, SOL_SOCKET, SO_RCVBUF)).toBe(425984); // capped at rmem_max, doubled
    const data = pattern(2_000_000, 10);
    const w = p.x.spawn(() => p.x.ctl().send(cfd, data));
    const r = p.y.spawn(() => read_all(p.y.ctl(), sfd, data.length));
    await p.until(() => w.done && r.done, 60e9);
    expect(same_bytes(r.value!.data, data)).toBe(true);
    // y's ACKs carry windows scaled by 4, above 65535 bytes; x had more than 64 KiB in flight.
    const wins = p.segs.filter((s) => s.dir === "ba" && !(s.flags & 0x02)).map((s) => s.window * 4);
    expect(Math.max(...wins)).toBeGreaterThan(65535);
    let last_ack = 0;
    let max_inflight = 0;
    for (const s of p.segs) {
      if (s.dir === "ba" && s.flags & ACK) last_ack = s.ack;
      else if (s.dir === "ab" && s.len > 0 && last_ack !== 0) max_inflight = Math.max(max_inflight, ((s.seq + s.len - last_ack) | 0) >>> 0);
    }
    expect(max_inflight).toBeGreaterThan(65535);
    // The other direction stays at shift 7: y → x windows are 64 KiB at most (512 << 7).
    const xwins = p.segs.filter((s) => s.dir === "ab" && !(s.flags & 0x02)).map((s) => s.window);
    expect(Math.max(...xwins)).toBeLessThanOrEqual(512);
  });

  it("MSS: 1460 from the device MTU; TCP_MAXSEG 500 before connect caps both directions' segments", async () => {
    const p = await tcp_pair();
    const { cfd, sfd } = await connected(p, 5000, { before_connect: (fd) => expect(p.x.ctl().setsockopt(fd, SOL_TCP, TCP_MAXSEG, 500)).toBe(0) });
    expect(opt_u16(parse_opts(p.segs[0]!.opts).find(([k]) => k === TCPOPT_MSS)![1])).toBe(500);
    expect(opt_u16(parse_opts(p.segs[1]!.opts).find(([k]) => k === TCPOPT_MSS)![1])).toBe(1460);
    expect(p.x.ctl().getsockopt(cfd, SOL_TCP, TCP_MAXSEG)).toBe(488); // less the 12 bytes of timestamps
    expect(p.y.ctl().getsockopt(sfd, SOL_TCP, TCP_MAXSEG)).toBe(488);
    const a = p.x.spawn(() => p.x.ctl().send(cfd, pattern(10_000)));
    const b = p.y.spawn(() => p.y.ctl().send(sfd, pattern(10_000)));
    const ra = p.y.spawn(() => read_all(p.y.ctl(), sfd, 10_000));
    const rb = p.x.spawn(() => read_all(p.x.ctl(), cfd, 10_000));
    await p.until(() => a.done && b.done && ra.done && rb.done);
    expect(Math.max(...data_segs(p, "ab").map((s) => s.len))).toBe(488);
    expect(Math.max(...data_segs(p, "ba").map((s) => s.len))).toBe(488);
  });
});

describe("Nagle and delayed ACKs", () => {
  async function small_writes(nodelay: boolean): Promise<number> {
    const p = await tcp_pair();
    const { cfd, sfd } = await connected(p);
    if (nodelay) expect(p.x.ctl().setsockopt(cfd, SOL_TCP, TCP_NODELAY, 1)).toBe(0);
    const w = p.x.spawn(async () => {
      for (let i = 0; i < 10; i++) await p.x.ctl().send(cfd, Uint8Array.of(i));
    });
    const r = p.y.spawn(() => read_all(p.y.ctl(), sfd, 10));
    await p.until(() => w.done && r.done);
    expect(r.value!.data).toEqual(Uint8Array.from({ length: 10 }, (_, i) => i));
    return data_segs(p, "ab").length;
  }

  it("Nagle holds small writes while one is unacknowledged; TCP_NODELAY sends each at once", async () => {
    expect(await small_writes(false)).toBe(2);
    expect(await small_writes(true)).toBe(10);
  });

  it("ACKs every second full segment at once, and a lone small segment after the 40 ms delayed-ACK timeout", async () => {
    const p = await tcp_pair();
    const { cfd, sfd } = await connected(p);
    const r = p.y.spawn(() => read_all(p.y.ctl(), sfd, 300_000 + 20));
    const w = p.x.spawn(() => p.x.ctl().send(cfd, pattern(300_000)));
    await p.until(() => w.done);
    await p.step(100e6);
    const full = data_segs(p, "ab").length;
    const acks = p.segs.filter((s) => s.dir === "ba" && s.len === 0).length;
    expect(acks).toBeLessThanOrEqual(Math.ceil(full / 2) + 16); // 16: the quick ACKs of a new connection
    // Now single bytes, 100 ms apart (TCP_NODELAY): each is ACKed by the delayed-ACK timer.
    p.x.ctl().setsockopt(cfd, SOL_TCP, TCP_NODELAY, 1);
    const before = p.y.ext().DelayedACKs;
    const start = p.segs.length;
    for (let i = 0; i < 20; i++) {
      const s = p.x.spawn(() => p.x.ctl().send(cfd, Uint8Array.of(i)));
      await p.until(() => s.done);
      await p.step(100e6);
    }
    await p.until(() => r.done);
    const tail = p.segs.slice(start);
    const delays = tail
      .filter((s) => s.dir === "ab" && s.len === 1)
      .map((d) => tail.find((a) => a.dir === "ba" && a.ack === ((d.seq + 1) >>> 0))!.t - d.t)
      .slice(-5);
    for (const d of delays) expect(Math.round(d / 1e6)).toBe(40);
    expect(p.y.ext().DelayedACKs - before).toBeGreaterThanOrEqual(5);
  });
});

describe("keepalive", () => {
  it("probes an idle connection after TCP_KEEPIDLE, and resets it with ETIMEDOUT after TCP_KEEPCNT unanswered probes", async () => {
    const p = await tcp_pair();
    const { cfd } = await connected(p);
    expect(p.x.ctl().getsockopt(cfd, SOL_TCP, TCP_KEEPIDLE)).toBe(7200);
    expect(p.x.ctl().getsockopt(cfd, SOL_TCP, TCP_KEEPINTVL)).toBe(75);
    expect(p.x.ctl().getsockopt(cfd, SOL_TCP, TCP_KEEPCNT)).toBe(9);
    p.x.ctl().setsockopt(cfd, SOL_TCP, TCP_KEEPIDLE, 10);
    p.x.ctl().setsockopt(cfd, SOL_TCP, TCP_KEEPINTVL, 2);
    p.x.ctl().setsockopt(cfd, SOL_TCP, TCP_KEEPCNT, 3);
    const t0 = p.world.clock.now_ns();
    expect(p.x.ctl().setsockopt(cfd, SOL_SOCKET, SO_KEEPALIVE, 1)).toBe(0);
    await p.step(25e9);
    // The peer answers each probe; the connection lives on, probed every 10 s of silence.
    const probe = (s: { dir: string; len: number; seq: number; flags: number }) => s.dir === "ab" && s.len === 0 && s.flags === ACK && s.seq === ((p.x.socks()[0]!.snd_una - 1) >>> 0);
    const probes = p.segs.filter(probe).map((s) => Math.round((s.t - t0) / 1e9));
    expect(probes).toEqual([10, 20]);
    expect(p.x.ext().TCPKeepAlive).toBe(2);
    // Now the peer is gone (TCP only; ARP still answers).
    p.wire.filter = (f, len) => (tcp_of_frame(f.subarray(0, len)) !== null ? "drop" : "pass");
    const r = p.x.spawn(() => p.x.ctl().recv(cfd, new Uint8Array(4)));
    await p.until(() => r.done, 60e9);
    expect(r.value).toBe(-ETIMEDOUT);
    const all = p.segs.filter((s) => s.dir === "ab" && s.len === 0 && s.flags === ACK && s.t > t0).map((s) => Math.round((s.t - t0) / 1e9));
    expect(all.slice(-4)).toEqual([20, 30, 32, 34]);
    const rst = p.segs.filter((s) => s.dir === "ab" && s.flags & RST);
    expect(rst.map((s) => [flag_names(s.flags), Math.round((s.t - t0) / 1e9)])).toEqual([["RST|ACK", 36]]);
    expect(p.x.ext().TCPKeepAlive).toBe(5);
    expect(p.x.ext().TCPAbortOnTimeout).toBe(1);
  });
});

describe("segmentation offload", () => {
  it("full segments leave as GSO frames the e1000 cuts (TSO); with `ethtool -K eth0 tso off` one by one; the stream is the same", async () => {
    for (const tso of [true, false]) {
      const p = await tcp_pair();
      if (!tso) {
        const r = p.x.spawn(() => p.x.ctl() && p.x.k(() => net_control()!.ethtool("eth0", { cmd: "set_features", changes: { "tx-tcp-segmentation": false } })));
        await p.until(() => r.done);
        await p.step(100e6);
      }
      const { cfd, sfd } = await connected(p);
      const adapter = () => p.x.k(() => dev_get_by_name("eth0")!.priv as { tx_tso: number });
      const data = pattern(1_000_000, 12);
      const w = p.x.spawn(() => p.x.ctl().send(cfd, data));
      const r = p.y.spawn(() => read_all(p.y.ctl(), sfd, data.length));
      await p.until(() => w.done && r.done, 60e9);
      expect(same_bytes(r.value!.data, data)).toBe(true);
      const segs = data_segs(p, "ab");
      expect(Math.max(...segs.map((s) => s.len))).toBe(1448);
      expect(segs.reduce((n, s) => n + s.len, 0)).toBe(data.length);
      if (tso) expect(adapter().tx_tso).toBeGreaterThan(10);
      else expect(adapter().tx_tso).toBe(0);
      // OutSegs counts segments either way (tcp_skb_pcount).
      expect(p.x.mib().OutSegs).toBeGreaterThanOrEqual(segs.length);
    }
  });
});
