/**
 * The IPv4 stack's receive checks, ARP and UDP, driven by raw frames injected on the wire of a
 * booted host (static address 10.0.0.1) and read back from what the host sends.
 */
import { describe, expect, it } from "vitest";
import { csum_fold, csum_partial } from "../../lib/inet_checksum.ts";
import { frame_builder } from "../helpers/frames.ts";
import { World } from "../../hw/world.ts";
import { with_kernel } from "../../kernel/kernel.ts";
import { snmp } from "../../net/ipv4/snmp.ts";
import { neigh_list } from "../../net/ipv4/arp.ts";
import { Sink } from "../helpers/nic_harness.ts";
import { boot_host } from "../helpers/net_machine.ts";

const HOST_MAC = Uint8Array.of(0x52, 0x54, 0, 0x12, 0x34, 0x56);
const PEER_MAC = Uint8Array.of(0x02, 0, 0, 0, 0, 0x99);
const HOST_IP = 0x0a000001;
const PEER_IP = 0x0a000063;

const { ipv4, udp, arp_request } = frame_builder(HOST_MAC, PEER_MAC);

async function host() {
  const world = new World();
  const sink = new Sink();
  const h = boot_host(world, { wires: [sink], cmdline: "ip=10.0.0.1::::::off", command: "sleep 600" });
  await world.run({ for_ns: 1e9 });
  const step = async (ns = 1e6) => world.run({ for_ns: ns });
  const counters = () => with_kernel(h.kernel, () => snmp.get());
  return { world, sink, h, step, counters };
}

describe("IPv4 receive checks", () => {
  it("drops malformed packets, counting each reason", async () => {
    const { sink, step, counters } = await host();
    const icmp_echo = Uint8Array.of(8, 0, 0xf7, 0xff, 0, 0, 0, 0);
    sink.inject(ipv4(1, PEER_IP, HOST_IP, icmp_echo, { bad_csum: true }));
    sink.inject(ipv4(1, PEER_IP, HOST_IP, icmp_echo, { version: 6 }));
    sink.inject(ipv4(1, PEER_IP, HOST_IP, icmp_echo, { tot_extra: 100 }));
    sink.inject(ipv4(1, PEER_IP, HOST_IP, icmp_echo, { frag: 0x2000 })); // MF set
    sink.inject(ipv4(1, PEER_IP, 0x0a000077, icmp_echo)); // not ours
    await step();
    const ip = counters().Ip;
    expect(ip.InCsumErrors).toBe(1);
    expect(ip.InHdrErrors).toBe(2); // bad checksum and bad version
    expect(ip.InTruncatedPkts).toBe(1);
    expect(ip.ReasmReqds).toBe(1); // queued for reassembly (it fails only when the queue times out)
    expect(ip.ReasmFails).toBe(0);
    expect(ip.InAddrErrors).toBe(1);
    expect(ip.InDelivers).toBe(0);
  });

  it("answers an unknown protocol with ICMP protocol unreachable", async () => {
    const { sink, step, counters } = await host();
    sink.inject(ipv4(99, PEER_IP, HOST_IP, new Uint8Array(20)));
    sink.inject(arp_request(PEER_IP, HOST_IP)); // so the host can answer at all
    await step(10e6);
    expect(counters().Ip.InUnknownProtos).toBe(1);
    const icmp = sink.frames.filter((f) => f[12] === 0x08 && f[13] === 0x00 && f[23] === 1);
    expect(icmp.map((f) => [f[34], f[35]])).toContainEqual([3, 2]);
  });

  it("replies to echo requests but not to one sent to a broadcast address", async () => {
    const { sink, step, counters } = await host();
    sink.inject(arp_request(PEER_IP, HOST_IP));
    const echo = Uint8Array.of(8, 0, 0, 0, 0x12, 0x34, 0, 1, 1, 2, 3, 4);
    new DataView(echo.buffer).setUint16(2, csum_fold(csum_partial(echo, 0, echo.length)));
    sink.inject(ipv4(1, PEER_IP, 0x0a0000ff, echo)); // subnet broadcast: ignored
    sink.inject(ipv4(1, PEER_IP, HOST_IP, echo));
    await step(10e6);
    const replies = sink.frames.filter((f) => f[12] === 0x08 && f[23] === 1 && f[34] === 0);
    expect(replies.length).toBe(1);
    expect([...replies[0]!.subarray(38, 46)]).toEqual([0x12, 0x34, 0, 1, 1, 2, 3, 4]);
    expect(counters().Icmp.InEchos).toBe(2);
    expect(counters().Icmp.OutEchoReps).toBe(1);
  });
});

describe("ARP", () => {
  it("announces its address, answers requests for it, and learns the asker", async () => {
    const { sink, step, h } = await host();
    const garp = sink.frames.find((f) => f[12] === 0x08 && f[13] === 0x06 && new DataView(f.buffer).getUint32(28) === HOST_IP);
    expect(garp).toBeDefined();
    expect(new DataView(garp!.buffer).getUint32(38)).toBe(HOST_IP); // gratuitous: target = sender
    sink.frames.length = 0;
    sink.inject(arp_request(PEER_IP, HOST_IP));
    sink.inject(arp_request(PEER_IP, 0x0a000042)); // not for us: no answer
    await step();
    const replies = sink.frames.filter((f) => f[13] === 0x06 && f[21] === 2);
    expect(replies.length).toBe(1);
    expect([...replies[0]!.subarray(0, 6)]).toEqual([...PEER_MAC]);
    expect(with_kernel(h.kernel, () => neigh_list())).toEqual([{ addr: PEER_IP, ifname: "eth0", mac: "02:00:00:00:00:99", state: "REACHABLE" }]);
  });

  it("ages entries: REACHABLE, STALE after 30 s, forgotten after 90 s", async () => {
    const { sink, step, h } = await host();
    sink.inject(arp_request(PEER_IP, HOST_IP));
    await step(31e9);
    expect(with_kernel(h.kernel, () => neigh_list())[0]!.state).toBe("STALE");
    await step(60e9);
    expect(with_kernel(h.kernel, () => neigh_list())).toEqual([]);
  });
});

describe("UDP", () => {
  it("answers a closed port with ICMP port unreachable and drops bad checksums", async () => {
    const { sink, step, counters } = await host();
    sink.inject(arp_request(PEER_IP, HOST_IP));
    sink.inject(ipv4(17, PEER_IP, HOST_IP, udp(5000, 9999, Uint8Array.of(1, 2, 3), PEER_IP, HOST_IP)));
    sink.inject(ipv4(17, PEER_IP, HOST_IP, udp(5000, 9999, Uint8Array.of(1, 2, 3), PEER_IP, HOST_IP, true)));
    await step(10e6);
    const u = counters().Udp;
    expect(u.NoPorts).toBe(1);
    expect(u.InCsumErrors).toBe(1);
    const unreach = sink.frames.filter((f) => f[12] === 0x08 && f[23] === 1 && f[34] === 3 && f[35] === 3);
    expect(unreach.length).toBe(1);
  });
});
