/**
 * The stream back-end on its own (no machine): QEMU's framing both ways, reassembly of records
 * split and merged arbitrarily by the transport, the bounded queue, and the close on a bad length.
 * The back-end listens on a UNIX socket in a temporary directory; the test is its peer.
 */
import { connect, type Socket } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { VirtualClock } from "../../hw/clock.ts";
import { Tracer } from "../../hw/trace.ts";
import { StreamBackend } from "../../hw/net/netdev_stream.ts";
import { RX_QUEUE_MAX } from "../../hw/net/netdev_socket.ts";
import { net_connect, type NetEndpoint } from "../../hw/net/net_endpoint.ts";

class Collector implements NetEndpoint {
  peer: NetEndpoint | null = null;
  readonly frames: number[][] = [];
  carrier: boolean[] = [];
  receive_frame(f: Uint8Array, len: number): void {
    this.frames.push([...f.subarray(0, len)]);
  }
  peer_link_changed(up: boolean): void {
    this.carrier.push(up);
  }
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/** A listening back-end wired to a collector, and a connected peer socket. */
async function setup() {
  const dir = mkdtempSync(join(tmpdir(), "rz-stream-"));
  const clock = new VirtualClock();
  const log: string[] = [];
  let kicks = 0;
  const b = new StreamBackend("n0", clock, new Tracer((l) => log.push(l)), () => kicks++, true, { type: "unix", path: join(dir, "s") });
  const nic = new Collector();
  net_connect(nic, b);
  expect(await b.start()).toBeNull();
  const peer: Socket = await new Promise((resolve) => {
    const s = connect(join(dir, "s"), () => resolve(s));
  });
  const received: Buffer[] = [];
  peer.on("data", (d: Buffer) => received.push(d));
  cleanups.push(() => {
    peer.destroy();
    b.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  /** Wait (host time, bounded) until the back-end has seen `pred` come true. */
  const until = async (pred: () => boolean): Promise<void> => {
    const deadline = Date.now() + 5000;
    while (!pred()) {
      if (Date.now() > deadline) throw new Error("timed out");
      await new Promise((r) => setImmediate(r));
    }
  };
  /** Let the machine's clock reach the queued frames' arrival time. */
  const run = (): void => void clock.advance_to(clock.now_ns() + 1);
  await until(() => b.connected());
  return { b, nic, peer, received, until, run, log, kicks: () => kicks, path: join(dir, "s") };
}

function record(len: number, fill: number): Buffer {
  const r = Buffer.alloc(4 + len, fill);
  r.writeUInt32BE(len, 0);
  return r;
}

describe("stream back-end", () => {
  it("reassembles records split at every byte and merged in one write", async () => {
    const s = await setup();
    const lens = [60, 1514, 14, 61, 1515, 64];
    const wire = Buffer.concat(lens.map((n, i) => record(n, i + 1)));
    for (let i = 0; i < 40; i++) s.peer.write(wire.subarray(i, i + 1)); // byte by byte
    s.peer.write(wire.subarray(40)); // the rest merged
    await s.until(() => {
      s.run();
      return s.nic.frames.length === lens.length;
    });
    expect(s.nic.frames.map((f) => f.length)).toEqual(lens);
    expect(s.nic.frames.map((f) => f[0])).toEqual([1, 2, 3, 4, 5, 6]);
    expect(s.nic.carrier).toContain(true);
  });

  it("sends the NIC's frames as 4-byte big-endian length + frame", async () => {
    const s = await setup();
    s.b.receive_frame(Uint8Array.of(1, 2, 3, 4, 5), 3);
    await s.until(() => Buffer.concat(s.received).length >= 7);
    expect([...Buffer.concat(s.received)]).toEqual([0, 0, 0, 3, 1, 2, 3]);
    expect(s.b.stats.tx_frames).toBe(1);
  });

  it("queues at most RX_QUEUE_MAX frames while the machine is busy and counts the rest", async () => {
    const s = await setup();
    const n = RX_QUEUE_MAX + 76;
    s.peer.write(Buffer.concat(Array.from({ length: n }, () => record(60, 7))));
    await s.until(() => s.b.stats.overflow + RX_QUEUE_MAX >= n);
    s.run();
    expect(s.nic.frames.length).toBe(RX_QUEUE_MAX);
    expect(s.b.stats.overflow).toBe(76);
    expect(s.kicks()).toBeGreaterThan(0);
  });

  it("closes the connection on a length over 69632 and takes the next peer", async () => {
    const s = await setup();
    s.peer.write(Buffer.from([0, 1, 0x10, 1, 0xaa])); // 69633
    await s.until(() => s.b.stats.oversize === 1 && !s.b.connected());
    expect(s.log).toContain("warning: netdev n0: oversized packet: record length 69633 > 69632; closing the connection");
    expect(s.nic.carrier.at(-1)).toBe(false);
    const next: Socket = await new Promise((resolve) => {
      const c = connect(s.path, () => resolve(c));
    });
    cleanups.push(() => next.destroy());
    await s.until(() => s.b.connected());
    next.write(record(60, 9));
    await s.until(() => {
      s.run();
      return s.nic.frames.length === 1;
    });
    expect(s.b.stats.connects).toBe(2);
  });
});
