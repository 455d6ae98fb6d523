/**
 * Hostile input on a stream back-end: the test is the peer on the UNIX socket of a ringzero
 * started through the real entrypoint, and sends what a broken or malicious peer could. The
 * kernel must survive, count what it dropped, and still answer ARP and ping.
 */
import { connect, type Socket } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { RingzeroProcess } from "../helpers/child.ts";
import { frame_builder } from "../helpers/frames.ts";

const GUEST_MAC = Uint8Array.of(0x52, 0x54, 0, 0, 0, 0x0a);
const PEER_MAC = Uint8Array.of(0x02, 0, 0, 0, 0, 0x77);
const GUEST_IP = 0x0a000701; // 10.0.7.1
const PEER_IP = 0x0a000702;
const { ipv4, arp_request, icmp_echo } = frame_builder(GUEST_MAC, PEER_MAC);

/** A peer speaking QEMU's stream framing, collecting the frames it receives. */
class Peer {
  readonly sock: Socket;
  readonly frames: Uint8Array[] = [];
  closed = false;
  private buf = Buffer.alloc(0);
  private wake: (() => void) | null = null;

  private constructor(sock: Socket) {
    this.sock = sock;
    sock.on("data", (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      while (this.buf.length >= 4 && this.buf.length >= 4 + this.buf.readUInt32BE(0)) {
        const n = this.buf.readUInt32BE(0);
        this.frames.push(new Uint8Array(this.buf.subarray(4, 4 + n)));
        this.buf = this.buf.subarray(4 + n);
      }
      this.wake?.();
    });
    sock.on("close", () => {
      this.closed = true;
      this.wake?.();
    });
    sock.on("error", () => {});
  }

  static open(path: string): Promise<Peer> {
    return new Promise((resolve, reject) => {
      const s = connect(path, () => resolve(new Peer(s)));
      s.once("error", reject);
    });
  }

  record(frame: Uint8Array): void {
    const h = Buffer.alloc(4);
    h.writeUInt32BE(frame.length);
    this.sock.write(h);
    this.sock.write(frame);
  }

  /** Wait (bounded by wall time) until `pred` holds. */
  async until(pred: () => boolean, what: string, timeout_ms = 10_000): Promise<void> {
    const deadline = Date.now() + timeout_ms;
    while (!pred()) {
      if (Date.now() > deadline) throw new Error(`peer: timed out waiting for ${what}`);
      await new Promise<void>((r) => {
        this.wake = r;
        setTimeout(r, 50);
      });
    }
  }
}

/** Deterministic bytes (xorshift32). */
function random_bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

const dir = mkdtempSync(join(tmpdir(), "rz-hostile-"));
let guest: RingzeroProcess | null = null;
afterAll(async () => {
  await guest?.kill();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Ask for the guest's MAC by ARP and ping it, as a pinger would: again every 100 ms until the
 * answers come (frames sent while the guest's link is still coming up are not heard).
 */
async function still_answers(path: string, seq: number): Promise<void> {
  const p = await Peer.open(path);
  const payload = random_bytes(56, seq);
  const is_reply = (f: Uint8Array): boolean => f[12] === 0x08 && f[13] === 0x00 && f[23] === 1 && f[34] === 0 && f[41] === (seq & 0xff);
  const is_arp_reply = (f: Uint8Array): boolean => f[12] === 0x08 && f[13] === 0x06 && f[21] === 2;
  const send = (): void => {
    p.record(arp_request(PEER_IP, GUEST_IP));
    p.record(ipv4(1, PEER_IP, GUEST_IP, icmp_echo(0x4242, seq, payload)));
  };
  send();
  const again = setInterval(send, 100);
  try {
    // Both answers, each to whichever of the repeated requests the guest heard with its link up
    // (the two need not come from the same round).
    await p.until(() => p.frames.some(is_reply) && p.frames.some(is_arp_reply), `echo reply ${seq} and ARP reply`);
  } finally {
    clearInterval(again);
  }
  const arp = p.frames.find(is_arp_reply);
  expect(arp, "ARP reply").toBeDefined();
  expect([...arp!.subarray(22, 28)]).toEqual([...GUEST_MAC]);
  const reply = p.frames.find(is_reply)!;
  expect([...reply.subarray(42, 42 + 56)]).toEqual([...payload]);
  p.sock.destroy();
  await p.until(() => p.closed, "close");
}

describe("stream back-end under hostile input", () => {
  it("drops and counts bad records, closes on bad lengths, and keeps answering ping", async () => {
    const path = join(dir, "wire.sock");
    guest = new RingzeroProcess(["-nodefaults", "-netdev", `stream,id=n0,server=on,addr.type=unix,addr.path=${path}`, "-device", "e1000,netdev=n0,mac=52:54:00:00:00:0a", "--ip", "10.0.7.1/24"]);
    await guest.wait_for(/listening on/);
    await guest.ready();
    await still_answers(path, 1);

    // 1. A length over 69632: the connection is closed with a log line.
    let p = await Peer.open(path);
    p.sock.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4]));
    await p.until(() => p.closed, "close after a bad length");
    await guest.wait_for(/warning: netdev n0: oversized packet: record length 4294967295 > 69632; closing the connection/);

    // 2. Random bytes as the stream: whatever length they start with, the record is never whole.
    p = await Peer.open(path);
    p.sock.end(random_bytes(3000, 0xc0ffee));
    await p.until(() => p.closed, "close after random bytes");
    await guest.wait_for(/warning: netdev n0: (oversized packet|connection closed in the middle of a record)/);

    // 3. Well-framed records with bad frames in them, then a record cut short. Wait for the
    // guest's link to come up first: frames sent during autonegotiation are not heard.
    p = await Peer.open(path);
    await guest.wait_for(/NIC Link is Up/);
    const bcast = (len: number, type: number, seed: number): Uint8Array => {
      const f = random_bytes(len, seed);
      f.fill(0xff, 0, 6);
      f.set(PEER_MAC, 6);
      if (len >= 14) (f[12] = type >>> 8), (f[13] = type & 0xff);
      return f;
    };
    p.record(new Uint8Array(0));
    p.record(bcast(14, 0x0800, 2)); // a bare header: padded to 60 bytes of zeros, version 0
    p.record(bcast(61, 0x0800, 3)); // random bytes after an IPv4 type
    p.record(ipv4(1, PEER_IP, GUEST_IP, icmp_echo(1, 1, new Uint8Array(8)), { tot_extra: 500 })); // says it is longer than it is
    p.record(bcast(1515, 0x0806, 4));
    p.record(bcast(9000, 0x0800, 5)); // too long for the NIC without LPE
    for (let i = 0; i < 200; i++) p.record(bcast(14 + (i % 100) * 7, i % 2 === 0 ? 0x0800 : 0x0806, 100 + i));
    for (let i = 0; i < 50; i++) {
      const f = random_bytes(60 + i, 1000 + i);
      f.set(GUEST_MAC, 0); // unicast garbage straight at the guest
      p.record(f);
    }
    p.sock.end(Buffer.from([0, 0, 0, 100, 1, 2, 3])); // a record cut short
    await p.until(() => p.closed, "close after the truncated record");
    await guest.wait_for(/warning: netdev n0: connection closed in the middle of a record: partial frame dropped/);

    await still_answers(path, 2);

    // What was dropped is visible: back-end counters, NIC statistics, IP counters.
    guest.send("~info network");
    const info = await guest.wait_for(/dropped: runt=(\d+) oversize=(\d+) truncated=(\d+) overflow=(\d+)/);
    expect(Number(info[1])).toBe(1); // the empty record
    expect(Number(info[2]) + Number(info[3])).toBeGreaterThanOrEqual(3); // bad length, random stream, cut record
    expect(Number(info[4])).toBe(0); // nothing lost to a full queue
    const stats = await guest.run("ethtool -S eth0");
    expect(stats).toMatch(/rx_long_length_errors: 1\n/);
    // Linux keeps InHdrErrors in /proc/net/snmp's Ip group and InTruncatedPkts in /proc/net/netstat's IpExt.
    const group = (text: string, name: string): Record<string, number> => {
      const [names, values] = text.split("\n").filter((l) => l.startsWith(`${name}:`));
      return Object.fromEntries(names!.split(/\s+/).slice(1).map((k, i) => [k, Number(values!.split(/\s+/)[i + 1])]));
    };
    expect(group(await guest.run("cat /proc/net/snmp"), "Ip").InHdrErrors).toBeGreaterThan(0);
    expect(group(await guest.run("cat /proc/net/netstat"), "IpExt").InTruncatedPkts).toBeGreaterThan(0);
    expect(await guest.run("uptime")).toMatch(/up /);
    expect(guest.output).not.toMatch(/Oops|BUG|Kernel panic|Call Trace/);
  }, 60_000);
});
