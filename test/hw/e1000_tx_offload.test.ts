/**
 * Transmit offloads of the 82540EM model, driven through registers and descriptors only (no
 * driver): TCP/IP context and data descriptors (8254x SDM 3.3.5-3.3.7), checksum insertion, TCP
 * segmentation (3.5), scatter-gather, zero-length packets and the statistics they move. Every frame
 * is checked on the wire with an independent checksum verifier written here.
 */
import { describe, expect, it } from "vitest";
import { CTRL_VME, ICR_TXDW, REG, STAT, TCTL_EN, TCTL_PSP, TXD_CMD_DEXT, TXD_CMD_EOP, TXD_CMD_IFCS, TXD_CMD_RS, TXD_CMD_VLE, TXD_STAT_DD } from "../../hw/net/e1000_regs.ts";
import { TXD_CMD_TSE, TXD_POPTS_IXSM, TXD_POPTS_TXSM, TXD_TUCMD_IP, TXD_TUCMD_TCP } from "../../hw/net/e1000_tx_offload.ts";
import { MAC_A, MAC_B, type Nic, wired } from "../helpers/nic_harness.ts";

const DTYP_DATA = 0x10; // byte 10 high nibble = 0001 (SDM 3.3.7)
const SRC_IP = [10, 0, 2, 15];
const DST_IP = [10, 0, 2, 2];
const IP_OFF = 14;
const L4_OFF = 34;

/* ---- an independent checksum verifier ---- */

function sum16(b: Uint8Array, start: number, end: number, sum = 0): number {
  for (let i = start; i < end; i += 2) sum += (b[i]! << 8) | (i + 1 < end ? b[i + 1]! : 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

function be16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

function be32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

/** The IPv4 header checksum of an Ethernet frame verifies. */
function ip_csum_ok(f: Uint8Array): boolean {
  const ihl = (f[IP_OFF]! & 0xf) * 4;
  return sum16(f, IP_OFF, IP_OFF + ihl) === 0xffff;
}

/** The TCP or UDP checksum (over the pseudo-header and the IP payload) verifies. */
function l4_csum_ok(f: Uint8Array): boolean {
  const ihl = (f[IP_OFF]! & 0xf) * 4;
  const tot = be16(f, IP_OFF + 2);
  const l4 = IP_OFF + ihl;
  const l4len = tot - ihl;
  let s = sum16(f, IP_OFF + 12, IP_OFF + 20); // addresses
  s += f[IP_OFF + 9]! + l4len;
  return sum16(f, l4, l4 + l4len, s) === 0xffff;
}

/** The pseudo-header sum a driver seeds (Linux: ~csum_tcpudp_magic(saddr, daddr, len, proto, 0)). */
function pseudo_seed(proto: number, len: number): number {
  const a = Uint8Array.from([...SRC_IP, ...DST_IP]);
  let s = sum16(a, 0, 8) + proto + len;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

/* ---- packets built by hand ---- */

/** Ethernet + IPv4 (checksum 0) + UDP (checksum seeded with the pseudo-header) + payload. */
function udp_packet(payload: number, id = 0x1234): Uint8Array {
  const f = new Uint8Array(L4_OFF + 8 + payload);
  f.set(MAC_B, 0);
  f.set(MAC_A, 6);
  f[12] = 0x08;
  f[14] = 0x45;
  const tot = 20 + 8 + payload;
  f[16] = tot >> 8;
  f[17] = tot & 0xff;
  f[18] = id >> 8;
  f[19] = id & 0xff;
  f[22] = 64;
  f[23] = 17;
  f.set(SRC_IP, 26);
  f.set(DST_IP, 30);
  f[34] = 0x30; // sport 12345
  f[35] = 0x39;
  f[36] = 0x00; // dport 53
  f[37] = 0x35;
  f[38] = (8 + payload) >> 8;
  f[39] = (8 + payload) & 0xff;
  const seed = pseudo_seed(17, 8 + payload);
  f[40] = seed >> 8;
  f[41] = seed & 0xff;
  for (let i = 0; i < payload; i++) f[42 + i] = (i * 7 + 3) & 0xff;
  return f;
}

const SEQ0 = 0xfffff000; // wraps during segmentation
const TCP_ACK = 0x10;
const TCP_PSH = 0x08;
const TCP_FIN = 0x01;

/**
 * Ethernet + IPv4 + TCP + payload. For TSO (`tso`), as Linux's e1000_tso leaves it: IP total
 * length and checksum 0, TCP checksum seeded with the pseudo-header sum without the length.
 * Otherwise a complete packet with the TCP checksum seeded including the length.
 */
function tcp_packet(payload: number, tso: boolean, flags = TCP_ACK | TCP_PSH | TCP_FIN): Uint8Array {
  const f = new Uint8Array(L4_OFF + 20 + payload);
  f.set(MAC_B, 0);
  f.set(MAC_A, 6);
  f[12] = 0x08;
  f[14] = 0x45;
  const tot = tso ? 0 : 20 + 20 + payload;
  f[16] = tot >> 8;
  f[17] = tot & 0xff;
  f[18] = 0xff; // ID 0xfffe: wraps during segmentation
  f[19] = 0xfe;
  f[20] = 0x40; // DF
  f[22] = 64;
  f[23] = 6;
  f.set(SRC_IP, 26);
  f.set(DST_IP, 30);
  f[34] = 0xc0; // sport 49152
  f[36] = 0x00; // dport 80
  f[37] = 0x50;
  f[38] = SEQ0 >>> 24;
  f[39] = (SEQ0 >>> 16) & 0xff;
  f[40] = (SEQ0 >>> 8) & 0xff;
  f[41] = SEQ0 & 0xff;
  f[45] = 1; // ack 1
  f[46] = 0x50; // data offset 5
  f[47] = flags;
  f[48] = 0xff; // window
  const seed = pseudo_seed(6, tso ? 0 : 20 + payload);
  f[50] = seed >> 8;
  f[51] = seed & 0xff;
  for (let i = 0; i < payload; i++) f[54 + i] = (i * 13 + 5) & 0xff;
  return f;
}

/* ---- descriptors ---- */

interface Ctx {
  ipcss?: number;
  ipcso?: number;
  ipcse?: number;
  tucss?: number;
  tucso?: number;
  tucse?: number;
  paylen?: number;
  tucmd?: number;
  hdr_len?: number;
  mss?: number;
}

/** Write a TCP/IP context descriptor (SDM 3.3.6, table 3-13) at tx_tail. */
function ctx_desc(nic: Nic, c: Ctx): number {
  const i = nic.tx_tail;
  const d = nic.tx_ring + i * 16;
  const v = nic.m.mem.view;
  v.setUint8(d, c.ipcss ?? 0);
  v.setUint8(d + 1, c.ipcso ?? 0);
  v.setUint16(d + 2, c.ipcse ?? 0, true);
  v.setUint8(d + 4, c.tucss ?? 0);
  v.setUint8(d + 5, c.tucso ?? 0);
  v.setUint16(d + 6, c.tucse ?? 0, true);
  v.setUint32(d + 8, ((c.paylen ?? 0) & 0xfffff) | (((c.tucmd ?? 0) | TXD_CMD_DEXT) << 24), true);
  v.setUint8(d + 12, 0);
  v.setUint8(d + 13, c.hdr_len ?? 0);
  v.setUint16(d + 14, c.mss ?? 0, true);
  nic.tx_tail = (i + 1) % (nic.rd(REG.TDLEN) / 16);
  return i;
}

let buf_next = 0;

/** Write a TCP/IP data descriptor (SDM 3.3.7) at tx_tail whose buffer holds `data`. */
function data_desc(nic: Nic, data: Uint8Array, dcmd: number, popts = 0, special = 0): number {
  const i = nic.tx_tail;
  const buf = nic.tx_bufs + buf_next;
  buf_next = (buf_next + data.length + 64) % 0x80000;
  nic.m.mem.u8.set(data, buf);
  const d = nic.tx_ring + i * 16;
  const v = nic.m.mem.view;
  v.setUint32(d, buf, true);
  v.setUint32(d + 4, 0, true);
  v.setUint32(d + 8, (data.length & 0xfffff) | (DTYP_DATA << 16) | ((dcmd | TXD_CMD_DEXT) << 24), true);
  v.setUint8(d + 12, 0);
  v.setUint8(d + 13, popts);
  v.setUint16(d + 14, special, true);
  nic.tx_tail = (i + 1) % (nic.rd(REG.TDLEN) / 16);
  return i;
}

function go(nic: Nic): void {
  nic.wr(REG.TDT, nic.tx_tail);
  nic.drain();
}

const UDP_CTX: Ctx = { ipcss: IP_OFF, ipcso: IP_OFF + 10, ipcse: L4_OFF - 1, tucss: L4_OFF, tucso: L4_OFF + 6, tucse: 0 };
const TCP_CTX: Ctx = { ipcss: IP_OFF, ipcso: IP_OFF + 10, ipcse: L4_OFF - 1, tucss: L4_OFF, tucso: L4_OFF + 16, tucse: 0, tucmd: TXD_TUCMD_TCP | TXD_TUCMD_IP };
const DATA_CMD = TXD_CMD_IFCS;
const LAST = TXD_CMD_IFCS | TXD_CMD_EOP | TXD_CMD_RS;

describe("e1000 TX checksum offload (context + data descriptors)", () => {
  it("inserts the IPv4 and UDP checksums (IXSM|TXSM) and sends the frame; the context persists", () => {
    const { nic, sink } = wired();
    nic.setup_tx(16, TCTL_EN | TCTL_PSP);
    const p = udp_packet(100);
    const c = ctx_desc(nic, { ...UDP_CTX, tucmd: TXD_CMD_RS });
    const d = data_desc(nic, p, LAST, TXD_POPTS_IXSM | TXD_POPTS_TXSM);
    go(nic);
    expect(nic.tx_status(c) & TXD_STAT_DD).toBe(TXD_STAT_DD); // context descriptor written back (RS)
    expect(nic.tx_status(d) & TXD_STAT_DD).toBe(TXD_STAT_DD);
    expect(sink.frames.length).toBe(1);
    const f = sink.frames[0]!;
    expect(f.length).toBe(p.length);
    expect(be16(p, 24)).toBe(0); // the driver left them for the hardware
    expect(ip_csum_ok(f)).toBe(true);
    expect(l4_csum_ok(f)).toBe(true);
    // Nothing but the two checksum fields changed.
    const g = f.slice();
    g.set(p.subarray(24, 26), 24);
    g.set(p.subarray(40, 42), 40);
    expect(g).toEqual(p);
    // A second packet without a context descriptor uses the same (persistent) context.
    const p2 = udp_packet(333, 0x4321);
    data_desc(nic, p2, LAST, TXD_POPTS_IXSM | TXD_POPTS_TXSM);
    go(nic);
    expect(ip_csum_ok(sink.frames[1]!)).toBe(true);
    expect(l4_csum_ok(sink.frames[1]!)).toBe(true);
    expect(nic.rd(STAT.TPT)).toBe(2);
    expect(nic.rd(STAT.GPTC)).toBe(2);
    expect(nic.rd(STAT.GOTCL)).toBe(p.length + 4 + p2.length + 4);
    expect(nic.rd(STAT.TSCTC)).toBe(0);
  });

  it("inserts only what POPTS asks for: TXSM alone leaves the IP checksum as the driver wrote it", () => {
    const { nic, sink } = wired();
    nic.setup_tx(16, TCTL_EN);
    const p = udp_packet(64);
    ctx_desc(nic, UDP_CTX);
    data_desc(nic, p, LAST, TXD_POPTS_TXSM);
    data_desc(nic, p, LAST, 0); // no options: sent untouched
    go(nic);
    expect(be16(sink.frames[0]!, 24)).toBe(0);
    expect(l4_csum_ok(sink.frames[0]!)).toBe(true);
    expect(sink.frames[1]).toEqual(p);
  });

  it("gathers a TCP packet from 3 descriptors (POPTS from the first) and checksums the whole", () => {
    const { nic, sink } = wired();
    nic.setup_tx(16, TCTL_EN);
    const p = tcp_packet(1000, false);
    ctx_desc(nic, TCP_CTX);
    const a = data_desc(nic, p.subarray(0, 54), DATA_CMD, TXD_POPTS_IXSM | TXD_POPTS_TXSM);
    data_desc(nic, p.subarray(54, 500), DATA_CMD | TXD_CMD_RS, 0); // later POPTS are ignored
    const z = data_desc(nic, new Uint8Array(0), DATA_CMD); // a zero-length descriptor in between
    const e = data_desc(nic, p.subarray(500), LAST, 0);
    go(nic);
    expect(sink.frames.length).toBe(1);
    const f = sink.frames[0]!;
    expect(f.length).toBe(p.length);
    expect(ip_csum_ok(f)).toBe(true);
    expect(l4_csum_ok(f)).toBe(true);
    expect(f.subarray(54)).toEqual(p.subarray(54));
    expect(nic.tx_status(a) & TXD_STAT_DD).toBe(0); // no RS
    expect(nic.tx_status(z) & TXD_STAT_DD).toBe(0);
    expect(nic.tx_status(a + 1) & TXD_STAT_DD).toBe(TXD_STAT_DD);
    expect(nic.tx_status(e) & TXD_STAT_DD).toBe(TXD_STAT_DD);
    expect(nic.rd(REG.TDH)).toBe(nic.tx_tail);
    expect(nic.rd(STAT.TPT)).toBe(1);
  });

  it("stops the checksum at TUCSE when it is not 0, and inserts nothing when TUCSO lies outside the packet", () => {
    const { nic, sink } = wired();
    nic.setup_tx(16, TCTL_EN);
    const p = udp_packet(40);
    p[40] = p[41] = 0; // no seed: the checksum then covers just [TUCSS, TUCSE]
    // Sum only the UDP header (8 bytes): the result is the complement of that sum.
    ctx_desc(nic, { ...UDP_CTX, tucse: L4_OFF + 7 });
    data_desc(nic, p, LAST, TXD_POPTS_TXSM);
    go(nic);
    const f = sink.frames[0]!;
    expect(sum16(f, L4_OFF, L4_OFF + 8)).toBe(0xffff);
    expect(f.subarray(L4_OFF + 8)).toEqual(p.subarray(L4_OFF + 8));
    ctx_desc(nic, { ...UDP_CTX, tucso: 200 });
    data_desc(nic, p, LAST, TXD_POPTS_TXSM);
    go(nic);
    expect(sink.frames[1]).toEqual(p); // sent, checksum field untouched
    expect(nic.dev.tx.off.csum_out_of_range).toBe(1);
  });
});

describe("e1000 TCP segmentation (TSE)", () => {
  const MSS = 1460;
  const HDR = 54;
  const TSO_CTX = (paylen: number): Ctx => ({ ...TCP_CTX, tucmd: TXD_TUCMD_TCP | TXD_TUCMD_IP | TXD_CMD_TSE, paylen, hdr_len: HDR, mss: MSS });
  const POPTS = TXD_POPTS_IXSM | TXD_POPTS_TXSM;

  function check_segments(frames: Uint8Array[], p: Uint8Array, payload: number): void {
    let off = 0;
    frames.forEach((f, n) => {
      const last = n === frames.length - 1;
      const seg = Math.min(MSS, payload - off);
      expect(f.length).toBe(HDR + seg);
      expect(be16(f, IP_OFF + 2)).toBe(20 + 20 + seg); // IP total length
      expect(be16(f, IP_OFF + 4)).toBe((0xfffe + n) & 0xffff); // IP ID, wrapping
      expect(be32(f, L4_OFF + 4)).toBe((SEQ0 + off) >>> 0); // sequence number, wrapping
      expect(f[L4_OFF + 13]).toBe(last ? TCP_ACK | TCP_PSH | TCP_FIN : TCP_ACK);
      expect(ip_csum_ok(f)).toBe(true);
      expect(l4_csum_ok(f)).toBe(true);
      expect(f.subarray(0, 16)).toEqual(p.subarray(0, 16)); // MACs, type, version: untouched
      expect(f.subarray(HDR)).toEqual(p.subarray(HDR + off, HDR + off + seg));
      off += seg;
    });
    expect(off).toBe(payload);
  }

  it("cuts a 4000-byte payload into 3 segments of MSS 1460 with correct lengths, IDs, sequence numbers, flags and checksums", () => {
    const { nic, sink } = wired();
    nic.setup_tx(16, TCTL_EN);
    const p = tcp_packet(4000, true);
    ctx_desc(nic, TSO_CTX(4000));
    // Header and payload in separate buffers, payload split off the MSS boundaries (scatter-gather).
    data_desc(nic, p.subarray(0, HDR), DATA_CMD | TXD_CMD_TSE, POPTS);
    data_desc(nic, p.subarray(HDR, HDR + 2500), DATA_CMD | TXD_CMD_TSE, POPTS);
    const e = data_desc(nic, p.subarray(HDR + 2500), LAST | TXD_CMD_TSE, POPTS);
    go(nic);
    expect(sink.frames.length).toBe(3);
    check_segments(sink.frames, p, 4000);
    expect(nic.tx_status(e) & TXD_STAT_DD).toBe(TXD_STAT_DD);
    // Statistics per segment (13.7): TPT/GPTC/GOTC count 3 frames; TSCTC one context.
    expect(nic.rd(STAT.TPT)).toBe(3);
    expect(nic.rd(STAT.GPTC)).toBe(3);
    expect(nic.rd(STAT.GOTCL)).toBe(3 * HDR + 4000 + 3 * 4);
    expect(nic.rd(STAT.PTC1522)).toBe(3);
    expect(nic.rd(STAT.TSCTC)).toBe(1);
    expect(nic.rd(STAT.TSCTFC)).toBe(0);
    expect(nic.rd(REG.ICR) & ICR_TXDW).toBe(ICR_TXDW);
  });

  it("sends the segments at line rate from one descriptor holding header and payload", () => {
    const { nic, sink, world } = wired();
    nic.setup_tx(16, TCTL_EN);
    const p = tcp_packet(4000, true);
    ctx_desc(nic, TSO_CTX(4000));
    data_desc(nic, p, LAST | TXD_CMD_TSE, POPTS);
    nic.wr(REG.TDT, nic.tx_tail);
    // Segments whose wire slot starts within TX_BURST_NS (16 us: two of ~12.3 us) leave at once,
    // the third waits for the wire inside the descriptor.
    expect(sink.frames.length).toBe(2);
    expect(nic.rd(REG.TDH)).toBe(1); // the data descriptor is not complete yet
    world.clock.advance_to(world.clock.now_ns() + 100_000);
    expect(sink.frames.length).toBe(3);
    expect(nic.rd(REG.TDH)).toBe(2);
    check_segments(sink.frames, p, 4000);
    expect(nic.rd(STAT.TSCTC)).toBe(1);
  });

  it("a payload of exactly 2 x MSS makes exactly 2 segments (no empty third)", () => {
    const { nic, sink } = wired();
    nic.setup_tx(16, TCTL_EN);
    const p = tcp_packet(2 * MSS, true);
    ctx_desc(nic, TSO_CTX(2 * MSS));
    data_desc(nic, p, LAST | TXD_CMD_TSE, POPTS);
    go(nic);
    expect(sink.frames.length).toBe(2);
    check_segments(sink.frames, p, 2 * MSS);
    expect(nic.rd(STAT.TSCTC)).toBe(1);
  });

  it("a payload shorter than PAYLEN still ends in a last segment, counted in TSCTFC", () => {
    const { nic, sink } = wired();
    nic.setup_tx(16, TCTL_EN);
    const p = tcp_packet(2000, true);
    ctx_desc(nic, TSO_CTX(3000)); // PAYLEN promises more than the descriptors carry
    data_desc(nic, p, LAST | TXD_CMD_TSE, POPTS);
    go(nic);
    expect(sink.frames.length).toBe(2);
    check_segments(sink.frames, p, 2000);
    expect(nic.rd(STAT.TSCTC)).toBe(0);
    expect(nic.rd(STAT.TSCTFC)).toBe(1);
  });

  it("drops a TSE packet whose context cannot segment (MSS 0), completing its descriptors", () => {
    const { nic, sink } = wired();
    nic.setup_tx(16, TCTL_EN);
    const p = tcp_packet(2000, true);
    ctx_desc(nic, { ...TSO_CTX(2000), mss: 0 });
    const e = data_desc(nic, p, LAST | TXD_CMD_TSE, POPTS);
    go(nic);
    expect(sink.frames.length).toBe(0);
    expect(nic.tx_status(e) & TXD_STAT_DD).toBe(TXD_STAT_DD);
    expect(nic.dev.tx.off.tso_bad_context).toBe(1);
    expect(nic.rd(STAT.TSCTFC)).toBe(1);
    expect(nic.rd(STAT.TPT)).toBe(0);
  });

  it("inserts the VLAN tag (VLE, CTRL.VME) into every segment; offsets and checksums ignore the tag", () => {
    const { nic, sink } = wired();
    nic.setup_tx(16, TCTL_EN);
    nic.wr(REG.CTRL, nic.rd(REG.CTRL) | CTRL_VME);
    const p = tcp_packet(3000, true);
    ctx_desc(nic, TSO_CTX(3000));
    data_desc(nic, p, LAST | TXD_CMD_TSE | TXD_CMD_VLE, POPTS, 0x2005);
    go(nic);
    expect(sink.frames.length).toBe(3);
    const untagged = sink.frames.map((f) => {
      expect(be16(f, 12)).toBe(0x8100);
      expect(be16(f, 14)).toBe(0x2005);
      const u = new Uint8Array(f.length - 4);
      u.set(f.subarray(0, 12));
      u.set(f.subarray(16), 12);
      return u;
    });
    check_segments(untagged, p, 3000);
  });

  it("keeps the checksum context apart from the segmentation context", () => {
    const { nic, sink } = wired();
    nic.setup_tx(16, TCTL_EN);
    ctx_desc(nic, UDP_CTX); // checksum context: UDP offsets
    ctx_desc(nic, TSO_CTX(3000)); // segmentation context: TCP offsets
    const u = udp_packet(200);
    data_desc(nic, u, LAST, TXD_POPTS_IXSM | TXD_POPTS_TXSM); // no TSE: checksum context
    const t = tcp_packet(3000, true);
    data_desc(nic, t, LAST | TXD_CMD_TSE, POPTS);
    go(nic);
    expect(sink.frames.length).toBe(4);
    expect(l4_csum_ok(sink.frames[0]!)).toBe(true);
    check_segments(sink.frames.slice(1), t, 3000);
  });
});

describe("e1000 zero-length and malformed transmit packets", () => {
  it("a zero-length descriptor with EOP sends nothing, counts nothing on the wire, and is completed", () => {
    const { nic, sink } = wired();
    nic.setup_tx(16, TCTL_EN | TCTL_PSP); // PSP would have padded it into 60 bytes of zeros
    const i = nic.send(new Uint8Array(0)); // legacy, EOP|IFCS|RS
    const j = data_desc(nic, new Uint8Array(0), LAST); // extended data descriptor, DTALEN 0
    go(nic);
    expect(sink.frames.length).toBe(0);
    expect(nic.tx_status(i) & TXD_STAT_DD).toBe(TXD_STAT_DD);
    expect(nic.tx_status(j) & TXD_STAT_DD).toBe(TXD_STAT_DD);
    expect(nic.rd(REG.TDH)).toBe(nic.tx_tail);
    expect(nic.rd(STAT.TPT)).toBe(0);
    expect(nic.rd(STAT.GPTC)).toBe(0);
    expect(nic.rd(STAT.TOTL)).toBe(0);
    expect(nic.dev.tx.empty_packets).toBe(2);
    // The next real frame is unaffected.
    nic.send(udp_packet(20));
    expect(sink.frames.length).toBe(1);
    expect(sink.frames[0]!.length).toBe(62);
  });

  it("a reserved descriptor type (DTYP 0010) drops its packet, counted, and the ring moves on", () => {
    const { nic, sink } = wired();
    nic.setup_tx(16, TCTL_EN);
    const i = data_desc(nic, udp_packet(50), LAST);
    nic.m.mem.u8[nic.tx_ring + i * 16 + 10] = 0x20; // DTYP = 0010
    data_desc(nic, udp_packet(51), LAST);
    go(nic);
    expect(sink.frames.length).toBe(1);
    expect(sink.frames[0]!.length).toBe(L4_OFF + 8 + 51);
    expect(nic.dev.tx.bad_desc).toBe(1);
    expect(nic.tx_status(i) & TXD_STAT_DD).toBe(TXD_STAT_DD);
  });

  it("CTRL.RST forgets the offload contexts", () => {
    const { nic, sink } = wired();
    nic.setup_tx(16, TCTL_EN);
    ctx_desc(nic, UDP_CTX);
    go(nic);
    nic.wr(REG.CTRL, 0x04000000); // CTRL.RST
    nic.setup_tx(16, TCTL_EN);
    const p = udp_packet(30);
    data_desc(nic, p, LAST, TXD_POPTS_TXSM);
    go(nic);
    // A zeroed context puts the checksum at offset 0..1 summed from 0: the frame is not the
    // UDP-checksummed one (the driver must load a context after reset).
    expect(l4_csum_ok(sink.frames[0]!)).toBe(false);
  });
});
