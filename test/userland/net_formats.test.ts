/**
 * The network tools' output against the real ones (net-tools 2.10, iproute2 6.1, Linux 6.1's
 * /proc/net files on Debian 12): netstat -s and arp over /proc files whose real output was
 * captured on this machine (net_formats_fixtures.ts), and ifconfig, ip, arp and /proc/net/* on a
 * booted guest, line by line in the real tools' layouts.
 */
import { describe, expect, it } from "vitest";
import { UserNet } from "../../hw/net/user_net.ts";
import { World } from "../../hw/world.ts";
import type { NeighSyscalls } from "../../include/uapi/if.ts";
import type { Program, Syscalls } from "../../include/uapi/syscalls.ts";
import { inet_control } from "../../kernel/net_control.ts";
import { ip_auto_config } from "../../net/ipv4/ipconfig.ts";
import { serial8250_init } from "../../drivers/tty/serial8250.ts";
import { E1000 } from "../../hw/net/e1000.ts";
import { net_connect } from "../../hw/net/net_endpoint.ts";
import { arp } from "../../userland/bin/arp.ts";
import { ip, ip_command } from "../../userland/bin/ip.ts";
import { netstat } from "../../userland/bin/netstat.ts";
import { command_program } from "../../userland/lib/command.ts";
import { parsesnmp } from "../../userland/lib/netstat_statistics.ts";
import { PROGRAMS } from "../../userland/programs.ts";
import { boot_test_machine, type TestMachine } from "../helpers/boot.ts";
import { MODULES } from "../helpers/net_machine.ts";
import * as FX from "./net_formats_fixtures.ts";

/** A process's system calls reduced to reading files and writing stdout/stderr, over `files`. */
function fake_sys(files: Record<string, string>): { sys: Syscalls; out: () => string; err: () => string } {
  let out = "";
  let err = "";
  const sys = {
    read_file: (p: string) => (p in files ? new TextEncoder().encode(files[p]) : -2),
    write: async (fd: number, data: string | Uint8Array) => {
      const s = typeof data === "string" ? data : new TextDecoder().decode(data);
      if (fd === 2) err += s;
      else out += s;
      return s.length;
    },
  };
  return { sys: sys as unknown as Syscalls, out: () => out, err: () => err };
}

describe("netstat -s: net-tools 2.10's prose over the same /proc files", () => {
  it("a ringzero guest's counters print as the real netstat printed them", () => {
    expect(parsesnmp(FX.SNMP_RINGZERO, FX.NETSTAT_RINGZERO, { raw: true, tcp: true, udp: true }).out).toBe(FX.NETSTAT_S_RINGZERO);
  });

  it("a Linux 6.18 host's counters too: fields the tables miss (OutTransmits, TCPTimeouts) as 'Name: value', unknown groups (IcmpMsg, UdpLite, IpExt, MPTcpExt) as headings", () => {
    expect(parsesnmp(FX.SNMP_HOST, FX.NETSTAT_HOST, { raw: true, tcp: true, udp: true }).out).toBe(FX.NETSTAT_S_HOST);
    expect(parsesnmp(FX.SNMP_HOST, FX.NETSTAT_HOST, { raw: false, tcp: true, udp: false }).out).toBe(FX.NETSTAT_ST_HOST);
    expect(parsesnmp(FX.SNMP_HOST, FX.NETSTAT_HOST, { raw: false, tcp: false, udp: true }).out).toBe(FX.NETSTAT_SU_HOST);
  });

  it("the command reads /proc/net/snmp and /proc/net/netstat; without them it says so and exits 0, as net-tools does", async () => {
    const f = fake_sys({ "/proc/net/snmp": FX.SNMP_HOST, "/proc/net/netstat": FX.NETSTAT_HOST });
    expect(await netstat(["netstat", "-st"], f.sys)).toBe(0);
    expect(f.out()).toBe(FX.NETSTAT_ST_HOST);
    const none = fake_sys({});
    expect(await netstat(["netstat", "-s"], none.sys)).toBe(0);
    expect(none.err()).toBe("cannot open /proc/net/snmp: No such file or directory\n");
    expect(none.out()).toBe("");
  });
});

describe("arp: net-tools 2.10 over /proc/net/arp", () => {
  const run = async (...args: string[]): Promise<string> => {
    const f = fake_sys({ "/proc/net/arp": FX.PROC_NET_ARP });
    expect(await arp(["arp", ...args], f.sys)).toBe(0);
    return f.out();
  };
  it("-a in BSD form (<incomplete>, PERM), the table by default and with -n (C, CM, (incomplete))", async () => {
    expect(await run("-a")).toBe(FX.ARP_A);
    expect(await run("-n")).toBe(FX.ARP_N);
    expect(await run()).toBe(FX.ARP_N);
    expect(await run("-an", "-i", "vt0")).toBe(FX.ARP_AN_I);
  });
  it("a host or interface filter, and what it says when nothing matches; an empty cache prints nothing", async () => {
    expect(await run("-n", "10.98.0.8")).toBe(FX.ARP_N_HOST);
    expect(await run("-n", "10.1.1.1")).toBe(FX.ARP_N_NOHOST);
    expect(await run("-n", "-i", "eth9")).toBe(FX.ARP_N_NODEV);
    const empty = fake_sys({ "/proc/net/arp": "IP address       HW type     Flags       HW address            Mask     Device\n" });
    expect(await arp(["arp", "-n"], empty.sys)).toBe(0);
    expect(empty.out()).toBe("");
  });
});

/** ip with the neighbour calls handed to it from the inet module, as the system-call table does once it offers them. */
const ip_with_neigh: Program = command_program({
  ...ip_command,
  main: (argv, sys) => {
    const c = inet_control();
    const neigh: NeighSyscalls | null = c === null ? null : { neigh_dump: () => c.neigh_dump(), neigh_add: (...a) => c.neigh_add(...a), neigh_del: (...a) => c.neigh_del(...a) };
    return ip(argv, neigh === null ? sys : { ...sys, ...neigh });
  },
});

/** A guest on the user network (DHCP at boot) running `command`; its console once it powered off. */
async function guest(command: string, opts: { lease_s?: number; max_ns?: number } = {}): Promise<{ out: string; tm: TestMachine }> {
  const world = new World();
  const user = new UserNet(world.clock, opts.lease_s === undefined ? {} : { lease_s: opts.lease_s });
  const programs = new Map(PROGRAMS);
  programs.set("ip", ip_with_neigh);
  const tm = boot_test_machine({
    world,
    mem_size: 64 << 20,
    cmdline: "quiet ip=dhcp",
    setup: (m) => {
      const nic = new E1000(m.clock, { mac: Uint8Array.of(0x52, 0x54, 0, 0x12, 0x34, 0x56), name: "e1000.0" });
      m.pci.plug(nic, 3);
      net_connect(user, nic);
    },
    boot: { initcalls: [serial8250_init], modules: MODULES, default_modules: ["e1000", "inet"], late_initcalls: [ip_auto_config], programs, init_argv: ["init", "-c", command] },
  });
  await world.run({ until: () => tm.machine.powered_off, for_ns: opts.max_ns ?? 120e9 });
  expect(tm.machine.powered_off, `did not finish:\n${tm.machine.console_output}`).toBe(true);
  return { out: tm.machine.console_output, tm };
}

/** The console text between "@@NAME" markers the command echoes. */
function section(out: string, name: string): string {
  const start = out.indexOf(`@@${name}\n`);
  expect(start, `no section ${name} in:\n${out}`).toBeGreaterThanOrEqual(0);
  const rest = out.slice(start + name.length + 3);
  const end = rest.indexOf("@@");
  return end < 0 ? rest : rest.slice(0, end);
}

describe("ifconfig as net-tools 2.10 prints it", () => {
  it("flags in net-tools' order, inet/netmask/broadcast, ether and txqueuelen, counters with their scaled bytes; lo; -a shows a down interface", async () => {
    const { out } = await guest("ping -c 2 -s 1000 10.0.2.2 > /dev/null; echo @@UP; ifconfig; echo @@ETH0; ifconfig eth0; ip link set eth0 down; echo @@DOWN; ifconfig; echo @@ALL; ifconfig -a; echo @@END");
    const up = section(out, "UP");
    const blocks = up.split("\n\n");
    expect(blocks[0]!.split("\n").slice(0, 3)).toEqual([
      "eth0: flags=4163<UP,BROADCAST,RUNNING,MULTICAST>  mtu 1500",
      "        inet 10.0.2.15  netmask 255.255.255.0  broadcast 10.0.2.255",
      "        ether 52:54:00:12:34:56  txqueuelen 1000  (Ethernet)",
    ]);
    expect(blocks[0]).toMatch(/^ {8}RX packets \d+ {2}bytes \d+ \(\d+\.\d KiB\)\n {8}RX errors 0 {2}dropped 0 {2}overruns 0 {2}frame 0\n {8}TX packets \d+ {2}bytes \d+ \(\d+\.\d KiB\)\n {8}TX errors 0 {2}dropped 0 overruns 0 {2}carrier 0 {2}collisions 0$/m);
    // lo after eth0 (names in order), as net-tools prints it.
    expect(blocks[1]!.split("\n").slice(0, 3)).toEqual(["lo: flags=73<UP,LOOPBACK,RUNNING>  mtu 65536", "        inet 127.0.0.1  netmask 255.0.0.0", "        loop  txqueuelen 1000  (Local Loopback)"]);
    expect(section(out, "ETH0")).toBe(`${blocks[0]}\n\n`);
    expect(section(out, "DOWN")).toMatch(/^lo: flags=73</);
    expect(section(out, "DOWN")).not.toContain("eth0");
    expect(section(out, "ALL")).toMatch(/^eth0: flags=4098<BROADCAST,MULTICAST> {2}mtu 1500\n {8}inet 10\.0\.2\.15 {2}netmask 255\.255\.255\.0 {2}broadcast 10\.0\.2\.255\n/);
  });
});

describe("ip as iproute2 6.1 prints it", () => {
  it("ip addr with a DHCP lease (dynamic, counting lifetimes) and lo (forever); ip link with qlen; ip route", async () => {
    const { out } = await guest("sleep 5; echo @@ADDR; ip addr; echo @@LINK; ip link show eth0; echo @@ROUTE; ip route; ip route add 10.9.0.0/16 via 10.0.2.2; ip route add 10.8.0.0/24 dev eth0; echo @@ROUTE2; ip route; echo @@END", { lease_s: 3600 });
    const addr = section(out, "ADDR");
    expect(addr).toMatch(
      /^1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000\n {4}link\/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n {4}inet 127\.0\.0\.1\/8 scope host lo\n {7}valid_lft forever preferred_lft forever\n2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default qlen 1000\n {4}link\/ether 52:54:00:12:34:56 brd ff:ff:ff:ff:ff:ff\n {4}inet 10\.0\.2\.15\/24 brd 10\.0\.2\.255 scope global dynamic eth0\n {7}valid_lft (\d+)sec preferred_lft \1sec\n$/,
    );
    const left = Number(/valid_lft (\d+)sec/.exec(addr)![1]);
    expect(left).toBeLessThanOrEqual(3595);
    expect(left).toBeGreaterThan(3580);
    expect(section(out, "LINK")).toBe("2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP mode DEFAULT group default qlen 1000\n    link/ether 52:54:00:12:34:56 brd ff:ff:ff:ff:ff:ff\n");
    expect(section(out, "ROUTE")).toBe("default via 10.0.2.2 dev eth0 proto dhcp \n10.0.2.0/24 dev eth0 proto kernel scope link src 10.0.2.15 \n");
    // In the trie's order; `ip route add` routes are proto boot, which iproute2 does not print.
    expect(section(out, "ROUTE2")).toBe("default via 10.0.2.2 dev eth0 proto dhcp \n10.0.2.0/24 dev eth0 proto kernel scope link src 10.0.2.15 \n10.8.0.0/24 dev eth0 scope link \n10.9.0.0/16 via 10.0.2.2 dev eth0 \n");
  });

  it("ip -s link and ip -s -s link: the stats blocks with their column widths, the error breakdown only at -s -s", async () => {
    const { out } = await guest("echo @@S; ip -s link show lo; echo @@SS; ip -s -s link show eth0; echo @@END");
    expect(section(out, "S")).toBe(
      "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\n" +
        "    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n" +
        "    RX:  bytes packets errors dropped  missed   mcast           \n" +
        "             0       0      0       0       0       0 \n" +
        "    TX:  bytes packets errors dropped carrier collsns           \n" +
        "             0       0      0       0       0       0 \n",
    );
    const ss = section(out, "SS").split("\n");
    expect(ss[2]).toBe("    RX:  bytes packets errors dropped  missed   mcast           ");
    expect(ss[3]).toMatch(/^ {4} +\d+ +\d+ {6}0 {7}0 {7}0 {7}0 $/);
    expect(ss[3]!.length).toBe("    ".length + 11 + 8 + 7 + 8 + 8 + 8);
    expect(ss[4]).toBe("    RX errors:  length    crc   frame    fifo overrun");
    expect(ss[5]).toBe("                     0      0       0       0       0 ");
    expect(ss[8]).toBe("    TX errors: aborted   fifo  window heartbt transns");
    expect(ss[9]).toBe("                     0      0       0       0       1 ");
  });

  it("ip neigh add/del/flush and ip -s neigh, with iproute2's messages and statuses", async () => {
    const { out } = await guest(
      "ping -c 1 10.0.2.2 > /dev/null; ip neigh add 10.0.2.9 lladdr 52:55:0a:00:02:09 dev eth0; ip neigh add 10.0.2.10 lladdr 52:55:0a:00:02:0a dev eth0 nud stale; echo @@SHOW; ip neigh; echo @@STATS; ip -s neigh show dev eth0; echo @@ARP; arp -a; echo @@ERR;" +
        " ip neigh add 10.0.2.9 lladdr 52:55:0a:00:02:09 dev eth0; echo s=$?; ip neigh add 10.0.2.11 dev eth0; echo s=$?; ip neigh add 10.0.2.11 lladdr zz dev eth0; echo s=$?; ip neigh add 10.0.2.11 lladdr 52:55:0a:00:02:0b; echo s=$?; ip neigh del 10.0.2.99 dev eth0; echo s=$?; ip neigh flush; echo s=$?; ip neigh show dev eth9; echo s=$?;" +
        " echo @@FLUSH; ip -s neigh flush dev eth0; echo s=$?; echo @@AFTER; ip neigh; ip neigh del 10.0.2.9 dev eth0; echo s=$?; echo @@LAST; ip neigh; ip -s neigh flush all; echo @@END",
    );
    expect(section(out, "SHOW")).toBe("10.0.2.2 dev eth0 lladdr 52:55:0a:00:02:02 REACHABLE \n10.0.2.9 dev eth0 lladdr 52:55:0a:00:02:09 PERMANENT \n10.0.2.10 dev eth0 lladdr 52:55:0a:00:02:0a STALE \n");
    // The resolved gateway holds a timer reference and was probed once after the three unicast probes' start.
    expect(section(out, "STATS")).toMatch(/^10\.0\.2\.2 lladdr 52:55:0a:00:02:02 {2}ref 1 used 0\/0\/0probes 4 REACHABLE \n10\.0\.2\.9 lladdr 52:55:0a:00:02:09 {2}used 0\/0\/0probes 0 PERMANENT \n10\.0\.2\.10 lladdr 52:55:0a:00:02:0a {2}used 0\/60\/0probes 0 STALE \n$/);
    expect(section(out, "ARP")).toBe("? (10.0.2.2) at 52:55:0a:00:02:02 [ether] on eth0\n? (10.0.2.9) at 52:55:0a:00:02:09 [ether] PERM on eth0\n? (10.0.2.10) at 52:55:0a:00:02:0a [ether] on eth0\n");
    expect(section(out, "ERR")).toBe(
      "RTNETLINK answers: File exists\ns=2\n" +
        "Error: No link layer address given.\ns=2\n" +
        '"zz" is invalid lladdr.\ns=1\n' +
        "Device and destination are required arguments.\ns=255\n" +
        "RTNETLINK answers: No such file or directory\ns=2\n" +
        "Flush requires arguments.\ns=1\n" +
        'Cannot find device "eth9"\ns=1\n',
    );
    expect(section(out, "FLUSH")).toBe("\n*** Round 1, deleting 2 entries ***\n*** Flush is complete after 1 round ***\ns=0\n");
    expect(section(out, "AFTER")).toBe("10.0.2.9 dev eth0 lladdr 52:55:0a:00:02:09 PERMANENT \ns=0\n");
    expect(section(out, "LAST")).toBe("Nothing to flush.\n");
  });

  it("ip help: iproute2's usage on stderr, status 255; unknown objects and commands as iproute2 words them", async () => {
    const { out } = await guest("ip help; echo s=$?; ip; echo s=$?; ip foo; echo s=$?; ip addr foo; echo s=$?; ip -x link; echo s=$?; ip -V; echo @@END", { max_ns: 60e9 });
    const usage = section(`@@U\n${out}`, "U");
    expect(usage).toContain(
      "Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }\n       ip [ -force ] -batch filename\nwhere  OBJECT := { address | addrlabel | amt | fou | help | ila | ioam | l2tp |\n                   link | macsec | maddress | monitor | mptcp | mroute | mrule |\n",
    );
    expect(usage).toContain("                    -c[olor]}\ns=255\n");
    expect(usage.match(/-c\[olor\]\}\ns=255\n/g)?.length).toBe(2);
    expect(usage).toContain('Object "foo" is unknown, try "ip help".\ns=1\n');
    expect(usage).toContain('Command "foo" is unknown, try "ip address help".\ns=255\n');
    expect(usage).toContain('Option "-x" is unknown, try "ip -help".\ns=255\n');
    expect(usage).toContain("ip utility, iproute2-6.1.0\n");
  });
});

describe("/proc/net as Linux 6.1 writes it", () => {
  it("/proc/net/dev in dev_seq_show's columns; /proc/net/snmp with every 6.1 column, IcmpMsg for the types seen, UdpLite; /proc/net/netstat's TcpExt and IpExt", async () => {
    const { out } = await guest("ping -c 1 10.0.2.2 > /dev/null; echo @@DEV; cat /proc/net/dev; echo @@SNMP; cat /proc/net/snmp; echo @@NETSTAT; cat /proc/net/netstat; echo @@END");
    const dev = section(out, "DEV").split("\n");
    expect(dev[0]).toBe("Inter-|   Receive                                                |  Transmit");
    expect(dev[1]).toBe(" face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed");
    expect(dev[2]).toBe("    lo:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0");
    expect(dev[3]).toMatch(/^ {2}eth0: +\d+ +\d+ {4}0 {4}0 {4}0 {5}0 {10}0 {9}0 +\d+ +\d+ {4}0 {4}0 {4}0 {5}0 {7}0 {10}0$/);
    expect(dev[3]!.length).toBe(dev[2]!.length);
    const snmp = section(out, "SNMP").split("\n");
    expect(snmp[0]).toBe("Ip: Forwarding DefaultTTL InReceives InHdrErrors InAddrErrors ForwDatagrams InUnknownProtos InDiscards InDelivers OutRequests OutDiscards OutNoRoutes ReasmTimeout ReasmReqds ReasmOKs ReasmFails FragOKs FragFails FragCreates");
    expect(snmp[1]).toMatch(/^Ip: 2 64 \d+ 0 \d+ 0 0 0 \d+ \d+ 0 0 0 0 0 0 0 0 0$/);
    expect(snmp[2]).toBe(
      "Icmp: InMsgs InErrors InCsumErrors InDestUnreachs InTimeExcds InParmProbs InSrcQuenchs InRedirects InEchos InEchoReps InTimestamps InTimestampReps InAddrMasks InAddrMaskReps OutMsgs OutErrors OutDestUnreachs OutTimeExcds OutParmProbs OutSrcQuenchs OutRedirects OutEchos OutEchoReps OutTimestamps OutTimestampReps OutAddrMasks OutAddrMaskReps",
    );
    expect(snmp[3]).toBe("Icmp: 1 0 0 0 0 0 0 0 0 1 0 0 0 0 1 0 0 0 0 0 0 1 0 0 0 0 0");
    expect(snmp.slice(4, 6)).toEqual(["IcmpMsg: InType0 OutType8", "IcmpMsg: 1 1"]);
    expect(snmp[6]).toBe("Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab InSegs OutSegs RetransSegs InErrs OutRsts InCsumErrors");
    expect(snmp[8]).toBe("Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors");
    expect(snmp.slice(10, 13)).toEqual(["UdpLite: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors", "UdpLite: 0 0 0 0 0 0 0 0 0", ""]);
    expect(section(out, "SNMP")).not.toMatch(/^Arp:/m);
    const netstat = section(out, "NETSTAT").split("\n");
    expect(netstat[0]!.split(" ").length).toBe(126); // "TcpExt:" and Linux 6.1's 125 names
    expect(netstat[0]).toMatch(/^TcpExt: SyncookiesSent SyncookiesRecv .* TCPMigrateReqSuccess TCPMigrateReqFailure$/);
    expect(netstat[2]).toBe("IpExt: InNoRoutes InTruncatedPkts InMcastPkts OutMcastPkts InBcastPkts OutBcastPkts InOctets OutOctets InMcastOctets OutMcastOctets InBcastOctets OutBcastOctets InCsumErrors InNoECTPkts InECT1Pkts InECT0Pkts InCEPkts ReasmOverlaps");
    expect(netstat[3]).toMatch(/^IpExt: 0 0 0 0 \d+ \d+ \d+ \d+ 0 0 \d+ \d+ 0 \d+ 0 0 0 0$/);
  });
});
