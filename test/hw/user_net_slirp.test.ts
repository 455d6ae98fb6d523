/**
 * The user network's TCP NAT against the in-memory host (hw/net/slirp_fake.ts), with a booted
 * guest on the virtual clock: nc and small socket programs reach "host" servers at 10.0.2.2 and
 * outside addresses; bytes go both ways intact, half-close, refusal and unreachability reach the
 * guest as errno values, resets go both ways, back-pressure holds both ways, and a bulk transfer
 * survives a lossy hub. Every case checks the counters `~info network` shows.
 */
import { describe, expect, it } from "vitest";
import type { FakePeer } from "../../hw/net/slirp_fake.ts";
import { SLIRP_RCVBUF, SLIRP_SNDBUF } from "../../hw/net/slirp_tcp_subr.ts";
import { boot_slirp_guest, fnv, pattern } from "./user_net_slirp_harness.ts";

const LOOPBACK = 0x7f000001;

describe("guest TCP to the host through the NAT", () => {
  it("nc 10.0.2.2 PORT: bytes both ways, the guest's FIN ends the host's reading side, the host's FIN ends nc", async () => {
    const g = await boot_slirp_guest({ command: "sleep 0.2; nc 10.0.2.2 8000; echo rc=$?; sleep 1000" });
    let peer: FakePeer | null = null;
    g.host.serve(LOOPBACK, 8000, (p) => {
      peer = p;
      p.write("hello from host\n");
    });
    await g.step(0.5e9);
    expect(g.host.connects).toEqual([[LOOPBACK, 8000]]);
    expect(g.out()).toBe("hello from host\n");
    g.tm.machine.uart.receive("hello from guest\n");
    await g.step(0.1e9);
    const p = peer as unknown as FakePeer;
    expect(p.text()).toBe("hello from guest\n");
    // ^D: nc shuts its sending side; the host sees the end of the stream, the connection stays open.
    g.tm.machine.uart.receive("\x04");
    await g.step(0.1e9);
    expect(p.got_end).toBe(true);
    expect(g.out()).toBe("hello from host\n"); // a -c run's console input is data: not echoed (ECHO off)
    // The host still sends after the guest's FIN (half-close), then ends too.
    p.write("late line\n");
    p.end();
    await g.step(0.1e9);
    expect(g.out()).toBe("hello from host\nlate line\nrc=0\n");
    const st = g.user.tcp!.stats;
    expect(st).toMatchObject({ opened: 1, closed: 1, refused: 0, reset_by_guest: 0, reset_by_host: 0, bytes_to_host: 17, bytes_to_guest: 26, bad_csum: 0, retransmits: 0 });
    expect(g.user.tcp!.count).toBe(0);
    expect(p.state).toBe("closed");
    expect(g.host.open_sockets).toBe(0);
  });

  it("maps 10.0.2.3 to the host's loopback too, except port 53; other addresses go out as they are", async () => {
    const g = await boot_slirp_guest({ command: "sleep 0.2; nc 10.0.2.3 8000 a; nc 1.2.3.4 80 b; nc 10.0.2.3 53 c; echo rc=$?; sleep 1000" });
    const seen: string[] = [];
    for (const [addr, port] of [
      [LOOPBACK, 8000],
      [0x01020304, 80],
    ] as const) {
      g.host.serve(addr, port, (p) => {
        p.on_data = (b) => seen.push(`${port}:${new TextDecoder().decode(b)}`);
        p.on_end = () => p.end();
      });
    }
    await g.step(1e9);
    expect(seen).toEqual(["8000:a\n", "80:b\n"]);
    expect(g.host.connects).toEqual([
      [LOOPBACK, 8000],
      [0x01020304, 80],
    ]);
    expect(g.out()).toBe("nc: can't connect to remote host (10.0.2.3): Connection refused\nrc=1\n");
    expect(g.user.tcp!.stats.refused).toBe(1);
  });

  it("a refused host connect is an RST (ECONNREFUSED); an unreachable one is ICMP (EHOSTUNREACH); others an RST", async () => {
    const g = await boot_slirp_guest({ command: "sleep 0.2; nc 10.0.2.2 8001; echo rc=$?; nc 192.0.2.1 80; echo rc=$?; nc 198.51.100.1 80; echo rc=$?; sleep 1000" });
    g.host.unreachable.add(0xc0000201);
    g.host.blackhole.add(0xc6336401);
    g.host.connect_timeout_ns = 2e9;
    await g.step(5e9);
    expect(g.out()).toBe(
      "nc: can't connect to remote host (10.0.2.2): Connection refused\nrc=1\n" +
        "nc: can't connect to remote host (192.0.2.1): No route to host\nrc=1\n" +
        "nc: can't connect to remote host (198.51.100.1): Connection refused\nrc=1\n",
    );
    expect(g.user.tcp!.stats).toMatchObject({ opened: 0, refused: 1, unreachable: 1, failed: 1 });
    expect(g.user.tcp!.count).toBe(0);
    // The guest's SYN retransmissions while the host connect was under way were waited for, not answered.
    expect(g.user.tcp!.stats.dropped).toBeGreaterThan(0);
  });

  it("carries 2 MB each way intact (one connection each), with no retransmission on a clean wire", async () => {
    const down = pattern(2_000_000, 3);
    const g = await boot_slirp_guest({ command: "sleep 0.2; tcpget 10.0.2.2 9000; tcpput 10.0.2.2 9001 2000000 7; sleep 1000" });
    g.host.serve(LOOPBACK, 9000, (p) => {
      for (let i = 0; i < down.length; i += 65536) p.write(down.subarray(i, i + 65536));
      p.end();
    });
    let up: FakePeer | null = null;
    g.host.serve(LOOPBACK, 9001, (p) => {
      up = p;
      p.on_end = () => {
        p.write("ok");
        p.end();
      };
    });
    expect(await g.until(() => g.out().includes("answer"), 60e9)).toBe(true);
    expect(g.out()).toBe(`tcpget: 2000000 bytes ${fnv(down)}\ntcpput: sent 2000000\ntcpput: answer 2 bytes 'ok'\n`);
    expect(fnv((up as unknown as FakePeer).data())).toBe(fnv(pattern(2_000_000, 7)));
    const st = g.user.tcp!.stats;
    expect(st).toMatchObject({ opened: 2, closed: 2, retransmits: 0, timeouts: 0, bad_csum: 0, bytes_to_guest: 2_000_002 - 2 + 2, bytes_to_host: 2_000_000 });
    // At most the guest's MSS per segment, and ACKs gathered: fewer ACKs than the guest sent segments.
    expect(st.segs_out).toBeLessThan(1370 + 1370 / 2 + 40);
    expect(g.user.describe()).toMatch(/tcp: conns=0 opened=2 refused=0 unreachable=0 failed=0 closed=2 /);
  });

  it("a host that stops reading blocks the guest's writes (the window closes; nothing piles up) until it reads again", async () => {
    const N = 4_000_000;
    const g = await boot_slirp_guest({ command: "sleep 0.2; tcpput 10.0.2.2 9002 4000000 5; sleep 1000" });
    let peer: FakePeer | null = null;
    g.host.serve(LOOPBACK, 9002, (p) => {
      peer = p;
      p.reading = false;
      p.on_end = () => p.end();
    });
    await g.step(5e9);
    const p = peer as unknown as FakePeer;
    const c = g.user.tcp!.conns()[0]!;
    // The guest's send() is still blocked: what it could push is bounded by our window plus its buffers.
    expect(g.out()).toBe("");
    expect(p.bytes_received).toBe(0);
    expect(p.max_backlog).toBeLessThanOrEqual(SLIRP_RCVBUF + 65536);
    expect(p.max_backlog).toBeGreaterThan(SLIRP_RCVBUF / 2);
    expect(c.rcv_adv - c.rcv_nxt).toBeLessThan(2 * 1460);
    p.reading = true;
    expect(await g.until(() => g.out().includes("answer"), 60e9)).toBe(true);
    expect(g.out()).toBe(`tcpput: sent ${N}\ntcpput: answer 0 bytes\n`);
    expect(fnv(p.data())).toBe(fnv(pattern(N, 5)));
  });

  it("a guest that does not read pauses the host socket: at most SLIRP_SNDBUF (+ one chunk) is queued", async () => {
    const N = 6_000_000;
    const data = pattern(N, 9);
    const g = await boot_slirp_guest({ command: "sleep 0.2; tcpget 10.0.2.2 9003 3000; sleep 1000" });
    g.host.serve(LOOPBACK, 9003, (p) => {
      for (let i = 0; i < N; i += 65536) p.write(data.subarray(i, i + 65536));
      p.end();
    });
    let max_q = 0;
    let paused = false;
    for (let i = 0; i < 25; i++) {
      await g.step(0.1e9);
      const c = g.user.tcp!.conns()[0];
      if (c !== undefined) {
        max_q = Math.max(max_q, c.sq_bytes);
        paused ||= c.paused;
      }
    }
    expect(paused).toBe(true);
    expect(max_q).toBeLessThanOrEqual(SLIRP_SNDBUF + 65536);
    expect(await g.until(() => g.out().includes("tcpget:"), 60e9)).toBe(true);
    expect(g.out()).toBe(`tcpget: ${N} bytes ${fnv(data)}\n`);
  });

  it("RST both ways: a host reset reaches the guest's recv (ECONNRESET); a guest close with unread data resets the host socket", async () => {
    const g = await boot_slirp_guest({ command: "sleep 0.2; tcpget 10.0.2.2 9004; tcpget 10.0.2.2 9005 100 1000; sleep 1000" });
    let first: FakePeer | null = null;
    g.host.serve(LOOPBACK, 9004, (p) => {
      first = p;
      p.write("partial");
    });
    await g.step(0.5e9);
    (first as unknown as FakePeer).reset();
    let second: FakePeer | null = null;
    g.host.serve(LOOPBACK, 9005, (p) => {
      second = p;
      p.write(pattern(200_000, 1));
    });
    await g.step(2e9);
    expect(g.out()).toBe(`tcpget: 7 bytes ${fnv(new TextEncoder().encode("partial"))} (Connection reset by peer)\ntcpget: 1000 bytes ${fnv(pattern(1000, 1))}\n`);
    expect((second as unknown as FakePeer).got_reset).toBe(true);
    expect(g.user.tcp!.stats).toMatchObject({ reset_by_host: 1, reset_by_guest: 1, closed: 0 });
    expect(g.user.tcp!.count).toBe(0);
  });

  it("carries 3 MB each way intact over a lossy, duplicating, reordering hub (retransmission on the virtual clock)", async () => {
    const down = pattern(3_000_000, 11);
    const g = await boot_slirp_guest({
      command: "sleep 0.2; tcpget 10.0.2.2 9006; tcpput 10.0.2.2 9007 3000000 12; sleep 1000",
      lossy: { loss: 0.02, dup: 0.005, reorder: 0.01, delay_ns: 200_000, jitter_ns: 50_000, seed: 5 },
    });
    g.host.serve(LOOPBACK, 9006, (p) => {
      for (let i = 0; i < down.length; i += 65536) p.write(down.subarray(i, i + 65536));
      p.end();
    });
    let up: FakePeer | null = null;
    g.host.serve(LOOPBACK, 9007, (p) => {
      up = p;
      p.on_end = () => p.end();
    });
    expect(await g.until(() => g.out().includes("answer"), 300e9)).toBe(true);
    expect(g.out()).toBe(`tcpget: 3000000 bytes ${fnv(down)}\ntcpput: sent 3000000\ntcpput: answer 0 bytes\n`);
    expect(fnv((up as unknown as FakePeer).data())).toBe(fnv(pattern(3_000_000, 12)));
    // Our last FIN's ACK may have been lost: the guest's TIME_WAIT answers its retransmission.
    expect(await g.until(() => g.user.tcp!.count === 0, 30e9)).toBe(true);
    const st = g.user.tcp!.stats;
    const netem = g.hub!.netem!;
    expect(netem.lost).toBeGreaterThan(100);
    expect(st.retransmits).toBeGreaterThan(20);
    expect(st.fast_retransmits).toBeGreaterThan(0);
    expect(st.ooo_queued + st.dup_segs).toBeGreaterThan(0);
    expect(st).toMatchObject({ opened: 2, closed: 2, reset_by_guest: 0, reset_by_host: 0, timedout: 0 });
  }, 60_000);
});
