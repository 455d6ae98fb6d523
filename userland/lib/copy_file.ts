/**
 * busybox's libbb copy_file() and remove_file() (libbb/copy_file.c, libbb/remove_file.c), what cp
 * and mv share: copy one file or a tree (data streamed through read/write, each write awaited so a
 * pipe's or a full file system's back-pressure holds), make symlinks, preserve mode and times, and
 * remove a tree. Messages are busybox's ("cp: can't stat 'x': No such file or directory").
 * The kernel has no link(2) and no mknod(2): hard links are not preserved (every file is copied)
 * and a device node cannot be copied.
 */
import { EEXIST, ENOENT, ENOSYS, strerror } from "../../include/linux/errno.ts";
import { O_CREAT, O_EXCL, O_RDONLY, O_WRONLY } from "../../include/uapi/fcntl.ts";
import { S_ISDIR, S_ISLNK, S_ISREG, type Stat } from "../../include/uapi/stat.ts";
import type { Syscalls } from "../../include/uapi/syscalls.ts";

/** FILEUTILS_* flags (include/libbb.h). */
export const FILEUTILS_PRESERVE_STATUS = 1 << 0;
export const FILEUTILS_DEREFERENCE = 1 << 1;
export const FILEUTILS_RECUR = 1 << 2;
export const FILEUTILS_FORCE = 1 << 3;
export const FILEUTILS_INTERACTIVE = 1 << 4;
export const FILEUTILS_NO_OVERWRITE = 1 << 5;
export const FILEUTILS_MAKE_SOFTLINK = 1 << 7;
export const FILEUTILS_DEREF_SOFTLINK = 1 << 8;
export const FILEUTILS_DEREFERENCE_L0 = 1 << 9;
export const FILEUTILS_VERBOSE = 1 << 10;
export const FILEUTILS_UPDATE = 1 << 11;
export const FILEUTILS_NO_TARGET_DIR = 1 << 12;
export const FILEUTILS_TARGET_DIR = 1 << 13;

/** The owner's rwx bits (S_IRWXU). */
const S_IRWXU = 0o700;
/** The chunk a copy reads and writes at a time. */
const COPY_CHUNK = 64 * 1024;

/** One copy_file()/remove_file() run: the applet's name for messages, and the directories made. */
export interface CopyCtx {
  sys: Syscalls;
  applet: string;
  /** (dev, ino) of every directory this run created: copying one into itself stops there. */
  made_dirs: Set<string>;
}

export function new_copy_ctx(sys: Syscalls, applet: string): CopyCtx {
  return { sys, applet, made_dirs: new Set() };
}

async function msg(c: CopyCtx, text: string): Promise<void> {
  await c.sys.write(2, `${c.applet}: ${text}\n`);
}

/** concat_path_file(): "dir/name" without doubling the slash. */
export function concat_path_file(dir: string, name: string): string {
  return dir.endsWith("/") ? dir + name : `${dir}/${name}`;
}

/** bb_get_last_path_component_strip(): the last component, trailing slashes ignored. */
export function last_path_component(path: string): string {
  const p = path.replace(/\/+$/, "");
  if (p === "") return path === "" ? "" : "/";
  return p.slice(p.lastIndexOf("/") + 1);
}

/** bb_ask_y_confirmation(): read a line from stdin; yes if it starts with y or Y. */
export async function ask_y(c: CopyCtx, prompt: string): Promise<boolean> {
  await c.sys.write(2, prompt);
  const line = await c.sys.read_line();
  return typeof line === "string" && /^[yY]/.test(line);
}

/** ask_and_unlink(): -1 error (reported), 0 user said no, 1 removed (try again). */
async function ask_and_unlink(c: CopyCtx, dest: string, flags: number, err: number): Promise<number> {
  if (flags & FILEUTILS_INTERACTIVE) {
    if (!(await ask_y(c, `${c.applet}: overwrite '${dest}'? `))) return 0;
  }
  const r = c.sys.unlink(dest);
  if (r < 0) {
    await msg(c, `can't create '${dest}': ${strerror(err)}`);
    return -1;
  }
  return 1;
}

/** bb_copyfd_eof(): the bytes of `src` onto `dst`; 0 or -1 (reported). */
async function copy_fd(c: CopyCtx, src: number, dst: number, dest: string): Promise<number> {
  const buf = new Uint8Array(COPY_CHUNK);
  for (;;) {
    const n = await c.sys.read(src, buf);
    if (n === 0) return 0;
    if (n < 0) {
      await msg(c, `read error: ${strerror(n)}`);
      return -1;
    }
    let off = 0;
    while (off < n) {
      const w = await c.sys.write(dst, buf.subarray(off, n));
      if (w <= 0) {
        await msg(c, w < 0 ? `error writing to '${dest}': ${strerror(w)}` : `error writing to '${dest}'`);
        return -1;
      }
      off += w;
    }
  }
}

async function preserve(c: CopyCtx, dest: string, st: Stat, flags: number): Promise<void> {
  if (!(flags & FILEUTILS_PRESERVE_STATUS)) return;
  // busybox sets both times to the source's mtime, whole seconds (utimes with tv_usec 0).
  const t = { tv_sec: st.st_mtime, tv_nsec: 0 };
  if (c.sys.utimensat(dest, [t, t], 0) < 0) await msg(c, `can't preserve times of '${dest}'`);
  if (c.sys.chmod(dest, st.st_mode & 0o7777) < 0) await msg(c, `can't preserve permissions of '${dest}'`);
}

/**
 * copy_file(): -1 error (reported), 0 the copy is made or the user said no. Failures to preserve
 * mode or times are reported but do not fail the copy, as in busybox.
 */
export async function copy_file(c: CopyCtx, source: string, dest: string, flags: number): Promise<number> {
  const sys = c.sys;
  const deref = (flags & (FILEUTILS_DEREFERENCE | FILEUTILS_DEREFERENCE_L0)) !== 0;
  const sst = deref ? sys.stat(source) : sys.lstat(source);
  if (typeof sst === "number") {
    if (flags & FILEUTILS_MAKE_SOFTLINK) return make_link(c, source, dest, flags);
    await msg(c, `can't stat '${source}': ${strerror(sst)}`);
    return -1;
  }
  let dest_exists = false;
  const dst = sys.lstat(dest);
  if (typeof dst === "number") {
    if (dst !== -ENOENT) {
      await msg(c, `can't stat '${dest}': ${strerror(dst)}`);
      return -1;
    }
  } else {
    if (sst.st_dev === dst.st_dev && sst.st_ino === dst.st_ino) {
      await msg(c, `'${source}' and '${dest}' are the same file`);
      return -1;
    }
    if (flags & FILEUTILS_NO_OVERWRITE) return 0;
    dest_exists = true;
  }

  if (S_ISDIR(sst.st_mode)) {
    if (!(flags & FILEUTILS_RECUR)) {
      await msg(c, `omitting directory '${source}'`);
      return -1;
    }
    if (c.made_dirs.has(`${sst.st_dev}:${sst.st_ino}`)) {
      await msg(c, `recursion detected, omitting directory '${source}'`);
      return -1;
    }
    let saved_umask = 0;
    if (dest_exists) {
      if (typeof dst !== "number" && !S_ISDIR(dst.st_mode)) {
        await msg(c, `target '${dest}' is not a directory`);
        return -1;
      }
    } else {
      saved_umask = sys.umask(0);
      let mode = sst.st_mode & 0o7777;
      if (!(flags & FILEUTILS_PRESERVE_STATUS)) mode &= ~saved_umask;
      mode |= S_IRWXU; // the owner may fill it (for now)
      const r = sys.mkdir(dest, mode);
      sys.umask(saved_umask);
      if (r < 0) {
        await msg(c, `can't create directory '${dest}': ${strerror(r)}`);
        return -1;
      }
    }
    const made = sys.lstat(dest);
    if (typeof made !== "number") c.made_dirs.add(`${made.st_dev}:${made.st_ino}`);
    let retval = 0;
    const names = sys.readdir(source);
    if (typeof names === "number") {
      await msg(c, `can't open '${source}': ${strerror(names)}`);
      retval = -1;
    } else {
      for (const n of names) {
        if ((await copy_file(c, concat_path_file(source, n), concat_path_file(dest, n), flags & ~FILEUTILS_DEREFERENCE_L0)) < 0) retval = -1;
      }
    }
    if (!dest_exists && sys.chmod(dest, sst.st_mode & 0o7777 & ~saved_umask) < 0) await msg(c, `can't preserve permissions of '${dest}'`);
    await preserve(c, dest, sst, flags);
    return verbose(c, source, dest, flags, retval);
  }

  if (dest_exists && flags & FILEUTILS_UPDATE && typeof dst !== "number" && sst.st_mtime <= dst.st_mtime) return 0;

  if (flags & FILEUTILS_MAKE_SOFTLINK) return make_link(c, source, dest, flags);

  if (!(flags & FILEUTILS_RECUR) || S_ISREG(sst.st_mode)) {
    if (!deref && S_ISLNK(sst.st_mode)) return copy_special(c, source, dest, sst, flags, dest_exists);
    const src_fd = sys.open(source, O_RDONLY);
    if (src_fd < 0) {
      await msg(c, `can't open '${source}': ${strerror(src_fd)}`);
      return -1;
    }
    const new_mode = S_ISREG(sst.st_mode) ? sst.st_mode & 0o7777 : 0o666;
    // Non-POSIX (busybox's default): never write into an existing file, replace it.
    let dst_fd = sys.open(dest, O_WRONLY | O_CREAT | O_EXCL, new_mode);
    if (dst_fd < 0) {
      const ovr = await ask_and_unlink(c, dest, flags | FILEUTILS_FORCE, dst_fd);
      if (ovr <= 0) {
        sys.close(src_fd);
        return ovr;
      }
      dst_fd = sys.open(dest, O_WRONLY | O_CREAT | O_EXCL, new_mode);
      if (dst_fd < 0) {
        await msg(c, `can't open '${dest}': ${strerror(dst_fd)}`);
        sys.close(src_fd);
        return -1;
      }
    }
    let retval = await copy_fd(c, src_fd, dst_fd, dest);
    if (sys.close(dst_fd) < 0) {
      await msg(c, `error writing to '${dest}'`);
      retval = -1;
    }
    sys.close(src_fd);
    if (!S_ISREG(sst.st_mode)) return verbose(c, source, dest, flags, retval);
    await preserve(c, dest, sst, flags);
    return verbose(c, source, dest, flags, retval);
  }
  return copy_special(c, source, dest, sst, flags, dest_exists);
}

/** A symlink (or, without mknod(2), the device node busybox would make) at `dest`. */
async function copy_special(c: CopyCtx, source: string, dest: string, sst: Stat, flags: number, dest_exists: boolean): Promise<number> {
  if (dest_exists) {
    const ovr = await ask_and_unlink(c, dest, flags | FILEUTILS_FORCE, -EEXIST);
    if (ovr <= 0) return ovr;
  }
  if (S_ISLNK(sst.st_mode)) {
    const target = c.sys.readlink(source);
    if (typeof target === "number") {
      await msg(c, `${source}: cannot read link: ${strerror(target)}`);
      return -1;
    }
    const r = c.sys.symlink(target, dest);
    if (r < 0) {
      await msg(c, `can't create symlink '${dest}' to '${target}': ${strerror(r)}`);
      return -1;
    }
    return verbose(c, source, dest, flags, 0);
  }
  await msg(c, `can't create '${dest}': ${strerror(-ENOSYS)}`);
  return -1;
}

async function make_link(c: CopyCtx, source: string, dest: string, flags: number): Promise<number> {
  if (c.sys.symlink(source, dest) < 0) {
    const ovr = await ask_and_unlink(c, dest, flags | FILEUTILS_FORCE, -EEXIST);
    if (ovr <= 0) return ovr;
    const r = c.sys.symlink(source, dest);
    if (r < 0) {
      await msg(c, `can't create link '${dest}': ${strerror(r)}`);
      return -1;
    }
  }
  return 0;
}

async function verbose(c: CopyCtx, source: string, dest: string, flags: number, retval: number): Promise<number> {
  if (flags & FILEUTILS_VERBOSE) await c.sys.write(1, `'${source}' -> '${dest}'\n`);
  return retval;
}

/** remove_file(): -1 error (reported), 0 removed (or the user said no). */
export async function remove_file(c: CopyCtx, path: string, flags: number): Promise<number> {
  const sys = c.sys;
  const st = sys.lstat(path);
  if (typeof st === "number") {
    if (st !== -ENOENT) {
      await msg(c, `can't stat '${path}': ${strerror(st)}`);
      return -1;
    }
    if (!(flags & FILEUTILS_FORCE)) {
      await msg(c, `can't remove '${path}': ${strerror(st)}`);
      return -1;
    }
    return 0;
  }
  if (S_ISDIR(st.st_mode)) {
    if (!(flags & FILEUTILS_RECUR)) {
      await msg(c, `'${path}' is a directory`);
      return -1;
    }
    const names = sys.readdir(path);
    if (typeof names === "number") return -1;
    let status = 0;
    for (const n of names) if ((await remove_file(c, concat_path_file(path, n), flags)) < 0) status = -1;
    if (status === 0) {
      const r = sys.rmdir(path);
      if (r < 0) {
        await msg(c, `can't remove '${path}': ${strerror(r)}`);
        return -1;
      }
    }
    return status;
  }
  const r = sys.unlink(path);
  if (r < 0) {
    await msg(c, `can't remove '${path}': ${strerror(r)}`);
    return -1;
  }
  return 0;
}

/** cp_mv_stat2(): -1 error (reported), 0 absent, 1 exists, 3 a directory. */
export async function cp_mv_stat(c: CopyCtx, path: string, follow: boolean): Promise<{ kind: number; st: Stat | null }> {
  const st = follow ? c.sys.stat(path) : c.sys.lstat(path);
  if (typeof st === "number") {
    if (st === -ENOENT) return { kind: 0, st: null };
    await msg(c, `can't stat '${path}': ${strerror(st)}`);
    return { kind: -1, st: null };
  }
  return { kind: S_ISDIR(st.st_mode) ? 3 : 1, st };
}

/**
 * cp's and mv's shared command line (busybox's getopt32 with their long options): "--" ends the
 * options, `-t DIR` / `--target-directory[=]DIR` names the target directory, long options map to
 * letters through `long`, and `opt(letter)` takes every other option letter (false: not one of
 * ours). The target and the operands, or the message for the usage error.
 */
export function parse_cp_mv_args(argv: readonly string[], long: Readonly<Record<string, string>>, opt: (c: string) => boolean): { target: string | null; args: string[] } | string {
  let target: string | null = null;
  const args: string[] = [];
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith("--target-directory")) {
      target = a.includes("=") ? a.slice(a.indexOf("=") + 1) : (argv[++i] ?? null);
      if (target === null) return "option '--target-directory' requires an argument";
      continue;
    }
    if (a.startsWith("--")) {
      const c = long[a];
      if (c === undefined || !opt(c)) return `unrecognized option '${a}'`;
      continue;
    }
    if (!a.startsWith("-") || a === "-") {
      args.push(a);
      continue;
    }
    for (let j = 1; j < a.length; j++) {
      const c = a[j]!;
      if (c === "t") {
        target = a.length > j + 1 ? a.slice(j + 1) : (argv[++i] ?? null);
        if (target === null) return "option requires an argument -- 't'";
        break;
      }
      if (!opt(c)) return `invalid option -- '${c}'`;
    }
  }
  return { target, args };
}
