/**
 * tcpdump's one-line format. The expected lines are what tcpdump 4.99.3 (Debian bookworm) prints
 * for the same frames read from a pcap file with `tcpdump -n -r`; test/e2e/pcap.test.ts checks the
 * same against the real tcpdump on a live capture when it is installed.
 */
import { describe, expect, it } from "vitest";
import { ether_print, ether_tcp_seq_note, tcp_seq_state, ts_format } from "../../userland/lib/netdissect.ts";
import { frame_builder } from "../helpers/frames.ts";

const H = Uint8Array.of(0x52, 0x54, 0, 0x12, 0x34, 0x56);
const P = Uint8Array.of(2, 0, 0, 0, 0, 0x99);
const A = 0x0a000202; // 10.0.2.2
const B = 0x0a00020f; // 10.0.2.15
const { ipv4, udp, arp_request, icmp_echo } = frame_builder(H, P);
const line = (f: Uint8Array): string => ether_print(f, f.length);

/** ICMP error `type`/`code` quoting a UDP datagram B:1234 → A:5555. */
function icmp_error(type: number, code: number): Uint8Array {
  const m = new Uint8Array(8 + 28);
  m[0] = type;
  m[1] = code;
  m.set(ipv4(17, B, A, udp(1234, 5555, new Uint8Array(0), B, A)).subarray(14, 14 + 28), 8);
  return ipv4(1, A, B, m);
}

describe("netdissect (tcpdump -n lines)", () => {
  it("prints ICMP, UDP and DHCP as tcpdump does", () => {
    expect(line(ipv4(1, B, A, icmp_echo(1, 1, new Uint8Array(56))))).toBe("IP 10.0.2.15 > 10.0.2.2: ICMP echo request, id 1, seq 1, length 64");
    expect(line(ipv4(17, A, B, udp(5555, 1234, new Uint8Array(5), A, B)))).toBe("IP 10.0.2.2.5555 > 10.0.2.15.1234: UDP, length 5");
    expect(line(icmp_error(3, 3))).toBe("IP 10.0.2.2 > 10.0.2.15: ICMP 10.0.2.2 udp port 5555 unreachable, length 36");
    expect(line(icmp_error(3, 2))).toBe("IP 10.0.2.2 > 10.0.2.15: ICMP 10.0.2.2 protocol 17 unreachable, length 36");
    expect(line(icmp_error(3, 1))).toBe("IP 10.0.2.2 > 10.0.2.15: ICMP host 10.0.2.2 unreachable, length 36");
    expect(line(icmp_error(11, 0))).toBe("IP 10.0.2.2 > 10.0.2.15: ICMP time exceeded in-transit, length 36");
    expect(line(ipv4(1, A, B, Uint8Array.of(13, 0, 0, 0, 0, 0, 0, 0)))).toBe("IP 10.0.2.2 > 10.0.2.15: ICMP time stamp query id 0 seq 0, length 8");
    const dhcp = new Uint8Array(300);
    dhcp[0] = 1;
    dhcp.set(H, 28);
    expect(line(ipv4(17, 0, 0xffffffff, udp(68, 67, dhcp, 0, 0xffffffff)))).toBe("IP 0.0.0.0.68 > 255.255.255.255.67: BOOTP/DHCP, Request from 52:54:00:12:34:56, length 300");
    dhcp[0] = 2;
    expect(line(ipv4(17, A, 0xffffffff, udp(67, 68, dhcp, A, 0xffffffff)))).toBe("IP 10.0.2.2.67 > 255.255.255.255.68: BOOTP/DHCP, Reply, length 300");
  });

  it("prints ARP requests, replies and reverse requests", () => {
    expect(line(arp_request(B, A))).toBe("ARP, Request who-has 10.0.2.2 tell 10.0.2.15, length 28");
    const reply = arp_request(A, B);
    reply[21] = 2;
    expect(line(reply)).toBe("ARP, Reply 10.0.2.2 is-at 02:00:00:00:00:99, length 28");
    const rarp = arp_request(A, B);
    rarp[21] = 3;
    expect(line(rarp)).toBe("ARP, Reverse Request who-is 00:00:00:00:00:00 tell 02:00:00:00:00:99, length 28");
  });

  it("marks short, lying and odd frames the way tcpdump does, without reading past the end", () => {
    const echo = icmp_echo(1, 1, new Uint8Array(8));
    expect(line(ipv4(1, A, B, echo, { frag: 0x2000 }))).toBe("IP 10.0.2.2 > 10.0.2.15: ICMP echo request, id 1, seq 1, length 16");
    expect(line(ipv4(1, A, B, echo, { frag: 0x0010 }))).toBe("IP 10.0.2.2 > 10.0.2.15: ip-proto-1");
    expect(line(ipv4(1, A, B, echo, { tot_extra: 100 }))).toBe("IP truncated-ip - 100 bytes missing! 10.0.2.2 > 10.0.2.15: ICMP echo request, id 1, seq 1, length 116");
    expect(line(ipv4(1, A, B, echo, { version: 6 }))).toBe("IP6, wrong link-layer encapsulation (invalid)");
    const runt_ip = new Uint8Array(20);
    runt_ip.set(H, 0);
    runt_ip.set(P, 6);
    runt_ip[12] = 8;
    expect(line(runt_ip)).toBe("IP0 (invalid)");
    expect(line(arp_request(A, B).subarray(0, 30))).toBe(" [|arp]");
    expect(line(ipv4(17, A, B, udp(5555, 1234, new Uint8Array(5), A, B).subarray(0, 4)))).toBe("IP 10.0.2.2.5555 > 10.0.2.15.1234: truncated-udp 4");
    expect(line(new Uint8Array(10))).toBe(" [|ether]");
    const unknown = new Uint8Array(60);
    unknown.set(H, 0);
    unknown.set(P, 6);
    unknown[12] = 0x88;
    unknown[13] = 0xb5;
    expect(line(unknown)).toBe(
      "02:00:00:00:00:99 > 52:54:00:12:34:56, ethertype Unknown (0x88b5), length 60: \n" +
        "\t0x0000:  0000 0000 0000 0000 0000 0000 0000 0000  ................\n" +
        "\t0x0010:  0000 0000 0000 0000 0000 0000 0000 0000  ................\n" +
        "\t0x0020:  0000 0000 0000 0000 0000 0000 0000       ..............",
    );
  });

  it("-e puts the link-level header first", () => {
    expect(ether_print(arp_request(B, A), 42, true)).toBe("02:00:00:00:00:99 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Request who-has 10.0.2.2 tell 10.0.2.15, length 28");
  });

  it("formats timestamps as HH:MM:SS.microseconds", () => {
    expect(ts_format(3_723_000_123_000)).toBe("01:02:03.000123");
    expect(ts_format(0)).toBe("00:00:00.000000");
  });
});

/** A TCP segment (20-byte header, no options): sport → dport with the given numbers and flags. */
function tcp(sport: number, dport: number, seq: number, ack: number, flags: number, payload = 0): Uint8Array {
  const t = new Uint8Array(20 + payload);
  const v = new DataView(t.buffer);
  v.setUint16(0, sport);
  v.setUint16(2, dport);
  v.setUint32(4, seq);
  v.setUint32(8, ack);
  t[12] = 5 << 4;
  t[13] = flags;
  v.setUint16(14, 64240);
  return t;
}

describe("relative TCP numbers across frames that were never printed", () => {
  it("noting a frame (ether_tcp_seq_note) leaves the state exactly as printing it would", () => {
    const SYN = 0x02;
    const ACK = 0x10;
    const PSH = 0x08;
    const frames = [
      ipv4(6, B, A, tcp(40000, 80, 1000, 0, SYN)),
      ipv4(6, A, B, tcp(80, 40000, 5000, 1001, SYN | ACK)),
      ipv4(6, B, A, tcp(40000, 80, 1001, 5001, ACK)),
      ipv4(6, B, A, tcp(40000, 80, 1001, 5001, PSH | ACK, 100)),
      ipv4(6, A, B, tcp(80, 40000, 5001, 1101, PSH | ACK, 300)),
      ipv4(6, B, A, tcp(40000, 80, 1101, 5301, ACK)),
    ];
    const printed = tcp_seq_state();
    const all = frames.map((f) => ether_print(f, f.length, false, printed));
    // The same capture with the first three frames let go unprinted.
    const noted = tcp_seq_state();
    for (const f of frames.slice(0, 3)) ether_tcp_seq_note(f, f.length, noted);
    const rest = frames.slice(3).map((f) => ether_print(f, f.length, false, noted));
    expect(rest).toEqual(all.slice(3));
    expect(rest[0]).toBe("IP 10.0.2.15.40000 > 10.0.2.2.80: Flags [P.], seq 1:101, ack 1, win 64240, length 100");
    // Without the note, the first printed segment would start the conversation: absolute numbers.
    const fresh = tcp_seq_state();
    expect(ether_print(frames[3]!, frames[3]!.length, false, fresh)).toContain("seq 1001:1101, ack 5001");
  });
});
