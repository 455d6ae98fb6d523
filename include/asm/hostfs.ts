/**
 * Host file access for hostfs (the analogue of User-Mode Linux's os_* host calls behind
 * fs/hostfs): a directory of the host shared with the machine. Declarations only; the Node entry
 * point implements it (boot/hostfs_node.ts) and hands it over in PlatformOps.hostfs. A browser
 * build has none, and then the kernel has no hostfs file-system type.
 *
 * Paths are relative to the shared directory: "" is the directory itself, "a/b" a name below it.
 * The kernel walks paths one component at a time (following symlinks itself, inside the machine),
 * so a path it passes never holds "", ".", ".." or a symlink as a component; the host side refuses
 * such a path anyway, never follows a symlink, and never reaches outside the shared directory.
 *
 * Every call is synchronous and returns its result or a negative errno (include/linux/errno.ts
 * values). Flags and modes are Linux's (include/uapi/fcntl.ts, include/uapi/stat.ts).
 */

/** A time as struct stat has it. */
export interface HostTime {
  readonly sec: number;
  readonly nsec: number;
}

/** What lstat(2) says about one host file. */
export interface HostStat {
  /** File type and permission bits (S_IFREG | 0644 …). */
  readonly mode: number;
  readonly ino: number;
  readonly nlink: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  /** 512-byte blocks allocated. */
  readonly blocks: number;
  readonly atime: HostTime;
  readonly mtime: HostTime;
  readonly ctime: HostTime;
}

/** What statfs(2) says about the file system holding the shared directory. */
export interface HostStatfs {
  readonly bsize: number;
  readonly blocks: number;
  readonly bfree: number;
  readonly bavail: number;
  readonly files: number;
  readonly ffree: number;
  readonly namelen: number;
}

export interface HostFsOps {
  /** The shared directory as the host names it (shown in /proc/mounts, as UML shows hostfs's root). */
  readonly root: string;
  /** Shared read-only: every call that would change something fails with -EROFS. */
  readonly read_only: boolean;
  /** lstat(2): a symlink is reported as one, never followed. */
  lstat(path: string): HostStat | number;
  /** The names in a directory (not "." and ".."), in the host's order. */
  readdir(path: string): string[] | number;
  readlink(path: string): string | number;
  /**
   * open(2) of a regular file: flags are O_RDONLY / O_WRONLY / O_RDWR, with O_CREAT and O_EXCL
   * (then `mode` is the new file's permission bits). A final symlink is not followed (-ELOOP);
   * anything but a regular file is refused (-ENXIO). Returns a handle (≥ 0) for the calls below.
   */
  open(path: string, flags: number, mode: number): number;
  /** pread(2): bytes read into `buf` from `pos` (0 at the end). */
  pread(handle: number, buf: Uint8Array, pos: number): number;
  /** pwrite(2): bytes of `data` written at `pos`. */
  pwrite(handle: number, data: Uint8Array, pos: number): number;
  fstat(handle: number): HostStat | number;
  ftruncate(handle: number, size: number): number;
  /** close(2): the handle is gone afterwards. */
  close(handle: number): void;
  truncate(path: string, size: number): number;
  mkdir(path: string, mode: number): number;
  unlink(path: string): number;
  rmdir(path: string): number;
  /** rename(2) within the shared directory (replacing what `to` names, as rename does). */
  rename(from: string, to: string): number;
  /** symlink(2): a link at `path` holding `target` as given. */
  symlink(target: string, path: string): number;
  statfs(): HostStatfs | number;
}
