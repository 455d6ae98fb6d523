/**
 * The system-call surface userland programs get (their "libc"): a program receives an object with
 * these calls and nothing else. Calls return a value or a negative errno, as the Linux system calls
 * they stand for (noted beside each) do.
 */
import type { EthtoolCmd, EthtoolReply } from "./ethtool.ts";
import type { IfChange, IfInfo } from "./if.ts";
import type { InetSyscalls, PollFd } from "./in.ts";

/** waitpid() option: report, do not wait (include/uapi/linux/wait.h). */
export const WNOHANG = 1;

export interface Utsname {
  readonly sysname: string;
  readonly nodename: string;
  readonly release: string;
  readonly version: string;
  readonly machine: string;
}

export type SigDisposition = "default" | "ignore" | "catch";

export const CLOCK_REALTIME = 0;
export const CLOCK_MONOTONIC = 1;

export interface Syscalls extends InetSyscalls {
  /** write(2) to fd 1 (stdout) or 2 (stderr); both reach the console. Returns bytes written. */
  write(fd: number, text: string): number;
  /** read(2) on fd 0 in canonical mode: one line with its newline; null at end of input; -EINTR. */
  read_line(): Promise<string | null | number>;
  /**
   * poll(2) over sockets and fd 0 (the console: POLLIN when a line can be read). Waits up to
   * `timeout_ms` (< 0: no limit, 0: just look). Fills each `revents`; returns how many have events,
   * 0 on timeout, -EINTR on a signal.
   */
  poll(fds: PollFd[], timeout_ms: number): Promise<number>;
  /** open+read+close of a whole file under /proc or /sys. */
  read_file(path: string): Uint8Array | number;
  /** open+write+close (sysfs attributes such as bind/unbind). Returns bytes written or -errno. */
  write_file(path: string, data: string): Promise<number>;
  /** getdents(2): the names in a directory. */
  readdir(path: string): string[] | number;
  /** nanosleep(2): 0, or -EINTR if a caught signal arrived. */
  nanosleep(ns: number): Promise<number>;
  /** clock_gettime(2) in nanoseconds. CLOCK_MONOTONIC counts from boot. */
  clock_gettime(clock: number): number;
  getpid(): number;
  getppid(): number;
  /** fork(2)+execve(2) of a program in /bin: the child's pid, or -ENOENT. */
  spawn(argv: readonly string[]): number;
  /**
   * waitpid(2): the child's exit status (128+signal if a signal ended it), or -ECHILD. With
   * WNOHANG it does not wait: -EAGAIN while the child still runs.
   */
  waitpid(pid: number, options?: number): Promise<number>;
  /** kill(2). */
  kill(pid: number, sig: number): number;
  /** tcsetpgrp(3) on the console: who gets ^C. */
  tcsetpgrp(pid: number): number;
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
