import type { Syscalls } from "../../include/uapi/syscalls.ts";
import { fail, print, read_text } from "../lib/stdio.ts";
import type { Command } from "../lib/command.ts";

/** ps: every task from /proc/PID/status; kernel threads (no command line) in brackets. */
export async function ps(argv: readonly string[], sys: Syscalls): Promise<number> {
  if (argv.length > 1 && !["-e", "-A", "aux", "-ef"].includes(argv[1]!)) return fail(sys, "ps", `unsupported option '${argv[1]}' (every process is always listed)`);
  const entries = sys.readdir("/proc");
  if (typeof entries === "number") return fail(sys, "ps", "cannot read /proc");
  const rows = ["  PID  PPID STAT COMMAND"];
  for (const pid of entries.filter((e) => /^\d+$/.test(e)).map(Number).sort((a, b) => a - b)) {
    const st = read_text(sys, `/proc/${pid}/status`);
    if (typeof st === "number") continue; // exited meanwhile
    const field = (k: string): string => new RegExp(`^${k}:\\s*(.*)$`, "m").exec(st)?.[1] ?? "";
    const cmd = read_text(sys, `/proc/${pid}/cmdline`);
    const name = typeof cmd === "string" && cmd !== "" ? cmd.split("\0").filter((s) => s !== "").join(" ") : `[${field("Name")}]`;
    rows.push(`${String(pid).padStart(5)} ${field("PPid").padStart(5)} ${field("State").charAt(0).padEnd(4)} ${name}`);
  }
  print(sys, rows.join("\n") + "\n");
  return 0;
}

export const ps_command: Command = {
  name: "ps",
  summary: "list tasks",
  usage: "Usage: ps\n\nList tasks.\n",
  main: ps,
};
