/**
 * Open files and descriptor tables (include/linux/fs.h struct file, fs/file.c, fs/file_table.c).
 *
 * A File is one open of an inode: its position, access mode and status flags, and the operations
 * that serve it. Descriptors are per task (struct files_struct): numbers from 0, the lowest free one
 * first, at most NR_OPEN_DEFAULT (RLIMIT_NOFILE's 1024) — -EMFILE beyond. Several descriptors (dup,
 * a child's copy at spawn) may share one File; it is released when the last goes. Sockets are Files
 * too (kernel/fs/sockfs.ts), so one number space covers both and close() works for either.
 */
import { EBADF, EINVAL, EMFILE } from "../../include/linux/errno.ts";
import { NR_OPEN_DEFAULT } from "../../include/uapi/fcntl.ts";
import type { WaitQueueHead } from "../sched/wait.ts";
import type { Path } from "./dcache.ts";
import { iput_if_unused, type DirEntry, type Inode } from "./inode.ts";

/** File access modes (f_mode). */
export const FMODE_READ = 1;
export const FMODE_WRITE = 2;

/**
 * struct file_operations. read/write move bytes at f_pos (and advance it); they may sleep (return a
 * promise) or not. iterate gives a directory's entries (the VFS adds "." and ".." and keeps the
 * position). poll gives the current events and the queue woken when they change.
 */
export interface FileOperations {
  open?(inode: Inode, f: File): number;
  read?(f: File, buf: Uint8Array): number | Promise<number>;
  write?(f: File, data: Uint8Array): number | Promise<number>;
  /** Optional fast path for text (the console): what write() of the string's UTF-8 bytes would do. */
  write_text?(f: File, text: string): void;
  llseek?(f: File, offset: number, whence: number): number;
  iterate?(f: File): DirEntry[] | number;
  poll?(f: File): { mask: number; wq: WaitQueueHead | null };
  release?(f: File): void;
}

export class File {
  /** Where it was opened (null for files without a name: sockets, the initial console). */
  readonly f_path: Path | null;
  readonly f_inode: Inode;
  readonly f_op: FileOperations;
  /** FMODE_READ | FMODE_WRITE. */
  readonly f_mode: number;
  /** open(2) flags kept after open: the access mode and the status flags (O_APPEND, O_NONBLOCK). */
  f_flags: number;
  f_pos = 0;
  /** Descriptors (in any table) that refer to this file. */
  f_count = 1;
  /** The file operations' own state (a socket's number, kernfs's generated text …). */
  private_data: unknown = null;

  constructor(path: Path | null, inode: Inode, fop: FileOperations, mode: number, flags: number) {
    this.f_path = path;
    this.f_inode = inode;
    this.f_op = fop;
    this.f_mode = mode;
    this.f_flags = flags;
    inode.i_count++;
    if (path !== null) path.mnt.mnt_count++;
  }
}

/** fput(): one reference fewer; the last one releases the file and lets go of its inode. */
export function fput(f: File): void {
  if (--f.f_count > 0) return;
  f.f_op.release?.(f);
  f.f_inode.i_count--;
  if (f.f_path !== null) f.f_path.mnt.mnt_count--;
  iput_if_unused(f.f_inode);
}

export function get_file(f: File): File {
  f.f_count++;
  return f;
}

/** struct files_struct: a task's descriptor table. `null` marks a number reserved by alloc_fd. */
export class FilesStruct {
  readonly fd: (File | null | undefined)[] = [];
  readonly close_on_exec = new Set<number>();
  readonly max_fds = NR_OPEN_DEFAULT;
  /** Bytes moved by read/write since the task last gave up the CPU (see vfs_cond_resched). */
  io_since_yield = 0;
}

/** alloc_fd(): reserve the lowest free number >= `start`; -EMFILE when the table is full. */
export function alloc_fd(files: FilesStruct, start = 0): number {
  for (let fd = start; fd < files.max_fds; fd++) {
    if (files.fd[fd] === undefined) {
      files.fd[fd] = null;
      return fd;
    }
  }
  return -EMFILE;
}

/** Give back a number alloc_fd reserved and that was not installed. */
export function put_unused_fd(files: FilesStruct, fd: number): void {
  if (files.fd[fd] === null) files.fd[fd] = undefined;
}

/** fd_install(): the reserved number `fd` now refers to `f` (the caller's reference moves in). */
export function fd_install(files: FilesStruct, fd: number, f: File, cloexec = false): void {
  files.fd[fd] = f;
  if (cloexec) files.close_on_exec.add(fd);
  else files.close_on_exec.delete(fd);
}

/** fget(): the File behind `fd`, or undefined. No reference is taken (one task, one CPU). */
export function fget(files: FilesStruct, fd: number): File | undefined {
  if (!Number.isInteger(fd) || fd < 0) return undefined;
  return files.fd[fd] ?? undefined;
}

/** close_fd(): 0 or -EBADF. */
export function close_fd(files: FilesStruct, fd: number): number {
  const f = fget(files, fd);
  if (f === undefined) return -EBADF;
  files.fd[fd] = undefined;
  files.close_on_exec.delete(fd);
  fput(f);
  return 0;
}

/**
 * dup2()/F_DUPFD: `newfd` < 0 means the lowest free number >= `min`. A newfd in use is closed
 * first; dup2(fd, fd) returns fd. The copy never has FD_CLOEXEC.
 */
export function do_dup(files: FilesStruct, oldfd: number, newfd: number, min = 0): number {
  const f = fget(files, oldfd);
  if (f === undefined) return -EBADF;
  if (newfd < 0) {
    const fd = alloc_fd(files, min);
    if (fd < 0) return fd;
    fd_install(files, fd, get_file(f));
    return fd;
  }
  if (!Number.isInteger(newfd) || newfd >= files.max_fds) return -EBADF;
  if (newfd === oldfd) return newfd;
  if (files.fd[newfd] === null) return -EINVAL; // being set up (Linux: -EBUSY); cannot happen with one CPU
  const old = files.fd[newfd];
  fd_install(files, newfd, get_file(f));
  if (old !== undefined && old !== null) fput(old);
  return newfd;
}

/** dup_fd(): a copy of the whole table, close-on-exec marks included (fork). */
export function dup_fd(files: FilesStruct): FilesStruct {
  const n = new FilesStruct();
  files.fd.forEach((f, fd) => {
    if (f !== undefined && f !== null) n.fd[fd] = get_file(f);
  });
  for (const fd of files.close_on_exec) if (n.fd[fd] !== undefined) n.close_on_exec.add(fd);
  return n;
}

/** do_close_on_exec(): close the descriptors marked FD_CLOEXEC (execve). */
export function do_close_on_exec(files: FilesStruct): void {
  for (const fd of [...files.close_on_exec]) close_fd(files, fd);
}

/** exit_files(): close every descriptor (the task is exiting). */
export function exit_files(files: FilesStruct): void {
  files.fd.forEach((f, fd) => {
    if (f !== undefined && f !== null) close_fd(files, fd);
  });
  files.fd.length = 0;
}

/** How many descriptors are open (for tests and /proc). */
export function nr_open_fds(files: FilesStruct): number {
  let n = 0;
  for (const f of files.fd) if (f !== undefined && f !== null) n++;
  return n;
}
