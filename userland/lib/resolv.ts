/**
 * The guest's stub resolver (what glibc's resolv/ and getaddrinfo(3) do, reduced to IPv4):
 *   - a dotted quad is its own address; "localhost" is 127.0.0.1 (as /etc/hosts has it);
 *   - anything else is asked of the name servers in /etc/resolv.conf, or — when there is none —
 *     of those the DHCP lease named in /proc/net/pnp (Linux's ipconfig writes it so that
 *     /etc/resolv.conf can be a link to it), or 127.0.0.1 when neither names one (glibc's default);
 *   - each server gets an A query over UDP to port 53, RES_TIMEOUT_MS per attempt and
 *     RES_ATTEMPTS attempts (one retry), before the next server is tried.
 *
 * Tools resolve names with getaddrinfo(sys, name): addresses, or a negative EAI_* code whose text
 * is gai_strerror(code) ("ping: nosuch: Name or service not known"). res_mkquery / res_send /
 * res_parse are the lower layer host and nslookup use.
 */
import { EINTR } from "../../include/linux/errno.ts";
import { AF_INET, inet_aton, IPPROTO_UDP, SOCK_DGRAM } from "../../include/uapi/in.ts";
import { CLOCK_MONOTONIC, type Syscalls } from "../../include/uapi/syscalls.ts";

/** getaddrinfo(3) error codes (glibc's values) and their gai_strerror texts. */
export const EAI_NONAME = -2;
export const EAI_AGAIN = -3;
export const EAI_FAIL = -4;
export const EAI_NODATA = -5;
export const EAI_SYSTEM = -11;
export const EAI_INTR = -104;

const EAI_TEXT: Readonly<Record<number, string>> = {
  [EAI_NONAME]: "Name or service not known",
  [EAI_AGAIN]: "Temporary failure in name resolution",
  [EAI_FAIL]: "Non-recoverable failure in name resolution",
  [EAI_NODATA]: "No address associated with hostname",
  [EAI_SYSTEM]: "System error",
  [EAI_INTR]: "Interrupted by a signal",
};

export function gai_strerror(code: number): string {
  return EAI_TEXT[code] ?? "Unknown error";
}

export const NAMESERVER_PORT = 53;
/** resolv.conf(5) defaults: timeout:5 attempts:2. */
export const RES_TIMEOUT_MS = 5000;
export const RES_ATTEMPTS = 2;
/** Without EDNS a reply is at most 512 bytes; read a little more in case a server sends more. */
const MAX_REPLY = 4096;

export const T_A = 1;
export const T_NS = 2;
export const T_CNAME = 5;
export const T_SOA = 6;
export const T_PTR = 12;
export const T_MX = 15;
export const T_TXT = 16;
export const T_AAAA = 28;
export const T_SRV = 33;
export const T_ANY = 255;

export const RCODE_NAMES = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE"];

export function rcode_name(rcode: number): string {
  return RCODE_NAMES[rcode] ?? `${rcode}`;
}

/** One resource record of a reply. `target` is set for NS, CNAME and PTR, and MX (after `pref`). */
export interface DnsRecord {
  name: string;
  type: number;
  ttl: number;
  rdata: Uint8Array;
  /** A: the address. */
  addr?: number;
  target?: string;
  /** MX preference. */
  pref?: number;
}

export interface DnsReply {
  id: number;
  rcode: number;
  /** Authoritative answer. */
  aa: boolean;
  /** Truncated. */
  tc: boolean;
  answers: DnsRecord[];
}

/** The name servers to ask, in order: /etc/resolv.conf, else /proc/net/pnp. */
export function res_nameservers(sys: Syscalls): number[] {
  for (const path of ["/etc/resolv.conf", "/proc/net/pnp"]) {
    const r = sys.read_file(path);
    if (typeof r === "number") continue;
    const out: number[] = [];
    for (const line of new TextDecoder().decode(r).split("\n")) {
      const m = /^\s*nameserver\s+(\S+)/.exec(line);
      const a = m === null ? null : inet_aton(m[1]!);
      if (a !== null && a !== 0 && !out.includes(a)) out.push(a);
    }
    if (out.length > 0) return out;
  }
  return [];
}

let query_seq = 0;

/** A query ID: not guessable by an off-path host in real life; here it only has to differ. */
export function res_randomid(sys: Syscalls): number {
  query_seq = (query_seq + 1) & 0xffff;
  return (Math.floor(sys.clock_gettime(CLOCK_MONOTONIC) / 1000) + sys.getpid() * 40503 + query_seq * 2053) & 0xffff;
}

/** A standard query (RD set) for `name` and `qtype`; null when the name cannot be sent. */
export function res_mkquery(id: number, name: string, qtype: number): Uint8Array | null {
  const n = name.endsWith(".") ? name.slice(0, -1) : name;
  if (n === "" || n.length > 253) return null;
  const labels = n.split(".").map((l) => new TextEncoder().encode(l));
  if (labels.some((l) => l.length === 0 || l.length > 63)) return null;
  const q = new Uint8Array(12 + labels.reduce((s, l) => s + l.length + 1, 0) + 5);
  q[0] = id >> 8;
  q[1] = id & 0xff;
  q[2] = 0x01; // RD
  q[5] = 1; // QDCOUNT
  let o = 12;
  for (const l of labels) {
    q[o++] = l.length;
    q.set(l, o);
    o += l.length;
  }
  q[o++] = 0;
  q[o++] = qtype >> 8;
  q[o++] = qtype & 0xff;
  q[o++] = 0;
  q[o] = 1; // class IN
  return q;
}

/** dn_expand(3): the (possibly compressed) name at `off`, and where the name ends there; null if broken. */
export function dn_expand(msg: Uint8Array, off: number): { name: string; next: number } | null {
  const labels: string[] = [];
  let o = off;
  let next = -1;
  for (let hops = 0; hops < 128; hops++) {
    if (o >= msg.length) return null;
    const l = msg[o]!;
    if ((l & 0xc0) === 0xc0) {
      if (o + 1 >= msg.length) return null;
      if (next < 0) next = o + 2;
      o = ((l & 0x3f) << 8) | msg[o + 1]!;
      continue;
    }
    if (l & 0xc0) return null;
    if (l === 0) return { name: labels.join("."), next: next < 0 ? o + 1 : next };
    if (o + 1 + l > msg.length) return null;
    labels.push(String.fromCharCode(...msg.subarray(o + 1, o + 1 + l)));
    o += 1 + l;
  }
  return null; // a pointer loop
}

/** Parse a reply: header and answer records (questions skipped); null when it does not parse. */
export function res_parse(msg: Uint8Array): DnsReply | null {
  if (msg.length < 12) return null;
  const v = new DataView(msg.buffer, msg.byteOffset, msg.byteLength);
  const qd = v.getUint16(4);
  const an = v.getUint16(6);
  let o = 12;
  for (let i = 0; i < qd; i++) {
    const n = dn_expand(msg, o);
    if (n === null || n.next + 4 > msg.length) return null;
    o = n.next + 4;
  }
  const answers: DnsRecord[] = [];
  for (let i = 0; i < an; i++) {
    const n = dn_expand(msg, o);
    if (n === null || n.next + 10 > msg.length) return null;
    o = n.next;
    const type = v.getUint16(o);
    const ttl = v.getUint32(o + 4);
    const rdlen = v.getUint16(o + 8);
    o += 10;
    if (o + rdlen > msg.length) return null;
    const rr: DnsRecord = { name: n.name, type, ttl, rdata: msg.slice(o, o + rdlen) };
    if (type === T_A) {
      if (rdlen !== 4) return null;
      rr.addr = v.getUint32(o);
    } else if (type === T_AAAA) {
      if (rdlen !== 16) return null;
    } else if (type === T_NS || type === T_CNAME || type === T_PTR) {
      const t = dn_expand(msg, o);
      if (t === null) return null;
      rr.target = t.name;
    } else if (type === T_MX) {
      if (rdlen < 3) return null;
      const t = dn_expand(msg, o + 2);
      if (t === null) return null;
      rr.pref = v.getUint16(o);
      rr.target = t.name;
    }
    answers.push(rr);
    o += rdlen;
  }
  return { id: v.getUint16(0), rcode: msg[3]! & 0x0f, aa: (msg[2]! & 0x04) !== 0, tc: (msg[2]! & 0x02) !== 0, answers };
}

export interface ResSendOptions {
  /** How long each attempt waits for the answer. */
  timeout_ms?: number;
  attempts?: number;
  port?: number;
}

/**
 * res_send(3): send `query` to `server` and wait for the reply with the same ID from that server's
 * port, resending after each timeout. The reply's bytes, or EAI_AGAIN (no answer: timed out, or
 * the server's port is unreachable), EAI_INTR (a signal), EAI_SYSTEM (no socket).
 */
export async function res_send(sys: Syscalls, server: number, query: Uint8Array, opts: ResSendOptions = {}): Promise<Uint8Array | number> {
  const timeout = opts.timeout_ms ?? RES_TIMEOUT_MS;
  const attempts = opts.attempts ?? RES_ATTEMPTS;
  const port = opts.port ?? NAMESERVER_PORT;
  const fd = sys.socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
  if (fd < 0) return EAI_SYSTEM;
  try {
    for (let attempt = 0; attempt < attempts; attempt++) {
      const s = await sys.sendto(fd, query, server, port);
      if (s === -EINTR) return EAI_INTR;
      if (s < 0) return EAI_AGAIN; // no route to the server, for one
      const deadline = sys.clock_gettime(CLOCK_MONOTONIC) + timeout * 1e6;
      for (;;) {
        const left = Math.ceil((deadline - sys.clock_gettime(CLOCK_MONOTONIC)) / 1e6);
        if (left <= 0) break;
        const d = await sys.recvfrom(fd, left);
        if (d === -EINTR) return EAI_INTR;
        if (typeof d === "number") break; // timed out: resend
        if (d.error !== undefined) {
          if (d.addr === server) return EAI_AGAIN; // port or host unreachable: nobody answers there
          continue;
        }
        const r = d.data;
        if (d.addr !== server || d.port !== port || r.length < 12 || r.length > MAX_REPLY) continue;
        if (r[0] !== query[0] || r[1] !== query[1] || (r[2]! & 0x80) === 0) continue;
        return r;
      }
    }
    return EAI_AGAIN;
  } finally {
    sys.close(fd);
  }
}

/**
 * getaddrinfo(3), IPv4 only: the addresses of `name`, or a negative EAI_* code — EAI_NONAME
 * (NXDOMAIN, or a name that cannot be sent), EAI_NODATA (the name has no IPv4 address),
 * EAI_AGAIN (no server answered, or SERVFAIL), EAI_FAIL (any other refusal), EAI_INTR.
 */
export async function getaddrinfo(sys: Syscalls, name: string): Promise<number[] | number> {
  const a = inet_aton(name);
  if (a !== null) return [a];
  const lower = name.toLowerCase();
  if (lower === "localhost" || lower === "localhost.") return [0x7f000001];
  const servers = res_nameservers(sys);
  if (servers.length === 0) servers.push(0x7f000001);
  let err = EAI_AGAIN;
  for (const server of servers) {
    const q = res_mkquery(res_randomid(sys), name, T_A);
    if (q === null) return EAI_NONAME;
    const r = await res_send(sys, server, q);
    if (r === EAI_INTR || r === EAI_SYSTEM) return r;
    if (typeof r === "number") continue;
    const reply = res_parse(r);
    if (reply === null) {
      err = EAI_FAIL;
      continue;
    }
    if (reply.rcode === 3) return EAI_NONAME;
    if (reply.rcode === 2) continue; // SERVFAIL: perhaps another server knows
    if (reply.rcode !== 0) {
      err = EAI_FAIL;
      continue;
    }
    const addrs = reply.answers.filter((rr) => rr.type === T_A).map((rr) => rr.addr!);
    return addrs.length > 0 ? addrs : EAI_NODATA;
  }
  return err;
}

/** "1.2.3.4" → "4.3.2.1.in-addr.arpa", or null when `s` is not a dotted quad. */
export function in_addr_arpa_name(s: string): string | null {
  const a = inet_aton(s);
  if (a === null) return null;
  return `${a & 0xff}.${(a >>> 8) & 0xff}.${(a >>> 16) & 0xff}.${a >>> 24}.in-addr.arpa`;
}

/** inet_ntop(AF_INET6) with RFC 5952's compression of the longest run of zero groups. */
export function inet6_ntop(b: Uint8Array): string {
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push((b[i]! << 8) | b[i + 1]!);
  let best = -1;
  let best_len = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > best_len) {
      best = i;
      best_len = j - i;
    }
    i = j;
  }
  const hex = (xs: number[]): string => xs.map((x) => x.toString(16)).join(":");
  if (best < 0) return hex(g);
  return `${hex(g.slice(0, best))}::${hex(g.slice(best + best_len))}`;
}
