import { EXDEV, strerror } from "../../include/linux/errno.ts";
import type { Syscalls } from "../../include/uapi/syscalls.ts";
import type { Command } from "../lib/command.ts";
import { ask_y, concat_path_file, copy_file, cp_mv_stat, FILEUTILS_FORCE, FILEUTILS_PRESERVE_STATUS, FILEUTILS_RECUR, last_path_component, new_copy_ctx, parse_cp_mv_args, remove_file } from "../lib/copy_file.ts";

/**
 * mv (busybox coreutils/mv.c): rename(2); across mounts (-EXDEV) the tree is copied with its mode
 * and times (copy_file -R -p) and the source removed, as busybox does. -f never asks, -i asks
 * before overwriting, -n never overwrites (the last of the three wins).
 */
const USAGE = `Usage: mv [-finTv] SOURCE DEST
or: mv [-finv] SOURCE... { -t DIRECTORY | DIRECTORY }

Rename SOURCE to DEST, or move SOURCEs to DIRECTORY

	-f	Don't prompt before overwriting
	-i	Interactive, prompt before overwrite
	-n	Don't overwrite an existing file
	-T	Refuse to move if DEST is a directory
	-t DIR	Move all SOURCEs into DIR
	-v	Verbose
`;

const LONG: Readonly<Record<string, string>> = {
  "--interactive": "i",
  "--force": "f",
  "--no-clobber": "n",
  "--no-target-directory": "T",
  "--verbose": "v",
};

async function usage_error(sys: Syscalls, msg: string | null): Promise<number> {
  await sys.write(2, `${msg === null ? "" : `mv: ${msg}\n`}${USAGE}`);
  return 1;
}

export async function mv(argv: readonly string[], sys: Syscalls): Promise<number> {
  /** The last of -f, -i, -n. */
  let mode: "" | "f" | "i" | "n" = "";
  let no_target_dir = false;
  let verbose = false;
  const parsed = parse_cp_mv_args(argv, LONG, (c) => {
    if (c === "f" || c === "i" || c === "n") mode = c;
    else if (c === "T") no_target_dir = true;
    else if (c === "v") verbose = true;
    else return false;
    return true;
  });
  if (typeof parsed === "string") return usage_error(sys, parsed);
  const { target, args } = parsed;
  if (target !== null && no_target_dir) return usage_error(sys, null);
  if (args.length < 1) return usage_error(sys, null);

  const c = new_copy_ctx(sys, "mv");
  let last: string;
  let sources: string[];
  /** "mv A B" where B is not a directory (or -T): B itself is the destination. */
  let direct: { kind: number } | null = null;
  if (target !== null) {
    last = target;
    sources = args;
  } else {
    if (args.length < 2) return usage_error(sys, null);
    last = args[args.length - 1]!;
    sources = args.slice(0, -1);
    if (sources.length > 1 && no_target_dir) return usage_error(sys, null);
    if (sources.length === 1) {
      const d = await cp_mv_stat(c, last, true);
      if (d.kind < 0) return 1;
      if (!(d.kind & 2)) direct = d;
      else if (no_target_dir) {
        const s = sys.stat(sources[0]!);
        if (typeof s !== "number" && (s.st_mode & 0o170000) !== 0o040000) {
          await sys.write(2, `mv: '${last}' is a directory\n`);
          return 1;
        }
        direct = d;
      }
    }
  }

  let status = 0;
  let out = "";
  for (const src of sources) {
    let dest: string;
    let dest_exists: number;
    if (direct !== null) {
      dest = last;
      dest_exists = direct.kind;
    } else {
      dest = concat_path_file(last, last_path_component(src));
      const d = await cp_mv_stat(c, dest, true);
      if (d.kind < 0) {
        status = 1;
        continue;
      }
      dest_exists = d.kind;
    }
    const r = await move_one(c, src, dest, dest_exists, mode);
    if (r < 0) status = 1;
    if (verbose && r !== 1) out += `'${src}' -> '${dest}'\n`;
  }
  await sys.write(1, out);
  return status;
}

/** One DO_MOVE: -1 failed (reported), 0 moved, 1 skipped (-n, or the user said no). */
async function move_one(c: ReturnType<typeof new_copy_ctx>, src: string, dest: string, dest_exists: number, mode: string): Promise<number> {
  const sys = c.sys;
  if (dest_exists) {
    if (mode === "n") return 1;
    // As root every file is writable, so only -i asks.
    if (mode === "i" && !(await ask_y(c, `mv: overwrite '${dest}'? `))) return 1;
  }
  const r = sys.rename(src, dest);
  if (r === 0) return 0;
  const s = r === -EXDEV ? await cp_mv_stat(c, src, false) : { kind: 0 };
  if (r !== -EXDEV || s.kind < 1) {
    if (s.kind >= 0) await sys.write(2, `mv: can't rename '${src}': ${strerror(r)}\n`);
    return -1;
  }
  if (dest_exists) {
    if (dest_exists === 3 && s.kind !== 3) {
      await sys.write(2, "mv: can't overwrite directory with non-directory\n");
      return -1;
    }
    if (dest_exists !== 3 && s.kind === 3) {
      await sys.write(2, "mv: can't overwrite non-directory with directory\n");
      return -1;
    }
    const u = dest_exists === 3 ? sys.rmdir(dest) : sys.unlink(dest);
    if (u < 0) {
      await sys.write(2, `mv: can't remove '${dest}': ${strerror(u)}\n`);
      return -1;
    }
  }
  if ((await copy_file(c, src, dest, FILEUTILS_RECUR | FILEUTILS_PRESERVE_STATUS)) < 0) return -1;
  return (await remove_file(c, src, FILEUTILS_RECUR | FILEUTILS_FORCE)) < 0 ? -1 : 0;
}

export const mv_command: Command = {
  name: "mv",
  summary: "move (rename) files",
  usage: USAGE,
  main: mv,
};
