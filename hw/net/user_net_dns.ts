/**
 * The user network's name server (10.0.2.3, UDP port 53): DNS queries in RFC 1035 wire format,
 * answered from the host's resolver.
 *
 * QEMU's slirp does not answer DNS itself: it forwards the guest's datagram to the host's own
 * name server (the first `nameserver` of /etc/resolv.conf) and passes back whatever that says.
 * ringzero answers the query itself from the host's resolver — what VirtualBox's NAT does with
 * `--natdnshostresolver` — so that, on the virtual clock, answers come from a table read once
 * (the host's /etc/hosts, see host_resolver.ts) and tests are deterministic; in realtime mode names
 * the table does not know are asked of the host's resolver and answered when it answers.
 *
 * What is answered:
 *   A (and ANY)            the IPv4 addresses, one RR each (TTL DNS_TTL_S), NOERROR;
 *   PTR for a.b.c.d.in-addr.arpa  the host name of the address;
 *   any other type (AAAA, MX, TXT …) for a name that exists: NOERROR with no answer (NODATA) —
 *                          what the host's recursive resolver tells slirp's guest for an IPv4-only
 *                          name (VirtualBox's host resolver says NOTIMP instead);
 *   a name that does not exist: NXDOMAIN;
 *   opcode other than QUERY, class other than IN/ANY, zone transfers: NOTIMP;
 *   a question that cannot be parsed, QDCOUNT other than 1, bytes after the question: FORMERR;
 *   fewer than 12 bytes, or a response (QR=1): no answer at all (counted in `dropped`).
 * The reply echoes the ID, RD and the question, sets QR and RA, is never authoritative (AA=0), and
 * fits in 512 bytes (TC set if answers had to be left out). EDNS is not spoken: an OPT record in
 * the query is ignored and none is returned (RFC 6891 section 7).
 *
 * Counters: every datagram handed to query() ends in exactly one of answered, nodata, nxdomain,
 * servfail, formerr, notimp, dropped — or is `pending` while the host's resolver is asked.
 */

/** The host's resolver as the name server sees it (host_resolver.ts builds the Node one). */
export interface HostResolver {
  /**
   * What is known now about `name` (lower case, no trailing dot): its IPv4 addresses (host order),
   * [] when the name exists without one, null when it is not known here.
   */
  lookup(name: string): number[] | null;
  /** The host name of an IPv4 address, or null. */
  reverse(addr: number): string | null;
  /**
   * Ask further for a name lookup() does not know. `done` is called exactly once — synchronously
   * or much later — with the addresses, null for "no such name", or "fail" (the resolver could not
   * say: SERVFAIL). Absent: names lookup() does not know are NXDOMAIN at once.
   */
  lookup_async?(name: string, done: (r: number[] | null | "fail") => void): void;
  /** As lookup_async, for reverse(). */
  reverse_async?(addr: number, done: (r: string | null | "fail") => void): void;
}

export const DNS_PORT = 53;
/** TTL of the records we hand out. */
export const DNS_TTL_S = 60;
/** Largest reply without EDNS (RFC 1035 section 4.2.1). */
export const DNS_MAX_UDP = 512;
/** Lookups waiting for the host's resolver at once; more are answered SERVFAIL. */
export const DNS_MAX_PENDING = 64;

export const RCODE_NOERROR = 0;
export const RCODE_FORMERR = 1;
export const RCODE_SERVFAIL = 2;
export const RCODE_NXDOMAIN = 3;
export const RCODE_NOTIMP = 4;

export const QTYPE_A = 1;
export const QTYPE_PTR = 12;
export const QTYPE_AAAA = 28;
export const QTYPE_ANY = 255;
const QCLASS_IN = 1;
const QCLASS_ANY = 255;
/** IXFR, AXFR, MAILB, MAILA: not for a stub resolver's server. */
const QTYPES_NOTIMP = [251, 252, 253, 254];

/** A parsed question: the name as text (lower case) and where the question ends in the message. */
export interface DnsQuestion {
  name: string;
  qtype: number;
  qclass: number;
  /** Offset just past QCLASS: msg[0..end) is header + question, echoed in the reply. */
  end: number;
}

function be16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

/**
 * Parse the header and the one question of a query of at least 12 bytes: the question, or the
 * RCODE to refuse it with (RCODE_FORMERR / RCODE_NOTIMP).
 */
export function dns_parse_query(msg: Uint8Array): DnsQuestion | number {
  if ((msg[2]! >> 3) & 0x0f) return RCODE_NOTIMP; // OPCODE other than QUERY
  if (be16(msg, 4) !== 1) return RCODE_FORMERR; // QDCOUNT (RFC 9619: exactly one)
  let o = 12;
  let name = "";
  let wire = 0;
  for (;;) {
    if (o >= msg.length) return RCODE_FORMERR;
    const l = msg[o]!;
    if (l === 0) {
      o++;
      break;
    }
    if (l & 0xc0) return RCODE_FORMERR; // compression pointer (one question: only loops) or reserved label type
    wire += l + 1;
    if (wire > 254 || o + 1 + l > msg.length) return RCODE_FORMERR;
    let label = "";
    for (let i = o + 1; i <= o + l; i++) {
      const c = msg[i]!;
      if (c === 0x2e) return RCODE_FORMERR; // a dot inside a label has no text form
      label += String.fromCharCode(c >= 0x41 && c <= 0x5a ? c + 32 : c);
    }
    name = name === "" ? label : `${name}.${label}`;
    o += 1 + l;
  }
  if (o + 4 > msg.length) return RCODE_FORMERR;
  const qtype = be16(msg, o);
  const qclass = be16(msg, o + 2);
  o += 4;
  // Bytes after the question are only allowed as the authority/additional records the header
  // announces (an EDNS OPT record, typically); they are ignored.
  if (o < msg.length && be16(msg, 8) === 0 && be16(msg, 10) === 0) return RCODE_FORMERR;
  if (qclass !== QCLASS_IN && qclass !== QCLASS_ANY) return RCODE_NOTIMP;
  if (QTYPES_NOTIMP.includes(qtype)) return RCODE_NOTIMP;
  return { name, qtype, qclass, end: o };
}

/** One resource record of an answer: A (4-byte address) or PTR (a name). */
export type DnsAnswer = { type: typeof QTYPE_A; addr: number } | { type: typeof QTYPE_PTR; name: string };

function encode_name(name: string): number[] {
  const out: number[] = [];
  for (const label of name.split(".")) {
    if (label === "") continue;
    const bytes = [...label].map((ch) => ch.charCodeAt(0) & 0xff).slice(0, 63);
    out.push(bytes.length, ...bytes);
  }
  out.push(0);
  return out;
}

/**
 * The response to `msg`: its header with QR, RA and `rcode`, the question echoed when `q` is
 * given (else QDCOUNT 0), and the answers that fit in DNS_MAX_UDP (TC when some did not).
 */
export function dns_build_response(msg: Uint8Array, q: DnsQuestion | null, rcode: number, answers: readonly DnsAnswer[], ttl_s = DNS_TTL_S): Uint8Array {
  const head = q === null ? 12 : q.end;
  const rrs: number[][] = [];
  let size = head;
  let tc = false;
  for (const a of answers) {
    const rdata = a.type === QTYPE_A ? [a.addr >>> 24, (a.addr >>> 16) & 0xff, (a.addr >>> 8) & 0xff, a.addr & 0xff] : encode_name(a.name);
    // The owner is a pointer to the question's name (offset 12).
    const rr = [0xc0, 12, 0, a.type, 0, QCLASS_IN, ttl_s >>> 24, (ttl_s >>> 16) & 0xff, (ttl_s >>> 8) & 0xff, ttl_s & 0xff, rdata.length >> 8, rdata.length & 0xff, ...rdata];
    if (size + rr.length > DNS_MAX_UDP) {
      tc = true;
      break;
    }
    rrs.push(rr);
    size += rr.length;
  }
  const out = new Uint8Array(size);
  out.set(msg.subarray(0, head));
  // QR=1, OPCODE kept, AA=0, TC, RD kept; RA=1, Z/AD/CD=0, RCODE.
  out[2] = 0x80 | (msg[2]! & 0x79) | (tc ? 0x02 : 0);
  out[3] = 0x80 | (rcode & 0x0f);
  out[4] = 0;
  out[5] = q === null ? 0 : 1;
  out[6] = rrs.length >> 8;
  out[7] = rrs.length & 0xff;
  out.fill(0, 8, 12);
  let o = head;
  for (const rr of rrs) {
    out.set(rr, o);
    o += rr.length;
  }
  return out;
}

/** "4.3.2.1.in-addr.arpa" → 0x01020304; null when the name is not an IPv4 reverse name. */
export function in_addr_arpa(name: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.in-addr\.arpa$/.exec(name);
  if (m === null) return null;
  const b = [m[4], m[3], m[2], m[1]].map(Number);
  if (b.some((x) => x > 255)) return null;
  return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
}

/** The name server: hand it each datagram that reaches port 53 of the DNS address. */
export class UserNetDns {
  private readonly resolver: HostResolver;
  private readonly ttl_s: number;
  queries = 0;
  /** NOERROR with at least one record. */
  answered = 0;
  /** NOERROR without records: the name exists, the type does not (AAAA of an IPv4-only name). */
  nodata = 0;
  nxdomain = 0;
  servfail = 0;
  formerr = 0;
  notimp = 0;
  /** Not answered at all: shorter than a header, a response, or a broken UDP datagram. */
  dropped = 0;
  /** Waiting for the host's resolver. */
  pending = 0;

  constructor(resolver: HostResolver, ttl_s = DNS_TTL_S) {
    this.resolver = resolver;
    this.ttl_s = ttl_s;
  }

  describe(): string {
    return `dns queries=${this.queries} answered=${this.answered} nodata=${this.nodata} nxdomain=${this.nxdomain} servfail=${this.servfail} formerr=${this.formerr} notimp=${this.notimp} dropped=${this.dropped} pending=${this.pending}`;
  }

  /** A datagram for port 53 that was not even a well-formed UDP datagram. */
  malformed(): void {
    this.queries++;
    this.dropped++;
  }

  /**
   * One query datagram (valid only during the call). `reply` gets the response once, now or when
   * the host's resolver answers, or never (counted in `dropped`).
   */
  query(msg: Uint8Array, reply: (resp: Uint8Array) => void): void {
    this.queries++;
    if (msg.length < 12 || msg[2]! & 0x80) {
      this.dropped++;
      return;
    }
    const q = dns_parse_query(msg);
    if (typeof q === "number") {
      this.finish(reply, dns_build_response(msg, null, q, []), q, 0);
      return;
    }
    const addr = in_addr_arpa(q.name);
    const reverse = addr !== null;
    const known = reverse ? this.resolver.reverse(addr) : this.resolver.lookup(q.name);
    const ask = reverse ? this.resolver.reverse_async : this.resolver.lookup_async;
    if (known !== null || ask === undefined) {
      this.respond(msg, q, known, reply);
      return;
    }
    if (this.pending >= DNS_MAX_PENDING) {
      this.finish(reply, dns_build_response(msg, q, RCODE_SERVFAIL, []), RCODE_SERVFAIL, 0);
      return;
    }
    const copy = msg.slice();
    this.pending++;
    let done = false;
    const answer = (r: number[] | string | null | "fail"): void => {
      if (done) return;
      done = true;
      this.pending--;
      if (r === "fail") this.finish(reply, dns_build_response(copy, q, RCODE_SERVFAIL, []), RCODE_SERVFAIL, 0);
      else this.respond(copy, q, r, reply);
    };
    if (reverse) this.resolver.reverse_async!(addr, answer);
    else this.resolver.lookup_async!(q.name, answer);
  }

  /** Answer from what the resolver said: addresses (forward) or a name (reverse); null = no such name. */
  private respond(msg: Uint8Array, q: DnsQuestion, known: number[] | string | null, reply: (resp: Uint8Array) => void): void {
    if (known === null) {
      this.finish(reply, dns_build_response(msg, q, RCODE_NXDOMAIN, []), RCODE_NXDOMAIN, 0);
      return;
    }
    const answers: DnsAnswer[] = [];
    if (typeof known === "string") {
      if (q.qtype === QTYPE_PTR || q.qtype === QTYPE_ANY) answers.push({ type: QTYPE_PTR, name: known });
    } else if (q.qtype === QTYPE_A || q.qtype === QTYPE_ANY) {
      for (const a of known) answers.push({ type: QTYPE_A, addr: a });
    }
    const resp = dns_build_response(msg, q, RCODE_NOERROR, answers, this.ttl_s);
    this.finish(reply, resp, RCODE_NOERROR, answers.length);
  }

  private finish(reply: (resp: Uint8Array) => void, resp: Uint8Array, rcode: number, n: number): void {
    if (rcode === RCODE_NOERROR) {
      if (n > 0) this.answered++;
      else this.nodata++;
    } else if (rcode === RCODE_NXDOMAIN) this.nxdomain++;
    else if (rcode === RCODE_SERVFAIL) this.servfail++;
    else if (rcode === RCODE_FORMERR) this.formerr++;
    else this.notimp++;
    reply(resp);
  }
}

/** A name table as /etc/hosts gives it: names → IPv4 addresses ([] for IPv6-only names), and back. */
export interface HostsTable {
  names: Map<string, number[]>;
  addrs: Map<number, string>;
}

/**
 * Parse hosts(5) text: "ADDRESS NAME [ALIAS…]" per line, '#' to end of line a comment. IPv6 lines
 * make their names exist without an IPv4 address. Lines that do not parse are skipped.
 */
export function parse_hosts(text: string): HostsTable {
  const names = new Map<string, number[]>();
  const addrs = new Map<number, string>();
  for (const raw of text.split("\n")) {
    const line = raw.replace(/#.*/, "").trim();
    if (line === "") continue;
    const [addr_text, ...hostnames] = line.split(/\s+/);
    if (hostnames.length === 0) continue;
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(addr_text!);
    const b = m === null ? null : m.slice(1).map(Number);
    const v4 = b === null || b.some((x) => x > 255) ? null : ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
    if (v4 === null && !addr_text!.includes(":")) continue;
    for (const h of hostnames) {
      const n = h.toLowerCase().replace(/\.$/, "");
      const list = names.get(n) ?? [];
      if (v4 !== null && !list.includes(v4)) list.push(v4);
      names.set(n, list);
    }
    if (v4 !== null && !addrs.has(v4)) addrs.set(v4, hostnames[0]!.toLowerCase());
  }
  return { names, addrs };
}

/**
 * A resolver over a hosts table, with `localhost` (and names under .localhost, RFC 6761) on
 * 127.0.0.1 when the table does not say otherwise. Synchronous only.
 */
export function hosts_resolver(table: HostsTable = { names: new Map(), addrs: new Map() }): HostResolver {
  return {
    lookup(name) {
      const r = table.names.get(name);
      if (r !== undefined && r.length > 0) return r;
      if (name === "localhost" || name.endsWith(".localhost")) return [0x7f000001];
      return r ?? null;
    },
    reverse(addr) {
      return table.addrs.get(addr) ?? (addr === 0x7f000001 ? "localhost" : null);
    },
  };
}
