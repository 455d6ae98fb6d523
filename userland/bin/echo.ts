import type { Syscalls } from "../../include/uapi/syscalls.ts";
import { print } from "../lib/stdio.ts";

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
