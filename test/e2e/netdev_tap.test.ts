/**
 * `-netdev tap` against the host's own Linux stack, in a private network namespace each test
 * makes and removes (root only; without namespaces the tests skip and say why). ringzero runs
 * inside the namespace, so its TAP, the socat helper and the loopback socket between them are
 * all there, and nothing touches the machine's real network.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { find_program, tap_helper_error, tap_script } from "../../hw/net/netdev_tap.ts";
import { RingzeroProcess } from "../helpers/child.ts";
import { run_ringzero } from "../helpers/run_entry.ts";

const have_socat = find_program("socat") !== null;
if (!have_socat && process.env["RZ_REQUIRE_SOCAT"] === "1") throw new Error("socat is required (RZ_REQUIRE_SOCAT=1): apt-get install socat");

/** Can this process make network namespaces (root, and a kernel and sandbox that allow it)? */
function netns_allowed(): string | null {
  if (process.getuid?.() !== 0) return "not root";
  const probe = `rz-probe-${process.pid}`;
  const r = spawnSync("ip", ["netns", "add", probe], { encoding: "utf8" });
  if (r.status !== 0) return `ip netns add failed: ${(r.stderr || r.error?.message || "").trim()}`;
  spawnSync("ip", ["netns", "del", probe]);
  return null;
}
const why_not = have_socat ? netns_allowed() : "socat is not installed";
if (why_not !== null) console.warn(`skipping the -netdev tap tests: ${why_not} (they need root, ip netns and socat)`);

const MAC = "52:54:00:12:34:56";
let seq = 0;
const cleanups: (() => void)[] = [];

afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

/** A fresh namespace with loopback up; removed after the test. */
function netns(): { name: string; exec: (cmd: string[], opts?: { timeout?: number }) => { status: number | null; out: string } } {
  const name = `rz-tap-${process.pid}-${seq++}`;
  expect(spawnSync("ip", ["netns", "add", name]).status).toBe(0);
  // Whatever still runs in it (a helper orphaned by a failed test) goes first: a namespace a
  // process holds outlives its name.
  cleanups.push(() => {
    for (const pid of spawnSync("ip", ["netns", "pids", name], { encoding: "utf8" }).stdout.split(/\s+/).filter((p) => p !== "")) {
      try {
        process.kill(Number(pid), "SIGKILL");
      } catch {
        // gone already
      }
    }
    spawnSync("ip", ["netns", "del", name]);
  });
  spawnSync("ip", ["netns", "exec", name, "ip", "link", "set", "lo", "up"]);
  return {
    name,
    exec: (cmd, o = {}) => {
      const r = spawnSync("ip", ["netns", "exec", name, ...cmd], { encoding: "utf8", timeout: o.timeout ?? 20_000 });
      return { status: r.status, out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
    },
  };
}

/** An ifup script as QEMU's: address and link up for the interface it is given. */
function ifup_script(addr: string): string {
  const dir = mkdtempSync(join(tmpdir(), "rz-tap-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, "ifup");
  writeFileSync(path, `#!/bin/sh\nip addr add ${addr} dev "$1" && ip link set "$1" up\n`, { mode: 0o755 });
  return path;
}

async function boot_in(ns: string, ifname: string, extra: string[] = []): Promise<RingzeroProcess> {
  const rz = new RingzeroProcess(["-nodefaults", "-netdev", `tap,id=n0,ifname=${ifname},script=${ifup_script("10.0.3.1/24")},downscript=no`, "-device", `e1000,netdev=n0,mac=${MAC}`, "--ip", "10.0.3.2/24", ...extra], { wrap: ["ip", "netns", "exec", ns] });
  cleanups.push(() => void rz.kill());
  await rz.ready();
  return rz;
}

describe.skipIf(why_not !== null)("-netdev tap in a private network namespace", () => {
  it("the host and ringzero ping each other, the host's neighbour table holds ringzero's MAC, UDP goes both ways, and tcpdump on the TAP finds every checksum right", async () => {
    const ns = netns();
    const rz = await boot_in(ns.name, "tap0");
    const pcap = join(mkdtempSync(join(tmpdir(), "rz-tapcap-")), "tap0.pcap");
    cleanups.push(() => rmSync(join(pcap, ".."), { recursive: true, force: true }));
    const dump = spawn("ip", ["netns", "exec", ns.name, "tcpdump", "-i", "tap0", "--immediate-mode", "-U", "-n", "-w", pcap], { stdio: ["ignore", "ignore", "pipe"] });
    cleanups.push(() => dump.kill("SIGKILL"));
    let dump_err = "";
    dump.stderr.on("data", (d: Buffer) => (dump_err += d.toString()));
    const listening = (): boolean => dump_err.includes("listening on");
    for (let i = 0; i < 200 && !listening(); i++) await new Promise((r) => setTimeout(r, 25)); // host pacing: tcpdump's start
    expect(listening(), dump_err).toBe(true);

    // The host pings ringzero, and then knows its MAC.
    const ping = ns.exec(["ping", "-c", "3", "-i", "0.2", "-W", "2", "10.0.3.2"]);
    expect(ping.out, ping.out).toContain("3 packets transmitted, 3 received, 0% packet loss");
    // Any state that holds the address (REACHABLE, or DELAY/PROBE/STALE as it ages), not FAILED.
    expect(ns.exec(["ip", "neigh", "show", "dev", "tap0"]).out).toMatch(new RegExp(`10\\.0\\.3\\.2 lladdr ${MAC} (REACHABLE|STALE|DELAY|PROBE)`));
    // ringzero pings the host.
    expect(await rz.run("ping -c 3 -i 0.2 10.0.3.1")).toContain("3 packets transmitted, 3 received, 0% packet loss");

    // UDP, host -> ringzero: a listener in the guest prints what arrives. The host sends until it
    // is heard (the listener may not be bound yet): a bounded loop, not a sleep.
    rz.send("nc -u -l 5000 &");
    await rz.wait_for(/ringzero:\/# /);
    const heard = (): boolean => rz.output.includes("hello-guest\n");
    for (let i = 0; i < 50 && !heard(); i++) {
      spawnSync("ip", ["netns", "exec", ns.name, "socat", "-u", "-", "UDP-SENDTO:10.0.3.2:5000"], { input: "hello-guest\n" });
      for (let j = 0; j < 8 && !heard(); j++) await new Promise((r) => setTimeout(r, 25));
    }
    expect(heard(), rz.output).toBe(true);
    // UDP, ringzero -> host: the host's socat prints the datagrams it receives.
    const host_rx = spawn("ip", ["netns", "exec", ns.name, "socat", "-u", "UDP-RECV:6000", "STDOUT"], { stdio: ["ignore", "pipe", "ignore"] });
    cleanups.push(() => host_rx.kill("SIGKILL"));
    let host_got = "";
    host_rx.stdout.on("data", (d: Buffer) => (host_got += d.toString()));
    for (let i = 0; i < 100 && !ns.exec(["ss", "-uln"]).out.includes(":6000"); i++) await new Promise((r) => setTimeout(r, 25));
    for (let i = 0; i < 5 && !host_got.includes("hello-host"); i++) {
      await rz.run("nc -u -w 1 10.0.3.1 6000 hello-host");
      for (let j = 0; j < 8 && !host_got.includes("hello-host"); j++) await new Promise((r) => setTimeout(r, 25));
    }
    expect(host_got).toContain("hello-host");

    // tcpdump writes each frame as it takes it (-U): wait until both UDP datagrams are in the
    // file before stopping it (host pacing, bounded).
    const udp_in_file = (): number => (spawnSync("tcpdump", ["-r", pcap, "-n", "udp"], { encoding: "utf8" }).stdout.match(/UDP/g) ?? []).length;
    for (let i = 0; i < 200 && udp_in_file() < 2; i++) await new Promise((r) => setTimeout(r, 25));
    dump.kill("SIGINT");
    await new Promise((r) => dump.on("close", r));
    const read = spawnSync("tcpdump", ["-r", pcap, "-n", "-vv"], { encoding: "utf8" });
    expect(read.status, read.stderr).toBe(0);
    const lines = read.stdout;
    expect(lines).toMatch(/ICMP echo request/);
    expect(lines).toMatch(/ICMP echo reply/);
    expect(lines, lines).toMatch(/\[udp sum ok\]/);
    expect(lines).not.toMatch(/bad cksum|bad udp cksum|wrong icmp cksum|incorrect/);
    expect(readFileSync(pcap).length).toBeGreaterThan(24);
    expect(await rz.quit()).toBe(0);
  }, 60_000);

  it("killing the helper drops the carrier: ringzero says so once, the guest sees the link go down, and the monitor shows it", async () => {
    const ns = netns();
    const ifname = `tapk${process.pid % 1000}`;
    const rz = await boot_in(ns.name, ifname);
    expect(await rz.run("ping -c 1 10.0.3.1")).toContain("1 received");
    rz.send("~info network");
    const info = await rz.wait_for(/helper socat pid (\d+)/);
    const pid = Number(info[1]);
    process.kill(pid, "SIGKILL");
    await rz.wait_for(new RegExp(`TAP helper socat \\(pid ${pid}\\) exited with signal SIGKILL: ${ifname} has no carrier`));
    await rz.wait_for(/e1000: eth0 NIC Link is Down/);
    // What the guest sends now finds no carrier: nothing leaves, ping says so, and the driver
    // counts each frame it could not send (tx_dropped, tx_carrier_errors).
    expect(await rz.run("ping -c 2 -W 1 10.0.3.1")).toMatch(/2 packets transmitted, 0 received/);
    const stats = await rz.run("ethtool -S eth0");
    expect(Number(/tx_carrier_errors: (\d+)/.exec(stats)?.[1])).toBeGreaterThanOrEqual(1);
    expect(Number(/tx_dropped: (\d+)/.exec(stats)?.[1])).toBeGreaterThanOrEqual(1);
    rz.send("~info network");
    await rz.wait_for(/exited: signal SIGKILL, no carrier .* disconnects=1/);
    expect(rz.output.match(/TAP helper socat/g)?.length).toBe(1);
    expect(await rz.quit()).toBe(0);
  }, 60_000);

  it("refuses, before boot, with QEMU's errors and status 2", async () => {
    const ns = netns();
    const run = async (args: string[], extra_wrap: string[] = []): Promise<{ code: number | null; err: string }> => {
      const r = spawnSync("ip", ["netns", "exec", ns.name, ...extra_wrap, process.execPath, join(import.meta.dirname, "..", "..", "boot", "start.mjs"), "-nodefaults", ...args, "-device", "e1000,netdev=n0", "-c", "true"], { encoding: "utf8", timeout: 20_000 });
      return { code: r.status, err: r.stderr };
    };
    // No CAP_NET_ADMIN: TUNSETIFF is refused.
    let r = await run(["-netdev", "tap,id=n0,ifname=tap0"], ["setpriv", "--inh-caps=-net_admin", "--bounding-set=-net_admin"]);
    expect(r).toEqual({ code: 2, err: "ringzero: -netdev tap,id=n0: could not configure /dev/net/tun (tap0): Operation not permitted\n" });
    // The name is taken by an interface that is not a TAP.
    ns.exec(["ip", "link", "add", "tapv", "type", "veth", "peer", "name", "tapw"]);
    r = await run(["-netdev", "tap,id=n0,ifname=tapv"]);
    expect(r).toEqual({ code: 2, err: "ringzero: -netdev tap,id=n0: could not configure /dev/net/tun (tapv): Invalid argument\n" });
    // A TAP another process holds.
    const holder = spawn("ip", ["netns", "exec", ns.name, "socat", "TUN,tun-type=tap,tun-name=tapb,iff-no-pi", "UDP-DATAGRAM:127.0.0.1:9,bind=127.0.0.1:0"], { stdio: "ignore" });
    cleanups.push(() => holder.kill());
    for (let i = 0; i < 100 && ns.exec(["ip", "link", "show", "tapb"]).status !== 0; i++) await new Promise((res) => setTimeout(res, 25));
    r = await run(["-netdev", "tap,id=n0,ifname=tapb"]);
    expect(r).toEqual({ code: 2, err: "ringzero: -netdev tap,id=n0: could not configure /dev/net/tun (tapb): Device or resource busy\n" });
    // A bridge that does not exist.
    r = await run(["-netdev", "tap,id=n0,br=br7"]);
    expect(r).toEqual({ code: 2, err: "ringzero: -netdev tap,id=n0: failed to get mtu of bridge `br7': No such device\n" });
    // A failing script.
    r = await run(["-netdev", "tap,id=n0,ifname=tap1,script=/bin/false"]);
    // QEMU prints the raw wait status (exit code 1 is 256), the same for a script that cannot run.
    expect(r).toEqual({ code: 2, err: "ringzero: -netdev tap,id=n0: network script /bin/false failed with status 256\n" });
    r = await run(["-netdev", "tap,id=n0,ifname=tap1,script=/nonexistent/ifup"]);
    expect(r).toEqual({ code: 2, err: "ringzero: -netdev tap,id=n0: network script /nonexistent/ifup failed with status 256\n" });
    // A failed start leaves nothing behind: no helper holds the TAP.
    expect(ns.exec(["ip", "link", "show", "tap1"]).status).not.toBe(0);
    // socat missing: say which package has it.
    const nosocat = spawnSync(process.execPath, [join(import.meta.dirname, "..", "..", "boot", "start.mjs"), "-nodefaults", "-netdev", "tap,id=n0", "-device", "e1000,netdev=n0", "-c", "true"], { encoding: "utf8", env: { ...process.env, PATH: "/nonexistent" } });
    expect(nosocat.status).toBe(2);
    expect(nosocat.stderr).toBe("ringzero: -netdev tap,id=n0: socat not found: ringzero opens TAP devices through it (Debian package: socat; apt-get install socat)\n");
  }, 60_000);

  it("br= puts the TAP on an existing bridge, and downscript runs with the interface name at power-off", async () => {
    const ns = netns();
    ns.exec(["ip", "link", "add", "br0", "type", "bridge"]);
    ns.exec(["ip", "addr", "add", "10.0.3.1/24", "dev", "br0"]);
    ns.exec(["ip", "link", "set", "br0", "up"]);
    const dir = mkdtempSync(join(tmpdir(), "rz-tap-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, "ifup"), `#!/bin/sh\nip link set "$1" up\n`, { mode: 0o755 });
    // The down script still sees the TAP (QEMU runs it before letting the TAP go).
    writeFileSync(join(dir, "ifdown"), `#!/bin/sh\nip link show "$1" >/dev/null && echo "down $1 present" > ${join(dir, "down.log")}\n`, { mode: 0o755 });
    const rz = new RingzeroProcess(["-nodefaults", "-netdev", `tap,id=n0,ifname=tap0,br=br0,script=${join(dir, "ifup")},downscript=${join(dir, "ifdown")}`, "-device", `e1000,netdev=n0,mac=${MAC}`, "--ip", "10.0.3.2/24"], { wrap: ["ip", "netns", "exec", ns.name] });
    cleanups.push(() => void rz.kill());
    await rz.ready();
    expect(ns.exec(["ip", "link", "show", "tap0"]).out).toContain("master br0");
    expect(ns.exec(["ping", "-c", "2", "-i", "0.2", "-W", "2", "10.0.3.2"]).out).toContain("2 received, 0% packet loss");
    expect(existsSync(join(dir, "down.log"))).toBe(false);
    expect(await rz.quit()).toBe(0);
    expect(readFileSync(join(dir, "down.log"), "utf8")).toBe("down tap0 present\n");
    // The helper is gone with the machine: the TAP (not persistent) went with it.
    expect(ns.exec(["ip", "link", "show", "tap0"]).status).not.toBe(0);
  }, 60_000);
});

describe.skipIf(why_not !== null)("-netdev tap: the TAP's name and the helper's lifetime", () => {
  it("without ifname the kernel names the TAP, and SIGTERM to ringzero runs the down script and ends the helper", async () => {
    const ns = netns();
    ns.exec(["ip", "tuntap", "add", "tap0", "mode", "tap"]); // tap0 is taken: the kernel picks tap1
    const dir = mkdtempSync(join(tmpdir(), "rz-tap-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, "ifup"), `#!/bin/sh\necho "up $1" > ${join(dir, "up.log")}\nip addr add 10.0.3.1/24 dev "$1" && ip link set "$1" up\n`, { mode: 0o755 });
    writeFileSync(join(dir, "ifdown"), `#!/bin/sh\nip link show "$1" >/dev/null && echo "down $1" > ${join(dir, "down.log")}\n`, { mode: 0o755 });
    const rz = new RingzeroProcess(["-nodefaults", "-netdev", `tap,id=n0,script=${join(dir, "ifup")},downscript=${join(dir, "ifdown")}`, "-device", `e1000,netdev=n0,mac=${MAC}`, "--ip", "10.0.3.2/24"], { wrap: ["ip", "netns", "exec", ns.name] });
    cleanups.push(() => void rz.kill());
    await rz.ready();
    expect(readFileSync(join(dir, "up.log"), "utf8")).toBe("up tap1\n");
    expect(ns.exec(["ping", "-c", "1", "-W", "2", "10.0.3.2"]).out).toContain("1 received");
    rz.send("~info network");
    const pid = Number((await rz.wait_for(/tap ifname=tap1 helper socat pid (\d+)/))[1]);
    rz.signal("SIGTERM");
    expect(await rz.exited).toBe(143);
    expect(readFileSync(join(dir, "down.log"), "utf8")).toBe("down tap1\n");
    // The helper is gone (the TAP with it).
    for (let i = 0; i < 100 && ns.exec(["ip", "link", "show", "tap1"]).status === 0; i++) await new Promise((r) => setTimeout(r, 25));
    expect(ns.exec(["ip", "link", "show", "tap1"]).status).not.toBe(0);
    // Gone, or a zombie waiting for whoever reaps orphans here: not running.
    const state = (): string => {
      try {
        return /^\d+ \(.*\) (\S)/.exec(readFileSync(`/proc/${pid}/stat`, "utf8"))?.[1] ?? "gone";
      } catch {
        return "gone";
      }
    };
    for (let i = 0; i < 100 && !["gone", "Z", "X"].includes(state()); i++) await new Promise((r) => setTimeout(r, 25));
    expect(["gone", "Z", "X"]).toContain(state());
  }, 60_000);

  it("takes frames only from its helper: a datagram from another local process is not heard", async () => {
    const ns = netns();
    const rz = await boot_in(ns.name, "tap0");
    rz.send("~info network");
    const m = await rz.wait_for(/udp 127\.0\.0\.1:(\d+) <-> 127\.0\.0\.1:(\d+)\)/);
    const [ours, helpers] = [Number(m[1]), Number(m[2])];
    // A stranger's ARP request from 10.0.3.99 (02:00:00:00:00:99): to ringzero's port asking for
    // the guest, to the helper's port asking for the host. Heard, either side would learn
    // 10.0.3.99 in its neighbour table.
    const arp = (target: string): Buffer => Buffer.from("ffffffffffff" + "020000000099" + "0806" + "0001080006040001" + "020000000099" + "0a000363" + "000000000000" + target + "00".repeat(18), "hex");
    spawnSync("ip", ["netns", "exec", ns.name, "socat", "-u", "-", `UDP-SENDTO:127.0.0.1:${ours}`], { input: arp("0a000302") });
    spawnSync("ip", ["netns", "exec", ns.name, "socat", "-u", "-", `UDP-SENDTO:127.0.0.1:${helpers}`], { input: arp("0a000301") });
    // A round trip over the real path after the strangers' datagrams: they would have been heard by now.
    expect(await rz.run("ping -c 1 10.0.3.1")).toContain("1 received");
    expect(await rz.run("ip neigh")).not.toContain("10.0.3.99");
    expect(ns.exec(["ip", "neigh", "show"]).out).not.toContain("10.0.3.99");
    expect(await rz.quit()).toBe(0);
  }, 60_000);
});

describe("-netdev tap: QEMU's rules, without a TAP", () => {
  it("script=: absent means QEMU's default only if it exists; no and empty mean none", () => {
    const dir = mkdtempSync(join(tmpdir(), "rz-tap-"));
    try {
      const fallback = join(dir, "qemu-ifup");
      expect(tap_script(null, fallback)).toBe(null);
      writeFileSync(fallback, "#!/bin/sh\n", { mode: 0o755 });
      expect(tap_script(null, fallback)).toBe(fallback);
      expect(tap_script("no", fallback)).toBe(null);
      expect(tap_script("", fallback)).toBe(null);
      expect(tap_script("/x/up", fallback)).toBe("/x/up");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("words the helper's failures as QEMU does", () => {
    expect(tap_helper_error('2026/12/03 04:40:05 socat[2114] E ioctl(5, TUNSETIFF, {"tap0"}: Device or resource busy', "tap0")).toBe("could not configure /dev/net/tun (tap0): Device or resource busy");
    expect(tap_helper_error('2026/12/03 04:39:56 socat[2092] E open("/dev/net/tun", 02, 0666): Permission denied', "tap0")).toBe("could not open /dev/net/tun: Permission denied");
    expect(tap_helper_error("2026/12/03 socat[1] E something else", "tap0")).toBe("the TAP helper failed: something else");
  });
});

describe("-netdev tap: options refused before anything starts", () => {
  it("unknown parameters and bad names are one line and status 2", async () => {
    let r = await run_ringzero(["-nodefaults", "-netdev", "tap,id=n0,vhost=on", "-device", "e1000,netdev=n0", "-c", "true"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("ringzero: -netdev tap,id=n0: Invalid parameter 'vhost'\n");
    r = await run_ringzero(["-nodefaults", "-netdev", "tap,id=n0,ifname=../etc", "-device", "e1000,netdev=n0", "-c", "true"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("ringzero: -netdev tap,id=n0: ifname '../etc' is not a valid interface name (1-15 of A-Z a-z 0-9 _ . -)\n");
    r = await run_ringzero(["-nodefaults", "-netdev", "tap,id=n0", "-device", "e1000,netdev=n0", "--clock", "virtual", "-c", "true"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("ringzero: --clock virtual: netdev 'n0' talks to the outside world, which runs on wall-clock time; use --clock realtime\n");
  });
});
