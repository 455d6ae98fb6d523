/**
 * The page's packet capture (web/state/packet_capture.ts) on a real networked machine: two hosts
 * on a hub, the left one runs its own `tcpdump` while it pings the right one and itself. The
 * capture must print the same lines as the guest's tcpdump for the same frames, hold the exact
 * bytes the kernel's tap saw, write a pcap file the real tcpdump reads back (Debian's package, as
 * test/e2e/pcap.test.ts; RZ_REQUIRE_TCPDUMP=1 makes its absence an error), and count every frame
 * its bounded ring pushes out.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dev_add_tap } from "../../drivers/net/netdev.ts";
import { Hub } from "../../hw/net/hub.ts";
import { World } from "../../hw/world.ts";
import { with_kernel } from "../../kernel/kernel.ts";
import { pbuf_copy_bits } from "../../kernel/mm/pbuf.ts";
import { packet_capture_attach, type PacketCapture } from "../../web/state/packet_capture.ts";
import type { TestMachine } from "../helpers/boot.ts";
import { boot_host } from "../helpers/net_machine.ts";

const have_tcpdump = spawnSync("tcpdump", ["--version"]).status === 0;
if (!have_tcpdump && process.env.RZ_REQUIRE_TCPDUMP === "1") throw new Error("tcpdump is required (RZ_REQUIRE_TCPDUMP=1): apt-get install tcpdump");

const dir = mkdtempSync(join(tmpdir(), "rz-web-pcap-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TS = /^\d\d:\d\d:\d\d\.\d{6} /;
const REQUEST = "IP 10.0.0.1 > 10.0.0.2: ICMP echo request, id 1, seq 1, length 64";
const REPLY = "IP 10.0.0.2 > 10.0.0.1: ICMP echo reply, id 1, seq 1, length 64";

/** web/panel.ts's WebMachine (not imported: that file needs the DOM lib, which tsconfig.json lacks for now). */
interface WebMachine {
  name: string;
  machine: TestMachine["machine"];
  kernel: TestMachine["kernel"];
}

interface Env {
  wm: WebMachine;
  cap: PacketCapture;
  /** Same tap, ring of 3 frames. */
  small: PacketCapture;
  /** Same tap, 100 bytes of frame data. */
  tiny: PacketCapture;
  /** Detached before the machine ran. */
  gone: PacketCapture;
  /** Every frame the kernel's tap offered, copied by the test's own tap. */
  tapped: Uint8Array[];
  guest_lines: string[];
}

let env: Env;

beforeAll(async () => {
  const world = new World("virtual");
  const hub = new Hub();
  const left = boot_host(world, { wires: [hub.port()], cmdline: "ip=10.0.0.1::::::off", command: "tcpdump -n -c 4 & sleep 1; ping -c 1 10.0.0.2; wait; ping -c 1 127.0.0.1; echo DONE" });
  boot_host(world, { wires: [hub.port()], cmdline: "ip=10.0.0.2::::::off", command: "sleep 1000000", base_mac: 0x70 });
  const wm: WebMachine = { name: "left", machine: left.machine, kernel: left.kernel };
  const cap = packet_capture_attach(wm.kernel);
  const small = packet_capture_attach(wm.kernel, { max_frames: 3 });
  const tiny = packet_capture_attach(wm.kernel, { max_bytes: 100 });
  const gone = packet_capture_attach(wm.kernel);
  gone.detach();
  const tapped: Uint8Array[] = [];
  with_kernel(wm.kernel, () =>
    dev_add_tap((p, dev, outgoing) => {
      if (outgoing && dev.type === "loopback") return;
      const b = new Uint8Array(p.len);
      pbuf_copy_bits(p, 0, b, 0, p.len);
      tapped.push(b);
    }),
  );
  await world.run({ until: () => left.machine.console_output.includes("DONE"), for_ns: 30e9 });
  expect(left.machine.console_output).toContain("DONE");
  const guest_lines = left.machine.console_output.split("\n").filter((l) => TS.test(l));
  env = { wm, cap, small, tiny, gone, tapped, guest_lines };
});

const lines = (c: PacketCapture): string[] => {
  const out: string[] = [];
  for (let i = c.first; i < c.end; i++) out.push(c.one_line(i)!);
  return out;
};

describe("packet capture from the kernel's tap", () => {
  it("prints the ping's frames as the guest's tcpdump printed them", () => {
    const { cap, guest_lines } = env;
    expect(guest_lines.map((l) => l.replace(TS, ""))).toEqual([
      "ARP, Request who-has 10.0.0.2 tell 10.0.0.1, length 46",
      "ARP, Reply 10.0.0.2 is-at 52:54:00:12:34:70, length 46",
      REQUEST,
      REPLY,
    ]);
    const all = lines(cap);
    // Same frames, same kernel timestamps, same printer: the very same lines, in the same order.
    const from = all.indexOf(guest_lines[0]!);
    expect(from).toBeGreaterThanOrEqual(0);
    expect(all.slice(from, from + 4)).toEqual(guest_lines);
    const f = cap.frame(cap.first + from + 2)!;
    expect([f.ifname, f.outgoing]).toEqual(["eth0", true]);
    expect(cap.frame(cap.first + from + 3)!.outgoing).toBe(false);
    // Loopback frames once each (as libpcap keeps them), on "lo".
    const lo = [];
    for (let i = cap.first; i < cap.end; i++) if (cap.frame(i)!.ifname === "lo") lo.push(cap.one_line(i)!.replace(TS, ""));
    expect(lo).toEqual(["IP 127.0.0.1 > 127.0.0.1: ICMP echo request, id 2, seq 1, length 64", "IP 127.0.0.1 > 127.0.0.1: ICMP echo reply, id 2, seq 1, length 64"]);
    expect(cap.dropped).toBe(0);
    expect(cap.one_line(cap.end)).toBeNull();
    expect(cap.one_line(-1)).toBeNull();
  });

  it("holds the exact bytes the tap saw, and writes them into a libpcap file", () => {
    const { cap, tapped } = env;
    expect(cap.count).toBe(tapped.length);
    for (let i = 0; i < tapped.length; i++) expect(cap.frame(cap.first + i)!.data).toEqual(tapped[i]);
    const b = cap.pcap_bytes();
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    expect(v.getUint32(0, true)).toBe(0xa1b2c3d4);
    expect([v.getUint16(4, true), v.getUint16(6, true)]).toEqual([2, 4]);
    expect(v.getUint32(16, true)).toBe(262144);
    expect(v.getUint32(20, true)).toBe(1); // LINKTYPE_ETHERNET
    const recs: Uint8Array[] = [];
    let prev_us = 0;
    let o = 24;
    while (o < b.length) {
      expect(b.length - o).toBeGreaterThanOrEqual(16);
      const us = v.getUint32(o, true) * 1e6 + v.getUint32(o + 4, true);
      expect(v.getUint32(o + 4, true)).toBeLessThan(1e6);
      expect(us).toBeGreaterThanOrEqual(prev_us);
      prev_us = us;
      const incl = v.getUint32(o + 8, true);
      expect(v.getUint32(o + 12, true)).toBe(incl);
      recs.push(b.slice(o + 16, o + 16 + incl));
      o += 16 + incl;
    }
    expect(o).toBe(b.length);
    expect(recs).toEqual(tapped);
    expect(Math.floor(cap.frame(cap.first)!.ts_ns / 1000)).toBe(v.getUint32(24, true) * 1e6 + v.getUint32(28, true));
  });

  it("dumps a frame's bytes in tcpdump -XX's layout", () => {
    const { cap } = env;
    const i = lines(cap).findIndex((l) => l.endsWith(REQUEST)) + cap.first;
    const hex = cap.hex_dump(i)!;
    expect(hex[0]).toBe("\t0x0000:  5254 0012 3470 5254 0012 3456 0800 4500  RT..4pRT..4V..E.");
    expect(hex.length).toBe(Math.ceil(98 / 16));
    expect(hex.at(-1)).toMatch(/^\t0x0060:  [0-9a-f]{4} {37}67$/);
    expect(cap.hex_dump(cap.end)).toBeNull();
  });

  it("pushes the oldest frames out of a full ring, counting each, and keeps the newest intact", () => {
    const { cap, small, tiny } = env;
    const all = lines(cap);
    expect(cap.end).toBeGreaterThan(3);
    expect([small.first, small.end, small.count, small.dropped]).toEqual([cap.end - 3, cap.end, 3, cap.end - 3]);
    expect(lines(small)).toEqual(all.slice(-3));
    for (let i = small.first; i < small.end; i++) expect(small.frame(i)!.data).toEqual(cap.frame(i)!.data);
    expect(small.one_line(0)).toBeNull();
    expect(small.hex_dump(0)).toBeNull();
    // By bytes: never more than 100 held, and every frame is either held or counted.
    expect(tiny.bytes).toBeLessThanOrEqual(100);
    expect(tiny.count + tiny.dropped).toBe(cap.end);
    expect(tiny.count).toBe(1); // the last frame, an ICMP echo reply of 98 bytes
    expect(lines(tiny)).toEqual(all.slice(-1));
    const p = small.pcap_bytes();
    expect(p.length).toBe(24 + 3 * 16 + [0, 1, 2].reduce((n, k) => n + small.frame(small.first + k)!.data.length, 0));
  });

  it("clear() starts a new capture numbered on; detach() stops it", () => {
    const { small, gone, cap } = env;
    expect(cap.end).toBeGreaterThan(0);
    expect([gone.end, gone.attached]).toEqual([0, false]);
    const end = small.end;
    small.clear();
    expect([small.first, small.end, small.count, small.dropped, small.bytes]).toEqual([end, end, 0, 0, 0]);
    expect(small.pcap_bytes().length).toBe(24);
    expect(small.attached).toBe(true);
    small.detach();
    small.detach();
    expect(small.attached).toBe(false);
  });
});

describe.skipIf(!have_tcpdump)("the real tcpdump", () => {
  const tcpdump = (file: string, ...flags: string[]): string[] => {
    const r = spawnSync("tcpdump", ["-n", ...flags, "-r", file], { encoding: "utf8", env: { ...process.env, TZ: "UTC" } });
    expect(r.status, r.stderr).toBe(0);
    return r.stdout.split("\n").filter((l) => l !== "");
  };

  it("reads the pcap file and prints the capture's lines", () => {
    const file = join(dir, "capture.pcap");
    writeFileSync(file, env.cap.pcap_bytes());
    expect(tcpdump(file)).toEqual(lines(env.cap));
  });

  it("prints the same hex dump with -XX", () => {
    const file = join(dir, "capture.pcap");
    writeFileSync(file, env.cap.pcap_bytes());
    const out = tcpdump(file, "-XX");
    const ours: string[] = [];
    for (let i = env.cap.first; i < env.cap.end; i++) ours.push(env.cap.one_line(i)!, ...env.cap.hex_dump(i)!);
    expect(out).toEqual(ours);
  });
});
