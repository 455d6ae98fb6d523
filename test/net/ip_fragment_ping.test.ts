/**
 * Fragmentation end to end: two ringzero machines on one in-process hub ping each other with
 * 1473- and 65000-byte requests (both ways, 0 % loss) — the requests fragmented by the sender,
 * reassembled and answered by the peer, the replies fragmented back — and a machine pings itself
 * through lo with 65000 bytes.
 */
import { IPPROTO_IP } from "../../include/uapi/in.ts";
import { describe, expect, it } from "vitest";
import { Hub } from "../../hw/net/hub.ts";
import { World } from "../../hw/world.ts";
import { with_kernel } from "../../kernel/kernel.ts";
import { snmp } from "../../net/ipv4/snmp.ts";
import { ip_frag_mem } from "../../net/ipv4/ip_fragment.ts";
import { inet_control } from "../../kernel/net_control.ts";
import { sock_lookup } from "../../net/socket.ts";
import { ip_setsockopt } from "../../net/ipv4/ip.ts";
import { boot_host } from "../helpers/net_machine.ts";
import type { TestMachine } from "../helpers/boot.ts";

async function run_all(world: World, max_ns = 120e9): Promise<void> {
  await world.run({ until: () => world.machines.every((m) => m.powered_off), for_ns: max_ns });
  for (const m of world.machines) expect(m.powered_off, `${m.name} did not finish:\n${m.console_output}`).toBe(true);
}

const ip_counters = (h: TestMachine) => with_kernel(h.kernel, () => ({ ...snmp.get().Ip }));

describe("ping with fragments between two machines", () => {
  it("1473 and 65000 bytes, both ways at once, 0% loss; every fragment made is reassembled", async () => {
    const world = new World();
    const hub = new Hub();
    const cmd = (peer: string) => `sleep 0.1; ping -c 2 -s 1473 ${peer}; ping -c 2 -s 65000 ${peer}; sleep 1`;
    const x = boot_host(world, { wires: [hub.port()], cmdline: "ip=10.0.0.1::::::off", command: cmd("10.0.0.2") });
    const y = boot_host(world, { wires: [hub.port()], cmdline: "ip=10.0.0.2::::::off", command: cmd("10.0.0.1"), base_mac: 0x70 });
    await run_all(world);
    for (const [h, peer] of [[x, "10.0.0.2"], [y, "10.0.0.1"]] as const) {
      const out = h.machine.console_output;
      const p = peer.replaceAll(".", "\\.");
      expect(out).toContain(`PING ${peer} (${peer}) 1473(1501) bytes of data.\n`);
      expect(out.match(new RegExp(`^1481 bytes from ${p}: icmp_seq=\\d ttl=64 time=`, "gm"))?.length).toBe(2);
      expect(out).toContain(`PING ${peer} (${peer}) 65000(65028) bytes of data.\n`);
      expect(out.match(new RegExp(`^65008 bytes from ${p}: icmp_seq=\\d ttl=64 time=`, "gm"))?.length).toBe(2);
      expect(out.match(new RegExp(`--- ${p} ping statistics ---\\n2 packets transmitted, 2 received, 0% packet loss`, "g"))?.length).toBe(2);
      expect(h.machine.exit_code).toBe(0);
    }
    // Each machine sent 2 + 2 requests and 2 + 2 replies: 8 datagrams fragmented, in
    // 4 × 2 (1501 bytes) + 4 × 44 (65028 bytes) fragments; and reassembled as many.
    for (const h of [x, y]) {
      const ip = ip_counters(h);
      expect([ip.FragOKs, ip.FragCreates, ip.FragFails]).toEqual([8, 4 * 2 + 4 * 44, 0]);
      expect([ip.ReasmReqds, ip.ReasmOKs, ip.ReasmFails, ip.ReasmTimeout]).toEqual([4 * 2 + 4 * 44, 8, 0, 0]);
      expect(with_kernel(h.kernel, () => ip_frag_mem())).toEqual({ inuse: 0, memory: 0 });
    }
  });

  it("an e1000 machine and a virtio-net machine: 65000 bytes both ways, 0% loss", async () => {
    const world = new World();
    const hub = new Hub();
    // No small ping first: the first request's 44 fragments wait in ARP whole while the peer is
    // resolved (212,992 bytes per unresolved neighbour, arp.ts ARP_QUEUE_LEN_BYTES, as Linux).
    const a = boot_host(world, { wires: [hub.port()], cmdline: "ip=10.0.0.1::::::off", command: "sleep 0.1; ping -c 3 -s 65000 10.0.0.2; sleep 1", base_mac: 0x10 });
    const b = boot_host(world, { wires: [hub.port()], cmdline: "ip=10.0.0.2::::::off", command: "sleep 0.1; ping -c 3 -s 65000 10.0.0.1; sleep 1", base_mac: 0x20, nic: "virtio-net-pci" });
    await run_all(world);
    for (const h of [a, b]) {
      expect(h.machine.console_output).toContain("3 packets transmitted, 3 received, 0% packet loss");
      expect(h.machine.console_output.match(/^65008 bytes from /gm)?.length).toBe(3);
      expect(ip_counters(h).ReasmOKs).toBe(6);
    }
  });

  it("pings itself through lo with 65000 bytes (lo has no scatter-gather: the datagram is fragmented there)", async () => {
    const world = new World();
    const h = boot_host(world, { wires: [new Hub().port()], cmdline: "ip=10.0.0.1::::::off", command: "ping -c 2 -s 65000 127.0.0.1; ping -c 1 -s 65000 10.0.0.1" });
    await run_all(world);
    const out = h.machine.console_output;
    expect(out.match(/^65008 bytes from 127\.0\.0\.1: icmp_seq=\d ttl=64 time=/gm)?.length).toBe(2);
    expect(out).toMatch(/--- 127\.0\.0\.1 ping statistics ---\n2 packets transmitted, 2 received, 0% packet loss/);
    expect(out).toMatch(/--- 10\.0\.0\.1 ping statistics ---\n1 packets transmitted, 1 received, 0% packet loss/);
    expect(ip_counters(h).ReasmOKs).toBe(6);
  });

  it("ping -M do -s 1473: 'local error: message too long, mtu=1500' per request, +N errors; -M dont and -M want fragment", async () => {
    const world = new World();
    const hub = new Hub();
    const x = boot_host(world, { wires: [hub.port()], cmdline: "ip=10.0.0.1::::::off", command: "sleep 0.5; ping -c 2 -M do -s 1473 10.0.0.2; ping -c 1 -M do -s 1472 10.0.0.2; ping -c 1 -M dont -s 1473 10.0.0.2; ping -c 1 -Mwant -s 1473 10.0.0.2" });
    boot_host(world, { wires: [hub.port()], cmdline: "ip=10.0.0.2::::::off", command: "sleep 20", base_mac: 0x70 });
    await world.run({ for_ns: 0.1e9 });
    // Stand-in for net/inet.ts's setsockopt handing IPPROTO_IP options of datagram sockets to
    // ip_setsockopt (its TCP-only version answers ENOPROTOOPT for them).
    with_kernel(x.kernel, () => {
      const c = inet_control()!;
      const tcp_setsockopt = c.setsockopt.bind(c);
      c.setsockopt = (fd, level, optname, value) => {
        const sk = sock_lookup(fd);
        return level === IPPROTO_IP && sk !== undefined && sk.kind !== "packet" ? ip_setsockopt(sk, level, optname, value) : tcp_setsockopt(fd, level, optname, value);
      };
    });
    await world.run({ until: () => x.machine.powered_off, for_ns: 60e9 });
    const out = x.machine.console_output;
    expect(out).toContain("PING 10.0.0.2 (10.0.0.2) 1473(1501) bytes of data.\nping: local error: message too long, mtu=1500\nping: local error: message too long, mtu=1500\n\n--- 10.0.0.2 ping statistics ---\n2 packets transmitted, 0 received, +2 errors, 100% packet loss");
    expect(out).toMatch(/1472\(1500\) bytes of data\.\n1480 bytes from 10\.0\.0\.2: icmp_seq=1/);
    expect(out.match(/^1481 bytes from 10\.0\.0\.2: icmp_seq=1 /gm)?.length).toBe(2);
    expect(ip_counters(x).FragOKs).toBe(2);
  });

  it("ping's option errors: -M with an unknown mode, -s beyond 65507", async () => {
    const world = new World();
    const h = boot_host(world, { wires: [new Hub().port()], cmdline: "ip=10.0.0.1::::::off", command: "ping -M maybe 10.0.0.2; echo s=$?; ping -s 65508 10.0.0.2; echo s=$?" });
    await run_all(world);
    const out = h.machine.console_output;
    expect(out).toContain("ping: invalid -M argument: maybe\ns=2\n");
    expect(out).toContain("ping: invalid argument: '65508'\ns=2\n");
  });
});
