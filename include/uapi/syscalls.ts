/**
 * The system-call surface userland programs get (their "libc"): a program receives an object with
 * these calls and nothing else. Calls return a value or a negative errno, as the Linux system calls
 * they stand for (noted beside each) do.
 */
import type { EthtoolCmd, EthtoolReply } from "./ethtool.ts";
import type { IfChange, IfInfo, NeighSyscalls } from "./if.ts";
import type { InetSyscalls, PollFd } from "./in.ts";
import type { Dirent, Stat, Statfs } from "./stat.ts";

/** waitpid() option: report, do not wait (include/uapi/linux/wait.h). */
export const WNOHANG = 1;

/** getrusage(2) `who` (include/uapi/linux/resource.h). */
export const RUSAGE_SELF = 0;
export const RUSAGE_CHILDREN = -1;

/**
 * struct rusage, reduced to what the kernel measures: CPU time in nanoseconds of the kernel clock
 * (all of it is counted as user time: stime is 0) and context switches.
 */
export interface Rusage {
  readonly ru_utime_ns: number;
  readonly ru_stime_ns: number;
  /** Voluntary (the task slept) and involuntary (it only yielded) context switches. */
  readonly ru_nvcsw: number;
  readonly ru_nivcsw: number;
}

/** syslog(2) / klogctl(3) actions (include/linux/syslog.h). */
export const SYSLOG_ACTION_READ_ALL = 3;
export const SYSLOG_ACTION_READ_CLEAR = 4;
export const SYSLOG_ACTION_CLEAR = 5;
export const SYSLOG_ACTION_CONSOLE_OFF = 6;
export const SYSLOG_ACTION_CONSOLE_ON = 7;
export const SYSLOG_ACTION_CONSOLE_LEVEL = 8;
export const SYSLOG_ACTION_SIZE_UNREAD = 9;
export const SYSLOG_ACTION_SIZE_BUFFER = 10;

export interface Utsname {
  readonly sysname: string;
  readonly nodename: string;
  readonly release: string;
  readonly version: string;
  readonly machine: string;
}

export type SigDisposition = "default" | "ignore" | "catch";

/**
 * posix_spawn(3) file actions (posix_spawn_file_actions_adddup2 / addclose / addopen), applied in
 * order to the child's copy of the descriptor table before it runs. An `open` action opens `path`
 * and puts it at `fd`; a failing action makes spawn fail with its errno and no child runs.
 */
export type SpawnFileAction =
  | { readonly action: "dup2"; readonly fd: number; readonly newfd: number }
  | { readonly action: "close"; readonly fd: number }
  | { readonly action: "open"; readonly fd: number; readonly path: string; readonly flags: number; readonly mode?: number };

/** posix_spawn(3)'s attributes and envp. */
export interface SpawnAttr {
  readonly file_actions?: readonly SpawnFileAction[];
  /** The child's environment ("NAME=value" strings); without it the child gets a copy of the caller's. */
  readonly envp?: readonly string[];
  /**
   * POSIX_SPAWN_SETPGROUP: the child's process group — 0 for a new group led by the child (a
   * pipeline's first stage), or an existing group of the caller's session (its later stages);
   * spawn fails with -EPERM for a group that does not exist there.
   */
  readonly pgroup?: number;
  /**
   * POSIX_SPAWN_SETSID: the child leads a new session and process group. If its standard input is
   * the console, the console becomes the session's controlling terminal (as getty arranges).
   */
  readonly setsid?: boolean;
}

/** struct termios, reduced to the local modes (include/uapi/asm-generic/termbits.h). */
export interface Termios {
  c_lflag: number;
}
/** c_lflag bits (termbits.h, octal as there). */
export const ISIG = 0o1;
export const ICANON = 0o2;
export const ECHO = 0o10;
export const ECHOE = 0o20;
export const ECHOK = 0o40;
export const ECHOCTL = 0o1000;

export const CLOCK_REALTIME = 0;
export const CLOCK_MONOTONIC = 1;

/**
 * The file calls (open, read, write … as Linux has them). Descriptors are per process, the lowest
 * free number first, at most 1024 open (-EMFILE); 0, 1 and 2 start on the console, a spawned child
 * gets copies of its parent's (except O_CLOEXEC ones), and all are closed when the process exits.
 * Sockets are descriptors in the same table: close, read, write, poll, fcntl, fstat and dup work on
 * either. Paths are absolute or relative to the working directory; tmpfs is mounted at `/`, proc at
 * /proc, sysfs at /sys. Flags and modes: include/uapi/fcntl.ts and stat.ts.
 */
export interface FileSyscalls {
  /**
   * open(2): O_RDONLY/O_WRONLY/O_RDWR | O_CREAT, O_EXCL, O_TRUNC, O_APPEND, O_DIRECTORY,
   * O_NOFOLLOW, O_NONBLOCK, O_CLOEXEC. `mode` (default 0o666) is for a file O_CREAT makes, less the
   * umask. The new descriptor, or -ENOENT, -EEXIST, -EISDIR, -ENOTDIR, -ELOOP, -EACCES, -EROFS,
   * -ENAMETOOLONG, -EMFILE, -ENOSPC …
   */
  open(path: string, flags: number, mode?: number): number;
  /**
   * read(2) into `buf`: bytes read, 0 at end of file, or -errno (-EISDIR, -EBADF, -EINTR …). The
   * console gives at most one line per call; a socket reads as recv(); a pipe gives what it holds,
   * waits while it is empty, and gives 0 once every write end is closed (-EAGAIN with O_NONBLOCK).
   */
  read(fd: number, buf: Uint8Array): Promise<number>;
  /**
   * write(2): bytes written or -errno (-ENOSPC when the tmpfs is full, -EBADF …). A string is
   * written as UTF-8. Descriptors 1 and 2 start on the console. A write into a full pipe waits for
   * room (await it: a program that does not await a write that waits has its later calls queued
   * behind it). A write on a pipe with no reader left, or on a socket whose peer is gone, raises
   * SIGPIPE, as send() does: the process ends (status 141) unless it ignores or catches SIGPIPE,
   * then the write returns -EPIPE.
   */
  write(fd: number, data: string | Uint8Array): Promise<number>;
  /** lseek(2) with SEEK_SET/SEEK_CUR/SEEK_END: the new offset; -ESPIPE on sockets and the console. */
  lseek(fd: number, offset: number, whence: number): number;
  /** close(2) of a file or a socket. */
  close(fd: number): number;
  /** dup(2): the lowest free descriptor, sharing the file (and its offset). */
  dup(fd: number): number;
  /** dup2(2): `newfd` (closed first if open) now refers to `oldfd`'s file. */
  dup2(oldfd: number, newfd: number): number;
  /** fcntl(2): F_GETFL / F_SETFL (O_APPEND, O_NONBLOCK), F_GETFD / F_SETFD (FD_CLOEXEC), F_DUPFD. */
  fcntl(fd: number, cmd: number, arg?: number): number;
  /** stat(2) (follows a final symlink), lstat(2) (does not), fstat(2). */
  stat(path: string): Stat | number;
  lstat(path: string): Stat | number;
  fstat(fd: number): Stat | number;
  /** statfs(2) of the file system holding `path` (f_blocks, f_bfree … in f_bsize units, as df uses). */
  statfs(path: string): Statfs | number;
  /** getdents64(2): up to `count` (default 128) entries from the directory's offset, "." and ".." first; [] at the end. */
  getdents(fd: number, count?: number): Dirent[] | number;
  /** mkdir(2): `mode` (default 0o777) less the umask. -EEXIST, -ENOENT, -ENOTDIR, -EPERM (proc, sysfs) … */
  mkdir(path: string, mode?: number): number;
  /** rmdir(2): -ENOTEMPTY, -ENOTDIR, -EBUSY (a mountpoint), -EINVAL (".") … */
  rmdir(path: string): number;
  /** unlink(2): the name goes; an open file keeps its data until its last descriptor is closed. -EISDIR for a directory. */
  unlink(path: string): number;
  /** rename(2) within one mount (-EXDEV across), replacing an existing target of a compatible type. */
  rename(oldpath: string, newpath: string): number;
  /** symlink(2): a link at `linkpath` whose contents are `target` (which need not exist). */
  symlink(target: string, linkpath: string): number;
  /** readlink(2): a symlink's contents; -EINVAL when `path` is not a symlink. */
  readlink(path: string): string | number;
  /** truncate(2) / ftruncate(2): set a regular file's size (a hole of zeros when it grows). */
  truncate(path: string, length: number): number;
  ftruncate(fd: number, length: number): number;
  /** chdir(2) and getcwd(2) (-ENOENT when the working directory was removed). */
  chdir(path: string): number;
  getcwd(): string | number;
  /** umask(2): sets the file-creation mask, returns the old one. */
  umask(mask: number): number;
  /**
   * mount(2) of a new file system: `fstype` "tmpfs" (data: size=N[k|m|g|%], nr_inodes=N, mode=OCTAL),
   * "proc" or "sysfs", with MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC. -ENODEV for an unknown type.
   */
  mount(source: string, target: string, fstype: string, flags: number, data?: string): number;
  /** umount2(2): -EBUSY while files are open or a working directory is inside (MNT_DETACH: lazily). */
  umount(target: string, flags?: number): number;
  /**
   * Whole-file read (open + read to the end + close) of any file: /proc and /sys as before, tmpfs
   * files, and one read of at most 4 KiB from a memory device (/dev/zero, /dev/urandom).
   */
  read_file(path: string): Uint8Array | number;
  /**
   * Whole-file write: sysfs/procfs attributes (each call is one store, as before: bind/unbind,
   * sysctls), or a tmpfs file created or truncated (open O_WRONLY|O_CREAT|O_TRUNC + write).
   * Returns bytes written or -errno.
   */
  write_file(path: string, data: string | Uint8Array): Promise<number>;
  /** The names in a directory (no "." or ".."), sorted: getdents(2) made easy. */
  readdir(path: string): string[] | number;
  /**
   * utimensat(2) at the working directory (AT_FDCWD): set `path`'s access and modification times
   * to times[0] and times[1] (a tv_nsec of UTIME_NOW means the current time, UTIME_OMIT leaves that
   * time alone), or both to now when `times` is null. The change time becomes now.
   * AT_SYMLINK_NOFOLLOW in `flags` changes a symlink itself. 0, or -ENOENT, -ENOTDIR, -EROFS,
   * -EINVAL (a tv_nsec out of range, an unknown flag) …
   */
  utimensat(path: string, times: readonly [Timespec, Timespec] | null, flags?: number): number;
  /** chmod(2): set the permission bits (07777) of `path` (following symlinks); the change time becomes now. -ENOENT, -EROFS … */
  chmod(path: string, mode: number): number;
}

/** struct timespec: seconds since the epoch and nanoseconds (0 … 999999999). */
export interface Timespec {
  tv_sec: number;
  tv_nsec: number;
}
/** utimensat(2)'s special tv_nsec values (include/uapi/linux/stat.h) and its flag (linux/fcntl.h). */
export const UTIME_NOW = (1 << 30) - 1;
export const UTIME_OMIT = (1 << 30) - 2;
export const AT_SYMLINK_NOFOLLOW = 0x100;

export interface Syscalls extends InetSyscalls, FileSyscalls, NeighSyscalls {
  /** read(2) on fd 0 in canonical mode: one line with its newline; null at end of input; -EINTR. */
  read_line(): Promise<string | null | number>;
  /**
   * poll(2) over any descriptors: sockets, the console (POLLIN when a line can be read), files
   * (always ready). Waits up to `timeout_ms` (< 0: no limit, 0: just look). Fills each `revents`;
   * returns how many have events, 0 on timeout, -EINTR on a signal.
   */
  poll(fds: PollFd[], timeout_ms: number): Promise<number>;
  /** nanosleep(2): 0, or -EINTR if a caught signal arrived. */
  nanosleep(ns: number): Promise<number>;
  /** clock_gettime(2) in nanoseconds. CLOCK_MONOTONIC counts from boot. */
  clock_gettime(clock: number): number;
  getpid(): number;
  getppid(): number;
  /**
   * fork(2)+execve(2) of a program in /bin (posix_spawn(3)): the child's pid, or -ENOENT, or the
   * errno of a file action that failed. The child inherits the working directory, umask, the
   * descriptors that are not close-on-exec (after `attr.file_actions`) and the environment
   * (`attr.envp`, else a copy of the caller's).
   */
  spawn(argv: readonly string[], attr?: SpawnAttr): number;
  /**
   * pipe2(2): [read end, write end]. A pipe holds 64 KiB (16 pages, as Linux's default); a writer
   * blocks while it is full, a reader while it is empty; read returns 0 once every write end is
   * closed, write fails with -EPIPE (and SIGPIPE) once every read end is. Flags: O_CLOEXEC, O_NONBLOCK.
   */
  pipe2(flags?: number): [number, number] | number;
  /**
   * The process's environment ("NAME=value"), as libc's `environ`: the process's own array, which
   * it may change (setenv/unsetenv); spawn hands a copy to the child.
   */
  environ(): string[];
  /** isatty(3): 1 if `fd` is a terminal, else 0 (errno ENOTTY / EBADF are not distinguished). */
  isatty(fd: number): number;
  /** tcgetattr(3) / tcsetattr(3, TCSANOW) on a terminal: -ENOTTY for anything else. */
  tcgetattr(fd: number): Termios | number;
  tcsetattr(fd: number, t: Termios): number;
  /**
   * waitpid(2): wait for a child to exit and reap it; its exit status (128+signal if a signal ended
   * it), or -ECHILD. `pid` > 0 is that child, -1 any child, 0 any child in the caller's process
   * group, < -1 any child in group -pid. With WNOHANG it does not wait: -EAGAIN while the children
   * asked for still run. -EINTR if a caught signal came first.
   */
  waitpid(pid: number, options?: number): Promise<number>;
  /**
   * wait4(2): as waitpid, and says which child it reaped: { pid, status }. With WNOHANG, 0 while
   * the children asked for still run (as Linux). Orphans are init's children (init reaps them).
   */
  wait4(pid: number, options?: number): Promise<{ pid: number; status: number } | number>;
  /**
   * kill(2): `pid` > 0 that process, 0 the caller's process group, -1 every process but init and
   * the caller, < -1 process group -pid. Signal 0 only checks that the target exists (0 or
   * -ESRCH). Everyone is root: init (pid 1) and kernel threads drop the signals they do not catch
   * and the call still returns 0, as Linux does. -EINVAL for a signal outside 0…31.
   */
  kill(pid: number, sig: number): number;
  /** setpgid(2): put `pid` (0: the caller) in process group `pgid` (0: its own pid) of its session. */
  setpgid(pid: number, pgid: number): number;
  /** getpgid(2) of `pid` (0: the caller), or -ESRCH. */
  getpgid(pid: number): number;
  /** setsid(2): a new session led by the caller (no controlling terminal); its id, or -EPERM for a group leader. */
  setsid(): number;
  /** getsid(2) of `pid` (0: the caller), or -ESRCH. */
  getsid(pid: number): number;
  /** getrusage(2): RUSAGE_SELF, or RUSAGE_CHILDREN (the reaped children, their children included). */
  getrusage(who: number): Rusage | number;
  /** sethostname(2): uname's nodename (and /proc/sys/kernel/hostname); -EINVAL over 64 bytes. /etc/hostname does not follow. */
  sethostname(name: string): number;
  /**
   * syslog(2) (klogctl): SYSLOG_ACTION_READ_ALL gives the kernel log since the last clear as text,
   * each line "<level>[seconds] message"; READ_CLEAR gives it and clears; CLEAR clears (dmesg -c,
   * -C); CONSOLE_OFF / CONSOLE_ON silence and restore the console; CONSOLE_LEVEL sets
   * console_loglevel to `arg` (1…8, dmesg -n); SIZE_UNREAD and SIZE_BUFFER give bytes. Others: -EINVAL.
   */
  syslog(type: number, arg?: number): string | number;
  /**
   * tcsetpgrp(3) on the console: make process group `pgrp` the foreground one. ^C and ^\ send
   * SIGINT / SIGQUIT to every process in that group (a whole pipeline), as Linux's n_tty does; a
   * process that leads its group (pid == pgid: a session leader, a pipeline's first stage) names
   * its group by its pid. 0, or -EINVAL for a negative id, -ESRCH when no process has that group
   * (or pid). The console is every session's: the caller's session is not checked.
   */
  tcsetpgrp(pgrp: number): number;
  /** sigaction(2), reduced to the disposition. */
  sigaction(sig: number, disposition: SigDisposition): number;
  /** Pending caught signals as a bitmask (1 << sig); reading clears them. */
  sigpending(): number;
  /** finit_module(2) by name (modprobe-style dependency loading when `load_deps`). */
  init_module(name: string, params: Readonly<Record<string, string>>, load_deps: boolean): Promise<number>;
  /** delete_module(2). */
  delete_module(name: string): Promise<number>;
  /** Why the last init_module/delete_module failed (Linux leaves this to dmesg). */
  module_error(): string;
  /** reboot(2) with LINUX_REBOOT_CMD_POWER_OFF: the machine turns off; `code` becomes its exit status. */
  poweroff(code: number): number;
  uname(): Utsname;
  /** RTM_GETLINK: every network interface; -ENODEV when no network core is loaded. */
  getlinks(): IfInfo[] | number;
  /** RTM_SETLINK / SIOCSIFFLAGS: bring an interface up or down, set its MTU or MAC. */
  setlink(ifname: string, change: IfChange): Promise<number>;
  /** SIOCETHTOOL. */
  ethtool(ifname: string, cmd: EthtoolCmd): Promise<EthtoolReply | number>;
}

/** A program in /bin: argv[0] is its name. Resolves to the exit status. */
export type Program = (argv: readonly string[], sys: Syscalls) => Promise<number>;
