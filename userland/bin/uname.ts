import type { Syscalls } from "../../include/uapi/syscalls.ts";
import { fail, getopt, print } from "../lib/stdio.ts";
import type { Command } from "../lib/command.ts";

/** uname [-snrvma] */
export async function uname(argv: readonly string[], sys: Syscalls): Promise<number> {
  const p = getopt(argv, "snrvma");
  if (typeof p === "string") return fail(sys, "uname", p);
  const u = sys.uname();
  const all = p.opts.has("a");
  const parts: string[] = [];
  if (all || p.opts.has("s") || p.opts.size === 0) parts.push(u.sysname);
  if (all || p.opts.has("n")) parts.push(u.nodename);
  if (all || p.opts.has("r")) parts.push(u.release);
  if (all || p.opts.has("v")) parts.push(u.version);
  if (all || p.opts.has("m")) parts.push(u.machine);
  print(sys, parts.join(" ") + "\n");
  return 0;
}

export const uname_command: Command = {
  name: "uname",
  summary: "system name (-a)",
  usage: "Usage: uname\n\nSystem name (-a).\n",
  main: uname,
};
