import type { Syscalls } from "../../include/uapi/syscalls.ts";
import { fail, getopt, print, read_text } from "../lib/stdio.ts";
import type { Command } from "../lib/command.ts";

/** dmesg: the kernel ring buffer (/proc/kmsg here), with timestamps. */
export async function dmesg(argv: readonly string[], sys: Syscalls): Promise<number> {
  const p = getopt(argv, "");
  if (typeof p === "string") return fail(sys, "dmesg", p);
  const t = read_text(sys, "/proc/kmsg");
  if (typeof t === "number") return fail(sys, "dmesg", "read kernel buffer failed");
  print(sys, t);
  return 0;
}

export const dmesg_command: Command = {
  name: "dmesg",
  summary: "print the kernel log",
  usage: "Usage: dmesg\n\nPrint the kernel log.\n",
  main: dmesg,
};
