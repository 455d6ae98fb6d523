/**
 * ping end to end, in-process on the virtual clock: the built-in user network, two NICs on two
 * networks, and two machines on one hub pinging each other.
 */
import { describe, expect, it } from "vitest";
import { Hub } from "../../hw/net/hub.ts";
import { UserNet } from "../../hw/net/user_net.ts";
import { World } from "../../hw/world.ts";
import { boot_host } from "../helpers/net_machine.ts";

async function run_all(world: World, max_ns = 120e9): Promise<void> {
  await world.run({ until: () => world.machines.every((m) => m.powered_off), for_ns: max_ns });
  for (const m of world.machines) expect(m.powered_off, `${m.name} did not finish:\n${m.console_output}`).toBe(true);
}

describe("ping over the built-in user network", () => {
  it("gets an address by DHCP at boot and pings the gateway: 3 replies, 0% loss, exit 0", async () => {
    const world = new World();
    const user = new UserNet(world.clock);
    const h = boot_host(world, { wires: [user], cmdline: "ip=dhcp", command: "ping -c 3 10.0.2.2" });
    await run_all(world);
    const out = h.machine.console_output;
    expect(out).toContain("PING 10.0.2.2 (10.0.2.2) 56(84) bytes of data.\n");
    expect(out.match(/^64 bytes from 10\.0\.2\.2: icmp_seq=\d ttl=64 time=\d+\.\d{3} ms$/gm)?.length).toBe(3);
    expect(out).toMatch(/^3 packets transmitted, 3 received, 0% packet loss, time 20\d\dms$/m);
    expect(out).toMatch(/^rtt min\/avg\/max\/mdev = [\d.]+\/[\d.]+\/[\d.]+\/[\d.]+ ms$/m);
    expect(h.machine.exit_code).toBe(0);
    expect(user.leases.get("52:54:00:12:34:56")).toBe(0x0a00020f);
  });

  it("reports a host that is not there as unreachable, 100% loss, exit 1, without hanging", async () => {
    const world = new World();
    const h = boot_host(world, { wires: [new UserNet(world.clock)], cmdline: "ip=dhcp", command: "ping -c 3 10.0.2.99" });
    await run_all(world);
    const out = h.machine.console_output;
    expect(out.match(/^From 10\.0\.2\.15 icmp_seq=\d Destination Host Unreachable$/gm)?.length).toBe(3);
    expect(out).toMatch(/^3 packets transmitted, 0 received, \+3 errors, 100% packet loss/m);
    expect(h.machine.exit_code).toBe(1);
    expect(world.clock.now_ns()).toBeLessThan(10e9);
  });

  it("pings its own addresses and the loopback through lo", async () => {
    const world = new World();
    const h = boot_host(world, { wires: [new UserNet(world.clock)], cmdline: "ip=dhcp", command: "ping -c 1 127.0.0.1 && ping -c 1 10.0.2.15 && ping -c 1 10.0.2.3" });
    await run_all(world);
    expect(h.machine.exit_code).toBe(0);
    expect(h.machine.console_output.match(/ 1 received, 0% packet loss/g)?.length).toBe(3);
  });

  it("echoes UDP datagrams from the gateway's port 7 and answers DHCP renewals", async () => {
    const world = new World();
    const user = new UserNet(world.clock, { lease_s: 120 });
    const h = boot_host(world, { wires: [user], cmdline: "ip=dhcp", command: "nc -u 10.0.2.2 7 hello, ringzero; sleep 130; dmesg" });
    await run_all(world, 300e9);
    const out = h.machine.console_output;
    expect(out).toContain("hello, ringzero\n");
    expect(out).toMatch(/DHCP: eth0: lease of 10\.0\.2\.15 renewed for 120 s/);
  });
});

describe("several NICs and machines", () => {
  it("two NICs in one machine on separate networks reach both gateways", async () => {
    const world = new World();
    const a = new UserNet(world.clock);
    const b = new UserNet(world.clock, { net: 0x0a000300, host: 0x0a000302, dns: 0x0a000303, dhcp_start: 0x0a00030f });
    const h = boot_host(world, {
      wires: [a, b],
      cmdline: "ip=dhcp",
      command: "ip link set eth1 up; dhclient eth1; ping -c 2 10.0.2.2; ping -c 2 10.0.3.2; ip route",
    });
    await run_all(world);
    const out = h.machine.console_output;
    expect(out).toContain("bound to 10.0.3.15\n");
    expect(out).toMatch(/--- 10\.0\.2\.2 ping statistics ---\n2 packets transmitted, 2 received/);
    expect(out).toMatch(/--- 10\.0\.3\.2 ping statistics ---\n2 packets transmitted, 2 received/);
    expect(out).toContain("10.0.3.0/24 dev eth1 proto kernel scope link src 10.0.3.15 \n");
    expect(a.frames_in).toBeGreaterThan(0);
    expect(b.frames_in).toBeGreaterThan(0);
  });

  it("two machines on one in-process hub ping each other", async () => {
    const world = new World();
    const hub = new Hub();
    const x = boot_host(world, { wires: [hub.port()], cmdline: "ip=10.0.0.1::::::off", command: "sleep 0.1; ping -c 3 10.0.0.2; sleep 1" });
    const y = boot_host(world, { wires: [hub.port()], cmdline: "ip=10.0.0.2::::::off", command: "sleep 0.1; ping -c 3 10.0.0.1; sleep 1", base_mac: 0x70 });
    await run_all(world);
    for (const [h, peer] of [[x, "10.0.0.2"], [y, "10.0.0.1"]] as const) {
      expect(h.machine.console_output).toMatch(new RegExp(`--- ${peer.replaceAll(".", "\\.")} ping statistics ---\\n3 packets transmitted, 3 received, 0% packet loss`));
      expect(h.machine.exit_code).toBe(0);
    }
  });
});
