/**
 * The directory-changing calls (fs/namei.c's do_mkdirat, do_rmdir, do_unlinkat, do_symlinkat,
 * do_renameat2 and the vfs_* checks behind them). The generic rules are checked here, before the
 * file system's inode operation runs:
 *
 * - mkdir/symlink/create on an existing name (a dangling symlink included): -EEXIST;
 * - unlink of a directory: -EISDIR; rmdir of a non-directory: -ENOTDIR; rmdir of ".": -EINVAL,
 *   of "..": -ENOTEMPTY; a mountpoint or mount root: -EBUSY;
 * - rename across mounts: -EXDEV; a directory into itself: -EINVAL; a directory over a file:
 *   -ENOTDIR; a file over a directory: -EISDIR; over a non-empty directory: -ENOTEMPTY;
 * - a read-only mount: -EROFS; a file system without the operation (proc, sysfs): -EPERM.
 */
import { EBUSY, EEXIST, EINVAL, EISDIR, ENOENT, ENOTDIR, ENOTEMPTY, EPERM, ENAMETOOLONG, EROFS, EXDEV } from "../../include/linux/errno.ts";
import { NAME_MAX, PATH_MAX } from "../../include/uapi/fcntl.ts";
import { S_IALLUGO, S_ISDIR } from "../../include/uapi/stat.ts";
import type { Dentry, Path } from "./dcache.ts";
import type { FsStruct } from "./fs_struct.ts";
import { lookup_one, walk_parent, type ParentLookup } from "./namei.ts";
import { mnt_is_readonly } from "./namespace.ts";
import { nameidata } from "./open.ts";

/** The parent of `name` for a call that makes a new entry: -EEXIST when the name is taken. */
function parent_for_create(fs: FsStruct, name: string): ParentLookup | number {
  const pl = walk_parent(nameidata(fs), fs.pwd, name);
  if (typeof pl === "number") return pl;
  if (pl.last === "" || pl.last === "." || pl.last === "..") return -EEXIST;
  const r = lookup_one(pl.dir, pl.last);
  if (typeof r !== "number") return -EEXIST;
  if (r !== -ENOENT) return r;
  if (pl.last.length > NAME_MAX) return -ENAMETOOLONG;
  if (mnt_is_readonly(pl.dir.mnt)) return -EROFS;
  return pl;
}

/** mkdir(2): mode less the umask. */
export function do_mkdir(fs: FsStruct, name: string, mode: number): number {
  const pl = parent_for_create(fs, name);
  if (typeof pl === "number") return pl;
  const dir = pl.dir.dentry;
  if (dir.d_inode.i_op.mkdir === undefined) return -EPERM;
  const r = dir.d_inode.i_op.mkdir(dir, pl.last, mode & ~fs.umask & S_IALLUGO);
  return typeof r === "number" ? r : 0;
}

/** symlink(2): a link at `linkpath` holding `target` (not checked: links may dangle). */
export function do_symlink(fs: FsStruct, target: string, linkpath: string): number {
  if (target === "") return -ENOENT;
  if (target.length >= PATH_MAX) return -ENAMETOOLONG;
  const pl = parent_for_create(fs, linkpath);
  if (typeof pl === "number") return pl;
  if (pl.trailing_slash) return -ENOENT;
  const dir = pl.dir.dentry;
  if (dir.d_inode.i_op.symlink === undefined) return -EPERM;
  const r = dir.d_inode.i_op.symlink(dir, pl.last, target);
  return typeof r === "number" ? r : 0;
}

/**
 * The existing entry a remove acts on, not following a final link, with its parent. `special`
 * gives the errno for a last component of "", "." or "..".
 */
function existing_child(fs: FsStruct, name: string, special: Readonly<Record<string, number>>): { pl: ParentLookup; child: Path } | number {
  const pl = walk_parent(nameidata(fs), fs.pwd, name);
  if (typeof pl === "number") return pl;
  if (Object.hasOwn(special, pl.last)) return special[pl.last]!;
  const r = lookup_one(pl.dir, pl.last);
  if (typeof r === "number") return r;
  return { pl, child: r };
}

/** A mountpoint (the walk crossed into another mount) or the root of one: busy. */
function is_busy(pl: ParentLookup, child: Path): boolean {
  return child.mnt !== pl.dir.mnt || child.dentry.d_mounted > 0;
}

/** unlink(2). */
export function do_unlink(fs: FsStruct, name: string): number {
  const e = existing_child(fs, name, { "": -EISDIR, ".": -EISDIR, "..": -EISDIR });
  if (typeof e === "number") return e;
  const { pl, child } = e;
  const inode = child.dentry.d_inode;
  if (S_ISDIR(inode.i_mode)) return -EISDIR;
  if (pl.trailing_slash) return -ENOTDIR;
  if (is_busy(pl, child)) return -EBUSY;
  if (mnt_is_readonly(pl.dir.mnt)) return -EROFS;
  const dir = pl.dir.dentry;
  if (dir.d_inode.i_op.unlink === undefined) return -EPERM;
  return dir.d_inode.i_op.unlink(dir, child.dentry);
}

/** rmdir(2). */
export function do_rmdir(fs: FsStruct, name: string): number {
  const e = existing_child(fs, name, { "": -EBUSY, ".": -EINVAL, "..": -ENOTEMPTY });
  if (typeof e === "number") return e;
  const { pl, child } = e;
  if (!S_ISDIR(child.dentry.d_inode.i_mode)) return -ENOTDIR;
  if (is_busy(pl, child)) return -EBUSY;
  if (mnt_is_readonly(pl.dir.mnt)) return -EROFS;
  const dir = pl.dir.dentry;
  if (dir.d_inode.i_op.rmdir === undefined) return -EPERM;
  return dir.d_inode.i_op.rmdir(dir, child.dentry);
}

/** Is `d` equal to or below `ancestor` (within one super block)? */
function is_subdir(d: Dentry, ancestor: Dentry): boolean {
  for (;;) {
    if (d === ancestor) return true;
    if (d.is_root()) return false;
    d = d.d_parent;
  }
}

/** rename(2): atomically replaces an existing `newname` (of a compatible type). */
export function do_rename(fs: FsStruct, oldname: string, newname: string): number {
  const o = walk_parent(nameidata(fs), fs.pwd, oldname);
  if (typeof o === "number") return o;
  const n = walk_parent(nameidata(fs), fs.pwd, newname);
  if (typeof n === "number") return n;
  for (const l of [o.last, n.last]) if (l === "" || l === "." || l === "..") return -EBUSY;
  const old = lookup_one(o.dir, o.last);
  if (typeof old === "number") return old;
  const old_is_dir = S_ISDIR(old.dentry.d_inode.i_mode);
  if (o.trailing_slash && !old_is_dir) return -ENOTDIR;
  if (o.dir.mnt !== n.dir.mnt) return -EXDEV;
  if (is_busy(o, old)) return -EBUSY;
  if (n.last.length > NAME_MAX) return -ENAMETOOLONG;
  const target = lookup_one(n.dir, n.last);
  if (typeof target === "number" && target !== -ENOENT) return target;
  if (typeof target !== "number") {
    if (target.dentry === old.dentry) return 0;
    if (is_busy(n, target)) return -EBUSY;
    const new_is_dir = S_ISDIR(target.dentry.d_inode.i_mode);
    if (old_is_dir && !new_is_dir) return -ENOTDIR;
    if (!old_is_dir && new_is_dir) return -EISDIR;
    if (new_is_dir && target.dentry.d_subdirs.size > 0) return -ENOTEMPTY;
  } else if (n.trailing_slash && !old_is_dir) return -ENOTDIR;
  if (old_is_dir && is_subdir(n.dir.dentry, old.dentry)) return -EINVAL;
  if (mnt_is_readonly(o.dir.mnt)) return -EROFS;
  const od = o.dir.dentry;
  if (od.d_inode.i_op.rename === undefined) return -EPERM;
  return od.d_inode.i_op.rename(od, old.dentry, n.dir.dentry, n.last);
}
