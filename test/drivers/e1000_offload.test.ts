/**
 * The e1000 driver's transmit offloads against the model: a hand-built TCP packet larger than the
 * MTU with gso_size set leaves as MSS-sized segments (e1000_tso), a frame whose headers and payload
 * live in different buffers goes out through several data descriptors (scatter-gather) with its
 * checksum filled by the NIC, and the core completes checksums and linearizes frames for a device
 * with those features switched off. Everything is given back afterwards.
 */
import { describe, expect, it } from "vitest";
import { CHECKSUM_PARTIAL, SKB_GSO_TCPV4, type NetDevice, type PBuf } from "../../include/net/netdevice.ts";
import { dev_get_by_name, dev_open, dev_queue_xmit } from "../../drivers/net/netdev.ts";
import type { E1000Adapter } from "../../drivers/net/e1000_adapter.ts";
import { net_control } from "../../kernel/net_control.ts";
import { pbuf_add_frag, pbuf_alloc, pbuf_stats } from "../../kernel/mm/pbuf.ts";
import { msleep } from "../../kernel/sched/core.ts";
import { csum_fold, csum_partial, csum_tcpudp_nofold } from "../../lib/inet_checksum.ts";
import { Sink } from "../helpers/nic_harness.ts";
import { boot_net_machine } from "../helpers/net_machine.ts";

const SRC_IP = 0x0a000001;
const DST_IP = 0x0a000002;
const PEER = Uint8Array.of(0x02, 0, 0, 0, 0, 0x42);

async function up() {
  const sink = new Sink();
  const tm = await boot_net_machine({ wires: [sink] });
  const eth0 = dev_get_by_name("eth0")!;
  await tm.in_task(async () => {
    expect(await dev_open(eth0)).toBe(0);
    await msleep(600);
  });
  expect(eth0.carrier).toBe(true);
  return { tm, sink, eth0, adapter: eth0.priv as E1000Adapter };
}

/** Ethernet + IPv4 header (20 bytes) in `p` at p.head, for an L4 message of `l4_len` bytes. */
function eth_ip(p: PBuf, dev: NetDevice, proto: number, l4_len: number): void {
  const d = p.data;
  const v = p.view;
  const h = p.head;
  d.set(PEER, h);
  d.set(dev.dev_addr, h + 6);
  v.setUint16(h + 12, 0x0800);
  d[h + 14] = 0x45;
  d[h + 15] = 0;
  v.setUint16(h + 16, 20 + l4_len);
  v.setUint16(h + 18, 0x1000);
  v.setUint16(h + 20, 0x4000); // DF
  d[h + 22] = 64;
  d[h + 23] = proto;
  v.setUint16(h + 24, 0);
  v.setUint32(h + 26, SRC_IP);
  v.setUint32(h + 30, DST_IP);
  v.setUint16(h + 24, csum_fold(csum_partial(d, h + 14, 20)));
}

const byte_at = (i: number) => (i * 13 + 5) & 0xff;

/** A payload of `n` bytes in fragments of at most `chunk` bytes, appended to `p`. */
function add_payload(p: PBuf, n: number, chunk: number): void {
  for (let off = 0; off < n; off += chunk) {
    const f = pbuf_alloc()!;
    const len = Math.min(chunk, n - off);
    for (let i = 0; i < len; i++) f.data[f.head + i] = byte_at(off + i);
    f.len = len;
    pbuf_add_frag(p, f);
  }
}

const view = (f: Uint8Array) => new DataView(f.buffer, f.byteOffset, f.byteLength);

describe("e1000 TSO", () => {
  it("a 4000-byte TCP packet with gso_size 1448 leaves as three segments with correct headers and checksums", async () => {
    const { tm, sink, eth0, adapter } = await up();
    const PAY = 4000;
    const MSS = 1448;
    const r = await tm.in_task(() => {
      const p = pbuf_alloc()!;
      eth_ip(p, eth0, 6, 20 + PAY);
      const t = p.head + 34;
      const v = p.view;
      v.setUint16(t, 40000);
      v.setUint16(t + 2, 80);
      v.setUint32(t + 4, 1000000); // seq
      v.setUint32(t + 8, 7); // ack
      p.data[t + 12] = 5 << 4;
      p.data[t + 13] = 0x18 | 0x01; // PSH ACK FIN
      v.setUint16(t + 14, 65535);
      v.setUint32(t + 16, 0);
      p.len = 54;
      add_payload(p, PAY, 1500);
      p.gso_size = MSS;
      p.gso_type = SKB_GSO_TCPV4;
      p.ip_summed = CHECKSUM_PARTIAL;
      p.csum_start = t;
      p.csum_offset = 16;
      return dev_queue_xmit(eth0, p);
    });
    expect(r).toBe(0);
    await tm.run_for(10e6);
    const segs = sink.frames.filter((f) => f[23] === 6);
    expect(segs.map((f) => f.length)).toEqual([54 + MSS, 54 + MSS, 54 + PAY - 2 * MSS]);
    let off = 0;
    segs.forEach((f, i) => {
      const v = view(f);
      const tot = v.getUint16(16);
      expect(tot).toBe(f.length - 14);
      expect(csum_fold(csum_partial(f, 14, 20))).toBe(0); // IP header checksum per segment
      expect(v.getUint16(18)).toBe((0x1000 + i) & 0xffff); // IP ID increments
      expect(v.getUint32(38)).toBe(1000000 + off); // sequence number advances by MSS
      const last = i === segs.length - 1;
      expect(f[47]! & 0x09).toBe(last ? 0x09 : 0); // PSH and FIN only on the last segment
      const l4 = tot - 20;
      expect(csum_fold(csum_partial(f, 34, l4, csum_tcpudp_nofold(SRC_IP, DST_IP, l4, 6)))).toBe(0);
      for (let j = 54; j < f.length; j++) if (f[j] !== byte_at(off + j - 54)) throw new Error(`segment ${i} byte ${j} wrong`);
      off += l4 - 20;
    });
    expect(off).toBe(PAY);
    expect(adapter.tx_tso).toBe(1);
    // Counted as the segments that left, with the replicated headers in the bytes (as Linux does).
    expect(eth0.stats.tx_packets).toBe(3);
    expect(eth0.stats.tx_bytes).toBe(4000 + 3 * 54);
    const stats = await tm.in_task(() => net_control()!.ethtool("eth0", { cmd: "stats" }));
    const m = new Map(typeof stats === "number" || stats.kind !== "stats" ? [] : stats.stats);
    expect(m.get("tx_tcp_seg_good")).toBe(1);
    expect(pbuf_stats().in_use).toBe(adapter.rx_ring.count - 1); // the frame and its fragments came back
  });

  it("with tso off the core refuses a GSO frame and counts it", async () => {
    const { tm, sink, eth0 } = await up();
    await tm.in_task(() => net_control()!.ethtool("eth0", { cmd: "set_features", changes: { "tx-tcp-segmentation": false } }));
    const before = pbuf_stats().in_use;
    await tm.in_task(() => {
      const p = pbuf_alloc()!;
      eth_ip(p, eth0, 6, 20 + 3000);
      p.data[p.head + 46] = 5 << 4;
      p.len = 54;
      add_payload(p, 3000, 1500);
      p.gso_size = 1448;
      return dev_queue_xmit(eth0, p);
    });
    await tm.run_for(10e6);
    expect(sink.frames.filter((f) => f[23] === 6).length).toBe(0);
    expect(eth0.stats.tx_dropped).toBe(1);
    expect(pbuf_stats().in_use).toBe(before);
  });
});

describe("e1000 scatter-gather and checksum fallback", () => {
  /** A UDP datagram whose Ethernet/IP/UDP headers are in one buffer and payload in two more. */
  function sg_udp(eth0: NetDevice, n: number): PBuf {
    const p = pbuf_alloc()!;
    eth_ip(p, eth0, 17, 8 + n);
    const u = p.head + 34;
    p.view.setUint16(u, 5000);
    p.view.setUint16(u + 2, 7);
    p.view.setUint16(u + 4, 8 + n);
    p.view.setUint16(u + 6, ~csum_fold(csum_tcpudp_nofold(SRC_IP, DST_IP, 8 + n, 17)) & 0xffff);
    p.len = 42;
    add_payload(p, n, 333); // odd-sized pieces: the sum must handle byte-shifted fragments
    p.ip_summed = CHECKSUM_PARTIAL;
    p.csum_start = u;
    p.csum_offset = 6;
    return p;
  }

  function check_udp(f: Uint8Array, n: number): void {
    expect(f.length).toBe(42 + n);
    expect(csum_fold(csum_partial(f, 34, 8 + n, csum_tcpudp_nofold(SRC_IP, DST_IP, 8 + n, 17)))).toBe(0);
    for (let j = 0; j < n; j++) if (f[42 + j] !== byte_at(j)) throw new Error(`byte ${j} wrong`);
  }

  it("sends a fragmented frame through several descriptors, the NIC filling the checksum", async () => {
    const { tm, sink, eth0, adapter } = await up();
    const before = pbuf_stats().in_use;
    expect(await tm.in_task(() => dev_queue_xmit(eth0, sg_udp(eth0, 1000)))).toBe(0);
    await tm.run_for(10e6);
    const f = sink.frames.filter((x) => x[23] === 17);
    expect(f.length).toBe(1);
    check_udp(f[0]!, 1000);
    expect(adapter.tx_csum_offload).toBe(1);
    expect(pbuf_stats().in_use).toBe(before);
  });

  it("with sg and tx off the core linearizes the frame and completes the checksum in software", async () => {
    const { tm, sink, eth0, adapter } = await up();
    await tm.in_task(() => net_control()!.ethtool("eth0", { cmd: "set_features", changes: { "tx-scatter-gather": false, "tx-checksum-ip-generic": false } }));
    const before = pbuf_stats().in_use;
    expect(await tm.in_task(() => dev_queue_xmit(eth0, sg_udp(eth0, 1001)))).toBe(0);
    await tm.run_for(10e6);
    const f = sink.frames.filter((x) => x[23] === 17);
    expect(f.length).toBe(1);
    check_udp(f[0]!, 1001);
    expect(adapter.tx_csum_offload).toBe(0);
    expect(pbuf_stats().in_use).toBe(before);
  });
});
