/**
 * stat(2), lstat(2), fstat(2), readlink(2) and statfs(2) (fs/stat.c, fs/statfs.c).
 */
import { EINVAL } from "../../include/linux/errno.ts";
import { MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_RDONLY, MS_RELATIME } from "../../include/uapi/fcntl.ts";
import { makedev, S_ISLNK, type Stat, type Statfs } from "../../include/uapi/stat.ts";
import type { Path } from "./dcache.ts";
import type { FsStruct } from "./fs_struct.ts";
import type { Inode } from "./inode.ts";
import { LOOKUP_FOLLOW } from "./namei.ts";
import { user_path } from "./open.ts";

/** generic_fillattr(): what stat reports for an inode. */
export function generic_fillattr(inode: Inode): Stat {
  const sec = (ns: number): number => Math.floor(ns / 1e9);
  const nsec = (ns: number): number => ns - Math.floor(ns / 1e9) * 1e9;
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
    st_atime: sec(inode.i_atime),
    st_atime_nsec: nsec(inode.i_atime),
    st_mtime: sec(inode.i_mtime),
    st_mtime_nsec: nsec(inode.i_mtime),
    st_ctime: sec(inode.i_ctime),
    st_ctime_nsec: nsec(inode.i_ctime),
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
