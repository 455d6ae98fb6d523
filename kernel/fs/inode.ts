/**
 * Inodes, super blocks and file-system types (include/linux/fs.h, fs/inode.c, fs/super.c, reduced).
 *
 * An inode is one file's metadata (mode, size, links, times, owner) and the operations its file
 * system gives it; a super block is one mounted instance of a file system (tmpfs, proc, sysfs),
 * with its limits and statfs(); a file-system type makes super blocks for mount(2). Everything runs
 * as root (uid 0, gid 0): there is no credential model, so permission checks stop at what a file
 * system supports (EACCES for a kernfs file without show/store) and at read-only mounts (EROFS).
 */
import { S_IALLUGO, type Statfs } from "../../include/uapi/stat.ts";
import { DEFINE_PER_KERNEL } from "../kernel.ts";
import { ktime_get_real_ns } from "../time/timekeeping.ts";
import type { Dentry } from "./dcache.ts";
import type { FileOperations } from "./file.ts";

/**
 * Directory and link operations (struct inode_operations). They work on dentries because tmpfs,
 * like ramfs, keeps its tree in the dentry cache. The VFS has checked the generic rules before it
 * calls them (the name is free for create/mkdir/symlink, `d` is a child of `dir`, types match);
 * they return the new dentry, 0, or a negative errno.
 */
export interface InodeOperations {
  /** The child `name` of directory `dir`, or null when there is none. */
  lookup?(dir: Dentry, name: string): Dentry | null;
  create?(dir: Dentry, name: string, mode: number): Dentry | number;
  mkdir?(dir: Dentry, name: string, mode: number): Dentry | number;
  symlink?(dir: Dentry, name: string, target: string): Dentry | number;
  mknod?(dir: Dentry, name: string, mode: number, rdev: number): Dentry | number;
  unlink?(dir: Dentry, d: Dentry): number;
  rmdir?(dir: Dentry, d: Dentry): number;
  /** Move `d` from `old_dir` to `new_dir` as `new_name`, replacing what is there (checked). */
  rename?(old_dir: Dentry, d: Dentry, new_dir: Dentry, new_name: string): number;
  /** A symbolic link's target, or a negative errno (a sysfs link that is absent now: -ENOENT). */
  get_link?(d: Dentry): string | number;
  /** Change a regular file's size (truncate). */
  setsize?(inode: Inode, size: number): number;
}

/**
 * The directory entries iterate() gives: name, inode number, mode (its type is d_type). The VFS
 * adds "." and "..".
 */
export interface DirEntry {
  name: string;
  ino: number;
  mode: number;
}

export interface SuperOperations {
  statfs(sb: SuperBlock): Statfs;
  /** The last link and the last open file are gone: give back what the inode holds. */
  evict_inode?(inode: Inode): void;
}

/**
 * A mountable file system (struct file_system_type). mount() parses `data` (the -o options it
 * knows) and returns a new super block or a negative errno; `show_options` gives the options part
 * of /proc/mounts beyond rw/ro (tmpfs: size=…, mode=… when not the default).
 */
export interface FileSystemType {
  readonly name: string;
  /** Needs no block device (the "nodev" column of /proc/filesystems). */
  readonly nodev: boolean;
  mount(source: string, flags: number, data: string): SuperBlock | number;
  show_options?(sb: SuperBlock): string;
}

export class SuperBlock {
  readonly s_type: FileSystemType;
  /** Anonymous device number (0:N), st_dev of every inode in it. */
  readonly s_dev: number;
  readonly s_op: SuperOperations;
  s_root!: Dentry;
  /** MS_RDONLY … */
  s_flags = 0;
  /** File-system private state (tmpfs: its limits and usage). */
  s_fs_info: unknown = null;
  private next_ino = 1;

  constructor(type: FileSystemType, op: SuperOperations) {
    this.s_type = type;
    this.s_op = op;
    this.s_dev = anon_dev.get().next++;
  }

  /** get_next_ino(): inode numbers of this super block, from 1 (the root). */
  alloc_ino(): number {
    return this.next_ino++;
  }
}

/** Anonymous block-device numbers (fs/super.c get_anon_bdev): major 0, minors from 1 … */
const anon_dev = DEFINE_PER_KERNEL(() => ({ next: 1 }));

export class Inode {
  readonly i_ino: number;
  readonly i_sb: SuperBlock;
  i_mode: number;
  i_nlink = 1;
  i_uid = 0;
  i_gid = 0;
  i_rdev = 0;
  i_size = 0;
  /** Access, modification and change times (current_time(), or what utimensat set). */
  i_atime: Timespec64;
  i_mtime: Timespec64;
  i_ctime: Timespec64;
  i_op: InodeOperations;
  i_fop: FileOperations;
  /** Open files on this inode: an unlinked inode keeps its data until the last one closes. */
  i_count = 0;
  /** File-system private data (tmpfs: the file's bytes or the link target; kernfs: its node). */
  i_private: unknown = null;
  /** 512-byte blocks the data takes (tmpfs keeps this; st_blocks). */
  i_blocks = 0;

  constructor(sb: SuperBlock, mode: number, iop: InodeOperations, fop: FileOperations, ino = sb.alloc_ino()) {
    this.i_sb = sb;
    this.i_ino = ino;
    this.i_mode = mode;
    this.i_op = iop;
    this.i_fop = fop;
    const now = current_time();
    this.i_atime = now;
    this.i_mtime = now;
    this.i_ctime = now;
  }
}

/**
 * struct timespec64: an inode timestamp, seconds and nanoseconds kept apart so a time set by
 * utimensat survives to the nanosecond (a double of nanoseconds since the epoch would not).
 * Immutable: an inode's time is replaced, never changed in place.
 */
export interface Timespec64 {
  readonly tv_sec: number;
  readonly tv_nsec: number;
}

/**
 * current_time(): the timestamp for an inode change, in whole microseconds (the wall clock is a
 * double of nanoseconds since the epoch, exact only to a few hundred nanoseconds at today's dates).
 */
export function current_time(): Timespec64 {
  const ns = ktime_get_real_ns();
  let tv_sec = Math.floor(ns / 1e9);
  let usec = Math.floor((ns - tv_sec * 1e9) / 1000);
  if (usec < 0) {
    tv_sec--;
    usec += 1_000_000;
  } else if (usec >= 1_000_000) {
    tv_sec++;
    usec -= 1_000_000;
  }
  return { tv_sec, tv_nsec: usec * 1000 };
}

/** An inode's data or metadata changed: mtime and ctime move (mtime only for data). */
export function inode_touch(inode: Inode, data: boolean): void {
  const now = current_time();
  if (data) inode.i_mtime = now;
  inode.i_ctime = now;
}

/** struct iattr's ia_valid bits (include/linux/fs.h): what notify_change() sets. */
export const ATTR_MODE = 1 << 0;
export const ATTR_ATIME = 1 << 4;
export const ATTR_MTIME = 1 << 5;
export const ATTR_CTIME = 1 << 6;

/** struct iattr, reduced to what chmod(2) and utimensat(2) change. */
export interface Iattr {
  ia_valid: number;
  ia_mode?: number;
  ia_atime?: Timespec64;
  ia_mtime?: Timespec64;
  ia_ctime?: Timespec64;
}

/**
 * notify_change() with setattr_copy() (fs/attr.c): apply `attr` to `inode`. Every file system here
 * keeps its inodes in memory, so the generic copy is the whole of it; the caller has checked the
 * mount (EROFS) and the values. ATTR_MODE changes only the permission bits, never the file type.
 */
export function notify_change(inode: Inode, attr: Iattr): void {
  if ((attr.ia_valid & ATTR_MODE) !== 0 && attr.ia_mode !== undefined) inode.i_mode = (inode.i_mode & ~S_IALLUGO) | (attr.ia_mode & S_IALLUGO);
  if ((attr.ia_valid & ATTR_ATIME) !== 0 && attr.ia_atime !== undefined) inode.i_atime = attr.ia_atime;
  if ((attr.ia_valid & ATTR_MTIME) !== 0 && attr.ia_mtime !== undefined) inode.i_mtime = attr.ia_mtime;
  if ((attr.ia_valid & ATTR_CTIME) !== 0) inode.i_ctime = attr.ia_ctime ?? current_time();
}

/** iput() of an open file or a link: when neither remains, the file system frees the inode's data. */
export function iput_if_unused(inode: Inode): void {
  if (inode.i_nlink === 0 && inode.i_count === 0) inode.i_sb.s_op.evict_inode?.(inode);
}
