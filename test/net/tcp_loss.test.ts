/**
 * Loss, reordering and duplication between two booted hosts: fast retransmit on three duplicate
 * ACKs (with and without SACK), the retransmission timer's exponential backoff and Karn's rule,
 * giving up with ETIMEDOUT (data and SYN), out-of-order data reassembled and SACKed, and bulk
 * transfers over a lossy, reordering, duplicating wire with the byte stream intact.
 */
import { describe, expect, it } from "vitest";
import { ETIMEDOUT } from "../../include/linux/errno.ts";
import { TCP_CA_Open, TCP_CA_Recovery, TCPOPT_SACK } from "../../net/ipv4/tcp_sock.ts";
import { tcp_net } from "../../net/ipv4/tcp_net.ts";
import { tcp_of_frame } from "../helpers/lossy_wire.ts";
import { connected, data_segs, parse_opts, pattern, read_all, same_bytes, SYN, tcp_listen, tcp_pair, tcp_socket, Y_IP, type Pair } from "./tcp_harness.ts";

/** x sends `data` on cfd; y reads it all on sfd. Returns y's bytes. */
async function transfer(p: Pair, cfd: number, sfd: number, data: Uint8Array, max_ns = 60e9): Promise<Uint8Array> {
  const s = p.x.spawn(() => p.x.ctl().send(cfd, data));
  const r = p.y.spawn(() => read_all(p.y.ctl(), sfd, data.length));
  await p.until(() => s.done && r.done, max_ns);
  expect(s.value).toBe(data.length);
  return r.value!.data;
}

/** A filter that drops the first transmission of x's `n`th data segment (1-based). */
function drop_nth_data(p: Pair, n: number, times = 1): { seq: number } {
  const seen = { count: 0, seq: -1, dropped: 0 };
  p.wire.filter = (f, len, dir) => {
    const t = tcp_of_frame(f.subarray(0, len));
    if (dir !== "ab" || t === null || t.payload === 0) return "pass";
    if (seen.seq < 0 && ++seen.count === n) seen.seq = t.seq;
    if (t.seq === seen.seq && seen.dropped < times) {
      seen.dropped++;
      return "drop";
    }
    return "pass";
  };
  return seen;
}

describe("fast retransmit and recovery", () => {
  it("three duplicate ACKs with SACK blocks retransmit the lost segment at once (no timeout)", async () => {
    const p = await tcp_pair();
    const { cfd, sfd } = await connected(p);
    const lost = drop_nth_data(p, 4);
    const data = pattern(200_000, 3);
    expect(await transfer(p, cfd, sfd, data)).toEqual(data);
    const x = p.x.ext();
    expect(x.TCPSackRecovery).toBe(1);
    expect(x.TCPFastRetrans).toBe(1);
    expect(x.TCPTimeouts).toBe(0);
    expect(p.x.mib().RetransSegs).toBe(1);
    expect(p.y.ext().TCPOFOQueue).toBeGreaterThanOrEqual(3);
    // y's duplicate ACKs: ack stays at the hole, and SACK blocks describe what arrived beyond it.
    const dup = p.segs.filter((s) => s.dir === "ba" && s.ack === lost.seq);
    expect(dup.length).toBeGreaterThanOrEqual(4);
    const sacks = dup.slice(1).map((s) => parse_opts(s.opts).find(([k]) => k === TCPOPT_SACK));
    expect(sacks.every((b) => b !== undefined)).toBe(true);
    const first = sacks[0]![1];
    expect(new DataView(first.buffer, first.byteOffset).getUint32(0)).toBe((lost.seq + 1448) >>> 0);
    // The retransmission comes right after the third duplicate, not after an RTO.
    const third = dup[3]!.t;
    const rexmit = data_segs(p, "ab").filter((s) => s.seq === lost.seq)[1]!;
    expect(rexmit.t - third).toBeLessThan(1e6);
  });

  it("without SACK (NewReno) the duplicates alone trigger it, and a partial ACK retransmits the next hole", async () => {
    const p = await tcp_pair({ sysctl: { tcp_sack: 0 } });
    const { cfd, sfd } = await connected(p);
    // Lose two segments of one window: the full ACK for the first is a partial ACK (RFC 6582).
    const seen: number[] = [];
    let n = 0;
    p.wire.filter = (f, len, dir) => {
      const t = tcp_of_frame(f.subarray(0, len));
      if (dir !== "ab" || t === null || t.payload === 0) return "pass";
      n++;
      if ((n === 5 || n === 8) && !seen.includes(t.seq)) {
        seen.push(t.seq);
        return "drop";
      }
      return "pass";
    };
    const data = pattern(300_000, 4);
    expect(await transfer(p, cfd, sfd, data)).toEqual(data);
    const x = p.x.ext();
    expect(x.TCPRenoRecovery).toBe(1);
    expect(x.TCPSackRecovery).toBe(0);
    expect(x.TCPTimeouts).toBe(0);
    expect(p.x.mib().RetransSegs).toBe(2);
    expect(p.segs.some((s) => parse_opts(s.opts).some(([k]) => k === TCPOPT_SACK))).toBe(false);
  });
});

describe("congestion control", () => {
  it("slow start doubles cwnd every round trip from 10 (RFC 6928); a loss halves it, then it grows by one per round trip", async () => {
    // 5 ms each way; a receive buffer big enough (tcp_rmem[1] of 8 MiB: a 4 MiB window) not to
    // limit the window, or cwnd would stop growing where the peer's window caps the flight (RFC 7661).
    const p = await tcp_pair({ lossy: { delay_ns: 5_000_000 } });
    p.y.k(() => (tcp_net.get().sysctl.tcp_rmem[1] = 8 << 20));
    const { cfd, sfd } = await connected(p);
    const tp = () => p.x.socks().find((s) => s.dport === 5000)!;
    expect(tp().snd_cwnd).toBe(10);
    p.y.spawn(() => read_all(p.y.ctl(), sfd));
    p.x.spawn(() => p.x.ctl().send(cfd, pattern(8_000_000)));
    const cwnd: number[] = [];
    await p.step(2e6); // sample just after each round trip's ACKs are in
    for (let i = 0; i < 4; i++) {
      await p.step(10e6);
      cwnd.push(tp().snd_cwnd);
    }
    expect(cwnd).toEqual([20, 40, 80, 160]);
    // Lose one segment: fast recovery halves the window and leaves it at ssthresh.
    drop_nth_data(p, 1);
    await p.until(() => tp().ca_state === TCP_CA_Recovery, 1e9);
    const before = tp().snd_ssthresh;
    await p.until(() => tp().ca_state === TCP_CA_Open, 1e9);
    expect(tp().snd_cwnd).toBe(before);
    // Congestion avoidance: about one segment per round trip (10 ms of delay, plus the time a
    // window takes to leave at 1 Gb/s), where slow start would have doubled it.
    const c0 = tp().snd_cwnd;
    await p.step(100e6);
    expect(tp().snd_cwnd - c0).toBeGreaterThanOrEqual(6);
    expect(tp().snd_cwnd - c0).toBeLessThanOrEqual(10);
    expect(p.x.ext().TCPSackRecovery).toBe(1);
  });
});

describe("retransmission timer", () => {
  it("backs off exponentially (RFC 6298 5.5) and Karn's rule keeps the backed-off RTO", async () => {
    const p = await tcp_pair({ sysctl: { tcp_timestamps: 0 } });
    const { cfd, sfd } = await connected(p);
    const lost = drop_nth_data(p, 1, 3);
    const data = pattern(1000, 5);
    const got = await transfer(p, cfd, sfd, data, 10e9);
    expect(got).toEqual(data);
    const tx = data_segs(p, "ab").filter((s) => s.seq === lost.seq).map((s) => s.t);
    expect(tx.length).toBe(4);
    const gaps = tx.slice(1).map((t, i) => Math.round((t - tx[i]!) / 1e6));
    // RTO 200 ms (the minimum over a sub-millisecond RTT), then 400, then 800.
    expect(gaps).toEqual([200, 400, 800]);
    expect(p.x.ext().TCPTimeouts).toBe(3);
    expect(p.x.mib().RetransSegs).toBe(3);
    const tp = () => p.x.socks().find((s) => s.dport === 5000)!;
    // The ACK covered only retransmitted data: no RTT sample, the RTO stays backed off (8 × 200 ms).
    expect(tp().icsk_rto_ns).toBeGreaterThanOrEqual(1_600_000_000);
    expect(tp().icsk_rto_ns).toBeLessThan(1_610_000_000);
    // A fresh segment's ACK gives a sample and ends the backoff.
    expect(await transfer(p, cfd, sfd, pattern(100, 6))).toEqual(pattern(100, 6));
    await p.step(100e6); // its ACK (delayed or not) is back
    expect(tp().icsk_rto_ns).toBeLessThan(300_000_000);
    expect(tp().icsk_backoff).toBe(0);
  });

  it("gives up after tcp_retries2 (15) retransmissions, about 924.6 s, with ETIMEDOUT", async () => {
    const p = await tcp_pair();
    const { cfd } = await connected(p);
    // TCP is cut off; ARP still works (else the unreachable neighbour, EHOSTUNREACH, is reported).
    p.wire.filter = (f, len) => (tcp_of_frame(f.subarray(0, len)) !== null ? "drop" : "pass");
    const t0 = p.world.clock.now_ns();
    const s = p.x.spawn(() => p.x.ctl().send(cfd, pattern(100)));
    await p.until(() => s.done);
    const r = p.x.spawn(() => p.x.ctl().recv(cfd, new Uint8Array(10)));
    await p.until(() => r.done, 2000e9);
    expect(r.value).toBe(-ETIMEDOUT);
    const dt = (p.world.clock.now_ns() - t0) / 1e9;
    expect(dt).toBeGreaterThan(924);
    expect(dt).toBeLessThan(926);
    expect(p.x.mib().RetransSegs).toBe(15);
    expect(p.x.ext().TCPAbortOnTimeout).toBe(1);
    expect(p.x.socks()).toEqual([]);
  });

  it("a SYN is sent 7 times (tcp_syn_retries 6: at 0, 1, 3, 7, 15, 31, 63 s) before connect fails at 127 s", async () => {
    const p = await tcp_pair();
    p.wire.filter = (f, len) => (tcp_of_frame(f.subarray(0, len)) !== null ? "drop" : "pass");
    const fd = tcp_socket(p.x);
    const t0 = p.world.clock.now_ns();
    const c = p.x.spawn(() => p.x.ctl().connect(fd, Y_IP, 5000));
    await p.until(() => c.done, 200e9);
    expect(c.value).toBe(-ETIMEDOUT);
    const syns = p.segs.filter((s) => s.flags === SYN).map((s) => Math.round((s.t - t0) / 1e9));
    expect(syns).toEqual([0, 1, 3, 7, 15, 31, 63]);
    expect(Math.round((p.world.clock.now_ns() - t0) / 1e9)).toBe(127);
    expect(p.x.mib().AttemptFails).toBe(1);
  });
});

describe("reordering", () => {
  it("out-of-order segments wait in the receive ring, are SACKed, and join the stream when the gap fills", async () => {
    const p = await tcp_pair();
    const { cfd, sfd } = await connected(p);
    // Hold x's third data segment back 30 µs: one or two later segments overtake it.
    let n = 0;
    p.wire.filter = (f, len, dir) => {
      const t = tcp_of_frame(f.subarray(0, len));
      if (dir !== "ab" || t === null || t.payload === 0) return "pass";
      return ++n === 3 ? 30_000 : "pass";
    };
    const data = pattern(30_000, 7);
    expect(await transfer(p, cfd, sfd, data)).toEqual(data);
    expect(p.y.ext().TCPOFOQueue).toBeGreaterThanOrEqual(1);
    const sacked = p.segs.filter((s) => s.dir === "ba" && parse_opts(s.opts).some(([k]) => k === TCPOPT_SACK));
    expect(sacked.length).toBeGreaterThanOrEqual(1);
    expect(p.x.ext().TCPTimeouts).toBe(0);
  });
});

describe("a lossy wire", () => {
  for (const [seed, loss, dup, reorder, jitter] of [
    [11, 0.02, 0.01, 0.02, 0],
    [12, 0.05, 0.02, 0.05, 50_000],
    [13, 0.1, 0.05, 0.05, 100_000],
  ] as const) {
    it(`moves 3 MB intact with ${loss * 100}% loss, ${dup * 100}% duplication, ${reorder * 100}% reordering (seed ${seed})`, async () => {
      const p = await tcp_pair({ lossy: { seed, loss, dup, reorder, delay_ns: 50_000, jitter_ns: jitter } });
      // Connect over the clean wire's twin: the impairments apply from the first frame, SYN included.
      const lfd = tcp_listen(p.y, 5000);
      const cfd = tcp_socket(p.x);
      const data = pattern(seed === 13 ? 1_000_000 : 3_000_000, seed);
      const rd = p.y.spawn(async () => {
        const c = await p.y.ctl().accept(p.y.owner, lfd, 0);
        if (typeof c === "number") return c;
        const got = await read_all(p.y.ctl(), c.fd);
        p.y.ctl().close(c.fd);
        return got.data;
      });
      const wr = p.x.spawn(async () => {
        const r = await p.x.ctl().connect(cfd, Y_IP, 5000);
        if (r < 0) return r;
        const s = await p.x.ctl().send(cfd, data);
        p.x.ctl().close(cfd);
        return s;
      });
      await p.until(() => rd.done && wr.done, 3000e9);
      expect(wr.value).toBe(data.length);
      expect(same_bytes(rd.value as Uint8Array, data)).toBe(true);
      expect(p.wire.dropped).toBeGreaterThan(0);
      expect(p.wire.duplicated).toBeGreaterThan(0);
      expect(p.x.mib().RetransSegs).toBeGreaterThan(0);
      expect(p.y.ext().TCPOFOQueue).toBeGreaterThan(0);
      expect(p.y.ext().DelayedACKLost).toBeGreaterThan(0); // duplicates answered at once
    }, 60_000);
  }
});
