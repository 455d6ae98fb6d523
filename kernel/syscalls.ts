import { EAFNOSUPPORT, EBADF, EINVAL, ENODEV, ERESTARTSYS, ENOTSOCK } from "../include/linux/errno.ts";
import { MSG_NOSIGNAL, POLLERR, POLLHUP, POLLIN, POLLNVAL, POLLOUT, POLLRDNORM, POLLWRNORM, type PollFd, type SockAddrIn } from "../include/uapi/in.ts";
import { major, S_ISCHR } from "../include/uapi/stat.ts";
import { DEFINE_PER_KERNEL } from "./kernel.ts";
import { schedule, schedule_hrtimeout_ns, find_task_by_pid } from "./sched/core.ts";
import { finish_wait, prepare_to_wait, WaitQueueEntry, type WaitQueueHead } from "./sched/wait.ts";
import { inet_control, net_control } from "./net_control.ts";
import { SIGKILL, TASK_INTERRUPTIBLE } from "../include/linux/sched.ts";
import { CLOCK_MONOTONIC, WNOHANG, type Syscalls, type Utsname } from "../include/uapi/syscalls.ts";
import { this_kernel } from "./kernel.ts";
import { RINGZERO_VERSION } from "./version.ts";
import { load_module, module_last_error, unload_module } from "./module.ts";
import { pr_notice } from "./printk.ts";
import { do_execve, do_wait, handle_signal, kill_pid, process_info, ProcessExit } from "./process.ts";
import { sleep_interruptible_ns } from "./sched/core.ts";
import type { Task } from "./sched/task.ts";
import { ktime_get_ns, ktime_get_real_ns } from "./time/timekeeping.ts";
import { tty_set_foreground } from "./tty.ts";
import { console_read_line, console_take_pending, TTYAUX_MAJOR } from "./fs/chrdev.ts";
import { alloc_fd, fd_install, fget, put_unused_fd, type File } from "./fs/file.ts";
import { fs_syscalls_for, sigpipe } from "./fs/fs_syscalls.ts";
import { spawn_vfs_state, task_files } from "./fs/fs_struct.ts";
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
 */
export function syscalls_for(t: Task): Syscalls {
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
    spawn: (argv) => {
      const pid = do_execve(argv);
      const child = pid > 0 ? find_task_by_pid(pid) : undefined;
      if (child !== undefined) spawn_vfs_state(t, child);
      return pid;
    },
    // Placeholders until the pipe/spawn work lands (returns -ENOSYS).
    pipe2: () => -38,
    environ: () => [],
    waitpid: async (pid, options = 0) => handle_signal(t, await do_wait(pid, (options & WNOHANG) !== 0)),
    kill: (pid, sig) => kill_pid(pid, sig),
    tcsetpgrp: (pid) => {
      tty_set_foreground(pid);
      return 0;
    },
    sigaction: (sig, disposition) => {
      if (sig <= 0 || sig >= 32 || sig === SIGKILL || info === undefined) return -EINVAL;
      info.disposition[sig] = disposition;
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
      pr_notice("reboot: Power down");
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
    addr_add: (ifname, addr, prefix) => inet_control()?.addr_add(ifname, addr, prefix) ?? -EAFNOSUPPORT,
    addr_del: (ifname, addr, prefix) => inet_control()?.addr_del(ifname, addr, prefix) ?? -EAFNOSUPPORT,
    route_list: () => inet_control()?.route_list() ?? -EAFNOSUPPORT,
    route_add: (dst, prefix, gw, ifname) => inet_control()?.route_add(dst, prefix, gw, ifname) ?? -EAFNOSUPPORT,
    route_del: (dst, prefix) => inet_control()?.route_del(dst, prefix) ?? -EAFNOSUPPORT,
    neigh_list: () => inet_control()?.neigh_list() ?? -EAFNOSUPPORT,
    dhcp: async (ifname) => handle_signal(t, (await inet_control()?.dhcp(ifname)) ?? -EAFNOSUPPORT),
    snmp: () => inet_control()?.snmp() ?? -EAFNOSUPPORT,
  };
}
