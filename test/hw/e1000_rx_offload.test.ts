/**
 * Receive checksum offload of the 82540EM model (SDM 3.2.9, RXCSUM 13.4.46, descriptor status and
 * errors 3.2.3.1-2): IPCS/TCPCS with IPE/TCPE, IXSM when offload is off, and the packet checksum
 * field computed from RXCSUM.PCSS. Register level: frames from a wire end, descriptors read back.
 */
import { describe, expect, it } from "vitest";
import { MAC_A, MAC_B, wired } from "../helpers/nic_harness.ts";
import {
  CTRL_VME,
  RCTL_BAM,
  RCTL_EN,
  RCTL_SECRC,
  REG,
  RXCSUM_IPOFL,
  RXCSUM_TUOFL,
  RXD_ERR_IPE,
  RXD_ERR_TCPE,
  RXD_STAT_EOP,
  RXD_STAT_IPCS,
  RXD_STAT_IXSM,
  RXD_STAT_TCPCS,
} from "../../hw/net/e1000_regs.ts";

function sum(b: Uint8Array, start: number, end: number, acc = 0): number {
  for (let i = start; i < end; i += 2) acc += (b[i]! << 8) | (i + 1 < end ? b[i + 1]! : 0);
  while (acc > 0xffff) acc = (acc & 0xffff) + (acc >>> 16);
  return acc;
}

/** An IPv4 packet (protocol 6 or 17) with `payload` bytes, both checksums correct; optional 802.1Q tag. */
function ipv4(proto: 6 | 17, payload: number, tagged = false): Uint8Array {
  const l3 = tagged ? 18 : 14;
  const l4len = (proto === 6 ? 20 : 8) + payload;
  const f = new Uint8Array(l3 + 20 + l4len);
  f.set(MAC_A, 0);
  f.set(MAC_B, 6);
  if (tagged) f.set([0x81, 0x00, 0x00, 0x07], 12);
  f.set([0x08, 0x00], l3 - 2);
  f.set([0x45, 0, (20 + l4len) >> 8, (20 + l4len) & 0xff, 0x12, 0x34, 0x40, 0, 64, proto, 0, 0, 10, 0, 2, 15, 10, 0, 2, 2], l3);
  const ipc = ~sum(f, l3, l3 + 20) & 0xffff;
  f[l3 + 10] = ipc >> 8;
  f[l3 + 11] = ipc & 0xff;
  const l4 = l3 + 20;
  f.set([0x30, 0x39, 0x00, 0x35], l4); // ports 12345 → 53
  if (proto === 17) f.set([l4len >> 8, l4len & 0xff], l4 + 4);
  else f[l4 + 12] = 0x50; // data offset 5
  for (let i = 0; i < payload; i++) f[l4 + (proto === 6 ? 20 : 8) + i] = (i * 7 + 3) & 0xff;
  const cso = l4 + (proto === 6 ? 16 : 6);
  const c = ~sum(f, l4, l4 + l4len, sum(f, l3 + 12, l3 + 20) + proto + l4len) & 0xffff;
  f[cso] = c >> 8;
  f[cso + 1] = c & 0xff;
  return f;
}

function setup(rxcsum: number) {
  const env = wired();
  env.nic.wr(REG.RXCSUM, rxcsum);
  env.nic.setup_rx(16, RCTL_EN | RCTL_BAM | RCTL_SECRC);
  return env;
}

describe("e1000 RX checksum offload (SDM 3.2.9)", () => {
  it("with RXCSUM off every frame carries IXSM and no checksum bits", () => {
    const { nic, sink } = setup(0);
    sink.inject(ipv4(17, 30));
    const d = nic.rx_desc(0);
    expect(d.status & (RXD_STAT_IXSM | RXD_STAT_IPCS | RXD_STAT_TCPCS)).toBe(RXD_STAT_IXSM);
    expect(d.errors).toBe(0);
  });

  it("IPOFL|TUOFL: good UDP and TCP get IPCS|TCPCS, no errors, no IXSM (UDP has no bit of its own on the 8254x)", () => {
    const { nic, sink } = setup(RXCSUM_IPOFL | RXCSUM_TUOFL);
    sink.inject(ipv4(17, 31));
    sink.inject(ipv4(6, 100));
    for (const i of [0, 1]) {
      const d = nic.rx_desc(i);
      expect(d.status & (RXD_STAT_IXSM | RXD_STAT_IPCS | RXD_STAT_TCPCS | RXD_STAT_EOP), `frame ${i}`).toBe(RXD_STAT_IPCS | RXD_STAT_TCPCS | RXD_STAT_EOP);
      expect(d.errors, `frame ${i}`).toBe(0);
    }
  });

  it("a bad IP header checksum sets IPE; a bad TCP/UDP checksum sets TCPE", () => {
    const { nic, sink } = setup(RXCSUM_IPOFL | RXCSUM_TUOFL);
    const bad_ip = ipv4(17, 20);
    bad_ip[14 + 10]! ^= 0x01;
    const bad_udp = ipv4(17, 20);
    bad_udp[bad_udp.length - 1]! ^= 0xff;
    const bad_tcp = ipv4(6, 20);
    bad_tcp[14 + 20 + 16]! ^= 0x10;
    for (const f of [bad_ip, bad_udp, bad_tcp]) sink.inject(f);
    expect([0, 1, 2].map((i) => nic.rx_desc(i).errors)).toEqual([RXD_ERR_IPE, RXD_ERR_TCPE, RXD_ERR_TCPE]);
    expect([0, 1, 2].every((i) => (nic.rx_desc(i).status & (RXD_STAT_IPCS | RXD_STAT_TCPCS)) === (RXD_STAT_IPCS | RXD_STAT_TCPCS))).toBe(true);
  });

  it("each enable covers only its own check: IPOFL alone sets IPCS, TUOFL alone TCPCS", () => {
    const { nic, sink } = setup(RXCSUM_IPOFL);
    const bad_udp = ipv4(17, 20);
    bad_udp[bad_udp.length - 1]! ^= 0xff;
    sink.inject(bad_udp);
    expect(nic.rx_desc(0).status & (RXD_STAT_IPCS | RXD_STAT_TCPCS)).toBe(RXD_STAT_IPCS);
    expect(nic.rx_desc(0).errors).toBe(0);
    nic.wr(REG.RXCSUM, RXCSUM_TUOFL);
    sink.inject(bad_udp);
    expect(nic.rx_desc(1).status & (RXD_STAT_IPCS | RXD_STAT_TCPCS)).toBe(RXD_STAT_TCPCS);
    expect(nic.rx_desc(1).errors).toBe(RXD_ERR_TCPE);
  });

  it("fragments, UDP without a checksum and non-IP frames get no TCP/UDP verdict", () => {
    const { nic, sink } = setup(RXCSUM_IPOFL | RXCSUM_TUOFL);
    const frag = ipv4(17, 20);
    frag[14 + 6] = 0x20; // MF
    frag[14 + 10] = frag[14 + 11] = 0;
    const c = ~sum(frag, 14, 34) & 0xffff;
    frag[14 + 10] = c >> 8;
    frag[14 + 11] = c & 0xff;
    const nosum = ipv4(17, 20);
    nosum[14 + 20 + 6] = nosum[14 + 20 + 7] = 0;
    const arp = ipv4(17, 20);
    arp[12] = 0x08;
    arp[13] = 0x06;
    for (const f of [frag, nosum, arp]) sink.inject(f);
    expect([0, 1, 2].map((i) => nic.rx_desc(i).status & (RXD_STAT_IPCS | RXD_STAT_TCPCS | RXD_STAT_IXSM))).toEqual([RXD_STAT_IPCS, RXD_STAT_IPCS, 0]);
    expect([0, 1, 2].map((i) => nic.rx_desc(i).errors)).toEqual([0, 0, 0]);
  });

  it("checks a tagged frame whether or not the tag is stripped (CTRL.VME)", () => {
    const { nic, sink } = setup(RXCSUM_IPOFL | RXCSUM_TUOFL);
    sink.inject(ipv4(6, 40, true));
    nic.wr(REG.CTRL, nic.rd(REG.CTRL) | CTRL_VME);
    sink.inject(ipv4(6, 40, true));
    for (const i of [0, 1]) expect(nic.rx_desc(i).status & (RXD_STAT_IPCS | RXD_STAT_TCPCS)).toBe(RXD_STAT_IPCS | RXD_STAT_TCPCS);
    expect(nic.rx_desc(1).special).toBe(7);
  });
});

describe("e1000 RX packet checksum (RXCSUM.PCSS, 3.2.9)", () => {
  const csum_field = (nic: ReturnType<typeof wired>["nic"], i: number): number => nic.m.mem.view.getUint16(nic.rx_ring + i * 16 + 10, true);

  it("is the one's complement sum from PCSS to the end, written whatever the offload enables", () => {
    const { nic, sink } = setup(14); // PCSS = 14: the IP packet
    const f = ipv4(17, 33);
    sink.inject(f);
    expect(csum_field(nic, 0)).toBe(sum(f, 14, f.length));
    // Over an IPv4 header with a correct checksum, then the UDP datagram: the sum from 34 plus the
    // pseudo-header is 0xffff — what a driver does with the field.
    nic.wr(REG.RXCSUM, 34);
    sink.inject(f);
    const l4len = f.length - 34;
    expect(sum(f, 26, 34, csum_field(nic, 1) + 17 + l4len)).toBe(0xffff);
  });

  it("includes the FCS when SECRC is clear; is 0 when PCSS lies past the end", () => {
    const { nic, sink } = wired();
    nic.wr(REG.RXCSUM, 14);
    nic.setup_rx(16, RCTL_EN | RCTL_BAM);
    const f = ipv4(6, 10);
    sink.inject(f);
    const d = nic.rx_desc(0);
    expect(d.len).toBe(f.length + 4);
    expect(csum_field(nic, 0)).toBe(sum(d.data, 14, d.len));
    nic.wr(REG.RXCSUM, 0xff);
    sink.inject(ipv4(6, 10));
    expect(csum_field(nic, 1)).toBe(0);
  });
});
