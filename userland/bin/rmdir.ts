import { ENOTEMPTY, strerror } from "../../include/linux/errno.ts";
import type { Syscalls } from "../../include/uapi/syscalls.ts";
import type { Command } from "../lib/command.ts";

/** rmdir [-p] [--ignore-fail-on-non-empty] DIRECTORY... (busybox coreutils/rmdir.c). */
const USAGE = `Usage: rmdir [-p] DIRECTORY...

Remove DIRECTORY if it is empty

	-p	Include parents
	--ignore-fail-on-non-empty
`;

/** dirname(3): "a/b/" → "a", "a" → ".", "/a" → "/". */
export function dirname(path: string): string {
  const p = path.replace(/\/+$/, "");
  if (p === "") return path.startsWith("/") ? "/" : ".";
  const i = p.lastIndexOf("/");
  if (i < 0) return ".";
  const d = p.slice(0, i).replace(/\/+$/, "");
  return d === "" ? "/" : d;
}

export async function rmdir(argv: readonly string[], sys: Syscalls): Promise<number> {
  let parents = false;
  let verbose = false;
  let ignore = false;
  const dirs: string[] = [];
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") {
      dirs.push(...argv.slice(i + 1));
      break;
    }
    if (a === "--parents") parents = true;
    else if (a === "--verbose") verbose = true;
    else if (a === "--ignore-fail-on-non-empty") ignore = true;
    else if (a.startsWith("--")) return usage_error(sys, `unrecognized option '${a}'`);
    else if (a.startsWith("-") && a !== "-") {
      for (const c of a.slice(1)) {
        if (c === "p") parents = true;
        else if (c === "v") verbose = true;
        else return usage_error(sys, `invalid option -- '${c}'`);
      }
    } else dirs.push(a);
  }
  if (dirs.length === 0) return usage_error(sys, null);
  let status = 0;
  let out = "";
  for (let path of dirs) {
    for (;;) {
      if (verbose) out += `rmdir: removing directory, '${path}'\n`;
      const r = sys.rmdir(path);
      if (r < 0) {
        if (ignore && r === -ENOTEMPTY) break;
        await sys.write(1, out);
        out = "";
        await sys.write(2, `rmdir: '${path}': ${strerror(r)}\n`);
        status = 1;
      } else if (parents) {
        path = dirname(path);
        if (path !== ".") continue;
      }
      break;
    }
  }
  await sys.write(1, out);
  return status;
}

async function usage_error(sys: Syscalls, msg: string | null): Promise<number> {
  await sys.write(2, `${msg === null ? "" : `rmdir: ${msg}\n`}${USAGE}`);
  return 1;
}

export const rmdir_command: Command = {
  name: "rmdir",
  summary: "remove empty directories: rmdir [-p] DIR...",
  usage: USAGE,
  main: rmdir,
};
