/**
 * One line per frame in tcpdump's default (non-verbose, -n) style, as libnetdissect prints it
 * (print-ether.c, print-arp.c, print-ip.c, print-icmp.c, print-udp.c, print-bootp.c). Only what
 * ringzero's stack speaks is decoded: ARP, IPv4, ICMP, UDP (DHCP by name); anything else gets
 * tcpdump's generic form. Every field is bounds-checked against the captured length: a short or
 * lying frame prints tcpdump's truncation marks ([|ether], [|arp], truncated-ip, truncated-udp)
 * and never reads past the end.
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
      asc += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ".";
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

function ip_print(f: Uint8Array, len: number): string {
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
    case 17:
      return udp_print(f, p, end, `IP ${missing}`, src, dst);
    default:
      return `IP ${missing}${src} > ${dst}:  ip-proto-${proto} ${tot - hl}`;
  }
}

/**
 * The line for one frame (without the timestamp), frame[0..len). With `eflag` (tcpdump -e) the
 * link-level header comes first and the protocol name ("IP ", "ARP, ") is left out, as tcpdump does.
 */
export function ether_print(f: Uint8Array, len: number, eflag = false): string {
  if (len < 14) return " [|ether]";
  const type = u16(f, 12);
  const link = `${mac(f, 6)} > ${mac(f, 0)}, ethertype ${ETHERTYPE_NAMES[type] ?? "Unknown"} (0x${type.toString(16).padStart(4, "0")}), length ${len}: `;
  if (type === 0x0800) return eflag ? link + ip_print(f, len).replace(/^IP /, "") : ip_print(f, len);
  if (type === 0x0806) return eflag ? link + arp_print(f, len).replace(/^ARP, /, "") : arp_print(f, len);
  return link + hex_dump(f, 14, len);
}
