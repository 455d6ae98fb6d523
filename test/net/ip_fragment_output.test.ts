/**
 * IPv4 output: DF as the socket's IP_MTU_DISCOVER mode asks, fragmentation (ip_do_fragment's fast
 * path without a copy, the slow path, options copied only where their copied bit says, checksums
 * completed in software first), -EMSGSIZE and the local error for DF senders, and the path MTU cache
 * fed by ICMP "fragmentation needed" (ip_route_mtu, min_pmtu, the 10-minute expiry). A booted host
 * (10.0.0.1) on a Sink; its sends are made in kernel context and read back from the wire.
 */
import { IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO, IP_PMTUDISC_DONT } from "../../include/uapi/in.ts";
import { describe, expect, it } from "vitest";
import { csum_fold, csum_partial, csum_tcpudp_nofold } from "../../lib/inet_checksum.ts";
import { frame_builder } from "../helpers/frames.ts";
import { World } from "../../hw/world.ts";
import { with_kernel } from "../../kernel/kernel.ts";
import { kernfs_read } from "../../kernel/fs/kernfs.ts";
import { pbuf_stats } from "../../kernel/mm/pbuf.ts";
import { dev_get_by_name } from "../../drivers/net/netdev.ts";
import type { E1000Adapter } from "../../drivers/net/e1000_adapter.ts";
import { snmp } from "../../net/ipv4/snmp.ts";
import { udp_bind, udp_close, udp_sendto, udp_socket } from "../../net/ipv4/udp.ts";
import { ping_close, ping_sendto, ping_socket } from "../../net/ipv4/ping.ts";
import { ip_alloc_frame, ip_make_pbuf, ip_output, ip_setsockopt, L4_OFF } from "../../net/ipv4/ip.ts";
import { ip_do_fragment } from "../../net/ipv4/ip_output.ts";
import { ip_route_mtu, ip_route_output, ip_rt_pmtu_list } from "../../net/ipv4/route.ts";
import { Sink } from "../helpers/nic_harness.ts";
import { boot_host } from "../helpers/net_machine.ts";
import type { Sock } from "../../net/socket.ts";

const HOST_MAC = Uint8Array.of(0x52, 0x54, 0, 0x12, 0x34, 0x56);
const PEER_MAC = Uint8Array.of(0x02, 0, 0, 0, 0, 0x99);
const HOST_IP = 0x0a000001;
const PEER_IP = 0x0a000063;
const ROUTER_IP = 0x0a0000fe;
const { arp_request, ipv4 } = frame_builder(HOST_MAC, PEER_MAC);

const view = (f: Uint8Array) => new DataView(f.buffer, f.byteOffset, f.byteLength);

async function host() {
  const world = new World();
  const sink = new Sink();
  const h = boot_host(world, { wires: [sink], cmdline: "ip=10.0.0.1::::::off", command: "sleep 6000" });
  await world.run({ for_ns: 1e9 });
  const step = async (ns = 10e6) => world.run({ for_ns: ns });
  const k = <T>(fn: () => T): T => with_kernel(h.kernel, fn);
  const ip = () => k(() => ({ ...snmp.get().Ip }));
  sink.inject(arp_request(PEER_IP, HOST_IP));
  await step();
  sink.frames.length = 0;
  return { world, sink, h, step, k, ip };
}

/** IPv4 frames the host sent to the peer, with protocol `proto`. */
function sent(sink: Sink, proto: number): Uint8Array[] {
  return sink.frames.filter((f) => f[12] === 0x08 && f[13] === 0x00 && f[23] === proto && view(f).getUint32(30) === PEER_IP);
}

/** [total length, DF, MF, offset in bytes] of each frame's IP header. */
const hdrs = (fs: Uint8Array[]) => fs.map((f) => [view(f).getUint16(16), (f[20]! & 0x40) !== 0, (f[20]! & 0x20) !== 0, (view(f).getUint16(20) & 0x1fff) * 8]);

/** Put fragments (20-byte headers) back together: the transport message. */
function rebuild(fs: Uint8Array[]): Uint8Array {
  const last = fs[fs.length - 1]!;
  const out = new Uint8Array((view(last).getUint16(20) & 0x1fff) * 8 + view(last).getUint16(16) - 20);
  for (const f of fs) {
    expect(csum_fold(csum_partial(f, 14, 20))).toBe(0);
    out.set(f.subarray(34, 14 + view(f).getUint16(16)), (view(f).getUint16(20) & 0x1fff) * 8);
  }
  return out;
}

const pattern = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

function udp_sock(env: Awaited<ReturnType<typeof host>>, port: number): Sock {
  return env.k(() => {
    const sk = udp_socket();
    udp_bind(sk, 0, port);
    return sk;
  });
}

/**
 * An ICMP "fragmentation needed" from the router about a datagram we sent to `dst`: its IP header
 * (protocol `proto`) and first 8 bytes `l4` quoted.
 */
function frag_needed(dst: number, mtu: number, proto: number, l4: Uint8Array): Uint8Array {
  const inner = new Uint8Array(28);
  const iv = view(inner);
  inner[0] = 0x45;
  iv.setUint16(2, 1500);
  iv.setUint16(6, 0x4000);
  inner[8] = 64;
  inner[9] = proto;
  iv.setUint32(12, HOST_IP);
  iv.setUint32(16, dst);
  iv.setUint16(10, csum_fold(csum_partial(inner, 0, 20)));
  inner.set(l4.subarray(0, 8), 20);
  const m = new Uint8Array(8 + 28);
  m[0] = 3;
  m[1] = 4;
  view(m).setUint16(6, mtu);
  m.set(inner, 8);
  view(m).setUint16(2, csum_fold(csum_partial(m, 0, m.length)));
  return ipv4(1, ROUTER_IP, HOST_IP, m);
}

describe("DF and fragmentation of what the host sends", () => {
  it("UDP with the default IP_PMTUDISC_WANT: 1472 bytes go whole with DF, 1473 as two fragments without it", async () => {
    const env = await host();
    const sk = udp_sock(env, 5000);
    expect(env.k(() => udp_sendto(sk, pattern(1472), PEER_IP, 7))).toBe(1472);
    expect(env.k(() => udp_sendto(sk, pattern(1473), PEER_IP, 7))).toBe(1473);
    await env.step();
    const fs = sent(env.sink, 17);
    expect(hdrs(fs)).toEqual([
      [1500, true, false, 0],
      [1500, false, true, 0],
      [21, false, false, 1480],
    ]);
    // The fragments' UDP checksum was finished in software (not left to the NIC) and verifies.
    const msg = rebuild(fs.slice(1));
    expect(msg.length).toBe(8 + 1473);
    expect(csum_fold(csum_partial(msg, 0, msg.length, csum_tcpudp_nofold(HOST_IP, PEER_IP, msg.length, 17)))).toBe(0);
    expect([...msg.subarray(8)]).toEqual([...pattern(1473)]);
    const ip = env.ip();
    expect([ip.FragOKs, ip.FragCreates, ip.FragFails]).toEqual([1, 2, 0]);
    const adapter = env.k(() => dev_get_by_name("eth0")!.priv as E1000Adapter);
    expect(adapter.tx_csum_offload).toBe(1); // only the whole datagram was offloaded
  });

  it("IP_PMTUDISC_DONT never sets DF; IP_PMTUDISC_DO refuses a datagram longer than the MTU with EMSGSIZE and a local error", async () => {
    const env = await host();
    const sk = udp_sock(env, 5001);
    expect(env.k(() => ip_setsockopt(sk, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DONT))).toBe(0);
    env.k(() => udp_sendto(sk, pattern(100), PEER_IP, 7));
    expect(env.k(() => ip_setsockopt(sk, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO))).toBe(0);
    expect(env.k(() => ip_setsockopt(sk, IPPROTO_IP, IP_MTU_DISCOVER, 7))).toBe(-22);
    expect(env.k(() => udp_sendto(sk, pattern(1472), PEER_IP, 7))).toBe(1472);
    expect(env.k(() => udp_sendto(sk, pattern(1473), PEER_IP, 7))).toBe(-90);
    await env.step();
    expect(hdrs(sent(env.sink, 17))).toEqual([
      [128, false, false, 0],
      [1500, true, false, 0],
    ]);
    expect(sk.rxq.map((d) => d.error)).toEqual([{ type: 0, code: 0, from: 0, text: "message too long, mtu=1500" }]);
    expect(env.ip().FragFails).toBe(0); // refused before IP output, as __ip_append_data does
    env.k(() => udp_close(sk));
  });

  it("a ping socket with IP_PMTUDISC_DO: 1472 bytes of data go, 1473 get EMSGSIZE and 'message too long, mtu=1500'", async () => {
    const env = await host();
    const sk = env.k(() => ping_socket());
    env.k(() => ip_setsockopt(sk, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO));
    const req = (n: number) => Uint8Array.of(8, 0, 0, 0, 0, 0, 0, 1, ...pattern(n));
    expect(env.k(() => ping_sendto(sk, req(1472), PEER_IP))).toBe(1480);
    expect(env.k(() => ping_sendto(sk, req(1473), PEER_IP))).toBe(-90);
    expect(sk.rxq[0]?.error?.text).toBe("message too long, mtu=1500");
    // The default mode fragments it instead.
    const sk2 = env.k(() => ping_socket());
    expect(env.k(() => ping_sendto(sk2, req(1473), PEER_IP))).toBe(1481);
    await env.step();
    expect(hdrs(sent(env.sink, 1))).toEqual([
      [1500, true, false, 0],
      [1500, false, true, 0],
      [21, false, false, 1480],
    ]);
    env.k(() => {
      ping_close(sk);
      ping_close(sk2);
    });
  });

  it("a DF datagram reaching ip_fragment is not fragmented: FragFails, and 'fragmentation needed' goes to its sender (us)", async () => {
    const env = await host();
    const sk = udp_sock(env, 5002);
    env.k(() => {
      const p = ip_make_pbuf(1600, 1500)!;
      const v = p.view;
      v.setUint16(p.head + L4_OFF, 5002);
      v.setUint16(p.head + L4_OFF + 2, 7);
      v.setUint16(p.head + L4_OFF + 4, 1600);
      expect(ip_output(p, 1600, 17, PEER_IP, 0, 64, null, IP_PMTUDISC_DO)).toBe(-90);
    });
    await env.step();
    expect(sent(env.sink, 17).length).toBe(0);
    expect(env.ip().FragFails).toBe(1);
    const icmp = env.k(() => ({ ...snmp.get().Icmp }));
    expect([icmp.OutDestUnreachs, icmp.InDestUnreachs]).toEqual([1, 1]);
    expect(sk.rxq.map((d) => d.error?.text)).toEqual(["Frag needed and DF set (mtu = 1500)"]);
    env.k(() => udp_close(sk));
  });

  it("the fast path sends the buffers ip_make_pbuf laid out as they are: no buffer allocated while fragmenting", async () => {
    const env = await host();
    const sk = udp_sock(env, 5003);
    const before = env.k(() => pbuf_stats().allocs);
    env.k(() => udp_sendto(sk, pattern(2952), PEER_IP, 7)); // 2960 bytes of UDP: 2 × 1480
    const allocs = env.k(() => pbuf_stats().allocs) - before;
    expect(allocs).toBe(2);
    await env.step();
    expect(hdrs(sent(env.sink, 17))).toEqual([
      [1500, false, true, 0],
      [1500, false, false, 1480],
    ]);
    env.k(() => udp_close(sk));
  });

  it("the slow path copies; options without the copied bit become NOOPs after the first fragment (header length kept)", async () => {
    const env = await host();
    const payload = pattern(3000, 7);
    env.k(() => {
      const hlen = 28;
      const p = ip_alloc_frame(14 + hlen + payload.length)!;
      const d = new Uint8Array(14 + hlen + payload.length);
      const v = view(d);
      d.set(PEER_MAC, 0);
      d.set(HOST_MAC, 6);
      v.setUint16(12, 0x0800);
      d[14] = 0x40 | (hlen / 4);
      v.setUint16(16, hlen + payload.length);
      v.setUint16(18, 0x1234);
      d[22] = 64;
      d[23] = 17;
      v.setUint32(26, HOST_IP);
      v.setUint32(30, PEER_IP);
      // A copied option (0x82: copied, class 0, number 2), record route (7: not copied), END.
      d.set([0x82, 4, 0xaa, 0xbb, 0x07, 3, 4, 0x00], 34);
      d.set(payload, 14 + hlen);
      let o = 0;
      for (let seg: typeof p | null = p; seg !== null; seg = seg.frag) {
        const n = seg === p ? p.len - p.data_len : seg.len;
        seg.data.set(d.subarray(o, o + n), seg.head);
        o += n;
      }
      p.view.setUint16(p.head + 24, 0);
      p.view.setUint16(p.head + 24, csum_fold(csum_partial(p.data, p.head + 14, hlen)));
      expect(ip_do_fragment(p, ip_route_output(PEER_IP)!, 1500, null)).toBe(0);
    });
    await env.step();
    const fs = sent(env.sink, 17);
    expect(fs.map((f) => [f[14]! & 0x0f, view(f).getUint16(16), (view(f).getUint16(20) & 0x1fff) * 8, (f[20]! & 0x20) !== 0])).toEqual([
      [7, 1500, 0, true],
      [7, 1500, 1472, true],
      [7, 28 + 56, 2944, false],
    ]);
    expect([...fs[0]!.subarray(34, 42)]).toEqual([0x82, 4, 0xaa, 0xbb, 0x07, 3, 4, 0x00]);
    for (const f of fs.slice(1)) expect([...f.subarray(34, 42)]).toEqual([0x82, 4, 0xaa, 0xbb, 1, 1, 1, 0x00]);
    const got = new Uint8Array(3000);
    for (const f of fs) {
      expect(csum_fold(csum_partial(f, 14, 28))).toBe(0);
      got.set(f.subarray(42, 14 + view(f).getUint16(16)), (view(f).getUint16(20) & 0x1fff) * 8);
    }
    expect([...got]).toEqual([...payload]);
    expect([env.ip().FragOKs, env.ip().FragCreates]).toEqual([1, 3]);
  });
});

describe("path MTU", () => {
  it("'fragmentation needed' (mtu 1280) lowers the MTU towards that destination for 10 minutes: sends fit it, DF senders are refused", async () => {
    const env = await host();
    expect(env.k(() => [kernfs_read("/proc/sys/net/ipv4/route/min_pmtu"), kernfs_read("/proc/sys/net/ipv4/route/mtu_expires")])).toEqual(["552\n", "600\n"]);
    const sk = env.k(() => ping_socket());
    const ident = sk.port;
    env.sink.inject(frag_needed(PEER_IP, 1280, 1, Uint8Array.of(8, 0, 0, 0, ident >> 8, ident & 0xff, 0, 5)));
    await env.step();
    expect(env.k(() => ip_route_mtu(PEER_IP))).toBe(1280);
    expect(env.k(() => ip_route_mtu(0x0a000062))).toBe(1500); // only towards that destination
    expect(sk.rxq.map((d) => [d.error?.text, d.error?.from, d.data[7]])).toEqual([["Frag needed and DF set (mtu = 1280)", ROUTER_IP, 5]]);
    const usk = udp_sock(env, 5004);
    env.k(() => udp_sendto(usk, pattern(1400), PEER_IP, 7));
    await env.step();
    expect(hdrs(sent(env.sink, 17))).toEqual([
      [1276, false, true, 0],
      [20 + 1408 - 1256, false, false, 1256],
    ]);
    env.k(() => ip_setsockopt(sk, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO));
    expect(env.k(() => ping_sendto(sk, Uint8Array.of(8, 0, 0, 0, 0, 0, 0, 6, ...pattern(1253)), PEER_IP))).toBe(-90);
    expect(sk.rxq[1]?.error?.text).toBe("message too long, mtu=1280");
    expect(env.k(() => ip_rt_pmtu_list())).toEqual([{ daddr: PEER_IP, mtu: 1280, locked: false, expires_s: 600 }]);
    // A larger MTU in a later ICMP does not raise it.
    env.sink.inject(frag_needed(PEER_IP, 1400, 1, Uint8Array.of(8, 0, 0, 0, 0, 0, 0, 7)));
    await env.step(599e9);
    expect(env.k(() => ip_route_mtu(PEER_IP))).toBe(1280);
    await env.step(1.1e9);
    expect(env.k(() => ip_route_mtu(PEER_IP))).toBe(1500);
    expect(env.k(() => ip_rt_pmtu_list())).toEqual([]);
    env.k(() => {
      ping_close(sk);
      udp_close(usk);
    });
  });

  it("below min_pmtu the path MTU is clamped to 552 and locked: DF no longer set, later ICMPs ignored", async () => {
    const env = await host();
    env.sink.inject(frag_needed(PEER_IP, 300, 17, new Uint8Array(8)));
    await env.step();
    expect(env.k(() => ip_rt_pmtu_list())).toEqual([{ daddr: PEER_IP, mtu: 552, locked: true, expires_s: 600 }]);
    env.sink.inject(frag_needed(PEER_IP, 400, 17, new Uint8Array(8)));
    await env.step();
    expect(env.k(() => ip_route_mtu(PEER_IP))).toBe(552);
    const sk = udp_sock(env, 5005);
    env.k(() => udp_sendto(sk, pattern(100), PEER_IP, 7));
    env.k(() => udp_sendto(sk, pattern(600), PEER_IP, 7));
    await env.step();
    expect(hdrs(sent(env.sink, 17))).toEqual([
      [128, false, false, 0],
      [548, false, true, 0],
      [20 + 608 - 528, false, false, 528],
    ]);
    env.k(() => udp_close(sk));
  });

  it("ip_route_mtu: 0 without a route; the device MTU otherwise", async () => {
    const env = await host();
    expect(env.k(() => ip_route_mtu(0x08080808))).toBe(0);
    expect(env.k(() => ip_route_mtu(PEER_IP))).toBe(1500);
  });
});
