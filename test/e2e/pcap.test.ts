/**
 * Packet capture: --pcap FILE and -object filter-dump write classic libpcap files. Our own reader
 * checks the format and the checksums of every frame; the real tcpdump (Debian's package; .ci/run
 * installs it) must read the file and agree with the guest's own tcpdump line for line.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { csum_fold, csum_partial, csum_tcpudp_nofold } from "../../lib/inet_checksum.ts";
import { run_ringzero } from "../helpers/run_entry.ts";

const dir = mkdtempSync(join(tmpdir(), "rz-pcap-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const have_tcpdump = spawnSync("tcpdump", ["--version"]).status === 0;
if (!have_tcpdump && process.env.RZ_REQUIRE_TCPDUMP === "1") throw new Error("tcpdump is required (RZ_REQUIRE_TCPDUMP=1): apt-get install tcpdump");

interface Record_ {
  ts_us: number;
  frame: Uint8Array;
}

/** A minimal libpcap reader: the global header must be what Wireshark expects, then records. */
function read_pcap(path: string): Record_[] {
  const b = readFileSync(path);
  expect(b.readUInt32LE(0)).toBe(0xa1b2c3d4); // microsecond timestamps, little-endian
  expect([b.readUInt16LE(4), b.readUInt16LE(6)]).toEqual([2, 4]);
  expect(b.readUInt32LE(16)).toBe(65535); // snaplen
  expect(b.readUInt32LE(20)).toBe(1); // LINKTYPE_ETHERNET
  const out: Record_[] = [];
  let o = 24;
  while (o < b.length) {
    expect(b.length - o).toBeGreaterThanOrEqual(16);
    const usec = b.readUInt32LE(o + 4);
    expect(usec).toBeLessThan(1_000_000);
    const incl = b.readUInt32LE(o + 8);
    expect(b.readUInt32LE(o + 12)).toBe(incl);
    out.push({ ts_us: b.readUInt32LE(o) * 1e6 + usec, frame: new Uint8Array(b.subarray(o + 16, o + 16 + incl)) });
    o += 16 + incl;
  }
  expect(o).toBe(b.length);
  return out;
}

/** Every IPv4 header, ICMP message and (non-zero) UDP checksum in the frame verifies. */
function checksums_ok(f: Uint8Array): boolean {
  if (f[12] !== 0x08 || f[13] !== 0x00) return true;
  const hl = (f[14]! & 15) * 4;
  const tot = (f[16]! << 8) | f[17]!;
  if (csum_fold(csum_partial(f, 14, hl)) !== 0) return false;
  const p = 14 + hl;
  const len = tot - hl;
  if (f[23] === 1) return csum_fold(csum_partial(f, p, len)) === 0;
  if (f[23] === 17 && (f[p + 6] !== 0 || f[p + 7] !== 0)) {
    const v = new DataView(f.buffer, f.byteOffset);
    return csum_fold(csum_partial(f, p, len, csum_tcpudp_nofold(v.getUint32(26), v.getUint32(30), len, 17))) === 0;
  }
  return true;
}

function tcpdump_read(path: string, ...flags: string[]): string[] {
  const r = spawnSync("tcpdump", ["-n", ...flags, "-r", path], { encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.split("\n").filter((l) => l !== "");
}

const strip_ts = (l: string): string => l.replace(/^\d\d:\d\d:\d\d\.\d{6} /, "");

describe("--pcap", () => {
  const file = join(dir, "ping.pcap");
  let guest_stdout = "";

  it("writes a libpcap file of the ping session: DHCP, ARP and ICMP frames with valid checksums", async () => {
    const r = await run_ringzero(["--clock", "virtual", "--pcap", file, "-c", "tcpdump -n -c 6 & ping -c 2 10.0.2.2; wait"]);
    expect(r.code).toBe(0);
    guest_stdout = r.stdout;
    const recs = read_pcap(file);
    const f = recs.map((x) => x.frame);
    const type = (x: Uint8Array): number => (x[12]! << 8) | x[13]!;
    const arp_ops = f.filter((x) => type(x) === 0x0806).map((x) => x[21]);
    expect(arp_ops).toContain(1);
    expect(arp_ops).toContain(2);
    const icmp = f.filter((x) => type(x) === 0x0800 && x[23] === 1).map((x) => x[34]);
    expect(icmp).toEqual([8, 0, 8, 0]);
    expect(f.filter((x) => type(x) === 0x0800 && x[23] === 17).length).toBe(4); // DHCP discover/offer/request/ack
    expect(f.every(checksums_ok)).toBe(true);
    for (let i = 1; i < recs.length; i++) expect(recs[i]!.ts_us).toBeGreaterThanOrEqual(recs[i - 1]!.ts_us);
    expect(recs.at(-1)!.ts_us - recs.find((x) => x.frame[34] === 8)!.ts_us).toBeGreaterThanOrEqual(1_000_000); // a second between the pings
  });

  it.skipIf(!have_tcpdump)("the real tcpdump reads it, finds no bad checksum, and agrees with the guest's tcpdump", () => {
    const verbose = tcpdump_read(file, "-vv").join("\n");
    expect(verbose).not.toMatch(/bad cksum|wrong icmp cksum|bad udp cksum|truncated|invalid/);
    expect(verbose).toContain("[udp sum ok] BOOTP/DHCP, Reply");
    const lines = tcpdump_read(file).map(strip_ts);
    expect(lines).toContain("ARP, Request who-has 10.0.2.2 tell 10.0.2.15, length 46");
    expect(lines).toContain("ARP, Reply 10.0.2.2 is-at 52:55:0a:00:02:02, length 46");
    const icmp = lines.filter((l) => l.includes(": ICMP "));
    expect(icmp).toEqual([
      "IP 10.0.2.15 > 10.0.2.2: ICMP echo request, id 1, seq 1, length 64",
      "IP 10.0.2.2 > 10.0.2.15: ICMP echo reply, id 1, seq 1, length 64",
      "IP 10.0.2.15 > 10.0.2.2: ICMP echo request, id 1, seq 2, length 64",
      "IP 10.0.2.2 > 10.0.2.15: ICMP echo reply, id 1, seq 2, length 64",
    ]);
    // The guest's tcpdump printed the same lines for the same frames.
    const guest = guest_stdout.split("\n").filter((l) => /^\d\d:\d\d:\d\d\.\d{6} /.test(l)).map(strip_ts);
    expect(guest.filter((l) => l.includes(": ICMP "))).toEqual(icmp);
    for (const l of guest.filter((x) => x.startsWith("ARP, "))) expect(lines).toContain(l);
  });
});

describe("--pcap with checksum offload", () => {
  it.skipIf(!have_tcpdump)("frames whose checksums the e1000 inserted pass the real tcpdump's verification", async () => {
    const file = join(dir, "offload.pcap");
    const r = await run_ringzero(["--clock", "virtual", "--pcap", file, "-c", "nc -u 10.0.2.2 7 hello from ringzero; ping -c 1 10.0.2.2; ethtool -S eth0"]);
    expect(r.code).toBe(0);
    // The guest's stack left both checksums to the NIC...
    expect(Number(/tx_csum_offload: (\d+)/.exec(r.stdout)?.[1])).toBeGreaterThanOrEqual(2);
    // ...and on the wire they are right.
    expect(read_pcap(file).every((x) => checksums_ok(x.frame))).toBe(true);
    const verbose = tcpdump_read(file, "-vv").join("\n");
    expect(verbose).not.toMatch(/bad cksum|wrong icmp cksum|bad udp cksum/);
    expect(verbose).toMatch(/10\.0\.2\.15\.\d+ > 10\.0\.2\.2\.7: \[udp sum ok\] UDP, length 20/);
  });
});

describe("-object filter-dump", () => {
  it("captures the named netdev, and refuses a netdev that does not exist", async () => {
    const file = join(dir, "dump.pcap");
    const r = await run_ringzero(["--clock", "virtual", "-nodefaults", "-netdev", "user,id=u0", "-device", "e1000,netdev=u0", "-object", `filter-dump,id=f0,netdev=u0,file=${file}`, "-c", "ping -c 1 10.0.2.2"]);
    expect(r.code).toBe(0);
    const recs = read_pcap(file);
    expect(recs.filter((x) => x.frame[23] === 1).length).toBe(2);
    if (have_tcpdump) expect(tcpdump_read(file).map(strip_ts)).toContain("IP 10.0.2.2 > 10.0.2.15: ICMP echo reply, id 1, seq 1, length 64");
    const bad = await run_ringzero(["--clock", "virtual", "-object", `filter-dump,id=f0,netdev=nope,file=${file}`, "-c", "true"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe("ringzero: -object filter-dump: netdev 'nope' does not exist\n");
    const nofile = await run_ringzero(["--clock", "virtual", "--pcap", join(dir, "no", "such", "dir.pcap"), "-c", "true"]);
    expect(nofile.code).toBe(2);
    expect(nofile.stderr).toMatch(/^ringzero: cannot write capture file '.*dir\.pcap': ENOENT\n$/);
  });
});
