/**
 * A file's attributes: reading them — stat(2), lstat(2), fstat(2), readlink(2), statfs(2)
 * (fs/stat.c, fs/statfs.c) — and setting them by path — utimensat(2) (fs/utimes.c) and chmod(2)
 * (fs/open.c chmod_common).
 */
import { EINVAL, EROFS } from "../../include/linux/errno.ts";
import { MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_RDONLY, MS_RELATIME } from "../../include/uapi/fcntl.ts";
import { makedev, S_IALLUGO, S_ISLNK, type Stat, type Statfs } from "../../include/uapi/stat.ts";
import { AT_SYMLINK_NOFOLLOW, UTIME_NOW, UTIME_OMIT, type Timespec } from "../../include/uapi/syscalls.ts";
import type { Path } from "./dcache.ts";
import type { FsStruct } from "./fs_struct.ts";
import { ATTR_ATIME, ATTR_CTIME, ATTR_MODE, ATTR_MTIME, current_time, notify_change, type Iattr, type Inode } from "./inode.ts";
import { LOOKUP_FOLLOW } from "./namei.ts";
import { mnt_is_readonly } from "./namespace.ts";
import { user_path } from "./open.ts";

/** generic_fillattr(): what stat reports for an inode. */
export function generic_fillattr(inode: Inode): Stat {
  return {
    st_dev: makedev(0, inode.i_sb.s_dev),
    st_ino: inode.i_ino,
    st_mode: inode.i_mode,
    st_nlink: inode.i_nlink,
    st_uid: inode.i_uid,
    st_gid: inode.i_gid,
    st_rdev: inode.i_rdev,
    st_size: inode.i_size,
    st_blksize: 4096,
    st_blocks: inode.i_blocks,
    st_atime: inode.i_atime.tv_sec,
    st_atime_nsec: inode.i_atime.tv_nsec,
    st_mtime: inode.i_mtime.tv_sec,
    st_mtime_nsec: inode.i_mtime.tv_nsec,
    st_ctime: inode.i_ctime.tv_sec,
    st_ctime_nsec: inode.i_ctime.tv_nsec,
  };
}

/** stat(2) (`follow`) or lstat(2). */
export function vfs_stat(fs: FsStruct, name: string, follow: boolean): Stat | number {
  const p = user_path(fs, name, follow ? LOOKUP_FOLLOW : 0);
  return typeof p === "number" ? p : generic_fillattr(p.dentry.d_inode);
}

/** readlink(2): the target as stored; -EINVAL when `name` is not a symlink. */
export function vfs_readlink(fs: FsStruct, name: string): string | number {
  const p = user_path(fs, name, 0);
  if (typeof p === "number") return p;
  if (!S_ISLNK(p.dentry.d_inode.i_mode)) return -EINVAL;
  return p.dentry.d_inode.i_op.get_link?.(p.dentry) ?? -EINVAL;
}

/** ST_* flags of statfs's f_flags (include/linux/statfs.h). */
const ST_RELATIME = 0x1000;

/** statfs(2) of the file system holding `p`, with the mount's flags. */
export function vfs_statfs_path(p: Path): Statfs {
  const st = p.mnt.mnt_sb.s_op.statfs(p.mnt.mnt_sb);
  const m = p.mnt.mnt_flags | p.mnt.mnt_sb.s_flags;
  st.f_flags = (m & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)) | (m & MS_RELATIME ? ST_RELATIME : 0);
  return st;
}

export function vfs_statfs(fs: FsStruct, name: string): Statfs | number {
  const p = user_path(fs, name, LOOKUP_FOLLOW);
  return typeof p === "number" ? p : vfs_statfs_path(p);
}

/** A tv_nsec utimensat takes: 0 … 999999999 or one of the two specials (fs/utimes.c nsec_valid). */
function nsec_valid(nsec: number): boolean {
  if (nsec === UTIME_OMIT || nsec === UTIME_NOW) return true;
  return Number.isInteger(nsec) && nsec >= 0 && nsec <= 999_999_999;
}

/**
 * utimensat(2) by path (do_utimes_path + vfs_utimes): both times UTIME_OMIT is a no-op that does
 * not even look the path up, as Linux's; otherwise the times given (or now) and ctime = now.
 */
export function do_utimes(fs: FsStruct, name: string, times: readonly [Timespec, Timespec] | null, flags: number): number {
  if ((flags & ~AT_SYMLINK_NOFOLLOW) !== 0) return -EINVAL;
  if (times !== null) {
    if (times[0].tv_nsec === UTIME_OMIT && times[1].tv_nsec === UTIME_OMIT) return 0;
    for (const t of times) if (!nsec_valid(t.tv_nsec) || !Number.isSafeInteger(t.tv_sec)) return -EINVAL;
  }
  const p = user_path(fs, name, (flags & AT_SYMLINK_NOFOLLOW) !== 0 ? 0 : LOOKUP_FOLLOW);
  if (typeof p === "number") return p;
  if (mnt_is_readonly(p.mnt)) return -EROFS;
  const now = current_time();
  const attr: Iattr = { ia_valid: ATTR_CTIME, ia_ctime: now };
  const set = (t: Timespec | undefined, bit: number): Timespec | undefined => {
    if (t?.tv_nsec === UTIME_OMIT) return undefined;
    attr.ia_valid |= bit;
    return t === undefined || t.tv_nsec === UTIME_NOW ? now : { tv_sec: t.tv_sec, tv_nsec: t.tv_nsec };
  };
  attr.ia_atime = set(times?.[0], ATTR_ATIME);
  attr.ia_mtime = set(times?.[1], ATTR_MTIME);
  notify_change(p.dentry.d_inode, attr);
  return 0;
}

/** chmod(2) (chmod_common): the permission bits of what `name` leads to; ctime = now. */
export function do_chmod(fs: FsStruct, name: string, mode: number): number {
  if (!Number.isInteger(mode)) return -EINVAL;
  const p = user_path(fs, name, LOOKUP_FOLLOW);
  if (typeof p === "number") return p;
  if (mnt_is_readonly(p.mnt)) return -EROFS;
  notify_change(p.dentry.d_inode, { ia_valid: ATTR_MODE | ATTR_CTIME, ia_mode: mode & S_IALLUGO });
  return 0;
}
