import type { Syscalls } from "../../include/uapi/syscalls.ts";
import { fail } from "../lib/stdio.ts";
import type { Command } from "../lib/command.ts";

/** sleep NUMBER[smhd] (coreutils: fractions allowed, several arguments add up). */
export async function sleep(argv: readonly string[], sys: Syscalls): Promise<number> {
  if (argv.length < 2) return fail(sys, "sleep", "missing operand");
  let total = 0;
  for (const a of argv.slice(1)) {
    const m = /^(\d+(?:\.\d*)?|\.\d+)([smhd]?)$/.exec(a);
    if (m === null) return fail(sys, "sleep", `invalid time interval '${a}'`);
    total += Number(m[1]) * { "": 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2] as "" | "s" | "m" | "h" | "d"];
  }
  const r = await sys.nanosleep(Math.round(total * 1e9));
  return r < 0 ? 1 : 0;
}

export const sleep_command: Command = {
  name: "sleep",
  summary: "sleep N[smhd]",
  usage: "Usage: sleep\n\nSleep N[smhd].\n",
  main: sleep,
};
