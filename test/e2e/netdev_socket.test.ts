/**
 * Two ringzero processes, started through the real entrypoint, on one wire made of a real socket:
 * QEMU's `-netdev stream` over a UNIX socket and `-netdev dgram` over UDP on 127.0.0.1. Machines
 * with external back-ends run on the realtime clock, so these waits are wall-clock deadlines.
 */
import { createSocket } from "node:dgram";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { RingzeroProcess } from "../helpers/child.ts";

const MAC_A = "52:54:00:00:00:0a";
const MAC_B = "52:54:00:00:00:0b";
const live: RingzeroProcess[] = [];
const dirs: string[] = [];

function start(args: string[]): RingzeroProcess {
  const p = new RingzeroProcess(["-nodefaults", ...args]);
  live.push(p);
  return p;
}

function sock_dir(): string {
  const d = mkdtempSync(join(tmpdir(), "rz-net-"));
  dirs.push(d);
  return d;
}

afterEach(async () => {
  await Promise.all(live.splice(0).map((p) => p.kill()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A UDP port free on 127.0.0.1 right now. */
function free_udp_port(): Promise<number> {
  return new Promise((resolve) => {
    const s = createSocket("udp4");
    s.bind(0, "127.0.0.1", () => {
      const port = s.address().port;
      s.close(() => resolve(port));
    });
  });
}

async function ping_ok(p: RingzeroProcess, ip: string, n = 2): Promise<void> {
  const out = await p.run(`ping -c ${n} -i 0.2 ${ip}`);
  expect(out).toContain(`${n} packets transmitted, ${n} received, 0% packet loss`);
  expect(out).toMatch(new RegExp(`64 bytes from ${ip.replace(/\./g, "\\.")}: icmp_seq=1 ttl=64 time=`));
}

describe("two ringzero processes on a stream back-end (UNIX socket)", () => {
  it("ping each other both ways, and reconnect after either side is killed and restarted", async () => {
    const path = join(sock_dir(), "wire.sock");
    const server_args = ["-netdev", `stream,id=n0,server=on,addr.type=unix,addr.path=${path}`, "-device", `e1000,netdev=n0,mac=${MAC_A}`, "--ip", "10.0.5.1/24"];
    const client_args = ["-netdev", `stream,id=n0,server=off,addr.type=unix,addr.path=${path},reconnect-ms=100`, "-device", `e1000,netdev=n0,mac=${MAC_B}`, "--ip", "10.0.5.2/24"];
    let a = start(server_args);
    await a.wait_for(/netdev n0: listening on /);
    let b = start(client_args);
    await Promise.all([a.ready(), b.ready(), a.wait_for(/netdev n0: connected \(accepted a peer\)/), b.wait_for(/netdev n0: connected \(to the server\)/)]);

    await ping_ok(b, "10.0.5.1");
    await ping_ok(a, "10.0.5.2");
    expect(await a.run("ip neigh")).toContain(`10.0.5.2 dev eth0 lladdr ${MAC_B}`);

    // Kill the client: the server sees its peer go, takes the link down, and accepts the next one.
    await b.kill();
    await a.wait_for(/netdev n0: disconnected/);
    await a.wait_for(/e1000: eth0 NIC Link is Down/);
    b = start(client_args);
    await Promise.all([b.ready(), a.wait_for(/netdev n0: connected \(accepted a peer\)/)]);
    await a.wait_for(/e1000: eth0 NIC Link is Up/);
    await ping_ok(b, "10.0.5.1");
    await ping_ok(a, "10.0.5.2");

    // Kill the server: the client keeps retrying until a new server is listening on the path.
    await a.kill();
    await b.wait_for(/netdev n0: disconnected/);
    a = start(server_args);
    await Promise.all([a.ready(), b.wait_for(/netdev n0: connected \(to the server\)/)]);
    await ping_ok(a, "10.0.5.2");
    await ping_ok(b, "10.0.5.1");
    expect(await b.run("ethtool eth0")).toContain("Link detected: yes");
  }, 90_000);
});

describe("two ringzero processes on a dgram back-end (UDP on 127.0.0.1)", () => {
  it("ping each other both ways", async () => {
    const [pa, pb] = [await free_udp_port(), await free_udp_port()];
    const dgram = (local: number, remote: number): string => `dgram,id=n0,local.type=inet,local.host=127.0.0.1,local.port=${local},remote.type=inet,remote.host=127.0.0.1,remote.port=${remote}`;
    const a = start(["-netdev", dgram(pa, pb), "-device", `e1000,netdev=n0,mac=${MAC_A}`, "--ip", "10.0.6.1/24"]);
    const b = start(["-netdev", dgram(pb, pa), "-device", `e1000,netdev=n0,mac=${MAC_B}`, "--ip", "10.0.6.2/24"]);
    await Promise.all([a.ready(), b.ready()]);
    await ping_ok(a, "10.0.6.2");
    await ping_ok(b, "10.0.6.1");
    a.send("~info network");
    const info = await a.wait_for(/dgram udp 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+ rx=(\d+) tx=(\d+)/);
    expect(Number(info[1])).toBeGreaterThanOrEqual(4);
    expect(Number(info[2])).toBeGreaterThanOrEqual(4);
  }, 60_000);
});

describe("network options are checked before boot", () => {
  it("refuses an address already in use and contradictory options with one line and status 2", async () => {
    const port = await free_udp_port();
    const holder = createSocket("udp4");
    await new Promise<void>((r) => holder.bind(port, "127.0.0.1", () => r()));
    try {
      const p = start(["-netdev", `dgram,id=n0,local.type=inet,local.host=127.0.0.1,local.port=${port},remote.type=inet,remote.host=127.0.0.1,remote.port=9`, "-device", "e1000,netdev=n0"]);
      expect(await p.exited).toBe(2);
      expect(p.output).toMatch(/^ringzero: -netdev n0: cannot bind 127\.0\.0\.1:\d+: .*EADDRINUSE.*\n$/);
    } finally {
      holder.close();
    }
    const q = start(["--clock", "virtual", "-netdev", "stream,id=n0,server=off,addr.type=unix,addr.path=/nonexistent/x", "-device", "e1000,netdev=n0"]);
    expect(await q.exited).toBe(2);
    expect(q.output).toBe("ringzero: --clock virtual: netdev 'n0' talks to the outside world, which runs on wall-clock time; use --clock realtime\n");
    const r = start(["-netdev", "stream,id=n0,server=maybe,addr.type=unix,addr.path=/tmp/x", "-device", "e1000,netdev=n0"]);
    expect(await r.exited).toBe(2);
    expect(r.output).toBe("ringzero: -netdev stream: server must be on or off\n");
  }, 30_000);
});
