import { S_ISREG } from "../../include/uapi/stat.ts";
import type { Syscalls } from "../../include/uapi/syscalls.ts";
import type { Command } from "../lib/command.ts";

/**
 * which [-a] COMMAND... (busybox debianutils/which.c): each COMMAND's path from a search of PATH
 * (busybox's default root path when PATH is unset); a name with a slash is checked as it is.
 * Exit 1 when any is missing.
 */
const USAGE = `Usage: which [-a] COMMAND...

Locate COMMAND

	-a	Show all matches
`;

/** bb_default_root_path. */
export const DEFAULT_PATH = "/sbin:/usr/sbin:/bin:/usr/bin";

/** file_is_executable(): a regular file with an execute bit (we run as root). */
function file_is_executable(sys: Syscalls, path: string): boolean {
  const st = sys.stat(path);
  return typeof st !== "number" && S_ISREG(st.st_mode) && (st.st_mode & 0o111) !== 0;
}

/** The PATH the process has (environ), or the default. */
export function env_path(sys: Syscalls): string {
  const e = sys.environ().find((v) => v.startsWith("PATH="));
  return e === undefined ? DEFAULT_PATH : e.slice(5);
}

/** find_executable(): every PATH entry that holds `name` (an empty entry is "."). */
export function find_executables(sys: Syscalls, name: string, path: string): string[] {
  const found: string[] = [];
  for (const dir of path.split(":")) {
    const p = dir === "" ? name : `${dir.replace(/\/+$/, "")}/${name}`;
    if (file_is_executable(sys, p)) found.push(p);
  }
  return found;
}

export async function which(argv: readonly string[], sys: Syscalls): Promise<number> {
  let all = false;
  let i = 1;
  // "+a": options stop at the first operand.
  for (; i < argv.length && argv[i]!.startsWith("-") && argv[i] !== "-"; i++) {
    if (argv[i] === "--") {
      i++;
      break;
    }
    for (const c of argv[i]!.slice(1)) {
      if (c !== "a") {
        await sys.write(2, `which: invalid option -- '${c}'\n${USAGE}`);
        return 1;
      }
      all = true;
    }
  }
  const names = argv.slice(i);
  if (names.length === 0) {
    await sys.write(2, USAGE);
    return 1;
  }
  const path = env_path(sys);
  let status = 0;
  let out = "";
  for (const name of names) {
    let found: string[];
    if (name.includes("/")) found = file_is_executable(sys, name) ? [name] : [];
    else found = find_executables(sys, name, path);
    if (!all) found = found.slice(0, 1);
    for (const f of found) out += `${f}\n`;
    if (found.length === 0) status = 1;
  }
  await sys.write(1, out);
  return status;
}

export const which_command: Command = {
  name: "which",
  summary: "locate a command in PATH",
  usage: USAGE,
  main: which,
};
