/**
 * One line per frame in tcpdump's default (non-verbose, -n) style, as libnetdissect prints it
 * (print-ether.c, print-arp.c, print-ip.c, print-icmp.c, print-udp.c, print-bootp.c, print-tcp.c).
 * Only what ringzero's stack speaks is decoded: ARP, IPv4, ICMP, UDP (DHCP by name), TCP (with
 * relative sequence numbers, as tcpdump without -S); anything else gets tcpdump's generic form.
 * Every field is bounds-checked against the captured length: a short or lying frame prints
 * tcpdump's truncation marks ([|ether], [|arp], truncated-ip, truncated-udp, [|tcp]) and never
 * reads past the end.
 */
import { inet_ntoa } from "../../include/uapi/in.ts";

const ETHERTYPE_NAMES: Record<number, string> = { 0x0800: "IPv4", 0x0806: "ARP", 0x8035: "Reverse ARP", 0x86dd: "IPv6", 0x8100: "802.1Q", 0x88cc: "LLDP" };

function mac(f: Uint8Array, o: number): string {
  let s = "";
  for (let i = 0; i < 6; i++) s += (i > 0 ? ":" : "") + f[o + i]!.toString(16).padStart(2, "0");
  return s;
}

function u16(f: Uint8Array, o: number): number {
  return (f[o]! << 8) | f[o + 1]!;
}

function ip4(f: Uint8Array, o: number): string {
  return inet_ntoa(((f[o]! << 24) | (f[o + 1]! << 16) | (f[o + 2]! << 8) | f[o + 3]!) >>> 0);
}

/** "HH:MM:SS.uuuuuu" of a nanosecond clock reading (time of day modulo 24 h). */
export function ts_format(ns: number): string {
  const us = Math.floor(ns / 1000);
  const s = Math.floor(us / 1e6);
  const two = (n: number): string => String(n).padStart(2, "0");
  return `${two(Math.floor(s / 3600) % 24)}:${two(Math.floor(s / 60) % 60)}:${two(s % 60)}.${String(us % 1e6).padStart(6, "0")}`;
}

/** tcpdump's hex dump (-x style, which it uses for unknown EtherTypes): 16 bytes a line, with ASCII. */
export function hex_dump(f: Uint8Array, from: number, to: number): string {
  let out = "";
  for (let o = from; o < to; o += 16) {
    let hex = "";
    let asc = "";
    for (let i = 0; i < 16 && o + i < to; i++) {
      const b = f[o + i]!;
      hex += (i % 2 === 0 ? " " : "") + b.toString(16).padStart(2, "0");
      // tcpdump prints only ND_ASCII_ISGRAPH bytes (0x21-0x7e): a space is "." too (print-ascii.c).
      asc += b > 0x20 && b < 0x7f ? String.fromCharCode(b) : ".";
    }
    out += `\n\t0x${(o - from).toString(16).padStart(4, "0")}: ${hex.padEnd(40)}  ${asc}`;
  }
  return out;
}

function arp_print(f: Uint8Array, len: number): string {
  const o = 14;
  const alen = len - o;
  if (len < o + 8) return " [|arp]";
  const hrd = u16(f, o);
  const pro = u16(f, o + 2);
  const hln = f[o + 4]!;
  const pln = f[o + 5]!;
  const op = u16(f, o + 6);
  if (hrd !== 1 || pro !== 0x0800 || hln !== 6 || pln !== 4) return `ARP, hardware ${hrd} protocol 0x${pro.toString(16).padStart(4, "0")}, length ${alen}`;
  if (len < o + 28) return " [|arp]";
  const sha = mac(f, o + 8);
  const spa = ip4(f, o + 14);
  const tha = mac(f, o + 18);
  const tpa = ip4(f, o + 24);
  switch (op) {
    case 1:
      return `ARP, Request who-has ${tpa} tell ${spa}, length ${alen}`;
    case 2:
      return `ARP, Reply ${spa} is-at ${sha}, length ${alen}`;
    case 3:
      return `ARP, Reverse Request who-is ${tha} tell ${sha}, length ${alen}`;
    case 4:
      return `ARP, Reverse Reply ${tha} at ${tpa}, length ${alen}`;
    default:
      return `ARP, op ${op}, length ${alen}`;
  }
}

function icmp_print(f: Uint8Array, o: number, end: number, icmp_len: number): string {
  if (end - o < 4) return "ICMP [|icmp]";
  const type = f[o]!;
  const code = f[o + 1]!;
  const tail = `, length ${icmp_len}`;
  switch (type) {
    case 0:
    case 8:
      if (end - o < 8) return "ICMP [|icmp]";
      return `ICMP echo ${type === 8 ? "request" : "reply"}, id ${u16(f, o + 4)}, seq ${u16(f, o + 6)}${tail}`;
    case 3: {
      // The quoted header of the datagram that could not be delivered.
      const q = o + 8;
      if (end - q < 20) return `ICMP unreachable [|icmp]`;
      const qhl = (f[q]! & 0x0f) * 4;
      const qdst = ip4(f, q + 16);
      switch (code) {
        case 0:
          return `ICMP net ${qdst} unreachable${tail}`;
        case 1:
          return `ICMP host ${qdst} unreachable${tail}`;
        case 2:
          return `ICMP ${qdst} protocol ${f[q + 9]} unreachable${tail}`;
        case 3: {
          const p = f[q + 9]!;
          if (end - (q + qhl) < 4) return `ICMP ${qdst} port unreachable${tail}`;
          return `ICMP ${qdst} ${p === 17 ? "udp" : p === 6 ? "tcp" : `proto-${p}`} port ${u16(f, q + qhl + 2)} unreachable${tail}`;
        }
        case 4:
          return `ICMP ${qdst} unreachable - need to frag${tail}`;
        default:
          return `ICMP ${qdst} unreachable - code ${code}${tail}`;
      }
    }
    case 13:
      if (end - o < 8) return "ICMP [|icmp]";
      return `ICMP time stamp query id ${u16(f, o + 4)} seq ${u16(f, o + 6)}${tail}`;
    case 11:
      return `ICMP time exceeded ${code === 0 ? "in-transit" : "reassembly"}${tail}`;
    default:
      return `ICMP type-#${type}${tail}`;
  }
}

/** `ip` is what precedes the addresses: "IP " and any truncation mark. */
function udp_print(f: Uint8Array, o: number, end: number, ip: string, src: string, dst: string): string {
  if (end - o < 4) return `${ip}${src} > ${dst}: [|udp]`;
  const sport = u16(f, o);
  const dport = u16(f, o + 2);
  const head = `${ip}${src}.${sport} > ${dst}.${dport}:`;
  if (end - o < 8) return `${head} truncated-udp ${end - o}`;
  const ulen = u16(f, o + 4);
  if (ulen < 8 || ulen > end - o) return `${head} truncated-udp ${ulen}`;
  const plen = ulen - 8;
  if ((sport === 67 || sport === 68) && (dport === 67 || dport === 68)) {
    const b = o + 8;
    if (plen < 236) return `${head} BOOTP/DHCP [|bootp]`;
    if (f[b] === 1) return `${head} BOOTP/DHCP, Request from ${mac(f, b + 28)}, length ${plen}`;
    if (f[b] === 2) return `${head} BOOTP/DHCP, Reply, length ${plen}`;
    return `${head} BOOTP/DHCP, op ${f[b]}, length ${plen}`;
  }
  return `${head} UDP, length ${plen}`;
}

/**
 * What tcpdump remembers per TCP conversation to print relative sequence numbers (print-tcp.c's
 * tcp_seq_hash): keyed by the addresses and ports in a canonical order (the lower address first,
 * or the lower port when the addresses are equal), the initial sequence number of each side. One
 * per capture; with `absolute` (tcpdump -S) nothing is remembered and every number is printed as
 * it is on the wire.
 */
export interface TcpSeqState {
  absolute: boolean;
  /** key → [seq base of the canonical first side, seq base of the other side]. */
  conv: Map<string, [number, number]>;
}

/** Conversations a TcpSeqState keeps before it forgets them all (tcpdump's table only grows). */
const TCP_SEQ_MAX = 4096;

export function tcp_seq_state(absolute = false): TcpSeqState {
  return { absolute, conv: new Map() };
}

/** The state used when the caller passes none: one per process, bounded. */
const default_seq_state = tcp_seq_state();

function u32(f: Uint8Array, o: number): number {
  return ((f[o]! << 24) | (f[o + 1]! << 16) | (f[o + 2]! << 8) | f[o + 3]!) >>> 0;
}

/** tcp_flag_values, printed without separators in table order, as bittok2str_nosep does. */
const TCP_FLAGS: [number, string][] = [[0x01, "F"], [0x02, "S"], [0x04, "R"], [0x08, "P"], [0x10, "."], [0x20, "U"], [0x40, "E"], [0x80, "W"]];

const TCP_OPT_NAMES: Record<number, string> = { 0: "eol", 1: "nop", 2: "mss", 3: "wscale", 4: "sackOK", 5: "sack", 6: "echo", 7: "echoreply", 8: "TS", 11: "cc", 12: "ccnew", 13: "ccecho", 19: "md5", 27: "qs", 28: "utoevent", 29: "tcp-ao", 30: "mptcp", 34: "tfo", 253: "exp", 254: "exp" };

/** The segment travels against its conversation's canonical direction (the key's second side). */
function tcp_seq_reversed(saddr: number, daddr: number, sport: number, dport: number): boolean {
  return saddr > daddr || (saddr === daddr && sport > dport);
}

/**
 * Relative numbers: only segments with ACK are looked up; a SYN (re)starts the conversation, and
 * the segment that starts one is printed as it is, as tcpdump does. Returns the conversation's
 * bases [canonical side, other side], or undefined to print the numbers as they are.
 */
function tcp_seq_lookup(st: TcpSeqState, saddr: number, daddr: number, sport: number, dport: number, seq: number, ack: number, flags: number): [number, number] | undefined {
  if (st.absolute || (flags & 0x10) === 0) return undefined;
  const rev = tcp_seq_reversed(saddr, daddr, sport, dport);
  const key = rev ? `${daddr}.${dport}-${saddr}.${sport}` : `${saddr}.${sport}-${daddr}.${dport}`;
  const conv = st.conv.get(key);
  if (conv !== undefined && (flags & 0x02) === 0) return conv;
  if (conv === undefined && st.conv.size >= TCP_SEQ_MAX) st.conv.clear();
  st.conv.set(key, rev ? [(ack - 1) >>> 0, seq] : [seq, (ack - 1) >>> 0]);
  return undefined;
}

/**
 * What printing frame[0..len) would do to `st`, without the line: a capture that lets a frame go
 * unprinted calls this so later TCP lines still count from the right base. Walks the headers with
 * the same checks as ether_print → ip_print → tcp_print, up to the lookup.
 */
export function ether_tcp_seq_note(f: Uint8Array, len: number, st: TcpSeqState): void {
  if (st.absolute || len < 14 + 20 || u16(f, 12) !== 0x0800) return;
  const o = 14;
  const hl = (f[o]! & 0x0f) * 4;
  const tot = u16(f, o + 2);
  if (f[o]! >>> 4 !== 4 || hl < 20 || tot < hl || f[o + 9] !== 6 || (u16(f, o + 6) & 0x1fff) !== 0) return;
  const p = o + hl;
  const end = o + Math.min(tot, len - o);
  if (end - p < 20 || (f[p + 12]! >>> 4) * 4 < 20) return;
  tcp_seq_lookup(st, u32(f, o + 12), u32(f, o + 16), u16(f, p), u16(f, p + 2), u32(f, p + 4), u32(f, p + 8), f[p + 13]!);
}

/**
 * print-tcp.c's tcp_print for the default verbosity: flags, seq (with the end of the data), ack,
 * win, urg, options, length. `ip` is what precedes the addresses ("IP " and any truncation mark);
 * `tcp_len` is the TCP segment's length from the IP header.
 */
function tcp_print(f: Uint8Array, o: number, end: number, ip: string, src: string, dst: string, saddr: number, daddr: number, tcp_len: number, st: TcpSeqState): string {
  if (end - o < 4) return `${ip}${src} > ${dst}: [|tcp]`;
  const sport = u16(f, o);
  const dport = u16(f, o + 2);
  const head = `${ip}${src}.${sport} > ${dst}.${dport}:`;
  if (end - o < 20) return `${head} [|tcp]`;
  const hlen = (f[o + 12]! >>> 4) * 4;
  if (hlen < 20) return `${head} tcp ${tcp_len - hlen} [bad hdr length ${hlen} - too short, < 20]`;
  let seq = u32(f, o + 4);
  let ack = u32(f, o + 8);
  const flags = f[o + 13]!;
  const win = u16(f, o + 14);
  const urp = u16(f, o + 18);
  let out = `${head} Flags [`;
  let any = false;
  for (const [bit, c] of TCP_FLAGS) {
    if (flags & bit) {
      out += c;
      any = true;
    }
  }
  out += any ? "]" : "none]";
  const conv = tcp_seq_lookup(st, saddr, daddr, sport, dport, seq, ack, flags);
  const rev = tcp_seq_reversed(saddr, daddr, sport, dport);
  if (conv !== undefined) {
    if (rev) {
      seq = (seq - conv[1]) >>> 0;
      ack = (ack - conv[0]) >>> 0;
    } else {
      seq = (seq - conv[0]) >>> 0;
      ack = (ack - conv[1]) >>> 0;
    }
  }
  if (hlen > tcp_len) return `${out} [bad hdr length ${hlen} - too long, > ${tcp_len}]`;
  const length = tcp_len - hlen;
  if (length > 0 || (flags & 0x07) !== 0) {
    out += `, seq ${seq}`;
    if (length > 0) out += `:${(seq + length) >>> 0}`;
  }
  if (flags & 0x10) out += `, ack ${ack}`;
  out += `, win ${win}`;
  if (flags & 0x20) out += `, urg ${urp}`;
  if (hlen > 20) {
    if (o + hlen > end) return `${out}, options [|tcp]`;
    out += ", options [";
    let i = o + 20;
    const oend = o + hlen;
    let first = true;
    while (i < oend) {
      const kind = f[i]!;
      const name = TCP_OPT_NAMES[kind] ?? `unknown-${kind}`;
      out += (first ? "" : ",") + name;
      first = false;
      if (kind === 0 || kind === 1) {
        i++;
        if (kind === 0) break;
        continue;
      }
      if (i + 1 >= oend) return `${out}[|tcp]`;
      const len = f[i + 1]!;
      if (len < 2 || i + len > oend) return `${out} [bad opt]`;
      const d = i + 2;
      const dlen = len - 2;
      const bad = (want: number): boolean => dlen !== want;
      switch (kind) {
        case 2:
          out += bad(2) ? ` [bad opt]` : ` ${u16(f, d)}`;
          break;
        case 3:
          out += bad(1) ? ` [bad opt]` : ` ${f[d]}`;
          break;
        case 4:
          if (bad(0)) out += " [bad opt]";
          break;
        case 8:
          out += bad(8) ? ` [bad opt]` : ` val ${u32(f, d)} ecr ${u32(f, d + 4)}`;
          break;
        case 5:
          if (dlen % 8 !== 0) out += " invalid sack";
          else {
            out += ` ${dlen / 8} `;
            for (let k = 0; k < dlen; k += 8) {
              let s = u32(f, d + k);
              let e = u32(f, d + k + 4);
              if (conv !== undefined) {
                // SACK blocks name the other side's sequence space.
                const base = rev ? conv[0] : conv[1];
                s = (s - base) >>> 0;
                e = (e - base) >>> 0;
              }
              out += `{${s}:${e}}`;
            }
          }
          break;
        default:
          if (dlen > 0) {
            out += " 0x";
            for (let k = 0; k < dlen; k++) out += f[d + k]!.toString(16).padStart(2, "0");
          }
      }
      i += len;
    }
    out += "]";
  }
  return `${out}, length ${length}`;
}

function ip_print(f: Uint8Array, len: number, st: TcpSeqState): string {
  const o = 14;
  if (len - o < 1) return "IP [|ip]";
  const ver = f[o]! >>> 4;
  if (ver !== 4) return ver === 6 ? "IP6, wrong link-layer encapsulation (invalid)" : `IP${ver} (invalid)`;
  if (len - o < 20) return "IP [|ip]";
  const hl = (f[o]! & 0x0f) * 4;
  const tot = u16(f, o + 2);
  if (hl < 20) return `IP bad-hlen ${hl}`;
  if (tot < hl) return `IP bad-len ${tot}`;
  const src = ip4(f, o + 12);
  const dst = ip4(f, o + 16);
  const have = len - o;
  const missing = tot > have ? `truncated-ip - ${tot - have} bytes missing! ` : "";
  const end = o + Math.min(tot, have);
  const proto = f[o + 9]!;
  const frag_off = u16(f, o + 6) & 0x1fff;
  const p = o + hl;
  if (frag_off !== 0) return `IP ${missing}${src} > ${dst}: ip-proto-${proto}`;
  switch (proto) {
    case 1:
      return `IP ${missing}${src} > ${dst}: ${icmp_print(f, p, end, tot - hl)}`;
    case 6:
      return tcp_print(f, p, end, `IP ${missing}`, src, dst, u32(f, o + 12), u32(f, o + 16), tot - hl, st);
    case 17:
      return udp_print(f, p, end, `IP ${missing}`, src, dst);
    default:
      return `IP ${missing}${src} > ${dst}:  ip-proto-${proto} ${tot - hl}`;
  }
}

/**
 * The line for one frame (without the timestamp), frame[0..len). `st` holds the TCP conversations
 * seen so far, for relative sequence numbers (a capture should pass its own: tcp_seq_state()).
 * With `eflag` (tcpdump -e) the
 * link-level header comes first and the protocol name ("IP ", "ARP, ") is left out, as tcpdump does.
 */
export function ether_print(f: Uint8Array, len: number, eflag = false, st: TcpSeqState = default_seq_state): string {
  if (len < 14) return " [|ether]";
  const type = u16(f, 12);
  const link = `${mac(f, 6)} > ${mac(f, 0)}, ethertype ${ETHERTYPE_NAMES[type] ?? "Unknown"} (0x${type.toString(16).padStart(4, "0")}), length ${len}: `;
  if (type === 0x0800) return eflag ? link + ip_print(f, len, st).replace(/^IP /, "") : ip_print(f, len, st);
  if (type === 0x0806) return eflag ? link + arp_print(f, len).replace(/^ARP, /, "") : arp_print(f, len);
  return link + hex_dump(f, 14, len);
}
