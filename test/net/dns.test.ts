/**
 * DNS end to end, in-process on the virtual clock: a machine on the built-in user network gets
 * 10.0.2.3 as its name server by DHCP, and host, nslookup and getaddrinfo() ask it.
 */
import { describe, expect, it } from "vitest";
import { serial8250_init } from "../../drivers/tty/serial8250.ts";
import { E1000 } from "../../hw/net/e1000.ts";
import { net_connect } from "../../hw/net/net_endpoint.ts";
import { UserNet } from "../../hw/net/user_net.ts";
import { hosts_resolver, parse_hosts } from "../../hw/net/user_net_dns.ts";
import { World } from "../../hw/world.ts";
import type { Program } from "../../include/uapi/syscalls.ts";
import { ip_auto_config } from "../../net/ipv4/ipconfig.ts";
import { PROGRAMS } from "../../userland/programs.ts";
import { gai_strerror, getaddrinfo } from "../../userland/lib/resolv.ts";
import { boot_test_machine, type TestMachine } from "../helpers/boot.ts";
import { MODULES } from "../helpers/net_machine.ts";

const HOSTS = parse_hosts("10.0.2.2 gateway.test\n10.0.2.60 www.test\n10.0.2.61 www.test\n");

/** The test's own program: `gai NAME…` prints what getaddrinfo() says for each name. */
const gai: Program = async (argv, sys) => {
  for (const name of argv.slice(1)) {
    const r = await getaddrinfo(sys, name);
    sys.write(1, typeof r === "number" ? `${name}: ${gai_strerror(r)}\n` : `${name}: ${r.map((a) => `${a >>> 24}.${(a >>> 16) & 0xff}.${(a >>> 8) & 0xff}.${a & 0xff}`).join(" ")}\n`);
  }
  return 0;
};

/** A host on a user network (as boot_host makes it), with `gai` in /bin; runs `command` and powers off. */
async function run(command: string): Promise<{ out: string; user: UserNet; tm: TestMachine; world: World }> {
  const world = new World();
  const user = new UserNet(world.clock, {}, hosts_resolver(HOSTS));
  const tm = boot_test_machine({
    world,
    mem_size: 64 << 20,
    cmdline: "quiet ip=dhcp",
    setup: (m) => {
      const nic = new E1000(m.clock, { mac: Uint8Array.of(0x52, 0x54, 0, 0x12, 0x34, 0x56), name: "e1000.0" });
      m.pci.plug(nic, 3);
      net_connect(user, nic);
    },
    boot: {
      initcalls: [serial8250_init],
      modules: MODULES,
      default_modules: ["e1000", "inet"],
      late_initcalls: [ip_auto_config],
      programs: new Map([...PROGRAMS, ["gai", gai]]),
      init_argv: ["init", "-c", command],
    },
  });
  await world.run({ until: () => tm.machine.powered_off, for_ns: 120e9 });
  expect(tm.machine.powered_off, tm.machine.console_output).toBe(true);
  const out = tm.machine.console_output;
  return { out: out.slice(out.indexOf("@@\n") + 3), user, tm, world };
}

describe("nslookup (busybox) against the user network's name server", () => {
  it("prints the server and the answer exactly as busybox does, exit 0", async () => {
    const { out, user } = await run("echo @@; nslookup localhost; echo status=$?; nslookup www.test 10.0.2.3");
    expect(out).toBe(
      "Server:\t\t10.0.2.3\nAddress:\t10.0.2.3:53\n\nNon-authoritative answer:\nName:\tlocalhost\nAddress: 127.0.0.1\n\nstatus=0\n" +
        "Server:\t\t10.0.2.3\nAddress:\t10.0.2.3:53\n\nNon-authoritative answer:\nName:\twww.test\nAddress: 10.0.2.60\nName:\twww.test\nAddress: 10.0.2.61\n\n",
    );
    expect(user.dns.answered).toBe(2);
  });

  it("NXDOMAIN: ** server can't find NAME: NXDOMAIN, exit 1", async () => {
    const { out, user } = await run("echo @@; nslookup nosuch.test; echo status=$?");
    expect(out).toBe("Server:\t\t10.0.2.3\nAddress:\t10.0.2.3:53\n\n** server can't find nosuch.test: NXDOMAIN\n\nstatus=1\n");
    expect(user.dns.nxdomain).toBe(1);
  });

  it("AAAA: an empty NOERROR answer prints the header and nothing else; PTR for a dotted quad", async () => {
    const { out } = await run("echo @@; nslookup -type=aaaa localhost; echo status=$?; nslookup 10.0.2.2");
    expect(out).toBe(
      "Server:\t\t10.0.2.3\nAddress:\t10.0.2.3:53\n\nNon-authoritative answer:\n\nstatus=0\n" +
        "Server:\t\t10.0.2.3\nAddress:\t10.0.2.3:53\n\nNon-authoritative answer:\n2.2.0.10.in-addr.arpa\tname = gateway.test\n\n",
    );
  });

  it("a server that never answers: one retry, then busybox's timeout message after 5 s, exit 1", async () => {
    const { out, user, world } = await run("echo @@; nslookup localhost 10.0.2.2; echo status=$?");
    expect(out).toBe(";; connection timed out; no servers could be reached\n\nstatus=1\n");
    expect(user.dns.queries).toBe(0);
    expect(world.clock.now_ns()).toBeGreaterThan(5e9);
    expect(world.clock.now_ns()).toBeLessThan(8e9);
  });

  it("usage errors go to stderr with status 1", async () => {
    const { out } = await run("echo @@; nslookup; echo status=$?; nslookup -type=bogus x; echo status=$?");
    expect(out).toContain("Usage: nslookup [-type=QUERY_TYPE] [-debug] HOST [DNS_SERVER]\n");
    expect(out).toContain('nslookup: invalid query type "bogus"\nstatus=1\n');
  });
});

describe("host against the user network's name server", () => {
  it("NAME has address A.B.C.D, with the server block when a server is named", async () => {
    const { out, user } = await run("echo @@; host localhost; echo status=$?; host gateway.test 10.0.2.3; host 10.0.2.2");
    expect(out).toBe(
      "localhost has address 127.0.0.1\nstatus=0\n" +
        "Using domain server:\nName: 10.0.2.3\nAddress: 10.0.2.3#53\nAliases: \n\ngateway.test has address 10.0.2.2\n" +
        "2.2.0.10.in-addr.arpa domain name pointer gateway.test.\n",
    );
    // A, AAAA and MX for each name (as BIND's host asks), one PTR.
    expect([user.dns.answered, user.dns.nodata]).toEqual([3, 4]);
  });

  it("NXDOMAIN: Host NAME not found: 3(NXDOMAIN), exit 1; -t AAAA: NAME has no AAAA record", async () => {
    const { out } = await run("echo @@; host nosuch.test; echo status=$?; host -t AAAA localhost; echo status=$?");
    expect(out).toBe("Host nosuch.test not found: 3(NXDOMAIN)\nstatus=1\nlocalhost has no AAAA record\nstatus=0\n");
  });

  it("a server that cannot be reached: the timeout message, exit 1", async () => {
    const { out } = await run("echo @@; host localhost 10.0.2.77; echo status=$?");
    expect(out).toBe(";; connection timed out; no servers could be reached\nstatus=1\n");
  });
});

describe("getaddrinfo() for other tools", () => {
  it("dotted quads and localhost without asking; names through 10.0.2.3; errors in gai_strerror's words", async () => {
    const { out, user } = await run("echo @@; gai 10.1.2.3 localhost LOCALHOST. www.test gateway.test nosuch.test 'bad..name'");
    expect(out).toBe(
      "10.1.2.3: 10.1.2.3\nlocalhost: 127.0.0.1\nLOCALHOST.: 127.0.0.1\nwww.test: 10.0.2.60 10.0.2.61\ngateway.test: 10.0.2.2\n" +
        "nosuch.test: Name or service not known\nbad..name: Name or service not known\n",
    );
    expect(user.dns.queries).toBe(3);
  });
});

describe("hostile queries from the guest", () => {
  it("a datagram too short for a header gets no answer; a bad opcode gets NOTIMP; both are counted", async () => {
    const { user, out } = await run("echo @@; nc -u -w 1 10.0.2.3 53 x; echo status=$?; nc -u -w 1 10.0.2.3 53 hello-there-dns; echo status=$?");
    expect(user.dns.dropped).toBe(1);
    expect(user.dns.notimp).toBe(1);
    expect(user.dns.queries).toBe(2);
    // The NOTIMP reply came back to nc: the ID ("he"), QR set, RCODE 4.
    expect(out).toMatch(/status=0\nhe/);
    expect(user.describe()).toContain("dns queries=2 answered=0 nodata=0 nxdomain=0 servfail=0 formerr=0 notimp=1 dropped=1 pending=0");
  });
});
