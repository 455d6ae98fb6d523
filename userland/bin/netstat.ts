import { strerror } from "../../include/linux/errno.ts";
import type { Syscalls } from "../../include/uapi/syscalls.ts";
import { fail, print } from "../lib/stdio.ts";

/** netstat -s: the protocol counters, grouped as net-tools prints them (raw names, one per line). */
export async function netstat(argv: readonly string[], sys: Syscalls): Promise<number> {
  if (argv[1] !== "-s" || argv.length > 2) return fail(sys, "netstat", "only 'netstat -s' (protocol statistics) is supported");
  const s = sys.snmp();
  if (typeof s === "number") return fail(sys, "netstat", strerror(s));
  let out = "";
  for (const [group, counters] of Object.entries(s)) {
    out += `${group}:\n`;
    for (const [k, v] of Object.entries(counters)) out += `    ${k}: ${v}\n`;
  }
  print(sys, out);
  return 0;
}
