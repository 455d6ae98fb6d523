import type { Syscalls } from "../../include/uapi/syscalls.ts";
import { fail, print, read_text } from "../lib/stdio.ts";
import type { Command } from "../lib/command.ts";

/** lsmod: /proc/modules in kmod's layout (Module, Size, Used by). */
export async function lsmod(argv: readonly string[], sys: Syscalls): Promise<number> {
  if (argv.length > 1) return fail(sys, "lsmod", `unexpected argument '${argv[1]}'`);
  const t = read_text(sys, "/proc/modules");
  if (typeof t === "number") return fail(sys, "lsmod", "cannot read /proc/modules");
  let out = "Module                  Size  Used by\n";
  for (const line of t.split("\n").filter((l) => l !== "")) {
    const [name, size, refs, holders] = line.split(" ");
    const users = holders === "-" || holders === undefined ? "" : " " + holders.replace(/,$/, "");
    out += `${name!.padEnd(19)} ${size!.padStart(8)}  ${refs}${users}\n`;
  }
  print(sys, out);
  return 0;
}

export const lsmod_command: Command = {
  name: "lsmod",
  summary: "list loaded modules",
  usage: "Usage: lsmod\n\nList loaded modules.\n",
  main: lsmod,
};
