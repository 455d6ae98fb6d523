/**
 * Opening files and the calls that act on a path as a whole (fs/open.c, fs/namei.c's
 * do_filp_open/lookup_open, fs/d_path.c's getcwd, fs/namespace.c's mount/umount entry points).
 *
 * Everything runs as root, so the permission bits are not enforced; what is refused is what the
 * file or mount cannot do: a write to a read-only mount (-EROFS), a create in a directory whose file
 * system has no create (-EACCES, as lookup_open; proc's refuses with -ENOENT), a sysfs or
 * /proc/sys file opened for an access it has no show/store for (-EACCES; kernel/fs/kernfs_vfs.ts).
 * O_CREAT on an existing file opens it; O_TRUNC truncates only where the file system has a size to
 * change (kernfs files ignore it, as Linux's do).
 */
import { EEXIST, EINVAL, EISDIR, ENOENT, ENOTDIR, ENXIO, ELOOP, EACCES, ENAMETOOLONG, EROFS } from "../../include/linux/errno.ts";
import { MS_NODEV, NAME_MAX, O_ACCMODE, O_APPEND, O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_NONBLOCK, O_RDONLY, O_TRUNC, O_WRONLY } from "../../include/uapi/fcntl.ts";
import { S_IALLUGO, S_ISCHR, S_ISDIR, S_ISLNK, S_ISREG } from "../../include/uapi/stat.ts";
import { chrdev_fops } from "./chrdev.ts";
import { d_path, type Path } from "./dcache.ts";
import { File, FMODE_READ, FMODE_WRITE } from "./file.ts";
import { set_fs_pwd, type FsStruct } from "./fs_struct.ts";
import { iput_if_unused } from "./inode.ts";
import { LOOKUP_DIRECTORY, LOOKUP_FOLLOW, lookup_one, walk, walk_parent, type Nameidata } from "./namei.ts";
import { do_mount, do_umount, mnt_is_readonly } from "./namespace.ts";
import { MAXSYMLINKS } from "./kernfs.ts";

/** The flags a File keeps after open (the rest only steer the open). */
const FILE_KEEP_FLAGS = O_ACCMODE | O_APPEND | O_NONBLOCK;

export function nameidata(fs: FsStruct): Nameidata {
  return { root: fs.root, links: 0 };
}

/** user_path_at(): walk `name` from the task's working directory. */
export function user_path(fs: FsStruct, name: string, flags: number): Path | number {
  return walk(nameidata(fs), fs.pwd, name, flags);
}

/**
 * The O_CREAT side of open (lookup_open): find the last component, following a final symlink
 * unless O_EXCL or O_NOFOLLOW, and create a regular file when it is missing.
 */
function open_create(fs: FsStruct, name: string, flags: number, mode: number): { p: Path; created: boolean } | number {
  const nd = nameidata(fs);
  let start = fs.pwd;
  for (;;) {
    const pl = walk_parent(nd, start, name);
    if (typeof pl === "number") return pl;
    if (pl.last === "" || pl.last === "." || pl.last === "..") return -EISDIR;
    const r = lookup_one(pl.dir, pl.last);
    if (r === -ENOENT) {
      if (pl.trailing_slash) return -EISDIR;
      if (pl.last.length > NAME_MAX) return -ENAMETOOLONG;
      const dir = pl.dir.dentry;
      if (dir.d_inode.i_op.create === undefined) return -EACCES;
      if (mnt_is_readonly(pl.dir.mnt)) return -EROFS;
      const d = dir.d_inode.i_op.create(dir, pl.last, mode & ~fs.umask & S_IALLUGO);
      if (typeof d === "number") return d;
      return { p: { mnt: pl.dir.mnt, dentry: d }, created: true };
    }
    if (typeof r === "number") return r;
    if ((flags & O_EXCL) !== 0) return -EEXIST;
    if (S_ISLNK(r.dentry.d_inode.i_mode)) {
      if ((flags & O_NOFOLLOW) !== 0) return -ELOOP;
      if (++nd.links > MAXSYMLINKS) return -ELOOP;
      const target = r.dentry.d_inode.i_op.get_link?.(r.dentry) ?? -ENOENT;
      if (typeof target === "number") return target;
      // A dangling link is created through, as Linux does for O_CREAT without O_EXCL.
      start = target.startsWith("/") ? fs.root : pl.dir;
      name = target;
      continue;
    }
    if (pl.trailing_slash && !S_ISDIR(r.dentry.d_inode.i_mode)) return -ENOTDIR;
    return { p: r, created: false };
  }
}

/**
 * do_filp_open(): open `name` with open(2)'s `flags` (and `mode` for a file O_CREAT makes, less
 * the umask). Returns the new File or a negative errno.
 */
export function do_filp_open(fs: FsStruct, name: string, flags: number, mode: number): File | number {
  const acc = flags & O_ACCMODE;
  if (acc === O_ACCMODE) return -EINVAL;
  const fmode = acc === O_RDONLY ? FMODE_READ : acc === O_WRONLY ? FMODE_WRITE : FMODE_READ | FMODE_WRITE;
  let p: Path;
  let created = false;
  if ((flags & O_CREAT) !== 0) {
    const r = open_create(fs, name, flags, mode);
    if (typeof r === "number") return r;
    ({ p, created } = r);
    if (!created && S_ISDIR(p.dentry.d_inode.i_mode)) return -EISDIR;
  } else {
    const follow = (flags & O_NOFOLLOW) !== 0 ? 0 : LOOKUP_FOLLOW;
    const r = user_path(fs, name, follow | ((flags & O_DIRECTORY) !== 0 ? LOOKUP_DIRECTORY : 0));
    if (typeof r === "number") return r;
    p = r;
    if (S_ISLNK(p.dentry.d_inode.i_mode)) return -ELOOP; // O_NOFOLLOW on a link
  }
  const inode = p.dentry.d_inode;
  if ((flags & O_DIRECTORY) !== 0 && !S_ISDIR(inode.i_mode)) return -ENOTDIR;
  if (S_ISDIR(inode.i_mode) && (fmode & FMODE_WRITE) !== 0) return -EISDIR;
  let fops = inode.i_fop;
  if (S_ISCHR(inode.i_mode)) {
    if ((p.mnt.mnt_flags & MS_NODEV) !== 0) return -EACCES; // may_open(): devices on a nodev mount
    const dev = chrdev_fops(inode.i_rdev);
    if (dev === undefined) return -ENXIO;
    fops = dev;
  } else if (!S_ISREG(inode.i_mode) && !S_ISDIR(inode.i_mode)) return -ENXIO;
  else if ((fmode & FMODE_WRITE) !== 0 && mnt_is_readonly(p.mnt)) return -EROFS;
  const f = new File(p, inode, fops, fmode, flags & FILE_KEEP_FLAGS);
  const r = fops.open?.(inode, f) ?? 0;
  if (r < 0) {
    // Not opened: undo the references the File took, without calling release.
    inode.i_count--;
    p.mnt.mnt_count--;
    iput_if_unused(inode);
    return r;
  }
  if ((flags & O_TRUNC) !== 0 && !created && (fmode & FMODE_WRITE) !== 0 && S_ISREG(inode.i_mode) && inode.i_op.setsize !== undefined) {
    inode.i_op.setsize(inode, 0);
  }
  return f;
}

/** truncate(2) on a path: regular files only (-EISDIR, -EINVAL), not on a read-only mount. */
export function do_truncate_path(fs: FsStruct, name: string, length: number): number {
  const p = user_path(fs, name, LOOKUP_FOLLOW);
  if (typeof p === "number") return p;
  const inode = p.dentry.d_inode;
  if (S_ISDIR(inode.i_mode)) return -EISDIR;
  if (!S_ISREG(inode.i_mode)) return -EINVAL;
  if (mnt_is_readonly(p.mnt)) return -EROFS;
  return inode.i_op.setsize?.(inode, length) ?? -EINVAL;
}

/** ftruncate(2): the file must be open for writing. */
export function do_ftruncate(f: File, length: number): number {
  if ((f.f_mode & FMODE_WRITE) === 0 || !S_ISREG(f.f_inode.i_mode)) return -EINVAL;
  return f.f_inode.i_op.setsize?.(f.f_inode, length) ?? -EINVAL;
}

/** chdir(2). */
export function do_chdir(fs: FsStruct, name: string): number {
  const p = user_path(fs, name, LOOKUP_FOLLOW | LOOKUP_DIRECTORY);
  if (typeof p === "number") return p;
  set_fs_pwd(fs, p);
  return 0;
}

/** getcwd(2): -ENOENT once the working directory has been removed. */
export function do_getcwd(fs: FsStruct): string | number {
  if (fs.pwd.dentry.d_unhashed) return -ENOENT;
  return d_path(fs.pwd, fs.root);
}

/** mount(2) of a new file system on directory `target`. */
export function do_mount_path(fs: FsStruct, source: string, target: string, fstype: string, flags: number, data: string): number {
  const p = user_path(fs, target, LOOKUP_FOLLOW);
  if (typeof p === "number") return p;
  return do_mount(source, p, fstype, flags, data);
}

/** umount2(2). */
export function do_umount_path(fs: FsStruct, target: string, flags: number): number {
  const p = user_path(fs, target, LOOKUP_FOLLOW);
  if (typeof p === "number") return p;
  return do_umount(p, flags);
}
