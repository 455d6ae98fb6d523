import { EAFNOSUPPORT, EBADF, EINVAL, ENODEV, ERESTARTSYS, ENOTSOCK, EAGAIN, ESRCH } from "../include/linux/errno.ts";
import { O_CLOEXEC, O_NONBLOCK } from "../include/uapi/fcntl.ts";
import { MSG_NOSIGNAL, POLLERR, POLLHUP, POLLIN, POLLNVAL, POLLOUT, POLLRDNORM, POLLWRNORM, type PollFd, type SockAddrIn } from "../include/uapi/in.ts";
import { major, S_ISCHR } from "../include/uapi/stat.ts";
import { DEFINE_PER_KERNEL } from "./kernel.ts";
import { cond_resched, get_current, schedule, schedule_hrtimeout_ns, find_task_by_pid } from "./sched/core.ts";
import { KernelBug } from "./panic.ts";
import { finish_wait, prepare_to_wait, WaitQueueEntry, type WaitQueueHead } from "./sched/wait.ts";
import { inet_control, net_control } from "./net_control.ts";
import { SIGKILL, SIGSTOP, TASK_INTERRUPTIBLE } from "../include/linux/sched.ts";
import { CLOCK_MONOTONIC, RUSAGE_CHILDREN, RUSAGE_SELF, WNOHANG, type SpawnAttr, type SpawnFileAction, type Syscalls, type Utsname } from "../include/uapi/syscalls.ts";
import { this_kernel } from "./kernel.ts";
import { RINGZERO_VERSION } from "./version.ts";
import { load_module, module_last_error, unload_module } from "./module.ts";
import { do_syslog, pr_notice } from "./printk.ts";
import { do_kill, do_setpgid, do_setsid, do_spawn, do_wait, exit_to_user_mode, find_zombie, handle_signal, process_exiting, process_info, ProcessExit, type ProcessInfo } from "./process.ts";
import { sleep_interruptible_ns } from "./sched/core.ts";
import type { Task } from "./sched/task.ts";
import { ktime_get_ns, ktime_get_real_ns } from "./time/timekeeping.ts";
import { tty_set_foreground } from "./tty.ts";
import { console_read_line, console_take_pending, TTYAUX_MAJOR } from "./fs/chrdev.ts";
import { alloc_fd, close_fd, do_dup, fd_install, fget, put_unused_fd, type File } from "./fs/file.ts";
import { fs_syscalls_for, sigpipe } from "./fs/fs_syscalls.ts";
import { copy_vfs_state, exec_vfs_state, task_files, task_fs } from "./fs/fs_struct.ts";
import { do_filp_open } from "./fs/open.ts";
import { create_pipe_files, is_pipe_file } from "./fs/pipe.ts";
import { vfs_read } from "./fs/read_write.ts";
import { sock_alloc_file, sock_from_file } from "./fs/sockfs.ts";
import { ioctl_syscalls_for } from "./fs/ioctl.ts";

/**
 * The system's identity (include/linux/utsname.h, init/version.c's init_uts_ns): what uname(2)
 * returns; /etc/hostname is made from its nodename.
 */
const uts = DEFINE_PER_KERNEL((): Utsname => ({ sysname: "ringzero", nodename: "ringzero", release: RINGZERO_VERSION, version: "#1 SMP", machine: "x86_64" }));

export function utsname(): Utsname {
  return uts.get();
}

/** Is `f` the console (or /dev/tty)? */
function is_console(f: File): boolean {
  return S_ISCHR(f.f_inode.i_mode) && major(f.f_inode.i_rdev) === TTYAUX_MAJOR;
}

/** Events and wait queue of one polled descriptor: a file's own poll, a plain file is always ready. */
function fd_poll(t: Task, kthread: boolean, fd: number): { mask: number; wq: WaitQueueHead | null } {
  const f = fget(task_files(t), fd);
  if (f === undefined) {
    // Kernel threads name sockets by the socket layer's numbers.
    const r = kthread ? (inet_control()?.sock_poll(fd) ?? -EBADF) : -EBADF;
    return typeof r === "number" ? { mask: POLLNVAL, wq: null } : r;
  }
  return f.f_op.poll?.(f) ?? { mask: POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM, wq: null };
}

/**
 * do_poll() (fs/select.c): wait on every descriptor's wait queue at once until one has an event
 * asked for (errors and hang-ups always count), the time runs out, or a signal comes.
 */
async function do_poll(t: Task, kthread: boolean, fds: PollFd[], timeout_ms: number): Promise<number> {
  const deadline = timeout_ms < 0 ? Infinity : ktime_get_ns() + timeout_ms * 1e6;
  const entries = fds.map(() => new WaitQueueEntry(t, false));
  const queues: (WaitQueueHead | null)[] = fds.map(() => null);
  let ret = 0;
  let timed_out = timeout_ms === 0;
  for (;;) {
    let count = 0;
    for (let i = 0; i < fds.length; i++) {
      const f = fds[i]!;
      const { mask, wq } = fd_poll(t, kthread, f.fd);
      if (wq !== null && !timed_out) {
        queues[i] = wq;
        prepare_to_wait(wq, entries[i]!, TASK_INTERRUPTIBLE);
      }
      f.revents = mask & (f.events | POLLERR | POLLHUP | POLLNVAL);
      if (f.revents !== 0) count++;
    }
    if (count > 0 || timed_out) {
      ret = count;
      break;
    }
    if (t.sigpending !== 0) {
      ret = -ERESTARTSYS;
      break;
    }
    if (deadline === Infinity) await schedule();
    else if ((await schedule_hrtimeout_ns(deadline)) === 0) timed_out = true;
  }
  for (let i = 0; i < fds.length; i++) {
    const q = queues[i];
    if (q !== null && q !== undefined) finish_wait(q, entries[i]!);
  }
  return ret;
}

/**
 * The system-call layer: the only door from userland into the kernel. Each process gets its own
 * Syscalls object bound to its task. Sleeping calls are interruptible; a signal either ends the
 * process (default action), is dropped (ignored) or makes the call return -EINTR (caught).
 *
 * Descriptors are the task's own (kernel/fs/fs_struct.ts); the file calls are kernel/fs/fs_syscalls.ts.
 * A socket call looks the descriptor up and hands the socket layer the socket's own number.
 * A process's calls go through syscall_layer() (signal delivery on return, the queue of calls it
 * did not await); a kernel thread's are the plain calls.
 */
export function syscalls_for(t: Task): Syscalls {
  const info = process_info(t);
  const raw = raw_syscalls_for(t);
  return info === undefined ? raw : syscall_layer(t, info, raw);
}

function raw_syscalls_for(t: Task): Syscalls {
  const k = this_kernel();
  const info = process_info(t);
  /** A kernel thread (tests, in-kernel users) has no process: it may name sockets by their own numbers. */
  const kthread = info === undefined;
  const files = () => task_files(t);

  /** The socket number behind descriptor `fd`: -EBADF, or -ENOTSOCK for a file that is not one. */
  const sockfd = (fd: number): number => {
    const f = fget(files(), fd);
    if (f === undefined) return kthread && fd >= 0 ? fd : -EBADF;
    return sock_from_file(f) ?? -ENOTSOCK;
  };
  /** Run a socket call on `fd`'s socket, or return the lookup's errno. */
  const on_sock = <R>(fd: number, call: (id: number) => R | number): R | number => {
    const id = sockfd(fd);
    return id < 0 ? id : call(id);
  };
  /** A new socket number from the socket layer becomes a descriptor (closed again if the table is full). */
  const install_sock = (id: number): number => {
    const fl = files();
    const fd = alloc_fd(fl);
    if (fd < 0) {
      inet_control()?.close(id);
      return fd;
    }
    fd_install(fl, fd, sock_alloc_file(id));
    return fd;
  };
  /** Sockets made through the system calls live as long as their File, not as long as their maker. */
  const file_owner = (): { on_exit: (() => void)[] } => ({ on_exit: [] });

  /** read(2) of one line from fd 0 when it is not the console (a file put there by dup2). */
  const read_line_file = async (f: File): Promise<string | null | number> => {
    const bytes: number[] = [];
    const one = new Uint8Array(1);
    for (;;) {
      let r = vfs_read(f, one);
      if (typeof r !== "number") r = await r;
      if (r < 0) return handle_signal(t, r);
      if (r === 0) break;
      bytes.push(one[0]!);
      if (one[0] === 0x0a) break;
    }
    return bytes.length === 0 ? null : new TextDecoder().decode(new Uint8Array(bytes));
  };

  return {
    ...fs_syscalls_for(t),
    ...ioctl_syscalls_for(t),
    read_line: async () => {
      const f = fget(files(), 0);
      if (f === undefined) return -EBADF;
      if (!is_console(f)) return read_line_file(f);
      const pending = console_take_pending(f);
      if (pending !== null) return pending;
      const r = await console_read_line(t);
      return typeof r === "number" ? handle_signal(t, r) : r;
    },
    poll: async (fds, timeout_ms) => handle_signal(t, await do_poll(t, kthread, fds, timeout_ms)),
    nanosleep: async (ns) => {
      if (!(ns >= 0)) return -EINVAL;
      const left = await sleep_interruptible_ns(ns);
      return left > 0 ? handle_signal(t, -ERESTARTSYS) : 0;
    },
    clock_gettime: (clock) => (clock === CLOCK_MONOTONIC ? ktime_get_ns() : ktime_get_real_ns()),
    getpid: () => t.pid,
    getppid: () => t.ppid,
    spawn: (argv, attr = {}) => do_spawn(t, argv, attr, (child) => spawn_files(t, child, attr)),
    pipe2: (flags = 0) => {
      // O_DIRECT (packet mode) is not supported: -EINVAL as for any other flag.
      if ((flags & ~(O_CLOEXEC | O_NONBLOCK)) !== 0) return -EINVAL;
      const fl = files();
      const rfd = alloc_fd(fl);
      if (rfd < 0) return rfd;
      const wfd = alloc_fd(fl);
      if (wfd < 0) {
        put_unused_fd(fl, rfd);
        return wfd;
      }
      const [r, w] = create_pipe_files(flags);
      fd_install(fl, rfd, r, (flags & O_CLOEXEC) !== 0);
      fd_install(fl, wfd, w, (flags & O_CLOEXEC) !== 0);
      return [rfd, wfd];
    },
    environ: () => info?.env ?? [],
    waitpid: async (pid, options = 0) => {
      const r = await do_wait(t, pid, (options & WNOHANG) !== 0);
      if (r === 0) return -EAGAIN;
      return typeof r === "number" ? handle_signal(t, r) : r.status;
    },
    wait4: async (pid, options = 0) => {
      const r = await do_wait(t, pid, (options & WNOHANG) !== 0);
      return typeof r === "number" ? handle_signal(t, r) : r;
    },
    kill: (pid, sig) => do_kill(t, pid, sig),
    setpgid: (pid, pgid) => do_setpgid(t, pid, pgid),
    getpgid: (pid) => {
      const p = pid === 0 ? t : (find_task_by_pid(pid) ?? find_zombie(pid));
      const i = p === undefined ? undefined : process_info(p);
      return i === undefined ? -ESRCH : i.pgid;
    },
    setsid: () => do_setsid(t),
    getsid: (pid) => {
      const p = pid === 0 ? t : (find_task_by_pid(pid) ?? find_zombie(pid));
      const i = p === undefined ? undefined : process_info(p);
      return i === undefined ? -ESRCH : i.sid;
    },
    getrusage: (who) => {
      if (info === undefined) return -EINVAL;
      if (who === RUSAGE_SELF) return { ru_utime_ns: t.sum_exec_runtime_ns, ru_stime_ns: 0, ru_nvcsw: t.sched_voluntary, ru_nivcsw: t.sched_involuntary };
      if (who === RUSAGE_CHILDREN) return { ru_utime_ns: info.cutime_ns, ru_stime_ns: 0, ru_nvcsw: info.cnvcsw, ru_nivcsw: info.cnivcsw };
      return -EINVAL;
    },
    sethostname: (name) => {
      // __NEW_UTS_LEN: 64 bytes. /etc/hostname is a file made at boot and does not follow.
      if (new TextEncoder().encode(name).length > 64) return -EINVAL;
      (utsname() as { nodename: string }).nodename = name;
      return 0;
    },
    syslog: (type, arg = 0) => do_syslog(type, arg),
    tcsetpgrp: (pgrp) => tty_set_foreground(pgrp),
    sigaction: (sig, disposition) => {
      if (sig <= 0 || sig >= 32 || sig === SIGKILL || sig === SIGSTOP || info === undefined) return -EINVAL;
      info.disposition[sig] = disposition;
      // Setting a signal to be ignored discards it if it is pending (kernel/signal.c do_sigaction).
      if (disposition === "ignore") t.sigpending &= ~(1 << sig);
      return 0;
    },
    sigpending: () => {
      const p = t.sigpending;
      t.sigpending = 0;
      return p;
    },
    init_module: (name, params, load_deps) => load_module(name, { ...params }, load_deps),
    delete_module: (name) => unload_module(name),
    module_error: () => module_last_error(),
    poweroff: (code) => {
      pr_notice("reboot: Power down\n");
      k.powering_off = true;
      k.platform.ops.power_off(code);
      throw new ProcessExit(code);
    },
    uname: () => ({ ...utsname() }),
    getlinks: () => net_control()?.getlinks() ?? -ENODEV,
    setlink: async (ifname, change) => net_control()?.setlink(ifname, change) ?? -ENODEV,
    ethtool: async (ifname, cmd) => net_control()?.ethtool(ifname, cmd) ?? -ENODEV,
    socket: (domain, type, protocol) => {
      const c = inet_control();
      if (c === null) return -EAFNOSUPPORT;
      const fl = files();
      const fd = alloc_fd(fl);
      if (fd < 0) return fd;
      put_unused_fd(fl, fd);
      const id = c.socket(file_owner(), domain, type, protocol);
      return id < 0 ? id : install_sock(id);
    },
    bind: (fd, addr, port) => on_sock(fd, (id) => inet_control()?.bind(id, addr, port) ?? -EBADF),
    getsockopt: (fd, level, optname) => on_sock(fd, (id) => inet_control()?.getsockopt(id, level, optname) ?? -EBADF),
    sendto: async (fd, data, addr, port) => {
      const id = sockfd(fd);
      if (id < 0) return id;
      return sigpipe(t, handle_signal(t, (await inet_control()?.sendto(id, data, addr, port)) ?? -EBADF), false);
    },
    setsockopt: (fd, level, optname, value) => on_sock(fd, (id) => inet_control()?.setsockopt(id, level, optname, value) ?? -EBADF),
    listen: (fd, backlog) => on_sock(fd, (id) => inet_control()?.listen(id, backlog) ?? -EBADF),
    accept: async (fd, flags = 0) => {
      const id = sockfd(fd);
      if (id < 0) return id;
      const fl = files();
      const nfd = alloc_fd(fl);
      if (nfd < 0) return nfd;
      put_unused_fd(fl, nfd);
      const r = (await inet_control()?.accept(file_owner(), id, flags)) ?? -EBADF;
      if (typeof r === "number") return handle_signal(t, r);
      const newfd = install_sock(r.fd);
      return newfd < 0 ? newfd : ({ fd: newfd, addr: r.addr, port: r.port } satisfies SockAddrIn & { fd: number });
    },
    connect: async (fd, addr, port) => {
      const id = sockfd(fd);
      if (id < 0) return id;
      return handle_signal(t, (await inet_control()?.connect(id, addr, port)) ?? -EBADF);
    },
    send: async (fd, data, flags = 0) => {
      const id = sockfd(fd);
      if (id < 0) return id;
      return sigpipe(t, handle_signal(t, (await inet_control()?.send(id, data, flags)) ?? -EBADF), (flags & MSG_NOSIGNAL) !== 0);
    },
    recv: async (fd, buf, flags = 0) => {
      const id = sockfd(fd);
      if (id < 0) return id;
      return handle_signal(t, (await inet_control()?.recv(id, buf, flags)) ?? -EBADF);
    },
    shutdown: (fd, how) => on_sock(fd, (id) => inet_control()?.shutdown(id, how) ?? -EBADF),
    getsockname: (fd) => on_sock(fd, (id) => inet_control()?.getsockname(id) ?? -EBADF),
    getpeername: (fd) => on_sock(fd, (id) => inet_control()?.getpeername(id) ?? -EBADF),
    inet_diag: () => inet_control()?.inet_diag() ?? -EAFNOSUPPORT,
    recvfrom: async (fd, timeout_ms) => {
      const id = sockfd(fd);
      if (id < 0) return id;
      const r = (await inet_control()?.recvfrom(id, timeout_ms)) ?? -EBADF;
      return typeof r === "number" ? handle_signal(t, r) : r;
    },
    addr_list: () => inet_control()?.addr_list() ?? -EAFNOSUPPORT,
    addr_add: (ifname, addr, prefix, broadcast) => inet_control()?.addr_add(ifname, addr, prefix, broadcast) ?? -EAFNOSUPPORT,
    neigh_dump: () => inet_control()?.neigh_dump() ?? -EAFNOSUPPORT,
    neigh_add: (ifname, addr, lladdr, state, flags) => inet_control()?.neigh_add(ifname, addr, lladdr, state, flags) ?? -EAFNOSUPPORT,
    neigh_del: (ifname, addr) => inet_control()?.neigh_del(ifname, addr) ?? -EAFNOSUPPORT,
    addr_del: (ifname, addr, prefix) => inet_control()?.addr_del(ifname, addr, prefix) ?? -EAFNOSUPPORT,
    route_list: () => inet_control()?.route_list() ?? -EAFNOSUPPORT,
    route_add: (dst, prefix, gw, ifname) => inet_control()?.route_add(dst, prefix, gw, ifname) ?? -EAFNOSUPPORT,
    route_del: (dst, prefix) => inet_control()?.route_del(dst, prefix) ?? -EAFNOSUPPORT,
    neigh_list: () => inet_control()?.neigh_list() ?? -EAFNOSUPPORT,
    dhcp: async (ifname) => handle_signal(t, (await inet_control()?.dhcp(ifname)) ?? -EAFNOSUPPORT),
    snmp: () => inet_control()?.snmp() ?? -EAFNOSUPPORT,
  };
}

/**
 * posix_spawn's child side before exec: the parent's descriptor table copied whole (close-on-exec
 * ones too, so a dup2 action can take a pipe end the parent keeps O_CLOEXEC), the file actions in
 * order, then the close-on-exec descriptors closed (execve). A child started with setsid whose
 * standard input is the console gets the console as its controlling terminal, as getty arranges
 * for a login session. Returns 0 or the first failing action's errno.
 */
function spawn_files(parent: Task, child: Task, attr: SpawnAttr): number {
  copy_vfs_state(parent, child);
  const files = task_files(child);
  for (const a of attr.file_actions ?? []) {
    const r = spawn_file_action(child, a);
    if (r < 0) return r;
  }
  exec_vfs_state(child);
  const info = process_info(child);
  const stdin = fget(files, 0);
  if (attr.setsid === true && info !== undefined && stdin !== undefined && is_console(stdin)) info.tty = stdin.f_inode.i_rdev;
  return 0;
}

/**
 * One posix_spawn file action (glibc's __spawni_child): dup2 (onto itself: clears FD_CLOEXEC),
 * close (of a descriptor that is not open: nothing, as glibc; out of range: -EBADF), open (then
 * moved to the asked number).
 */
function spawn_file_action(child: Task, a: SpawnFileAction): number {
  const files = task_files(child);
  const in_range = (fd: number): boolean => Number.isInteger(fd) && fd >= 0 && fd < files.max_fds;
  switch (a.action) {
    case "dup2":
      if (a.fd !== a.newfd) return Math.min(0, do_dup(files, a.fd, a.newfd));
      if (fget(files, a.fd) === undefined) return -EBADF;
      files.close_on_exec.delete(a.fd);
      return 0;
    case "close":
      if (!in_range(a.fd)) return -EBADF;
      if (fget(files, a.fd) !== undefined) close_fd(files, a.fd);
      return 0;
    case "open": {
      if (!in_range(a.fd)) return -EBADF;
      const f = do_filp_open(task_fs(child), a.path, a.flags, a.mode ?? 0o666);
      if (typeof f === "number") return f;
      if (fget(files, a.fd) !== undefined) close_fd(files, a.fd);
      fd_install(files, a.fd, f, (a.flags & O_CLOEXEC) !== 0);
      return 0;
    }
  }
  return -EINVAL;
}

/**
 * Calls that may sleep but did not, in a row, before the task is made to give the CPU up on its
 * way back to user mode (exit_to_user_mode_loop's need_resched): without it a process writing to
 * the console (`yes`) or reading /dev/zero would hold the only CPU until the lockup detector
 * killed it, and ^C could never be delivered. The scheduler tick's job, counted in calls here
 * because a task's step takes no virtual time.
 */
export const SYSCALLS_PER_SLICE = 256;
/** What one such call costs the virtual clock (hw/cpu.ts's CPU_COST.SYSCALL_NS: the kernel may not import hw/). */
const SYSCALL_COST_NS = 1000;

function need_resched(t: Task, info: ProcessInfo): boolean {
  const switches = t.sched_voluntary + t.sched_involuntary;
  if (switches !== info.slice_switches) {
    info.slice_switches = switches;
    info.slice_calls = 0;
  }
  if (++info.slice_calls < SYSCALLS_PER_SLICE || get_current() !== t) return false;
  info.slice_calls = 0;
  // The calls took CPU time: on the virtual clock, a microsecond each (hw/cpu.ts's CPU_COST).
  this_kernel().platform.ops.charge_ns(SYSCALLS_PER_SLICE * SYSCALL_COST_NS);
  return true;
}

/** The calls that return a promise (they may sleep). TypeScript checks the list is complete. */
type AsyncSyscall = { [K in keyof Syscalls]: Syscalls[K] extends (...args: never[]) => Promise<unknown> ? K : never }[keyof Syscalls];
const ASYNC_SYSCALLS: Readonly<Record<AsyncSyscall, true>> = {
  read: true,
  write: true,
  write_file: true,
  read_line: true,
  poll: true,
  nanosleep: true,
  waitpid: true,
  wait4: true,
  init_module: true,
  delete_module: true,
  setlink: true,
  ethtool: true,
  accept: true,
  connect: true,
  send: true,
  recv: true,
  sendto: true,
  recvfrom: true,
  dhcp: true,
};

/** The kernel's way back to a program: every syscall's frames end here (x86-64 entry). */
const ENTRY_FRAMES = ["do_syscall_64", "entry_SYSCALL_64_after_hwframe"];
const frames = (...inner: string[]): readonly string[] => [...inner, ...ENTRY_FRAMES];
/** What a sleeping call sleeps in, innermost first (Linux 6.1's functions for the same sleeps). */
const KSTACKS: Partial<Record<AsyncSyscall, readonly string[]>> = {
  nanosleep: frames("hrtimer_nanosleep", "common_nsleep", "__x64_sys_clock_nanosleep"),
  poll: frames("poll_schedule_timeout.constprop.0", "do_sys_poll", "__x64_sys_poll"),
  read_line: frames("wait_woken", "n_tty_read", "tty_read", "vfs_read", "ksys_read"),
  waitpid: frames("do_wait", "kernel_wait4", "__do_sys_wait4"),
  wait4: frames("do_wait", "kernel_wait4", "__do_sys_wait4"),
  accept: frames("inet_csk_accept", "inet_accept", "do_accept", "__sys_accept4", "__x64_sys_accept4"),
  connect: frames("__inet_stream_connect", "inet_stream_connect", "__sys_connect", "__x64_sys_connect"),
  send: frames("sock_sendmsg", "__sys_sendto", "__x64_sys_sendto"),
  sendto: frames("sock_sendmsg", "__sys_sendto", "__x64_sys_sendto"),
  recv: frames("sock_recvmsg", "__sys_recvfrom", "__x64_sys_recvfrom"),
  recvfrom: frames("sock_recvmsg", "__sys_recvfrom", "__x64_sys_recvfrom"),
};
const READ_FRAMES = { pipe: frames("pipe_read", "vfs_read", "ksys_read"), tty: frames("wait_woken", "n_tty_read", "tty_read", "vfs_read", "ksys_read"), sock: frames("sock_read_iter", "vfs_read", "ksys_read"), other: frames("vfs_read", "ksys_read") };
const WRITE_FRAMES = { pipe: frames("pipe_write", "vfs_write", "ksys_write"), tty: frames("tty_write", "vfs_write", "ksys_write"), sock: frames("sock_write_iter", "vfs_write", "ksys_write"), other: frames("vfs_write", "ksys_write") };
const NO_FRAMES: readonly string[] = [];

function kstack_for(t: Task, name: AsyncSyscall, fd: unknown): readonly string[] {
  if (name !== "read" && name !== "write") return KSTACKS[name] ?? NO_FRAMES;
  const table = name === "read" ? READ_FRAMES : WRITE_FRAMES;
  const f = typeof fd === "number" ? fget(task_files(t), fd) : undefined;
  if (f === undefined) return table.other;
  return is_pipe_file(f) ? table.pipe : is_console(f) ? table.tty : sock_from_file(f) !== null ? table.sock : table.other;
}

/** The task whose system call is running just now (set around each call's synchronous part). */
let syscall_task: Task | null = null;

/** The caller of the running system call (for /proc/self); `current` outside one. */
export function syscall_current(): Task | null {
  return syscall_task ?? get_current();
}

/**
 * The entry and exit of every system call of a process (kernel/entry/common.c):
 *
 * - On return, a pending signal whose action is to end the process ends it (exit_to_user_mode):
 *   a synchronous call throws ProcessExit, an asynchronous one's promise rejects with it.
 * - A process that is ending (exit_pending) ends again at its next call, whatever it caught.
 * - A task has one kernel stack: it sleeps in one call at a time. A program that did not await a
 *   call that went to sleep (a write into a full pipe) runs on outside its task's step; an
 *   asynchronous call it makes then waits until every call made before it has settled, so the
 *   bytes of un-awaited writes reach the pipe whole and in order. Calls made while the task runs
 *   in its own step start at once (a write that does not sleep has done its work when it
 *   returns). run_program waits for the calls still in flight before the process exits.
 * - Their promises always have a handler: a rejection nobody awaits never becomes Node's
 *   unhandledRejection. The process still ends at its next call (exit_pending), or as it returns.
 */
function syscall_layer(t: Task, info: ProcessInfo, raw: Syscalls): Syscalls {
  const out: Record<string, unknown> = {};
  const settle = (): void => {
    if (--info.inflight_count === 0) info.inflight = null;
  };
  const settle_error = (e: unknown): void => {
    // A kernel BUG in a call nobody awaited: the task dies of it (as a segfault) at its next call.
    if (e instanceof ProcessExit || e instanceof KernelBug) process_exiting(info, e instanceof ProcessExit ? e.code : 128 + 11);
    settle();
  };
  for (const [name, fn] of Object.entries(raw) as [string, (...args: unknown[]) => unknown][]) {
    if (name in ASYNC_SYSCALLS) {
      const call = name as AsyncSyscall;
      const run = (args: unknown[]): Promise<unknown> => {
        if (info.exit_pending !== null) return Promise.reject(new ProcessExit(info.exit_pending));
        t.kstack = kstack_for(t, call, args[0]);
        let r: unknown;
        const prev = syscall_task;
        syscall_task = t;
        try {
          r = fn(...args);
        } catch (e) {
          // Ended without sleeping (SIGPIPE on a write): it is ending from now on, not a job later.
          if (e instanceof ProcessExit) process_exiting(info, e.code);
          return Promise.reject(e);
        } finally {
          syscall_task = prev;
        }
        // t.kstack stays as it is: it is read only while the task sleeps, and every call that may
        // sleep sets its own on entry.
        return Promise.resolve(r).then((v) => {
          exit_to_user_mode(t, info);
          return need_resched(t, info) ? cond_resched().then(() => (exit_to_user_mode(t, info), v)) : v;
        });
      };
      out[name] = (...args: unknown[]): Promise<unknown> => {
        const before = info.inflight;
        const p = before === null || get_current() === t ? run(args) : before.then(() => run(args));
        info.inflight_count++;
        const settled = p.then(settle, settle_error);
        info.inflight = before === null ? settled : before.then(() => settled);
        return p;
      };
    } else {
      out[name] = (...args: unknown[]): unknown => {
        if (info.exit_pending !== null) throw new ProcessExit(info.exit_pending);
        const prev = syscall_task;
        syscall_task = t;
        try {
          const r = fn(...args);
          exit_to_user_mode(t, info);
          return r;
        } catch (e) {
          if (e instanceof ProcessExit) process_exiting(info, e.code);
          throw e;
        } finally {
          syscall_task = prev;
        }
      };
    }
  }
  return out as unknown as Syscalls;
}
