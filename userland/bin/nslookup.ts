import { inet_aton, inet_ntoa } from "../../include/uapi/in.ts";
import type { Syscalls } from "../../include/uapi/syscalls.ts";
import {
  EAI_INTR,
  getaddrinfo,
  in_addr_arpa_name,
  inet6_ntop,
  rcode_name,
  res_mkquery,
  res_nameservers,
  res_parse,
  res_randomid,
  res_send,
  T_A,
  T_AAAA,
  T_ANY,
  T_CNAME,
  T_MX,
  T_NS,
  T_PTR,
  T_SOA,
  T_SRV,
  T_TXT,
} from "../lib/resolv.ts";
import { print } from "../lib/stdio.ts";
import type { Command } from "../lib/command.ts";

/**
 * nslookup (busybox's, networking/nslookup.c with FEATURE_NSLOOKUP_BIG; ringzero's busybox has no
 * FEATURE_IPV6, so a name gets an A query only, and -type=aaaa asks for AAAA explicitly):
 *   nslookup [-type=QUERY_TYPE] [-timeout=SECS] [-retry=N] [-port=N] [-debug] HOST [DNS_SERVER]
 * A dotted quad is looked up by PTR. The servers are DNS_SERVER, or /etc/resolv.conf's (here:
 * /proc/net/pnp's), or 127.0.0.1. Output and exit status are busybox's:
 *   Server:\t\t10.0.2.3\nAddress:\t10.0.2.3:53\n\nNon-authoritative answer:\nName:\tNAME\nAddress: A.B.C.D\n\n
 * "** server can't find NAME: NXDOMAIN" and status 1 for an error answer, and
 * ";; connection timed out; no servers could be reached" and status 1 when nobody answers.
 * (BIND's nslookup prints "Address:\t10.0.2.3#53"; busybox prints the port after a colon.)
 */
const USAGE =
  "Usage: nslookup [-type=QUERY_TYPE] [-debug] HOST [DNS_SERVER]\n\nQuery DNS about HOST\n\nQUERY_TYPE: soa,ns,a,aaaa,cname,mx,txt,ptr,srv,any\n";

const QTYPES: Readonly<Record<string, number>> = { soa: T_SOA, ns: T_NS, a: T_A, aaaa: T_AAAA, cname: T_CNAME, mx: T_MX, txt: T_TXT, srv: T_SRV, ptr: T_PTR, any: T_ANY };

function usage(sys: Syscalls): number {
  sys.write(2, USAGE);
  return 1;
}

/** busybox's parse_reply(): the answer section in nslookup's words; null when it does not parse. */
function format_reply(msg: Uint8Array): string | null {
  const r = res_parse(msg);
  if (r === null) return null;
  let out = r.aa ? "" : "Non-authoritative answer:\n";
  for (const rr of r.answers) {
    if (rr.type === T_A) out += `Name:\t${rr.name}\nAddress: ${inet_ntoa(rr.addr!)}\n`;
    else if (rr.type === T_AAAA) out += `Name:\t${rr.name}\nAddress: ${inet6_ntop(rr.rdata)}\n`;
    else if (rr.type === T_NS) out += `${rr.name}\tnameserver = ${rr.target}\n`;
    else if (rr.type === T_CNAME) out += `${rr.name}\tcanonical name = ${rr.target}\n`;
    else if (rr.type === T_PTR) out += `${rr.name}\tname = ${rr.target}\n`;
    else if (rr.type === T_MX) out += `${rr.name}\tmail exchanger = ${rr.pref} ${rr.target}\n`;
    else if (rr.type === T_TXT && rr.rdata.length > 1) {
      const n = Math.min(rr.rdata[0]!, rr.rdata.length - 1);
      if (n > 0) out += `${rr.name}\ttext = "${new TextDecoder().decode(rr.rdata.subarray(1, 1 + n))}"\n`;
    }
  }
  return out;
}

export async function nslookup(argv: readonly string[], sys: Syscalls): Promise<number> {
  let qtype = -1;
  let port = 53;
  let retry = 2;
  let timeout_s = 5;
  let i = 1;
  for (; i < argv.length && argv[i]!.startsWith("-"); i++) {
    const a = argv[i]!.slice(1);
    const eq = a.indexOf("=");
    const key = eq < 0 ? a : a.slice(0, eq);
    const val = eq < 0 ? "" : a.slice(eq + 1);
    const num = (lo: number, hi: number): number | null => (/^\d+$/.test(val) && Number(val) >= lo && Number(val) <= hi ? Number(val) : null);
    if (key === "type" || key === "querytype") {
      const t = QTYPES[val.toLowerCase()];
      if (t === undefined) {
        sys.write(2, `nslookup: invalid query type "${val}"\n`);
        return 1;
      }
      qtype = t;
    } else if (key === "port") {
      const n = num(1, 65535);
      if (n === null) return usage(sys);
      port = n;
    } else if (key === "retry") {
      const n = num(1, 100);
      if (n === null) return usage(sys);
      retry = n;
    } else if (key === "t" || key === "timeout") {
      const n = num(1, 3600);
      if (n === null) return usage(sys);
      timeout_s = n;
    } else if (key !== "debug") return usage(sys);
  }
  const host = argv[i];
  if (host === undefined || argv.length > i + 2) return usage(sys);
  const server_arg = argv[i + 1];
  const servers: { name: string; addr: number }[] = [];
  if (server_arg !== undefined) {
    let a = inet_aton(server_arg);
    if (a === null) {
      const r = await getaddrinfo(sys, server_arg);
      if (r === EAI_INTR) return 130;
      if (typeof r === "number") {
        sys.write(2, `nslookup: bad address '${server_arg}'\n`);
        return 1;
      }
      a = r[0]!;
    }
    servers.push({ name: server_arg, addr: a });
  } else {
    for (const a of res_nameservers(sys)) servers.push({ name: inet_ntoa(a), addr: a });
    if (servers.length === 0) servers.push({ name: "127.0.0.1", addr: 0x7f000001 });
  }
  const ptr = qtype < 0 ? in_addr_arpa_name(host) : null;
  const qname = ptr ?? host;
  const query = res_mkquery(res_randomid(sys), qname, qtype < 0 ? (ptr !== null ? T_PTR : T_A) : qtype);
  if (query === null) {
    print(sys, `*** Can't find ${host}: Parse error\n\n`);
    return 1;
  }
  for (const ns of servers) {
    // busybox: one timeout for the whole exchange, resent `retry` times within it.
    const reply = await res_send(sys, ns.addr, query, { timeout_ms: (timeout_s * 1000) / retry, attempts: retry, port });
    if (reply === EAI_INTR) return 130;
    if (typeof reply === "number") continue;
    let out = `Server:\t\t${ns.name}\nAddress:\t${inet_ntoa(ns.addr)}:${port}\n\n`;
    let status = 0;
    const rcode = reply[3]! & 0x0f;
    if (rcode !== 0) {
      out += `** server can't find ${qname}: ${rcode_name(rcode)}\n`;
      status = 1;
    } else {
      const text = format_reply(reply);
      if (text === null) {
        out += `*** Can't find ${qname}: Parse error\n`;
        status = 1;
      } else out += text;
    }
    print(sys, out + "\n");
    return status;
  }
  print(sys, ";; connection timed out; no servers could be reached\n\n");
  return 1;
}

export const nslookup_command: Command = {
  name: "nslookup",
  summary: "query DNS: nslookup [-type=TYPE] HOST [SERVER]",
  usage: USAGE,
  main: nslookup,
};
