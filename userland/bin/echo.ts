import type { Syscalls } from "../../include/uapi/syscalls.ts";
import { print } from "../lib/stdio.ts";
import type { Command } from "../lib/command.ts";

/** echo [-n] [ARG...] */
export async function echo(argv: readonly string[], sys: Syscalls): Promise<number> {
  let args = argv.slice(1);
  let newline = true;
  if (args[0] === "-n") {
    newline = false;
    args = args.slice(1);
  }
  print(sys, args.join(" ") + (newline ? "\n" : ""));
  return 0;
}

export const echo_command: Command = {
  name: "echo",
  summary: "print arguments",
  usage: "Usage: echo\n\nPrint arguments.\n",
  main: echo,
};
