import type { Syscalls } from "../../include/uapi/syscalls.ts";
import { errno_text, fail } from "../lib/stdio.ts";
import type { Command } from "../lib/command.ts";

function parse_params(args: readonly string[]): Record<string, string> | string {
  const params: Record<string, string> = {};
  for (const a of args) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(a);
    if (m === null) return `bad parameter '${a}' (expected name=value)`;
    params[m[1]!] = m[2]!;
  }
  return params;
}

async function load(argv: readonly string[], sys: Syscalls, prog: string, deps: boolean): Promise<number> {
  const name = argv[1];
  if (name === undefined) return fail(sys, prog, `missing module name (usage: ${prog} NAME [param=value ...])`);
  const params = parse_params(argv.slice(2));
  if (typeof params === "string") return fail(sys, prog, params);
  const r = await sys.init_module(name, params, deps);
  if (r < 0) return fail(sys, prog, `ERROR: could not insert module ${name}: ${sys.module_error() || errno_text(r)}`);
  return 0;
}

/** insmod NAME [param=value...]: load one module; its dependencies must be loaded. */
export function insmod(argv: readonly string[], sys: Syscalls): Promise<number> {
  return load(argv, sys, "insmod", false);
}

/** modprobe NAME [param=value...]: load a module and what it depends on. */
export function modprobe(argv: readonly string[], sys: Syscalls): Promise<number> {
  return load(argv, sys, "modprobe", true);
}

export const insmod_command: Command = {
  name: "insmod",
  summary: "load a module: insmod NAME [param=value]",
  usage: "Usage: insmod NAME [param=value]\n\nLoad a module.\n",
  main: insmod,
};

export const modprobe_command: Command = {
  name: "modprobe",
  summary: "load a module and its dependencies",
  usage: "Usage: modprobe\n\nLoad a module and its dependencies.\n",
  main: modprobe,
};
