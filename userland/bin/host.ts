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
  T_TXT,
} from "../lib/resolv.ts";
import { getopt, print } from "../lib/stdio.ts";
import type { Command } from "../lib/command.ts";

/**
 * host (BIND 9's; busybox has no host applet), IPv4 transport:
 *   host [-t TYPE] NAME [SERVER]
 * Without -t a name is asked for A, then AAAA and MX (as BIND does); a dotted quad for PTR. Lines:
 *   NAME has address A.B.C.D / NAME has IPv6 address X / NAME mail is handled by N TARGET. /
 *   NAME is an alias for TARGET. / D.C.B.A.in-addr.arpa domain name pointer TARGET.
 * With -t, a type with no record says "NAME has no TYPE record". An error answer prints
 * "Host NAME not found: 3(NXDOMAIN)" and exits 1; no answer at all prints
 * ";; connection timed out; no servers could be reached" and exits 1. Given a SERVER, the answer
 * is preceded by "Using domain server:\nName: SERVER\nAddress: A.B.C.D#53\nAliases: \n\n".
 */
const USAGE = "Usage: host [-t type] hostname [server]\n";

const TYPES: Readonly<Record<string, number>> = { a: T_A, aaaa: T_AAAA, mx: T_MX, ns: T_NS, cname: T_CNAME, ptr: T_PTR, txt: T_TXT, any: T_ANY };
const TYPE_NAMES: Readonly<Record<number, string>> = { [T_A]: "A", [T_AAAA]: "AAAA", [T_MX]: "MX", [T_NS]: "NS", [T_CNAME]: "CNAME", [T_PTR]: "PTR", [T_TXT]: "TXT", [T_ANY]: "ANY" };

/** BIND prints names in answers' data fully qualified, with the root's dot. */
function fqdn(name: string): string {
  return name.endsWith(".") ? name : `${name}.`;
}

export async function host(argv: readonly string[], sys: Syscalls): Promise<number> {
  const o = getopt(argv, "t:");
  if (typeof o === "string") {
    sys.write(2, `host: ${o}\n${USAGE}`);
    return 1;
  }
  let explicit = -1;
  const t = o.opts.get("t");
  if (typeof t === "string") {
    const n = TYPES[t.toLowerCase()];
    if (n === undefined) {
      sys.write(2, `host: invalid type: ${t}\n`);
      return 1;
    }
    explicit = n;
  }
  const [name, server_arg, extra] = o.args;
  if (name === undefined || extra !== undefined) {
    sys.write(2, USAGE);
    return 1;
  }
  let servers: number[];
  let header = "";
  if (server_arg !== undefined) {
    let a = inet_aton(server_arg);
    if (a === null) {
      const r = await getaddrinfo(sys, server_arg);
      if (r === EAI_INTR) return 130;
      if (typeof r === "number") {
        sys.write(2, `host: couldn't get address for '${server_arg}': not found\n`);
        return 1;
      }
      a = r[0]!;
    }
    servers = [a];
    header = `Using domain server:\nName: ${server_arg}\nAddress: ${inet_ntoa(a)}#53\nAliases: \n\n`;
  } else {
    servers = res_nameservers(sys);
    if (servers.length === 0) servers = [0x7f000001];
  }
  const ptr = explicit < 0 || explicit === T_PTR ? in_addr_arpa_name(name) : null;
  const qname = ptr ?? name;
  const types = explicit >= 0 ? [explicit] : ptr !== null ? [T_PTR] : [T_A, T_AAAA, T_MX];
  const seen = new Set<string>();
  let server_shown = false;
  for (const qtype of types) {
    const query = res_mkquery(res_randomid(sys), qname, qtype);
    if (query === null) {
      sys.write(2, `host: '${name}' is not a legal name\n`);
      return 1;
    }
    let reply: Uint8Array | number = -1;
    for (const s of servers) {
      reply = await res_send(sys, s, query);
      if (reply === EAI_INTR) return 130;
      if (typeof reply !== "number") break;
    }
    if (typeof reply === "number") {
      print(sys, ";; connection timed out; no servers could be reached\n");
      return 1;
    }
    let out = "";
    if (!server_shown) {
      out += header;
      server_shown = true;
    }
    const rcode = reply[3]! & 0x0f;
    const r = res_parse(reply);
    if (rcode !== 0 || r === null) {
      // BIND stops at the first failed lookup (an NXDOMAIN for A is one for AAAA and MX too).
      print(sys, `${out}Host ${qname} not found: ${r === null ? "1(FORMERR)" : `${rcode}(${rcode_name(rcode)})`}\n`);
      return 1;
    }
    let shown = 0;
    for (const rr of r.answers) {
      let line: string | null = null;
      if (rr.type === T_A) line = `${rr.name} has address ${inet_ntoa(rr.addr!)}`;
      else if (rr.type === T_AAAA) line = `${rr.name} has IPv6 address ${inet6_ntop(rr.rdata)}`;
      else if (rr.type === T_MX) line = `${rr.name} mail is handled by ${rr.pref} ${fqdn(rr.target!)}`;
      else if (rr.type === T_CNAME) line = `${rr.name} is an alias for ${fqdn(rr.target!)}`;
      else if (rr.type === T_PTR) line = `${rr.name} domain name pointer ${fqdn(rr.target!)}`;
      else if (rr.type === T_NS) line = `${rr.name} name server ${fqdn(rr.target!)}`;
      else if (rr.type === T_TXT) line = `${rr.name} descriptive text "${new TextDecoder().decode(rr.rdata.subarray(1, 1 + (rr.rdata[0] ?? 0)))}"`;
      // A CNAME comes back with every type: print it once.
      if (line === null || seen.has(line)) continue;
      seen.add(line);
      out += `${line}\n`;
      shown++;
    }
    if (shown === 0 && explicit >= 0) out += `${qname} has no ${TYPE_NAMES[qtype] ?? qtype} record\n`;
    print(sys, out);
  }
  return 0;
}

export const host_command: Command = {
  name: "host",
  summary: "DNS lookup: host [-t TYPE] NAME [SERVER]",
  usage: USAGE,
  main: host,
};
