import { EEXIST, strerror } from "../../include/linux/errno.ts";
import { S_ISDIR } from "../../include/uapi/stat.ts";
import type { Syscalls } from "../../include/uapi/syscalls.ts";
import { getopt } from "../lib/stdio.ts";
import type { Command } from "../lib/command.ts";

/** mkdir [-m MODE] [-p] DIRECTORY... (busybox's options, messages and exit status). */
const USAGE = "Usage: mkdir [-m MODE] [-p] DIRECTORY...";
const HELP = `${USAGE}

Create DIRECTORY

	-m MODE	Mode
	-p	No error if exists; make parent directories as needed
`;

/** mkdir -p: every missing directory on the way, then the last; existing directories are fine. */
function make_parents(sys: Syscalls, path: string, mode: number): number {
  const parts = path.split("/");
  let prefix = path.startsWith("/") ? "/" : "";
  for (const part of parts) {
    if (part === "") continue;
    prefix = prefix === "" || prefix.endsWith("/") ? prefix + part : `${prefix}/${part}`;
    const r = sys.mkdir(prefix, mode);
    if (r === -EEXIST) {
      const st = sys.stat(prefix);
      if (typeof st !== "number" && S_ISDIR(st.st_mode)) continue;
    }
    if (r < 0) return r;
  }
  return 0;
}

export async function mkdir(argv: readonly string[], sys: Syscalls): Promise<number> {
  const p = getopt(argv, "m:p");
  if (typeof p === "string" || p.args.length === 0) {
    sys.write(2, `${typeof p === "string" ? `mkdir: ${p}\n` : ""}${USAGE}\n`);
    return 1;
  }
  let mode = 0o777;
  const m = p.opts.get("m");
  if (m !== undefined) {
    if (typeof m !== "string" || !/^[0-7]{1,4}$/.test(m)) {
      sys.write(2, `mkdir: invalid mode '${String(m)}'\n`);
      return 1;
    }
    mode = parseInt(m, 8);
  }
  let status = 0;
  for (const dir of p.args) {
    const r = p.opts.has("p") ? make_parents(sys, dir, mode) : sys.mkdir(dir, mode);
    if (r < 0) {
      sys.write(2, `mkdir: can't create directory '${dir}': ${strerror(r)}\n`);
      status = 1;
    }
  }
  return status;
}

export const mkdir_command: Command = {
  name: "mkdir",
  summary: "make directories: mkdir [-p] [-m MODE] DIR...",
  usage: HELP,
  main: mkdir,
};
