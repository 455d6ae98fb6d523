/**
 * The user network's name server (hw/net/user_net_dns.ts) in wire format: answers, NXDOMAIN,
 * NODATA for AAAA, refusals of malformed and unsupported queries, hostile input, asynchronous
 * answers; and the host-side resolver (hw/net/host_resolver.ts).
 */
import { describe, expect, it } from "vitest";
import {
  DNS_MAX_PENDING,
  hosts_resolver,
  parse_hosts,
  UserNetDns,
  type HostResolver,
} from "../../hw/net/user_net_dns.ts";
import { host_hosts_table, node_host_resolver } from "../../hw/net/host_resolver.ts";
import { res_mkquery, res_parse } from "../../userland/lib/resolv.ts";

const HOSTS = parse_hosts(`# a hosts file
127.0.0.1\tlocalhost
10.0.2.2    gateway.test gw   # the host
10.0.2.50   multi.test
10.0.2.51   multi.test
::1         ip6-localhost ip6-loopback
fe80::1     v6only.test
not-an-address broken.test
`);

/** Ask `server` one query; returns the reply (or null when none came synchronously). */
function ask(server: UserNetDns, msg: Uint8Array): Uint8Array | null {
  let out: Uint8Array | null = null;
  server.query(msg, (r) => {
    expect(out).toBeNull();
    out = r;
  });
  return out;
}

function q(name: string, type = 1, id = 0x1234): Uint8Array {
  return res_mkquery(id, name, type)!;
}

function total(s: UserNetDns): number {
  return s.answered + s.nodata + s.nxdomain + s.servfail + s.formerr + s.notimp + s.dropped + s.pending;
}

describe("DNS answers in wire format", () => {
  it("answers an A query: ID, RD and the question echoed, QR and RA set, not authoritative, TTL 60", () => {
    const s = new UserNetDns(hosts_resolver(HOSTS));
    const query = q("LocalHost", 1, 0xbeef);
    const r = ask(s, query)!;
    // Header: id, flags 0x8180 (QR, RD, RA; NOERROR), 1 question, 1 answer.
    expect([...r.subarray(0, 12)]).toEqual([0xbe, 0xef, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0]);
    expect([...r.subarray(12, query.length)]).toEqual([...query.subarray(12)]);
    // The answer: a pointer to the question's name, A, IN, TTL 60, 4 bytes of 127.0.0.1.
    expect([...r.subarray(query.length)]).toEqual([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 1]);
    expect(s.answered).toBe(1);
  });

  it("gives every address of a name, names from the hosts file and their aliases", () => {
    const s = new UserNetDns(hosts_resolver(HOSTS));
    expect(res_parse(ask(s, q("multi.test"))!)!.answers.map((a) => a.addr)).toEqual([0x0a000232, 0x0a000233]);
    expect(res_parse(ask(s, q("gw."))!)!.answers.map((a) => a.addr)).toEqual([0x0a000202]);
    expect(res_parse(ask(s, q("gateway.test", 255))!)!.answers.map((a) => [a.type, a.addr])).toEqual([[1, 0x0a000202]]);
    expect(res_parse(ask(s, q("2.2.0.10.in-addr.arpa", 12))!)!.answers.map((a) => [a.type, a.target])).toEqual([[12, "gateway.test"]]);
    expect(res_parse(ask(s, q("1.0.0.127.in-addr.arpa", 12))!)!.answers.map((a) => a.target)).toEqual(["localhost"]);
  });

  it("says NXDOMAIN for names it does not know, NOERROR without answers (NODATA) for AAAA and MX of a known one", () => {
    const s = new UserNetDns(hosts_resolver(HOSTS));
    const nx = res_parse(ask(s, q("nosuch.test"))!)!;
    expect([nx.rcode, nx.answers.length]).toEqual([3, 0]);
    const aaaa = ask(s, q("localhost", 28))!;
    expect([...aaaa.subarray(2, 8)]).toEqual([0x81, 0x80, 0, 1, 0, 0]);
    expect(res_parse(ask(s, q("gateway.test", 15))!)!.rcode).toBe(0);
    // A name the hosts file has only with an IPv6 address exists, without an A record.
    expect(res_parse(ask(s, q("v6only.test", 1))!)!.rcode).toBe(0);
    expect(res_parse(ask(s, q("nosuch.test", 28))!)!.rcode).toBe(3);
    expect(res_parse(ask(s, q("9.9.9.9.in-addr.arpa", 12))!)!.rcode).toBe(3);
    expect(res_parse(ask(s, q("broken.test"))!)!.rcode).toBe(3);
    expect([s.nxdomain, s.nodata, s.answered]).toEqual([4, 3, 0]);
  });

  it("refuses malformed queries with FORMERR and unsupported ones with NOTIMP; drops what is no query", () => {
    const s = new UserNetDns(hosts_resolver(HOSTS));
    const good = q("localhost");
    const rcode = (m: Uint8Array): number | null => {
      const r = ask(s, m);
      return r === null ? null : r[3]! & 0x0f;
    };
    const edit = (f: (m: Uint8Array) => void, m = good.slice()): Uint8Array => (f(m), m);
    expect(rcode(edit((m) => (m[5] = 0)))).toBe(1); // QDCOUNT 0
    expect(rcode(edit((m) => (m[5] = 2)))).toBe(1); // QDCOUNT 2
    expect(rcode(edit((m) => (m[12] = 0xc0)))).toBe(1); // a compression pointer in the question
    expect(rcode(edit((m) => (m[12] = 0x40)))).toBe(1); // a reserved label type
    expect(rcode(edit((m) => (m[12] = 60)))).toBe(1); // a label running off the end
    expect(rcode(good.subarray(0, good.length - 2))).toBe(1); // QCLASS cut off
    expect(rcode(Uint8Array.of(...good, 0))).toBe(1); // bytes after the question, none announced
    expect(rcode(edit((m) => (m[13] = 0x2e)))).toBe(1); // a dot inside a label
    expect(rcode(edit((m) => (m[2] = 0x10)))).toBe(4); // OPCODE 2 (STATUS)
    expect(rcode(edit((m) => (m[m.length - 1] = 3)))).toBe(4); // class CH
    expect(rcode(q("localhost", 252))).toBe(4); // AXFR
    expect(rcode(edit((m) => (m[2] = 0x81)))).toBeNull(); // a response: never answered
    expect(rcode(good.subarray(0, 11))).toBeNull(); // not even a header
    expect([s.formerr, s.notimp, s.dropped]).toEqual([8, 3, 2]);
    // A FORMERR echoes the header only.
    const r = ask(s, edit((m) => (m[12] = 0xc0)))!;
    expect(r.length).toBe(12);
    expect([...r.subarray(0, 8)]).toEqual([0x12, 0x34, 0x81, 0x81, 0, 0, 0, 0]);
    // An announced additional record (EDNS OPT) after the question is ignored.
    const edns = Uint8Array.of(...good, 0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 0);
    edns[11] = 1;
    const er = ask(s, edns)!;
    expect([er[3]! & 0x0f, er[7], er[11]]).toEqual([0, 1, 0]);
  });

  it("survives hostile datagrams: random bytes and mutated queries never throw, every one is counted", () => {
    const s = new UserNetDns(hosts_resolver(HOSTS));
    let x = 0x12345678;
    const rnd = (): number => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 8) & 0xff;
    const base = q("gateway.test");
    let replies = 0;
    for (let i = 0; i < 20_000; i++) {
      let m: Uint8Array;
      if (i % 2 === 0) m = Uint8Array.from({ length: rnd() % 80 }, rnd);
      else {
        m = base.slice(0, 12 + (rnd() % (base.length - 11)));
        for (let k = rnd() % 4; k >= 0; k--) m[rnd() % m.length] = rnd();
      }
      s.query(m, (r) => {
        replies++;
        expect(r.length).toBeGreaterThanOrEqual(12);
        expect(r.length).toBeLessThanOrEqual(512);
        expect(r[2]! & 0x80).toBe(0x80);
      });
    }
    expect(s.queries).toBe(20_000);
    expect(total(s)).toBe(20_000);
    expect(replies).toBe(20_000 - s.dropped);
    expect(s.formerr).toBeGreaterThan(1000);
  });

  it("keeps replies within 512 bytes, with TC when answers had to be left out", () => {
    const many = parse_hosts(Array.from({ length: 60 }, (_, i) => `10.1.0.${i + 1} big.test`).join("\n"));
    const s = new UserNetDns(hosts_resolver(many));
    const r = ask(s, q("big.test"))!;
    expect(r.length).toBeLessThanOrEqual(512);
    expect(r[2]! & 0x02).toBe(0x02);
    expect(res_parse(r)!.answers.length).toBe(Math.floor((512 - 26) / 16));
  });
});

describe("answers that wait for the host's resolver", () => {
  function deferred(): { resolver: HostResolver; waiting: [string, (r: number[] | null | "fail") => void][] } {
    const waiting: [string, (r: number[] | null | "fail") => void][] = [];
    const base = hosts_resolver(HOSTS);
    return { waiting, resolver: { ...base, lookup_async: (name, done) => void waiting.push([name, done]) } };
  }

  it("answers when the resolver does: the address, NXDOMAIN or SERVFAIL; pending until then", () => {
    const d = deferred();
    const s = new UserNetDns(d.resolver);
    const got: Uint8Array[] = [];
    // Known names are still answered at once.
    s.query(q("gw"), (r) => got.push(r));
    expect(got.length).toBe(1);
    const m = q("far.example", 1, 0x0101);
    s.query(m, (r) => got.push(r));
    m.fill(0); // the server kept its own copy
    s.query(q("nowhere.example", 1, 0x0202), (r) => got.push(r));
    s.query(q("flaky.example", 28, 0x0303), (r) => got.push(r));
    expect(got.length).toBe(1);
    expect(s.pending).toBe(3);
    expect(d.waiting.map(([n]) => n)).toEqual(["far.example", "nowhere.example", "flaky.example"]);
    d.waiting[1]![1](null);
    d.waiting[0]![1]([0x5db8d822]);
    d.waiting[2]![1]("fail");
    d.waiting[2]![1]([1]); // a second answer is ignored
    expect(got.length).toBe(4);
    const [, nx, far, fail] = got.map((r) => res_parse(r)!);
    expect([nx!.id, nx!.rcode]).toEqual([0x0202, 3]);
    expect([far!.id, far!.rcode, far!.answers[0]!.addr, far!.answers[0]!.name]).toEqual([0x0101, 0, 0x5db8d822, "far.example"]);
    expect([fail!.id, fail!.rcode]).toEqual([0x0303, 2]);
    expect([s.pending, s.answered, s.nxdomain, s.servfail]).toEqual([0, 2, 1, 1]);
    expect(total(s)).toBe(s.queries);
  });

  it("answers SERVFAIL at once when too many lookups are out", () => {
    const d = deferred();
    const s = new UserNetDns(d.resolver);
    let fails = 0;
    for (let i = 0; i < DNS_MAX_PENDING + 5; i++) s.query(q(`n${i}.example`), (r) => (fails += r[3]! & 0x0f ? 1 : 0));
    expect(s.pending).toBe(DNS_MAX_PENDING);
    expect(fails).toBe(5);
    expect(total(s)).toBe(s.queries);
  });
});

describe("the host's resolver", () => {
  it("reads /etc/hosts once and always knows localhost", () => {
    const t = host_hosts_table();
    expect(host_hosts_table()).toBe(t);
    const r = node_host_resolver({ realtime: false });
    expect(r.lookup("localhost")).toContain(0x7f000001);
    expect(r.lookup_async).toBeUndefined(); // on the virtual clock: the table only
    expect(hosts_resolver().lookup("db.localhost")).toEqual([0x7f000001]);
    expect(hosts_resolver().lookup("example.com")).toBeNull();
  });

  it("in realtime mode asks Node's resolver for names the table lacks, and reports start and end", async () => {
    const events: string[] = [];
    const r = node_host_resolver({ realtime: true, hosts: parse_hosts(""), on_start: () => events.push("start"), on_done: () => events.push("done") });
    // `localhost` resolves locally through getaddrinfo: no network is touched.
    const got = await new Promise<number[] | null | "fail">((resolve) => r.lookup_async!("localhost", resolve));
    expect(got).toContain(0x7f000001);
    expect(events).toEqual(["start", "done"]);
    const bad = await new Promise<number[] | null | "fail">((resolve) => r.lookup_async!("a\u0000b", resolve));
    expect(bad === "fail" || bad === null).toBe(true);
    expect(events).toEqual(["start", "done", "start", "done"]);
  });
});
