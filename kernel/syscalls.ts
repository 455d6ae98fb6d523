import { EAFNOSUPPORT, EBADF, EINVAL, ENODEV, ERESTARTSYS } from "../include/linux/errno.ts";
import { EPIPE, MSG_NOSIGNAL, POLLERR, POLLHUP, POLLIN, POLLNVAL, POLLRDNORM, type PollFd } from "../include/uapi/in.ts";
import { DEFINE_PER_KERNEL } from "./kernel.ts";
import { kthread_run } from "./kthread.ts";
import { schedule, schedule_hrtimeout_ns, send_sig } from "./sched/core.ts";
import { finish_wait, init_waitqueue_head, prepare_to_wait, wait_event_interruptible, wake_up_all, WaitQueueEntry, type WaitQueueHead } from "./sched/wait.ts";
import { inet_control, net_control } from "./net_control.ts";
import { SIGKILL, TASK_INTERRUPTIBLE } from "../include/linux/sched.ts";
import { CLOCK_MONOTONIC, WNOHANG, type Syscalls } from "../include/uapi/syscalls.ts";
import { kernfs_read, kernfs_readdir, kernfs_write } from "./fs/kernfs.ts";
import { this_kernel } from "./kernel.ts";
import { RINGZERO_VERSION } from "./version.ts";
import { load_module, module_last_error, unload_module } from "./module.ts";
import { pr_notice } from "./printk.ts";
import { do_execve, do_wait, handle_signal, kill_pid, process_info, ProcessExit, program_names } from "./process.ts";
import { sleep_interruptible_ns } from "./sched/core.ts";
import type { Task } from "./sched/task.ts";
import { ktime_get_ns } from "./time/timekeeping.ts";
import { tty_read_line, tty_set_foreground, tty_write } from "./tty.ts";

/** SIGPIPE (include/uapi/asm-generic/signal.h): a write to a connection that is shut for writing. */
const SIGPIPE = 13;

/**
 * Standard input made pollable. The console's line discipline (kernel/tty.ts) offers only a
 * blocking read, so the first poll() of fd 0 by a process starts a reader thread for it that
 * reads one line ahead into `lines` and wakes `wq`; that process's read_line() then takes its
 * lines from here. The thread is stopped (by a signal) when the process exits; a line it had read
 * and nobody took is lost, as unread input in a dying process's buffer is.
 */
class StdinReader {
  readonly lines: (string | null)[] = [];
  readonly wq: WaitQueueHead = init_waitqueue_head("stdin");
  task: Task | null = null;
  stopped = false;
}
const stdin_readers = DEFINE_PER_KERNEL(() => new WeakMap<Task, StdinReader>());

function stdin_reader(t: Task): StdinReader {
  const map = stdin_readers.get();
  const known = map.get(t);
  if (known !== undefined) return known;
  const reader = new StdinReader();
  map.set(t, reader);
  reader.task = kthread_run(
    async () => {
      while (!reader.stopped) {
        if (reader.lines.length > 0) {
          if ((await wait_event_interruptible(reader.wq, () => reader.lines.length === 0 || reader.stopped)) < 0) break;
          continue;
        }
        const line = await tty_read_line();
        if (typeof line === "number") break;
        reader.lines.push(line);
        wake_up_all(reader.wq);
      }
    },
    null,
    "stdin_reader",
  );
  t.on_exit.push(() => {
    reader.stopped = true;
    if (reader.task !== null && !reader.task.exited) send_sig(SIGKILL, reader.task);
  });
  return reader;
}

/**
 * do_poll() (fs/select.c): wait on every descriptor's wait queue at once until one has an event
 * asked for (errors and hang-ups always count), the time runs out, or a signal comes.
 */
async function do_poll(t: Task, fds: PollFd[], timeout_ms: number): Promise<number> {
  const deadline = timeout_ms < 0 ? Infinity : ktime_get_ns() + timeout_ms * 1e6;
  const entries = fds.map(() => new WaitQueueEntry(t, false));
  const queues: (WaitQueueHead | null)[] = fds.map(() => null);
  let ret = 0;
  let timed_out = timeout_ms === 0;
  for (;;) {
    let count = 0;
    for (let i = 0; i < fds.length; i++) {
      const f = fds[i]!;
      let mask: number;
      let wq: WaitQueueHead | null = null;
      if (f.fd === 0) {
        const r = stdin_reader(t);
        mask = r.lines.length > 0 ? POLLIN | POLLRDNORM : 0;
        wq = r.wq;
      } else {
        const r = inet_control()?.sock_poll(f.fd) ?? -EBADF;
        if (typeof r === "number") mask = POLLNVAL;
        else {
          mask = r.mask;
          wq = r.wq;
        }
      }
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
 * A send that found the connection shut for writing: SIGPIPE, unless MSG_NOSIGNAL (net/core/stream.c
 * sk_stream_error). Its default action ends the process; ignored, the call returns -EPIPE.
 */
function sigpipe(t: Task, r: number, flags: number): number {
  if (r !== -EPIPE || (flags & MSG_NOSIGNAL) !== 0) return r;
  const d = process_info(t)?.disposition[SIGPIPE] ?? "default";
  if (d === "default") throw new ProcessExit(128 + SIGPIPE);
  if (d === "catch") t.sigpending |= 1 << SIGPIPE;
  return r;
}

/**
 * The system-call layer: the only door from userland into the kernel. Each process gets its own
 * Syscalls object bound to its task. Sleeping calls are interruptible; a signal either ends the
 * process (default action), is dropped (ignored) or makes the call return -EINTR (caught).
 */
export function syscalls_for(t: Task): Syscalls {
  const k = this_kernel();
  const info = process_info(t)!;
  return {
    write: (_fd, text) => {
      tty_write(text);
      return text.length;
    },
    read_line: async () => {
      const reader = stdin_readers.get().get(t);
      if (reader !== undefined) {
        const w = await wait_event_interruptible(reader.wq, () => reader.lines.length > 0);
        if (w < 0) return handle_signal(t, w);
        const line = reader.lines.shift()!;
        wake_up_all(reader.wq);
        return line;
      }
      const r = await tty_read_line();
      return typeof r === "number" ? handle_signal(t, r) : r;
    },
    poll: async (fds, timeout_ms) => handle_signal(t, await do_poll(t, fds, timeout_ms)),
    read_file: (path) => {
      const r = kernfs_read(path);
      return typeof r === "string" ? new TextEncoder().encode(r) : r;
    },
    write_file: (path, data) => kernfs_write(path, data),
    readdir: (path) => {
      if (path === "/bin" || path === "/bin/") return program_names();
      return kernfs_readdir(path);
    },
    nanosleep: async (ns) => {
      if (!(ns >= 0)) return -EINVAL;
      const left = await sleep_interruptible_ns(ns);
      return left > 0 ? handle_signal(t, -ERESTARTSYS) : 0;
    },
    clock_gettime: (clock) => (clock === CLOCK_MONOTONIC ? ktime_get_ns() : Date.now() * 1e6),
    getpid: () => t.pid,
    getppid: () => t.ppid,
    spawn: (argv) => do_execve(argv),
    waitpid: async (pid, options = 0) => handle_signal(t, await do_wait(pid, (options & WNOHANG) !== 0)),
    kill: (pid, sig) => kill_pid(pid, sig),
    tcsetpgrp: (pid) => {
      tty_set_foreground(pid);
      return 0;
    },
    sigaction: (sig, disposition) => {
      if (sig <= 0 || sig >= 32 || sig === SIGKILL) return -EINVAL;
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
    uname: () => ({ sysname: "ringzero", nodename: "ringzero", release: RINGZERO_VERSION, version: "#1 SMP", machine: "x86_64" }),
    getlinks: () => net_control()?.getlinks() ?? -ENODEV,
    setlink: async (ifname, change) => net_control()?.setlink(ifname, change) ?? -ENODEV,
    ethtool: async (ifname, cmd) => net_control()?.ethtool(ifname, cmd) ?? -ENODEV,
    socket: (domain, type, protocol) => inet_control()?.socket(t, domain, type, protocol) ?? -EAFNOSUPPORT,
    bind: (fd, addr, port) => inet_control()?.bind(fd, addr, port) ?? -EBADF,
    getsockopt: (fd, level, optname) => inet_control()?.getsockopt(fd, level, optname) ?? -EBADF,
    sendto: async (fd, data, addr, port) => sigpipe(t, handle_signal(t, (await inet_control()?.sendto(fd, data, addr, port)) ?? -EBADF), 0),
    setsockopt: (fd, level, optname, value) => inet_control()?.setsockopt(fd, level, optname, value) ?? -EBADF,
    listen: (fd, backlog) => inet_control()?.listen(fd, backlog) ?? -EBADF,
    accept: async (fd, flags = 0) => {
      const r = (await inet_control()?.accept(t, fd, flags)) ?? -EBADF;
      return typeof r === "number" ? handle_signal(t, r) : r;
    },
    connect: async (fd, addr, port) => handle_signal(t, (await inet_control()?.connect(fd, addr, port)) ?? -EBADF),
    send: async (fd, data, flags = 0) => sigpipe(t, handle_signal(t, (await inet_control()?.send(fd, data, flags)) ?? -EBADF), flags),
    recv: async (fd, buf, flags = 0) => handle_signal(t, (await inet_control()?.recv(fd, buf, flags)) ?? -EBADF),
    shutdown: (fd, how) => inet_control()?.shutdown(fd, how) ?? -EBADF,
    getsockname: (fd) => inet_control()?.getsockname(fd) ?? -EBADF,
    getpeername: (fd) => inet_control()?.getpeername(fd) ?? -EBADF,
    fcntl: (fd, cmd, arg) => inet_control()?.fcntl(fd, cmd, arg) ?? -EBADF,
    inet_diag: () => inet_control()?.inet_diag() ?? -EAFNOSUPPORT,
    recvfrom: async (fd, timeout_ms) => {
      const r = (await inet_control()?.recvfrom(fd, timeout_ms)) ?? -EBADF;
      return typeof r === "number" ? handle_signal(t, r) : r;
    },
    close: (fd) => inet_control()?.close(fd) ?? -EBADF,
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

