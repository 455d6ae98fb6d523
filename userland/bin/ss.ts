import { strerror } from "../../include/linux/errno.ts";
import { inet_ntoa, type InetDiagSock } from "../../include/uapi/in.ts";
import type { Syscalls } from "../../include/uapi/syscalls.ts";
import { fail, getopt, print } from "../lib/stdio.ts";
import type { Command } from "../lib/command.ts";

/** ss's state names (iproute2 misc/ss.c sstate_name), by TCP state number. */
const SSTATE_NAME: Readonly<Record<number, string>> = {
  1: "ESTAB",
  2: "SYN-SENT",
  3: "SYN-RECV",
  4: "FIN-WAIT-1",
  5: "FIN-WAIT-2",
  6: "TIME-WAIT",
  7: "UNCONN",
  8: "CLOSE-WAIT",
  9: "LAST-ACK",
  10: "LISTEN",
  11: "CLOSING",
};
const TCP_LISTEN = 10;
const TCP_TIME_WAIT = 6;
const TCP_SYN_RECV = 3;
const TCP_CLOSE = 7;

/**
 * ss (iproute2), TCP over IPv4: ss -t [-a|-l] [-n]. Without -a or -l only connected sockets are
 * listed (ss's default filter leaves out LISTEN, TIME-WAIT, SYN-RECV and closed ones). The socket
 * list comes from the kernel's sock_diag dump, as ss reads it over netlink; columns are sized to
 * their contents the way ss lays them out (addresses right-aligned on the colon). Names are never
 * looked up (-n is implied).
 */
export async function ss(argv: readonly string[], sys: Syscalls): Promise<number> {
  const o = getopt(argv, "tanlu4");
  if (typeof o === "string") return fail(sys, "ss", o);
  if (o.args.length > 0) return fail(sys, "ss", "filters are not supported");
  const all = o.opts.has("a");
  const listening = o.opts.has("l");
  const udp_only = o.opts.has("u") && !o.opts.has("t");
  const socks = sys.inet_diag();
  if (typeof socks === "number") return fail(sys, "ss", strerror(socks));
  const keep = (s: InetDiagSock): boolean => {
    if (udp_only) return false;
    if (listening && !all) return s.state === TCP_LISTEN;
    if (all) return true;
    return s.state !== TCP_LISTEN && s.state !== TCP_TIME_WAIT && s.state !== TCP_SYN_RECV && s.state !== TCP_CLOSE;
  };
  const rows = socks.filter(keep).map((s) => [
    SSTATE_NAME[s.state] ?? "UNKNOWN",
    String(s.rqueue),
    String(s.wqueue),
    `${inet_ntoa(s.saddr)}:`,
    String(s.sport === 0 ? "*" : s.sport),
    `${inet_ntoa(s.daddr)}:`,
    s.state === TCP_LISTEN ? "*" : String(s.dport),
  ]);
  const head = ["State", "Recv-Q", "Send-Q", "Local Address:", "Port", "Peer Address:", "Port"];
  const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string =>
    (r[0]!.padEnd(width[0]!) + " " + r[1]!.padEnd(width[1]!) + " " + r[2]!.padEnd(width[2]!) + " " + r[3]!.padStart(width[3]!) + r[4]!.padEnd(width[4]!) + " " + r[5]!.padStart(width[5]!) + r[6]!.padEnd(width[6]!) + " " + (r[7] ?? "")).trimEnd() + "\n";
  let out = line([...head, "Process"]);
  for (const r of rows) out += line(r);
  print(sys, out);
  return 0;
}

export const ss_command: Command = {
  name: "ss",
  summary: "TCP sockets: ss -tan (-l listening)",
  usage: "Usage: ss -tan (-l listening)\n\nTCP sockets.\n",
  main: ss,
};
