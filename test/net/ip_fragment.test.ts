/**
 * IPv4 reassembly (ip_defrag) as Linux 6.1 does it, driven by fragments injected on the wire of a
 * booted host (10.0.0.1, eth0 on a Sink): out of order, duplicated, overlapping, missing (the 30 s
 * timeout with ICMP time exceeded), too long, over the memory threshold; and what it hands up — an
 * echo request answered (fragmented on the way back), UDP delivered from a chain. Counters are
 * checked as /proc/net/snmp shows them.
 */
import { describe, expect, it } from "vitest";
import { csum_fold, csum_partial } from "../../lib/inet_checksum.ts";
import { frame_builder } from "../helpers/frames.ts";
import { World } from "../../hw/world.ts";
import { with_kernel } from "../../kernel/kernel.ts";
import { kernfs_read, kernfs_write } from "../../kernel/fs/kernfs.ts";
import { pbuf_stats } from "../../kernel/mm/pbuf.ts";
import { snmp } from "../../net/ipv4/snmp.ts";
import { ip_frag_mem } from "../../net/ipv4/ip_fragment.ts";
import { udp_bind, udp_close, udp_socket } from "../../net/ipv4/udp.ts";
import { Sink } from "../helpers/nic_harness.ts";
import { boot_host } from "../helpers/net_machine.ts";

const HOST_MAC = Uint8Array.of(0x52, 0x54, 0, 0x12, 0x34, 0x56);
const PEER_MAC = Uint8Array.of(0x02, 0, 0, 0, 0, 0x99);
const HOST_IP = 0x0a000001;
const PEER_IP = 0x0a000063;
const { arp_request, icmp_echo, udp } = frame_builder(HOST_MAC, PEER_MAC);

const view = (f: Uint8Array) => new DataView(f.buffer, f.byteOffset, f.byteLength);

/** One IPv4 fragment from the peer: `data` is the piece of the transport message at byte `off`. */
function fragment(id: number, proto: number, off: number, mf: boolean, data: Uint8Array, opts: { df?: boolean; tos?: number; src?: number } = {}): Uint8Array {
  const f = new Uint8Array(Math.max(60, 34 + data.length));
  const v = view(f);
  f.set(HOST_MAC, 0);
  f.set(PEER_MAC, 6);
  v.setUint16(12, 0x0800);
  f[14] = 0x45;
  f[15] = opts.tos ?? 0;
  v.setUint16(16, 20 + data.length);
  v.setUint16(18, id);
  v.setUint16(20, (off >> 3) | (mf ? 0x2000 : 0) | (opts.df ? 0x4000 : 0));
  f[22] = 64;
  f[23] = proto;
  v.setUint32(26, opts.src ?? PEER_IP);
  v.setUint32(30, HOST_IP);
  v.setUint16(24, csum_fold(csum_partial(f, 14, 20)));
  f.set(data, 34);
  return f;
}

/** Cut `msg` at the given offsets (multiples of 8) into fragments, in order. */
function split(id: number, proto: number, msg: Uint8Array, cuts: number[], opts: { df?: boolean; tos?: number } = {}): Uint8Array[] {
  const edges = [0, ...cuts, msg.length];
  const out: Uint8Array[] = [];
  for (let i = 0; i + 1 < edges.length; i++) out.push(fragment(id, proto, edges[i]!, i + 2 < edges.length, msg.subarray(edges[i]!, edges[i + 1]!), opts));
  return out;
}

/** An echo request of `n` data bytes (a pattern), identifier 0x4242, sequence `seq`. */
function echo(n: number, seq = 1): Uint8Array {
  return icmp_echo(0x4242, seq, Uint8Array.from({ length: n }, (_, i) => (i * 13 + seq) & 0xff));
}

/** IPv4 frames the host sent to the peer with protocol `proto`. */
function sent(sink: Sink, proto: number): Uint8Array[] {
  return sink.frames.filter((f) => f[12] === 0x08 && f[13] === 0x00 && f[23] === proto && view(f).getUint32(30) === PEER_IP);
}

/**
 * Reassemble, test-side, the datagrams among `frames`: by IP ID, pieces sorted by offset, each
 * frame's header checksum checked. Returns [id, transport bytes, fragment count, any DF].
 */
function rebuild(frames: Uint8Array[]): { id: number; data: Uint8Array; n: number; df: boolean }[] {
  const by_id = new Map<number, Uint8Array[]>();
  for (const f of frames) {
    expect(csum_fold(csum_partial(f, 14, 20))).toBe(0);
    const id = view(f).getUint16(18);
    by_id.set(id, [...(by_id.get(id) ?? []), f]);
  }
  const out: { id: number; data: Uint8Array; n: number; df: boolean }[] = [];
  for (const [id, fs] of by_id) {
    fs.sort((a, b) => (view(a).getUint16(20) & 0x1fff) - (view(b).getUint16(20) & 0x1fff));
    const last = fs[fs.length - 1]!;
    const total = (view(last).getUint16(20) & 0x1fff) * 8 + view(last).getUint16(16) - 20;
    const data = new Uint8Array(total);
    let df = false;
    for (const [i, f] of fs.entries()) {
      const fo = view(f).getUint16(20);
      df ||= (fo & 0x4000) !== 0;
      expect((fo & 0x2000) !== 0).toBe(i < fs.length - 1); // MF on all but the last
      data.set(f.subarray(34, 14 + view(f).getUint16(16)), (fo & 0x1fff) * 8);
    }
    out.push({ id, data, n: fs.length, df });
  }
  return out;
}

async function host() {
  const world = new World();
  const sink = new Sink();
  const h = boot_host(world, { wires: [sink], cmdline: "ip=10.0.0.1::::::off", command: "sleep 6000" });
  await world.run({ for_ns: 1e9 });
  const step = async (ns = 10e6) => world.run({ for_ns: ns });
  const k = <T>(fn: () => T): T => with_kernel(h.kernel, fn);
  const ip = () => k(() => ({ ...snmp.get().Ip }));
  const icmp = () => k(() => ({ ...snmp.get().Icmp }));
  sink.inject(arp_request(PEER_IP, HOST_IP)); // the host learns the peer and can answer at once
  await step();
  sink.frames.length = 0;
  const inject = (frames: Uint8Array[]) => {
    for (const f of frames) sink.inject(f);
  };
  return { world, sink, h, step, k, ip, icmp, inject };
}

/** The echo replies the host sent, rebuilt: their ICMP messages. */
function replies(sink: Sink): Uint8Array[] {
  return rebuild(sent(sink, 1)).map((r) => r.data).filter((m) => m[0] === 0);
}

/** What a correct reply to `req` is: the same message with type 0 and the checksum fixed. */
function expected_reply(req: Uint8Array): Uint8Array {
  const r = req.slice();
  r[0] = 0;
  view(r).setUint16(2, 0);
  view(r).setUint16(2, csum_fold(csum_partial(r, 0, r.length)));
  return r;
}

describe("reassembly of fragments from the wire", () => {
  it("an echo request in 3 fragments, delivered in reverse order, is answered (the reply fragmented too)", async () => {
    const env = await host();
    const req = echo(3000);
    env.inject(split(7, 1, req, [1480, 2960]).reverse());
    await env.step();
    const got = replies(env.sink);
    expect(got.length).toBe(1);
    expect([...got[0]!]).toEqual([...expected_reply(req)]);
    const ip = env.ip();
    expect([ip.ReasmReqds, ip.ReasmOKs, ip.ReasmFails]).toEqual([3, 1, 0]);
    expect(ip.InDelivers).toBe(1);
    // The 3008-byte reply leaves as fragments of 1480: FragOKs 1, FragCreates 3.
    expect([ip.FragOKs, ip.FragCreates, ip.FragFails]).toEqual([1, 3, 0]);
    expect(sent(env.sink, 1).map((f) => view(f).getUint16(16))).toEqual([1500, 1500, 68]);
    expect(env.k(() => ip_frag_mem())).toEqual({ inuse: 0, memory: 0 });
  });

  it("duplicates are dropped and the datagram still completes: the first two fragments twice each", async () => {
    const env = await host();
    const req = echo(4000);
    const fs = split(9, 1, req, [1480, 2960]);
    env.inject([fs[0]!, fs[0]!, fs[1]!, fs[1]!, fs[2]!]);
    await env.step();
    expect(replies(env.sink).length).toBe(1);
    const ip = env.ip();
    expect([ip.ReasmReqds, ip.ReasmOKs, ip.ReasmFails, ip.ReasmOverlaps]).toEqual([5, 1, 0, 0]);
  });

  it("a fragment inside one run is a duplicate; across two runs it is an overlap that discards the datagram (Linux's runs)", async () => {
    const env = await host();
    const req = echo(992); // 1000 bytes: 0..400, 400..800, 800..1000
    // In order: [0,400) and [400,800) form one run; a fragment covering [0,800) lies inside it.
    const a = split(11, 1, req, [400, 800]);
    const covering = fragment(11, 1, 0, true, req.subarray(0, 800));
    env.inject([a[0]!, a[1]!, covering, a[2]!]);
    await env.step();
    expect(replies(env.sink).length).toBe(1);
    expect(env.ip().ReasmOverlaps).toBe(0);
    // Second fragment first: two runs. The same covering fragment now overlaps: all discarded.
    const b = split(12, 1, req, [400, 800]);
    env.inject([b[1]!, b[0]!, fragment(12, 1, 0, true, req.subarray(0, 800)), b[2]!]);
    await env.step();
    const ip = env.ip();
    expect(ip.ReasmOverlaps).toBe(1);
    expect(ip.ReasmFails).toBe(1); // once for the datagram
    expect(ip.ReasmOKs).toBe(1);
    expect(replies(env.sink).length).toBe(1);
    // The last fragment, arriving after the discard, opened a new queue: it times out later.
    expect(env.k(() => ip_frag_mem().inuse)).toBe(1);
  });

  it("overlapping fragments discard the whole datagram (RFC 5722, as Linux); the next copy of it is reassembled", async () => {
    const env = await host();
    const req = echo(2000);
    env.inject([fragment(21, 1, 0, true, req.subarray(0, 1480)), fragment(21, 1, 1472, false, req.subarray(1472))]);
    await env.step();
    expect(replies(env.sink).length).toBe(0);
    let ip = env.ip();
    expect([ip.ReasmReqds, ip.ReasmOverlaps, ip.ReasmFails, ip.ReasmOKs]).toEqual([2, 1, 1, 0]);
    expect(env.k(() => ip_frag_mem())).toEqual({ inuse: 0, memory: 0 });
    env.inject(split(21, 1, req, [1480]));
    await env.step();
    expect(replies(env.sink).length).toBe(1);
    ip = env.ip();
    expect([ip.ReasmFails, ip.ReasmOKs]).toEqual([1, 1]);
  });

  it("invalid fragments discard the datagram: two different ends, data past the end, an empty fragment", async () => {
    const env = await host();
    const m = echo(2000);
    env.inject([fragment(31, 1, 1480, false, m.subarray(1480)), fragment(31, 1, 1480, false, m.subarray(1480, 1500))]); // two ends
    env.inject([fragment(32, 1, 1480, false, m.subarray(1480, 1600)), fragment(32, 1, 1600, true, m.subarray(1600, 1608))]); // past the end
    env.inject([fragment(33, 1, 8, true, new Uint8Array(0))]); // no data
    await env.step();
    const ip = env.ip();
    expect([ip.ReasmReqds, ip.ReasmFails, ip.ReasmOKs]).toEqual([5, 3, 0]);
    expect(env.k(() => ip_frag_mem())).toEqual({ inuse: 0, memory: 0 });
  });

  it("a missing fragment: after 30 s the datagram fails once (ReasmFails, ReasmTimeout) and ICMP time exceeded, code 1, quotes the first fragment", async () => {
    const env = await host();
    const req = echo(4000);
    const fs = split(41, 1, req, [1480, 2960]);
    env.inject([fs[0]!, fs[2]!]);
    await env.step(29.9e9);
    expect(env.ip().ReasmFails).toBe(0);
    expect(sent(env.sink, 1).length).toBe(0);
    await env.step(0.2e9);
    const ip = env.ip();
    expect([ip.ReasmReqds, ip.ReasmFails, ip.ReasmTimeout, ip.ReasmOKs]).toEqual([2, 1, 1, 0]);
    const icmp = sent(env.sink, 1);
    expect(icmp.length).toBe(1);
    const f = icmp[0]!;
    expect([f[34], f[35]]).toEqual([11, 1]);
    expect(csum_fold(csum_partial(f, 34, view(f).getUint16(16) - 20))).toBe(0);
    // The quote: the first fragment's IP header (MF set, its own length) and its first 8 bytes.
    expect([...f.subarray(42, 42 + 28)]).toEqual([...fs[0]!.subarray(14, 14 + 28)]);
    expect(env.icmp().OutTimeExcds).toBe(1);
    expect(env.k(() => ip_frag_mem())).toEqual({ inuse: 0, memory: 0 });
    // The late fragment starts a queue of its own, which fails in its turn — without an ICMP, as
    // its first fragment never came.
    env.inject([fs[1]!]);
    await env.step(31e9);
    expect([env.ip().ReasmFails, env.ip().ReasmTimeout]).toEqual([2, 2]);
    expect(sent(env.sink, 1).length).toBe(1);
  });

  it("ipfrag_time is a sysctl: 5 s", async () => {
    const env = await host();
    expect(env.k(() => kernfs_read("/proc/sys/net/ipv4/ipfrag_time"))).toBe("30\n");
    expect(await env.h.in_task(() => kernfs_write("/proc/sys/net/ipv4/ipfrag_time", "5"))).toBeGreaterThan(0);
    env.inject([fragment(51, 1, 0, true, echo(100).subarray(0, 64))]);
    await env.step(4.9e9);
    expect(env.ip().ReasmTimeout).toBe(0);
    await env.step(0.2e9);
    expect(env.ip().ReasmTimeout).toBe(1);
  });

  it("over ipfrag_high_thresh no fragment is queued (ReasmFails each) until queues expire", async () => {
    const env = await host();
    expect(env.k(() => [kernfs_read("/proc/sys/net/ipv4/ipfrag_high_thresh"), kernfs_read("/proc/sys/net/ipv4/ipfrag_low_thresh")])).toEqual(["4194304\n", "3145728\n"]);
    // high may not go below low: lower low first, as on Linux.
    expect(await env.h.in_task(() => kernfs_write("/proc/sys/net/ipv4/ipfrag_high_thresh", "8192"))).toBeLessThan(0);
    expect(await env.h.in_task(() => kernfs_write("/proc/sys/net/ipv4/ipfrag_low_thresh", "4096"))).toBeGreaterThan(0);
    expect(await env.h.in_task(() => kernfs_write("/proc/sys/net/ipv4/ipfrag_high_thresh", "8192"))).toBeGreaterThan(0);
    // Each first fragment costs a queue (256) and a buffer (2048): the fourth brings memory over
    // 8192; from then on every fragment, even one for a queue that exists, is refused.
    for (let id = 100; id < 110; id++) env.inject([fragment(id, 1, 0, true, echo(100).subarray(0, 64))]);
    await env.step();
    let ip = env.ip();
    expect(env.k(() => ip_frag_mem())).toEqual({ inuse: 4, memory: 4 * (256 + 2048) });
    expect([ip.ReasmReqds, ip.ReasmFails]).toEqual([10, 6]);
    env.inject([fragment(100, 1, 64, false, new Uint8Array(44))]);
    await env.step();
    expect(env.ip().ReasmFails).toBe(7);
    expect(env.ip().ReasmOKs).toBe(0);
    await env.step(31e9);
    ip = env.ip();
    expect(ip.ReasmTimeout).toBe(4);
    expect(ip.ReasmFails).toBe(11);
    expect(env.k(() => ip_frag_mem())).toEqual({ inuse: 0, memory: 0 });
    // Below the threshold again: reassembly works.
    env.inject(split(120, 1, echo(100), [64]));
    await env.step();
    expect(env.ip().ReasmOKs).toBe(1);
  });

  it("a datagram longer than 65535 bytes fails when its last fragment arrives", async () => {
    const env = await host();
    const before = env.k(() => pbuf_stats().in_use);
    const frags: Uint8Array[] = [];
    // 44 fragments of 1480 bytes reach offset 65120; a last one of 480 ends at 65600 (+20 > 65535).
    for (let i = 0; i < 44; i++) frags.push(fragment(61, 17, i * 1480, true, new Uint8Array(1480)));
    frags.push(fragment(61, 17, 44 * 1480, false, new Uint8Array(480)));
    env.inject(frags);
    await env.step();
    const ip = env.ip();
    expect([ip.ReasmReqds, ip.ReasmFails, ip.ReasmOKs]).toEqual([45, 1, 0]);
    expect(env.h.dmesg()).toContain("Oversized IP packet from 10.0.0.99");
    expect(env.k(() => ip_frag_mem())).toEqual({ inuse: 0, memory: 0 });
    // Every fragment's buffer came back (the receive ring refills in batches, so allow it to be lower).
    expect(env.k(() => pbuf_stats().in_use)).toBeLessThanOrEqual(before);
  });

  it("a 65000-byte echo request is answered: 65008 bytes back in 44 fragments, nothing held afterwards", async () => {
    const env = await host();
    const before = env.k(() => pbuf_stats().in_use);
    const req = echo(65000);
    const cuts: number[] = [];
    for (let o = 1480; o < req.length; o += 1480) cuts.push(o);
    const fs = split(0x7777, 1, req, cuts);
    expect(fs.length).toBe(44);
    // Shuffled deterministically: odd ones first, then even ones backwards.
    env.inject([...fs.filter((_, i) => i % 2 === 1), ...fs.filter((_, i) => i % 2 === 0).reverse()]);
    await env.step(50e6);
    const got = replies(env.sink);
    expect(got.length).toBe(1);
    expect(got[0]!.length).toBe(65008);
    expect([...got[0]!]).toEqual([...expected_reply(req)]);
    const ip = env.ip();
    expect([ip.ReasmReqds, ip.ReasmOKs, ip.FragOKs, ip.FragCreates]).toEqual([44, 1, 1, 44]);
    expect(rebuild(sent(env.sink, 1))[0]!.df).toBe(false); // ICMP's replies never carry DF
    expect(env.k(() => pbuf_stats().in_use)).toBeLessThanOrEqual(before);
  });
});

describe("what reassembly hands up", () => {
  it("UDP: a datagram rebuilt in one buffer and one left as a chain both reach the socket intact; a bad checksum over a chain is caught", async () => {
    const env = await host();
    const sk = env.k(() => {
      const s = udp_socket();
      udp_bind(s, 0, 5000);
      return s;
    });
    const small = Uint8Array.from({ length: 1200 }, (_, i) => (i * 7) & 0xff);
    const big = Uint8Array.from({ length: 9000 }, (_, i) => (i * 11 + 3) & 0xff);
    const bad = udp(4000, 5000, big, PEER_IP, HOST_IP, true);
    env.inject(split(71, 17, udp(4000, 5000, small, PEER_IP, HOST_IP), [600]).reverse());
    env.inject(split(72, 17, udp(4000, 5000, big, PEER_IP, HOST_IP), [1480, 2960, 4440, 5920, 7400, 8880]));
    env.inject(split(73, 17, bad, [1480, 2960, 4440, 5920, 7400, 8880]));
    await env.step(100e6);
    const r = sk.rxq.map((d) => d.data);
    env.k(() => udp_close(sk));
    expect(r.length).toBe(2);
    expect([...r[0]!]).toEqual([...small]);
    expect([...r[1]!]).toEqual([...big]);
    expect(env.k(() => snmp.get().Udp.InCsumErrors)).toBe(1);
    expect(env.ip().ReasmOKs).toBe(3);
  });

  it("DF is kept on the rebuilt datagram only if its largest fragment had it; ECN CE from any fragment marks it", async () => {
    const env = await host();
    // Delivered to a closed UDP port: the port unreachable quotes the rebuilt header.
    const msg = udp(4000, 9, new Uint8Array(1600), PEER_IP, HOST_IP);
    const a = split(81, 17, msg, [1480], { df: true, tos: 2 }); // ECT(0), DF on both
    a[1] = fragment(81, 17, 1480, false, msg.subarray(1480), { tos: 3, df: true }); // CE
    env.inject(a);
    const b = split(82, 17, msg, [1480]);
    b[1] = fragment(82, 17, 1480, false, msg.subarray(1480), { df: true }); // DF only on the small one
    env.inject(b);
    await env.step();
    const unreach = sent(env.sink, 1).filter((f) => f[34] === 3 && f[35] === 3);
    expect(unreach.length).toBe(2);
    const quoted = unreach.map((f) => [view(f).getUint16(42 + 4), f[42 + 1], view(f).getUint16(42 + 6), view(f).getUint16(42 + 2)]);
    expect(quoted).toEqual([
      [81, 3, 0x4000, 20 + 1608],
      [82, 0, 0, 20 + 1608],
    ]);
  });

  it("a fragment not addressed to us is not reassembled (InAddrErrors), nor one from another source mixed in", async () => {
    const env = await host();
    const f = fragment(91, 1, 0, true, echo(100).subarray(0, 64));
    view(f).setUint32(30, 0x0a000077);
    view(f).setUint16(24, 0);
    view(f).setUint16(24, csum_fold(csum_partial(f, 14, 20)));
    env.inject([f]);
    // Same ID, different source: two queues, neither complete.
    const m = echo(100);
    env.inject([fragment(92, 1, 0, true, m.subarray(0, 64)), fragment(92, 1, 64, false, m.subarray(64), { src: 0x0a000064 })]);
    await env.step();
    const ip = env.ip();
    expect([ip.InAddrErrors, ip.ReasmReqds, ip.ReasmOKs]).toEqual([1, 2, 0]);
    expect(env.k(() => ip_frag_mem().inuse)).toBe(2);
  });
});
