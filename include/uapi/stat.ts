/**
 * What stat(2), statfs(2) and getdents(2) report (include/uapi/linux/stat.h, asm-generic/stat.h,
 * asm-generic/statfs.h, linux/dirent.h, linux/magic.h). Times are seconds since the epoch plus
 * nanoseconds, as struct stat's st_mtime / st_mtime_nsec.
 */

export const S_IFMT = 0o170000;
export const S_IFSOCK = 0o140000;
export const S_IFLNK = 0o120000;
export const S_IFREG = 0o100000;
export const S_IFBLK = 0o060000;
export const S_IFDIR = 0o040000;
export const S_IFCHR = 0o020000;
export const S_IFIFO = 0o010000;
export const S_ISUID = 0o4000;
export const S_ISGID = 0o2000;
export const S_ISVTX = 0o1000;
/** Permission bits. */
export const S_IALLUGO = 0o7777;

export const S_ISREG = (m: number): boolean => (m & S_IFMT) === S_IFREG;
export const S_ISDIR = (m: number): boolean => (m & S_IFMT) === S_IFDIR;
export const S_ISLNK = (m: number): boolean => (m & S_IFMT) === S_IFLNK;
export const S_ISCHR = (m: number): boolean => (m & S_IFMT) === S_IFCHR;
export const S_ISBLK = (m: number): boolean => (m & S_IFMT) === S_IFBLK;
export const S_ISFIFO = (m: number): boolean => (m & S_IFMT) === S_IFIFO;
export const S_ISSOCK = (m: number): boolean => (m & S_IFMT) === S_IFSOCK;

/** Device numbers as glibc's makedev/major/minor encode them (12-bit major, 20-bit minor). */
export function makedev(major: number, minor: number): number {
  return (((major & 0xfff) << 8) | (minor & 0xff) | ((minor & 0xfff00) << 12)) >>> 0;
}
export function major(dev: number): number {
  return (dev >>> 8) & 0xfff;
}
export function minor(dev: number): number {
  return (dev & 0xff) | ((dev >>> 12) & 0xfff00);
}

/** struct stat. */
export interface Stat {
  st_dev: number;
  st_ino: number;
  st_mode: number;
  st_nlink: number;
  st_uid: number;
  st_gid: number;
  /** Device number of a character or block device file (makedev). */
  st_rdev: number;
  /** Bytes (regular files, symlinks: the target's length; tmpfs directories: 20 per entry + 40). */
  st_size: number;
  st_blksize: number;
  /** 512-byte blocks allocated. */
  st_blocks: number;
  st_atime: number;
  st_atime_nsec: number;
  st_mtime: number;
  st_mtime_nsec: number;
  st_ctime: number;
  st_ctime_nsec: number;
}

/** struct statfs. */
export interface Statfs {
  f_type: number;
  f_bsize: number;
  f_blocks: number;
  f_bfree: number;
  f_bavail: number;
  f_files: number;
  f_ffree: number;
  f_namelen: number;
  f_frsize: number;
  /** ST_RDONLY (1), ST_NOSUID (2) … as the mount has them. */
  f_flags: number;
}

/** File-system magic numbers (include/uapi/linux/magic.h). */
export const TMPFS_MAGIC = 0x01021994;
export const PROC_SUPER_MAGIC = 0x9fa0;
export const SYSFS_MAGIC = 0x62656572;

/* d_type of a directory entry. */
export const DT_UNKNOWN = 0;
export const DT_FIFO = 1;
export const DT_CHR = 2;
export const DT_DIR = 4;
export const DT_BLK = 6;
export const DT_REG = 8;
export const DT_LNK = 10;
export const DT_SOCK = 12;

/** One entry of getdents64(2) (struct linux_dirent64 without the offset and length fields). */
export interface Dirent {
  d_ino: number;
  d_type: number;
  d_name: string;
}

/** The DT_* type of a mode. */
export function dt_type(mode: number): number {
  return (mode & S_IFMT) >>> 12;
}
