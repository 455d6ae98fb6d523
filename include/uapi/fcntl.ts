/**
 * File-related constants userland and the kernel share: open(2) flags, fcntl(2) commands, lseek(2)
 * whences (include/uapi/asm-generic/fcntl.h, include/uapi/linux/fs.h), mount(2) flags
 * (include/uapi/linux/mount.h) and the VFS limits (include/uapi/linux/limits.h). Values are Linux's
 * on x86-64.
 */

/* open(2) flags. */
export const O_ACCMODE = 0o3;
export const O_RDONLY = 0o0;
export const O_WRONLY = 0o1;
export const O_RDWR = 0o2;
export const O_CREAT = 0o100;
export const O_EXCL = 0o200;
export const O_NOCTTY = 0o400;
export const O_TRUNC = 0o1000;
export const O_APPEND = 0o2000;
/** Same value as include/uapi/in.ts's O_NONBLOCK (sockets use it too). */
export const O_NONBLOCK = 0o4000;
export const O_DIRECTORY = 0o200000;
export const O_NOFOLLOW = 0o400000;
export const O_CLOEXEC = 0o2000000;

/* fcntl(2) commands and descriptor flags. */
export const F_DUPFD = 0;
export const F_GETFD = 1;
export const F_SETFD = 2;
export const F_GETFL = 3;
export const F_SETFL = 4;
export const FD_CLOEXEC = 1;

/* lseek(2) whence. */
export const SEEK_SET = 0;
export const SEEK_CUR = 1;
export const SEEK_END = 2;

/* mount(2) flags (MS_*) and umount2(2) flags. */
export const MS_RDONLY = 1;
export const MS_NOSUID = 2;
export const MS_NODEV = 4;
export const MS_NOEXEC = 8;
export const MS_REMOUNT = 32;
export const MS_NOATIME = 1024;
export const MS_RELATIME = 1 << 21;
export const MNT_FORCE = 1;
export const MNT_DETACH = 2;

/** Longest path (with its NUL) and longest name in one directory (include/uapi/linux/limits.h). */
export const PATH_MAX = 4096;
export const NAME_MAX = 255;
/** RLIMIT_NOFILE's default soft limit: descriptors 0 … 1023 (INR_OPEN_CUR). */
export const NR_OPEN_DEFAULT = 1024;

