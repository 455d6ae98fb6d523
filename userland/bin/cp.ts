import type { Syscalls } from "../../include/uapi/syscalls.ts";
import type { Command } from "../lib/command.ts";
import {
  concat_path_file,
  copy_file,
  cp_mv_stat,
  FILEUTILS_DEREF_SOFTLINK,
  FILEUTILS_DEREFERENCE,
  FILEUTILS_DEREFERENCE_L0,
  FILEUTILS_FORCE,
  FILEUTILS_INTERACTIVE,
  FILEUTILS_MAKE_SOFTLINK,
  FILEUTILS_NO_OVERWRITE,
  FILEUTILS_NO_TARGET_DIR,
  FILEUTILS_PRESERVE_STATUS,
  FILEUTILS_RECUR,
  FILEUTILS_TARGET_DIR,
  FILEUTILS_UPDATE,
  FILEUTILS_VERBOSE,
  last_path_component,
  new_copy_ctx,
  parse_cp_mv_args,
} from "../lib/copy_file.ts";

/**
 * cp (busybox coreutils/cp.c over libbb copy_file()): cp SRC DST, cp SRC... DIR, cp -t DIR SRC...
 * Without -R symlinks are followed; -R copies them as links (-L follows, -H follows those named on
 * the command line). Exit 1 if anything could not be copied. -l (hard links) is not offered: the
 * kernel has no link(2).
 */
const USAGE = `Usage: cp [-arPLHpfinsTuv] SOURCE DEST
or: cp [-arPLHpfinsuv] SOURCE... { -t DIRECTORY | DIRECTORY }

Copy SOURCEs to DEST

	-a	Same as -dpR
	-R,-r	Recurse
	-d,-P	Preserve symlinks (default if -R)
	-L	Follow all symlinks
	-H	Follow symlinks on command line
	-p	Preserve file attributes if possible
	-f	Overwrite
	-i	Prompt before overwrite
	-n	Don't overwrite
	-s	Create symlinks
	-T	Refuse to copy if DEST is a directory
	-t DIR	Copy all SOURCEs into DIR
	-u	Copy only newer files
	-v	Verbose
`;

const LONG: Readonly<Record<string, string>> = {
  "--archive": "a",
  "--force": "f",
  "--interactive": "i",
  "--no-clobber": "n",
  "--dereference": "L",
  "--no-dereference": "P",
  "--recursive": "R",
  "--symbolic-link": "s",
  "--no-target-directory": "T",
  "--verbose": "v",
  "--update": "u",
};

/** Option letters → FILEUTILS flags (getopt32's "Pd:rRd:Rd:apdR:i-n:n-i" complementary rules applied). */
const BIT: Readonly<Record<string, number>> = {
  p: FILEUTILS_PRESERVE_STATUS,
  d: FILEUTILS_DEREFERENCE,
  P: FILEUTILS_DEREFERENCE,
  R: FILEUTILS_RECUR | FILEUTILS_DEREFERENCE,
  r: FILEUTILS_RECUR | FILEUTILS_DEREFERENCE,
  a: FILEUTILS_PRESERVE_STATUS | FILEUTILS_DEREFERENCE | FILEUTILS_RECUR,
  f: FILEUTILS_FORCE,
  i: FILEUTILS_INTERACTIVE,
  n: FILEUTILS_NO_OVERWRITE,
  s: FILEUTILS_MAKE_SOFTLINK,
  L: FILEUTILS_DEREF_SOFTLINK,
  H: FILEUTILS_DEREFERENCE_L0,
  v: FILEUTILS_VERBOSE,
  u: FILEUTILS_UPDATE,
  T: FILEUTILS_NO_TARGET_DIR,
};

async function usage_error(sys: Syscalls, msg: string | null): Promise<number> {
  await sys.write(2, `${msg === null ? "" : `cp: ${msg}\n`}${USAGE}`);
  return 1;
}

export async function cp(argv: readonly string[], sys: Syscalls): Promise<number> {
  let flags = 0;
  const parsed = parse_cp_mv_args(argv, LONG, (c) => {
    const bit = BIT[c];
    if (bit === undefined) return false;
    flags |= bit;
    if (c === "i") flags &= ~FILEUTILS_NO_OVERWRITE;
    if (c === "n") flags &= ~FILEUTILS_INTERACTIVE;
    return true;
  });
  if (typeof parsed === "string") return usage_error(sys, parsed);
  const { target, args } = parsed;
  if (target !== null) {
    if (flags & FILEUTILS_NO_TARGET_DIR) return usage_error(sys, null);
    flags |= FILEUTILS_TARGET_DIR;
  }
  if (args.length < 1) return usage_error(sys, null);
  // The bit means "dereference": -d/-P/-R turned it on, so flip it; -L turns it back on.
  flags ^= FILEUTILS_DEREFERENCE;
  if (flags & FILEUTILS_DEREF_SOFTLINK) flags |= FILEUTILS_DEREFERENCE;

  const c = new_copy_ctx(sys, "cp");
  let last: string;
  let sources: string[];
  if (target !== null) {
    last = target;
    sources = args;
  } else {
    if (args.length < 2) return usage_error(sys, null);
    last = args[args.length - 1]!;
    sources = args.slice(0, -1);
    if (sources.length > 1 && flags & FILEUTILS_NO_TARGET_DIR) return usage_error(sys, null);
    if (sources.length === 1) {
      const s = await cp_mv_stat(c, sources[0]!, (flags & FILEUTILS_DEREFERENCE) !== 0);
      if (s.kind < 0) return 1;
      const d = await cp_mv_stat(c, last, true);
      if (d.kind < 0) return 1;
      if (flags & FILEUTILS_NO_TARGET_DIR && !(s.kind & 2) && d.kind & 2) {
        await sys.write(2, `cp: '${last}' is a directory\n`);
        return 1;
      }
      if (!((s.kind | d.kind) & 2) || (flags & FILEUTILS_RECUR && s.kind & 2 && d.kind === 0) || flags & FILEUTILS_NO_TARGET_DIR) {
        return (await copy_file(c, sources[0]!, last, flags)) < 0 ? 1 : 0;
      }
    }
  }
  // "cp A B... DIR": busybox does not check DIR first; each copy reports its own failure.
  let status = 0;
  for (const src of sources) {
    if ((await copy_file(c, src, concat_path_file(last, last_path_component(src)), flags)) < 0) status = 1;
  }
  return status;
}

export const cp_command: Command = {
  name: "cp",
  summary: "copy files and directories",
  usage: USAGE,
  main: cp,
};
