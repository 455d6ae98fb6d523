/**
 * tcpdump's one-line TCP format (print-tcp.c, default verbosity, -n): a handshake, data both ways,
 * the FIN exchange, with relative sequence numbers as tcpdump prints them by default and absolute
 * ones as with -S. The lines of the first and third tests (and the RST and flag-less lines) are what
 * tcpdump 4.99.3 `-n -r` prints for the same frames written to a pcap file, except that it appends
 * ": HTTP" to the two data segments on port 80 (its HTTP printer; netdissect.ts decodes no
 * application protocols).
 */
import { describe, expect, it } from "vitest";
import { ether_print, tcp_seq_state, type TcpSeqState } from "../../userland/lib/netdissect.ts";

const C = 0x0a00020f; // 10.0.2.15, the client
const S = 0x0a000202; // 10.0.2.2, the server
const ISN_C = 123;
const ISN_S = 3_000_000_000; // above 2^31: the arithmetic must stay unsigned

interface Seg {
  src: number;
  dst: number;
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  flags: number;
  win: number;
  opts?: number[];
  data?: number;
}

/** Ethernet + IPv4 + TCP; checksums are left zero (the printer does not verify them, as tcpdump -n without -v). */
function frame(s: Seg): Uint8Array {
  const opts = s.opts ?? [];
  const hlen = 20 + opts.length;
  const dlen = s.data ?? 0;
  const f = new Uint8Array(14 + 20 + hlen + dlen);
  const v = new DataView(f.buffer);
  v.setUint16(12, 0x0800);
  f[14] = 0x45;
  v.setUint16(16, 20 + hlen + dlen);
  f[22] = 64;
  f[23] = 6;
  v.setUint32(26, s.src);
  v.setUint32(30, s.dst);
  const t = 34;
  v.setUint16(t, s.sport);
  v.setUint16(t + 2, s.dport);
  v.setUint32(t + 4, s.seq >>> 0);
  v.setUint32(t + 8, s.ack >>> 0);
  f[t + 12] = (hlen / 4) << 4;
  f[t + 13] = s.flags;
  v.setUint16(t + 14, s.win);
  f.set(opts, t + 20);
  for (let i = 0; i < dlen; i++) f[t + hlen + i] = 0x41 + (i % 26);
  return f;
}

const be32 = (x: number): number[] => [(x >>> 24) & 0xff, (x >>> 16) & 0xff, (x >>> 8) & 0xff, x & 0xff];
const ts = (val: number, ecr: number): number[] => [1, 1, 8, 10, ...be32(val), ...be32(ecr)];
const SYN_OPTS = [2, 4, 0x05, 0xb4, 4, 2, 8, 10, ...be32(1), ...be32(0), 1, 3, 3, 7];
const SYNACK_OPTS = [2, 4, 0x05, 0xb4, 4, 2, 8, 10, ...be32(900), ...be32(1), 1, 3, 3, 7];

const F = 0x01;
const SY = 0x02;
const R = 0x04;
const P = 0x08;
const A = 0x10;

/** The conversation: handshake, 100 bytes up, 200 down, FIN from the client, FIN from the server. */
function conversation(): Uint8Array[] {
  const c = (seq: number, ack: number, flags: number, win: number, opts: number[], data = 0): Uint8Array =>
    frame({ src: C, dst: S, sport: 45678, dport: 80, seq: ISN_C + seq, ack: ISN_S + ack, flags, win, opts, data });
  const s = (seq: number, ack: number, flags: number, win: number, opts: number[], data = 0): Uint8Array =>
    frame({ src: S, dst: C, sport: 80, dport: 45678, seq: ISN_S + seq, ack: ISN_C + ack, flags, win, opts, data });
  return [
    frame({ src: C, dst: S, sport: 45678, dport: 80, seq: ISN_C, ack: 0, flags: SY, win: 64240, opts: SYN_OPTS }),
    s(0, 1, SY | A, 65160, SYNACK_OPTS),
    c(1, 1, A, 502, ts(2, 900)),
    c(1, 1, P | A, 502, ts(2, 900), 100),
    s(1, 101, A, 509, ts(901, 2)),
    s(1, 101, P | A, 509, ts(902, 2), 200),
    c(101, 201, A, 501, ts(3, 902)),
    c(101, 201, F | A, 501, ts(4, 902)),
    s(201, 102, F | A, 509, ts(903, 4)),
    c(102, 202, A, 501, ts(5, 903)),
  ];
}

const lines = (st: TcpSeqState): string[] => conversation().map((f) => ether_print(f, f.length, false, st));

describe("tcpdump TCP lines (print-tcp.c)", () => {
  it("prints a handshake, data and the FIN exchange with relative sequence numbers", () => {
    expect(lines(tcp_seq_state())).toEqual([
      "IP 10.0.2.15.45678 > 10.0.2.2.80: Flags [S], seq 123, win 64240, options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0",
      "IP 10.0.2.2.80 > 10.0.2.15.45678: Flags [S.], seq 3000000000, ack 124, win 65160, options [mss 1460,sackOK,TS val 900 ecr 1,nop,wscale 7], length 0",
      "IP 10.0.2.15.45678 > 10.0.2.2.80: Flags [.], ack 1, win 502, options [nop,nop,TS val 2 ecr 900], length 0",
      "IP 10.0.2.15.45678 > 10.0.2.2.80: Flags [P.], seq 1:101, ack 1, win 502, options [nop,nop,TS val 2 ecr 900], length 100",
      "IP 10.0.2.2.80 > 10.0.2.15.45678: Flags [.], ack 101, win 509, options [nop,nop,TS val 901 ecr 2], length 0",
      "IP 10.0.2.2.80 > 10.0.2.15.45678: Flags [P.], seq 1:201, ack 101, win 509, options [nop,nop,TS val 902 ecr 2], length 200",
      "IP 10.0.2.15.45678 > 10.0.2.2.80: Flags [.], ack 201, win 501, options [nop,nop,TS val 3 ecr 902], length 0",
      "IP 10.0.2.15.45678 > 10.0.2.2.80: Flags [F.], seq 101, ack 201, win 501, options [nop,nop,TS val 4 ecr 902], length 0",
      "IP 10.0.2.2.80 > 10.0.2.15.45678: Flags [F.], seq 201, ack 102, win 509, options [nop,nop,TS val 903 ecr 4], length 0",
      "IP 10.0.2.15.45678 > 10.0.2.2.80: Flags [.], ack 202, win 501, options [nop,nop,TS val 5 ecr 903], length 0",
    ]);
  });

  it("prints absolute sequence numbers with -S", () => {
    const l = lines(tcp_seq_state(true));
    expect(l[2]).toBe("IP 10.0.2.15.45678 > 10.0.2.2.80: Flags [.], ack 3000000001, win 502, options [nop,nop,TS val 2 ecr 900], length 0");
    expect(l[3]).toBe("IP 10.0.2.15.45678 > 10.0.2.2.80: Flags [P.], seq 124:224, ack 3000000001, win 502, options [nop,nop,TS val 2 ecr 900], length 100");
    expect(l[5]).toBe("IP 10.0.2.2.80 > 10.0.2.15.45678: Flags [P.], seq 3000000001:3000000201, ack 224, win 509, options [nop,nop,TS val 902 ecr 2], length 200");
  });

  it("takes the first segment with ACK of a conversation seen mid-stream as its base, and makes SACK blocks relative", () => {
    const st = tcp_seq_state();
    const mid = (seq: number, ack: number, flags: number, opts: number[] = [], data = 0): string => {
      const f = frame({ src: S, dst: C, sport: 80, dport: 45678, seq, ack, flags, win: 509, opts, data });
      return ether_print(f, f.length, false, st);
    };
    expect(mid(5000, 7000, A, [], 10)).toBe("IP 10.0.2.2.80 > 10.0.2.15.45678: Flags [.], seq 5000:5010, ack 7000, win 509, length 10");
    expect(mid(5010, 7000, P | A, [], 10)).toBe("IP 10.0.2.2.80 > 10.0.2.15.45678: Flags [P.], seq 10:20, ack 1, win 509, length 10");
    const back = frame({ src: C, dst: S, sport: 45678, dport: 80, seq: 7000, ack: 5010, flags: A, win: 501, opts: [1, 1, 5, 10, ...be32(5030), ...be32(5040)] });
    expect(ether_print(back, back.length, false, st)).toBe("IP 10.0.2.15.45678 > 10.0.2.2.80: Flags [.], ack 10, win 501, options [nop,nop,sack 1 {30:40}], length 0");
  });

  it("prints RST, flag-less segments and bad or truncated headers the way tcpdump does", () => {
    const st = tcp_seq_state();
    const rst = frame({ src: S, dst: C, sport: 80, dport: 45678, seq: 0, ack: ISN_C + 1, flags: R | A, win: 0 });
    expect(ether_print(rst, rst.length, false, st)).toBe("IP 10.0.2.2.80 > 10.0.2.15.45678: Flags [R.], seq 0, ack 124, win 0, length 0");
    const none = frame({ src: C, dst: S, sport: 1, dport: 2, seq: 9, ack: 0, flags: 0, win: 0 });
    expect(ether_print(none, none.length, false, st)).toBe("IP 10.0.2.15.1 > 10.0.2.2.2: Flags [none], win 0, length 0");
    const short = frame({ src: C, dst: S, sport: 1, dport: 2, seq: 9, ack: 0, flags: SY, win: 0 });
    short[34 + 12] = 4 << 4;
    expect(ether_print(short, short.length, false, st)).toBe("IP 10.0.2.15.1 > 10.0.2.2.2: tcp 4 [bad hdr length 16 - too short, < 20]");
    const syn = frame({ src: C, dst: S, sport: 45678, dport: 80, seq: ISN_C, ack: 0, flags: SY, win: 64240, opts: SYN_OPTS });
    expect(ether_print(syn, 14 + 20 + 10, false, st)).toBe("IP truncated-ip - 30 bytes missing! 10.0.2.15.45678 > 10.0.2.2.80: [|tcp]");
    expect(ether_print(syn, 14 + 20 + 30, false, st)).toBe("IP truncated-ip - 10 bytes missing! 10.0.2.15.45678 > 10.0.2.2.80: Flags [S], seq 123, win 64240, options [|tcp]");
  });
});
