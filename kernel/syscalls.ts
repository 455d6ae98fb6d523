import { EAFNOSUPPORT, EBADF, EINVAL, ENODEV, ERESTARTSYS } from "../include/linux/errno.ts";
import { inet_control, net_control } from "./net_control.ts";
import { SIGKILL } from "../include/linux/sched.ts";
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
      const r = await tty_read_line();
      return typeof r === "number" ? handle_signal(t, r) : r;
    },
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
    sendto: async (fd, data, addr, port) => handle_signal(t, (await inet_control()?.sendto(fd, data, addr, port)) ?? -EBADF),
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

