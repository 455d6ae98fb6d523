/**
 * Checksum offload end to end on a booted host (10.0.0.1, eth0 wired to a Sink): UDP and ICMP leave
 * with correct checksums whether the NIC or the stack computes them, `ethtool -k/-K` shows and
 * switches the features, and received checksums are trusted only when the NIC verified them.
 */
import { describe, expect, it } from "vitest";
import { csum_fold, csum_partial, csum_tcpudp_nofold } from "../../lib/inet_checksum.ts";
import { frame_builder } from "../helpers/frames.ts";
import { World } from "../../hw/world.ts";
import { with_kernel } from "../../kernel/kernel.ts";
import { snmp } from "../../net/ipv4/snmp.ts";
import { Sink } from "../helpers/nic_harness.ts";
import { boot_host } from "../helpers/net_machine.ts";
import { udp_bind, udp_close, udp_sendto, udp_socket } from "../../net/ipv4/udp.ts";
import { dev_get_by_name, netdev_receive } from "../../drivers/net/netdev.ts";
import { pbuf_alloc } from "../../kernel/mm/pbuf.ts";
import { net_control } from "../../kernel/net_control.ts";
import { CHECKSUM_NONE, CHECKSUM_UNNECESSARY, NETIF_F_HW_CSUM, NETIF_F_RXCSUM, NETIF_F_SG, NETIF_F_TSO } from "../../include/net/netdevice.ts";
import type { E1000Adapter } from "../../drivers/net/e1000_adapter.ts";

const HOST_MAC = Uint8Array.of(0x52, 0x54, 0, 0x12, 0x34, 0x56);
const PEER_MAC = Uint8Array.of(0x02, 0, 0, 0, 0, 0x99);
const HOST_IP = 0x0a000001;
const PEER_IP = 0x0a000063;
const { ipv4, udp, arp_request } = frame_builder(HOST_MAC, PEER_MAC);

async function host(command = "sleep 600") {
  const world = new World();
  const sink = new Sink();
  const h = boot_host(world, { wires: [sink], cmdline: "ip=10.0.0.1::::::off", command });
  await world.run({ for_ns: 1e9 });
  const step = async (ns = 10e6) => world.run({ for_ns: ns });
  const k = <T>(fn: () => T): T => with_kernel(h.kernel, fn);
  const adapter = () => k(() => dev_get_by_name("eth0")!.priv as E1000Adapter);
  sink.inject(arp_request(PEER_IP, HOST_IP)); // the host learns the peer and can answer at once
  await step();
  return { world, sink, h, step, k, adapter };
}

const view = (f: Uint8Array) => new DataView(f.buffer, f.byteOffset, f.byteLength);
const udp_frames = (sink: Sink) => sink.frames.filter((f) => f[12] === 0x08 && f[13] === 0x00 && f[23] === 17);

/** Does this frame's IP header and UDP checksum verify, as tcpdump -vv checks them? */
function udp_ok(f: Uint8Array): boolean {
  const v = view(f);
  const len = v.getUint16(38);
  const ip_ok = csum_fold(csum_partial(f, 14, 20)) === 0;
  const sum = csum_fold(csum_partial(f, 34, len, csum_tcpudp_nofold(v.getUint32(26), v.getUint32(30), len, 17)));
  return ip_ok && v.getUint16(40) !== 0 && sum === 0;
}

async function send_udp(env: Awaited<ReturnType<typeof host>>, payloads: Uint8Array[]): Promise<void> {
  await env.h.in_task(() => {
    const sk = udp_socket();
    udp_bind(sk, 0, 5000);
    for (const p of payloads) expect(udp_sendto(sk, p, PEER_IP, 7)).toBe(p.length);
    udp_close(sk);
  });
  await env.step();
}

const payloads = [1, 2, 100, 333, 1472].map((n) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + n) & 0xff));

describe("transmit checksum offload", () => {
  it("UDP leaves with the same payload and a correct checksum with tx offload on and off", async () => {
    const on = await host();
    const before = on.adapter().tx_csum_offload;
    await send_udp(on, payloads);
    const a = on.adapter();
    expect(a.tx_csum_offload - before).toBe(payloads.length); // the NIC filled every checksum
    expect(a.tx_csum_ctxt).toBe(1); // one context, reused: the offload parameters never changed
    const got_on = udp_frames(on.sink);
    expect(got_on.length).toBe(payloads.length);
    for (const f of got_on) expect(udp_ok(f)).toBe(true);

    const off = await host();
    const r = await off.h.in_task(() => net_control()!.ethtool("eth0", { cmd: "set_features", changes: { "tx-checksum-ip-generic": false } }));
    expect(typeof r).not.toBe("number");
    await send_udp(off, payloads);
    expect(off.adapter().tx_csum_offload).toBe(0);
    const got_off = udp_frames(off.sink);
    for (const f of got_off) expect(udp_ok(f)).toBe(true);
    // Identical frames on the wire either way (the IP ID sequence is the same too).
    expect(got_off.map((f) => [...f])).toEqual(got_on.map((f) => [...f]));
  });

  it("an echo reply's ICMP checksum is filled by the NIC and verifies", async () => {
    const env = await host();
    const echo = Uint8Array.of(8, 0, 0, 0, 0x12, 0x34, 0, 1, 9, 8, 7, 6, 5);
    view(echo).setUint16(2, csum_fold(csum_partial(echo, 0, echo.length)));
    const before = env.adapter().tx_csum_offload;
    env.sink.inject(ipv4(1, PEER_IP, HOST_IP, echo));
    await env.step();
    const reply = env.sink.frames.find((f) => f[23] === 1 && f[34] === 0)!;
    expect(reply).toBeDefined();
    expect(csum_fold(csum_partial(reply, 34, echo.length))).toBe(0);
    expect(env.adapter().tx_csum_offload - before).toBe(1);
  });
});

describe("receive checksum offload", () => {
  it("the stack trusts a checksum the NIC verified and checks one it did not", async () => {
    const env = await host();
    // The same datagram with a wrong UDP checksum, handed up twice: once as the driver does after
    // the NIC verified it (CHECKSUM_UNNECESSARY), once as unverified (CHECKSUM_NONE).
    const bad = ipv4(17, PEER_IP, HOST_IP, udp(4000, 9, Uint8Array.of(1, 2, 3), PEER_IP, HOST_IP, true));
    const up = (summed: number): void =>
      env.k(() => {
        const p = pbuf_alloc()!;
        p.data.set(bad, p.head);
        p.len = bad.length;
        p.ip_summed = summed;
        netdev_receive(dev_get_by_name("eth0")!, p);
      });
    up(CHECKSUM_UNNECESSARY);
    await env.step();
    expect(env.k(() => snmp.get().Udp.InCsumErrors)).toBe(0); // not recomputed
    expect(env.k(() => snmp.get().Udp.NoPorts)).toBe(1);
    up(CHECKSUM_NONE);
    await env.step();
    expect(env.k(() => snmp.get().Udp.InCsumErrors)).toBe(1); // verified in software, and wrong
  });

  it("a good UDP checksum is verified by the NIC (rx_csum_offload_good), a bad one is counted twice", async () => {
    const env = await host();
    const good0 = env.adapter().hw_csum_good;
    const data = Uint8Array.of(1, 2, 3, 4, 5);
    env.sink.inject(ipv4(17, PEER_IP, HOST_IP, udp(4000, 9, data, PEER_IP, HOST_IP)));
    await env.step();
    expect(env.adapter().hw_csum_good - good0).toBe(1);
    expect(env.k(() => snmp.get().Udp.NoPorts)).toBe(1); // it got past the checksum to the port lookup

    env.sink.inject(ipv4(17, PEER_IP, HOST_IP, udp(4000, 9, data, PEER_IP, HOST_IP, true)));
    await env.step();
    expect(env.adapter().hw_csum_err).toBe(1);
    expect(env.k(() => snmp.get().Udp.InCsumErrors)).toBe(1);
    const stats = await env.h.in_task(() => net_control()!.ethtool("eth0", { cmd: "stats" }));
    const m = new Map(typeof stats === "number" || stats.kind !== "stats" ? [] : stats.stats);
    expect(m.get("rx_csum_offload_good")).toBe(env.adapter().hw_csum_good);
    expect(m.get("rx_csum_offload_errors")).toBe(1);
  });

  it("with rx-checksumming off the stack verifies every datagram itself", async () => {
    const env = await host();
    await env.h.in_task(() => net_control()!.ethtool("eth0", { cmd: "set_features", changes: { "rx-checksum": false } }));
    await env.step(100e6); // the reinit brings the link back
    expect(env.adapter().rx_csum).toBe(false);
    const good0 = env.adapter().hw_csum_good;
    env.sink.inject(arp_request(PEER_IP, HOST_IP));
    env.sink.inject(ipv4(17, PEER_IP, HOST_IP, udp(4000, 9, Uint8Array.of(1), PEER_IP, HOST_IP, true)));
    await env.step();
    expect(env.adapter().hw_csum_good).toBe(good0);
    expect(env.adapter().hw_csum_err).toBe(0);
    expect(env.k(() => snmp.get().Udp.InCsumErrors)).toBe(1);
  });
});

describe("ethtool -k / -K", () => {
  it("shows the e1000's features as Linux's ethtool does", async () => {
    const env = await host("ethtool -k eth0");
    await env.step(100e6);
    const out = env.h.machine.console_output;
    expect(out).toContain("Features for eth0:\nrx-checksumming: on\ntx-checksumming: on\n\ttx-checksum-ipv4: off [fixed]\n\ttx-checksum-ip-generic: on\nscatter-gather: on\n\ttx-scatter-gather: on\ntcp-segmentation-offload: on\n\ttx-tcp-segmentation: on\n");
    expect(out).toContain("loopback: off [fixed]");
  });

  it("-K rx off tx off sg off tso off switches them all; tso follows tx as netdev_fix_features says", async () => {
    const env = await host("ethtool -K eth0 tx off; ethtool -k eth0; ethtool -K eth0 tx on; ethtool -K eth0 rx off sg off tso off; ethtool -k eth0");
    await env.step(300e6);
    const out = env.h.machine.console_output;
    // tx off takes TSO with it: ethtool reports the change it did not ask for.
    expect(out).toContain("Actual changes:\ntx-checksumming: off\n\ttx-checksum-ip-generic: off\ntcp-segmentation-offload: off\n\ttx-tcp-segmentation: off\n");
    expect(out).toContain("tx-checksumming: off\n\ttx-checksum-ipv4: off [fixed]\n\ttx-checksum-ip-generic: off\nscatter-gather: on\n");
    expect(out).toContain("rx-checksumming: off\ntx-checksumming: on\n\ttx-checksum-ipv4: off [fixed]\n\ttx-checksum-ip-generic: on\nscatter-gather: off\n\ttx-scatter-gather: off\ntcp-segmentation-offload: off\n");
    const dev = env.k(() => dev_get_by_name("eth0")!);
    expect(dev.features & (NETIF_F_RXCSUM | NETIF_F_SG | NETIF_F_TSO)).toBe(0);
    expect(dev.features & NETIF_F_HW_CSUM).toBe(NETIF_F_HW_CSUM);
  });

  it("a fixed feature cannot be changed, and lo answers -k", async () => {
    const env = await host("ethtool -K eth0 tx-checksum-ipv4 on; ethtool -k lo");
    await env.step(100e6);
    const out = env.h.machine.console_output;
    expect(out).toContain("Could not change any device features");
    expect(out).toContain("Features for lo:\nrx-checksumming: off [fixed]");
  });
});
