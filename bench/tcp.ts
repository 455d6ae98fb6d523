/**
 * TCP over the e1000 full path (bench/bench.ts `--only tcp`): two booted hosts in this process,
 * 10.0.0.1 and 10.0.0.2, each with one e1000 on a clean wire (test/net/tcp_harness.ts, its segment
 * log switched off), the whole stack between the socket calls: tcp_sendmsg → TSO (or segmentation
 * by the stack with `ethtool -K eth0 tso off`) → e1000 TX → wire → e1000 RX → NAPI → tcp_v4_rcv →
 * recv(). Goodput is the application bytes received per second, wall clock and virtual clock.
 */
import { netdev_list } from "../drivers/net/netdev.ts";
import { set_features } from "../drivers/net/netdev_features.ts";
import { NETIF_F_TSO } from "../include/net/netdevice.ts";
import { connected, pattern, tcp_listen, tcp_pair, tcp_socket, Y_IP, type Host, type Pair } from "../test/net/tcp_harness.ts";

export interface BulkResult {
  bytes: number;
  wall_s: number;
  virt_s: number;
  /** Frames that crossed the wire, both ways. */
  frames: number;
}

async function pair(): Promise<Pair> {
  const p = await tcp_pair();
  p.wire.tap = null; // no per-segment log: the bench measures the stack, not the test harness
  return p;
}

/** ethtool -K eth0 tso on|off on `h`. */
async function tso(p: Pair, h: Host, on: boolean): Promise<void> {
  const r = h.spawn(async () => {
    const dev = netdev_list().find((d) => d.type === "ether");
    if (dev === undefined) return -19;
    const err = await set_features(dev, { "tx-tcp-segmentation": on });
    if (err === 0 && ((dev.features & NETIF_F_TSO) !== 0) !== on) return -5;
    return err;
  });
  await p.until(() => r.done, 1e9);
  if (r.value !== 0) throw new Error(`ethtool -K eth0 tso ${on ? "on" : "off"}: ${String(r.value ?? r.error)}`);
}

/**
 * One bulk connection x → y of `bytes` (sent in 64 KiB send() calls), after a warm-up connection of
 * `warm` bytes on the same pair; measured from the first send() to the receiver's end of stream.
 */
export async function tcp_bulk(bytes: number, tso_on: boolean, warm = 4 << 20): Promise<BulkResult> {
  const p = await pair();
  await tso(p, p.x, tso_on);
  await tso(p, p.y, tso_on);
  const chunk = pattern(65536);
  const one = async (port: number, total: number): Promise<BulkResult> => {
    const { cfd, sfd } = await connected(p, port);
    const frames0 = p.wire.frames_in;
    const v0 = p.world.clock.now_ns();
    const t0 = performance.now();
    let got = 0;
    const rx = p.y.spawn(async () => {
      const buf = new Uint8Array(65536);
      for (;;) {
        const r = await p.y.ctl().recv(sfd, buf);
        if (r <= 0) return r;
        got += r;
      }
    });
    const tx = p.x.spawn(async () => {
      let sent = 0;
      while (sent < total) {
        const n = Math.min(chunk.length, total - sent);
        const r = await p.x.ctl().send(cfd, n === chunk.length ? chunk : chunk.subarray(0, n));
        if (r < 0) return r;
        sent += r;
      }
      return p.x.ctl().close(cfd);
    });
    await p.until(() => rx.done, 600e9);
    const wall_s = (performance.now() - t0) / 1000;
    const virt_s = (p.world.clock.now_ns() - v0) / 1e9;
    if (!tx.done || tx.value !== 0 || rx.value !== 0 || got !== total) {
      throw new Error(`tcp bulk: sent ${String(tx.value ?? tx.error)}, receiver ended ${String(rx.value ?? rx.error)} after ${got} of ${total} bytes`);
    }
    p.y.ctl().close(sfd);
    return { bytes: total, wall_s, virt_s, frames: p.wire.frames_in - frames0 };
  };
  await one(5001, warm);
  return one(5002, bytes);
}

/**
 * `n` connections one after another: connect, accept, both ends close (the client first, so its
 * end is the one left in TIME_WAIT, as with a client that hangs up). Returns connections per wall
 * second and per virtual second.
 */
export async function tcp_connect_rate(n: number): Promise<{ per_wall_s: number; per_virt_s: number }> {
  const p = await pair();
  const lfd = tcp_listen(p.y, 6000, 128);
  const run = async (count: number): Promise<{ wall_s: number; virt_s: number }> => {
    const v0 = p.world.clock.now_ns();
    const t0 = performance.now();
    const srv = p.y.spawn(async () => {
      for (let i = 0; i < count; i++) {
        const a = await p.y.ctl().accept(p.y.owner, lfd, 0);
        if (typeof a === "number") return a;
        p.y.ctl().close(a.fd);
      }
      return 0;
    });
    const cli = p.x.spawn(async () => {
      for (let i = 0; i < count; i++) {
        const fd = tcp_socket(p.x);
        const r = await p.x.ctl().connect(fd, Y_IP, 6000);
        p.x.ctl().close(fd);
        if (r !== 0) return r;
      }
      return 0;
    });
    await p.until(() => srv.done && cli.done, 600e9);
    if (srv.value !== 0 || cli.value !== 0) throw new Error(`tcp connect rate: client ${String(cli.value ?? cli.error)}, server ${String(srv.value ?? srv.error)}`);
    return { wall_s: (performance.now() - t0) / 1000, virt_s: (p.world.clock.now_ns() - v0) / 1e9 };
  };
  await run(Math.min(200, n));
  const r = await run(n);
  return { per_wall_s: n / r.wall_s, per_virt_s: n / r.virt_s };
}
