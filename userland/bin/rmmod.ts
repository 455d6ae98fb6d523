import type { Syscalls } from "../../include/uapi/syscalls.ts";
import { errno_text, fail } from "../lib/stdio.ts";
import type { Command } from "../lib/command.ts";

/** rmmod NAME...: unload modules; one that is in use is refused, with who uses it. */
export async function rmmod(argv: readonly string[], sys: Syscalls): Promise<number> {
  if (argv.length < 2) return fail(sys, "rmmod", "missing module name");
  let status = 0;
  for (const name of argv.slice(1)) {
    const r = await sys.delete_module(name);
    if (r < 0) status = fail(sys, "rmmod", `ERROR: ${sys.module_error() || `could not remove '${name}': ${errno_text(r)}`}`);
  }
  return status;
}

export const rmmod_command: Command = {
  name: "rmmod",
  summary: "unload a module",
  usage: "Usage: rmmod\n\nUnload a module.\n",
  main: rmmod,
};
