import { ENOENT, strerror } from "../../include/linux/errno.ts";
import { S_ISDIR } from "../../include/uapi/stat.ts";
import type { Syscalls } from "../../include/uapi/syscalls.ts";
import { getopt } from "../lib/stdio.ts";
import type { Command } from "../lib/command.ts";

/** rm [-fr] FILE... (busybox's options, messages and exit status). */
const USAGE = "Usage: rm [-frR] FILE...";
const HELP = `${USAGE}

Remove (unlink) FILEs

	-f	Never prompt, ignore nonexistent files
	-R,-r	Recurse
`;

/** remove_file(): 0, or 1 after reporting what could not be removed. */
function remove(sys: Syscalls, path: string, force: boolean, recurse: boolean): number {
  const st = sys.lstat(path);
  if (typeof st === "number") {
    if (force && st === -ENOENT) return 0;
    sys.write(2, `rm: can't remove '${path}': ${strerror(st)}\n`);
    return 1;
  }
  if (S_ISDIR(st.st_mode)) {
    if (!recurse) {
      sys.write(2, `rm: '${path}' is a directory\n`);
      return 1;
    }
    const names = sys.readdir(path);
    if (typeof names === "number") {
      sys.write(2, `rm: can't remove '${path}': ${strerror(names)}\n`);
      return 1;
    }
    let status = 0;
    for (const n of names) status |= remove(sys, path.endsWith("/") ? path + n : `${path}/${n}`, force, recurse);
    if (status !== 0) return status;
    const r = sys.rmdir(path);
    if (r < 0) {
      sys.write(2, `rm: can't remove '${path}': ${strerror(r)}\n`);
      return 1;
    }
    return 0;
  }
  const r = sys.unlink(path);
  if (r < 0 && !(force && r === -ENOENT)) {
    sys.write(2, `rm: can't remove '${path}': ${strerror(r)}\n`);
    return 1;
  }
  return 0;
}

export async function rm(argv: readonly string[], sys: Syscalls): Promise<number> {
  const p = getopt(argv, "frR");
  if (typeof p === "string") {
    sys.write(2, `rm: ${p}\n${USAGE}\n`);
    return 1;
  }
  const force = p.opts.has("f");
  if (p.args.length === 0) {
    if (force) return 0;
    sys.write(2, `${USAGE}\n`);
    return 1;
  }
  const recurse = p.opts.has("r") || p.opts.has("R");
  let status = 0;
  for (const path of p.args) {
    const base = path.replace(/\/+$/, "").split("/").pop();
    if (base === "." || base === "..") {
      sys.write(2, "rm: can't remove '.' or '..'\n");
      status = 1;
      continue;
    }
    status |= remove(sys, path, force, recurse);
  }
  return status;
}

export const rm_command: Command = {
  name: "rm",
  summary: "remove files: rm [-fr] FILE...",
  usage: HELP,
  main: rm,
};
