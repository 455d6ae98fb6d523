/**
 * UDP through the NAT and host forwarding (tcp and udp) into a booted guest, against the in-memory
 * host; and the hostfwd option as QEMU spells it, with QEMU's error lines.
 */
import { describe, expect, it } from "vitest";
import { plug_device } from "../../boot/board.ts";
import { setup_network } from "../../boot/netdevs.ts";
import type { E1000 } from "../../hw/net/e1000.ts";
import type { FakePeer } from "../../hw/net/slirp_fake.ts";
import { parse_hostfwd, type HostFwdRule } from "../../hw/net/slirp_hostfwd.ts";
import { UDP_EXPIRE_NS } from "../../hw/net/slirp_udp.ts";
import { UserNet } from "../../hw/net/user_net.ts";
import { World } from "../../hw/world.ts";
import { boot_slirp_guest, fnv, pattern } from "./user_net_slirp_harness.ts";

const LOOPBACK = 0x7f000001;

/** A rule that parses (or the test fails). */
function fwd(text: string): HostFwdRule {
  const r = parse_hostfwd(text);
  if (typeof r === "string") throw new Error(r);
  return r;
}

describe("guest UDP through the NAT", () => {
  it("a datagram to 10.0.2.2:P leaves from one host socket per guest port; the reply comes back from 10.0.2.2:P", async () => {
    const g = await boot_slirp_guest({ command: "sleep 0.2; udpping 10.0.2.2 5005 ping again; nc -u 10.0.2.2 7 echoed; udpping 8.8.4.4 53 q; udpping 10.0.2.2 5006 lost; echo done; sleep 1000" });
    const from: number[] = [];
    g.host.udp_serve(LOOPBACK, 5005, (b, port, reply) => {
      from.push(port);
      reply(new TextEncoder().encode(`pong:${new TextDecoder().decode(b)}`));
    });
    g.host.udp_serve(0x08080404, 53, (b, _port, reply) => reply(new TextEncoder().encode(`outside:${new TextDecoder().decode(b)}`)));
    await g.step(4e9);
    expect(g.out()).toBe("udpping: 'pong:ping' from 10.0.2.2:5005\nudpping: 'pong:again' from 10.0.2.2:5005\nechoed\nudpping: 'outside:q' from 8.8.4.4:53\nudpping: timeout\ndone\n");
    // One host socket for the guest's port, whichever datagram; port 7 stayed the echo service.
    expect(from.length).toBe(2);
    expect(from[0]).toBe(from[1]);
    const st = g.user.udp!.stats;
    expect(st).toMatchObject({ opened: 3, out: 4, in: 3, bytes_out: 4 + 5 + 1 + 4, bad_csum: 0, dropped: 0 });
    expect(g.user.udp!.count()).toBe(3);
    // Idle sockets close after 240 s, as slirp's.
    await g.step(UDP_EXPIRE_NS + 1e9);
    expect(g.user.udp!.count()).toBe(0);
    expect(g.user.udp!.stats.expired).toBe(3);
    expect(g.host.open_sockets).toBe(0);
    expect(g.user.describe()).toMatch(/udp: sockets=0 opened=3 expired=3 out=4 in=3 /);
  });

  it("a reply larger than one frame reaches the guest in IP fragments (reassembled there)", async () => {
    const g = await boot_slirp_guest({ command: "sleep 0.2; udpping 10.0.2.2 5005 big; sleep 1000" });
    const big = "y".repeat(4000);
    g.host.udp_serve(LOOPBACK, 5005, (_b, _port, reply) => reply(new TextEncoder().encode(big)));
    await g.step(1e9);
    expect(g.out()).toBe(`udpping: '${big}' from 10.0.2.2:5005\n`);
    expect(g.user.udp!.stats).toMatchObject({ fragmented: 1, in: 1, bytes_in: 4000 });
  });

  it("counts datagrams not carried (broadcast) and guest fragments", async () => {
    const g = await boot_slirp_guest({ command: "sleep 0.2; nc -u -w 1 10.0.2.255 9 x; ping -c 1 -s 3000 10.0.2.2; sleep 1000" });
    await g.step(3e9);
    expect(g.user.udp!.stats.dropped).toBe(1); // a subnet broadcast is not carried
    expect(g.user.fragments).toBeGreaterThanOrEqual(3);
    expect(g.user.describe()).toMatch(/ fragments=[1-9]/);
  });
});

describe("hostfwd", () => {
  it("tcp::8080-:80 — a host client's connection reaches a guest listener from 10.0.2.2:<client port>, both ways, closed cleanly", async () => {
    const g = await boot_slirp_guest({ command: "tcpecho 80; sleep 1000" });
    expect(await g.user.add_hostfwd(fwd("tcp::8080-:80"))).toBeNull();
    const peer = g.host.connect(8080, 45678);
    await g.step(0.2e9);
    expect(peer.state).toBe("open");
    const data = pattern(300_000, 4);
    peer.write(data);
    peer.end();
    expect(await g.until(() => peer.got_end, 10e9)).toBe(true);
    expect(fnv(peer.data())).toBe(fnv(data));
    expect(g.out()).toBe("tcpecho: 300000 bytes from 10.0.2.2:45678\n");
    await g.step(0.1e9);
    expect(g.user.tcp!.stats).toMatchObject({ fwd_accepted: 1, fwd_established: 1, fwd_refused: 0, closed: 1 });
    expect(g.user.tcp!.count).toBe(0);
    expect(g.user.describe()).toContain("hostfwd tcp 127.0.0.1:8080 -> 10.0.2.15:80 accepted=1");
  });

  it("a forwarded port nobody listens on in the guest: the guest's RST closes the host connection", async () => {
    const g = await boot_slirp_guest({ command: "sleep 1000" });
    expect(await g.user.add_hostfwd(fwd(":127.0.0.1:2222-10.0.2.15:22"))).toBeNull();
    const peer: FakePeer = g.host.connect(2222);
    await g.step(0.5e9);
    expect(peer.state).toBe("closed");
    expect(peer.got_end).toBe(true);
    expect(g.user.tcp!.stats).toMatchObject({ fwd_accepted: 1, fwd_established: 0, fwd_refused: 1 });
    expect(g.user.tcp!.count).toBe(0);
  });

  it("a client that connects before the guest listens is closed; one that writes at once waits for the handshake", async () => {
    const g = await boot_slirp_guest({ command: "sleep 1; tcpecho 80; sleep 1000" });
    expect(await g.user.add_hostfwd(fwd("tcp::8080-:80"))).toBeNull();
    const early = g.host.connect(8080);
    early.write("early bytes");
    await g.step(0.3e9);
    expect(early.state).toBe("closed");
    await g.step(1e9);
    const later = g.host.connect(8080);
    later.write("in time");
    later.end();
    expect(await g.until(() => later.got_end, 5e9)).toBe(true);
    expect(later.text()).toBe("in time");
    expect(g.user.tcp!.stats).toMatchObject({ fwd_accepted: 2, fwd_established: 1, fwd_refused: 1 });
  });

  it("udp::5353-:5000 — datagrams both ways between a host client and a guest socket", async () => {
    const g = await boot_slirp_guest({ command: "udpecho 5000 2; sleep 1000" });
    expect(await g.user.add_hostfwd(fwd("udp::5353-:5000"))).toBeNull();
    const client = g.host.udp_client(40001);
    await g.step(0.1e9);
    client.send(5353, "one");
    client.send(5353, "two");
    await g.step(0.5e9);
    expect(g.out()).toBe("udpecho: 'one' from 10.0.2.2:40001\nudpecho: 'two' from 10.0.2.2:40001\n");
    expect(client.received.map(([b, p]) => `${new TextDecoder().decode(b)}@${p}`)).toEqual(["echo:one@5353", "echo:two@5353"]);
    expect(g.user.describe()).toContain("hostfwd udp 127.0.0.1:5353 -> 10.0.2.15:5000 datagrams=2");
  });

  it("a port the host cannot bind: QEMU's 'Could not set up host forwarding rule'", async () => {
    const g = await boot_slirp_guest({ command: "sleep 1000" });
    g.host.ports_in_use.add(8080);
    expect(await g.user.add_hostfwd(fwd("tcp::8080-:80"))).toBe("Could not set up host forwarding rule 'tcp::8080-:80'");
  });
});

describe("-netdev user,hostfwd=… as QEMU spells it", () => {
  function net(netdevs: string[]) {
    const world = new World();
    const m = world.add_machine({ mem_size: 8 << 20 });
    const nic_netdev = new Map<E1000, string | undefined>();
    expect(plug_device(m, "e1000,netdev=n0", nic_netdev)).toBeNull();
    const r = setup_network(world, m, netdevs, nic_netdev, []);
    return { r, user: [...nic_netdev.keys()][0]!.peer };
  }

  it("parses the full form and its defaults (repeatable; hostaddr 127.0.0.1, guestaddr the first DHCP address)", () => {
    expect(parse_hostfwd("tcp::8080-:80")).toMatchObject({ udp: false, host_addr: LOOPBACK, host_port: 8080, guest_addr: 0, guest_port: 80 });
    expect(parse_hostfwd("udp:0.0.0.0:0x1f90-10.0.2.20:53")).toMatchObject({ udp: true, host_addr: 0, host_port: 8080, guest_addr: 0x0a000214, guest_port: 53 });
    expect(parse_hostfwd(":10.1.2.3:0-:22")).toMatchObject({ udp: false, host_addr: 0x0a010203, host_port: 0, guest_port: 22 });
    const { r, user } = net(["user,id=n0,hostfwd=tcp::8080-:80,hostfwd=udp::5353-:53"]);
    if (typeof r === "string") throw new Error(r);
    expect(user).toBeInstanceOf(UserNet);
    expect(r.external.map((b) => [b.id, b.where()])).toEqual([["n0", "hostfwd tcp 127.0.0.1:8080 -> 10.0.2.15:80 accepted=0, hostfwd udp 127.0.0.1:5353 -> 10.0.2.15:53 datagrams=0"]]);
    // A user netdev without rules needs nothing before boot (and may run on the virtual clock).
    const plain = net(["user,id=n0"]).r;
    if (typeof plain === "string") throw new Error(plain);
    expect(plain.external).toEqual([]);
  });

  it("refuses a bad rule with QEMU's reason, in one line", () => {
    const cases: [string, string][] = [
      ["8080", "No : separators"],
      ["sctp::1-:2", "Bad protocol name"],
      ["tcp:8080", "Missing : separator"],
      ["tcp:1.2.3:8080-:80", "Bad host address"],
      ["tcp::8080:80", "Bad host port separator"],
      ["tcp::80800-:80", "Bad host port"],
      ["tcp::8080-80", "Missing guest address"],
      ["tcp::8080-10.0.2:80", "Bad guest address"],
      ["tcp::8080-:0", "Bad guest port"],
      ["tcp::8080-:http", "Bad guest port"],
    ];
    for (const [rule, why] of cases) {
      expect(net([`user,id=n0,hostfwd=${rule}`]).r).toBe(`-netdev user,id=n0,hostfwd=${rule}: Invalid host forwarding rule '${rule}' (${why})`);
    }
  });
});
