/**
 * The host side of hostfs on Node (include/asm/hostfs.ts): the calls the kernel's hostfs makes
 * into the host, confined to one shared directory — what UML's arch/um/os-Linux and fs/hostfs's
 * hostfs_user.c are for a User-Mode Linux kernel.
 *
 * Confinement, whatever path the kernel passes:
 * - A path is names joined by "/"; an empty name, ".", ".." or a NUL in one is refused (-ENOENT),
 *   so nothing climbs out lexically.
 * - The directory part of a path must contain no symlink: it is resolved (realpath) and must come
 *   out as the very same path below the shared directory's real path (-ELOOP otherwise). The last
 *   name is never followed: lstat, readlink, unlink and rename act on a symlink itself, and open
 *   uses O_NOFOLLOW. Symlinks in the share therefore reach the machine as symlinks, which the
 *   machine's kernel follows inside the machine — one pointing outside the share leads to the
 *   machine's own files, never the host's.
 * - Only regular files are opened (O_NONBLOCK, so a FIFO cannot hang the host; anything else is
 *   -ENXIO), and handles are checked against the ones this share opened.
 * - A read-only share refuses every change with -EROFS here too, not only in the kernel's mount.
 * Not covered: a host process that swaps a directory for a symlink between the check and the use
 * (the race QEMU's 9p "local" back-end also had before it moved to openat-based walking).
 *
 * Every call is synchronous (Node's *Sync calls), as UML's host calls are; a host error becomes
 * the Linux errno of the same name (-EIO for one Linux does not have).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as errno from "../include/linux/errno.ts";
import type { HostFsOps, HostStat, HostStatfs, HostTime } from "../include/asm/hostfs.ts";
import { O_ACCMODE, O_CREAT, O_EXCL, O_RDWR, O_WRONLY } from "../include/uapi/fcntl.ts";

const { EBADF, EINVAL, EIO, ELOOP, ENOENT, ENXIO, EROFS } = errno;

/** A Node error's code as a negative Linux errno. */
function host_errno(e: unknown): number {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  const v = code !== undefined ? (errno as Record<string, unknown>)[code] : undefined;
  return typeof v === "number" && v > 0 ? -v : -EIO;
}

/** Run a host call; an exception becomes its negative errno. */
function host_call<T>(f: () => T): T | number {
  try {
    return f();
  } catch (e) {
    return host_errno(e);
  }
}

function time(ns: bigint): HostTime {
  return { sec: Number(ns / 1_000_000_000n), nsec: Number(ns % 1_000_000_000n) };
}

function host_stat(st: fs.BigIntStats): HostStat {
  return {
    mode: Number(st.mode),
    ino: Number(st.ino),
    nlink: Number(st.nlink),
    uid: Number(st.uid),
    gid: Number(st.gid),
    size: Number(st.size),
    blocks: Number(st.blocks),
    atime: time(st.atimeNs),
    mtime: time(st.mtimeNs),
    ctime: time(st.ctimeNs),
  };
}

/** Node's spelling of the flags open() takes (fs.constants are the host's values). */
function node_open_flags(flags: number): number {
  const c = fs.constants;
  const acc = flags & O_ACCMODE;
  let f = acc === O_WRONLY ? c.O_WRONLY : acc === O_RDWR ? c.O_RDWR : c.O_RDONLY;
  if ((flags & O_CREAT) !== 0) f |= c.O_CREAT;
  if ((flags & O_EXCL) !== 0) f |= c.O_EXCL;
  return f | (c.O_NOFOLLOW ?? 0) | (c.O_NONBLOCK ?? 0);
}

/**
 * Share host directory `dir` (read-only unless `rw`). Returns the host calls, or a one-line error
 * naming what is wrong with `dir` (missing, not a directory, unreadable).
 */
export function host_share_open(dir: string, rw: boolean): HostFsOps | string {
  let root: string;
  try {
    root = fs.realpathSync(dir);
    if (!fs.statSync(root).isDirectory()) return `${dir}: ${errno.strerror(errno.ENOTDIR)}`;
    fs.accessSync(root, fs.constants.R_OK | fs.constants.X_OK);
  } catch (e) {
    return `${dir}: ${errno.strerror(host_errno(e))}`;
  }
  const handles = new Set<number>();
  const read_only = !rw;

  /** The host path for a share-relative `rel`, or a negative errno (see the header). */
  const resolve = (rel: string): string | number => {
    if (rel === "") return root;
    const names = rel.split("/");
    if (names.some((n) => n === "" || n === "." || n === ".." || n.includes("\0"))) return -ENOENT;
    const full = path.join(root, ...names);
    if (names.length > 1) {
      const parent = path.dirname(full);
      const real = host_call(() => fs.realpathSync(parent));
      if (typeof real === "number") return real;
      if (real !== parent) return -ELOOP;
    }
    return full;
  };
  /** resolve() then `f` on the host path; errors of either as negative errnos. */
  const at = <T>(rel: string, f: (p: string) => T): T | number => {
    const p = resolve(rel);
    return typeof p === "number" ? p : host_call(() => f(p));
  };
  const change = <T>(rel: string, f: (p: string) => T): T | number => (read_only ? -EROFS : at(rel, f));
  const ok = (r: unknown): number => (typeof r === "number" ? r : 0);
  const handle_ok = (h: number): boolean => handles.has(h);

  return {
    root: dir,
    read_only,
    lstat: (rel) => at(rel, (p) => host_stat(fs.lstatSync(p, { bigint: true }))),
    readdir: (rel) =>
      at(rel, (p) => {
        if (!fs.lstatSync(p).isDirectory()) throw Object.assign(new Error("not a directory"), { code: "ENOTDIR" });
        return fs.readdirSync(p);
      }),
    readlink: (rel) => at(rel, (p) => fs.readlinkSync(p)),
    open(rel, flags, mode) {
      if (read_only && ((flags & O_ACCMODE) !== 0 || (flags & O_CREAT) !== 0)) return -EROFS;
      const fd = at(rel, (p) => fs.openSync(p, node_open_flags(flags), mode & 0o7777));
      if (fd < 0) return fd;
      const isreg = host_call(() => fs.fstatSync(fd).isFile());
      if (isreg !== true) {
        host_call(() => fs.closeSync(fd));
        return typeof isreg === "number" ? isreg : -ENXIO;
      }
      handles.add(fd);
      return fd;
    },
    pread(h, buf, pos) {
      if (!handle_ok(h)) return -EBADF;
      if (!Number.isSafeInteger(pos) || pos < 0) return -EINVAL;
      return host_call(() => fs.readSync(h, buf, 0, buf.length, pos));
    },
    pwrite(h, data, pos) {
      if (!handle_ok(h)) return -EBADF;
      if (read_only) return -EROFS;
      if (!Number.isSafeInteger(pos) || pos < 0) return -EINVAL;
      return host_call(() => fs.writeSync(h, data, 0, data.length, pos));
    },
    fstat: (h) => (handle_ok(h) ? host_call(() => host_stat(fs.fstatSync(h, { bigint: true }))) : -EBADF),
    ftruncate(h, size) {
      if (!handle_ok(h)) return -EBADF;
      if (read_only) return -EROFS;
      return ok(host_call(() => fs.ftruncateSync(h, size)));
    },
    close(h) {
      if (!handles.delete(h)) return;
      host_call(() => fs.closeSync(h));
    },
    truncate: (rel, size) =>
      ok(
        change(rel, (p) => {
          // truncate(2) follows a final symlink; the share must not: refuse one.
          if (fs.lstatSync(p).isSymbolicLink()) throw Object.assign(new Error("symlink"), { code: "ELOOP" });
          fs.truncateSync(p, size);
        }),
      ),
    mkdir: (rel, mode) => ok(change(rel, (p) => fs.mkdirSync(p, mode & 0o7777))),
    unlink: (rel) => ok(change(rel, (p) => fs.unlinkSync(p))),
    rmdir: (rel) => ok(change(rel, (p) => fs.rmdirSync(p))),
    rename(from, to) {
      if (read_only) return -EROFS;
      const a = resolve(from);
      const b = resolve(to);
      if (typeof a === "number") return a;
      if (typeof b === "number") return b;
      return ok(host_call(() => fs.renameSync(a, b)));
    },
    symlink: (target, rel) => ok(change(rel, (p) => fs.symlinkSync(target, p))),
    statfs(): HostStatfs | number {
      return host_call(() => {
        const s = fs.statfsSync(root);
        return { bsize: s.bsize, blocks: s.blocks, bfree: s.bfree, bavail: s.bavail, files: s.files, ffree: s.ffree, namelen: 255 };
      });
    },
  };
}
