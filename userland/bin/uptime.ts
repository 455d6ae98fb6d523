import type { Syscalls } from "../../include/uapi/syscalls.ts";
import { fail, print, read_text } from "../lib/stdio.ts";
import type { Command } from "../lib/command.ts";

/** uptime: " 00:00:12 up 0 min,  load average: …" is procps; we print time since boot from /proc/uptime. */
export async function uptime(argv: readonly string[], sys: Syscalls): Promise<number> {
  if (argv.length > 1) return fail(sys, "uptime", `extra operand '${argv[1]}'`);
  const t = read_text(sys, "/proc/uptime");
  if (typeof t === "number") return fail(sys, "uptime", "cannot read /proc/uptime");
  const secs = Number(t.split(" ")[0]);
  const h = Math.floor(secs / 3600);
  const m = Math.floor((secs % 3600) / 60);
  const s = secs % 60;
  const up = h > 0 ? `${h}:${String(m).padStart(2, "0")}` : m > 0 ? `${m} min` : `${s.toFixed(2)} sec`;
  print(sys, `up ${up} (${secs.toFixed(2)} s since boot)\n`);
  return 0;
}

export const uptime_command: Command = {
  name: "uptime",
  summary: "time since boot",
  usage: "Usage: uptime\n\nTime since boot.\n",
  main: uptime,
};
