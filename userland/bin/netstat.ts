import { strerror } from "../../include/linux/errno.ts";
import { inet_ntoa } from "../../include/uapi/in.ts";
import type { Syscalls } from "../../include/uapi/syscalls.ts";
import { fail, getopt, print, read_text } from "../lib/stdio.ts";
import type { Command } from "../lib/command.ts";
import { parsesnmp } from "../lib/netstat_statistics.ts";

/** net-tools' tcp_state[] names, by TCP state number. */
const TCP_STATE: Readonly<Record<number, string>> = {
  1: "ESTABLISHED",
  2: "SYN_SENT",
  3: "SYN_RECV",
  4: "FIN_WAIT1",
  5: "FIN_WAIT2",
  6: "TIME_WAIT",
  7: "CLOSE",
  8: "CLOSE_WAIT",
  9: "LAST_ACK",
  10: "LISTEN",
  11: "CLOSING",
};
const TCP_LISTEN = 10;

/** "0100007F:0277" (/proc/net/tcp's little-endian hex address and port) → "127.0.0.1:631". */
function proc_addr(s: string, wildcard_port: boolean): string {
  const [a, p] = s.split(":");
  const n = parseInt(a ?? "0", 16) >>> 0;
  const addr = (((n & 0xff) << 24) | (((n >>> 8) & 0xff) << 16) | (((n >>> 16) & 0xff) << 8) | (n >>> 24)) >>> 0;
  const port = parseInt(p ?? "0", 16);
  return `${inet_ntoa(addr)}:${port === 0 && wildcard_port ? "*" : port}`;
}

/**
 * netstat (net-tools):
 *   netstat -s [-t] [-u] [-w]  the protocol counters of /proc/net/snmp and /proc/net/netstat, in
 *                              net-tools' prose (statistics.c); -t, -u, -w (raw: Ip, Icmp) narrow it
 *   netstat -t [-a|-l] [-n]    TCP sockets from /proc/net/tcp, in net-tools' columns (-n implied)
 */
export async function netstat(argv: readonly string[], sys: Syscalls): Promise<number> {
  const o = getopt(argv, "stanluw");
  if (typeof o === "string") return fail(sys, "netstat", o);
  if (o.opts.has("s")) {
    const t = o.opts.has("t");
    const u = o.opts.has("u");
    const w = o.opts.has("w");
    // No protocol named: all of them.
    const flags = t || u || w ? { raw: w, tcp: t, udp: u } : { raw: true, tcp: true, udp: true };
    const snmp = read_text(sys, "/proc/net/snmp");
    // net-tools perror()s and still exits 0.
    if (typeof snmp === "number") {
      fail(sys, "cannot open /proc/net/snmp", strerror(snmp));
      return 0;
    }
    const ext = read_text(sys, "/proc/net/netstat");
    const r = parsesnmp(snmp, typeof ext === "number" ? null : ext, flags);
    await print(sys, r.out);
    for (const e of r.errors) await sys.write(2, `${e}\n`);
    return 0;
  }
  if (!o.opts.has("t") && o.opts.has("u")) return fail(sys, "netstat", "only TCP sockets are listed (-t)");
  const all = o.opts.has("a");
  const listening = o.opts.has("l");
  const text = read_text(sys, "/proc/net/tcp");
  if (typeof text === "number") return fail(sys, "netstat", `/proc/net/tcp: ${strerror(text)}`);
  let out = `Active Internet connections (${all ? "servers and established" : listening ? "only servers" : "w/o servers"})\n`;
  out += "Proto Recv-Q Send-Q Local Address           Foreign Address         State      \n";
  for (const raw of text.split("\n").slice(1)) {
    const f = raw.trim().split(/\s+/);
    if (f.length < 5) continue;
    const state = parseInt(f[3]!, 16);
    const listen = state === TCP_LISTEN;
    if (!all && (listening ? !listen : listen)) continue;
    const [tx, rx] = f[4]!.split(":").map((x) => parseInt(x, 16));
    const local = proc_addr(f[1]!, false);
    const rem = proc_addr(f[2]!, listen);
    out += `${"tcp".padEnd(4)}  ${String(rx ?? 0).padStart(6)} ${String(tx ?? 0).padStart(6)} ${local.padEnd(23)} ${rem.padEnd(23)} ${(TCP_STATE[state] ?? "UNKNOWN").padEnd(11)}\n`;
  }
  print(sys, out);
  return 0;
}

export const netstat_command: Command = {
  name: "netstat",
  summary: "protocol counters (-s [-t|-u|-w]); TCP sockets (-tan)",
  usage: "Usage: netstat -s [-t|-u|-w]\n       netstat -t [-a|-l] [-n]\n\nProtocol counters (-s, from /proc/net/snmp and /proc/net/netstat); TCP sockets (-t).\n",
  main: netstat,
};
